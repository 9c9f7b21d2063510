"""Offline evaluation of the "For you" ranking: ``paperwire recommend eval DIR --split-date D``.

``DIR`` holds ``papers.jsonl`` (``id``, ``title``, ``abstract``, ``categories``, ``date``) and
``interactions.jsonl`` (``user``, ``paper``, ``date``, ``signal`` = ``up`` or ``down``). Every user
with at least ``MIN_BEFORE`` interactions before the split and an ``up`` on a paper dated on or after
it is asked for: each method ranks all papers dated on or after the split from what came before
it alone, and is scored by nDCG@10, Recall@100 and MRR against the user's later ``up``s.

Methods: ``paperwire`` (the shipped model, ``recommend.model.rank``), ``centroid`` (similarity to
the mean of the user's ``up``s), ``popularity`` (how often each paper's categories were upvoted
before the split, by anyone) and ``random`` (a fixed seed). Papers are embedded with the shipped
embedder; the vectors are cached by model and text hash (the cache ``paperwire eval`` uses).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.config import Settings
from paperwire.errors import UsageError
from paperwire.recommend.model import Exemplar, centroid_scores, rank
from paperwire.search.evaluation import default_cache_dir, ndcg_at, recall_at

METHODS = ("paperwire", "centroid", "popularity", "random")
MIN_BEFORE = 3
SIGNALS = ("up", "down")


@dataclass(frozen=True)
class MethodResult:
    method: str
    ndcg_at_10: float
    recall_at_100: float
    mrr: float
    users: int

    def to_dict(self) -> dict[str, float | int]:
        return {
            "ndcg@10": round(self.ndcg_at_10, 4),
            "recall@100": round(self.recall_at_100, 4),
            "mrr": round(self.mrr, 4),
            "users": self.users,
        }


@dataclass(frozen=True)
class Interaction:
    user: str
    paper: str
    day: date
    up: bool


@dataclass(frozen=True)
class RecommendSet:
    ids: list[str]
    texts: list[tuple[str, str]]  # (title, abstract) per paper
    categories: list[list[str]]
    days: list[date]
    interactions: list[Interaction]
    skipped: int  # interactions naming a paper not in papers.jsonl


def _lines(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    if not path.is_file():
        raise UsageError(f"{path} is missing")
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{where}: not JSON: {exc.msg}") from exc
            if not isinstance(value, dict):
                raise UsageError(f"{where}: expected a JSON object")
            yield where, value


def _day(where: str, value: Any) -> date:
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as exc:
        raise UsageError(f"{where}: date {value!r} is not YYYY-MM-DD") from exc


def _field(where: str, record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if not isinstance(value, str | int) or not str(value).strip():
        raise UsageError(f'{where}: "{name}" is missing')
    return str(value)


def load_set(folder: Path) -> RecommendSet:
    """Read ``folder``; a missing file or a malformed line is a ``UsageError`` naming it."""
    ids: list[str] = []
    texts: list[tuple[str, str]] = []
    categories: list[list[str]] = []
    days: list[date] = []
    seen: set[str] = set()
    for where, paper in _lines(folder / "papers.jsonl"):
        pid = _field(where, paper, "id")
        if pid in seen:
            continue
        seen.add(pid)
        ids.append(pid)
        texts.append((str(paper.get("title") or ""), str(paper.get("abstract") or "")))
        categories.append([str(c) for c in paper.get("categories") or []])
        days.append(_day(where, _field(where, paper, "date")))
    interactions: list[Interaction] = []
    skipped = 0
    for where, row in _lines(folder / "interactions.jsonl"):
        signal = _field(where, row, "signal")
        if signal not in SIGNALS:
            raise UsageError(f'{where}: "signal" must be "up" or "down", not {signal!r}')
        paper_id = _field(where, row, "paper")
        if paper_id not in seen:
            skipped += 1
            continue
        interactions.append(
            Interaction(
                _field(where, row, "user"), paper_id, _day(where, row.get("date")), signal == "up"
            )
        )
    return RecommendSet(ids, texts, categories, days, interactions, skipped)


def embed_papers(settings: Settings, data: RecommendSet, cache_dir: Path | None) -> np.ndarray:
    """Unit vectors of every paper (title and abstract), from the cache when they are there."""
    from paperwire.search.embedder import load_embedder, paper_text
    from paperwire.search.index import EmbeddingCache, text_hash

    embedder = load_embedder(settings)
    cache = EmbeddingCache(cache_dir or default_cache_dir(), embedder.name)
    try:
        hashes = [text_hash(t, a) for t, a in data.texts]
        found = cache.get_many(hashes)
        missing = [i for i, h in enumerate(hashes) if h not in found]
        out = np.zeros((len(hashes), embedder.dim), dtype=np.float32)
        if missing:
            encoded = np.asarray(
                embedder.encode([paper_text(*data.texts[i]) for i in missing]), dtype=np.float32
            )
            out[missing] = encoded
            cache.put_many([hashes[i] for i in missing], encoded)
        for i, h in enumerate(hashes):
            if h in found:
                out[i] = found[h]
    finally:
        cache.close()
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.maximum(norms, 1e-12)).astype(np.float32)


Scorer = Callable[[list[int], list[int], np.ndarray], np.ndarray]


def _evaluate(
    data: RecommendSet, vectors: np.ndarray, split: date, methods: tuple[str, ...]
) -> dict[str, MethodResult]:
    row = {pid: i for i, pid in enumerate(data.ids)}
    candidates = np.array([i for i, d in enumerate(data.days) if d >= split], dtype=np.int64)
    cand_vectors = vectors[candidates]
    cand_ids = [data.ids[i] for i in candidates]
    before: dict[str, list[Interaction]] = defaultdict(list)
    after: dict[str, set[str]] = defaultdict(set)
    category_ups: Counter[str] = Counter()
    candidate_set = set(cand_ids)
    for it in data.interactions:
        if it.day < split:
            before[it.user].append(it)
            if it.up:
                category_ups.update(data.categories[row[it.paper]])
        elif it.up and it.paper in candidate_set:
            after[it.user].add(it.paper)
    users = sorted(
        u
        for u in after
        if len(before[u]) >= MIN_BEFORE and any(it.up for it in before[u]) and after[u]
    )
    total = max(1, sum(category_ups.values()))
    popularity = np.array(
        [
            max((category_ups[c] for c in data.categories[i]), default=0) / total
            + 1e-9 * (len(data.ids) - i) / len(data.ids)
            for i in candidates
        ],
        dtype=np.float64,
    )
    now = datetime.combine(split, datetime.min.time())
    rng = np.random.default_rng(13)
    sums = {m: [0.0, 0.0, 0.0] for m in methods}
    for user in users:
        ups = [it for it in before[user] if it.up]
        downs = [it for it in before[user] if not it.up]
        relevant = dict.fromkeys(after[user], 1)
        for method in methods:
            if method == "paperwire":
                positives = [Exemplar(vectors[row[it.paper]], 1.0, _at(it), "") for it in ups]
                negatives = [Exemplar(vectors[row[it.paper]], 1.0, _at(it), "") for it in downs]
                scores = rank(cand_vectors, positives, negatives, now=now).scores
            elif method == "centroid":
                scores = centroid_scores(cand_vectors, vectors[[row[it.paper] for it in ups]])
            elif method == "popularity":
                scores = popularity
            else:
                scores = rng.random(len(candidates))
            order = np.argsort(-scores, kind="stable")
            ranked = [cand_ids[i] for i in order]
            sums[method][0] += ndcg_at(ranked, relevant, 10)
            sums[method][1] += recall_at(ranked, relevant, 100)
            sums[method][2] += _reciprocal_rank(ranked, relevant)
    n = max(1, len(users))
    return {
        m: MethodResult(m, sums[m][0] / n, sums[m][1] / n, sums[m][2] / n, len(users))
        for m in methods
    }


def _at(it: Interaction) -> datetime:
    return datetime.combine(it.day, datetime.min.time())


def _reciprocal_rank(ranked: list[str], relevant: dict[str, int]) -> float:
    for i, pid in enumerate(ranked):
        if pid in relevant:
            return 1.0 / (i + 1)
    return 0.0


def evaluate(
    settings: Settings,
    folder: Path,
    split: date,
    *,
    methods: tuple[str, ...] = METHODS,
    cache_dir: Path | None = None,
) -> dict[str, MethodResult]:
    """Each method's figures on ``folder`` split at ``split``; ``UsageError`` on bad input."""
    for method in methods:
        if method not in METHODS:
            raise UsageError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    data = load_set(folder)
    if not any(d >= split for d in data.days):
        raise UsageError(f"{folder}: no paper is dated on or after {split.isoformat()}")
    vectors = embed_papers(settings, data, cache_dir)
    return _evaluate(data, vectors, split, methods)
