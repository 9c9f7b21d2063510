"""The per-member model: a score for each candidate paper from the member's positive and negative
exemplars, computed at request time (no training step, so a new signal counts at once).

Each positive signal is one exemplar (a paper's or a text's unit vector) with a weight: its kind's
weight times a recency decay (half-life ``HALF_LIFE_DAYS``). A candidate's score is a soft maximum
of its cosine similarity to the exemplars (temperature ``TEMPERATURE``: near the best match, so a
member who reads both robotics and protein design gets both rather than their average), plus a
little of the similarity to their centroid (``CENTROID_SHARE``), minus the soft maximum over the
explicit negatives (``NEGATIVE_SHARE``), minus the similarity to the candidates' own centroid
(``BACKGROUND_SHARE``: the sampled non-interactions, which takes off what every paper of the
period shares). The exemplar that contributed most is the reason shown.

The numbers were chosen on the offline evaluation (``bench/README.md``, "For you").
Ranking 10,000 candidates against 100 exemplars (``MAX_EXEMPLARS``) is one 10,000 x 384 x 101
matrix product and a soft maximum over its result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

TEMPERATURE = 0.1
HALF_LIFE_DAYS = 180.0
CENTROID_SHARE = 0.3
NEGATIVE_SHARE = 0.5
BACKGROUND_SHARE = 0.5
# The most recent/weightiest exemplars kept, so one request stays one small product.
MAX_EXEMPLARS = 100


@dataclass(frozen=True)
class Exemplar:
    """One signal as the model sees it: a vector, its weight, when it was given, and its reason."""

    vector: np.ndarray
    weight: float
    at: datetime
    reason: str


@dataclass(frozen=True)
class Ranking:
    """Scores of the candidates (same order) and, per candidate, the reason (None: no signal)."""

    scores: np.ndarray
    reasons: list[str | None]


def _decayed(
    exemplars: Sequence[Exemplar], now: datetime
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The kept exemplars' vectors as rows, their decayed weights, and their indices."""
    weights = np.array(
        [
            e.weight * 0.5 ** (max(0.0, (now - e.at).total_seconds()) / 86400 / HALF_LIFE_DAYS)
            for e in exemplars
        ],
        dtype=np.float64,
    )
    keep = np.argsort(-weights, kind="stable")[:MAX_EXEMPLARS]
    matrix = np.vstack([exemplars[i].vector for i in keep]).astype(np.float32, copy=False)
    return matrix, weights[keep], keep


def _soft_max(similarity: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row, ``TEMPERATURE * log(sum_i w_i exp(s_i / T) / sum w)`` and the best column."""
    logits = similarity / TEMPERATURE + np.log(np.maximum(weights, 1e-12))[None, :].astype(
        np.float32
    )
    best = logits.argmax(axis=1)
    top = logits[np.arange(len(logits)), best]
    total = np.log(np.exp(logits - top[:, None]).sum(axis=1)) + top
    return TEMPERATURE * (total - float(np.log(weights.sum()))), best


def rank(
    candidates: np.ndarray,
    positives: Sequence[Exemplar],
    negatives: Sequence[Exemplar] = (),
    *,
    now: datetime,
) -> Ranking:
    """Score the rows of ``candidates`` (unit vectors) for a member with these exemplars."""
    n = len(candidates)
    if n == 0 or not positives:
        return Ranking(np.zeros(n, dtype=np.float32), [None] * n)
    matrix, weights, kept = _decayed(positives, now)
    centroid = (weights[:, None] * matrix).sum(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    background = candidates.mean(axis=0)
    background /= max(float(np.linalg.norm(background)), 1e-12)
    shift = (CENTROID_SHARE * centroid - BACKGROUND_SHARE * background).astype(np.float32)
    # One product for the exemplars and the centroid/background column together.
    product = candidates @ np.column_stack([matrix.T, shift])
    score, best = _soft_max(product[:, :-1], weights)
    score = score + product[:, -1]
    if negatives:
        neg_matrix, neg_weights, _ = _decayed(negatives, now)
        neg_score, _ = _soft_max(candidates @ neg_matrix.T, neg_weights)
        score = score - NEGATIVE_SHARE * np.maximum(neg_score, 0.0)
    reasons: list[str | None] = [positives[kept[int(b)]].reason for b in best]
    return Ranking(score.astype(np.float32, copy=False), reasons)


def centroid_scores(candidates: np.ndarray, positives: np.ndarray) -> np.ndarray:
    """The baseline: cosine similarity to the mean of the positives."""
    centroid = positives.mean(axis=0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    return candidates @ centroid.astype(np.float32)
