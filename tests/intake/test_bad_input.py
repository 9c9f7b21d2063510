"""Bad input from an OAI-PMH endpoint (error codes, an HTML page, a truncated response, a record
without an id, a date in the future, no answer at all), on both databases: each is recorded in the
source's state with the reason and URL, the valid records are kept, and the cursor does not move
past what was not stored."""

from __future__ import annotations

import re
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from paperwire.db.engine import session_scope
from paperwire.db.models import IntakeSource, Paper
from paperwire.intake import harvest
from tests.intake.conftest import make_settings, source
from tests.intake.replay import XML, OaiRecord, oai_error, oai_page

TODAY = date(2018, 12, 31)
DAY = "2017-12-14"


def _no_id(xml: str) -> str:
    return re.sub(
        r"<identifier>[^<]*</identifier>",
        "<identifier></identifier>",
        re.sub(r"<id>[^<]*</id>", "<id></id>", xml),
    )


def _future(xml: str) -> str:
    return re.sub(r"<datestamp>[^<]*</datestamp>", "<datestamp>2030-01-01</datestamp>", xml)


# case: (what the second page is, what the state's error says, a failure (True) or rejections)
CASES = {
    "badResumptionToken": ("badResumptionToken", True),
    "badArgument": ("badArgument", True),
    "html": ("an HTML page", True),
    "truncated": ("RemoteProtocolError", True),
    "timeout": ("no complete answer within 0.3 s", True),
    "no-id": ("no identifier", False),
    "future": ("is in the future", False),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_recorded_and_valid_records_kept(
    case: str,
    db: tuple[str, Engine],
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    records: list[OaiRecord],
) -> None:
    database_url, engine = db
    first = [r for r in records if r.datestamp == DAY][:3]
    later = [r for r in records if r.datestamp > DAY][:3]
    good = oai_page([r.xml for r in first], "next")

    def second() -> Any:
        if case in ("badResumptionToken", "badArgument"):
            return reply(200, oai_error(case, "the server says no"), XML)
        if case == "html":
            page = b"<!DOCTYPE html><html><head><title>Down for maintenance</title></head></html>"
            return reply(200, page, {"Content-Type": "text/html"})
        body = oai_page([r.xml for r in later], None)
        if case == "truncated":
            return reply(200, body, XML, truncate_at=len(body) // 2)
        if case == "timeout":
            time.sleep(0.6)
            return reply(200, body, XML)
        bad = _no_id(later[0].xml) if case == "no-id" else _future(later[0].xml)
        return reply(200, oai_page([bad, *(r.xml for r in later[1:])], None), XML)

    def endpoint(_path: str, query: dict[str, list[str]]) -> Any:
        return second() if query.get("resumptionToken") else reply(200, good, XML)

    recording_server.route("/oai", endpoint)
    src = source(
        name="hep",
        kind="oai",
        base_url=recording_server.url + "/oai",
        since="2017-12-01",
        retries=0,
        timeout="0.3s",
        list="all",
    )
    cfg = make_settings(database_url, tmp_path, [])
    report = harvest.run_source(cfg, engine, src, today=TODAY, batch_size=2)
    reason, fails = CASES[case]
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "hep")
        assert row is not None
        stored = set(session.scalars(select(Paper.id)))
        shown = (row.last_error or "") + " ".join(row.problems)
        assert reason in shown, shown
        assert (row.last_error_url or "").startswith(recording_server.url + "/oai?"), (
            row.last_error_url
        )
        assert "resumptionToken=next" in (row.last_error_url or "")
        assert {r.identifier.removeprefix("oai:arXiv.org:") for r in first} <= stored
        if fails:
            assert report.status == "failed" and row.last_status == "failed"
            assert row.cursor == DAY  # not past the last stored record
            assert len(stored) == 3
        else:
            assert report.status == "rejected" and len(report.rejected) == 1
            assert len(stored) == 5  # the two valid records of the bad page are kept
            assert row.cursor is not None and row.cursor <= TODAY.isoformat()
            assert row.cursor == later[-1].datestamp
