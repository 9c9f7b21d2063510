"""Replays of the recorded OAI-PMH and Hugging Face responses in tests/fixtures/data as live
endpoints: ``ListRecords`` with ``from``/``until`` and resumption tokens over the recorded arXiv-format
records, and ``/api/daily_papers?date=`` over the recorded daily lists (an empty list for a day
with none, as Hugging Face answers at weekends)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OAI_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n'
    "<responseDate>2018-12-31T00:00:00Z</responseDate>\n"
)
_RECORD = re.compile(r"<record>.*?</record>", re.DOTALL)
_IDENTIFIER = re.compile(r"<identifier>([^<]*)</identifier>")
_DATESTAMP = re.compile(r"<datestamp>([^<]*)</datestamp>")
XML = {"Content-Type": "text/xml; charset=utf-8"}
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class OaiRecord:
    identifier: str
    datestamp: str
    xml: str


def oai_records(data: Path) -> list[OaiRecord]:
    """Every recorded arXiv-format record once, in datestamp order (as arXiv answers)."""
    found: dict[str, OaiRecord] = {}
    for path in sorted((data / "arxiv_oai").glob("*.xml")):
        text = path.read_text(encoding="utf-8")
        if 'metadataPrefix="oai_dc"' in text:
            continue
        for xml in _RECORD.findall(text):
            ident = _IDENTIFIER.search(xml)
            stamp = _DATESTAMP.search(xml)
            assert ident and stamp
            found.setdefault(ident.group(1), OaiRecord(ident.group(1), stamp.group(1), xml))
    return sorted(found.values(), key=lambda r: (r.datestamp, r.identifier))


def oai_page(records: list[str], token: str | None) -> bytes:
    tail = f"<resumptionToken>{token}</resumptionToken>" if token else "<resumptionToken/>"
    body = "\n".join(records)
    return f"{OAI_HEAD}<ListRecords>\n{body}\n{tail}</ListRecords>\n</OAI-PMH>\n".encode()


def oai_error(code: str, message: str) -> bytes:
    return f'{OAI_HEAD}<error code="{code}">{message}</error>\n</OAI-PMH>\n'.encode()


class OaiEndpoint:
    """``ListRecords`` over ``records``: ``page_size`` a page, tokens ``FROM|UNTIL|OFFSET``."""

    def __init__(self, records: list[OaiRecord], reply: Any, page_size: int = 3) -> None:
        self.records = records
        self.reply = reply
        self.page_size = page_size

    def __call__(self, _path: str, query: dict[str, list[str]]) -> Any:
        token = query.get("resumptionToken", [None])[0]
        if token:
            start, until, offset = token.split("|")
        else:
            start = query.get("from", [""])[0]
            until = query.get("until", [""])[0]
            offset = "0"
        chosen = [
            r
            for r in self.records
            if (not start or r.datestamp >= start) and (not until or r.datestamp <= until)
        ]
        if not chosen:
            return self.reply(200, oai_error("noRecordsMatch", "no records"), XML)
        first = int(offset)
        page = chosen[first : first + self.page_size]
        more = first + self.page_size < len(chosen)
        next_token = f"{start}|{until}|{first + self.page_size}" if more else None
        return self.reply(200, oai_page([r.xml for r in page], next_token), XML)


class HfEndpoint:
    """``/api/daily_papers?date=D`` from the recorded ``daily_papers_D.json`` files."""

    def __init__(self, data: Path, reply: Any) -> None:
        self.files = {
            p.stem.removeprefix("daily_papers_"): p
            for p in (data / "hf_daily_papers").glob("*.json")
        }
        self.reply = reply

    def __call__(self, _path: str, query: dict[str, list[str]]) -> Any:
        day = query.get("date", [""])[0]
        page = int(query.get("p", ["0"])[0])
        path = self.files.get(day)
        body = path.read_bytes() if path and page == 0 else b"[]"
        return self.reply(200, body, JSON)
