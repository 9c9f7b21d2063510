"""Choose the relevance threshold of a digest's topic sections on labelled data.

    .venv/bin/python bench/topic_threshold.py [--data ../shared/data/hf_daily_papers]
                                             [--min-papers 10] [--keep DIR]

Labels: the Hugging Face daily-papers responses in ``--data`` give each paper ``ai_keywords``; every
keyword carried by at least ``--min-papers`` papers is a topic, and a paper is relevant to it when it
carries that keyword (case-insensitive). The lenient figures also count a keyword that contains the
topic ("agentic reinforcement learning" for "reinforcement learning"), since the labels miss many
papers that are plainly on a topic.

It loads the papers into a fresh SQLite instance with the real ingest parser and builds the real
index with the shipped embedding model (``--keep DIR`` reuses it). For every topic it measures what
the digest composer uses, ``paperwire.digests.compose.topic_strengths`` (the topic as an exact phrase
in the keyword index, each match's BM25 over the phrase's IDF), at candidate thresholds, and, for
comparison, the old rule (lexical mode, any word of the topic: what the composer let in before),
semantic search's cosine similarity alone and with the phrase, the raw BM25 of the phrase, and the
phrase required together with a cosine threshold. Precision and recall are pooled over the topics
(top ``service.MAX_LIMIT`` results of each search over the whole corpus). The threshold is chosen by
F0.5 (precision weighs more than recall: a digest should not waste a reader's time) on the strict
labels of the topics of even rank, then reported on the odd ones and on all. It prints the commit it
ran on and the data folder.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = [round(0.20 + 0.025 * i, 3) for i in range(17)]
SEM_GRID = [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 1.01]
STRENGTH_GRID = [
    0.0,
    0.2,
    0.4,
    0.5,
    0.6,
    0.7,
    0.8,
    0.9,
    1.0,
    1.1,
    1.2,
    1.3,
    1.4,
    1.5,
    1.6,
    1.8,
    2.0,
]
LEX_GRID = [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0]


def labels(folder: Path) -> dict[str, set[str]]:
    """Paper ids per lower-cased ai_keyword."""
    out: dict[str, set[str]] = defaultdict(set)
    for path in sorted(folder.glob("daily_papers_*.json")):
        for item in json.loads(path.read_text()):
            paper = item.get("paper", item)
            for keyword in paper.get("ai_keywords") or []:
                out[" ".join(str(keyword).lower().split())].add(str(paper["id"]))
    return out


def build(folder: Path, home: Path) -> None:
    from paperwire.config import load_settings
    from paperwire.db.engine import make_engine, session_scope
    from paperwire.db.migrate import upgrade
    from paperwire.ingest import hf
    from paperwire.papers.records import PaperRecord
    from paperwire.papers.store import upsert_papers
    from paperwire.search import index

    settings = load_settings()
    engine = make_engine(settings.database_url)
    upgrade(engine)
    records: dict[str, PaperRecord] = {}
    for path in sorted(folder.glob("daily_papers_*.json")):
        for item in hf.read_file(path):
            if isinstance(item, PaperRecord):
                records[item.id] = item
    with session_scope(engine) as session:
        upsert_papers(session, list(records.values()))
    report = index.sync(settings, engine)
    print(f"built {home}: {len(records)} papers; {report.summary()}", flush=True)
    engine.dispose()


def pooled(runs: list[tuple[set[str], set[str]]]) -> tuple[float, float, float]:
    """Precision, recall and F0.5 over (found, relevant) pairs, counted together."""
    tp = sum(len(f & r) for f, r in runs)
    found = sum(len(f) for f, _ in runs)
    relevant = sum(len(r) for _, r in runs)
    p = tp / found if found else 1.0
    r = tp / relevant if relevant else 0.0
    f = 1.25 * p * r / (0.25 * p + r) if p + r else 0.0
    return p, r, f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/hf_daily_papers")
    parser.add_argument("--min-papers", type=int, default=10)
    parser.add_argument("--keep", type=Path, help="build the instance here (reused if present)")
    args = parser.parse_args()
    if not list(args.data.glob("daily_papers_*.json")):
        parser.error(f"no daily_papers_*.json files in {args.data}")
    home = args.keep or Path(tempfile.mkdtemp(prefix="topicbench-"))
    os.environ["PAPERWIRE_HOME"] = str(home)
    os.environ["PAPERWIRE_DATABASE_URL"] = f"sqlite:///{home / 'paperwire.db'}"
    os.environ.pop("PAPERWIRE_EMBEDDING_MODEL", None)
    if not (home / "index").exists():
        home.mkdir(parents=True, exist_ok=True)
        build(args.data, home)

    from paperwire.config import load_settings
    from paperwire.db.engine import make_engine
    from paperwire.digests import compose
    from paperwire.search import service

    settings = load_settings()
    engine = make_engine(settings.database_url)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    by_keyword = labels(args.data)
    topics = sorted(k for k, ids in by_keyword.items() if len(ids) >= args.min_papers)
    print(
        f"commit {commit}; data {args.data} ({len(list(args.data.glob('daily_papers_*.json')))}"
        f" files); {len(topics)} topics with >= {args.min_papers} labelled papers"
    )

    def search(query: str, mode: str) -> list[tuple[str, float]]:
        page = service.search(
            settings, engine, query, mode=mode, limit=service.MAX_LIMIT, snippets=False
        )
        assert page.mode == mode, page.notes
        return [(r.id, r.score) for r in page.results]

    strict: dict[str, set[str]] = {}
    lenient: dict[str, set[str]] = {}
    cosine: dict[str, dict[str, float]] = {}
    phrase: dict[str, dict[str, float]] = {}
    strength: dict[str, dict[str, float]] = {}
    titled: dict[str, set[str]] = {}
    any_word: dict[str, set[str]] = {}
    for topic in topics:
        strict[topic] = by_keyword[topic]
        lenient[topic] = set().union(*(ids for k, ids in by_keyword.items() if topic in k))
        cosine[topic] = dict(search(topic, "semantic"))
        phrase[topic] = dict(search(f'"{topic}"', "lexical"))
        strength[topic] = dict(compose.topic_strengths(settings, engine, topic))
        titled[topic] = {pid for pid, _ in search(f'title:"{topic}"', "lexical")}
        any_word[topic] = {pid for pid, _ in search(topic, "lexical")}

    halves = {"even": topics[0::2], "odd": topics[1::2], "all": topics}
    for name, truth in (("strict", strict), ("lenient", lenient)):
        p, r, _ = pooled([(any_word[t], truth[t]) for t in topics])
        print(
            f"\n[{name} labels] old rule, lexical any word (top {service.MAX_LIMIT}): "
            f"precision {p:.3f} recall {r:.3f}"
        )
        p, r, f = pooled([(set(phrase[t]), truth[t]) for t in topics])
        print(f"[{name} labels] exact phrase alone: precision {p:.3f} recall {r:.3f} F0.5 {f:.3f}")
        print(
            f"{'cosine >=':>10} | {'semantic: P     R    F0.5':>26} | {'or phrase: P    R    F0.5':>26}"
        )
        for t in THRESHOLDS:
            sem = [({p for p, s in cosine[k].items() if s >= t}, truth[k]) for k in topics]
            both = [(f | set(phrase[k]), r) for (f, r), k in zip(sem, topics, strict=True)]
            a, b = pooled(sem), pooled(both)
            print(
                f"{t:>10.3f} | {a[0]:>9.3f} {a[1]:.3f} {a[2]:.3f}      | "
                f"{b[0]:>9.3f} {b[1]:.3f} {b[2]:.3f}"
            )

    def chosen(k: str, sem: float, lex: float, title: bool = False) -> set[str]:
        return (
            {p for p, s in cosine[k].items() if s >= sem}
            | {p for p, s in phrase[k].items() if s >= lex}
            | (titled[k] if title else set())
        )

    def at(sem: float, lex: float, keys: list[str], title: bool = False) -> tuple[float, ...]:
        return pooled([(chosen(k, sem, lex, title), strict[k]) for k in keys])

    print("\n[strict labels] cosine >= C, or the exact phrase in the title (any BM25 otherwise)")
    for sem in SEM_GRID:
        p, r, f = at(sem, float("inf"), topics, title=True)
        lp, lr, _ = pooled([(chosen(k, sem, float("inf"), True), lenient[k]) for k in topics])
        print(
            f"  C {sem:>5}: precision {p:.3f} recall {r:.3f} F0.5 {f:.3f};"
            f" lenient precision {lp:.3f} recall {lr:.3f}"
        )

    print(
        "\n[strict labels] a paper passes with cosine >= C or the exact phrase at BM25 >= B;"
        " F0.5 (precision/recall) pooled over all topics"
    )
    print(f"{'B / C':>6} " + " ".join(f"{c:>15}" for c in SEM_GRID))
    for lex in LEX_GRID:
        cells = []
        for sem in SEM_GRID:
            p, r, f = at(sem, lex, topics)
            cells.append(f"{f:.3f} {p:.2f}/{r:.2f}")
        print(f"{lex:>6} " + " ".join(f"{c:>15}" for c in cells))

    def strong(k: str, t: float) -> set[str]:
        return {p for p, v in strength[k].items() if v >= t}

    print(
        "\nThe composer's rule: the exact phrase with BM25 / IDF >= S"
        " (compose.topic_strengths); pooled over topics"
    )
    print(
        f"{'S':>5} | {'strict: P     R    F0.5':>24} | {'lenient: P    R    F0.5':>24} | even F0.5"
    )
    for t in STRENGTH_GRID:
        a = pooled([(strong(k, t), strict[k]) for k in topics])
        b = pooled([(strong(k, t), lenient[k]) for k in topics])
        e = pooled([(strong(k, t), strict[k]) for k in halves["even"]])
        print(
            f"{t:>5} | {a[0]:>9.3f} {a[1]:.3f} {a[2]:.3f}    | {b[0]:>9.3f} {b[1]:.3f} {b[2]:.3f}"
            f"    | {e[2]:.3f}"
        )
    print(
        "\nThe exact phrase AND cosine >= C (papers outside a topic's semantic top"
        f" {service.MAX_LIMIT} count as below)"
    )
    for c in [0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5]:
        both = {k: {p for p in phrase[k] if cosine[k].get(p, -1.0) >= c} for k in topics}
        a = pooled([(both[k], strict[k]) for k in topics])
        b = pooled([(both[k], lenient[k]) for k in topics])
        print(
            f"  C {c:>4}: strict P {a[0]:.3f} R {a[1]:.3f} F0.5 {a[2]:.3f};"
            f" lenient P {b[0]:.3f} R {b[1]:.3f} F0.5 {b[2]:.3f}"
        )
    best = max(
        STRENGTH_GRID, key=lambda t: pooled([(strong(k, t), strict[k]) for k in halves["even"]])[2]
    )
    print(
        f"\nchosen on the even topics by F0.5 (strict labels): S >= {best}"
        f" (compose.TOPIC_MIN_STRENGTH is {compose.TOPIC_MIN_STRENGTH})"
    )
    for name, keys in halves.items():
        p, r, f = pooled([(strong(k, best), strict[k]) for k in keys])
        lp, lr, _ = pooled([(strong(k, best), lenient[k]) for k in keys])
        print(
            f"  {name:>4} topics ({len(keys)}): precision {p:.3f} recall {r:.3f} F0.5 {f:.3f};"
            f" lenient labels precision {lp:.3f} recall {lr:.3f}"
        )
    per_topic = [pooled([(strong(k, best), strict[k])])[0] for k in topics if strong(k, best)]
    print(
        f"  mean precision per topic (topics with a match): {sum(per_topic) / len(per_topic):.3f}"
    )
    worst = sorted(topics, key=lambda k: pooled([(strong(k, best), strict[k])])[0])[:6]
    counts = Counter({k: len(strict[k]) for k in topics})
    print(
        "  lowest precision: "
        + "; ".join(
            f"{k} {pooled([(strong(k, best), strict[k])])[0]:.2f} ({counts[k]} labelled)"
            for k in worst
        )
    )


if __name__ == "__main__":
    main()
