"""How long ``recommend.model.rank`` takes for one member: 10,000 candidates (384 numbers each, the
shipped model's size) against 20, 200 and 1,000 signals (at most ``MAX_EXEMPLARS`` are kept), on
one BLAS thread, median and p95 of 50 runs (wall time) and the median CPU time, which a busy
machine disturbs less. The issue's bar: well under 50 ms.

    .venv/bin/python bench/recommend_speed.py
"""

from __future__ import annotations

import statistics
import time
from datetime import datetime, timedelta

import numpy as np
from threadpoolctl import threadpool_limits

from paperwire.recommend.model import Exemplar, rank


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.normal(size=(n, 384)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def main() -> None:
    rng = np.random.default_rng(13)
    candidates = _unit(rng, 10_000)
    now = datetime(2026, 6, 15)
    for signals in (20, 200, 1000):
        vectors = _unit(rng, signals)
        positives = [
            Exemplar(v, 1.0, now - timedelta(days=i % 90), f"s{i}") for i, v in enumerate(vectors)
        ]
        negatives = positives[: signals // 10]
        times, cpu = [], []
        with threadpool_limits(limits=1, user_api="blas"):
            for _ in range(50):
                started, started_cpu = time.perf_counter(), time.process_time()
                rank(candidates, positives, negatives, now=now)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        print(
            f"{signals:>5} signals: median {statistics.median(times):.1f} ms,"
            f" p95 {times[int(0.95 * len(times)) - 1]:.1f} ms wall;"
            f" median {statistics.median(cpu):.1f} ms CPU (10,000 candidates)"
        )


if __name__ == "__main__":
    main()
