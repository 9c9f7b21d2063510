"""Choose and tune the hybrid fusion on SciFact's *train* queries only, then report it on *test*.

    .venv/bin/python bench/fusion.py [--data ../shared/data/scifact] [--cache DIR]

Builds the lexical index of the corpus in a temporary instance, embeds the corpus once with the
default model (cached like ``paperwire eval``), scores every train query with both rankers, and grids
the fusion methods of ``paperwire.search.fusion`` over those scores. The output is kept in
``bench/results/fusion.txt``; the chosen parameters are the defaults in ``fusion.py``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from paperwire.config import load_settings
from paperwire.search import evaluation, fusion, index
from paperwire.search.embedder import load_embedder, paper_text
from paperwire.search.index import EmbeddingCache, text_hash
from paperwire.search.lexical import match_expression
from paperwire.search.query import parse_query

REPO = Path(__file__).resolve().parent.parent
LEXICAL_POOL = 1000


def embed_corpus(dataset: evaluation.Dataset, cache_dir: Path) -> tuple[list[str], np.ndarray]:
    embedder = load_embedder(load_settings())
    cache = EmbeddingCache(cache_dir, embedder.name)
    ids = [doc_id for doc_id, _, _ in dataset.corpus]
    hashes = [text_hash(title, text) for _, title, text in dataset.corpus]
    found = cache.get_many(hashes)
    missing = [i for i, h in enumerate(hashes) if h not in found]
    if missing:
        started = time.perf_counter()
        texts = [paper_text(dataset.corpus[i][1], dataset.corpus[i][2]) for i in missing]
        vectors = embedder.encode(texts)
        cache.put_many([hashes[i] for i in missing], vectors)
        found.update(zip([hashes[i] for i in missing], vectors, strict=True))
        rate = len(missing) / (time.perf_counter() - started)
        print(f"embedded {len(missing)} documents at {rate:.1f}/s with {embedder.name}")
    return ids, np.stack([found[h] for h in hashes])


def score_queries(
    split: str, data: Path, ids: list[str], matrix: np.ndarray, lexical: index.LexicalIndex
) -> list[tuple[dict[str, int], list[tuple[str, float]], list[tuple[str, float]], np.ndarray]]:
    """Per query: qrels, lexical ranking (BM25), semantic ranking (cosine), all cosines."""
    dataset = evaluation.load_dataset(data, split)
    embedder = load_embedder(load_settings())
    out = []
    for qid, rel in dataset.qrels.items():
        parsed = parse_query(dataset.queries[qid])
        expression = match_expression(parsed)
        lex = lexical.search(expression, limit=LEXICAL_POOL) if expression else []
        cosines = matrix @ embedder.encode_query(parsed.semantic_text)
        top = np.argsort(-cosines)[:LEXICAL_POOL]
        sem = [(ids[i], float(cosines[i])) for i in top]
        out.append((rel, lex, sem, cosines))
    return out


def run(
    scored: list, ids: list[str], params: fusion.FusionParams, lexical: index.LexicalIndex | None
) -> tuple[float, float]:
    position = {pid: i for i, pid in enumerate(ids)}
    ndcg = recall = 0.0
    for rel, lex, sem, cosines in scored:
        lex_scores = dict(lex[: params.lexical_depth])
        sem_scores = dict(sem[: params.semantic_depth])
        candidates = list(dict.fromkeys([*lex_scores, *sem_scores]))
        all_lex = dict(lex)  # exact BM25 of semantic-only candidates (0 when they do not match)
        lex_scores = {c: all_lex[c] for c in candidates if c in all_lex}
        sem_scores = {c: float(cosines[position[c]]) for c in candidates}
        fused = fusion.fuse(lex_scores, sem_scores, candidates, params)
        seen = set(candidates)
        ranked = [c for c, _ in fused] + [c for c, _ in lex if c not in seen]
        ndcg += evaluation.ndcg_at(ranked, rel)
        recall += evaluation.recall_at(ranked, rel)
    return ndcg / len(scored), recall / len(scored)


def choose(rows: list[tuple[float, float, str, fusion.FusionParams]]) -> fusion.FusionParams:
    """The convex setting whose nDCG@10, averaged with its alpha neighbours (+-0.05), is highest:
    a plateau generalises better than a spike of the grid."""
    by_params = {
        (p.lexical_norm, p.semantic_norm, round(p.alpha, 2)): n
        for n, _, name, p in rows
        if name.startswith("convex")
    }

    def smoothed(key: tuple[str, str, float]) -> float:
        lex, sem, alpha = key
        around = [by_params.get((lex, sem, round(alpha + d, 2))) for d in (-0.05, 0.0, 0.05)]
        values = [v for v in around if v is not None]
        return sum(values) / 3 if len(values) == 3 else 0.0

    lex, sem, alpha = max(by_params, key=smoothed)
    print(f"smoothed train nDCG@10 of the choice: {smoothed((lex, sem, alpha)):.4f}")
    return fusion.FusionParams(alpha=alpha, lexical_norm=lex, semantic_norm=sem)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data" / "scifact")
    parser.add_argument("--cache", type=Path, default=evaluation.default_cache_dir())
    args = parser.parse_args()
    dataset = evaluation.load_dataset(args.data, "train")
    with tempfile.TemporaryDirectory() as tmp:
        instance = evaluation.Instance(load_settings(), Path(tmp))
        instance.load(dataset)
        index.sync(instance.settings, instance.engine, embed=False)
        lexical = index.open_lexical(instance.settings)
        ids, matrix = embed_corpus(dataset, args.cache)
        train = score_queries("train", args.data, ids, matrix, lexical)
        print(f"train: {len(train)} queries")
        base = fusion.FusionParams()
        rows: list[tuple[float, float, str, fusion.FusionParams]] = []
        for alone in ("lexical", "semantic"):
            a = 1.0 if alone == "lexical" else 0.0
            p = replace(base, alpha=a)
            rows.append((*run(train, ids, p, lexical), f"{alone} only", p))
        for lex_norm in ("max", "minmax", "zscore"):
            for sem_norm in ("minmax", "zscore"):
                for alpha in [x / 20 for x in range(1, 20)]:
                    p = replace(base, lexical_norm=lex_norm, semantic_norm=sem_norm, alpha=alpha)
                    rows.append(
                        (*run(train, ids, p, lexical), f"convex {lex_norm}/{sem_norm} a={alpha}", p)
                    )
        for k in (5, 10, 20, 40, 60, 100):
            p = replace(base, method="rrf", rrf_k=k)
            rows.append((*run(train, ids, p, lexical), f"rrf k={k}", p))
        rows.sort(key=lambda r: -r[0])
        print(f"{'fusion':40} {'nDCG@10':>8} {'R@100':>7}  (train)")
        for ndcg, recall, name, _ in rows[:25]:
            print(f"{name:40} {ndcg:8.4f} {recall:7.4f}")
        for ndcg, recall, name, _ in rows:
            if name.startswith(("rrf", "lexical", "semantic")):
                print(f"{name:40} {ndcg:8.4f} {recall:7.4f}")
        best = choose(rows)
        print(f"chosen (best mean over the alpha and its two neighbours): {best}")
        for depth in (50, 100, 200):
            p = replace(best, lexical_depth=depth, semantic_depth=depth)
            ndcg, recall = run(train, ids, p, lexical)
            print(f"  depth {depth}: train nDCG@10 {ndcg:.4f} R@100 {recall:.4f}")
        test = score_queries("test", args.data, ids, matrix, lexical)
        ndcg, recall = run(test, ids, best, lexical)
        print(f"test (reported, not tuned): nDCG@10 {ndcg:.4f} R@100 {recall:.4f}")
        lexical.close()
        instance.close()


if __name__ == "__main__":
    main()
