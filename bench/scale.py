"""Search at scale, one run: SciFact's test queries over SciFact planted among ``--papers``
realistic distractors (``bench/corpus.py``), with relevance, latency and memory in one table.

    .venv/bin/python bench/scale.py --papers 100000 [--json] [--keep DIR] [--queries 300]

What it measures now (the lexical mode, through the shipped ``LexicalIndex`` and the service's
own query path: ``parse_query``, ``prune_common``, ``match_expression``, ``LexicalIndex.search``):

- nDCG@10 and Recall@100 of the served ranking against SciFact's qrels;
- p50 and p95 wall time per query (the top 100, as the service asks), over ``--queries`` queries,
  and the same as CPU time of this process, which the machine's other work disturbs far less;
- ``lexical_top10_exact``: whether the served top 10 of every query equals exhaustive BM25's top
  10 over the same index (every query word kept, FTS5 scoring every matching paper), and how many
  queries differ; the exhaustive ranking's own latency and relevance are printed beside it;
- the peak RSS of this process (index build and queries), in MB.

Not measured yet (absent from ``--json``, as the issue's shape allows): the semantic and hybrid
modes (embedding 100,000 synthetic papers takes about 20 minutes here), and a ``serve`` process's
RSS with a 1M-paper vector index.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from corpus import DATA, Model, planted, read_beir, real_papers  # bench/ is the script's folder

from paperwire.search.evaluation import load_dataset, ndcg_at, percentile, recall_at
from paperwire.search.lexical import IndexDoc, LexicalIndex, match_expression
from paperwire.search.query import parse_query

BATCH = 5_000
DEPTH = 100


def build(index: LexicalIndex, papers: int, seed: int) -> tuple[float, dict[str, int]]:
    model = Model(real_papers())
    needles = read_beir(DATA / "scifact")
    started = time.perf_counter()
    batch: list[IndexDoc] = []
    stats = {"needles": len(needles), "distractors": max(0, papers - len(needles))}
    for doc in planted(model, needles, stats["distractors"], seed):
        batch.append(
            IndexDoc(
                paper_id=str(doc["_id"]),
                title=str(doc["title"]),
                abstract=str(doc["text"]),
                authors=list(doc["authors"]),  # type: ignore[call-overload]
                categories=list(doc["categories"]),  # type: ignore[call-overload]
                published=None,
                content_hash="",
                text_hash="",
            )
        )
        if len(batch) == BATCH:
            with index.transaction() as conn:
                index.upsert(conn, batch)
            batch = []
    if batch:
        with index.transaction() as conn:
            index.upsert(conn, batch)
    index.compact()
    return time.perf_counter() - started, stats


def rank(index: LexicalIndex, text: str, prune: bool) -> list[tuple[str, float]]:
    parsed = parse_query(text)
    if prune:
        parsed.terms = index.prune_common(parsed.terms)
    expression = match_expression(parsed)
    return index.search(expression, limit=DEPTH) if expression else []


def measure(rank: Callable[[str], list[str]], queries: dict[str, str], qrels: dict) -> dict:
    """nDCG@10, Recall@100, wall and CPU p50/p95 of ``rank`` over ``queries``, and each top 10."""
    wall: list[float] = []
    cpu: list[float] = []
    ndcg = recall = 0.0
    tops: dict[str, list[str]] = {}
    for qid, text in queries.items():
        started, cpu_started = time.perf_counter(), time.process_time()
        ids = rank(text)
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        tops[qid] = ids[:10]
        ndcg += ndcg_at(ids, qrels[qid])
        recall += recall_at(ids, qrels[qid])
    n = max(1, len(queries))
    return {
        "ndcg@10": round(ndcg / n, 4),
        "recall@100": round(recall / n, 4),
        "p50_ms": round(percentile(wall, 0.5), 1),
        "p95_ms": round(percentile(wall, 0.95), 1),
        "cpu_p50_ms": round(percentile(cpu, 0.5), 1),
        "cpu_p95_ms": round(percentile(cpu, 0.95), 1),
        "tops": tops,
    }


def run(index: LexicalIndex, queries: dict[str, str], qrels: dict, prune: bool) -> dict:
    return measure(lambda text: [pid for pid, _ in rank(index, text, prune)], queries, qrels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build (or reuse) the index in this folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    args = parser.parse_args()
    say = (lambda *a: print(*a, file=sys.stderr, flush=True)) if args.json else print
    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperwire-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    index = LexicalIndex(folder / f"lexical-{args.papers}-{args.seed}.sqlite")
    load = os.getloadavg()[0]
    if index.is_empty():
        seconds, stats = build(index, args.papers, args.seed)
        say(
            f"built {args.papers:,} papers ({stats['needles']:,} SciFact needles) in {seconds:.0f}s"
        )
    dataset = load_dataset(DATA / "scifact")
    qids = [q for q in dataset.qrels if q in dataset.queries][: args.queries]
    queries = {q: dataset.queries[q] for q in qids}
    for text in list(queries.values())[:5]:  # warm the page cache of the index file
        rank(index, text, True)
    served = run(index, queries, dataset.qrels, prune=True)
    exhaustive = run(index, queries, dataset.qrels, prune=False)
    differ = [q for q in qids if served["tops"][q] != exhaustive["tops"][q]]
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "papers": args.papers,
        "lexical": {k: v for k, v in served.items() if k != "tops" and not k.startswith("cpu")},
        "rss_mb": round(rss_mb),
        "lexical_top10_exact": not differ,
    }
    if args.json:
        print(json.dumps(result))
        return
    print(
        f"bench/scale.py --papers {args.papers}: {len(qids)} SciFact test queries, top {DEPTH};"
        f" load average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"{'mode':<28}{'nDCG@10':>9}{'R@100':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'CPU p50':>9}{'CPU p95':>9}"
    )
    for name, r in (("lexical (served)", served), ("lexical, exhaustive BM25", exhaustive)):
        print(
            f"{name:<28}{r['ndcg@10']:>9.4f}{r['recall@100']:>8.4f}{r['p50_ms']:>9.1f}"
            f"{r['p95_ms']:>9.1f}{r['cpu_p50_ms']:>9.1f}{r['cpu_p95_ms']:>9.1f}"
        )
    print("(wall time moves with the machine's load; CPU time of this process far less)")
    print(
        f"served top 10 equals exhaustive BM25's top 10 for {len(qids) - len(differ)} of"
        f" {len(qids)} queries (lexical_top10_exact: {result['lexical_top10_exact']})"
    )
    print(f"peak RSS of this process: {rss_mb:.0f} MB; semantic and hybrid: not run")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
