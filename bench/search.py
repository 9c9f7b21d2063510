"""Search at scale: a 1,000,000-paper collection synthesised from real records, vector search timed.

    .venv/bin/python bench/search.py [--papers 1000000] [--data ../shared/data/scifact] [--threads 2]
        [--keep DIR] [--efforts 256,512,1024] [--connectivity 16] [--no-embedding]

The collection: paper ``i`` takes the title and abstract of real SciFact record ``i mod 5,183`` under a
new id (``syn0000001`` ...), so text statistics stay real for a lexical stage. Its vector is derived from
the real embeddings of the shipped model: ``normalise(a * e[i mod n] + (1 - a) * e[j] + 0.05 * g)`` with
``j`` another random record, ``a`` uniform in [0.6, 1.0] and ``g`` Gaussian noise of unit length per
dimension scaled to the embedding's spread. Mixing keeps the vectors on the real embeddings' manifold
(topics, density) instead of uniform noise, which would make neighbours meaningless; the noise keeps the
copies of one record apart. The queries are the real SciFact test claims, encoded by the shipped model.

Printed: vector index build time (store upsert + HNSW graph) and the size of its files, then, on the
store as the service opens it (rows and graph memory-mapped, ``VectorStore.open``), p50/p95 wall and
CPU time per query of exact search and of the HNSW graph at k = 100 (what search asks for:
``SEMANTIC_DEPTH``), for each HNSW search effort (``--efforts``), with Recall@100 against exact search;
then the memory of a fresh process set up like a ``serve`` process's search (web app imported, shipped
model loaded, store opened) after encoding and searching the 300 queries (peak RSS, and VmRSS split
into anonymous and file-backed pages), and the
shipped model's embedding throughput on 512 real papers (with the time the whole collection would take).
``--keep DIR`` keeps the built store in DIR and reuses it on the next run with the same
``--papers``/``--connectivity`` (so efforts can be compared without rebuilding). Lexical, semantic
and hybrid search together at the same size, on SciFact planted in realistic distractors, are
``bench/scale.py``.

To extend (e.g. lexical or hybrid latency at 1M), add a function taking ``Collection`` and returning
lines to print, and list it in ``STAGES``; the collection is synthesised once and shared.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from embed import corpus_vectors, load_scifact  # a sibling script, not a package

from paperwire.search import vectors as vectors_module
from paperwire.search.embedder import OnnxEmbedder, paper_text
from paperwire.search.service import SEMANTIC_DEPTH
from paperwire.search.vectors import VectorStore

REPO = Path(__file__).resolve().parent.parent
CHUNK = 100_000
EFFORTS = "256,512,1024"  # HNSW expansion_search values compared on one graph
DEPTH = SEMANTIC_DEPTH  # the k every semantic search asks the store for
EXACT_TIMED = 50  # exact search at 1M takes about a second a query on this machine: time a sample
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
    efforts: list[int]
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


def status_mib() -> dict[str, float]:
    """This process's VmRSS, RssAnon, RssFile and VmHWM from /proc/self/status, in MiB."""
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmRSS", "RssAnon", "RssFile", "VmHWM"}:
            fields[name] = int(value.split()[0]) / 1024
    return fields


def percentiles(times_ms: list[float]) -> str:
    cuts = statistics.quantiles(times_ms, n=20)
    return f"p50 {statistics.median(times_ms):7.2f} ms  p95 {cuts[18]:7.2f} ms"


def timed(
    c: Collection, search: Callable[[np.ndarray], list[tuple[str, float]]], first: int = 0
) -> tuple[list[list[str]], str]:
    """Run every query (or the ``first``) through ``search``: the hits and a line of wall and CPU
    percentiles."""
    hits, wall, cpu = [], [], []
    for q in c.query_vectors[: first or None]:
        t0, c0 = time.perf_counter(), time.process_time()
        found = search(q)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        hits.append([pid for pid, _ in found])
    return hits, f"wall {percentiles(wall)}, CPU {percentiles(cpu)}"


def vector_stage(c: Collection) -> list[str]:
    folder = c.workdir / "vectors"
    dim = c.base_vectors.shape[1]
    lines = []
    built = VectorStore.open(folder, dim, "bench")
    if len(built) == c.size and built.uses_hnsw:
        lines.append(f"vector store: reusing the {len(built):,} papers kept in {folder}")
    else:
        started = time.perf_counter()
        builder = VectorStore.open(folder, dim, "bench")
        builder.remove(builder.ids())
        for ids, vectors in c.vector_chunks():
            builder.upsert(ids, vectors)
        loaded = time.perf_counter() - started
        started = time.perf_counter()
        builder.build_index(threads=c.threads)
        graph = time.perf_counter() - started
        started = time.perf_counter()
        builder.flush()
        flushed = time.perf_counter() - started
        lines += [
            f"vector store: {len(builder):,} papers loaded in {loaded:.1f}s, HNSW graph (connectivity"
            f" {vectors_module.CONNECTIVITY}, expansion_add {vectors_module.EXPANSION_ADD}) built in"
            f" {graph:.1f}s ({len(builder) / graph:,.0f} papers/s, {c.threads} threads), flushed to"
            f" disk in {flushed:.1f}s",
            f"peak memory of the building process: {peak_rss_mib():,.0f} MiB",
        ]
        del builder
    del built
    sizes = {p.name.split("-")[0]: p.stat().st_size for p in folder.iterdir() if "-" in p.name}
    lines.append(
        "files: "
        + ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in sorted(sizes.items()))
    )
    started = time.perf_counter()
    store = VectorStore.open(folder, dim, "bench")
    lines.append(
        f"opened as the service does (rows and graph memory-mapped) in"
        f" {time.perf_counter() - started:.1f}s"
    )
    started = time.perf_counter()
    exact = [[pid for pid, _ in hits] for hits in store.search_exact_many(c.query_vectors, DEPTH)]
    lines.append(
        f"exact top {DEPTH} of the {len(exact)} queries (the truth for recall) in"
        f" {time.perf_counter() - started:.1f}s"
    )
    _, line = timed(c, lambda q: store.search_exact(q, DEPTH), EXACT_TIMED)
    lines.append(f"exact search (first {EXACT_TIMED} queries, k={DEPTH}, float16 rows): {line}")
    for effort in c.efforts:
        store.set_search_effort(effort)
        approx, line = timed(c, lambda q: store.search(q, DEPTH))
        recall = statistics.mean(
            len(set(a) & set(e)) / len(e) for a, e in zip(approx, exact, strict=True)
        )
        lines.append(
            f"HNSW k={DEPTH}, expansion {effort:4d}: {line}  Recall@{DEPTH} vs exact {recall:.4f}"
        )
    lines.append(serve_memory(c, folder))
    return lines


def serve_memory(c: Collection, folder: Path) -> str:
    """The memory of a fresh process set up like a ``serve`` process's search: the web app's modules
    imported, the shipped model loaded on one thread, the store opened; then every real query
    encoded (no cache) and searched through the graph at k = 100 with the last effort."""
    out = subprocess.run(
        [sys.executable, __file__, "--memory-child", str(folder), "--efforts", str(c.efforts[-1])],
        input=json.dumps(c.queries),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    m = json.loads(out)
    return (
        f"fresh process (web app imported, model loaded, store opened, {m['queries']} queries"
        f" encoded and searched at k={DEPTH}, expansion {c.efforts[-1]}): peak RSS (VmHWM)"
        f" {m['VmHWM']:,.0f} MiB; VmRSS at the end {m['VmRSS']:,.0f} MiB = {m['RssAnon']:,.0f}"
        f" anonymous + {m['RssFile']:,.0f} file-backed (code and the mapped pages touched);"
        f" {m['before_mib']:,.0f} MiB before opening the store; encode + search per query: wall"
        f" {m['wall']}, CPU {m['cpu']}"
    )


def memory_child(folder: Path, effort: int) -> None:
    """Run as ``--memory-child``: the queries' texts come on stdin, the figures go to stdout."""
    import paperwire.web.app  # noqa: F401  (the modules a serve process holds)

    texts = json.loads(sys.stdin.read())
    embedder = OnnxEmbedder(threads=1)
    embedder.encode_query("warm up")
    before = status_mib()["VmRSS"]
    store = VectorStore.open(folder, embedder.dim, "bench")
    store.set_search_effort(effort)
    wall, cpu = [], []
    for text in texts:
        t0, c0 = time.perf_counter(), time.process_time()
        store.search(embedder.encode_query(text), DEPTH)
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec.
    figures = {"queries": len(texts), "before_mib": before, **status_mib()}
    print(json.dumps({**figures, "wall": percentiles(wall), "cpu": percentiles(cpu)}))


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
    parser.add_argument(
        "--efforts", default=EFFORTS, help="HNSW expansion_search values, e.g. 512,1024"
    )
    parser.add_argument("--connectivity", type=int, default=vectors_module.CONNECTIVITY)
    parser.add_argument("--keep", type=Path, default=None, help="keep (and reuse) the store here")
    parser.add_argument("--no-embedding", action="store_true", help="skip the embedding stage")
    parser.add_argument("--memory-child", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    efforts = [int(e) for e in args.efforts.split(",")]
    if args.memory_child is not None:
        memory_child(args.memory_child, efforts[-1])
        return
    vectors_module.CONNECTIVITY = args.connectivity

    ids, texts, queries, _ = load_scifact(args.data)
    embedder = OnnxEmbedder(threads=args.threads)
    base = corpus_vectors(embedder, texts)
    query_texts = list(queries.values())
    query_vectors = embedder.encode(query_texts)
    with open(args.data / "corpus.jsonl") as fh:
        docs = [json.loads(line) for line in fh]
    with contextlib.ExitStack() as stack:
        if args.keep is not None:
            workdir = args.keep / f"{args.papers}-m{args.connectivity}"
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        collection = Collection(
            size=args.papers,
            titles=[doc["title"] for doc in docs],
            abstracts=[doc["text"] for doc in docs],
            base_vectors=base,
            queries=query_texts,
            query_vectors=query_vectors,
            workdir=workdir,
            threads=args.threads,
            efforts=efforts,
        )
        print(
            f"{args.papers:,} synthetic papers whose vectors are drawn around the real embeddings of"
            f" {len(ids):,} SciFact records (mix of two + noise, see the docstring),"
            f" {len(query_texts)} real SciFact test queries encoded by {embedder.name},"
            f" {args.threads} threads; load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}"
        )
        stages = STAGES[:1] if args.no_embedding else STAGES
        for stage in stages:
            for line in stage(collection):
                print(line, flush=True)
        print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
