"""Web pages under load: the daily-list page and paper pages of an instance with 100,000 papers.

    .venv/bin/python bench/web.py [--papers 100000] [--lists 200] [--duration 15] [--connections 8]
                                  [--workers 2] [--keep DIR]

Builds an SQLite instance of ``--papers`` papers synthesised from the real records of the demo
corpus (ids renumbered 9000.00001, ..., upvotes drawn at random), spread over ``--lists`` daily
lists, with the keyword search index that the paper page's "similar papers" reads (embedding
100,000 papers would take most of an hour on two cores, so similar papers come from the keyword
fallback, the slower path). Then it starts a real ``paperwire serve --workers N`` and loads it
with ``wrk`` (Debian package ``wrk``): each target for ``--duration`` seconds over
``--connections`` keep-alive connections, after a short warm-up. Targets:

- baseline: ``/healthz`` (one ``SELECT 1``: the cost of the server, the framework and a session);
- daily: ``/papers/date/D`` for a random one of the lists (the first page, 30 papers), as a
  visitor without cookies gets it: from the page cache while nothing is committed;
- daily+cookie: the same pages with a cookie, so each is built (queries and template), as for a
  signed-in member;
- paper: ``/papers/ID`` for a random one of the papers.

For each it prints requests/s, p50 and p99 latency, the ratio of requests/s to the baseline, and
the server's CPU time per request (from /proc, all worker processes), which other work on the
machine does not inflate the way it does wall-clock figures.
Results go to bench/results/web.txt. Target (issue 4): daily and paper pages >= 300 requests/s
with p99 < 100 ms on a 2-core machine. The load generator shares the two cores with the server.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.demo.corpus import read_corpus
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results" / "web.txt"
CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]
FIRST_DAY = date(2025, 6, 2)
BATCH = 2_000

LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
math.randomseed(%(seed)d)
request = function()
  return wrk.format("GET", paths[math.random(#paths)], %(headers)s)
end
"""
# A cookie makes the request a "visitor with cookies": list pages are then built for it rather
# than served from the per-process page cache (paperwire/web/pagecache.py).
COOKIE = '{Cookie = "bench=1"}'


def paper_id(n: int) -> str:
    return f"9{n // 99999:03d}.{n % 99999 + 1:05d}"


def build(database_url: str, papers: int, lists: int, rng: random.Random) -> float:
    """Store ``papers`` papers in ``lists`` daily lists; the seconds it took."""
    started = time.perf_counter()
    corpus = list(read_corpus())
    engine = make_engine(database_url)
    upgrade(engine)
    batch: list[PaperRecord] = []
    for n in range(papers):
        base = corpus[n % len(corpus)]
        day = FIRST_DAY + timedelta(days=n % lists)
        batch.append(
            dataclasses.replace(
                base,
                id=paper_id(n),
                arxiv_id=paper_id(n),
                upvotes_baseline=int(rng.paretovariate(1.2)) - 1,
                entry=EntryRecord(
                    list_date=day,
                    source="bench",
                    submitted_at=datetime(day.year, day.month, day.day, 8)
                    + timedelta(seconds=n % 36000),
                    submitter_name=f"member{n % 97}",
                ),
            )
        )
        if len(batch) == BATCH:
            with session_scope(engine) as session:
                upsert_papers(session, batch)
            batch = []
    if batch:
        with session_scope(engine) as session:
            upsert_papers(session, batch)
    engine.dispose()
    return time.perf_counter() - started


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(env: dict[str, str], workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
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


@dataclasses.dataclass
class Load:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str
    server_cpu_ms: float = 0.0  # server CPU time per request, all worker processes together


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of every live process in process group ``group`` (the server
    and its workers), from /proc: a figure other work on the machine cannot inflate."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    name: str, url: str, paths: list[str], args: argparse.Namespace, tmp: Path, group: int
) -> Load:
    """Load ``paths`` (one at random per request) for ``args.duration`` seconds."""
    listing = tmp / f"{name}.paths"
    listing.write_text("\n".join(paths) + "\n")
    script = tmp / f"{name}.lua"
    headers = COOKIE if name.endswith("+cookie") else "nil"
    script.write_text(LUA % {"paths": listing, "seed": args.seed, "headers": headers})
    common = ["-t", "2", "-c", str(args.connections), "-s", str(script), "--latency", url]
    subprocess.run(["wrk", "-d", "3s", *common], check=True, capture_output=True)  # warm-up
    cpu_before = group_cpu_seconds(group)
    out = subprocess.run(
        ["wrk", "-d", f"{args.duration}s", *common], check=True, capture_output=True, text=True
    ).stdout
    cpu = group_cpu_seconds(group) - cpu_before
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = "; ".join(
        line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line
    )
    return Load(name, rate, p50, p99, total, errors or "none", 1000 * cpu / max(1, total))


def _meets(load: Load) -> bool:
    return load.requests_per_s >= 300 and load.p99_ms < 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--lists", type=int, default=200)
    parser.add_argument("--duration", type=int, default=15, help="seconds per target")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="paperwire serve --workers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the instance in this folder")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/web.py needs wrk: apt-get install wrk")
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="paperwire-web-bench-"))
    home = args.keep or tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{home / 'paperwire.db'}"
    env = {
        **os.environ,
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_SECRET_KEY": "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
    }
    marker = home / f"built-{args.papers}-{args.lists}"
    if not marker.exists():
        seconds = build(database_url, args.papers, args.lists, rng)
        print(f"built {args.papers:,} papers in {args.lists} daily lists in {seconds:.1f} s")
        started = time.perf_counter()
        subprocess.run([*CLI, "index", "--no-embed"], env=env, check=True, capture_output=True)
        print(f"keyword index built in {time.perf_counter() - started:.1f} s")
        marker.touch()
    days = [FIRST_DAY + timedelta(days=i) for i in range(args.lists)]
    targets = {
        "baseline /healthz": ["/healthz"],
        "daily /papers/date/D": [f"/papers/date/{d.isoformat()}" for d in days],
        "daily+cookie (built)": [f"/papers/date/{d.isoformat()}" for d in days],
        "paper /papers/ID": [
            f"/papers/{paper_id(rng.randrange(args.papers))}" for _ in range(5000)
        ],
    }
    process, url = serve(env, args.workers, tmp / "serve.log")
    try:
        for paths in targets.values():
            response = httpx.get(url + paths[0], timeout=30)
            if response.status_code != 200:
                raise SystemExit(f"{paths[0]} answered {response.status_code}")
        loads = [
            wrk(name.split()[0], url, paths, args, tmp, process.pid)
            for name, paths in targets.items()
        ]
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)
    load_avg = os.getloadavg()
    lines = [
        f"bench/web.py: {args.papers:,} papers in {args.lists} daily lists (SQLite), "
        f"paperwire serve --workers {args.workers}, wrk -t2 -c{args.connections} "
        f"-d{args.duration}s on {os.cpu_count()} CPUs (load average after: "
        f"{load_avg[0]:.1f}; other engineers' work shares the CPUs)",
        f"{'target':<22}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x baseline':>12}"
        f"{'CPU ms/req':>12}{'req/CPU-s':>11}  errors",
    ]
    base = loads[0].requests_per_s
    for name, load in zip(targets, loads, strict=True):
        lines.append(
            f"{name:<22}{load.requests_per_s:>9.0f}{load.p50_ms:>9.1f}{load.p99_ms:>9.1f}"
            f"{load.requests_per_s / base:>12.2f}{load.server_cpu_ms:>12.2f}"
            f"{1000 / max(load.server_cpu_ms, 1e-9):>11.0f}  {load.errors}"
        )
    measured = list(zip(targets, loads, strict=True))[1:]  # not the baseline
    met = [name for name, load in measured if _meets(load)]
    lines.append("target (>= 300 req/s and p99 < 100 ms) met by: " + (", ".join(met) or "none"))
    lines.append(
        "CPU ms/req: server CPU time per request (all workers); req/CPU-s: what one free core"
        " would serve. The server shared two cores with wrk and everything else running."
    )
    report = "\n".join(lines)
    print(report)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report + "\n")
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
