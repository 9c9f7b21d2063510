"""Does hybrid search beat both single modes on scientific collections it was not tuned on?

    .venv/bin/python bench/known_item.py [--docs 1500] [--queries 300] [--cache DIR]

Builds two BEIR-layout known-item sets from real arXiv listings in ``shared/data/arxiv_daily``
(computer science, and hep/gr-qc/astro-ph physics): the corpus is the abstracts, each query is one
paper's title, and the relevant document is that paper's abstract. Then runs ``paperwire eval`` code
(``evaluation.evaluate``) on each. Output: ``bench/results/known_item.txt``.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

from paperwire.config import load_settings
from paperwire.search import evaluation

REPO = Path(__file__).resolve().parent.parent
DAILY = REPO.parent / "shared" / "data" / "arxiv_daily"


def computer_science() -> Iterator[tuple[str, str, str]]:
    for path in sorted((DAILY / "dw-dengwei_cs").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            record = json.loads(line)
            yield record["id"], record["title"], record["summary"]


def physics() -> Iterator[tuple[str, str, str]]:
    for path in sorted((DAILY / "everyday-arxiv_physics").glob("*.json")):
        for record in json.loads(path.read_text())["papers"]:
            yield record["base_id"], record["title"], record["abstract"]


def write_set(
    folder: Path, papers: Iterator[tuple[str, str, str]], docs: int, queries: int
) -> None:
    seen: dict[str, tuple[str, str]] = {}
    for pid, title, abstract in papers:
        if pid not in seen and title.strip() and abstract.strip():
            seen[pid] = (" ".join(title.split()), " ".join(abstract.split()))
        if len(seen) == docs:
            break
    (folder / "qrels").mkdir(parents=True)
    with open(folder / "corpus.jsonl", "w") as fh:
        for pid, (_, abstract) in seen.items():
            fh.write(json.dumps({"_id": pid, "title": "", "text": abstract}) + "\n")
    picked = random.Random(7).sample(sorted(seen), queries)
    with open(folder / "queries.jsonl", "w") as fh:
        for pid in picked:
            fh.write(json.dumps({"_id": f"q{pid}", "text": seen[pid][0]}) + "\n")
    rows = ["query-id\tcorpus-id\tscore", *(f"q{pid}\t{pid}\t1" for pid in picked)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--cache", type=Path, default=evaluation.default_cache_dir())
    args = parser.parse_args()
    print(f"known-item search: title -> abstract, {args.docs} abstracts, {args.queries} titles")
    print(
        f"{'collection':12} {'mode':9} {'nDCG@10':>8} {'R@100':>7} {'MRR@10':>7} {'p50 ms':>7} {'p95 ms':>7}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for name, papers in (("arxiv-cs", computer_science()), ("arxiv-phys", physics())):
            folder = Path(tmp) / name
            write_set(folder, papers, args.docs, args.queries)
            results = evaluation.evaluate(load_settings(), folder, cache_dir=args.cache)
            for mode, r in results.items():
                print(
                    f"{name:12} {mode:9} {r.ndcg_at_10:8.4f} {r.recall_at_100:7.4f} "
                    f"{r.mrr_at_10:7.4f} {r.p50_ms:7.1f} {r.p95_ms:7.1f}"
                )


if __name__ == "__main__":
    main()
