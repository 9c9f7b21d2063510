"""The arXiv metadata snapshot (Kaggle's ``arxiv-metadata-oai-snapshot.json``): JSON lines, plain
or gzip, read one line at a time so memory stays flat whatever the file size.

Each line becomes a ``PaperRecord``; a line that cannot be used (invalid JSON, a truncated last
line, no id or title, not an object) becomes a ``Rejection`` naming ``FILE:LINE`` and the lines
after it still load.
"""

from __future__ import annotations

import email.utils
import gzip
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from io import BufferedIOBase
from pathlib import Path
from typing import Any

import orjson

from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import Item
from paperwire.papers.ids import ArxivId, try_parse_arxiv_id
from paperwire.papers.links import extract_links
from paperwire.papers.records import PaperRecord, clean_abstract, clean_line, utc_naive

SOURCE = "snapshot"
GZIP_MAGIC = b"\x1f\x8b"
_BARE_NEW_ID = re.compile(r"\d{4}\.\d{4,5}")

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1
    )
}


def _rfc2822(text: object) -> datetime | None:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` as naive UTC; the fast path covers every snapshot line
    (the library parser costs a tenth of the whole per-record budget)."""
    if not isinstance(text, str) or not text:
        return None
    parts = text.split()
    if len(parts) == 6 and parts[5] in ("GMT", "UTC", "+0000") and parts[2] in _MONTHS:
        clock = parts[4].split(":")
        if len(clock) == 3 and parts[1].isdigit() and parts[3].isdigit():
            try:
                return datetime(
                    int(parts[3]),
                    _MONTHS[parts[2]],
                    int(parts[1]),
                    int(clock[0]),
                    int(clock[1]),
                    int(clock[2]),
                )
            except ValueError:
                return None
    try:
        return utc_naive(email.utils.parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def _versions(value: object) -> tuple[int | None, datetime | None, datetime | None]:
    """(latest version, first created, last created) from ``[{"version": "v1", "created": ...}]``."""
    found: list[tuple[int, object]] = []
    if isinstance(value, list):
        for v in value:
            if isinstance(v, dict):
                label = v.get("version")
                if isinstance(label, str) and label[:1] in "vV" and label[1:].isdigit():
                    found.append((int(label[1:]), v.get("created")))
    if not found:
        return None, None, None
    found.sort(key=lambda x: x[0])
    first, last = found[0], found[-1]
    published = _rfc2822(first[1])
    return last[0], published, published if last is first else _rfc2822(last[1])


def _authors(parsed: object, plain: object) -> list[str]:
    """``authors_parsed`` ([last, first, suffix]) as "first last suffix", else the plain string."""
    names: list[str] = []
    if isinstance(parsed, list):
        for entry in parsed:
            if isinstance(entry, list) and entry:
                last, first, suffix = ([*entry, "", ""])[:3]
                name = " ".join(p for p in (first, last, suffix) if isinstance(p, str) and p)
                if name:
                    names.append(clean_line(name))
    if names or not isinstance(plain, str):
        return names
    flat = clean_line(plain).replace(" and ", ", ")
    return [n for n in (clean_line(x) for x in flat.split(",")) if n]


def _text(value: object) -> str | None:
    return (clean_line(value) or None) if isinstance(value, str) else None


def parse_line(obj: Any) -> PaperRecord | str:
    """One decoded snapshot line as a record, or the reason it cannot be used."""
    if not isinstance(obj, dict):
        return f"not a JSON object but {type(obj).__name__}"
    raw_id = obj.get("id")
    if not raw_id or not isinstance(raw_id, str):
        return "no id"
    # Nearly every line holds a bare new-style id; the full parser handles the rest.
    parsed = ArxivId(raw_id) if _BARE_NEW_ID.fullmatch(raw_id) else try_parse_arxiv_id(raw_id)
    if parsed is None:
        return f"not an arXiv id: {raw_id!r}"
    title = _text(obj.get("title"))
    if not title:
        return f"paper {parsed.id} has no title"
    raw_abstract = obj.get("abstract")
    abstract = clean_abstract(raw_abstract) if isinstance(raw_abstract, str) else ""
    comments = _text(obj.get("comments"))
    raw_categories = obj.get("categories")
    categories = raw_categories.split() if isinstance(raw_categories, str) else []
    version, published, updated = _versions(obj.get("versions"))
    extras: dict[str, Any] = {}
    for key in ("license", "report-no"):
        value = _text(obj.get(key))
        if value:
            extras[key.replace("-", "_")] = value
    return PaperRecord(
        id=parsed.id,
        arxiv_id=parsed.id,
        version=version or parsed.version,
        title=title,
        source=SOURCE,
        abstract=abstract,
        authors=_authors(obj.get("authors_parsed"), obj.get("authors")),
        categories=categories,
        published_at=published,
        updated_at=updated,
        doi=_text(obj.get("doi")),
        journal_ref=_text(obj.get("journal-ref")),
        comments=comments,
        links=extract_links(abstract, comments),
        extras=extras,
    )


def parse_lines(lines: Iterable[bytes], place: str) -> Iterator[Item]:
    """Records (or rejections naming ``place:LINE``) of an iterable of JSON lines."""
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            reason = f"invalid JSON: {exc}"
            if not raw.endswith(b"\n"):
                reason = f"truncated last line ({reason})"
            yield Rejection(SOURCE, f"{place}:{lineno}", reason)
            continue
        result = parse_line(obj)
        if isinstance(result, str):
            yield Rejection(SOURCE, f"{place}:{lineno}", result)
        else:
            result.origin = f"{place}:{lineno}"
            yield result


def _open(path: Path) -> BufferedIOBase:
    fh: BufferedIOBase = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if fh.read(2) == GZIP_MAGIC:
        fh.close()
        return gzip.open(path, "rb")
    fh.seek(0)
    return fh


def read_file(path: Path) -> Iterator[Item]:
    """Stream the records of a snapshot file (gzip detected by its magic bytes, not its name)."""
    place = str(path)
    try:
        fh = _open(path)
    except OSError as exc:
        yield Rejection(SOURCE, place, f"cannot read file: {exc.strerror or exc}")
        return
    counted = _Counted(fh)
    try:
        yield from parse_lines(counted, place)
    except (OSError, EOFError, zlib.error) as exc:
        # A cut-off or corrupt gzip stream: what came before stands.
        where = f"{place}:{counted.lines + 1}"
        yield Rejection(SOURCE, where, f"cannot read on: {exc or type(exc).__name__}")
    finally:
        fh.close()


class _Counted:
    """Lines of a binary file, counting them so a read error can name where it happened."""

    def __init__(self, fh: BufferedIOBase) -> None:
        self.fh = fh
        self.lines = 0

    def __iter__(self) -> Iterator[bytes]:
        for line in self.fh:
            self.lines += 1
            yield line
