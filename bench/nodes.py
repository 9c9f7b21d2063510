"""Pages on one and two nodes, SQLite against PostgreSQL, and the index lag under a steady ingest.

    PYTHONPATH=. .venv/bin/python bench/nodes.py [--papers 5000] [--lists 50] [--duration 5]
                                                 [--connections 8] [--probes 20]

Builds the same synthetic instance (``bench/web.py``'s ``build``: ``--papers`` real demo records
renumbered over ``--lists`` daily lists) in an SQLite file and in a fresh PostgreSQL database
(``PAPERWIRE_BENCH_PG``, default the local server), then loads with ``wrk`` for ``--duration``
seconds each:

- ``daily``: ``/papers/date/D`` without cookies (the page cache: on SQLite emptied by
  ``data_version``, on PostgreSQL by ``NOTIFY paperwire_data``);
- ``daily+cookie``: the same with a cookie, so the page is built each time as for a signed-in
  member (the list data under it is still cached);
- ``api``: ``/api/daily_papers?date=D``.

Setups: SQLite with one ``serve``; PostgreSQL with one ``serve``; PostgreSQL with two ``serve``
processes (two homes: two nodes), each loaded by its own ``wrk`` at once (requests/s summed, the
worse p99). Then the lag: while a thread ingests ``--rate`` papers a second into PostgreSQL, the
bench stores ``--probes`` papers with a unique word one after another and times how long node B's
keyword search takes to find each. Results go to bench/results/nodes.txt. Targets (issue 12):
PostgreSQL >= 70% of SQLite's requests/s for the anonymous daily page and the API; lag < 5 s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from web import CLI, FIRST_DAY, Load, build, serve, wrk

from paperwire.db.engine import make_engine, session_scope
from paperwire.demo.corpus import read_corpus
from paperwire.papers.store import upsert_papers

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "nodes.txt"
PG_ADMIN = os.environ.get(
    "PAPERWIRE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
SECRET = "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz"


def env_for(url: str, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": url,
        "PAPERWIRE_SECRET_KEY": SECRET,
        "PAPERWIRE_API_RATE_LIMIT": "0",
    }


def targets(lists: int) -> dict[str, list[str]]:
    days = [(FIRST_DAY + timedelta(days=n)).isoformat() for n in range(lists)]
    return {
        "daily": [f"/papers/date/{d}" for d in days],
        "daily+cookie": [f"/papers/date/{d}" for d in days],
        "api": [f"/api/daily_papers?date={d}" for d in days],
    }


def _run_wrk(
    found: list[Load],
    target: str,
    url: str,
    paths: list[str],
    args: argparse.Namespace,
    tmp: Path,
    group: int,
) -> None:
    # An unknown session cookie: the page is built per request, as for a member (whose own
    # session lookup bench/web.py measures), the list data under it cached.
    headers = {"Cookie": "pw_session=bench"} if target.endswith("+cookie") else None
    found.append(
        wrk(
            target,
            url,
            paths,
            duration=args.duration,
            connections=args.connections,
            tmp=tmp,
            group=group,
            seed=args.seed,
            headers=headers,
        )
    )


def load_nodes(
    name: str, urls: list[str], groups: list[int], args: argparse.Namespace, tmp: Path
) -> list[Load]:
    """Each target on every node at once (one wrk per node); summed rate, worst p99."""
    out = []
    for target, paths in targets(args.lists).items():
        found: list[Load] = []
        runs = [
            threading.Thread(
                target=_run_wrk,
                args=(found, target, url, paths, args, tmp / f"{name}-{i}", group),
            )
            for i, (url, group) in enumerate(zip(urls, groups, strict=True))
        ]
        for i in range(len(urls)):
            (tmp / f"{name}-{i}").mkdir(exist_ok=True)
        for run in runs:
            run.start()
        for run in runs:
            run.join()
        out.append(
            Load(
                f"{name} {target}",
                sum(f.requests_per_s for f in found),
                max(f.p50_ms for f in found),
                max(f.p99_ms for f in found),
                sum(f.requests for f in found),
                "; ".join(sorted({f.errors for f in found})),
                statistics.mean(f.server_cpu_ms for f in found),
            )
        )
    return out


def index_lag(url: str, node_b: str, args: argparse.Namespace) -> list[float]:
    """Seconds from a paper's commit to node B's keyword search finding it, under steady ingest."""
    engine = make_engine(url)
    corpus = list(read_corpus())
    stop = threading.Event()

    def steady() -> None:
        n = 0
        while not stop.is_set():
            batch = [
                replace(corpus[(n + i) % len(corpus)], id=f"8{n + i:08d}", arxiv_id=f"8{n + i:08d}")
                for i in range(max(1, args.rate // 4))
            ]
            with session_scope(engine) as session:
                upsert_papers(session, batch)
            n += len(batch)
            time.sleep(0.25)

    feeder = threading.Thread(target=steady, daemon=True)
    feeder.start()
    lags = []
    for probe in range(args.probes):
        word = f"zqxprobe{uuid.uuid4().hex[:8]}"
        record = replace(
            corpus[probe], id=f"7{probe:08d}", arxiv_id=f"7{probe:08d}", title=f"{word} probe"
        )
        with session_scope(engine) as session:
            upsert_papers(session, [record])
        started = time.monotonic()
        while True:
            answer = httpx.get(
                node_b + "/api/search", params={"q": word, "mode": "lexical"}, timeout=30
            )
            if answer.json()["total"] >= 1:
                break
            if time.monotonic() - started > 60:
                break
            time.sleep(0.02)
        lags.append(time.monotonic() - started)
    stop.set()
    feeder.join()
    engine.dispose()
    return lags


def new_node_speed(url: str, home: Path) -> str:
    """Embedding the papers of ``url`` (the model, once for the cluster) against a new node
    building its whole index from the stored vectors (no model)."""
    from paperwire.config import load_settings
    from paperwire.search import embeddings, index
    from paperwire.search.embedder import load_embedder

    settings = load_settings(env_for(url, home))
    engine = make_engine(url)
    embedder = load_embedder(settings)
    started = time.perf_counter()
    done = embeddings.embed_pending(engine, embedder)
    embed_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report = index.sync(settings, engine, embed=False)
    build_seconds = time.perf_counter() - started
    engine.dispose()
    vectors = report.seconds.get("vectors", 0.0)
    return (
        f"new node: embedding {done.embedded} papers took {embed_seconds:.1f} s; a new node built its"
        f" whole index ({report.added} papers, {report.loaded} vectors) from the database in"
        f" {build_seconds:.2f} s (vectors {vectors:.2f} s): {embed_seconds / build_seconds:.0f}x"
        " faster (target >= 20x)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=5000)
    parser.add_argument("--lists", type=int, default=50)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--rate", type=int, default=40, help="papers a second of the steady ingest")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--embed-papers", type=int, default=300, help="papers embedded for the new-node figure"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name = f"paperwire_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg_url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    lines = [
        f"bench/nodes.py --papers {args.papers} --lists {args.lists} --duration {args.duration}"
        f" --connections {args.connections}"
    ]
    try:
        with tempfile.TemporaryDirectory(prefix="paperwire-nodes-") as folder:
            tmp = Path(folder)
            sqlite_url = f"sqlite:///{tmp / 'bench.db'}"
            build(sqlite_url, args.papers, args.lists, rng)
            build(pg_url, args.papers, args.lists, random.Random(args.seed))
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}_embed"'))
            embed_url = f"{pg_url}_embed"
            build(embed_url, args.embed_papers, 1, random.Random(args.seed))
            lines.append(new_node_speed(embed_url, tmp / "new-node"))
            results: list[Load] = []
            setups = [
                ("sqlite 1 node", sqlite_url, 1),
                ("pg 1 node", pg_url, 1),
                ("pg 2 nodes", pg_url, 2),
            ]
            lags: list[float] = []
            for label, url, nodes in setups:
                with ExitStack() as stack:
                    started = []
                    for n in range(nodes):
                        home = tmp / f"{label.replace(' ', '-')}-{n}"
                        subprocess.run(
                            [*CLI, "index", "--no-embed"],
                            env=env_for(url, home),
                            check=True,
                            capture_output=True,
                        )
                        process, node_url = serve(env_for(url, home), 1, tmp / f"{label}-{n}.log")
                        stack.callback(lambda p=process: (os.killpg(p.pid, 15), p.wait()))
                        started.append((node_url, process.pid))
                    results += load_nodes(
                        label, [u for u, _ in started], [g for _, g in started], args, tmp
                    )
                    if nodes == 2:
                        lags = index_lag(url, started[1][0], args)
            for load in results:
                lines.append(
                    f"{load.name:<26} {load.requests_per_s:8.1f} req/s  p50 {load.p50_ms:7.1f} ms"
                    f"  p99 {load.p99_ms:7.1f} ms  cpu/req {load.server_cpu_ms:5.2f} ms  errors: {load.errors}"
                )
            by = {load.name: load for load in results}
            for target in ("daily", "daily+cookie", "api"):
                ratio = (
                    by[f"pg 1 node {target}"].requests_per_s
                    / by[f"sqlite 1 node {target}"].requests_per_s
                )
                lines.append(f"pg/sqlite {target}: {100 * ratio:.0f}% (target >= 70%)")
            if lags:
                ordered = sorted(lags)
                lines.append(
                    f"index lag under a steady ingest of {args.rate} papers/s, {len(lags)} probes:"
                    f" median {statistics.median(ordered):.2f} s, max {ordered[-1]:.2f} s (target < 5 s)"
                )
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_embed" WITH (FORCE)'))
        admin.dispose()
    report = "\n".join(lines)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report + "\n")


if __name__ == "__main__":
    main()
