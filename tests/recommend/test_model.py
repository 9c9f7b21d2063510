"""The per-member model on hand-made vectors: several interests kept apart, negatives pushing
down, recent signals weighing more, reasons naming the closest signal."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from paperwire.recommend.model import Exemplar, centroid_scores, rank

NOW = datetime(2026, 6, 15)
DIM = 16


def _unit(*hot: int, noise: int = 0) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[list(hot)] = 1.0
    if noise:
        vector += np.random.default_rng(noise).normal(0, 0.05, DIM).astype(np.float32)
    return vector / np.linalg.norm(vector)


def _ex(vector: np.ndarray, reason: str, days_ago: float = 0, weight: float = 1.0) -> Exemplar:
    return Exemplar(vector, weight, NOW - timedelta(days=days_ago), reason)


def test_two_interests_both_rank_above_their_average() -> None:
    robotics, proteins = _unit(0), _unit(1)
    # Two robotics signals, one protein one: the centroid leans to robotics and to their middle.
    positives = [
        _ex(_unit(0, noise=1), "robots 1"),
        _ex(_unit(0, noise=2), "robots 2"),
        _ex(proteins, "proteins"),
    ]
    middle = _unit(0, 1)
    candidates = np.vstack([robotics, proteins, middle, _unit(5), _unit(6)])
    ranking = rank(candidates, positives, now=NOW)
    order = list(np.argsort(-ranking.scores))
    assert set(order[:2]) == {0, 1}  # both interests, ahead of their average (2)
    assert ranking.reasons[1] == "proteins"
    assert ranking.reasons[0] in {"robots 1", "robots 2"}
    # The centroid baseline puts the average first.
    assert (
        int(np.argmax(centroid_scores(candidates, np.vstack([e.vector for e in positives])))) != 1
    )


def test_not_interested_pushes_similar_papers_down() -> None:
    positives = [_ex(_unit(0, 1), "broad")]
    candidates = np.vstack([_unit(0), _unit(1)])
    before = rank(candidates, positives, now=NOW).scores
    assert abs(before[0] - before[1]) < 1e-4
    after = rank(candidates, positives, [_ex(_unit(1), "no")], now=NOW).scores
    assert after[0] > after[1]


def test_recent_signals_weigh_more() -> None:
    positives = [_ex(_unit(0), "old", days_ago=365), _ex(_unit(1), "new", days_ago=1)]
    scores = rank(np.vstack([_unit(0), _unit(1)]), positives, now=NOW).scores
    assert scores[1] > scores[0]


def test_no_signals_no_scores() -> None:
    ranking = rank(np.vstack([_unit(0)]), [], now=NOW)
    assert ranking.reasons == [None] and float(ranking.scores[0]) == 0.0
