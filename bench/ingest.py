"""Snapshot ingest throughput and peak memory, into SQLite and PostgreSQL.

    .venv/bin/python bench/ingest.py [--records 200000] [--repeats 3] [--no-double] [--no-postgres]

Synthesises an arXiv metadata snapshot of ``--records`` lines from the real 200-line sample (ids
renumbered 9000.00001, 9000.00002, ...), then runs ``paperwire ingest snapshot --file F`` as its own
process into a fresh SQLite file and a fresh PostgreSQL database (skipped with a message when the
server is unreachable), ``--repeats`` times each. For each it prints the median papers/s (records
over the command's wall time, schema already migrated) and the peak RSS of the ingest process, plus
a baseline measured in the same run, plain ``json.loads`` of every line of the file, and the ratio
to it. Unless ``--no-double``, SQLite is also run on a file twice the size, to show that peak
memory does not grow with the input. Target: >= 10,000 papers/s into SQLite, peak RSS < 300 MB.

Those runs are the bulk path, ``--no-index``. The documented command (without it) also brings the
search index up to date: the keyword index always, and the embeddings when at most
``EMBED_AFTER_INGEST`` (500) papers wait for one; a larger ingest leaves them to ``paperwire
index`` or the worker. It is run once on ``--indexed-records`` records (default 2,000) beside the
bulk path on the same file, followed by ``paperwire index`` on the same database, which embeds
what the ingest left (every text here is embedded: no embedding cache is used). It prints the
three rates, the time until every paper is found by meaning as well, and what each command said.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from loadgen import extract_revision  # bench/ is the script's own folder
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO.parent / "shared/data/arxiv_snapshot/arxiv-metadata-oai-snapshot.sample-200.jsonl"
PG_ADMIN_URL = os.environ.get(
    "PAPERWIRE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]
Fresh = Callable[[Path], AbstractContextManager[str]]


def synthesise(sample: Path, out: Path, count: int) -> None:
    """``count`` snapshot lines cycling through the sample, each under a new id."""
    lines = sample.read_bytes().splitlines()
    with out.open("wb") as fh:
        for n in range(count):
            line = lines[n % len(lines)]
            # Every sample line opens with {"id":"0704.NNNN", ; the rest is kept as it is.
            new_id = b'{"id":"9%03d.%05d"' % (n // 99999, n % 99999 + 1)
            fh.write(new_id + line[line.index(b",") :] + b"\n")


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    summary: str


def ingest(
    path: Path, database_url: str, home: Path, *, index: bool = False, code: Path | None = None
) -> Run:
    """One ``paperwire ingest snapshot`` process: its wall time, peak RSS and output. The bulk path
    (``--no-index``) unless ``index``: then the documented command, which also brings the search
    index up to date (``refresh_search_index``). ``code``: a folder holding another revision's
    ``paperwire`` package, run (schema included) instead of the checkout's."""
    env = {**os.environ, "PAPERWIRE_HOME": str(home), "PAPERWIRE_DATABASE_URL": database_url}
    if code:
        env["PYTHONPATH"] = str(code)
    # ``python -c`` puts the working directory first on sys.path: a revision runs from its folder.
    subprocess.run([*CLI, "init"], env=env, check=True, capture_output=True, cwd=code)
    command = ["ingest", "snapshot", *([] if index else ["--no-index"]), "--file", str(path)]
    return timed(command, env, code)


def timed(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Run:
    """Run ``paperwire COMMAND`` as its own process: wall time, CPU time (all its threads), peak
    RSS and what it printed."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen([*CLI, *command], env=env, stdout=out, stderr=err, cwd=cwd)
        # wait4 gives this child's own resource use (getrusage(RUSAGE_CHILDREN) keeps a maximum).
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = out.read().decode().strip().splitlines()
        if process.returncode != 0:
            raise SystemExit(
                f"{command[0]} failed ({process.returncode}): {err.read().decode()[-2000:]}"
            )
    summary = " / ".join(lines[-2:]) or "(no output)"
    return Run(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, summary)


def baseline(path: Path) -> float:
    """Lines per second of plain ``json.loads`` over the file: the floor any ingest pays."""
    started = time.perf_counter()
    count = 0
    with path.open("rb") as fh:
        for line in fh:
            json.loads(line)
            count += 1
    return count / (time.perf_counter() - started)


@contextmanager
def sqlite_database(folder: Path) -> Iterator[str]:
    name = folder / f"bench-{uuid.uuid4().hex[:8]}.db"
    yield f"sqlite:///{name}"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{name}{suffix}").unlink(missing_ok=True)


def postgres_problem() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except Exception as exc:  # any failure means no usable server; the reason is printed
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None


@contextmanager
def postgres_database(_folder: Path) -> Iterator[str]:
    name = f"paperwire_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def measure(label: str, path: Path, records: int, fresh: Fresh, repeats: int, tmp: Path) -> None:
    runs: list[Run] = []
    bases: list[float] = []
    for _ in range(repeats):
        bases.append(baseline(path))
        with fresh(tmp) as url:
            runs.append(ingest(path, url, tmp / "home"))
    rate = statistics.median(records / r.seconds for r in runs)
    cpu_rate = statistics.median(records / r.cpu_seconds for r in runs)
    base = statistics.median(bases)
    rss = statistics.median(r.peak_rss_mb for r in runs)
    print(
        f"{label:28} {rate:8,.0f} papers/s  ({cpu_rate:,.0f} per CPU second of the process)"
        f"  peak RSS {rss:4.0f} MB (max {max(r.peak_rss_mb for r in runs):.0f})"
        f"  baseline json.loads {base:8,.0f} lines/s  ratio {rate / base:.3f}"
    )
    print(f"{'':28} runs: {', '.join(f'{records / r.seconds:,.0f}' for r in runs)} papers/s;")
    print(f"{'':28} last summary: {runs[-1].summary}")


def indexed(tmp: Path, records: int) -> None:
    """The documented command, ``paperwire ingest snapshot --file F`` with its indexing, once,
    beside the bulk path on the same file; then ``paperwire index`` on the same database, which
    embeds what the ingest left to it."""
    path = tmp / f"snapshot-indexed-{records}.jsonl"
    synthesise(SAMPLE, path, records)
    with sqlite_database(tmp) as url:
        bulk = ingest(path, url, tmp / "home-bulk")
    with sqlite_database(tmp) as url:
        home = tmp / "home-indexed"
        full = ingest(path, url, home, index=True)
        env = {**os.environ, "PAPERWIRE_HOME": str(home), "PAPERWIRE_DATABASE_URL": url}
        catch_up = timed(["index"], env)
    runs = (
        ("bulk (--no-index)", bulk),
        ("documented, with indexing", full),
        ("then paperwire index", catch_up),
    )
    for label, run in runs:
        print(
            f"sqlite, {records:,} records, {label:26} {records / run.seconds:8,.0f} papers/s"
            f"  ({records / run.cpu_seconds:,.0f} per CPU second)  {run.seconds:7.1f} s"
            f"  peak RSS {run.peak_rss_mb:.0f} MB"
        )
        print(f"{'':28} it said: {run.summary}")
    total = full.seconds + catch_up.seconds
    print(
        f"sqlite, {records:,} records, stored and found by meaning too: {total:.1f} s,"
        f" {records / total:,.0f} papers/s ({records / (full.cpu_seconds + catch_up.cpu_seconds):,.0f}"
        " per CPU second)"
    )


def against(tmp: Path, path: Path, records: int, revision: str, repeats: int) -> None:
    """The bulk path of the checkout and of git revision ``revision`` on the same file into fresh
    SQLite files, alternating, ``repeats`` runs each: the baseline of a change, measured in the
    same minutes so the machine's other work weighs on both sides alike."""
    code = extract_revision(REPO, revision, tmp / f"rev-{revision}")
    runs: dict[str, list[Run]] = {revision: [], "checkout": []}
    for _ in range(repeats):
        for side, folder in ((revision, code), ("checkout", None)):
            with sqlite_database(tmp) as url:
                runs[side].append(ingest(path, url, tmp / f"home-{side}", code=folder))
    for side, done in runs.items():
        print(
            f"sqlite, {records:,} records, {side:>10}:"
            f" {statistics.median(records / r.seconds for r in done):8,.0f} papers/s"
            f"  ({statistics.median(records / r.cpu_seconds for r in done):,.0f} per CPU second)"
            f"  peak RSS {statistics.median(r.peak_rss_mb for r in done):.0f} MB;  runs "
            + ", ".join(
                f"{records / r.seconds:,.0f} ({records / r.cpu_seconds:,.0f}/CPU-s)" for r in done
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-double", action="store_true", help="skip the 2x-size SQLite run")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument(
        "--indexed-records",
        type=int,
        default=2_000,
        help="records for the documented command with indexing, then paperwire index (0: skip)",
    )
    parser.add_argument(
        "--revision",
        help="also run the bulk path of this git revision beside the checkout's (an A/B)",
    )
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}  load average before: {_load()}")
    with tempfile.TemporaryDirectory(prefix="paperwire-ingest-bench-") as folder:
        tmp = Path(folder)
        sizes = [args.records] if args.no_double else [args.records, 2 * args.records]
        files = {}
        for size in sizes:
            files[size] = tmp / f"snapshot-{size}.jsonl"
            synthesise(SAMPLE, files[size], size)
        for size in sizes:
            measure(
                f"sqlite, {size:,} records", files[size], size, sqlite_database, args.repeats, tmp
            )
            print(f"{'':28} load average: {_load()}")
        if args.revision:
            against(tmp, files[args.records], args.records, args.revision, args.repeats)
            print(f"{'':28} load average: {_load()}")
        if args.indexed_records:
            indexed(tmp, args.indexed_records)
            print(f"{'':28} load average: {_load()}")
        problem = None if args.no_postgres else postgres_problem()
        if problem:
            print(f"postgresql: skipped, not reachable at {PG_ADMIN_URL} ({problem})")
        elif not args.no_postgres:
            size = args.records
            measure(
                f"postgresql, {size:,} records",
                files[size],
                size,
                postgres_database,
                args.repeats,
                tmp,
            )
    print(f"load average after: {_load()}")


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
