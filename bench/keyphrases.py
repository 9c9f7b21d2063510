"""How well paperwire's extracted keyphrases match Hugging Face's AI keywords, against a baseline.

On the Hugging Face papers in ``../shared/data/hf_daily_papers`` that carry ``ai_keywords`` (LLM
written by Hugging Face), each paper's title and abstract go through ``paperwire.enrich.service.
extract`` (KeyBERT-style: candidates ranked by similarity to the paper with MMR, the shipped
all-MiniLM-L6-v2 ONNX model) and through the baseline ``frequent_phrases`` (the same candidates,
most frequent first). Both give 8 phrases. For each paper it counts how many of the 8 match one of
the paper's AI keywords:

- exact: equal after lower-casing and collapsing spaces and hyphens;
- fuzzy: the two share a content word stem (lower case, a final ``s`` dropped) and their word sets
  overlap by at least half of the shorter one (so ``draft models`` ~ ``draft model``, ``on-policy
  distillation`` ~ ``policy distillation``, but not ``models`` ~ ``diffusion models`` alone unless
  half of the shorter side, here all of it, is shared).

It prints, per method, the mean matches per paper (of 8), precision (matches / 8), and the share
of papers with at least one match, over ``--papers`` papers (a deterministic sample, every k-th).

    .venv/bin/python bench/keyphrases.py --papers 200
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import statistics
import time
from pathlib import Path

from paperwire.config import load_settings
from paperwire.enrich.keyphrases import TOP, frequent_phrases
from paperwire.enrich.service import extract
from paperwire.search.embedder import load_embedder

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "hf_daily_papers"


def papers(folder: Path) -> list[dict]:
    seen: dict[str, dict] = {}
    for name in sorted(glob.glob(str(folder / "daily_papers_*.json"))):
        for item in json.loads(Path(name).read_text(encoding="utf-8")):
            paper = item.get("paper") or {}
            if paper.get("ai_keywords") and paper.get("summary") and paper.get("id"):
                seen.setdefault(paper["id"], paper)
    return [seen[k] for k in sorted(seen)]


def _norm(phrase: str) -> str:
    return " ".join(re.split(r"[\s\-]+", phrase.lower())).strip()


def _stems(phrase: str) -> set[str]:
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in _norm(phrase).split()}


def exact(phrase: str, keywords: list[str]) -> bool:
    return _norm(phrase) in {_norm(k) for k in keywords}


def fuzzy(phrase: str, keywords: list[str]) -> bool:
    mine = _stems(phrase)
    for keyword in keywords:
        theirs = _stems(keyword)
        shared = mine & theirs
        if shared and len(shared) * 2 >= min(len(mine), len(theirs)):
            return True
    return False


def score(found: list[str], keywords: list[str]) -> tuple[int, int]:
    return sum(exact(p, keywords) for p in found), sum(fuzzy(p, keywords) for p in found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=200, help="how many papers (0: all)")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    every = papers(args.data)
    step = max(1, len(every) // args.papers) if args.papers else 1
    sample = every[::step][: args.papers or None]
    embedder = load_embedder(load_settings({"PAPERWIRE_HOME": "/tmp/paperwire-bench-keyphrases"}))
    results: dict[str, list[tuple[int, int]]] = {"extracted (KeyBERT-style)": [], "baseline": []}
    started = time.perf_counter()
    for paper in sample:
        title, abstract, keywords = paper["title"], paper["summary"], paper["ai_keywords"]
        results["extracted (KeyBERT-style)"].append(
            score(extract(embedder, title, abstract).keyphrases, keywords)
        )
        results["baseline"].append(score(frequent_phrases(title, abstract), keywords))
    seconds = time.perf_counter() - started
    print(f"{len(sample)} of {len(every)} HF papers with ai_keywords, {TOP} phrases each")
    print(
        f"{'method':28} {'exact/paper':>11} {'fuzzy/paper':>11} {'exact P':>8} {'fuzzy P':>8}"
        f" {'>=1 exact':>9} {'>=1 fuzzy':>9}"
    )
    for name, rows in results.items():
        ex = [r[0] for r in rows]
        fz = [r[1] for r in rows]
        print(
            f"{name:28} {statistics.mean(ex):11.2f} {statistics.mean(fz):11.2f}"
            f" {statistics.mean(ex) / TOP:8.1%} {statistics.mean(fz) / TOP:8.1%}"
            f" {sum(e > 0 for e in ex) / len(ex):9.1%} {sum(f > 0 for f in fz) / len(fz):9.1%}"
        )
    print(f"{seconds:.0f} s ({seconds / len(sample):.2f} s a paper, both methods)")


if __name__ == "__main__":
    main()
