"""Characters XML 1.0 and PostgreSQL text cannot hold: through every ingest path (arXiv Atom,
OAI-PMH, snapshot, Hugging Face, and the ``ingest hf`` command) the one record holding one is
rejected, naming where and why, and the records around it are stored, on both engines."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperwire.cli.app import app
from paperwire.db.models import Paper
from paperwire.errors import SourceError
from paperwire.ingest import arxiv_api, hf, oai, snapshot
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import IngestReport
from paperwire.ingest.runner import Item, run_ingest
from paperwire.ingest.submit import submit_paper
from tests.recording import LOCAL, RecordingServer, Reply

BAD_TITLES = ["Broken\x00title", "Broken\x01title", "Broken\ufffetitle"]
REASON = "which XML 1.0 and PostgreSQL text cannot hold"


def _stored(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Paper.id, Paper.title)).all())


def _ingest(engine: Engine, source: str, items: Iterator[Item]) -> IngestReport:
    # Batches of two: the bad record shares its batch with a good one, which must be kept.
    return run_ingest(engine, source, items, batch_size=2)


def _hf_file(tmp_path: Path, bad: str) -> Path:
    def item(pid: str, title: str) -> dict[str, object]:
        return {"paper": {"id": pid, "title": title, "summary": "An abstract."}}

    path = tmp_path / "daily_papers_2024-05-27.json"
    items = [item("2405.00001", "Good one"), item("2405.00002", bad), item("2405.00003", "Good")]
    path.write_text(json.dumps(items))
    return path


def _snapshot_file(tmp_path: Path, bad: str) -> Path:
    lines = [
        {"id": "2405.00001", "title": "Good one"},
        {"id": "2405.00002", "title": "Fine", "abstract": f"An {bad} abstract."},
        {"id": "2405.00003", "title": "Good"},
    ]
    path = tmp_path / "snapshot.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def _atom_entry(pid: str, title: str) -> str:
    return (
        f"<entry>\n<id>http://arxiv.org/abs/{pid}v1</id>\n<title>{title}</title>\n"
        "<summary>An abstract.</summary>\n<published>2024-05-01T00:00:00Z</published>\n</entry>\n"
    )


def _arxiv_file(tmp_path: Path, bad: str) -> Path:
    path = tmp_path / "arxiv.xml"
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>\n"
        + _atom_entry("2405.00001", "Good one")
        + _atom_entry("2405.00002", bad)
        + _atom_entry("2405.00003", "Good")
        + "</feed>\n"
    )
    # Raw control bytes, as a careless server would send them (XML 1.0 forbids them).
    path.write_bytes(body.encode("utf-8", "surrogatepass"))
    return path


def _oai_record(pid: str, title: str) -> str:
    return (
        f"<record><header><identifier>oai:arXiv.org:{pid}</identifier></header><metadata>"
        f'<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>{pid}</id><title>{title}</title>'
        "<created>2024-05-01</created></arXiv></metadata></record>\n"
    )


def _oai_file(tmp_path: Path, bad: str) -> Path:
    path = tmp_path / "oai.xml"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">\n<ListRecords>\n'
        + _oai_record("2405.00001", "Good one")
        + _oai_record("2405.00002", bad)
        + _oai_record("2405.00003", "Good")
        + "</ListRecords></OAI-PMH>\n"
    )
    path.write_bytes(body.encode())
    return path


Reader = Callable[[Path], Iterator[Item]]
PATHS: dict[str, tuple[Callable[[Path, str], Path], Reader, str]] = {
    "hf": (_hf_file, hf.read_file, "item 1"),
    "snapshot": (_snapshot_file, snapshot.read_file, ":2"),
    "arxiv": (_arxiv_file, arxiv_api.read_file, ":9"),
    "oai": (_oai_file, oai.read_file, ":5"),
}


@pytest.mark.parametrize("bad", BAD_TITLES, ids=["nul", "soh", "ufffe"])
@pytest.mark.parametrize("source", list(PATHS))
def test_the_bad_record_is_rejected_and_its_batch_kept(
    engine: Engine, tmp_path: Path, source: str, bad: str
) -> None:
    write, read, where = PATHS[source]
    path = write(tmp_path, bad)
    report = _ingest(engine, source, read(path))

    assert report.added == 2
    assert _stored(engine) == {"2405.00001": "Good one", "2405.00003": "Good"}
    [rejection] = report.rejected
    assert rejection.where.startswith(str(path)) and rejection.where.endswith(where)
    field = "abstract" if source == "snapshot" else "title"
    assert rejection.reason.startswith(f"{field} holds ") and REASON in rejection.reason
    if source in ("hf", "snapshot") and bad == BAD_TITLES[0]:
        assert "U+0000 (NUL)" in rejection.reason


def test_character_references_to_controls_are_rejected_per_record(
    engine: Engine, tmp_path: Path
) -> None:
    path = _oai_file(tmp_path, "Broken&#1;title &#x0;")
    report = _ingest(engine, "oai", oai.read_file(path))
    assert report.added == 2 and len(report.rejected) == 1
    assert "title holds a control character (in the XML source)" in report.rejected[0].reason


def test_unstorable_characters_in_any_field_reject_the_record(engine: Engine) -> None:
    item = {
        "paper": {
            "id": "2405.00009",
            "title": "Fine",
            "submittedOnDailyAt": "2024-05-01",
            "authors": [{"name": "Ann\x02Lee"}],
        },
    }
    result = hf.parse_item(item, None)
    assert not isinstance(result, str)
    report = _ingest(engine, "hf", iter([result]))
    assert report.added == 0
    assert [r.reason.split(",")[0] for r in report.rejected] == [
        "authors holds the character U+0002"
    ]
    submitter = {
        "paper": {"id": "2405.00010", "title": "Fine", "submittedOnDailyAt": "2024-05-01"},
        "submittedBy": {"name": "ann", "fullname": "Ann\x00"},
    }
    record = hf.parse_item(submitter, None)
    assert not isinstance(record, str)
    assert _ingest(engine, "hf", iter([record])).rejected[0].reason.startswith("submitter holds")


def test_the_hf_command_rejects_the_record_and_exits_non_zero(
    env: dict[str, str], engine: Engine, tmp_path: Path
) -> None:
    path = _hf_file(tmp_path, "Broken\x00title")
    result = CliRunner().invoke(app, ["ingest", "hf", "--file", str(path), "--no-index"])
    assert result.exit_code == 1, result.output
    assert f"rejected: hf: {path}: item 1: title holds the character U+0000 (NUL)" in result.stderr
    assert "hf: 2 added, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert set(_stored(engine)) == {"2405.00001", "2405.00003"}


def test_submitting_a_paper_whose_arxiv_entry_holds_one_is_a_source_error(
    engine: Engine, recording_server: RecordingServer
) -> None:
    feed = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom'>\n"
        + _atom_entry("2405.00002", "Broken\x01title")
        + "</feed>\n"
    ).encode()
    recording_server.route("/api/query", lambda _path, _query: Reply(200, feed, {}))
    fetcher = Fetcher(
        source="arxiv", min_interval=0.0, retries=1, backoff=0.01, allow_private=LOCAL
    )
    with fetcher, pytest.raises(SourceError, match="title holds a control character"):
        submit_paper(engine, fetcher, recording_server.url + "/api/query", "2405.00002")
    assert _stored(engine) == {}
