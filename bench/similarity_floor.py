"""Choose semantic search's similarity floor (``search.service.SIMILARITY_FLOOR``) on labelled data.

    .venv/bin/python bench/similarity_floor.py [--data ../shared/data/scifact] [--keep DIR]

A meaning-based search always finds *some* nearest papers, however meaningless the query: without a
floor "qwerty zzxxyy" answered with 100 results. This loads a BEIR dataset (SciFact by default) into
a throw-away instance with the real ingest and the shipped model, then measures with the vector store
the search serves:

- for every labelled query, the cosine similarity of its relevant documents found in the top 10
  (what a floor must keep), and of its best hit;
- for nonsense queries (keyboard runs and random letter strings, fixed seed), the best hit's cosine
  (what a floor must drop).

For each candidate floor it prints the share of relevant top-10 hits kept, the share of real queries
left with no result, and the share of nonsense queries answered with nothing.
"""

from __future__ import annotations

import argparse
import random
import string
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paperwire.config import load_settings
from paperwire.search import evaluation, service

ROOT = Path(__file__).resolve().parent.parent
KEYBOARD = [
    "qwerty zzxxyy", "asdf jkl", "zxcvbnm", "qwertyuiop", "aaaa bbbb cccc", "xyzzy plugh",
    "hjkl yuio", "lorem ipsum dolor", "foo bar baz", "asdfgh qwerty", "mnbvcxz lkjhg",
    "zzz", "qqq www eee", "blorp fnord", "wxyz qrst",
]  # fmt: skip
GRID = [round(0.10 + 0.025 * i, 3) for i in range(13)]


def nonsense(n: int, seed: int = 20) -> list[str]:
    rng = random.Random(seed)
    made = []
    for _ in range(n):
        words = [
            "".join(rng.choices(string.ascii_lowercase, k=rng.randint(4, 9))) for _ in range(2)
        ]
        made.append(" ".join(words))
    return KEYBOARD + made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent.parent / "shared/data/scifact")
    parser.add_argument("--keep", type=Path, default=None)
    args = parser.parse_args()
    dataset = evaluation.load_dataset(args.data)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperwire-floor-"))
    instance = evaluation.Instance(load_settings(), folder)
    if not (folder / "home" / "index").exists():
        instance.load(dataset)
    service.sync_index(instance.settings, instance.engine, cache_dir=folder / "cache")
    semantic = service.get_searcher(instance.settings).semantic()
    assert semantic is not None, "the model or the vectors did not load"
    embedder, store = semantic
    relevant_scores: list[float] = []
    best_real: list[float] = []
    for qid, wanted in dataset.qrels.items():
        vector = np.asarray(embedder.encode_query(dataset.queries[qid]), dtype=np.float32)
        hits = store.search_exact(vector, 10)
        best_real.append(hits[0][1])
        relevant_scores += [s for pid, s in hits if wanted.get(pid, 0) > 0]
    best_nonsense = []
    for text in nonsense(85):
        vector = np.asarray(embedder.encode_query(text), dtype=np.float32)
        best_nonsense.append(store.search_exact(vector, 1)[0][1])
    rel, real, junk = np.array(relevant_scores), np.array(best_real), np.array(best_nonsense)
    print(f"data {args.data} ({len(dataset.corpus)} documents, {len(real)} queries)")
    print(
        f"relevant top-10 hits: {len(rel)}; cosine min {rel.min():.3f} p1 {np.percentile(rel, 1):.3f}"
        f" p5 {np.percentile(rel, 5):.3f} median {np.median(rel):.3f}"
    )
    print(f"real queries' best hit: min {real.min():.3f} p1 {np.percentile(real, 1):.3f}")
    print(
        f"nonsense queries' best hit ({len(junk)}): max {junk.max():.3f} p95"
        f" {np.percentile(junk, 95):.3f} median {np.median(junk):.3f}"
    )
    print("floor  relevant kept  real queries emptied  nonsense emptied")
    for floor in GRID:
        print(
            f"{floor:5.3f}  {np.mean(rel >= floor):13.4f}  {np.mean(real < floor):20.4f}"
            f"  {np.mean(junk < floor):16.4f}"
        )
    instance.close()


if __name__ == "__main__":
    main()
