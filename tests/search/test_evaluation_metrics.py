"""The relevance metrics of ``paperwire eval`` and the benchmarks, against values worked out by hand:
nDCG@10 (graded gains, log2 discount), Recall@100 and MRR@10; a run naming a paper twice earns its
gain once, so nDCG never exceeds 1."""

from __future__ import annotations

import math

import pytest

from paperwire.search.evaluation import mrr_at, ndcg_at, recall_at

# One query's judgements: grades 3, 2, 1, 1 are relevant; "z" was judged and is not (grade 0).
QRELS = {"a": 3, "b": 2, "c": 1, "d": 1, "z": 0}
# The run, best first: "b" at rank 2, "a" at rank 4, "z" at 5, "c" at rank 12 (beyond 10, within
# 100); "d" is never retrieved. Ranks 1..15, then filler to 120 with "d" at rank 110.
RUN = ["x", "b", "y", "a", "z", "n6", "n7", "n8", "n9", "n10", "n11", "c", "n13", "n14", "n15"]
RUN += [f"f{i}" for i in range(16, 110)] + ["d"] + [f"g{i}" for i in range(111, 121)]


def test_the_run_is_laid_out_as_the_comments_say() -> None:
    assert len(RUN) == 120 and len(set(RUN)) == 120
    assert [RUN.index(p) + 1 for p in ("b", "a", "z", "c", "d")] == [2, 4, 5, 12, 110]


def test_ndcg_at_10_by_hand() -> None:
    # DCG@10 = sum over ranks r <= 10 of grade / log2(r + 1):
    #   rank 2, "b" (2): 2 / log2(3) = 2 / 1.5849625 = 1.2618595
    #   rank 4, "a" (3): 3 / log2(5) = 3 / 2.3219281 = 1.2920297
    #   rank 5, "z" (0) and the unjudged papers add 0          DCG = 2.5538892
    # IDCG@10: the grades sorted, 3, 2, 1, 1, at ranks 1..4:
    #   3 / log2(2) + 2 / log2(3) + 1 / log2(4) + 1 / log2(5)
    #   = 3 + 1.2618595 + 0.5 + 0.4306766                       IDCG = 5.1925361
    # nDCG@10 = 2.5538892 / 5.1925361 = 0.4918385
    assert ndcg_at(RUN, QRELS, 10) == pytest.approx(0.4918385, abs=1e-7)
    # The same arithmetic spelled out in code, as a check on the comment.
    dcg = 2 / math.log2(3) + 3 / math.log2(5)
    idcg = 3 + 2 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5)
    assert ndcg_at(RUN, QRELS, 10) == pytest.approx(dcg / idcg, rel=1e-12)


def test_recall_at_100_by_hand() -> None:
    # Relevant (grade > 0): a, b, c, d = 4. In the top 100: b (2), a (4), c (12); d is at 110.
    # Recall@100 = 3 / 4 = 0.75. At 10 only a and b: 2 / 4 = 0.5. At 110 all four: 1.0.
    assert recall_at(RUN, QRELS, 100) == 0.75
    assert recall_at(RUN, QRELS, 10) == 0.5
    assert recall_at(RUN, QRELS, 110) == 1.0


def test_mrr_at_10_by_hand() -> None:
    # The first relevant paper is "b" at rank 2: 1 / 2. "x" at rank 1 is unjudged, so not relevant.
    assert mrr_at(RUN, QRELS, 10) == 0.5
    # A judged-irrelevant paper ("z", grade 0) first does not count: the first hit is "a" at 2.
    assert mrr_at(["z", "a"], QRELS, 10) == 0.5
    # The first relevant paper beyond rank 10 gives 0.
    assert mrr_at([f"n{i}" for i in range(10)] + ["a"], QRELS, 10) == 0.0


def test_a_perfect_run_scores_one_and_an_empty_one_zero() -> None:
    perfect = ["a", "b", "c", "d", "z"]
    assert ndcg_at(perfect, QRELS, 10) == pytest.approx(1.0)
    assert recall_at(perfect, QRELS, 100) == 1.0
    assert mrr_at(perfect, QRELS, 10) == 1.0
    assert (ndcg_at([], QRELS), recall_at([], QRELS), mrr_at([], QRELS)) == (0.0, 0.0, 0.0)
    # A query with nothing relevant scores 0, not a division by zero.
    assert (ndcg_at(["a"], {"a": 0}), recall_at(["a"], {"a": 0})) == (0.0, 0.0)


def test_a_paper_named_twice_earns_its_gain_once() -> None:
    # Only "a" is relevant (grade 1): IDCG = 1 / log2(2) = 1. A run repeating "a" ten times would
    # add 1 + 1/log2(3) + ... = 4.54 if every copy counted; the copies keep their ranks and earn 0.
    one = {"a": 1}
    assert ndcg_at(["a"] * 10, one, 10) == 1.0
    # "a" at rank 1 then again at 2, with "b" (grade 1) at rank 3: DCG = 1 + 1 / log2(4) = 1.5;
    # IDCG = 1 + 1 / log2(3) = 1.6309298; nDCG = 1.5 / 1.6309298 = 0.9197208.
    assert ndcg_at(["a", "a", "b"], {"a": 1, "b": 1}, 10) == pytest.approx(0.9197208, abs=1e-7)
    for run in (["a", "a"], ["b", "a", "b", "a"], RUN[:3] * 4, ["a", "b", "c", "d"] * 3):
        assert ndcg_at(run, QRELS, 10) <= 1.0 + 1e-12, run
    assert recall_at(["a", "a", "b"], {"a": 1, "b": 1, "c": 1}, 100) == pytest.approx(2 / 3)
    assert mrr_at(["x", "a", "a"], one, 10) == 0.5
