"""How lexical (BM25) and semantic (cosine) scores become one hybrid ranking.

The method and its parameters were chosen on SciFact's *train* queries only (``bench/fusion.py``,
output in ``bench/results/fusion.txt``): an even convex combination of z-scored BM25 and cosine
scores over the union of the top 100 of each ranker, each candidate scored exactly by both
(train nDCG@10 0.742 against 0.704 lexical, 0.641 semantic and 0.723 for the best reciprocal rank
fusion, which is kept for comparison).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FusionParams:
    method: str = "convex"  # convex | rrf
    alpha: float = 0.5  # weight of the lexical score in the convex combination
    lexical_norm: str = "zscore"  # max | minmax | zscore
    semantic_norm: str = "zscore"
    rrf_k: int = 60
    lexical_depth: int = 100
    semantic_depth: int = 100


DEFAULT = FusionParams()


def normalise(scores: Mapping[str, float], how: str) -> dict[str, float]:
    if not scores:
        return {}
    values = list(scores.values())
    if how == "max":
        top = max(values)
        return {k: (v / top if top > 0 else 0.0) for k, v in scores.items()}
    if how == "minmax":
        lo, hi = min(values), max(values)
        span = hi - lo
        return {k: ((v - lo) / span if span > 0 else 1.0) for k, v in scores.items()}
    if how == "zscore":
        mean = sum(values) / len(values)
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)) or 1.0
        return {k: (v - mean) / sd for k, v in scores.items()}
    raise ValueError(f"unknown normalisation {how!r}")


def fuse(
    lexical: Mapping[str, float],
    semantic: Mapping[str, float],
    candidates: Sequence[str],
    params: FusionParams = DEFAULT,
) -> list[tuple[str, float]]:
    """Rank ``candidates``; ``lexical`` holds BM25 scores of those that match the words (others count
    as 0), ``semantic`` cosine scores of those that have an embedding. A paper not embedded yet takes
    its lexical score in place of the semantic one, so new papers are not buried."""
    if params.method == "rrf":
        return _rrf(lexical, semantic, candidates, params.rrf_k)
    lex_all = {c: lexical.get(c, 0.0) for c in candidates}
    lex_n = normalise(lex_all, params.lexical_norm)
    sem_n = normalise({c: semantic[c] for c in candidates if c in semantic}, params.semantic_norm)
    fused = []
    for c in candidates:
        lex = lex_n.get(c, 0.0)
        sem = sem_n.get(c, lex)
        fused.append((c, params.alpha * lex + (1 - params.alpha) * sem))
    fused.sort(key=lambda item: (-item[1], item[0]))
    return fused


def _rrf(
    lexical: Mapping[str, float],
    semantic: Mapping[str, float],
    candidates: Sequence[str],
    k: int,
) -> list[tuple[str, float]]:
    scores = dict.fromkeys(candidates, 0.0)
    for ranking in (lexical, semantic):
        ordered = sorted((c for c in candidates if c in ranking), key=lambda c: -ranking[c])
        for rank, c in enumerate(ordered):
            scores[c] += 1.0 / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))
