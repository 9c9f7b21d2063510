"""No request can stall the site (issue 25): a real ``paperwire serve`` on SQLite and PostgreSQL,
four clients hammering one slow path at a time (failed sign-ins; the subscribe form and API on one
rate-limit row; submissions against an arXiv API that drips a byte a second; a nested BibTeX file
and a 4 MB CSL-JSON library uploaded), and meanwhile ``/healthz`` and the day page answer within a
second at the 99th percentile and never with a 5xx. Before the routes left the event loop each of
these froze the whole process (``/healthz`` for 39-60 s). Loopback only; each phase stops by
itself after ``SECONDS`` (``tests/web/hostile.py``)."""

from __future__ import annotations

import os
import signal
from contextlib import suppress
from pathlib import Path

from sqlalchemy import Engine

from tests.web import hostile
from tests.web.members import PASSWORD, add_member
from tests.web.served import load_sample, start_site

SECONDS = 3.0
P99_LIMIT = 1.0


def _report(phases: list[hostile.Phase]) -> str:
    lines = []
    for phase in phases:
        figures = ", ".join(
            f"{path} p50 {hostile.percentile(phase.times(path), 50) * 1000:.0f} ms"
            f" p99 {hostile.percentile(phase.times(path), 99) * 1000:.0f} ms"
            f" (n={len(phase.times(path))})"
            for path in hostile.PROBED
        )
        hostile_statuses = sorted(set(phase.hostile))
        lines.append(f"{phase.name}: {figures}; hostile answers {hostile_statuses}")
    return "\n".join(lines)


def test_slow_paths_leave_healthz_and_the_day_page_answering(
    engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    load_sample(engine)
    add_member(engine, "ada")
    with hostile.DripServer() as arxiv:
        # The fetch rules (branch fetch) refuse loopback unless allowed: the drip is on 127.0.0.1.
        allowed = {"PAPERWIRE_FETCH_ALLOW_PRIVATE": "127.0.0.1"}
        served = {**env, "PAPERWIRE_ARXIV_API_URL": arxiv.url, **allowed}
        with start_site(served, tmp_path / "serve.log", process=True) as site:
            try:
                member = hostile.sign_in(site.url, "ada", PASSWORD)
                hostile.warm_up(site.url, member)
                phases = []
                for name, action in hostile.actions().items():
                    cookies = member if name in ("submit", "uploads") else None
                    phases.append(hostile.run_phase(site.url, name, action, SECONDS, cookies))
            finally:
                # An upload may still be parsing in its thread (until the parser is bounded):
                # the process is killed rather than waited for.
                assert site.process is not None
                with suppress(ProcessLookupError):
                    os.killpg(site.process.pid, signal.SIGKILL)
        report = _report(phases)
        for phase in phases:
            failed = phase.failures()
            assert not failed, f"{phase.name}: {failed[:5]}\n{report}"
            for path in hostile.PROBED:
                times = phase.times(path)
                assert hostile.percentile(times, 99) < P99_LIMIT, f"{phase.name}\n{report}"
                assert len(times) >= 3, f"{phase.name}: {path} was hardly probed\n{report}"
            if phase.name != "quiet":
                assert phase.hostile, f"{phase.name}: no hostile request was sent\n{report}"
        assert arxiv.requests >= 1, f"no submission reached the dripping arXiv\n{report}"
        print(report)
