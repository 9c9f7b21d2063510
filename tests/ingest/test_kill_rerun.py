"""A snapshot ingest killed with SIGKILL part-way, then rerun, leaves the same database as a run
that was never interrupted (each batch commits on its own; a rerun merges idempotently)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select

from paperwire.db.models import DailyEntry, Paper

LINES = 30_000
SAMPLE = "arxiv_snapshot/arxiv-metadata-oai-snapshot.sample-200.jsonl"
STAMPS = {"created_at", "modified_at"}


def synthesise(sample: Path, out: Path, count: int) -> None:
    """``count`` snapshot lines cycling through the real sample, each under a new id (9000.00001...)."""
    lines = sample.read_bytes().splitlines()
    with out.open("wb") as fh:
        for n in range(count):
            line = lines[n % len(lines)]
            # Every sample line opens with {"id":"0704.NNNN", ; keep everything after that comma.
            fh.write(b'{"id":"9%03d.%05d"' % (n // 99999, n % 99999 + 1) + line[line.index(b",") :])
            fh.write(b"\n")


def _dump(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    tables = {"papers": (Paper, Paper.id), "daily_entries": (DailyEntry, DailyEntry.paper_id)}
    dump = {}
    with engine.connect() as conn:
        for name, (model, key) in tables.items():
            columns = [c for c in model.__table__.columns if c.key not in STAMPS]
            dump[name] = [tuple(r) for r in conn.execute(select(*columns).order_by(key))]
    return dump


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Paper)).scalar_one()


@pytest.mark.slow
def test_a_killed_ingest_rerun_ends_like_an_uninterrupted_one(
    engine: Engine, env: dict[str, str], shared_data: Path, tmp_path: Path
) -> None:
    big = tmp_path / "snapshot.jsonl"
    synthesise(shared_data / SAMPLE, big, LINES)
    command = [
        sys.executable,
        "-c",
        "from paperwire.cli import main; main()",
        *("ingest", "snapshot", "--file", str(big)),
    ]

    whole = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert whole.returncode == 0, whole.stderr
    assert f"snapshot: {LINES} added, 0 updated, 0 unchanged, 0 rejected" in whole.stdout
    expected = _dump(engine)
    assert len(expected["papers"]) == LINES
    with engine.begin() as conn:
        conn.execute(delete(DailyEntry))
        conn.execute(delete(Paper))

    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # Kill as soon as the first batch is visible: later batches are still to come.
        while _count(engine) == 0:
            assert process.poll() is None, "the ingest ended before a batch was seen"
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    kept = _count(engine)
    assert 0 < kept < LINES

    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert rerun.returncode == 0, rerun.stderr
    summary = f"snapshot: {LINES - kept} added, 0 updated, {kept} unchanged, 0 rejected"
    assert summary in rerun.stdout
    assert _dump(engine) == expected
