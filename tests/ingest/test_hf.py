"""The Hugging Face daily-papers source: every recorded list, bad items and files, the live API
(date, week, month, paging, error pages) against the recording server, and the CLI."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperwire.cli.app import app
from paperwire.db.models import DailyEntry, Paper
from paperwire.errors import SourceError, UsageError
from paperwire.ingest import hf
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import run_ingest
from paperwire.papers.records import PaperRecord
from tests.recording import ALLOW_LOCAL, LOCAL, RecordingServer, Reply


@pytest.fixture
def lists(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "hf_daily_papers").glob("daily_papers_*.json"))


def _row(engine: Engine, model: Any, key: Any, paper_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(model.__table__).where(key == paper_id)).mappings().one()
    return dict(row)


def test_every_recorded_list_loads(engine: Engine, lists: list[Path]) -> None:
    items = [item for path in lists for item in hf.read_file(path)]
    # 56 archived lists (1,532 items) plus the 29-item capture of 2024-10-25.
    assert len(lists) == 57 and len(items) == 1561
    assert not [i for i in items if isinstance(i, Rejection)]

    report = run_ingest(engine, "hf", items)
    assert report.rejected == [] and report.added == 1560
    with engine.connect() as conn:
        assert len(conn.execute(select(Paper.id)).all()) == 1560
        assert len(conn.execute(select(DailyEntry.paper_id)).all()) == 1560
        baselines = dict(conn.execute(select(Paper.id, Paper.upvotes_baseline)).all())

    recorded: dict[str, int] = {}
    for path in lists:
        for item in json.loads(path.read_text()):
            pid = item["paper"]["id"]
            recorded[pid] = max(recorded.get(pid, 0), item["paper"]["upvotes"])
    assert baselines == recorded

    # On two lists: it stays in the earlier one, with the higher of its two upvote counts.
    twice = _row(engine, DailyEntry, DailyEntry.paper_id, "2606.11176")
    assert twice["list_date"] == date(2026, 6, 10)
    assert baselines["2606.11176"] == 82


def test_the_submitter_links_and_extras_are_kept(engine: Engine, lists: list[Path]) -> None:
    run_ingest(engine, "hf", (i for p in lists for i in hf.read_file(p)))
    paper = _row(engine, Paper, Paper.id, "2606.10651")
    assert paper["title"] == "Kwai Keye-VL-2.0 Technical Report"
    assert paper["authors"][:3] == ["Kwai Keye Team", "Bin Wen", "Changyi Liu"]
    assert paper["published_at"] == datetime(2026, 6, 9)
    assert paper["upvotes_baseline"] == 163
    assert paper["sources"] == ["hf"]
    assert paper["links"][:2] == [
        {"kind": "code", "url": "https://github.com/Kwai-Keye/Keye"},
        {"kind": "project", "url": "https://kwai-keye.github.io/"},
    ]
    extras = paper["extras"]
    assert extras["github_repo"] == "https://github.com/Kwai-Keye/Keye"
    assert extras["project_page"] == "https://kwai-keye.github.io/"
    assert extras["ai_summary"].startswith("Kwai Keye-VL-2.0-30B-A3B is an open-source")
    assert extras["ai_keywords"][:2] == ["Mixture-of-Experts", "multimodal foundation model"]
    assert extras["github_stars"] == 782
    assert extras["hf_discussion_id"] == "6a28cfb8e7d78ea7587e543b"
    assert extras["thumbnail"].endswith("/papers/2606.10651.png")
    entry = _row(engine, DailyEntry, DailyEntry.paper_id, "2606.10651")
    assert entry["list_date"] == date(2026, 6, 10)
    assert entry["submitted_at"] == datetime(2026, 6, 10)
    assert entry["source"] == "hf"
    assert entry["submitter_name"] == "liangtm"
    assert entry["submitter_info"]["fullname"] == "Tianming Liang"
    assert entry["submitter_info"]["avatarUrl"] == "/avatars/c71db3bee0fcd9aabcc38fd871d1cb75.svg"
    assert entry["imported_comments"] == 1


def test_the_2024_shape_takes_its_date_from_the_file_name(lists: list[Path]) -> None:
    path = next(p for p in lists if p.name == "daily_papers_2024-10-25.json")
    first = next(iter(hf.read_file(path)))
    assert isinstance(first, PaperRecord) and first.entry is not None
    assert first.id == "2410.17243"
    assert first.title == (
        "Breaking the Memory Barrier: Near Infinite Batch Size Scaling for Contrastive Loss"
    )
    assert first.entry.list_date == date(2024, 10, 25)
    assert first.entry.submitted_at == datetime(2024, 10, 25, 0, 57, 9)
    assert first.entry.submitter_name == "ClownRat"
    assert first.entry.imported_comments == 3
    assert len(first.extras["media_urls"]) == 3
    assert "ai_summary" not in first.extras

    older = next(p for p in lists if p.name == "daily_papers_2024-05-27.json")
    item = next(iter(hf.read_file(older)))
    assert isinstance(item, PaperRecord) and item.entry is not None
    assert item.entry.submitter_name is None and item.entry.submitter_info == {}
    assert item.extras["media_urls"] == [
        "https://cdn-thumbnails.huggingface.co/social-thumbnails/papers/2405.15738.png"
    ]


def test_without_a_file_date_the_item_date_is_used(lists: list[Path], tmp_path: Path) -> None:
    source = next(p for p in lists if p.name == "daily_papers_2024-10-25.json")
    renamed = tmp_path / "saved.json"
    renamed.write_bytes(source.read_bytes())
    item = next(iter(hf.read_file(renamed)))
    assert isinstance(item, PaperRecord) and item.entry is not None
    assert item.entry.list_date == date(2024, 10, 25)


def test_bad_items_are_rejected_by_index_and_the_rest_kept(
    lists: list[Path], tmp_path: Path
) -> None:
    good = json.loads(lists[-1].read_text())
    missing_id = json.loads(json.dumps(good[1]))
    del missing_id["paper"]["id"]
    bad_id = json.loads(json.dumps(good[2]))
    bad_id["paper"]["id"] = "not a paper"
    path = tmp_path / "daily_papers_2026-07-03.json"
    path.write_text(json.dumps([good[0], missing_id, 7, bad_id, {"title": "x"}, good[3]]))
    items = list(hf.read_file(path))
    rejected = [(i.where, i.reason) for i in items if isinstance(i, Rejection)]
    assert rejected == [
        (f"{path}: item 1", "paper has no id"),
        (f"{path}: item 2", "not a JSON object but int"),
        (f"{path}: item 3", "not an arXiv id: 'not a paper'"),
        (f"{path}: item 4", "no paper object"),
    ]
    assert [i.id for i in items if isinstance(i, PaperRecord)] == [
        good[0]["paper"]["id"],
        good[3]["paper"]["id"],
    ]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'[{"paper": {"id": "2606.10651"', "invalid JSON"),
        (b'{"error": "Invalid date"}', "not a JSON array but a JSON dict"),
        (b"<!DOCTYPE html><html><title>502</title></html>", "an HTML page"),
    ],
)
def test_a_bad_file_is_one_rejection(tmp_path: Path, body: bytes, reason: str) -> None:
    path = tmp_path / "daily_papers_2026-07-03.json"
    path.write_bytes(body)
    (rejection,) = hf.read_file(path)
    assert isinstance(rejection, Rejection)
    assert rejection.source == "hf" and rejection.where == str(path)
    assert rejection.reason.startswith(reason)


# --- the live API ------------------------------------------------------------------------------


def _serve_lists(server: RecordingServer, lists: list[Path]) -> None:
    """Answer /api/daily_papers like Hugging Face: the lists of a date, week or month, paged."""
    by_date = {date.fromisoformat(p.stem[-10:]): json.loads(p.read_text()) for p in lists}

    def respond(_path: str, query: dict[str, list[str]]) -> Reply:
        if "date" in query:
            days = [date.fromisoformat(query["date"][0])]
        elif "week" in query:
            year, week = query["week"][0].split("-W")
            days = [d for d in by_date if d.isocalendar()[:2] == (int(year), int(week))]
        else:
            days = [d for d in by_date if d.isoformat()[:7] == query["month"][0]]
        items = [item for d in sorted(days) for item in by_date.get(d, [])]
        page, limit = int(query["p"][0]), int(query["limit"][0])
        body = json.dumps(items[page * limit : (page + 1) * limit]).encode()
        return Reply(200, body, {"Content-Type": "application/json"})

    server.route("/api/daily_papers", respond)


def _fetch(server: RecordingServer, **period: Any) -> list[Any]:
    with Fetcher(source="hf", min_interval=0, retries=0, allow_private=LOCAL) as fetcher:
        return list(hf.fetch(fetcher, server.url, **period))


def test_live_by_date_week_and_month(recording_server: RecordingServer, lists: list[Path]) -> None:
    _serve_lists(recording_server, lists)
    day = _fetch(recording_server, date=date(2026, 6, 10))
    assert len(day) == 35 and all(isinstance(i, PaperRecord) for i in day)
    assert recording_server.requests[0] == (
        "/api/daily_papers",
        {"date": ["2026-06-10"], "p": ["0"], "limit": ["100"]},
    )
    week = _fetch(recording_server, week="2026-W24")  # 2026-06-08 .. 06-12
    assert {i.entry.list_date for i in week} == {date(2026, 6, d) for d in (8, 9, 10, 11, 12)}
    month = _fetch(recording_server, month="2026-05")
    assert len(month) == sum(
        len(json.loads(p.read_text())) for p in lists if p.name.startswith("daily_papers_2026-05")
    )
    # More than 100 papers in a month: paged with p=0, 1, 2, ... until a short page.
    pages = [q["p"][0] for path, q in recording_server.requests if q.get("month")]
    assert pages == [str(n) for n in range(len(month) // 100 + 1)]


def test_live_paging_stops_at_a_short_page(
    recording_server: RecordingServer, lists: list[Path]
) -> None:
    _serve_lists(recording_server, lists)
    with Fetcher(source="hf", min_interval=0, retries=0, allow_private=LOCAL) as fetcher:
        items = list(hf.fetch(fetcher, recording_server.url, date=date(2024, 10, 25), page_size=10))
    assert len(items) == 29 and len({i.id for i in items}) == 29
    assert [q["p"] for _, q in recording_server.requests] == [["0"], ["1"], ["2"]]


def test_live_stops_when_the_server_ignores_paging(recording_server: RecordingServer) -> None:
    item = {"paper": {"id": "2606.10651", "title": "T", "publishedAt": "2026-06-09T00:00:00Z"}}
    body = json.dumps([item]).encode()
    recording_server.route("/api/daily_papers", lambda _p, _q: Reply(200, body))
    with Fetcher(source="hf", min_interval=0, retries=0, allow_private=LOCAL) as fetcher:
        items = list(hf.fetch(fetcher, recording_server.url, date=date(2026, 6, 10), page_size=1))
    assert [i.id for i in items] == ["2606.10651", "2606.10651"]
    assert len(recording_server.requests) == 2


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (
            Reply(
                200, b"<!DOCTYPE html><html><body>Oops</body></html>", {"Content-Type": "text/html"}
            ),
            "an HTML page, not a daily-papers JSON response",
        ),
        (Reply(200, b'[{"paper": ', {"Content-Type": "application/json"}), "invalid JSON"),
        (Reply(404, b'{"error": "not found"}'), "HTTP 404"),
    ],
)
def test_live_error_responses_name_the_url(
    recording_server: RecordingServer, reply: Reply, reason: str
) -> None:
    recording_server.route("/api/daily_papers", lambda _p, _q: reply)
    with pytest.raises(SourceError) as caught:
        _fetch(recording_server, date=date(2026, 6, 10))
    message = str(caught.value)
    assert message.startswith(f"hf: {recording_server.url}/api/daily_papers?date=2026-06-10&p=0")
    assert reason in message


def test_live_keeps_earlier_pages_when_a_later_one_fails(
    engine: Engine, recording_server: RecordingServer, lists: list[Path]
) -> None:
    _serve_lists(recording_server, lists)
    first_page = recording_server.routes["/api/daily_papers"]
    recording_server.route(
        "/api/daily_papers",
        lambda p, q: first_page(p, q) if q["p"] == ["0"] else Reply(200, b"<html>busy</html>"),
    )
    with Fetcher(source="hf", min_interval=0, retries=0, allow_private=LOCAL) as fetcher:
        items = hf.fetch(fetcher, recording_server.url, date=date(2026, 6, 10), page_size=20)
        report = run_ingest(engine, "hf", items)
    assert report.added == 20
    assert report.failure is not None and "p=1" in report.failure
    assert "an HTML page" in report.failure


def test_a_period_must_be_one_well_formed_value() -> None:
    with pytest.raises(UsageError):
        hf.period_params(None, "2026-24", None)
    with pytest.raises(UsageError):
        hf.period_params(None, None, "2026-13")
    with pytest.raises(UsageError):
        hf.period_params(date(2026, 6, 1), "2026-W23", None)
    assert hf.period_params(None, "2026-W23", None) == {"week": "2026-W23"}


# --- the command -------------------------------------------------------------------------------


def test_the_cli_reads_files_and_the_live_api(
    env: dict[str, str], recording_server: RecordingServer, lists: list[Path], tmp_path: Path
) -> None:
    runner = CliRunner()
    files = [a for p in lists[:3] for a in ("--file", str(p))]
    result = runner.invoke(app, ["ingest", "hf", *files])
    assert result.exit_code == 0, result.output
    assert "hf: 52 added, 0 updated, 0 unchanged, 0 rejected" in result.stdout

    _serve_lists(recording_server, lists)
    live = runner.invoke(
        app,
        [
            "ingest",
            "hf",
            "--base-url",
            recording_server.url,
            "--date",
            "2026-06-10",
            "--delay",
            "0",
        ],
        env=ALLOW_LOCAL,
    )
    assert live.exit_code == 0, live.output
    assert "hf: 35 added, 0 updated, 0 unchanged, 0 rejected" in live.stdout

    bad = tmp_path / "daily_papers_2026-06-10.json"
    bad.write_text("[7]")
    failed = runner.invoke(app, ["ingest", "hf", "--file", str(bad)])
    assert failed.exit_code == 1
    assert f"rejected: hf: {bad}: item 0: not a JSON object but int" in failed.stderr
    assert "hf: 0 added, 0 updated, 0 unchanged, 1 rejected" in failed.stdout
