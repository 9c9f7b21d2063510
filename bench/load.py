"""The site under hostile load (issue 25): ``/healthz`` and the day page, quiet and while four clients
hammer each slow path, and what the worst library upload costs.

    .venv/bin/python bench/load.py [--seconds 5] [--rounds 3] [--engines sqlite,postgresql]
                                   [--upload-timeout 120]

For each engine (an SQLite file, and a new PostgreSQL database at ``PAPERWIRE_TEST_PG``'s server)
it migrates a database, loads the web tests' sample papers and a member, starts a real
``paperwire serve`` with its arXiv API pointed at a local server that drips one byte a second,
and runs the phases of ``tests/web/hostile.py`` (the same as the CI load test,
``tests/web/test_load.py``) ``--rounds`` times, ``--seconds`` each: quiet, failed sign-ins, the
subscribe form and API on one rate-limit row, submissions against the dripping arXiv, and the
nested-BibTeX and 4 MB CSL-JSON uploads. A probe requests ``/healthz`` and ``/`` (the day page,
cookieless) one after the other throughout. It prints, per phase, the medians over rounds of p50
and p99 of each, their ratio to the quiet phase, the worst single answer and the count of answers
that were 5xx or never came.

Then the worst upload on its own: each hostile file imported by
``recommend.library.import_library`` in a fresh process (a migrated SQLite file, one member), its
CPU seconds and peak RSS (``getrusage``); one still running after ``--upload-timeout`` seconds
is killed, its CPU seconds and peak RSS so far read from ``/proc`` first.

The load generator is Python threads on the same two cores as the server (and the other
engineers' work): read the ratios and the CPU figures before the wall-clock ones. The load
average is printed at the start and end. Results go to ``bench/results/load.txt``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the load phases and the sample papers are the web tests'

from sqlalchemy import create_engine, text  # noqa: E402

from paperwire.db.engine import make_engine  # noqa: E402
from paperwire.db.migrate import upgrade  # noqa: E402
from tests.conftest import PG_ADMIN_URL, TEST_SECRET  # noqa: E402
from tests.web import hostile  # noqa: E402
from tests.web.members import PASSWORD, add_member  # noqa: E402
from tests.web.served import load_sample, paperwire_command  # noqa: E402

RESULTS = REPO / "bench" / "results" / "load.txt"

UPLOAD_CHILD = """
import json, resource, sys, time
from pathlib import Path
from paperwire.config import load_settings
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.accounts.users import create_user
from paperwire.recommend import library
from paperwire.errors import PaperwireError
home, path = Path(sys.argv[1]), Path(sys.argv[2])
url = f"sqlite:///{home / 'paperwire.db'}"
engine = make_engine(url)
upgrade(engine)
settings = load_settings({"PAPERWIRE_HOME": str(home), "PAPERWIRE_DATABASE_URL": url})
with session_scope(engine) as s:
    user = create_user(s, "ada", "ada@example.org", "correct-horse-battery", "member")
content = path.read_bytes()
before = resource.getrusage(resource.RUSAGE_SELF)
started = time.perf_counter()
outcome = "imported"
with session_scope(engine) as s:
    try:
        library.import_library(settings, s, s.merge(user), content)
    except PaperwireError as exc:
        outcome = f"refused ({exc.http_status}): {str(exc)[:80]}"
    except RecursionError:
        outcome = "RecursionError"
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
print(json.dumps({"cpu_s": cpu, "wall_s": time.perf_counter() - started,
                  "rss_before_mb": before.ru_maxrss / 1024, "peak_rss_mb": after.ru_maxrss / 1024,
                  "outcome": outcome}))
"""


def _database(engine_name: str, tmp: Path) -> tuple[str, str | None]:
    """A migrated, empty database URL, and the PostgreSQL database to drop afterwards."""
    if engine_name == "sqlite":
        url = f"sqlite:///{tmp / 'paperwire.db'}"
        dropped = None
    else:
        dropped = f"paperwire_load_{os.getpid()}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{dropped}"'))
            conn.execute(text(f'CREATE DATABASE "{dropped}"'))
        admin.dispose()
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{dropped}"
    engine = make_engine(url)
    upgrade(engine)
    load_sample(engine)
    add_member(engine, "ada")
    engine.dispose()
    return url, dropped


def _drop(name: str) -> None:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _serve(env: dict[str, str], log: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    from tests.web.served import free_port

    port = free_port()
    command = [*paperwire_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"paperwire serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).text == "ok":
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"paperwire serve did not start:\n{log.read_text()[-3000:]}")


def _kill(process: subprocess.Popen[bytes]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run_engine(engine_name: str, seconds: float, rounds: int) -> list[str]:
    """The phases' table for one engine; a fresh database and server per round (the sign-in and
    subscribe counters start at zero; an upload still parsing is killed with the server)."""
    results: dict[str, list[hostile.Phase]] = {name: [] for name in hostile.PHASES}
    for round_number in range(rounds):
        with tempfile.TemporaryDirectory(prefix="paperwire-load-") as folder:
            tmp = Path(folder)
            url, dropped = _database(engine_name, tmp)
            try:
                with hostile.DripServer() as arxiv:
                    env = {
                        **os.environ,
                        "PAPERWIRE_HOME": str(tmp / "home"),
                        "PAPERWIRE_DATABASE_URL": url,
                        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
                        "PAPERWIRE_ARXIV_API_URL": arxiv.url,
                        "PAPERWIRE_FETCH_ALLOW_PRIVATE": "127.0.0.1",  # the drip's address
                    }
                    process, site = _serve(env, tmp / f"serve-{round_number}.log")
                    try:
                        member = hostile.sign_in(site, "ada", PASSWORD)
                        hostile.warm_up(site, member)
                        for name, action in hostile.actions().items():
                            cookies = member if name in ("submit", "uploads") else None
                            results[name].append(
                                hostile.run_phase(site, name, action, seconds, cookies)
                            )
                    finally:
                        _kill(process)
            finally:
                if dropped:
                    _drop(dropped)
    return _table(engine_name, results)


def _median(phases: list[hostile.Phase], path: str, q: float) -> float:
    return statistics.median(hostile.percentile(p.times(path), q) * 1000 for p in phases)


def _table(engine_name: str, results: dict[str, list[hostile.Phase]]) -> list[str]:
    lines = [
        f"{engine_name}: median over {len(results['quiet'])} rounds, ms (ratio to quiet)",
        "| phase | /healthz p50 | /healthz p99 | day page p50 | day page p99 | worst ms"
        " | 5xx or none | hostile answers |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    quiet = {
        (path, q): _median(results["quiet"], path, q) for path in hostile.PROBED for q in (50, 99)
    }
    for name, phases in results.items():
        cells = []
        for path in hostile.PROBED:
            for q in (50, 99):
                value = _median(phases, path, q)
                cells.append(f"{value:.0f} ({value / quiet[(path, q)]:.1f}x)")
        worst = max(s.seconds for p in phases for s in p.samples) * 1000
        failed = sum(len(p.failures()) for p in phases)
        statuses = sorted({s for p in phases for s in p.hostile})
        lines.append(
            f"| {name} | {' | '.join(cells)} | {worst:.0f} | {failed} | {statuses or '-'} |"
        )
    return lines


def _so_far(pid: int) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of a live process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    status = Path(f"/proc/{pid}/status").read_text()
    peak = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
    return cpu, peak / 1024


def worst_upload(timeout: float) -> list[str]:
    lines = ["worst upload, imported on its own in a fresh process (SQLite):"]
    files = {"nested.bib (250 KB)": hostile.nested_bibtex(), "library.json": hostile.big_csl_json()}
    with tempfile.TemporaryDirectory(prefix="paperwire-upload-") as folder:
        for label, content in files.items():
            home = Path(folder) / label.split()[0]
            home.mkdir()
            path = home / "upload"
            path.write_bytes(content)
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-c", UPLOAD_CHILD, str(home), str(path)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "PAPERWIRE_SECRET_KEY": TEST_SECRET},
            )
            try:
                out, err = child.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                cpu, peak = _so_far(child.pid)
                child.kill()
                child.communicate()
                lines.append(
                    f"- {label} ({len(content):,} bytes): killed after {timeout:.0f} s, by then"
                    f" CPU {cpu:.1f} s and peak RSS {peak:.0f} MB (the whole process)"
                )
                continue
            if child.returncode != 0:
                lines.append(f"- {label}: failed: {err.strip().splitlines()[-1:]}")
                continue
            got = json.loads(out.strip().splitlines()[-1])
            lines.append(
                f"- {label} ({len(content):,} bytes): {got['outcome']}; CPU {got['cpu_s']:.2f} s,"
                f" wall {got['wall_s']:.2f} s, peak RSS {got['peak_rss_mb']:.0f} MB"
                f" ({got['rss_before_mb']:.0f} MB before the import);"
                f" process {time.perf_counter() - started:.1f} s"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--upload-timeout", type=float, default=120.0)
    args = parser.parse_args()
    lines = [
        f"bench/load.py --seconds {args.seconds:g} --rounds {args.rounds}"
        f" --engines {args.engines}; {hostile.CLIENTS} clients per phase;"
        f" load average at the start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
    ]
    print(lines[0], flush=True)
    for engine_name in args.engines.split(","):
        table = run_engine(engine_name, args.seconds, args.rounds)
        print("\n".join(table), flush=True)
        lines += ["", *table]
    uploads = worst_upload(args.upload_timeout)
    print("\n".join(uploads), flush=True)
    lines += ["", *uploads, "", f"load average at the end {os.getloadavg()[0]:.1f}"]
    print(lines[-1])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
