"""BM25 at scale: build the FTS5 index for N papers synthesised from SciFact and time queries.

    .venv/bin/python bench/lexical_scale.py [--papers 1000000]

Paper ``i`` takes the title and abstract of SciFact record ``i mod 5,183`` (as in bench/search.py),
written straight into a ``LexicalIndex`` (the database is not involved). The queries are the 300
SciFact test claims through ``parse_query`` and ``match_expression``, ranked as ``service.search``
ranks them (top 1,000). Printed: build time, index size, p50/p95 query latency.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from paperwire.search.index import text_hash
from paperwire.search.lexical import IndexDoc, LexicalIndex, match_expression
from paperwire.search.query import parse_query
from paperwire.search.service import MAX_RESULTS

REPO = Path(__file__).resolve().parent.parent
SCIFACT = REPO.parent / "shared" / "data" / "scifact"
BATCH = 20_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument(
        "--compare", action="store_true", help="also time the OR of all words (slow when large)"
    )
    args = parser.parse_args()
    records = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").read_text().splitlines()]
    tsv = (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()[1:]
    qids = {line.split("\t")[0] for line in tsv}
    lines = (SCIFACT / "queries.jsonl").read_text().splitlines()
    queries = [q["text"] for q in map(json.loads, lines) if q["_id"] in qids]
    with tempfile.TemporaryDirectory() as tmp:
        index = LexicalIndex(Path(tmp) / "lexical.sqlite")
        started = time.perf_counter()
        for start in range(0, args.papers, BATCH):
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
        size = sum(p.stat().st_size for p in Path(tmp).iterdir()) / 2**20
        print(f"papers {args.papers:,}: build {build:.0f} s, index {size:.0f} MiB")
        modes = [("as search() ranks", True)]
        if args.compare:
            modes.insert(0, ("all words", False))
        for label, prune in modes:
            latencies = []
            for text in queries:
                t = time.perf_counter()
                parsed = parse_query(text)
                if prune:
                    parsed.terms = index.prune_common(parsed.terms)
                expression = match_expression(parsed)
                if expression:
                    index.search(expression, limit=MAX_RESULTS)
                latencies.append((time.perf_counter() - t) * 1000)
            latencies.sort()
            print(
                f"BM25 top {MAX_RESULTS}, {len(queries)} SciFact test claims, {label}: "
                f"p50 {statistics.median(latencies):.1f} ms, "
                f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.1f} ms"
            )
        index.close()


if __name__ == "__main__":
    main()
