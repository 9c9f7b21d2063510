"""The JSON API at scale: ``/api/daily_papers`` and ``/api/papers/search`` on a 100,000-paper
instance, requests/s and latency under a concurrent client, against ``/healthz`` on the same server.

    .venv/bin/python bench/api.py [--papers 100000] [--seconds 20] [--concurrency 8] [--workers 2]

The instance: the 1,531 real papers of the recorded Hugging Face lists (``../shared/data/
hf_daily_papers``) repeated under new arXiv-style ids to ``--papers``, 100 a day on consecutive daily
lists back from 2026-07-03, each keeping its real title, abstract, authors and upvotes. They are
stored with ``upsert_papers`` in batches into a fresh SQLite file, indexed by the real ``paperwire
index --no-embed`` (the keyword index of every paper; embedding 100,000 abstracts on this shared
2-core machine takes hours, so the vector half is empty and search runs its query embedding and
the keyword ranking, the path of a bulk load not yet embedded), and served by the real ``paperwire
serve --workers N`` with the API rate limit on (set high enough never to refuse), so each request
also pays for its counter.

The client: ``--concurrency`` connections for ``--seconds`` per endpoint, each request a random
choice among real parameters (dates, weeks and months that hold papers, trending, pages; queries
made of words of real titles). The baseline, measured in the same run on the same server, is
``/healthz``: the cost of the web stack alone. Printed and written to ``bench/results/api.txt``:
requests/s, p50 and p99 latency, and the ratio of each endpoint's requests/s to the baseline's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.ingest import hf
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data" / "hf_daily_papers"
LAST_DAY = date(2026, 7, 3)
PER_DAY = 100
BATCH = 2000
RESULTS = REPO / "bench" / "results" / "api.txt"


def real_papers(folder: Path) -> list[PaperRecord]:
    """The distinct papers of every recorded list, as ingest reads them."""
    seen: dict[str, PaperRecord] = {}
    for path in sorted(folder.glob("daily_papers_*.json")):
        for item in hf.read_file(path):
            if isinstance(item, PaperRecord):
                seen.setdefault(item.id, item)
    return list(seen.values())


def synthetic(real: list[PaperRecord], count: int) -> list[PaperRecord]:
    """``count`` papers cycling through ``real``, ``PER_DAY`` a day back from ``LAST_DAY``."""
    out = []
    for i in range(count):
        source = real[i % len(real)]
        day = LAST_DAY - timedelta(days=i // PER_DAY)
        pid = f"{day:%y%m}.{i % 100_000:05d}" if i < 100_000 else f"{day:%y%m}.{i:06d}"
        submitted = datetime(day.year, day.month, day.day, 6) + timedelta(seconds=i % PER_DAY)
        out.append(
            PaperRecord(
                id=pid,
                arxiv_id=pid,
                version=1,
                title=source.title,
                source="bench",
                abstract=source.abstract,
                authors=source.authors,
                categories=source.categories,
                published_at=submitted - timedelta(days=2),
                links=source.links,
                extras=source.extras,
                upvotes_baseline=source.upvotes_baseline,
                entry=EntryRecord(
                    list_date=day,
                    source="bench",
                    submitted_at=submitted,
                    submitter_name=(source.entry.submitter_name if source.entry else None),
                    submitter_info=(source.entry.submitter_info if source.entry else {}),
                ),
            )
        )
    return out


def build(home: Path, papers: int, env: dict[str, str]) -> tuple[list[PaperRecord], float, float]:
    url = env["PAPERWIRE_DATABASE_URL"]
    engine = make_engine(url)
    upgrade(engine)
    real = real_papers(DATA)
    records = synthetic(real, papers)
    started = time.perf_counter()
    for start in range(0, len(records), BATCH):
        with session_scope(engine) as session:
            upsert_papers(session, records[start : start + BATCH])
    stored = time.perf_counter() - started
    engine.dispose()
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", "from paperwire.cli import main; main()", "index", "--no-embed"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return real, stored, time.perf_counter() - started


def wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"paperwire serve exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=2).text == "ok":
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit("paperwire serve did not start")


async def load(
    base: str, paths: list[str], seconds: float, concurrency: int
) -> tuple[int, list[float], int]:
    """Requests for ``seconds`` from ``concurrency`` clients: (count, latencies in ms, errors)."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + seconds
    rng = random.Random(11)

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            path = rng.choice(paths)
            t0 = time.perf_counter()
            response = await http.get(path)
            latencies.append((time.perf_counter() - t0) * 1000)
            errors += response.status_code != 200

    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        await http.get(paths[0])  # warm the process (search loads its index and model once)
        await asyncio.gather(*(client(http) for _ in range(concurrency)))
    return len(latencies), latencies, errors


def daily_paths(days: int) -> list[str]:
    rng = random.Random(3)
    paths = []
    for _ in range(200):
        day = LAST_DAY - timedelta(days=rng.randrange(days))
        year, week, _ = day.isocalendar()
        paths += [
            f"/api/daily_papers?date={day.isoformat()}",
            f"/api/daily_papers?week={year}-W{week:02d}&p={rng.randrange(3)}",
            f"/api/daily_papers?month={day:%Y-%m}&limit=100&p={rng.randrange(5)}",
            f"/api/daily_papers?p={rng.randrange(20)}",
            f"/api/daily_papers?week={year}-W{week:02d}&sort=trending",
        ]
    return paths


def search_paths(real: list[PaperRecord]) -> list[str]:
    rng = random.Random(5)
    paths = []
    for record in rng.sample(real, min(300, len(real))):
        words = [w for w in record.title.replace(":", " ").split() if len(w) > 3]
        query = " ".join(rng.sample(words, min(3, len(words)))) or record.title
        paths.append("/api/papers/search?" + str(httpx.QueryParams({"q": query, "limit": 20})))
    return paths


def summary(name: str, count: int, latencies: list[float], errors: int, seconds: float) -> dict:
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "name": name,
        "rps": count / seconds,
        "p50": statistics.median(latencies),
        "p99": cuts[98],
        "errors": errors,
        "count": count,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        home = Path(tmp) / "home"
        env = {
            **os.environ,
            "PAPERWIRE_HOME": str(home),
            "PAPERWIRE_DATABASE_URL": f"sqlite:///{Path(tmp) / 'paperwire.db'}",
            "PAPERWIRE_SECRET_KEY": "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
            "PAPERWIRE_API_RATE_LIMIT": str(10**9),
        }
        real, stored, indexed = build(home, args.papers, env)
        lines = [
            f"{args.papers:,} papers ({len(real):,} real Hugging Face papers repeated), SQLite;"
            f" stored in {stored:.1f}s, keyword-indexed in {indexed:.1f}s (no embeddings)",
            f"paperwire serve --workers {args.workers}; {args.concurrency} concurrent clients,"
            f" {args.seconds:.0f}s per endpoint; load average at start"
            f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        ]
        print("\n".join(lines), flush=True)
        port = 18700 + random.randrange(1000)
        command = [
            sys.executable, "-c", "from paperwire.cli import main; main()",
            "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
        ]  # fmt: skip
        server = subprocess.Popen(
            command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(base, server)
            days = args.papers // PER_DAY
            runs = [
                ("/healthz (baseline)", ["/healthz"]),
                ("/api/daily_papers", daily_paths(days)),
                ("/api/papers/search", search_paths(real)),
            ]
            results = []
            for name, paths in runs:
                count, latencies, errors = asyncio.run(
                    load(base, paths, args.seconds, args.concurrency)
                )
                results.append(summary(name, count, latencies, errors, args.seconds))
        finally:
            server.terminate()
            server.wait(timeout=30)
    baseline = results[0]["rps"]
    for r in results:
        line = (
            f"{r['name']:<22} {r['rps']:8.1f} req/s  p50 {r['p50']:8.1f} ms  p99 {r['p99']:8.1f} ms"
            f"  {r['rps'] / baseline:6.3f}x baseline  ({r['count']:,} requests, {r['errors']} not 200)"
        )
        lines.append(line)
        print(line, flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        f"bench/api.py {' '.join(sys.argv[1:])} ({datetime.now():%Y-%m-%d %H:%M})\n"
        + "\n".join(lines)
        + "\n"
        + json.dumps(results)
        + "\n"
    )


if __name__ == "__main__":
    main()
