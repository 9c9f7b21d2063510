"""``paperwire sources run`` killed (SIGKILL) in the middle of a harvest: its lease is left behind,
and a rerun on the same machine takes it over at once (the holder's process is gone) and ends with
the database a clean run gives (sqlite: this is about processes, test_harvest covers both engines)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, select

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.db.holders import holder_pid
from paperwire.db.models import DailyEntry, IntakeCandidate, IntakeSource, Paper
from paperwire.intake import harvest
from paperwire.intake.config import load_sources
from tests.intake.replay import OaiEndpoint, OaiRecord
from tests.intake.test_harvest import dump
from tests.recording import ALLOW_LOCAL

CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_killed_run_is_taken_over_and_resumed(
    engine: Engine,
    env: dict[str, str],
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    records: list[OaiRecord],
) -> None:
    endpoint = OaiEndpoint(records, reply)
    resume = threading.Event()

    def stalls_on_the_third_page(path: str, query: dict[str, list[str]]) -> Any:
        if not resume.is_set() and query.get("resumptionToken", [""])[0].endswith("|6"):
            resume.wait(30)
        return endpoint(path, query)

    recording_server.route("/oai", stalls_on_the_third_page)
    config = tmp_path / "paperwire.toml"
    config.write_text(
        f'[[sources]]\nname = "hep"\nkind = "oai"\nbase_url = "{recording_server.url}/oai"\n'
        'since = "2017-12-01"\nmin_interval = "0s"\nlist = "all"\nmax_per_day = 2\n'
    )
    run_env = {
        **env,
        "PAPERWIRE_CONFIG": str(config),
        **ALLOW_LOCAL,
        "PAPERWIRE_EMBEDDING_MODEL": str(tmp_path / "no-model"),
        "PYTHONPATH": os.getcwd(),
    }
    proc = subprocess.Popen([*CLI, "sources", "run", "hep"], env=run_env)
    deadline = time.monotonic() + 60
    while len(recording_server.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(recording_server.requests) == 3, "the harvest did not reach its third page"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "hep")
        assert row is not None and holder_pid(row.lease_holder) == proc.pid
    resume.set()
    rerun = subprocess.run(
        [*CLI, "sources", "run", "hep"], env=run_env, capture_output=True, text=True, timeout=120
    )
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert "hep: 10 added" in rerun.stdout
    resumed = dump(engine)
    with session_scope(engine) as session:
        for table in (DailyEntry, IntakeCandidate, Paper, IntakeSource):
            session.execute(delete(table))
    settings = load_settings(run_env)
    clean = harvest.run_sources(settings, engine, load_sources(settings))
    assert clean[0].ok, clean[0].summary()
    assert dump(engine) == resumed
    with engine.connect() as conn:
        # 2017-12-14 has 6 papers, capped at 2; four more days have one each.
        assert len(conn.execute(select(DailyEntry.paper_id)).all()) == 2 + 4
