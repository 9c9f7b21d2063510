"""BM25 engines side by side before choosing one for a million papers: the shipped SQLite FTS5
index and tantivy (block-max WAND top-k), on the same realistic corpus (``bench/corpus.py``:
SciFact planted among ``--papers`` distractors), the same field weights (title 3, abstract,
authors and categories 1: ``lexical.FIELD_WEIGHTS``) and the same query words (``parse_query``).

    .venv/bin/python bench/lexical_engines.py --papers 100000 [--keep DIR] [--queries 300]

For each engine: build time, nDCG@10 and Recall@100 on SciFact's test queries, p50/p95 wall time
and CPU time for the top 100, and whether its top 10 equals an exhaustive ranking by the same engine (FTS5:
FTS5 scoring every paper matching a query word; the served path is the exact top-k over the
postings snapshot from 100,000 papers on; tantivy: the top ``--papers`` by the same query, i.e.
every match scored). Needs tantivy: ``pip install -e '.[bench]'``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import tantivy
from corpus import DATA, Model, planted, read_beir, real_papers  # bench/ is the script's folder
from scale import build as build_fts5
from scale import measure
from scale import rank as rank_fts5

from paperwire.search.evaluation import load_dataset
from paperwire.search.lexical import COLUMNS, FIELD_WEIGHTS, LexicalIndex
from paperwire.search.query import parse_query

DEPTH = 100


def build_tantivy(folder: Path, papers: int, seed: int) -> tuple[tantivy.Index, float]:
    schema = tantivy.SchemaBuilder()
    schema.add_text_field("paper_id", stored=True, tokenizer_name="raw")
    for column in COLUMNS:
        schema.add_text_field(column, tokenizer_name="en_stem")
    built = schema.build()
    folder.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(built, path=str(folder))
    if index.searcher().num_docs:
        return index, 0.0
    started = time.perf_counter()
    writer = index.writer(heap_size=256_000_000, num_threads=1)
    model = Model(real_papers())
    needles = read_beir(DATA / "scifact")
    for doc in planted(model, needles, max(0, papers - len(needles)), seed):
        writer.add_document(
            tantivy.Document(
                paper_id=str(doc["_id"]),
                title=str(doc["title"]),
                abstract=str(doc["text"]),
                authors=" ".join(doc["authors"]),  # type: ignore[arg-type]
                categories=" ".join(doc["categories"]),  # type: ignore[arg-type]
            )
        )
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, time.perf_counter() - started


def tantivy_query(index: tantivy.Index, text: str) -> tantivy.Query | None:
    # The same words the service ORs (``parse_query``), without tantivy's query syntax characters.
    words = re.findall(r"\w+", " ".join(parse_query(text).terms))
    if not words:
        return None
    boosts = dict(zip(COLUMNS, FIELD_WEIGHTS, strict=True))
    return index.parse_query(" ".join(words), list(COLUMNS), field_boosts=boosts)


def rank_tantivy(index: tantivy.Index, searcher: tantivy.Searcher, text: str, k: int) -> list[str]:
    query = tantivy_query(index, text)
    if query is None:
        return []
    hits = searcher.search(query, k).hits
    return [searcher.doc(address)["paper_id"][0] for _, address in hits]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperwire-engines-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    fts5 = LexicalIndex(folder / f"lexical-{args.papers}-{args.seed}.sqlite")
    fts5_build = build_fts5(fts5, args.papers, args.seed)[0] if fts5.is_empty() else 0.0
    index, tantivy_build = build_tantivy(
        folder / f"tantivy-{args.papers}-{args.seed}", args.papers, args.seed
    )
    searcher = index.searcher()
    dataset = load_dataset(DATA / "scifact")
    qids = [q for q in dataset.qrels if q in dataset.queries][: args.queries]
    queries = {q: dataset.queries[q] for q in qids}
    runs = {
        "FTS5 served (exact top-k)": lambda t: [p for p, _ in rank_fts5(fts5, t, True)],
        "FTS5 exhaustive": lambda t: [p for p, _ in rank_fts5(fts5, t, False)],
        "tantivy top-k": lambda t: rank_tantivy(index, searcher, t, DEPTH),
        "tantivy all matches": lambda t: rank_tantivy(index, searcher, t, args.papers),
    }
    results = {name: measure(run, queries, dataset.qrels) for name, run in runs.items()}
    print(
        f"bench/lexical_engines.py --papers {args.papers}: {len(qids)} SciFact test queries;"
        f" build FTS5 {fts5_build:.0f}s, tantivy {tantivy_build:.0f}s (0 = reused);"
        f" load average after {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'engine':<26}{'nDCG@10':>9}{'R@100':>8}{'p50 ms':>9}{'p95 ms':>9}  top 10 = exhaustive"
    )
    pairs = {
        "FTS5 served (exact top-k)": "FTS5 exhaustive",
        "tantivy top-k": "tantivy all matches",
    }
    for name, r in results.items():
        same = ""
        if name in pairs:
            ref = results[pairs[name]]["tops"]
            equal = sum(r["tops"][q] == ref[q] for q in qids)
            same = f"{equal}/{len(qids)}"
        print(
            f"{name:<26}{r['ndcg@10']:>9.4f}{r['recall@100']:>8.4f}{r['p50_ms']:>9.1f}"
            f"{r['p95_ms']:>9.1f}{r['cpu_p50_ms']:>9.1f}{r['cpu_p95_ms']:>9.1f}  {same}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
