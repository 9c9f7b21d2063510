"""Digest delivery throughput: N confirmed subscribers, each with topics no other subscriber has,
each digest composed, rendered and delivered over SMTP to a local server process.

    .venv/bin/python bench/digest.py [--subscribers 10000] [--papers 400] [--workers 2]
                                     [--archive N] [--shared-topics N] [--database-url URL]

Builds a fresh SQLite database (or uses ``--database-url``, which must be empty and migrated) of
real papers: the ~15,000 distinct papers of ``../shared/data`` (``bench/corpus.py``'s
``real_papers``: arXiv cs and physics listings, Hugging Face lists, the snapshot sample), of which
``--papers`` at random form Friday's daily list and as many more were announced that day in no
list; the rest (``--archive``, default all) are dated over the year before, so every topic is
searched over an index of the archive's size, not only the day's papers. The keyword index is
built (no embeddings: the composer searches topics by keyword). Ids are renumbered
(9000.00001, ...); the Hugging Face papers, which carry no category, keep none.

Each subscriber has two topics no other subscriber has, real phrases a reader would type: the
Hugging Face lists' ``ai_keywords`` (11,592 distinct keyphrases of 1,561 papers), then, when more
are needed, two- and three-word phrases of the real titles (no stop word first or last), those
found in the most titles first; the pool is shuffled with the seed and dealt out two at a time.
So the composer searches 2 x N topics, each once, as with real readers (``--shared-topics 40``
repeats the former setup, where 10,000 subscribers shared 40 topics of two made-up words over
word-salad papers). Each subscriber also has one category, drawn by the real papers' primary
categories. An aiosmtpd server process on loopback counts what it accepts; then one
``send_parallel`` run (what ``paperwire digest send --workers N`` calls: N processes, each
``send_digests``) is timed. Prints the wall time, digests per second, the CPU time of the sending
processes (per digest), the load average, what the server received, and, for a seeded sample of
the topics, how many found at least one of the day's papers. Target: 10,000 subscribers in under
60 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import re
import resource
import socket
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from corpus import DATA, RealPaper, real_papers  # bench/ is the script's own folder

from paperwire.config import load_settings
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.db.models import Subscription
from paperwire.digests.compose import topic_matches
from paperwire.digests.delivery import send_digests, send_parallel
from paperwire.mail.sender import SmtpSender
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.search import index

DAY = date(2026, 6, 5)
ARCHIVE_DAYS = 365
BATCH = 2_000
SAMPLE_TOPICS = 500
# No topic a reader types starts or ends with one of these.
_STOP = (
    "a an and are as at be beyond by can do does for from how in into is its of on or our over"
    " the their through to toward towards under using via we what when why with without"
)
STOP_WORDS = frozenset(_STOP.split())
_WORD = re.compile(r"[a-z0-9][a-z0-9'+-]*[a-z0-9+]|[a-z0-9]")


def _sink(port: int, counter: Any, size: Any, ready: Any) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with counter.get_lock():
                counter.value += 1
                size.value += len(envelope.original_content or b"")
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.Event().wait())


def _papers(
    real: list[RealPaper], count: int, archive: int | None, rng: random.Random
) -> list[PaperRecord]:
    """``count`` real papers in Friday's list, ``count`` announced that day in no list, and the
    rest (at most ``archive``) published over the year before, in a seeded order."""
    chosen = rng.sample(real, len(real))
    if archive is not None:
        chosen = chosen[: 2 * count + archive]
    records = []
    for i, paper in enumerate(chosen):
        number = f"9{i // 99999:03d}.{i % 99999 + 1:05d}"
        today = i < 2 * count
        published = (
            datetime(2026, 6, 5, 18)
            if today
            else datetime(2026, 5, 25, 18) - timedelta(days=rng.randrange(ARCHIVE_DAYS))
        )
        records.append(
            PaperRecord(
                id=number,
                arxiv_id=number,
                version=1,
                title=paper.title,
                source="bench",
                abstract=paper.abstract,
                authors=list(paper.authors),
                categories=list(paper.categories),
                published_at=published,
                upvotes_baseline=rng.randint(0, 50),
                entry=EntryRecord(
                    list_date=DAY, source="bench", submitted_at=datetime(2026, 6, 5, 9)
                )
                if i < count
                else None,
            )
        )
    return records


def keyphrases(data: Path = DATA) -> list[str]:
    """The distinct ``ai_keywords`` of the recorded Hugging Face lists, lower-cased, in file order."""
    found: dict[str, None] = {}
    for path in sorted((data / "hf_daily_papers").glob("daily_papers_*.json")):
        for item in json.loads(path.read_text()):
            for keyword in item["paper"].get("ai_keywords") or []:
                phrase = " ".join(keyword.lower().split())
                if 0 < len(phrase) <= 200:
                    found[phrase] = None
    return list(found)


def title_phrases(real: list[RealPaper]) -> list[str]:
    """Two- and three-word phrases of the real titles with no stop word first or last, those in
    the most titles first (ties in first-seen order)."""
    counts: Counter[str] = Counter()
    for paper in real:
        words = _WORD.findall(paper.title.lower())
        seen = set()
        for n in (2, 3):
            for i in range(len(words) - n + 1):
                gram = words[i : i + n]
                if gram[0] not in STOP_WORDS and gram[-1] not in STOP_WORDS:
                    seen.add(" ".join(gram))
        counts.update(sorted(seen))
    return [phrase for phrase, _ in counts.most_common()]


def distinct_topics(
    real: list[RealPaper], rng: random.Random, subscribers: int
) -> tuple[list[list[str]], str]:
    """Two topics per subscriber, every one different: the keyphrases first, then title phrases
    as needed; and a line saying where they came from."""
    keys = keyphrases()
    known = set(keys)
    extra = [p for p in title_phrases(real) if p not in known]
    needed = 2 * subscribers
    if needed > len(keys) + len(extra):
        raise SystemExit(f"only {len(keys) + len(extra):,} distinct topics for {needed:,}")
    from_keys = min(needed, len(keys))
    topics = rng.sample(keys, from_keys) + extra[: needed - from_keys]
    rng.shuffle(topics)
    words = Counter(len(t.split()) for t in topics)
    origin = (
        f"{needed:,} distinct topics: {from_keys:,} Hugging Face ai_keywords,"
        f" {needed - from_keys:,} title phrases; words per topic "
        + ", ".join(f"{n}: {words[n]:,}" for n in sorted(words))
    )
    return [topics[2 * i : 2 * i + 2] for i in range(subscribers)], origin


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def _cpu() -> float:
    """CPU seconds of this process and of its children waited for (the sender processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=400, help="papers in the day's list")
    parser.add_argument(
        "--archive", type=int, help="older real papers in the index (default: all the others)"
    )
    parser.add_argument("--database-url")
    parser.add_argument("--workers", type=int, default=2, help="sender processes (--workers)")
    parser.add_argument(
        "--shared-topics",
        type=int,
        default=0,
        help="draw every subscriber's topics from this many (the former run: 40); by default"
        " each subscriber has two topics no one else has",
    )
    args = parser.parse_args()
    rng = random.Random(6)
    print(f"load average before: {_load()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        os.environ.update(
            PAPERWIRE_HOME=str(Path(tmp) / "home"),
            PAPERWIRE_DATABASE_URL=url,
            PAPERWIRE_SECRET_KEY="bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
            PAPERWIRE_BASE_URL="https://papers.example.org",
        )
        settings = load_settings()
        engine = make_engine(url)
        upgrade(engine)
        real = real_papers()
        built = time.perf_counter()
        records = _papers(real, args.papers, args.archive, rng)
        for start in range(0, len(records), BATCH):
            with session_scope(engine) as session:
                upsert_papers(session, records[start : start + BATCH])
        index.sync(settings, engine, embed=False)
        print(
            f"{len(records):,} real papers stored and indexed (keywords) in"
            f" {time.perf_counter() - built:.1f} s: {args.papers} in the list of {DAY},"
            f" {args.papers} more announced that day, {len(records) - 2 * args.papers:,} older",
            flush=True,
        )
        if args.shared_topics:
            pool = [p for p in title_phrases(real) if len(p.split()) == 2][: args.shared_topics]
            chosen = [rng.sample(pool, 2) for _ in range(args.subscribers)]
            origin = f"topics shared: two of the {len(pool)} most common two-word title phrases"
        else:
            chosen, origin = distinct_topics(real, rng, args.subscribers)
        print(origin, flush=True)
        primaries = [p.categories[0] for p in real if p.categories]
        now = datetime(2026, 6, 1)
        with session_scope(engine) as session:
            session.execute(
                insert(Subscription),
                [
                    {
                        "email": f"reader{i:05d}@example.org",
                        "frequency": "daily",
                        "topics": chosen[i],
                        "categories": [rng.choice(primaries)],
                        "status": "active",
                        "skip_empty": False,
                        "link_version": 1,
                        "created_at": now,
                        "confirmed_at": now,
                        "updated_at": now,
                    }
                    for i in range(args.subscribers)
                ],
            )
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        counter = multiprocessing.Value("i", 0)
        size = multiprocessing.Value("q", 0)
        ready = multiprocessing.Event()
        server = multiprocessing.Process(
            target=_sink, args=(port, counter, size, ready), daemon=True
        )
        server.start()
        ready.wait(30)
        load_before = _load()
        cpu = _cpu()
        started = time.perf_counter()
        if args.workers > 1:
            os.environ["PAPERWIRE_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
            report = send_parallel(load_settings(), args.workers, day=DAY)
        else:
            report = send_digests(settings, engine, SmtpSender(f"smtp://127.0.0.1:{port}"), day=DAY)
        elapsed = time.perf_counter() - started
        # The SMTP server's process is not waited for yet: its CPU time is not in this figure.
        cpu = _cpu() - cpu
        load_after = _load()
        server.terminate()
        print(report.summary())
        print(
            f"{args.subscribers} subscribers on {engine.dialect.name}, {args.workers} sender"
            f" processes: {elapsed:.1f} s ({report.sent / elapsed:.0f} digests/s); CPU"
            f" {cpu:.1f} s of the senders ({1000 * cpu / max(1, report.sent):.1f} ms a digest);"
            f" load average {load_before} before, {load_after} after; the SMTP server accepted"
            f" {counter.value} messages, {size.value / max(1, counter.value) / 1024:.1f} KiB"
            f" each on average; target < 60 s: {'met' if elapsed < 60 else 'NOT met'}"
        )
        topics = sorted({t for pair in chosen for t in pair})
        sample = random.Random(1).sample(topics, min(SAMPLE_TOPICS, len(topics)))
        found = [
            len(topic_matches(settings, engine, t, DAY - timedelta(days=7), DAY + timedelta(1)))
            for t in sample
        ]
        hits = [n for n in found if n]
        print(
            f"of {len(sample)} topics drawn at random, {len(hits)} found at least one paper of the"
            f" period ({sum(hits) / max(1, len(hits)):.1f} on average when any); the others'"
            " sections say there is nothing new on them"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
