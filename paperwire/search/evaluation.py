"""Relevance of search on a BEIR-layout dataset: nDCG@10, Recall@100, MRR@10 and query latency.

The dataset (``corpus.jsonl``, ``queries.jsonl``, ``qrels/<split>.tsv``) is loaded into a temporary
instance (its own SQLite database and index folder), and every query of the split runs through
``service.search``, the same function the CLI and the web page call, for the top 100 results
(latency covers parsing, ranking and loading the 100 result rows; not snippet highlighting). Each document is embedded once:
the embeddings are kept in a cache folder keyed by model name and text hash, so a second evaluation
of the same data (or of the same documents in another dataset) embeds nothing.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from paperwire.config import Settings
from paperwire.db.engine import make_engine
from paperwire.db.migrate import upgrade
from paperwire.errors import UsageError
from paperwire.ingest.runner import run_ingest
from paperwire.papers.records import PaperRecord
from paperwire.search import service
from paperwire.search.index import SyncProgress

MODES = ("lexical", "semantic", "hybrid")
DEPTH = 100


@dataclass(frozen=True)
class Dataset:
    name: str
    corpus: list[tuple[str, str, str]]  # (doc id, title, text)
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


@dataclass(frozen=True)
class ModeResult:
    mode: str
    ndcg_at_10: float
    recall_at_100: float
    mrr_at_10: float
    p50_ms: float
    p95_ms: float
    queries: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "ndcg@10": round(self.ndcg_at_10, 4),
            "recall@100": round(self.recall_at_100, 4),
            "mrr@10": round(self.mrr_at_10, 4),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "queries": self.queries,
        }


def _jsonl(path: Path) -> Iterator[tuple[int, dict[str, object]]]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{number}: not JSON: {exc.msg}") from exc
            if not isinstance(value, dict) or "_id" not in value:
                raise UsageError(f'{path}:{number}: expected an object with an "_id"')
            yield number, value


def load_dataset(folder: Path, split: str = "test") -> Dataset:
    """Read a BEIR folder; a missing file or a malformed line is a ``UsageError`` naming it."""
    qrels_path = folder / "qrels" / f"{split}.tsv"
    for path in (folder / "corpus.jsonl", folder / "queries.jsonl", qrels_path):
        if not path.is_file():
            raise UsageError(f"{folder} is not a BEIR dataset: {path} is missing")
    corpus = [
        (str(d["_id"]), str(d.get("title") or ""), str(d.get("text") or ""))
        for _, d in _jsonl(folder / "corpus.jsonl")
    ]
    queries = {str(q["_id"]): str(q.get("text") or "") for _, q in _jsonl(folder / "queries.jsonl")}
    qrels: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            parts = line.rstrip("\n").split("\t")
            if not line.strip() or (number == 1 and parts[0] == "query-id"):
                continue
            if len(parts) != 3:
                raise UsageError(f"{qrels_path}:{number}: expected query-id, corpus-id, score")
            try:
                score = int(float(parts[2]))
            except ValueError as exc:
                raise UsageError(f"{qrels_path}:{number}: score is not a number") from exc
            qrels.setdefault(parts[0], {})[parts[1]] = score
    missing = sorted(q for q in qrels if q not in queries)
    if missing:
        raise UsageError(f"{qrels_path}: query ids not in queries.jsonl: {', '.join(missing[:5])}")
    return Dataset(folder.name, corpus, queries, qrels)


def ndcg_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    """Graded nDCG@k (gain = grade, discount log2(rank + 1)). A paper named again further down
    keeps its rank but earns nothing: counted twice, a run could score above 1."""
    seen: set[str] = set()
    dcg = 0.0
    for i, doc in enumerate(ranked[:k]):
        if doc not in seen:
            seen.add(doc)
            dcg += relevant.get(doc, 0) / math.log2(i + 2)
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 100) -> float:
    wanted = {d for d, g in relevant.items() if g > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def mrr_at(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    for i, doc in enumerate(ranked[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "paperwire" / "embeddings"


class Instance:
    """A throw-away paperwire instance holding one dataset, ready to search."""

    def __init__(self, base: Settings, folder: Path) -> None:
        self.folder = folder
        self.settings = replace(
            base, home=folder / "home", database_url=f"sqlite:///{folder / 'eval.db'}"
        )
        self.engine = make_engine(self.settings.database_url)
        upgrade(self.engine)

    def load(self, dataset: Dataset) -> None:
        records = (
            PaperRecord(id=doc_id, title=title, abstract=text, source=f"beir:{dataset.name}")
            for doc_id, title, text in dataset.corpus
        )
        report = run_ingest(self.engine, "beir", records)
        if not report.ok:
            raise UsageError(f"{dataset.name}: could not load the corpus: {report.summary()}")

    def close(self) -> None:
        service.forget_searchers()
        self.engine.dispose()


def evaluate(
    base: Settings,
    folder: Path,
    modes: Sequence[str] = MODES,
    *,
    split: str = "test",
    cache_dir: Path | None = None,
    progress: SyncProgress | None = None,
) -> dict[str, ModeResult]:
    """Evaluate each mode on ``folder``'s ``split`` queries; results keyed by mode."""
    for mode in modes:
        if mode not in MODES:
            raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    dataset = load_dataset(folder, split)
    needs_vectors = any(m != "lexical" for m in modes)
    with tempfile.TemporaryDirectory(prefix="paperwire-eval-") as tmp:
        instance = Instance(base, Path(tmp))
        try:
            instance.load(dataset)
            report = service.sync_index(
                instance.settings,
                instance.engine,
                embed=needs_vectors,
                progress=progress,
                cache_dir=cache_dir or default_cache_dir(),
            )
            if needs_vectors and report.embed_error:
                raise UsageError(f"cannot embed the corpus: {report.embed_error}")
            return {mode: _run_mode(instance, dataset, mode, progress) for mode in modes}
        finally:
            instance.close()


def _run_mode(
    instance: Instance, dataset: Dataset, mode: str, progress: SyncProgress | None
) -> ModeResult:
    query_ids = [q for q in dataset.qrels if q in dataset.queries]
    # One untimed query first: the model and the index are loaded on first use. Then no query
    # vector is kept from an earlier mode: each mode's latency includes encoding its queries.
    service.search(instance.settings, instance.engine, "warm up", mode=mode, limit=DEPTH)
    service.forget_query_vectors()
    if progress:
        progress.start(f"queries ({mode})", len(query_ids))
    ndcg = recall = mrr = 0.0
    latencies: list[float] = []
    for qid in query_ids:
        started = time.perf_counter()
        # Snippets are left out: no page shows 100 of them, and highlighting is not ranking.
        page = service.search(
            instance.settings,
            instance.engine,
            dataset.queries[qid],
            mode=mode,
            limit=DEPTH,
            snippets=False,
        )
        latencies.append((time.perf_counter() - started) * 1000)
        ranked = [r.id for r in page.results]
        ndcg += ndcg_at(ranked, dataset.qrels[qid])
        recall += recall_at(ranked, dataset.qrels[qid])
        mrr += mrr_at(ranked, dataset.qrels[qid])
        if progress:
            progress.advance(1)
    n = max(1, len(query_ids))
    return ModeResult(
        mode=mode,
        ndcg_at_10=ndcg / n,
        recall_at_100=recall / n,
        mrr_at_10=mrr / n,
        p50_ms=percentile(latencies, 0.5),
        p95_ms=percentile(latencies, 0.95),
        queries=len(query_ids),
    )
