"""Harvests of configured sources against local servers replaying recorded OAI-PMH and Hugging Face
responses, on both databases: backfill then incremental runs, a killed run rerun, leases, politeness,
a permanent error, and the listing rules."""

from __future__ import annotations

import subprocess
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select, update

from paperwire.db.engine import session_scope
from paperwire.db.holders import holder_id
from paperwire.db.models import DailyEntry, IntakeCandidate, IntakeSource, Paper
from paperwire.intake import harvest, listing, state
from tests.intake.conftest import make_settings, source
from tests.intake.replay import HfEndpoint, OaiEndpoint, OaiRecord

OAI_TODAY = date(2018, 12, 31)
OAI_SINCE = "2017-12-01"
HF_TODAY = date(2026, 5, 1)


def _id(record: OaiRecord) -> str:
    return record.identifier.removeprefix("oai:arXiv.org:")


def dump(engine: Engine) -> dict[str, Any]:
    """What a harvest leaves in the database, without the times of day it ran."""
    with engine.connect() as conn:
        return {
            "papers": sorted(conn.execute(select(Paper.id, Paper.content_hash)).all()),
            "entries": sorted(
                conn.execute(
                    select(DailyEntry.paper_id, DailyEntry.list_date, DailyEntry.submitter_name)
                ).all()
            ),
            "candidates": sorted(
                conn.execute(select(IntakeCandidate.paper_id, IntakeCandidate.list_date)).all()
            ),
            "cursors": sorted(conn.execute(select(IntakeSource.name, IntakeSource.cursor)).all()),
        }


def oai_source(server: Any, **raw: Any) -> Any:
    options = {
        "name": "arxiv-hep",
        "kind": "oai",
        "base_url": server.url + "/oai",
        "since": OAI_SINCE,
        "list": "match",
        "match": ["cat:hep-th"],
        "max_per_day": 2,
        **raw,
    }
    return source(**options)


def test_oai_backfills_then_asks_only_from_the_stored_datestamp(
    db: tuple[str, Engine],
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    records: list[OaiRecord],
) -> None:
    database_url, engine = db
    recording_server.route("/oai", OaiEndpoint(records, reply))
    src = oai_source(recording_server)
    cfg = make_settings(database_url, tmp_path, [])
    first = harvest.run_source(cfg, engine, src, today=OAI_TODAY, batch_size=4)
    wanted = [r for r in records if r.datestamp >= OAI_SINCE]
    assert len(wanted) == 10 and first.ok, first.summary()
    assert recording_server.requests[0][1]["from"] == [OAI_SINCE]
    assert first.added == 10 and first.cursor == wanted[-1].datestamp == "2018-12-10"
    with engine.connect() as conn:
        stored = set(conn.execute(select(Paper.id)).scalars())
        categories = dict(conn.execute(select(Paper.id, Paper.categories)).all())
        entries = conn.execute(
            select(DailyEntry.paper_id, DailyEntry.list_date, DailyEntry.submitter_name)
        ).all()
    assert stored == {_id(r) for r in wanted}
    # The listing rule: exactly the hep-th papers of each announced day, at most 2 a day.
    expected: dict[date, list[str]] = {}
    for r in wanted:
        pid = _id(r)
        if any(c == "hep-th" or c.startswith("hep-th.") for c in categories[pid]):
            expected.setdefault(date.fromisoformat(r.datestamp), []).append(pid)
    listed = {(pid, day) for day, ids in expected.items() for pid in sorted(ids)[:2]}
    assert len(listed) >= 3 and any(len(ids) > 2 for ids in expected.values())
    assert {(pid, day) for pid, day, _ in entries} == listed
    assert {name for _, _, name in entries} == {"arxiv-hep"}
    assert "ops@lab.example" in recording_server.agents[0]
    before = dump(engine)
    asked = len(recording_server.requests)
    second = harvest.run_source(cfg, engine, src, today=OAI_TODAY, batch_size=4)
    assert recording_server.requests[asked][1]["from"] == ["2018-12-10"]
    assert second.added == 0 and second.listed == 0 and second.ok
    assert dump(engine) == before
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "arxiv-hep")
        assert row is not None
        assert (row.runs, row.added, row.last_status, row.lease_holder) == (2, 10, "ok", None)
        assert row.last_success_at is not None and row.next_run_at is not None


class Killed(BaseException):
    """A process killed in the middle of a batch: nothing of the batch is committed."""


def test_a_run_killed_mid_batch_resumes_to_the_same_database(
    db: tuple[str, Engine],
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    records: list[OaiRecord],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_url, engine = db
    recording_server.route("/oai", OaiEndpoint(records, reply))
    src = oai_source(recording_server)
    cfg = make_settings(database_url, tmp_path, [])
    relist = listing.relist_day
    calls = {"n": 0}

    def dies_in_the_second_batch(*args: Any) -> int:
        calls["n"] += 1
        if calls["n"] == 2:  # 2017-12-14 is the first batch's day; the second batch dies
            raise Killed
        return relist(*args)

    monkeypatch.setattr(listing, "relist_day", dies_in_the_second_batch)
    with pytest.raises(Killed):
        harvest.run_source(cfg, engine, src, today=OAI_TODAY, batch_size=4)
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "arxiv-hep")
        assert row is not None and row.cursor == "2017-12-14" and row.lease_holder is None
        assert row.last_status == "failed" and row.last_success_at is None
        assert "interrupted (Killed)" in (row.last_error or "")
        assert len(session.scalars(select(Paper.id)).all()) == 4
    monkeypatch.setattr(listing, "relist_day", relist)
    rerun = harvest.run_source(cfg, engine, src, today=OAI_TODAY, batch_size=4)
    assert rerun.ok and rerun.cursor == "2018-12-10"
    resumed = dump(engine)
    with session_scope(engine) as session:
        for table in (DailyEntry, IntakeCandidate, Paper, IntakeSource):
            session.execute(delete(table))
    clean = harvest.run_source(cfg, engine, src, today=OAI_TODAY, batch_size=4)
    assert clean.ok
    assert dump(engine) == resumed


def test_two_workers_never_harvest_one_source_at_once(
    db: tuple[str, Engine],
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    records: list[OaiRecord],
) -> None:
    database_url, engine = db
    endpoint = OaiEndpoint(records, reply)

    def slow(path: str, query: dict[str, list[str]]) -> Any:
        time.sleep(0.15)
        return endpoint(path, query)

    recording_server.route("/oai", slow)
    src = oai_source(recording_server)
    cfg = make_settings(database_url, tmp_path, [])
    state.ensure_rows(engine, [src])
    reports: list[harvest.RunReport] = []
    barrier = threading.Barrier(2)

    def worker(holder: str) -> None:
        barrier.wait()
        reports.append(harvest.run_source(cfg, engine, src, holder=holder, today=OAI_TODAY))

    threads = [threading.Thread(target=worker, args=(f"w{i}:1",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status for r in reports) == ["busy", "ok"]
    # A worker that died holding the lease (its process is gone) is taken over at once.
    dead = subprocess.Popen(["true"])
    dead.wait()
    with session_scope(engine) as session:
        session.execute(
            update(IntakeSource).values(
                lease_holder=holder_id(dead.pid),
                lease_expires_at=date(2999, 1, 1),
            )
        )
    assert state.take_lease(engine, "arxiv-hep", "someone-else:1") is True
    assert state.take_lease(engine, "arxiv-hep", "a-third:1") is False


def test_hf_politeness_and_incremental_dates(
    db: tuple[str, Engine],
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    shared_data: Path,
) -> None:
    database_url, engine = db
    recording_server.route("/api/daily_papers", HfEndpoint(shared_data, reply))
    recording_server.queue(
        "/api/daily_papers", reply(503, b"busy", {"Retry-After": "1", "Content-Type": "text/plain"})
    )
    src = source(
        name="hf-daily",
        kind="hf",
        base_url=recording_server.url,
        since="2026-04-27",
        min_interval="0.2s",
        list="all",
        max_per_day=5,
    )
    cfg = make_settings(database_url, tmp_path, [])
    first = harvest.run_source(cfg, engine, src, today=HF_TODAY)
    assert first.ok and first.cursor == "2026-05-01", first.summary()
    days = [q["date"][0] for _, q in recording_server.requests]
    assert days == [
        "2026-04-27",
        "2026-04-27",
        "2026-04-28",
        "2026-04-29",
        "2026-04-30",
        "2026-05-01",
    ]
    gaps = [b - a for a, b in zip(recording_server.times, recording_server.times[1:], strict=False)]
    assert gaps[0] >= 0.95  # the 503's Retry-After: 1 was waited out
    assert min(gaps) >= 0.19  # min_interval 0.2 s
    with engine.connect() as conn:
        per_day = conn.execute(select(DailyEntry.list_date, DailyEntry.submitter_name)).all()
    assert {name for _, name in per_day} == {"hf-daily"}
    counts: dict[date, int] = {}
    for day, _ in per_day:
        counts[day] = counts.get(day, 0) + 1
    assert max(counts.values()) == 5 and len(counts) >= 4
    before = dump(engine)
    asked = len(recording_server.requests)
    second = harvest.run_source(cfg, engine, src, today=HF_TODAY)
    assert [q["date"][0] for _, q in recording_server.requests[asked:]] == [
        "2026-04-30",
        "2026-05-01",
    ]
    assert second.added == 0 and second.listed == 0 and dump(engine) == before


def test_a_permanent_error_stops_that_source_only(
    db: tuple[str, Engine],
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    shared_data: Path,
) -> None:
    database_url, engine = db
    recording_server.route("/api/daily_papers", HfEndpoint(shared_data, reply))
    broken = source(
        name="broken", kind="hf", base_url=recording_server.url + "/gone", since="2026-05-01"
    )
    fine = source(name="fine", kind="hf", base_url=recording_server.url, since="2026-05-01")
    cfg = make_settings(database_url, tmp_path, [])
    reports = harvest.run_sources(cfg, engine, [broken, fine], today=HF_TODAY)
    assert [r.status for r in reports] == ["failed", "ok"]
    assert reports[1].added == 16
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "broken")
        assert row is not None and row.cursor is None and row.last_success_at is None
        assert "HTTP 404" in (row.last_error or "")
        assert (row.last_error_url or "").startswith(
            recording_server.url + "/gone/api/daily_papers"
        )


def test_arxiv_api_asks_from_the_newest_submission_seen(
    db: tuple[str, Engine], tmp_path: Path, recording_server: Any, reply: Any, shared_data: Path
) -> None:
    database_url, engine = db
    folder = shared_data / "arxiv_api" / "recorded_2026"
    full = (folder / "q_testing_s0_m100_cfe7536492ca.xml").read_bytes()  # 100 entries
    empty = (folder / "id_0000.0000_s0_m100_8b51d9633a68.xml").read_bytes()  # no entries

    def feed(_path: str, query: dict[str, list[str]]) -> Any:
        body = full if query["start"] == ["0"] else empty
        return reply(200, body, {"Content-Type": "application/atom+xml"})

    recording_server.route("/api/query", feed)
    src = source(
        name="testing", kind="arxiv", base_url=recording_server.url + "/api/query", query="testing"
    )
    cfg = make_settings(database_url, tmp_path, [])
    first = harvest.run_source(cfg, engine, src, since=date(1991, 8, 1), today=HF_TODAY)
    assert first.ok and first.added == 100, first.summary()
    with engine.connect() as conn:
        newest = max(conn.execute(select(Paper.published_at)).scalars())
    assert first.cursor == newest.date().isoformat()
    asked = len(recording_server.requests)
    second = harvest.run_source(cfg, engine, src, today=HF_TODAY)
    query = recording_server.requests[asked][1]["search_query"][0]
    assert f"submittedDate:[{newest:%Y%m%d}0000 TO {HF_TODAY:%Y%m%d}2359]" in query
    assert second.added == 0 and second.cursor == first.cursor
