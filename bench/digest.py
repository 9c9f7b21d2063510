"""Digest delivery throughput: N confirmed subscribers with topics, each digest composed, rendered and
delivered over SMTP to a local server process.

    .venv/bin/python bench/digest.py [--subscribers 10000] [--papers 400] [--workers 2]
                                     [--database-url URL]

Builds a fresh SQLite database (or uses ``--database-url``, which must be empty and migrated) with
``--papers`` papers in Friday's daily list plus as many announced that day in no list, indexes them
(keywords only), adds the subscribers (each with two topics of two or three words that no other
subscriber has, unless ``--shared-topics N``, and one of 8 categories), starts an
aiosmtpd server process on loopback that counts what it accepts, then times one
``paperwire digest send --workers N`` run (``send_parallel``: N processes, each ``send_digests``). Prints the wall time, messages
per second, and what the server received. Target: 10,000 subscribers in under 60 s.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import socket
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paperwire.config import load_settings
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.db.models import Subscription
from paperwire.digests.delivery import send_digests, send_parallel
from paperwire.mail.sender import SmtpSender
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.search import index

DAY = date(2026, 6, 5)
WORDS = [
    "graph",
    "neural",
    "network",
    "protein",
    "folding",
    "diffusion",
    "model",
    "language",
    "retrieval",
    "reinforcement",
    "learning",
    "quantum",
    "error",
    "correction",
    "galaxy",
    "survey",
    "robot",
    "manipulation",
    "speech",
    "recognition",
    "causal",
    "inference",
    "federated",
    "privacy",
    "vision",
    "transformer",
    "sparse",
    "attention",
    "optimisation",
    "benchmark",
    "reasoning",
    "agent",
    "planning",
    "molecule",
    "generation",
    "climate",
    "forecasting",
]
CATEGORIES = ["cs.CL", "cs.LG", "cs.CV", "cs.RO", "q-bio.BM", "astro-ph.GA", "quant-ph", "stat.ML"]


def _sink(port: int, counter: Any, ready: Any) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with counter.get_lock():
                counter.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.Event().wait())


def _papers(count: int, rng: random.Random) -> list[PaperRecord]:
    records = []
    for i in range(2 * count):
        title = " ".join(rng.sample(WORDS, 6)).capitalize()
        in_list = i < count
        records.append(
            PaperRecord(
                id=f"2606.{i:05d}",
                arxiv_id=f"2606.{i:05d}",
                version=1,
                title=title,
                source="bench",
                abstract=" ".join(rng.choices(WORDS, k=120)) + ".",
                authors=[f"Author {j}" for j in range(rng.randint(1, 8))],
                categories=[rng.choice(CATEGORIES)],
                published_at=datetime(2026, 6, 5, 18),
                upvotes_baseline=rng.randint(0, 50),
                entry=EntryRecord(
                    list_date=DAY, source="bench", submitted_at=datetime(2026, 6, 5, 9)
                )
                if in_list
                else None,
            )
        )
    return records


def distinct_topics(rng: random.Random, subscribers: int) -> list[list[str]]:
    """Two topics per subscriber, every one different (two or three of ``WORDS``): each topic is
    searched once, as with real readers, instead of 40 searches shared by 10,000 readers."""
    seen: set[str] = set()
    while len(seen) < 2 * subscribers:
        seen.add(" ".join(rng.sample(WORDS, rng.choice((2, 3)))))
    topics = sorted(seen)
    rng.shuffle(topics)
    return [topics[2 * i : 2 * i + 2] for i in range(subscribers)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=400)
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
        with session_scope(engine) as session:
            upsert_papers(session, _papers(args.papers, rng))
        index.sync(settings, engine, embed=False)
        if args.shared_topics:
            pool = [" ".join(rng.sample(WORDS, 2)) for _ in range(args.shared_topics)]
            chosen = [rng.sample(pool, 2) for _ in range(args.subscribers)]
        else:
            chosen = distinct_topics(rng, args.subscribers)
        now = datetime(2026, 6, 1)
        with session_scope(engine) as session:
            session.execute(
                insert(Subscription),
                [
                    {
                        "email": f"reader{i:05d}@example.org",
                        "frequency": "daily",
                        "topics": chosen[i],
                        "categories": [rng.choice(CATEGORIES)],
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
        ready = multiprocessing.Event()
        server = multiprocessing.Process(target=_sink, args=(port, counter, ready), daemon=True)
        server.start()
        ready.wait(30)
        started = time.perf_counter()
        if args.workers > 1:
            os.environ["PAPERWIRE_SMTP_URL"] = f"smtp://127.0.0.1:{port}"
            report = send_parallel(load_settings(), args.workers, day=DAY)
        else:
            report = send_digests(settings, engine, SmtpSender(f"smtp://127.0.0.1:{port}"), day=DAY)
        elapsed = time.perf_counter() - started
        server.terminate()
        print(report.summary())
        print(
            f"{args.subscribers} subscribers on {engine.dialect.name}, {args.workers} sender processes: "
            f"{elapsed:.1f} s "
            f"({report.sent / elapsed:.0f} digests/s); the SMTP server accepted {counter.value} "
            f"messages; target < 60 s: {'met' if elapsed < 60 else 'NOT met'}"
        )
        engine.dispose()


if __name__ == "__main__":
    main()
