"""The arXiv metadata snapshot source: the real 200-line sample, gzip, bad lines, reruns, the CLI."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from paperwire.cli.app import app
from paperwire.db.models import Paper
from paperwire.ingest import snapshot
from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import run_ingest
from paperwire.papers.records import PaperRecord

SAMPLE = "arxiv_snapshot/arxiv-metadata-oai-snapshot.sample-200.jsonl"


@pytest.fixture
def sample(shared_data: Path) -> Path:
    return shared_data / SAMPLE


def _paper(engine: Engine, paper_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(Paper.__table__).where(Paper.id == paper_id)).mappings().one()
    return dict(row)


def _dump(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(Paper.__table__).order_by(Paper.id))]


def test_the_real_sample_loads_with_exact_fields(engine: Engine, sample: Path) -> None:
    report = run_ingest(engine, "snapshot", snapshot.read_file(sample))
    assert (report.added, report.updated, report.rejected) == (200, 0, [])

    paper = _paper(engine, "0704.0001")
    assert paper["arxiv_id"] == "0704.0001"
    assert paper["version"] == 2
    assert paper["title"] == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert paper["abstract"].startswith("A fully differential calculation in perturbative quantum")
    assert paper["abstract"].endswith("can be obtained with judicious selection of events.")
    assert "\n" not in paper["abstract"] and "  " not in paper["abstract"]
    assert paper["authors"] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert paper["primary_category"] == "hep-ph"
    assert paper["categories"] == ["hep-ph"]
    assert paper["published_at"] == datetime(2007, 4, 2, 19, 18, 42)
    assert paper["updated_at"] == datetime(2007, 7, 24, 20, 10, 27)
    assert paper["doi"] == "10.1103/PhysRevD.76.013009"
    assert paper["journal_ref"] == "Phys.Rev.D76:013009,2007"
    assert paper["comments"] == "37 pages, 15 figures; published version"
    assert paper["links"] == []
    assert paper["extras"] == {"report_no": "ANL-HEP-PR-07-12"}
    assert paper["sources"] == ["snapshot"]
    assert paper["upvotes_baseline"] == 0

    # Primary first, then the others; a link found in the comments; paragraph breaks kept.
    assert _paper(engine, "0704.0002")["categories"] == ["math.CO", "cs.CG"]
    assert _paper(engine, "0704.0024")["links"] == [
        {"kind": "project", "url": "http://www.physik.uni-kl.de/w_hilleb/ann05.html"}
    ]
    paragraphs = _paper(engine, "0704.0024")["abstract"].split("\n\n")
    assert len(paragraphs) == 2 and paragraphs[1].startswith("In the nonlinear regime")


def test_a_gzip_copy_is_detected_by_its_bytes_not_its_name(
    engine: Engine, sample: Path, tmp_path: Path
) -> None:
    packed = tmp_path / "snapshot.data"
    packed.write_bytes(gzip.compress(sample.read_bytes()))
    assert list(snapshot.read_file(packed)) == list(snapshot.read_file(sample))
    report = run_ingest(engine, "snapshot", snapshot.read_file(packed))
    assert (report.added, report.rejected) == (200, [])
    assert _paper(engine, "0704.0001")["version"] == 2


def test_bad_lines_are_rejected_with_file_and_line_and_the_rest_kept(
    engine: Engine, sample: Path, tmp_path: Path
) -> None:
    good = sample.read_text().splitlines()
    bad = tmp_path / "bad.jsonl"
    lines = [
        good[0],
        good[1],
        '{"id": "0704.0099", "title": "cut here',  # 3: invalid JSON in the middle
        good[2].replace('"id":"0704.0003",', ""),  # 4: no id
        "[1, 2, 3]",  # 5: not an object
        good[3].replace('"title":"', '"old_title":"'),  # 6: no title
        '{"id": "not-an-id", "title": "x"}',  # 7: not an arXiv id
        good[4],
        good[5][:200],  # 9: truncated last line, no newline
    ]
    bad.write_text("\n".join(lines))
    items = list(snapshot.read_file(bad))
    rejections = [i for i in items if isinstance(i, Rejection)]
    assert [r.where for r in rejections] == [f"{bad}:{n}" for n in (3, 4, 5, 6, 7, 9)]
    assert all(r.source == "snapshot" for r in rejections)
    assert rejections[0].reason.startswith("invalid JSON")
    assert rejections[1].reason == "no id"
    assert rejections[2].reason == "not a JSON object but list"
    assert rejections[3].reason == "paper 0704.0004 has no title"
    assert rejections[4].reason == "not an arXiv id: 'not-an-id'"
    assert rejections[5].reason.startswith("truncated last line (invalid JSON")
    assert str(rejections[0]).startswith(f"snapshot: {bad}:3: invalid JSON")

    report = run_ingest(engine, "snapshot", iter(items))
    assert report.added == 3 and len(report.rejected) == 6
    with engine.connect() as conn:
        ids = conn.execute(select(Paper.id).order_by(Paper.id)).scalars().all()
    assert ids == ["0704.0001", "0704.0002", "0704.0005"]


def test_a_cut_off_gzip_keeps_what_came_before(sample: Path, tmp_path: Path) -> None:
    packed = gzip.compress(sample.read_bytes())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    items = list(snapshot.read_file(cut))
    records = [i for i in items if isinstance(i, PaperRecord)]
    assert 20 < len(records) < 200
    assert isinstance(items[-1], Rejection)
    assert items[-1].where.startswith(f"{cut}:")
    assert "cannot read on" in items[-1].reason


def test_a_missing_file_is_one_rejection(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    assert list(snapshot.read_file(missing)) == [
        Rejection("snapshot", str(missing), "cannot read file: No such file or directory")
    ]


def test_ingesting_twice_changes_nothing(engine: Engine, sample: Path) -> None:
    run_ingest(engine, "snapshot", snapshot.read_file(sample))
    before = _dump(engine)
    again = run_ingest(engine, "snapshot", snapshot.read_file(sample))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 200)
    assert _dump(engine) == before


def test_the_cli_prints_the_summary_and_fails_on_rejections(
    env: dict[str, str], sample: Path, tmp_path: Path
) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["ingest", "snapshot", "--file", str(sample)])
    assert ok.exit_code == 0, ok.output
    assert "snapshot: 200 added, 0 updated, 0 unchanged, 0 rejected" in ok.stdout

    bad = tmp_path / "bad.jsonl"
    bad.write_text(sample.read_text().splitlines()[0] + "\n{oops\n")
    failed = runner.invoke(app, ["ingest", "snapshot", "--file", str(bad)])
    assert failed.exit_code == 1
    assert "snapshot: 0 added, 0 updated, 1 unchanged, 1 rejected" in failed.stdout
    assert f"rejected: snapshot: {bad}:2: invalid JSON" in failed.stderr
