"""Query latency of the three search modes as wall time and as CPU time of this process.

    .venv/bin/python bench/query_cpu.py [--data ../shared/data/scifact] [--repeat 2] [--cache DIR]

The same queries and code path as ``paperwire eval`` (a temporary instance, ``service.search`` for the
top 100, no snippets; the embedding cache of ``paperwire eval`` is used), timed twice: wall time, which
on the shared 2-core machine mostly measures how long other work keeps the query off a core, and CPU
time of this process (all its threads), which is what the query costs and what its wall time would
be on a free machine (the hybrid mode overlaps BM25 and the encoder on two threads, so its wall time
can be lower still). Each mode's first pass starts with no query vector kept (every query is
encoded, as a new query is); ``--repeat`` runs the query list again, and the later passes show the
query-vector cache.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from paperwire.config import load_settings
from paperwire.search import index, service
from paperwire.search.evaluation import (
    DEPTH,
    MODES,
    Instance,
    default_cache_dir,
    load_dataset,
    percentile,
)

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=default_cache_dir(), help="embedding cache")
    args = parser.parse_args()
    dataset = load_dataset(args.data)
    queries = [dataset.queries[q] for q in dataset.qrels if q in dataset.queries]
    print(f"load average before: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        instance = Instance(load_settings(), Path(tmp))
        try:
            instance.load(dataset)
            index.sync(instance.settings, instance.engine, cache_dir=args.cache)
            for mode in MODES:
                service.search(instance.settings, instance.engine, "warm up", mode=mode)
                # Pass 1 of every mode encodes its queries (no vector kept from the mode before);
                # a second pass (--repeat 2) is the query-vector cache's, reported as such.
                service.forget_query_vectors()
                for rep in range(args.repeat):
                    wall, cpu = [], []
                    for text in queries:
                        t, c = time.perf_counter(), time.process_time()
                        service.search(
                            instance.settings,
                            instance.engine,
                            text,
                            mode=mode,
                            limit=DEPTH,
                            snippets=False,
                        )
                        wall.append((time.perf_counter() - t) * 1000)
                        cpu.append((time.process_time() - c) * 1000)
                    cache = "cold vectors" if rep == 0 else "cached vectors"
                    print(
                        f"{mode:9s} pass {rep + 1} ({cache}): wall p50 {percentile(wall, 0.5):6.1f} ms"
                        f" p95 {percentile(wall, 0.95):6.1f} ms   CPU p50"
                        f" {percentile(cpu, 0.5):6.1f} ms p95 {percentile(cpu, 0.95):6.1f} ms",
                        flush=True,
                    )
        finally:
            instance.close()
    print(f"load average after: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
