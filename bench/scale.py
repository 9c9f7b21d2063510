"""Search at scale, one run: SciFact's test queries over SciFact planted among ``--papers``
realistic distractors (``bench/corpus.py``), with relevance, latency and memory in one table.

    .venv/bin/python bench/scale.py --papers 100000 --keep /work/scale [--modes lexical,semantic,hybrid]
        [--json] [--queries 300]
    .venv/bin/python bench/scale.py --papers 100000 --keep /work/scale --embed-only   # vectors only

Per mode (``--modes``; all three by default), through the shipped parts and the service's own
query path:

- lexical: ``LexicalIndex.rank`` on ``parse_query``'s result (from 100,000 papers on the exact
  top-k over the postings snapshot, ``postings.py``), top 100 as the service asks for a first
  page sorted by relevance; and ``lexical_top10_exact``: whether that top 10
  equals exhaustive BM25's over the same index (every query word kept, FTS5 scoring every matching
  paper) for every query, the exhaustive ranking's own figures printed beside it;
- semantic: the shipped model (one thread, as ``serve``) encodes the query, ``VectorStore.search``
  returns the top ``SEMANTIC_DEPTH`` (100; exact below 20,000 papers, HNSW above), less papers the
  lexical index does not have, as ``search`` does;
- hybrid: the lexical matches (``rank`` at ``SEMANTIC_DEPTH``, in a second thread while the query is
  encoded, as the service overlaps them) and the semantic hits fused by the service's own
  ``hybrid_ranking`` (``service._hybrid``, ``fusion.fuse``).

Query vectors are cold: every semantic and hybrid query's time includes encoding it. A second
pass with the vectors already computed (the service keeps the last 512) is printed separately.
Printed: nDCG@10 and Recall@100 against SciFact's qrels; p50 and p95 wall time and CPU time of
this process per query (CPU time is what the machine's other work disturbs far less); for
semantic, the store's recall@100 against exact search; the process's peak RSS (builds included)
and its RSS after the queries; and, with vectors and ``--keep``, the peak RSS of a fresh process
holding what a ``serve`` process holds (``serve_memory``) after answering every query by hybrid
search, which is then ``rss_mb``. With ``--keep`` each run's rows are kept by size in
``results-<seed>.json`` there, and the table of every size measured is printed after the run's
own (``--table``: only that). ``--json`` prints one object: ``{"papers", "lexical": {"ndcg@10",
"recall@100", "p50_ms", "p95_ms"}, "semantic": {...}, "hybrid": {...}, "rss_mb",
"lexical_top10_exact"}``, modes not run absent.

Vectors are kept in ``--keep`` (``vectors-<papers>-<seed>.npy`` and ``.json``: the ids and the
model's name; the store with its HNSW graph in ``store-<papers>-<seed>/``), so only a first run
embeds: ``paper_text(title, abstract)`` by batches of 32 longest first, as ``paperwire index``.
Above ``REAL_VECTORS`` (100,000) papers the vectors are synthetic (``synthetic_vectors``: the
needles' real embeddings, distractors drawn around the 100,000-paper corpus's real ones), which the
output says: their latency and memory are measured, their relevance is printed as n/a (null).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from corpus import DATA, Model, planted, read_beir, real_papers  # bench/ is the script's folder

from paperwire.search import embeddings
from paperwire.search.embedder import Embedder, OnnxEmbedder, paper_text
from paperwire.search.evaluation import load_dataset, ndcg_at, percentile, recall_at
from paperwire.search.lexical import IndexDoc, LexicalIndex, match_expression
from paperwire.search.query import parse_query
from paperwire.search.service import SEMANTIC_DEPTH, hybrid_ranking
from paperwire.search.vectors import VectorStore

BATCH = 5_000
DEPTH = 100
# Papers embedded and saved at a time; ``paperwire index``'s groups and the embedder's batches.
EMBED_CHUNK = 4_096
EMBED_BATCH = 32
INDEX_BATCH = embeddings.BATCH
MODES = ("lexical", "semantic", "hybrid")
# Above this many papers the vectors are synthetic (see ``synthetic_vectors``): embedding 100,000
# papers takes about half an hour here.
REAL_VECTORS = 100_000
NOISE = 0.05


def documents(papers: int, seed: int) -> Iterator[dict[str, object]]:
    """The planted corpus in its order: SciFact's needles among ``papers`` minus them distractors
    (``bench/corpus.py``); the same ``papers`` and ``seed`` give the same papers."""
    needles = read_beir(DATA / "scifact")
    return planted(Model(real_papers()), needles, max(0, papers - len(needles)), seed)


def build(index: LexicalIndex, papers: int, seed: int) -> tuple[float, dict[str, int]]:
    started = time.perf_counter()
    batch: list[IndexDoc] = []
    needles = len(read_beir(DATA / "scifact"))
    stats = {"needles": needles, "distractors": max(0, papers - needles)}
    for doc in documents(papers, seed):
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


def embed(
    folder: Path, papers: int, seed: int, embedder: Embedder, say: Callable[..., None]
) -> tuple[list[str], np.ndarray]:
    """The shipped model's vectors of the planted corpus, computed once and kept in ``folder``
    (``vectors-<papers>-<seed>.npy``, and ``.json`` with the ids and how they were made).

    Each paper embeds ``paper_text(title, abstract)`` batched as ``paperwire index`` batches it
    (``embed_pending``): groups of ``embeddings.BATCH`` (256) papers in corpus order, each encoded
    longest first by 32. The int8 model's vectors depend slightly on the batch a paper is in
    (bench/README.md, "Why an earlier run printed"), so this is what an instance would hold.
    Every ``EMBED_CHUNK`` papers are saved as they are done (``vectors-<papers>-<seed>.partial/``),
    so a stopped run resumes where it was."""
    stem = folder / f"vectors-{papers}-{seed}"
    meta_file, vectors_file = stem.with_suffix(".json"), stem.with_suffix(".npy")
    how = made(embedder)
    if meta_file.exists() and vectors_file.exists():
        meta = json.loads(meta_file.read_text())
        if meta.get("made") == how:
            return meta["ids"], np.load(vectors_file)
        say(f"{vectors_file} holds vectors made otherwise: embedding again")
    partial = stem.with_suffix(".partial")
    if partial.exists() and _read(partial / "made.txt") != how:
        shutil.rmtree(partial)  # chunks made otherwise: never mixed with these
    partial.mkdir(exist_ok=True)
    (partial / "made.txt").write_text(how)
    ids: list[str] = []
    texts: list[str] = []
    chunks: list[Path] = []
    spent, done = 0.0, 0

    def flush_chunk() -> None:
        nonlocal done, spent
        chunk = partial / f"chunk-{len(chunks):05d}.npy"
        if not chunk.exists():
            started = time.perf_counter()
            vectors = np.concatenate(
                [
                    embedder.encode(texts[start : start + INDEX_BATCH], batch_size=EMBED_BATCH)
                    for start in range(0, len(texts), INDEX_BATCH)
                ]
            )
            np.save(partial / ".tmp.npy", vectors)
            os.replace(partial / ".tmp.npy", chunk)
            spent += time.perf_counter() - started
            done += len(texts)
            say(
                f"embedded {len(ids):,}/{papers:,} papers, {done / spent:.1f} papers/s,"
                f" {(papers - len(ids)) * spent / done / 60:.0f} min to go"
            )
        chunks.append(chunk)
        texts.clear()

    for doc in documents(papers, seed):
        ids.append(str(doc["_id"]))
        texts.append(paper_text(str(doc["title"]), str(doc["text"])))
        if len(texts) == EMBED_CHUNK:
            flush_chunk()
    if texts:
        flush_chunk()
    vectors = np.concatenate([np.load(chunk) for chunk in chunks]).astype(np.float32)
    np.save(vectors_file, vectors)
    meta = {"made": how, "dim": embedder.dim, "ids": ids}
    meta_file.write_text(json.dumps(meta))
    shutil.rmtree(partial)
    return ids, vectors


def vector_store(
    folder: Path,
    papers: int,
    seed: int,
    embedder: Embedder,
    say: Callable[..., None],
    source: int = REAL_VECTORS,
) -> tuple[VectorStore, str]:
    """The shipped ``VectorStore`` over the corpus's vectors and what they are, kept in
    ``store-<papers>-<seed>/`` of ``folder`` with its HNSW graph (built once: at 1M papers that
    takes many minutes). Up to ``REAL_VECTORS`` papers the vectors are the corpus's own
    embeddings (``embed``); above, see ``synthetic_vectors``."""
    real = papers <= REAL_VECTORS
    what = (
        f"the shipped model's embeddings of every paper ({made(embedder)})"
        if real
        else "synthetic: SciFact's real embeddings, each distractor a mix of two real ones of the"
        f" {source:,}-paper corpus (weight 0.6-1 on the first) plus noise {NOISE} x their spread,"
        f" renormalised ({made(embedder)})"
    )
    location = folder / f"store-{papers}-{seed}"
    described = location / "source.txt"
    store = VectorStore.open(location, embedder.dim, embedder.name)
    if len(store) and _read(described) == what:
        return store, what
    if len(store):  # other vectors, or an unfinished build: start again
        shutil.rmtree(location)
        store = VectorStore.open(location, embedder.dim, embedder.name)
    if real:
        ids, vectors = embed(folder, papers, seed, embedder, say)
        for start in range(0, len(ids), 100_000):
            store.upsert(ids[start : start + 100_000], vectors[start : start + 100_000])
    else:
        for ids, vectors in synthetic_vectors(folder, papers, seed, embedder, say, source):
            store.upsert(ids, vectors)
    started = time.perf_counter()
    if store.uses_hnsw:
        store.build_index()
    store.flush()
    described.write_text(what)
    say(f"vector store of {len(store):,} papers built in {time.perf_counter() - started:.0f}s")
    return store, what


def _read(path: Path) -> str | None:
    return path.read_text() if path.exists() else None


def made(embedder: Embedder) -> str:
    """How ``embed`` makes vectors: vectors made otherwise are never reused."""
    return f"{embedder.name}, paper_text, {INDEX_BATCH} papers at a time by {EMBED_BATCH}"


def synthetic_vectors(
    folder: Path,
    papers: int,
    seed: int,
    embedder: Embedder,
    say: Callable[..., None],
    source: int = REAL_VECTORS,
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Vectors for a corpus too large to embed here, by chunks: the needles (SciFact) keep their
    real embeddings; each distractor mixes two random real papers of the ``source``-paper corpus
    (the same seed; distractors of it, or any of its papers when it is SciFact alone), weight
    0.6-1 on the first, plus Gaussian noise of ``NOISE`` times their spread, renormalised. The ids are
    the planted corpus's (``corpus.py`` names distractors d0000001...), so the lexical index's
    matches and these vectors meet in a hybrid ranking; the relevance of such vectors means nothing.
    """
    ids, vectors = embed(folder, source, seed, embedder, say)
    needles = {str(doc["_id"]) for doc in read_beir(DATA / "scifact")}
    rows = np.array([i for i, pid in enumerate(ids) if pid in needles])
    yield [ids[i] for i in rows], vectors[rows]
    sources = (
        np.array([i for i, pid in enumerate(ids) if pid not in needles])
        if len(ids) > len(rows)
        else rows
    )
    rng = np.random.default_rng(seed)
    distractors = papers - len(rows)
    for start in range(0, distractors, 100_000):
        n = min(100_000, distractors - start)
        # A mix of two real vectors plus a little noise (as bench/search.py): on the real
        # vectors' manifold. Noise alone around a few thousand sources makes tight clusters of
        # near-copies that no real archive has, and that cut an HNSW graph into islands (Recall@100
        # 0.52 against exact at 1M with noise 0.6 around SciFact's 5,183 vectors).
        weight = rng.uniform(0.6, 1.0, size=(n, 1))
        first = vectors[sources[rng.integers(0, len(sources), size=n)]]
        second = vectors[sources[rng.integers(0, len(sources), size=n)]]
        noise = rng.standard_normal(first.shape) * float(vectors.std())
        chunk = (weight * first + (1 - weight) * second + NOISE * noise).astype(np.float32)
        chunk /= np.linalg.norm(chunk, axis=1, keepdims=True)
        yield [f"d{start + i + 1:07d}" for i in range(n)], chunk


def rank(
    index: LexicalIndex, text: str, served: bool, limit: int = DEPTH
) -> list[tuple[str, float]]:
    """The lexical ranking of ``text``: the service's (``LexicalIndex.rank``: the exact top-k
    over the postings snapshot from 100,000 papers on) or, without ``served``, exhaustive BM25
    over the same index (FTS5 scoring every paper that matches any query word)."""
    parsed = parse_query(text)
    if served:
        return index.rank(parsed, limit=limit)
    expression = match_expression(parsed)
    return index.search(expression, limit=limit) if expression else []


class Meaning:
    """The semantic and hybrid rankings as ``search`` makes them for a query of plain words (no
    filters, phrases or exclusions, as SciFact's): the query's vector from ``vector_of`` (the
    encoder: cold; or a dict: cached), ``VectorStore.search`` at ``SEMANTIC_DEPTH`` less papers
    the lexical index no longer has, and for hybrid the lexical matches (``rank`` at
    ``SEMANTIC_DEPTH``, run beside the encoder as the service does) fused by the service's own
    ``hybrid_ranking``."""

    def __init__(
        self,
        index: LexicalIndex,
        store: VectorStore,
        vector_of: Callable[[str], np.ndarray],
        pool: ThreadPoolExecutor,
    ) -> None:
        self.index, self.store, self.vector_of, self.pool = index, store, vector_of, pool

    def _hits(self, text: str) -> tuple[np.ndarray, list[tuple[str, float]]]:
        vector = self.vector_of(parse_query(text).semantic_text)
        hits = self.store.search(vector, SEMANTIC_DEPTH)
        known = self.index.published([pid for pid, _ in hits])
        return vector, [(pid, score) for pid, score in hits if pid in known]

    def semantic(self, text: str) -> list[str]:
        return [pid for pid, _ in self._hits(text)[1]]

    def hybrid(self, text: str) -> list[str]:
        # The first page sorted by relevance: the service asks for the best SEMANTIC_DEPTH.
        matches = self.pool.submit(rank, self.index, text, True, SEMANTIC_DEPTH)
        vector, hits = self._hits(text)
        parsed = parse_query(text)
        if match_expression(parsed) is None:
            return [pid for pid, _ in hits]
        fused = hybrid_ranking(
            self.index, self.store, vector, parsed, matches.result(), hits, SEMANTIC_DEPTH
        )
        return [pid for pid, _ in fused]


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


def run(index: LexicalIndex, queries: dict[str, str], qrels: dict, served: bool) -> dict:
    return measure(lambda text: [pid for pid, _ in rank(index, text, served)], queries, qrels)


def hnsw_recall(store: VectorStore, vectors: list[np.ndarray]) -> float:
    """Mean share of the exact top ``SEMANTIC_DEPTH`` that the store's own search returns."""
    found = 0.0
    for vector in vectors:
        exact = {pid for pid, _ in store.search_exact(vector, SEMANTIC_DEPTH)}
        served = {pid for pid, _ in store.search(vector, SEMANTIC_DEPTH)}
        found += len(exact & served) / max(1, len(exact))
    return found / max(1, len(vectors))


def rss_now_mb() -> float:
    return memory()["VmRSS"]


def memory() -> dict[str, float]:
    """This process's memory from /proc (MB): peak and current RSS, anonymous and file pages."""
    wanted = ("VmHWM", "VmRSS", "RssAnon", "RssFile")
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in wanted:
            found[key] = int(value.split()[0]) / 1024
    return found


def serve_memory(args: argparse.Namespace, queries: list[str]) -> dict[str, float]:
    """Run in a fresh process (``--serve-memory``): hold what a ``serve`` process holds to answer
    searches (the web app's code imported, the model loaded one thread a query, the keyword index
    with its postings snapshot and the vector store opened as the service opens them, nothing
    built) and answer every query by hybrid search, query encoded; its memory then."""
    import paperwire.web.app  # noqa: F401  (what a serve process has imported)

    folder = args.keep
    index = LexicalIndex(folder / f"lexical-{args.papers}-{args.seed}.sqlite")
    location = folder / f"store-{args.papers}-{args.seed}"
    embedder = OnnxEmbedder(threads=1)
    store = VectorStore.open(location, embedder.dim, embedder.name)
    if not len(store):
        raise SystemExit(f"no vector store in {location}: run the benchmark first")
    with ThreadPoolExecutor(max_workers=1) as pool:
        meaning = Meaning(index, store, embedder.encode_query, pool)
        for text in queries:
            meaning.hybrid(text)
    return memory()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="build (or reuse) indexes and vectors here")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated, of: %(default)s")
    parser.add_argument("--json", action="store_true", help="print one JSON object only")
    parser.add_argument(
        "--embed-only", action="store_true", help="embed the corpus into --keep, measure nothing"
    )
    parser.add_argument("--serve-memory", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--table", action="store_true", help="print the table of every size kept in --keep"
    )
    parser.add_argument(
        "--synthetic-from",
        type=int,
        default=REAL_VECTORS,
        help="above %(default)s papers, draw distractor vectors around the real embeddings of"
        " the corpus of this many papers (5183: SciFact alone)",
    )
    args = parser.parse_args()
    modes = [m for m in MODES if m in args.modes.split(",")]
    if not modes or set(args.modes.split(",")) - set(MODES):
        parser.error(f"--modes takes some of {','.join(MODES)}")
    out = sys.stderr if args.json else sys.stdout
    say = functools.partial(print, file=out, flush=True)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperwire-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    if args.embed_only:
        embed(folder, args.papers, args.seed, OnnxEmbedder(), say)
        return
    if args.table:
        print_table(folder, args.seed)
        return
    if args.serve_memory:
        dataset = load_dataset(DATA / "scifact")
        qids = [q for q in dataset.qrels if q in dataset.queries][: args.queries]
        print(json.dumps(serve_memory(args, [dataset.queries[q] for q in qids])))
        return
    index = LexicalIndex(folder / f"lexical-{args.papers}-{args.seed}.sqlite")
    if index.is_empty():
        seconds, stats = build(index, args.papers, args.seed)
        say(
            f"built {args.papers:,} papers ({stats['needles']:,} SciFact needles) in {seconds:.0f}s"
        )
    store = None
    if "semantic" in modes or "hybrid" in modes:
        # As the service: the shipped model, one thread per query.
        embedder = OnnxEmbedder(threads=1)
        store, vectors_are = vector_store(
            folder, args.papers, args.seed, embedder, say, args.synthetic_from
        )
    dataset = load_dataset(DATA / "scifact")
    qids = [q for q in dataset.qrels if q in dataset.queries][: args.queries]
    queries = {q: dataset.queries[q] for q in qids}
    load = os.getloadavg()[0]
    for text in list(queries.values())[:5]:  # warm the page cache of the index file
        rank(index, text, True)
    rows: list[tuple[str, dict]] = []
    result: dict[str, object] = {"papers": args.papers}
    notes = []
    if "lexical" in modes:
        served = run(index, queries, dataset.qrels, served=True)
        exhaustive = run(index, queries, dataset.qrels, served=False)
        differ = [q for q in qids if served["tops"][q] != exhaustive["tops"][q]]
        rows += [("lexical (served)", served), ("lexical, exhaustive BM25", exhaustive)]
        result["lexical"] = public(served)
        notes.append(
            f"served lexical top 10 equals exhaustive BM25's top 10 for {len(qids) - len(differ)}"
            f" of {len(qids)} queries"
        )
    if store is not None:
        synthetic = args.papers > REAL_VECTORS
        with ThreadPoolExecutor(max_workers=1) as pool:
            for text in list(queries.values())[:5]:  # load the model's session, the graph's pages
                embedder.encode_query(text)
                store.search(embedder.encode_query(text), SEMANTIC_DEPTH)
            cold = Meaning(index, store, embedder.encode_query, pool)
            cached_vectors = {
                t: embedder.encode_query(t)
                for t in {parse_query(text).semantic_text for text in queries.values()}
            }
            cached = Meaning(index, store, cached_vectors.__getitem__, pool)
            for mode in ("semantic", "hybrid"):
                if mode not in modes:
                    continue
                figures = measure(getattr(cold, mode), queries, dataset.qrels)
                again = measure(getattr(cached, mode), queries, dataset.qrels)
                if synthetic:
                    for r in (figures, again):
                        r["ndcg@10"] = r["recall@100"] = None
                rows += [(f"{mode} (query encoded)", figures), (f"{mode} (cached vector)", again)]
                result[mode] = public(figures)
        approx = "HNSW" if store.uses_hnsw else "exact search (below the HNSW threshold)"
        found = hnsw_recall(store, list(cached_vectors.values()))
        notes.append(
            f"vectors: {vectors_are}; semantic search: {approx}, k={SEMANTIC_DEPTH},"
            f" recall@{SEMANTIC_DEPTH} against exact search {found:.4f}"
        )
        if synthetic:
            notes.append("semantic and hybrid relevance: not meaningful on synthetic vectors (n/a)")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["rss_mb"] = round(rss_mb)
    served_memory = None
    if store is not None and args.keep:
        child = [sys.executable, __file__, "--serve-memory", "--papers", str(args.papers)]
        child += ["--seed", str(args.seed), "--keep", str(folder), "--queries", str(args.queries)]
        served_memory = json.loads(subprocess.run(child, check=True, capture_output=True).stdout)
        # What the bar is about: a serve process with the index, not this builder.
        result["rss_mb"] = round(served_memory["VmHWM"])
        notes.append(
            f"a fresh serve-like process (web app imported, model loaded, keyword index with"
            f" its postings and the vector store opened, {len(qids)} hybrid queries answered):"
            f" peak RSS {served_memory['VmHWM']:.0f} MB, {served_memory['RssAnon']:.0f} MB of"
            f" it its own memory and {served_memory['RssFile']:.0f} MB mapped index files"
        )
    if "lexical" in modes:
        result["lexical_top10_exact"] = not differ
    if args.keep:
        keep_rows(folder, args, rows, load)
    if args.json:
        for note in notes:
            say(note)
        print(json.dumps(result))
        return
    print(
        f"bench/scale.py --papers {args.papers} --modes {','.join(modes)}: {len(qids)} SciFact test"
        f" queries, top {DEPTH}; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
    )
    print(
        f"{'mode':<28}{'nDCG@10':>9}{'R@100':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'CPU p50':>9}{'CPU p95':>9}"
    )
    for name, r in rows:
        relevance = (
            f"{'n/a':>9}{'n/a':>8}"
            if r["ndcg@10"] is None
            else f"{r['ndcg@10']:>9.4f}{r['recall@100']:>8.4f}"
        )
        print(
            f"{name:<28}{relevance}{r['p50_ms']:>9.1f}"
            f"{r['p95_ms']:>9.1f}{r['cpu_p50_ms']:>9.1f}{r['cpu_p95_ms']:>9.1f}"
        )
    print("(wall time moves with the machine's load; CPU time of this process far less)")
    for note in notes:
        print(note)
    print(
        f"RSS of this benchmark process: peak {rss_mb:.0f} MB (builds included), now"
        f" {rss_now_mb():.0f} MB; rss_mb below is "
        + ("the serve-like process's peak" if served_memory else "this process's peak")
    )
    if args.keep:
        print(f"every size measured in {folder} (the latest run of each mode):")
        print_table(folder, args.seed)
    print(json.dumps(result))


def keep_rows(folder: Path, args: argparse.Namespace, rows: list, load: float) -> None:
    """Add this run's rows to ``results-<seed>.json`` in ``folder``, by size and mode."""
    path = folder / f"results-{args.seed}.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    size = kept.setdefault(str(args.papers), {})
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    for name, figures in rows:
        shown = {k: v for k, v in figures.items() if k != "tops"}
        size[name] = {**shown, "measured": stamp, "load": round(load, 1)}
    path.write_text(json.dumps(kept, indent=1))


def print_table(folder: Path, seed: int) -> None:
    """The relevance and latency table of every size kept in ``folder``."""
    path = folder / f"results-{seed}.json"
    kept = json.loads(path.read_text()) if path.exists() else {}
    print(
        f"{'papers':>9}  {'mode':<28}{'nDCG@10':>9}{'R@100':>8}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'CPU p50':>9}{'CPU p95':>9}  measured (load)"
    )
    for papers in sorted(kept, key=int):
        for name, r in kept[papers].items():
            relevance = (
                f"{'n/a':>9}{'n/a':>8}"
                if r["ndcg@10"] is None
                else f"{r['ndcg@10']:>9.4f}{r['recall@100']:>8.4f}"
            )
            print(
                f"{int(papers):>9,}  {name:<28}{relevance}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}"
                f"{r['cpu_p50_ms']:>9.1f}{r['cpu_p95_ms']:>9.1f}  {r['measured']} ({r['load']})"
            )


def public(figures: dict) -> dict:
    """A mode's figures as the JSON shape has them."""
    return {k: figures[k] for k in ("ndcg@10", "recall@100", "p50_ms", "p95_ms")}


if __name__ == "__main__":
    main()
