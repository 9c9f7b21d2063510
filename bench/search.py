"""Search at scale: a 1,000,000-paper collection synthesised from real records, vector search timed.

    .venv/bin/python bench/search.py [--papers 1000000] [--data ../shared/data/scifact] [--threads 2]

The collection: paper ``i`` takes the title and abstract of real SciFact record ``i mod 5,183`` under a
new id (``syn0000001`` ...), so text statistics stay real for a lexical stage. Its vector is derived from
the real embeddings of the shipped model: ``normalise(a * e[i mod n] + (1 - a) * e[j] + 0.05 * g)`` with
``j`` another random record, ``a`` uniform in [0.6, 1.0] and ``g`` Gaussian noise of unit length per
dimension scaled to the embedding's spread. Mixing keeps the vectors on the real embeddings' manifold
(topics, density) instead of uniform noise, which would make neighbours meaningless; the noise keeps the
copies of one record apart. The queries are the real SciFact test claims, encoded by the shipped model.

Printed: vector index build time (store upsert + HNSW graph), peak memory (max RSS of this process),
p50/p95 query latency of exact numpy search and of the HNSW graph, HNSW recall@10 against exact, and the
shipped model's embedding throughput on 512 real papers (with the time the whole collection would take).
The lexical index at the same size is ``bench/lexical_scale.py`` (build time, peak memory, latency).

To extend (e.g. lexical or hybrid latency at 1M), add a function taking ``Collection`` and returning
lines to print, and list it in ``STAGES``; the collection is synthesised once and shared.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed import corpus_vectors, load_scifact  # a sibling script, not a package

from paperwire.search.embedder import OnnxEmbedder, paper_text
from paperwire.search.vectors import VectorStore

REPO = Path(__file__).resolve().parent.parent
CHUNK = 100_000
EFFORTS = (128, 256, 512, 1024)  # HNSW expansion_search values compared on one graph
EMBED_SAMPLE = 512


@dataclass
class Collection:
    """The synthetic collection and what every stage may reuse."""

    size: int
    titles: list[str]
    abstracts: list[str]
    base_vectors: np.ndarray
    queries: list[str]
    query_vectors: np.ndarray
    workdir: Path
    threads: int
    seed: int = 7
    timings: dict[str, float] = field(default_factory=dict)

    def paper_id(self, i: int) -> str:
        return f"syn{i:07d}"

    def records(self) -> Iterator[tuple[str, str, str]]:
        """(id, title, abstract) of every synthetic paper, for a lexical stage."""
        n = len(self.titles)
        for i in range(self.size):
            yield self.paper_id(i), self.titles[i % n], self.abstracts[i % n]

    def vector_chunks(self) -> Iterator[tuple[list[str], np.ndarray]]:
        """The synthetic vectors in chunks (ids, rows), deterministic for a given seed."""
        rng = np.random.default_rng(self.seed)
        base = self.base_vectors
        n, dim = base.shape
        spread = float(base.std())
        for start in range(0, self.size, CHUNK):
            rows = np.arange(start, min(start + CHUNK, self.size))
            a = rng.uniform(0.6, 1.0, size=(len(rows), 1)).astype(np.float32)
            other = base[rng.integers(0, n, size=len(rows))]
            noise = rng.standard_normal((len(rows), dim)).astype(np.float32) * spread
            v = a * base[rows % n] + (1 - a) * other + 0.05 * noise
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            yield [self.paper_id(int(i)) for i in rows], v


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentiles(times_ms: list[float]) -> str:
    cuts = statistics.quantiles(times_ms, n=20)
    return f"p50 {statistics.median(times_ms):7.2f} ms  p95 {cuts[18]:7.2f} ms"


def vector_stage(c: Collection) -> list[str]:
    started = time.perf_counter()
    store = VectorStore.open(c.workdir / "vectors", c.base_vectors.shape[1], "bench")
    for ids, vectors in c.vector_chunks():
        store.upsert(ids, vectors)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    store.build_index(threads=c.threads)
    graph = time.perf_counter() - started
    started = time.perf_counter()
    store.flush()
    flushed = time.perf_counter() - started
    lines = [
        f"vector store: {len(store):,} papers loaded in {loaded:.1f}s, HNSW graph built in"
        f" {graph:.1f}s ({len(store) / graph:,.0f} papers/s), flushed to disk in {flushed:.1f}s",
        f"peak memory after build: {peak_rss_mib():,.0f} MiB",
    ]
    exact = []
    exact_ms = []
    for q in c.query_vectors:
        t0 = time.perf_counter()
        exact.append({pid for pid, _ in store.search_exact(q, 10)})
        exact_ms.append((time.perf_counter() - t0) * 1000)
    lines.append(f"exact search  ({len(c.query_vectors)} queries, k=10): {percentiles(exact_ms)}")
    for effort in EFFORTS:
        store.set_search_effort(effort)
        hnsw_ms, found = [], 0
        for q, truth in zip(c.query_vectors, exact, strict=True):
            t0 = time.perf_counter()
            approx = store.search(q, 10)
            hnsw_ms.append((time.perf_counter() - t0) * 1000)
            found += len(truth & {pid for pid, _ in approx})
        recall = found / (10 * len(c.query_vectors))
        lines.append(
            f"HNSW search, expansion {effort:4d}: {percentiles(hnsw_ms)}  recall@10 vs exact"
            f" {recall:.4f}"
        )
    started = time.perf_counter()
    VectorStore.open(c.workdir / "vectors", c.base_vectors.shape[1], "bench")
    lines.append(f"reopen from disk (vectors + graph): {time.perf_counter() - started:.1f}s")
    return lines


def embedding_stage(c: Collection) -> list[str]:
    """The shipped runtime's throughput on real title + abstract texts: what embedding the whole
    collection would take (only a sample is embedded; the vectors above are synthesised)."""
    embedder = OnnxEmbedder(threads=c.threads)
    texts = [paper_text(t, a) for t, a in zip(c.titles, c.abstracts, strict=True)][:EMBED_SAMPLE]
    embedder.encode(texts[:32])
    started, cpu = time.perf_counter(), time.process_time()
    embedder.encode(texts)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = len(texts) / wall
    return [
        f"embedding ({embedder.name}, {c.threads} threads, {len(texts)} real papers):"
        f" {rate:.1f} papers/s ({len(texts) / cpu:.1f} per CPU second);"
        f" {c.size:,} papers would take {c.size / rate / 3600:.1f} h",
        f"peak memory: {peak_rss_mib():,.0f} MiB",
    ]


STAGES: list[Callable[[Collection], list[str]]] = [vector_stage, embedding_stage]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workdir", type=Path, default=None, help="default: a temporary folder")
    args = parser.parse_args()

    ids, texts, queries, _ = load_scifact(args.data)
    embedder = OnnxEmbedder(threads=args.threads)
    base = corpus_vectors(embedder, texts)
    query_texts = list(queries.values())
    query_vectors = embedder.encode(query_texts)
    with open(args.data / "corpus.jsonl") as fh:
        docs = [json.loads(line) for line in fh]
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        collection = Collection(
            size=args.papers,
            titles=[doc["title"] for doc in docs],
            abstracts=[doc["text"] for doc in docs],
            base_vectors=base,
            queries=query_texts,
            query_vectors=query_vectors,
            workdir=Path(tmp),
            threads=args.threads,
        )
        print(
            f"{args.papers:,} synthetic papers from {len(ids):,} real SciFact records,"
            f" {len(query_texts)} real queries, {args.threads} threads"
        )
        for stage in STAGES:
            for line in stage(collection):
                print(line, flush=True)


if __name__ == "__main__":
    main()
