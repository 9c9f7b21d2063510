"""BM25 at scale: build the FTS5 index for N papers synthesised from SciFact and time queries.

    .venv/bin/python bench/lexical_scale.py [--papers 1000000] [--compare]

Paper ``i`` takes the title and abstract of SciFact record ``i mod 5,183`` (as in bench/search.py),
written straight into a ``LexicalIndex`` (the database is not involved), then compacted as
``paperwire index`` compacts a large build (segments merged, word counts stored). The queries are the
300 SciFact test claims through ``parse_query``, ``prune_common`` and ``match_expression``, ranked
as ``service.search`` ranks them (top 1,000). Printed: build and compaction time, index size, peak
memory (max RSS of this process), p50/p95 query latency, and nDCG@10 against the SciFact test
qrels of the ranking reduced to distinct source records (so pruning words at scale shows as a
relevance change, not only as speed). ``--compare`` also ranks with every word of the query (the
baseline in the same run) and with the index before compaction.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from paperwire.search.evaluation import ndcg_at
from paperwire.search.index import text_hash
from paperwire.search.lexical import IndexDoc, LexicalIndex, match_expression
from paperwire.search.query import parse_query
from paperwire.search.service import MAX_RESULTS

REPO = Path(__file__).resolve().parent.parent
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
BATCH = 20_000


def measure(
    index: LexicalIndex,
    queries: list[tuple[str, dict[str, int]]],
    record_of: list[str],
    prune: bool,
) -> str:
    latencies, cpu, ndcg = [], [], 0.0
    for text, relevant in queries:
        t, c = time.perf_counter(), time.process_time()
        parsed = parse_query(text)
        if prune:
            parsed.terms = index.prune_common(parsed.terms)
        expression = match_expression(parsed)
        ranked = index.search(expression, limit=MAX_RESULTS) if expression else []
        latencies.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
        records = [record_of[int(pid[3:]) % len(record_of)] for pid, _ in ranked]
        ndcg += ndcg_at(list(dict.fromkeys(records)), relevant)
    return (
        f"p50 {statistics.median(latencies):6.1f} ms, p95 {p95(latencies):6.1f} ms"
        f" (CPU time p50 {statistics.median(cpu):6.1f} ms, p95 {p95(cpu):6.1f} ms),"
        f" nDCG@10 of distinct records {ndcg / len(queries):.4f}"
    )


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument(
        "--keep",
        type=Path,
        help="build the index in this folder and keep it; an index already there is reused",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="also rank with all words (slow when large) and before compaction",
    )
    args = parser.parse_args()
    records = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").read_text().splitlines()]
    record_of = [str(r["_id"]) for r in records]
    qrels: dict[str, dict[str, int]] = {}
    for line in (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]:
        qid, doc, score = line.split("\t")
        qrels.setdefault(qid, {})[doc] = int(score)
    lines = (SCIFACT / "queries.jsonl").read_text().splitlines()
    queries = [(q["text"], qrels[q["_id"]]) for q in map(json.loads, lines) if q["_id"] in qrels]
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        index = LexicalIndex(Path(tmp) / "lexical.sqlite")
        reused = index.size() == args.papers
        started = time.perf_counter()
        for start in range(0, 0 if reused else args.papers, BATCH):
            docs = []
            for i in range(start, min(start + BATCH, args.papers)):
                r = records[i % len(records)]
                docs.append(
                    IndexDoc(
                        paper_id=f"syn{i:07d}",
                        title=r["title"],
                        abstract=r["text"],
                        authors=[],
                        categories=[],
                        published=None,
                        content_hash=str(i),
                        text_hash=text_hash(r["title"], r["text"]),
                    )
                )
            with index.transaction() as conn:
                index.upsert(conn, docs)
        build = time.perf_counter() - started
        label = f"{len(queries)} SciFact test claims, top {MAX_RESULTS}"
        if args.compare:
            print(f"before compaction, {label}: {measure(index, queries, record_of, True)}")
        started = time.perf_counter()
        if not reused:
            index.compact()
        compact = time.perf_counter() - started
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        built = (
            "reused"
            if reused
            else f"build {build:.0f} s ({args.papers / build:,.0f} papers/s), compaction {compact:.0f} s"
        )
        print(
            f"papers {args.papers:,}: {built}, index {size:,.0f} MiB, peak memory {peak:,.0f} MiB"
        )
        if args.compare:
            print(f"all words, {label}: {measure(index, queries, record_of, False)}")
        print(f"as search() ranks, {label}: {measure(index, queries, record_of, True)}")
        index.close()
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
