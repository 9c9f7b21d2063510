"""The arXiv API source: every recorded Atom response (2016 and 2026 formats), and live queries
against a local server replaying them (paging and its stops, retries, broken responses), on both
databases."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperwire.cli.app import app
from paperwire.db.models import DailyEntry, Paper
from paperwire.errors import SourceError
from paperwire.ingest import arxiv_api
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import Item, run_ingest
from paperwire.papers.records import PaperRecord
from tests import recording

ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
PATH = "/api/query"
ERROR_FILE = "recorded_2026/id_abc_s0_m100_b79c8dcf6bc3.xml"
EMPTY_FILE = "recorded_2026/id_0000.0000_s0_m100_8b51d9633a68.xml"
QUANT_PH_FILE = "recorded_2026/id_quant-ph_0201082v1_s0_m100_86989fe779ef.xml"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>arXiv is down for maintenance</h1></body></html>\n"
)


def api_files(shared_data: Path) -> list[Path]:
    return sorted((shared_data / "arxiv_api").rglob("*.xml"))


def recorded_pages(shared_data: Path) -> dict[int, bytes]:
    """The recorded ``all:testing`` pages of ten, by their ``start``: 0, 10, ... 50."""
    pages = {}
    for path in (shared_data / "arxiv_api" / "recorded_2026").glob("q_testing_s*_m10_*.xml"):
        start = int(re.match(r"q_testing_s(\d+)_m10_", path.name).group(1))  # type: ignore[union-attr]
        if start % 10 == 0:
            pages[start] = path.read_bytes()
    return pages


def records(items: list[Item]) -> dict[str, PaperRecord]:
    return {i.id: i for i in items if isinstance(i, PaperRecord)}


def rejections(items: list[Item]) -> list[Rejection]:
    return [i for i in items if isinstance(i, Rejection)]


def fetcher(sleeps: list[float] | None = None, min_interval: float = 0.0) -> Fetcher:
    """A real fetcher whose waits are recorded instead of slept, so tests never depend on time."""

    def sleep(seconds: float) -> None:
        if sleeps is not None:
            sleeps.append(seconds)

    return Fetcher(
        source="arxiv",
        min_interval=min_interval,
        retries=2,
        backoff=0.01,
        sleep=sleep,
        allow_private=recording.LOCAL,
    )


def serve_pages(
    server: recording.RecordingServer, pages: dict[int, bytes], beyond: bytes | None = None
) -> None:
    """Answer each request with the recorded page for its ``start``; ``beyond`` past the last."""

    def respond(_path: str, query: dict[str, list[str]]) -> recording.Reply:
        start = int(query["start"][0])
        body = pages.get(start, beyond)
        if body is None:
            return recording.Reply(404, b"no such page", {"Content-Type": "text/plain"})
        return recording.Reply(200, body, ATOM)

    server.route(PATH, respond)


def starts(server: recording.RecordingServer) -> list[int]:
    return [int(q["start"][0]) for _p, q in server.requests]


def live(server: recording.RecordingServer, **options: object) -> list[Item]:
    with fetcher() as f:
        return list(arxiv_api.fetch(f, server.url + PATH, **options))  # type: ignore[arg-type]


# --- recorded files ----------------------------------------------------------------------------


def test_every_recorded_response_parses_one_item_per_entry(shared_data: Path) -> None:
    total = 0
    for path in api_files(shared_data):
        entries = path.read_bytes().count(b"<entry>")
        items = list(arxiv_api.read_file(path))
        assert len(items) == entries, path.name
        total += len(items)
        expected_rejections = 1 if path.name.startswith("id_abc") else 0
        assert len(rejections(items)) == expected_rejections, path.name
    assert total == 246


def test_legacy_2016_entry_fields_are_exact(shared_data: Path) -> None:
    path = shared_data / "arxiv_api" / "legacy_2016" / "id_list=1111.2011v2.xml"
    (rec,) = list(arxiv_api.read_file(path))
    assert isinstance(rec, PaperRecord)
    assert (rec.id, rec.arxiv_id, rec.version, rec.source) == ("1111.2011", "1111.2011", 2, "arxiv")
    assert rec.title == (
        "Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity Limit"
    )
    assert rec.abstract.startswith(
        "Theoretical description of anisotropic systems, such as layered"
    )
    assert "\n" not in rec.abstract
    assert rec.abstract.endswith(
        "adding a single extra dimension to the theory describing a single node."
    )
    assert rec.authors == ["James M. Murray", "Adrian Del Maestro", "Zlatko Tesanovic"]
    assert rec.categories == ["cond-mat.str-el", "cond-mat.stat-mech"]
    assert rec.published_at == datetime(2011, 11, 8, 18, 48, 36)
    assert rec.updated_at == datetime(2012, 4, 2, 12, 38, 54)
    assert rec.doi == "10.1103/PhysRevB.85.115117"
    assert rec.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert rec.comments == "8 pages, 3 figures. Published version"
    assert rec.links == []
    assert rec.entry is None


def test_2026_entry_fields_are_exact(shared_data: Path) -> None:
    path = next((shared_data / "arxiv_api" / "recorded_2026").glob("q_testing_s0_m10_*.xml"))
    rec = records(list(arxiv_api.read_file(path)))["2202.12139"]
    assert rec.version == 1
    assert rec.title == (
        "Testing Deep Learning Models: A First Comparative Study of Multiple Testing Techniques"
    )
    assert rec.authors == ["Mohit Kumar Ahuja", "Arnaud Gotlieb", "Helge Spieker"]
    assert rec.categories == ["cs.SE", "cs.LG"]
    assert rec.primary_category == "cs.SE"
    assert rec.published_at == datetime(2022, 2, 24, 15, 5, 19)
    assert rec.doi == "10.1109/ICSTW55395.2022.00035"
    assert rec.comments == "Artificial Intelligence in Software Testing 2022 workshop @ ICST 2022"
    assert rec.journal_ref is not None
    assert rec.journal_ref.startswith("Artificial Intelligence in Software Testing @ 2022 IEEE")


def test_primary_category_comes_first_and_code_links_are_found(shared_data: Path) -> None:
    path = next((shared_data / "arxiv_api" / "recorded_2026").glob("q_testing_s40_m10_*.xml"))
    rec = records(list(arxiv_api.read_file(path)))["1706.00679"]
    assert rec.version == 3
    assert {
        "kind": "code",
        "url": "https://github.com/ydecastro/super-resolution-testing",
    } in rec.links


@pytest.mark.parametrize(
    ("name", "expected_id", "version", "categories"),
    [
        ("id_astro-ph_0601001_", "astro-ph/0601001", 1, ["astro-ph"]),
        ("id_quant-ph_0201082v1_", "quant-ph/0201082", 1, ["quant-ph", "cs.PL"]),
    ],
)
def test_old_style_ids_come_out_canonical(
    shared_data: Path, name: str, expected_id: str, version: int, categories: list[str]
) -> None:
    path = next((shared_data / "arxiv_api" / "recorded_2026").glob(f"{name}*.xml"))
    (rec,) = list(arxiv_api.read_file(path))
    assert isinstance(rec, PaperRecord)
    assert (rec.id, rec.arxiv_id, rec.version, rec.categories) == (
        expected_id,
        expected_id,
        version,
        categories,
    )


def test_old_style_affiliations_are_kept(shared_data: Path) -> None:
    path = next((shared_data / "arxiv_api" / "recorded_2026").glob("id_astro-ph_0601001_*.xml"))
    (rec,) = list(arxiv_api.read_file(path))
    assert isinstance(rec, PaperRecord)
    assert rec.authors[0] == "Andrew Gould"
    assert rec.extras["affiliations"]["Andrew Gould"] == ["Ohio State"]


def test_submit_puts_each_paper_in_the_list_of_its_published_date(shared_data: Path) -> None:
    (rec,) = list(arxiv_api.read_file(shared_data / "arxiv_api" / QUANT_PH_FILE, submit=True))
    assert isinstance(rec, PaperRecord)
    assert rec.entry is not None
    assert (rec.entry.list_date, rec.entry.source) == (date(2002, 1, 18), "rule")


def test_error_entry_is_a_rejection_naming_the_file_and_arxivs_message(shared_data: Path) -> None:
    path = shared_data / "arxiv_api" / ERROR_FILE
    (item,) = list(arxiv_api.read_file(path))
    assert isinstance(item, Rejection)
    assert item.where == str(path)
    assert "incorrect id format for abc" in item.reason
    assert str(item).startswith(f"arxiv: {path}: arXiv reported an error")


def test_empty_result_is_zero_records(shared_data: Path) -> None:
    assert list(arxiv_api.read_file(shared_data / "arxiv_api" / EMPTY_FILE)) == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (HTML_PAGE, "an HTML page ('503 Service Unavailable') instead of an Atom feed"),
        (
            b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry>",
            "malformed XML",
        ),
        (b"", "empty response"),
        (b"<?xml version='1.0'?><rss><channel/></rss>", "expected an Atom <feed>, found <rss>"),
    ],
)
def test_a_file_that_is_not_a_feed_is_one_rejection_with_the_reason(
    tmp_path: Path, body: bytes, reason: str
) -> None:
    path = tmp_path / "response.xml"
    path.write_bytes(body)
    (item,) = list(arxiv_api.read_file(path))
    assert isinstance(item, Rejection)
    assert item.where == str(path)
    assert reason in item.reason


def test_a_bad_entry_is_rejected_with_its_line_and_the_others_are_kept(
    shared_data: Path, tmp_path: Path
) -> None:
    body = (shared_data / "arxiv_api" / QUANT_PH_FILE).read_text()
    entry = body[body.index("  <entry>") : body.index("</feed>")]
    broken = entry.replace("http://arxiv.org/abs/quant-ph/0201082v1", "http://example.org/x/1")
    path = tmp_path / "two.xml"
    path.write_text(body.replace("</feed>", broken + "</feed>"))
    items = list(arxiv_api.read_file(path))
    assert list(records(items)) == ["quant-ph/0201082"]
    (rejection,) = rejections(items)
    line = body.count("\n", 0, body.index("</feed>")) + 1
    assert rejection.where == f"{path}:{line}"
    assert "not an arXiv id: 'http://example.org/x/1'" in rejection.reason


def test_missing_file_is_a_rejection(tmp_path: Path) -> None:
    (item,) = list(arxiv_api.read_file(tmp_path / "nope.xml"))
    assert isinstance(item, Rejection)
    assert "cannot read the file" in item.reason


# --- into the database -------------------------------------------------------------------------


def test_ingesting_every_file_twice_changes_nothing_the_second_time(
    engine: Engine, shared_data: Path
) -> None:
    def items() -> list[Item]:
        return [i for p in api_files(shared_data) for i in arxiv_api.read_file(p, submit=True)]

    distinct = set(records(items()))
    first = run_ingest(engine, "arxiv", items())
    assert (first.added, len(first.rejected)) == (len(distinct), 1)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(Paper.id, Paper.content_hash)).all())
        entries = conn.execute(select(DailyEntry.paper_id, DailyEntry.list_date)).all()
    assert set(stored) == distinct
    assert len(entries) == len(distinct)
    second = run_ingest(engine, "arxiv", items())
    assert (second.added, second.updated, second.unchanged) == (0, 0, len(distinct))
    with engine.connect() as conn:
        assert dict(conn.execute(select(Paper.id, Paper.content_hash)).all()) == stored


def test_a_newer_version_updates_the_paper_and_an_older_one_does_not(
    engine: Engine, shared_data: Path, tmp_path: Path
) -> None:
    v1 = shared_data / "arxiv_api" / QUANT_PH_FILE
    v2 = tmp_path / "v2.xml"
    v2.write_text(
        v1.read_text()
        .replace("quant-ph/0201082v1", "quant-ph/0201082v2")
        .replace("Quantum Computers and Quantum", "Revised: Quantum Computers and Quantum")
        .replace("<updated>2002-01-18T15:08:05Z", "<updated>2003-05-01T10:00:00Z")
    )
    assert run_ingest(engine, "arxiv", arxiv_api.read_file(v1)).added == 1
    report = run_ingest(engine, "arxiv", arxiv_api.read_file(v2))
    assert (report.added, report.updated) == (0, 1)
    assert run_ingest(engine, "arxiv", arxiv_api.read_file(v1)).unchanged == 1
    with engine.connect() as conn:
        row = conn.execute(select(Paper).where(Paper.id == "quant-ph/0201082")).one()
    assert row.version == 2
    assert row.title.startswith("Revised: Quantum Computers")
    assert (row.published_at, row.updated_at) == (
        datetime(2002, 1, 18, 15, 8, 5),
        datetime(2003, 5, 1, 10, 0, 0),
    )


# --- live queries ------------------------------------------------------------------------------


def test_search_query_combines_query_categories_and_date_window() -> None:
    assert (
        arxiv_api.build_search_query(
            "au:del_maestro AND ti:checkerboard",
            ["cs.CL", "cs.LG"],
            date(2024, 3, 1),
            date(2024, 3, 7),
        )
        == "(au:del_maestro AND ti:checkerboard) AND (cat:cs.CL OR cat:cs.LG)"
        " AND submittedDate:[202403010000 TO 202403072359]"
    )
    assert arxiv_api.build_search_query(None, ["cs.CL"]) == "cat:cs.CL"


def test_live_paging_sends_arxiv_parameters_and_stops_at_max_results(
    recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    serve_pages(recording_server, recorded_pages(shared_data))
    items = live(recording_server, query="all:testing", page_size=10, max_results=35)
    assert len(records(items)) == 35
    assert starts(recording_server) == [0, 10, 20, 30]
    queries = [q for _p, q in recording_server.requests]
    assert [q["max_results"] for q in queries] == [["10"], ["10"], ["10"], ["5"]]
    for query in queries:
        assert query["search_query"] == ["all:testing"]
        assert (query["sortBy"], query["sortOrder"]) == (["submittedDate"], ["descending"])


def test_page_size_is_capped_at_2000(
    recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    empty = (shared_data / "arxiv_api" / EMPTY_FILE).read_bytes()
    serve_pages(recording_server, recorded_pages(shared_data), beyond=empty)
    live(recording_server, query="all:testing", page_size=5000, max_results=10)
    assert recording_server.requests[0][1]["max_results"] == ["10"]
    live(recording_server, categories=["cs.SE"], page_size=5000)
    assert recording_server.requests[1][1]["max_results"] == ["2000"]
    assert recording_server.requests[1][1]["search_query"] == ["cat:cs.SE"]


def test_paging_stops_at_an_empty_page(
    recording_server: recording.RecordingServer, shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = (shared_data / "arxiv_api" / EMPTY_FILE).read_bytes()
    serve_pages(recording_server, recorded_pages(shared_data), beyond=empty)
    with caplog.at_level(logging.INFO, logger="paperwire.ingest.arxiv_api"):
        items = live(recording_server, query="all:testing", page_size=10)
    assert len(records(items)) == 60
    assert starts(recording_server) == [0, 10, 20, 30, 40, 50, 60]
    assert "stopped: no entries at start=60" in caplog.text


def test_paging_stops_when_total_results_is_reached(
    recording_server: recording.RecordingServer, shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pages = {
        start: body.replace(b"<opensearch:totalResults>214881<", b"<opensearch:totalResults>25<")
        for start, body in recorded_pages(shared_data).items()
    }
    serve_pages(recording_server, pages)
    with caplog.at_level(logging.INFO, logger="paperwire.ingest.arxiv_api"):
        live(recording_server, query="all:testing", page_size=10)
    assert starts(recording_server) == [0, 10, 20]
    assert "stopped: all 25 results read" in caplog.text


def test_paging_stops_when_a_page_repeats_ids_already_seen(
    recording_server: recording.RecordingServer, shared_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = recorded_pages(shared_data)[0]
    serve_pages(recording_server, {start: first for start in range(0, 100, 10)})
    with caplog.at_level(logging.INFO, logger="paperwire.ingest.arxiv_api"):
        items = live(recording_server, query="all:testing", page_size=10)
    assert len(items) == 10
    assert starts(recording_server) == [0, 10]
    assert "repeats ids already seen" in caplog.text


def test_requests_are_paced_by_the_fetcher(
    recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    serve_pages(recording_server, recorded_pages(shared_data))
    sleeps: list[float] = []
    with fetcher(sleeps, min_interval=3.0) as f:
        items = list(
            arxiv_api.fetch(
                f, recording_server.url + PATH, query="all:testing", page_size=10, max_results=30
            )
        )
    assert len(items) == 30
    # The first request goes at once; each later one waits for the rest of the 3 seconds.
    assert len(sleeps) == 2
    assert all(2.5 < s <= 3.0 for s in sleeps)


@pytest.mark.parametrize(
    ("status", "headers", "expected_wait"),
    [(429, {}, None), (503, {"Retry-After": "7"}, 7.0)],
)
def test_429_and_503_are_retried_then_the_page_is_used(
    recording_server: recording.RecordingServer,
    shared_data: Path,
    status: int,
    headers: dict[str, str],
    expected_wait: float | None,
) -> None:
    serve_pages(recording_server, recorded_pages(shared_data))
    recording_server.queue(PATH, recording.Reply(status, b"slow down", headers))
    sleeps: list[float] = []
    with fetcher(sleeps) as f:
        items = list(
            arxiv_api.fetch(f, recording_server.url + PATH, query="all:testing", max_results=10)
        )
    assert len(records(items)) == 10
    assert starts(recording_server) == [0, 0]
    if expected_wait is not None:
        assert expected_wait in sleeps


def test_a_connection_cut_mid_body_is_retried(
    recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    pages = recorded_pages(shared_data)
    serve_pages(recording_server, pages)
    recording_server.queue(PATH, recording.Reply(200, pages[0], ATOM, truncate_at=4000))
    items = live(recording_server, query="all:testing", max_results=10)
    assert len(records(items)) == 10
    assert not rejections(items)
    assert starts(recording_server) == [0, 0]


def test_an_html_page_stops_the_run_naming_the_url_and_keeps_earlier_pages(
    engine: Engine, recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    pages = recorded_pages(shared_data)
    serve_pages(recording_server, {0: pages[0], 10: HTML_PAGE})
    with fetcher() as f:
        report = run_ingest(
            engine,
            "arxiv",
            arxiv_api.fetch(f, recording_server.url + PATH, query="all:testing", page_size=10),
        )
    assert report.added == 10
    assert report.failure is not None
    assert f"{recording_server.url}{PATH}?" in report.failure
    assert "start=10" in report.failure
    assert "an HTML page ('503 Service Unavailable') instead of an Atom feed" in report.failure
    assert "stopped:" in report.summary()


def test_malformed_xml_from_the_server_is_a_source_error(
    recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    page = recorded_pages(shared_data)[0]
    serve_pages(recording_server, {0: page[: len(page) // 2]})
    with pytest.raises(
        SourceError, match=r"arxiv: http://127\.0\.0\.1:\d+/api/query\?.*malformed XML"
    ):
        live(recording_server, query="all:testing")


def test_the_400_error_feed_is_a_rejection_naming_the_url(
    recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    body = (shared_data / "arxiv_api" / ERROR_FILE).read_bytes()
    recording_server.route(PATH, lambda _p, _q: recording.Reply(400, body, ATOM))
    items = live(recording_server, id_list=["2403.04640"])
    (rejection,) = items
    assert isinstance(rejection, Rejection)
    assert rejection.where.startswith(f"{recording_server.url}{PATH}?")
    assert "id_list=2403.04640" in rejection.where
    assert rejection.reason == "arXiv reported an error: incorrect id format for abc"


def test_an_invalid_id_is_rejected_without_asking_arxiv(
    recording_server: recording.RecordingServer,
) -> None:
    (rejection,) = live(recording_server, id_list=["abc"])
    assert isinstance(rejection, Rejection)
    assert rejection.where == "--id 'abc'"
    assert recording_server.requests == []


def test_id_lookups_go_in_chunks(
    recording_server: recording.RecordingServer, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shared_data / "arxiv_api" / "recorded_2026"
    by_ids = {
        "0808.05394,1707.08567": next(folder.glob("id_0808.05394_1707.08567_*.xml")).read_bytes(),
        "1605.08386": next(folder.glob("id_1605.08386_*.xml")).read_bytes(),
    }
    recording_server.route(PATH, lambda _p, q: recording.Reply(200, by_ids[q["id_list"][0]], ATOM))
    monkeypatch.setattr(arxiv_api, "ID_CHUNK", 2)
    items = live(
        recording_server, id_list=["0808.05394", "https://arxiv.org/abs/1707.08567", "1605.08386"]
    )
    assert sorted(records(items)) == ["1605.08386", "1707.08567"]
    assert [q["id_list"] for _p, q in recording_server.requests] == [
        ["0808.05394,1707.08567"],
        ["1605.08386"],
    ]


# --- the command -------------------------------------------------------------------------------


def test_cli_ingests_files_and_exits_non_zero_on_a_rejection(
    env: dict[str, str], shared_data: Path
) -> None:
    files = api_files(shared_data)
    args = ["ingest", "arxiv"]
    for path in files:
        args += ["--file", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert re.search(r"arxiv: \d+ added, 0 updated, 0 unchanged, 1 rejected", result.stdout)
    # One line per rejection, however long the path: the message must stay greppable.
    error_file = next(p for p in files if p.name.startswith("id_abc"))
    assert (
        f"rejected: arxiv: {error_file}: arXiv reported an error: incorrect id format for abc"
        in result.stderr.splitlines()
    )
    clean = [p for p in files if not p.name.startswith("id_abc")]
    args = ["ingest", "arxiv"] + [a for p in clean for a in ("--file", str(p))]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert re.search(r"arxiv: 0 added, 0 updated, \d+ unchanged, 0 rejected", result.stdout)


def test_cli_reads_the_live_api_from_base_url(
    env: dict[str, str], recording_server: recording.RecordingServer, shared_data: Path
) -> None:
    serve_pages(recording_server, recorded_pages(shared_data))
    args = ["ingest", "arxiv", "--base-url", recording_server.url + PATH]
    args += ["--query", "all:testing", "--page-size", "10", "--max", "20", "--delay", "0"]
    result = CliRunner().invoke(app, args, env=recording.ALLOW_LOCAL)
    assert result.exit_code == 0, result.output
    assert "arxiv: 20 added, 0 updated, 0 unchanged, 0 rejected" in result.stdout
    assert starts(recording_server) == [0, 10]
