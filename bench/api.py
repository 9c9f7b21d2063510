"""The JSON API at scale: ``/api/daily_papers`` and ``/api/papers/search`` on a 100,000-paper
instance, requests/s and latency under a concurrent client, against ``/healthz`` on the same server.

    .venv/bin/python bench/api.py [--papers 100000] [--seconds 20] [--concurrency 8] [--workers 2]

The instance: the real papers of the recorded Hugging Face lists (1,560 now, in ``../shared/data/
hf_daily_papers``) repeated under new arXiv-style ids to ``--papers``, 100 a day on consecutive daily
lists back from 2026-07-03, each keeping its real title, abstract, authors and upvotes. They are
stored with ``upsert_papers`` in batches into a fresh SQLite file, indexed by the real ``paperwire
index --no-embed`` (the keyword index of every paper; embedding 100,000 abstracts on this shared
2-core machine takes hours, so the vector half is empty and search runs its query embedding and
the keyword ranking, the path of a bulk load not yet embedded), and served by the real ``paperwire
serve --workers N`` with the API rate limit on (set high enough never to refuse), so each request
is counted (``ratelimit.Tally``: at this limit in memory, the shared counters written about once
a second per server process; at the default 600 a minute, once every 6 requests of a client).

The client: ``--concurrency`` connections for ``--seconds`` per endpoint, each request a random
choice among real parameters (dates, weeks and months that hold papers, trending, pages; queries
made of words of real titles). The baseline, measured in the same run on the same server, is
``/healthz``: the cost of the web stack alone. Printed and written to ``bench/results/api.txt``:
requests/s, p50 and p99 latency, and the ratio of each endpoint's requests/s to the baseline's.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
from loadgen import (  # bench/ is the script's own folder
    extract_revision,
    need_wrk,
    serve,
    stop,
    table,
    wrk,
)

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


def daily_paths(days: int) -> list[str]:
    rng = random.Random(3)
    paths = []
    for _ in range(100):
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


def fresh_search_paths(real: list[PaperRecord], count: int) -> list[str]:
    """``count`` distinct queries (two title words and a third from another title): each is new
    to the server, so these measure a search built, not one served from the cache."""
    rng = random.Random(9)
    words = sorted({w for r in real for w in r.title.replace(":", " ").split() if len(w) > 3})
    paths = set()
    while len(paths) < count:
        query = " ".join(rng.sample(words, 3))
        paths.add("/api/papers/search?" + str(httpx.QueryParams({"q": query, "limit": 20})))
    return sorted(paths)


def feed_pairs(days: int) -> list[tuple[str, list[str]]]:
    """Each feed or export beside the page it mirrors (one address each, as a feed reader
    polls one)."""
    day = (LAST_DAY - timedelta(days=min(days - 1, 3))).isoformat()
    return [
        ("page /", ["/"]),
        ("feed /daily.atom", ["/daily.atom"]),
        ("page /papers/date/D", [f"/papers/date/{day}"]),
        ("feed /daily.atom?date=D", [f"/daily.atom?date={day}"]),
        ("export /daily.jsonl?date=D", [f"/daily.jsonl?date={day}"]),
        ("export /daily.bib?date=D", [f"/daily.bib?date={day}"]),
        ("page /papers/trending", ["/papers/trending"]),
        ("feed /papers/trending.atom", ["/papers/trending.atom"]),
    ]


def deep_pages(base: str) -> list[str]:
    """One request each (the first asker builds it) to pages far into the whole archive."""
    lines = []
    with httpx.Client(base_url=base, timeout=120) as http:
        for page in (0, 100, 900, 1990):
            path = f"/api/daily_papers?p={page}&limit=50"
            started = time.perf_counter()
            answer = http.get(path)
            built = (time.perf_counter() - started) * 1000
            started = time.perf_counter()
            http.get(path)
            again = (time.perf_counter() - started) * 1000
            lines.append(
                f"{path}: {answer.status_code}, {len(answer.json())} papers, built in"
                f" {built:.1f} ms, then {again:.1f} ms from the cache"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--keep", type=Path, default=None, help="build (or reuse) the instance here"
    )
    parser.add_argument("--no-feeds", action="store_true", help="only the API endpoints")
    parser.add_argument(
        "--revision",
        help="serve the code of this git revision instead of the checkout (a baseline: e.g."
        " 163d14b, before the API cache), on the same instance",
    )
    args = parser.parse_args()
    need_wrk("bench/api.py")

    tmp = Path(tempfile.mkdtemp(prefix="paperwire-api-bench-"))
    folder = args.keep or tmp
    folder.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PAPERWIRE_HOME": str(folder / "home"),
        "PAPERWIRE_DATABASE_URL": f"sqlite:///{folder / 'paperwire.db'}",
        "PAPERWIRE_SECRET_KEY": "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "PAPERWIRE_API_RATE_LIMIT": str(10**9),
    }
    marker = folder / f"built-{args.papers}"
    real = real_papers(DATA)
    if marker.exists():
        built = "reused"
    else:
        real, stored, indexed = build(folder / "home", args.papers, env)
        built = f"stored in {stored:.1f}s, keyword-indexed in {indexed:.1f}s (no embeddings)"
        marker.touch()
    lines = [
        f"{args.papers:,} papers ({len(real):,} real Hugging Face papers repeated), SQLite; {built}",
        f"paperwire serve --workers {args.workers}; wrk -t2 -c{args.concurrency},"
        f" {args.seconds:g}s per target after 3s of warm-up; load average at start"
        f" {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
    ]
    print("\n".join(lines), flush=True)
    if args.revision:
        code = extract_revision(REPO, args.revision, tmp / "code")
        env["PYTHONPATH"] = str(code)
        lines.append(f"served by the code of revision {args.revision} (git archive)")
    process, base = serve(env, args.workers, tmp / "serve.log", cwd=tmp if args.revision else None)
    days = args.papers // PER_DAY
    daily = daily_paths(days)
    searches = search_paths(real)
    runs = [
        ("/healthz (baseline)", ["/healthz"]),
        ("/api/daily_papers, one list", daily[:1]),
        ("/api/papers/search, one query", searches[:1]),
        ("/api/daily_papers, mixed", daily),
        ("/api/papers/search, 300 queries", searches),
        ("/api/papers/search, new queries", fresh_search_paths(real, 20_000)),
    ]
    if not args.no_feeds:
        runs += feed_pairs(days)
    try:
        loads = []
        for name, paths in runs:
            load = wrk(
                name,
                base,
                paths,
                duration=args.seconds,
                connections=args.concurrency,
                tmp=tmp,
                group=process.pid,
                warmup=0 if "new queries" in name else 3,
            )
            loads.append(load)
            print(table(loads)[-1], flush=True)
        deep = deep_pages(base)
    finally:
        stop(process)
    lines += table(loads)
    lines.append(
        "'one list' / 'one query': a single address, so every request after the first is an"
        " answer from the per-process cache (its cost); 'mixed' cycles through"
        f" {len(set(daily))} addresses and '300 queries' through 300: served from the cache once"
        " each worker has built them (within the cache's 60 s), so the share of builds grows as"
        " the machine's load slows the requests; 'new queries': 20,000 distinct, nearly all built"
    )
    lines.append(f"load average at the end {os.getloadavg()[0]:.1f}")
    lines += deep
    report = "\n".join(lines)
    print(report)
    results = RESULTS.with_name(f"api-{args.revision}.txt") if args.revision else RESULTS
    results.parent.mkdir(exist_ok=True)
    results.write_text(
        f"bench/api.py {' '.join(sys.argv[1:])} ({datetime.now():%Y-%m-%d %H:%M})\n"
        + report
        + "\n"
        + json.dumps([dataclasses.asdict(load) for load in loads])
        + "\n"
    )
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
