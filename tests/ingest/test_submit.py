"""Submitting a paper by any form of arXiv id or URL, against a local server replaying recorded
arXiv API answers, on both databases; and the ``paperwire submit`` command."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from paperwire.cli import main
from paperwire.config import load_settings
from paperwire.db.engine import dispose_engines
from paperwire.db.models import DailyEntry, Paper
from paperwire.errors import InvalidPaperId, PaperNotFound, SourceError
from paperwire.ingest import arxiv_api
from paperwire.ingest.http import Fetcher
from paperwire.ingest.runner import run_ingest
from paperwire.ingest.submit import submit_paper
from paperwire.search.service import forget_searchers, search
from tests import recording

PATH = "/api/query"
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
# The recorded id_list answer for each canonical id the server is asked about.
RECORDED = {
    "1605.08386": "id_1605.08386_s0_m100_",
    "1707.08567": "id_1707.08567_s0_m100_",
    "2104.12255": "id_2104.12255v1_s0_m100_",
    "astro-ph/0601001": "id_astro-ph_0601001_s0_m100_",
    "quant-ph/0201082": "id_quant-ph_0201082v1_s0_m100_",
    "0000.0000": "id_0000.0000_s0_m100_",
}
ERROR_FEED = "id_abc_s0_m100_"


@pytest.fixture
def arxiv(recording_server: recording.RecordingServer, shared_data: Path) -> str:
    """A local arXiv API answering id lookups from the recordings (unknown ids get the error feed)."""
    folder = shared_data / "arxiv_api" / "recorded_2026"

    def body(prefix: str) -> bytes:
        return next(folder.glob(f"{prefix}*.xml")).read_bytes()

    def respond(_path: str, query: dict[str, list[str]]) -> recording.Reply:
        prefix = RECORDED.get(query.get("id_list", [""])[0])
        if prefix is None:
            return recording.Reply(400, body(ERROR_FEED), ATOM)
        return recording.Reply(200, body(prefix), ATOM)

    recording_server.route(PATH, respond)
    return recording_server.url + PATH


def fetcher() -> Fetcher:
    return Fetcher(
        source="arxiv", min_interval=0.0, retries=1, backoff=0.01, allow_private=recording.LOCAL
    )


def asked(server: recording.RecordingServer) -> list[str]:
    return [q["id_list"][0] for _p, q in server.requests]


@pytest.mark.parametrize(
    ("text", "paper_id"),
    [
        ("1605.08386", "1605.08386"),
        ("1605.08386v1", "1605.08386"),
        ("arXiv:1707.08567", "1707.08567"),
        ("https://arxiv.org/abs/1707.08567v2", "1707.08567"),
        ("https://arxiv.org/pdf/2104.12255v1.pdf", "2104.12255"),
        ("http://arxiv.org/pdf/2104.12255", "2104.12255"),
        ("astro-ph/0601001", "astro-ph/0601001"),
        ("https://arxiv.org/abs/astro-ph/0601001v1", "astro-ph/0601001"),
        ("quant-ph/0201082v1", "quant-ph/0201082"),
    ],
)
def test_every_form_of_id_lands_the_paper_in_the_daily_list(
    engine: Engine,
    arxiv: str,
    recording_server: recording.RecordingServer,
    text: str,
    paper_id: str,
) -> None:
    day = date(2026, 11, 20)
    with fetcher() as f:
        result = submit_paper(engine, f, arxiv, text, list_date=day, submitter_name="ada")
    assert (result.paper_id, result.list_date, result.added, result.fetched) == (
        paper_id,
        day,
        True,
        True,
    )
    assert result.message() == f"{paper_id} added to the daily list of 2026-11-20"
    # The latest version is asked for, whatever version was pasted.
    assert asked(recording_server) == [paper_id]
    with engine.connect() as conn:
        paper = conn.execute(select(Paper).where(Paper.id == paper_id)).one()
        entry = conn.execute(select(DailyEntry).where(DailyEntry.paper_id == paper_id)).one()
    assert paper.title == result.title
    assert paper.sources == ["arxiv"]
    assert (entry.list_date, entry.source, entry.submitter_name) == (day, "submit", "ada")


def test_the_default_date_is_today_in_utc(engine: Engine, arxiv: str) -> None:
    with fetcher() as f:
        result = submit_paper(engine, f, arxiv, "1605.08386")
    assert result.list_date == datetime.now(UTC).date()


def test_a_paper_already_listed_stays_where_it_is(
    engine: Engine, arxiv: str, recording_server: recording.RecordingServer
) -> None:
    with fetcher() as f:
        first = submit_paper(engine, f, arxiv, "1707.08567", list_date=date(2026, 11, 2))
        again = submit_paper(
            engine, f, arxiv, "https://arxiv.org/abs/1707.08567", list_date=date(2026, 11, 28)
        )
    assert first.added
    assert (again.added, again.fetched, again.list_date) == (False, False, date(2026, 11, 2))
    assert again.title == first.title
    assert again.message() == "1707.08567 already in the daily list of 2026-11-02"
    assert asked(recording_server) == ["1707.08567"]
    with engine.connect() as conn:
        dates = conn.execute(select(DailyEntry.list_date)).scalars().all()
    assert dates == [date(2026, 11, 2)]


def test_a_stored_paper_is_listed_without_asking_arxiv(
    engine: Engine,
    arxiv: str,
    recording_server: recording.RecordingServer,
    shared_data: Path,
) -> None:
    path = next((shared_data / "arxiv_api" / "recorded_2026").glob("id_1605.08386_*.xml"))
    run_ingest(engine, "arxiv", arxiv_api.read_file(path))
    with fetcher() as f:
        result = submit_paper(engine, f, arxiv, "arXiv:1605.08386v1", list_date=date(2026, 11, 3))
    assert (result.added, result.fetched, result.list_date) == (True, False, date(2026, 11, 3))
    assert recording_server.requests == []
    with engine.connect() as conn:
        entry = conn.execute(select(DailyEntry)).one()
    assert (entry.paper_id, entry.source) == ("1605.08386", "submit")


def test_an_unknown_id_is_paper_not_found(engine: Engine, arxiv: str) -> None:
    with fetcher() as f, pytest.raises(PaperNotFound, match=r"arXiv has no paper 0000\.0000"):
        submit_paper(engine, f, arxiv, "0000.0000")
    with engine.connect() as conn:
        assert conn.execute(select(Paper.id)).all() == []


@pytest.mark.parametrize("text", ["abc", "2403.046", "https://example.org/abs/2403.04640", ""])
def test_a_malformed_id_is_invalid_and_arxiv_is_not_asked(
    engine: Engine, arxiv: str, recording_server: recording.RecordingServer, text: str
) -> None:
    with fetcher() as f, pytest.raises(InvalidPaperId, match="not an arXiv id or URL"):
        submit_paper(engine, f, arxiv, text)
    assert recording_server.requests == []


def test_an_arxiv_error_feed_is_a_source_error_naming_the_url(engine: Engine, arxiv: str) -> None:
    with fetcher() as f, pytest.raises(SourceError, match=r"127\.0\.0\.1.*incorrect id format"):
        submit_paper(engine, f, arxiv, "2403.04640")


# --- the command -------------------------------------------------------------------------------


@pytest.fixture
def cli(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., tuple[int, str, str]]]:
    """Run ``paperwire submit ...`` through the real entry point (error translation included),
    in this process so the test stays quick; returns (exit status, stdout, stderr). The arXiv
    it asks is the recording server on loopback, allowed here."""
    monkeypatch.setenv(*next(iter(recording.ALLOW_LOCAL.items())))

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["paperwire", "submit", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        out = capsys.readouterr()
        return int(exited.value.code or 0), out.out, out.err

    yield run
    dispose_engines()
    forget_searchers()


def test_cli_submit_prints_one_line_and_exits_1_on_errors(
    cli: Callable[..., tuple[int, str, str]], arxiv: str, engine: Engine
) -> None:
    status, out, _ = cli(
        "https://arxiv.org/pdf/2104.12255v1.pdf", "--date", "2026-11-28", "--base-url", arxiv
    )
    assert (status, out) == (0, "2104.12255 added to the daily list of 2026-11-28\n")
    # the search index took the paper in without a manual ``paperwire index``
    found = search(load_settings(), engine, "id:2104.12255", mode="lexical")
    assert [r.id for r in found.results] == ["2104.12255"]
    status, out, _ = cli("2104.12255", "--date", "2026-11-29", "--base-url", arxiv)
    assert (status, out) == (0, "2104.12255 already in the daily list of 2026-11-28\n")
    status, out, err = cli("0000.0000", "--base-url", arxiv)
    assert (status, out) == (1, "")
    assert "error: arXiv has no paper 0000.0000" in err
    status, _, err = cli("not-an-id", "--base-url", arxiv)
    assert status == 1
    assert "error: not an arXiv id or URL: 'not-an-id'" in err
    status, _, err = cli("2104.12255", "--date", "28/11/2026", "--base-url", arxiv)
    assert status == 2
    assert "--date: not a date" in err
