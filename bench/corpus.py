"""A large, realistic test corpus: synthetic distractor papers whose words, lengths, categories and
authors follow the real papers in ``../shared/data``, with a BEIR set (SciFact) planted among them
as the needles, its queries and qrels kept. Deterministic for a seed.

    .venv/bin/python bench/corpus.py --papers 1000000 --out /tmp/corpus-1m [--seed 1]
    .venv/bin/python bench/corpus.py --papers 20 --show          # print a few distractors

The model, trained on the ~14,000 distinct real papers of ``arxiv_daily``, ``hf_daily_papers`` and
``arxiv_snapshot``:

- every distractor copies the *shape* of one real paper drawn at random: its categories, the
  number of words of its title and of its abstract, and its number of authors (so lengths,
  category mix and author-list sizes follow the real distributions exactly);
- its words are drawn from a per-field mixture: with probability ``TOPICAL`` from the word
  frequencies of the real papers sharing its primary category (or its archive, ``cs``, ``hep``,
  when the category has fewer than ``MIN_GROUP`` papers), otherwise from those of all papers.
  Word frequencies are therefore the real ones (Zipfian, a long tail of rare words), and words
  co-occur by topic as in real papers, unlike a text repeated many times (the former 1M-paper
  run repeated SciFact's 5,183 texts 193 times) or words drawn from one global list;
- authors are drawn from the real author names, weighted by how often each appears.

What it does not model: word order within a sentence (a bag of words with real frequencies;
BM25 and the embedding of a bag of topical words are what the benchmarks exercise), and the
needles' own field: SciFact is biomedical while the distractors follow arXiv (cs, physics), so a
query's rare biomedical words are rarer here than in a biomedical archive. Common words ("the",
"of", "cells", "model") are as common as in real papers, which is what a top-k method must
survive.

Output (``--out``): ``corpus.jsonl`` (BEIR fields ``_id``, ``title``, ``text`` plus ``categories``
and ``authors``; the needles keep their SciFact ids, distractors are ``d0000001``...), ``queries.
jsonl`` and ``qrels/test.tsv`` copied from the BEIR set, and ``corpus.json`` describing the run.
The needles sit at seeded random positions among the distractors.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
TOPICAL = 0.6
MIN_GROUP = 300
BATCH = 2_000


@dataclass(frozen=True)
class Shape:
    categories: tuple[str, ...]
    title_words: int
    abstract_words: int
    authors: int


@dataclass(frozen=True)
class RealPaper:
    id: str
    title: str
    abstract: str
    categories: tuple[str, ...]
    authors: tuple[str, ...]


def _words(text: str) -> list[str]:
    return text.split()


def real_papers(data: Path = DATA) -> list[RealPaper]:
    """Every distinct real paper of the shared data (by id; the first copy read is kept)."""
    found: dict[str, RealPaper] = {}

    def keep(pid: str, title: str, abstract: str, cats: list[str], authors: list[str]) -> None:
        if pid and title and abstract and pid not in found:
            found[pid] = RealPaper(
                pid, " ".join(title.split()), abstract, tuple(cats), tuple(authors)
            )

    for path in sorted((data / "arxiv_daily" / "dw-dengwei_cs").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            r = json.loads(line)
            keep(r["id"], r["title"], r["summary"], r["categories"], r["authors"])
    for path in sorted((data / "arxiv_daily" / "everyday-arxiv_physics").glob("*.json")):
        for r in json.loads(path.read_text())["papers"]:
            keep(r["base_id"], r["title"], r["abstract"], r["categories"], r["authors"])
    for path in sorted((data / "hf_daily_papers").glob("daily_papers_*.json")):
        for item in json.loads(path.read_text()):
            p = item["paper"]
            names = [a["name"] for a in p.get("authors", [])]
            keep(p["id"], p["title"], p["summary"], [], names)
    for path in sorted((data / "arxiv_snapshot").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            r = json.loads(line)
            names = [" ".join(reversed([x for x in a[:2] if x])) for a in r["authors_parsed"]]
            keep(r["id"], r["title"], r["abstract"], r["categories"].split(), names)
    return list(found.values())


class _Unigram:
    """Word frequencies of one group of texts, sampled with numpy."""

    def __init__(self, counts: Counter[str]) -> None:
        words, freq = zip(*counts.most_common(), strict=True)
        self.words = np.array(words, dtype=object)
        cumulative = np.cumsum(np.array(freq, dtype=np.float64))
        self.cumulative = cumulative / cumulative[-1]

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        picks = np.searchsorted(self.cumulative, rng.random(n), side="right")
        return self.words[np.minimum(picks, len(self.words) - 1)]


def _group(categories: tuple[str, ...], sizes: Counter[str]) -> str:
    primary = categories[0] if categories else "none"
    if sizes[primary] >= MIN_GROUP:
        return primary
    archive = primary.split(".")[0]
    return archive if sizes[archive] >= MIN_GROUP else "all"


class Model:
    """The trained model: shapes of real papers, word frequencies per field and group, authors."""

    def __init__(self, papers: list[RealPaper]) -> None:
        sizes: Counter[str] = Counter()
        for p in papers:
            primary = p.categories[0] if p.categories else "none"
            sizes[primary] += 1
            sizes[primary.split(".")[0]] += 1
        titles: dict[str, Counter[str]] = {"all": Counter()}
        abstracts: dict[str, Counter[str]] = {"all": Counter()}
        authors: Counter[str] = Counter()
        self.shapes: list[tuple[Shape, str]] = []
        for p in papers:
            group = _group(p.categories, sizes)
            t, a = _words(p.title), _words(p.abstract)
            for counts, words in ((titles, t), (abstracts, a)):
                counts["all"].update(words)
                if group != "all":
                    counts.setdefault(group, Counter()).update(words)
            authors.update(p.authors)
            shape = Shape(p.categories or ("cs.CL",), len(t), len(a), max(1, len(p.authors)))
            self.shapes.append((shape, group))
        self.titles = {g: _Unigram(c) for g, c in titles.items()}
        self.abstracts = {g: _Unigram(c) for g, c in abstracts.items()}
        self.authors = _Unigram(authors)
        self.vocabulary = len(abstracts["all"] | titles["all"])
        self.papers = len(papers)

    def _text(
        self, models: dict[str, _Unigram], group: str, n: int, rng: np.random.Generator
    ) -> str:
        topical = int(rng.binomial(n, TOPICAL)) if group != "all" else 0
        words = np.concatenate(
            [models[group].sample(rng, topical), models["all"].sample(rng, n - topical)]
        )
        rng.shuffle(words)
        return " ".join(words)

    def distractors(self, count: int, seed: int, start: int = 0) -> Iterator[dict[str, object]]:
        """``count`` distractor papers; the same seed gives the same papers."""
        rng = np.random.default_rng(seed)
        shapes = rng.integers(0, len(self.shapes), size=count)
        for n, index in enumerate(shapes):
            shape, group = self.shapes[int(index)]
            authors = self.authors.sample(rng, min(shape.authors, 30))
            yield {
                "_id": f"d{start + n + 1:07d}",
                "title": self._text(self.titles, group, max(2, shape.title_words), rng),
                "text": self._text(self.abstracts, group, max(20, shape.abstract_words), rng),
                "categories": list(shape.categories),
                "authors": [str(a) for a in dict.fromkeys(authors)],
            }


def read_beir(folder: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (folder / "corpus.jsonl").read_text().splitlines()]


def planted(
    model: Model, needles: list[dict[str, object]], distractors: int, seed: int
) -> Iterator[dict[str, object]]:
    """The distractors with the needles among them at seeded random positions."""
    rng = random.Random(seed)
    positions = sorted(rng.sample(range(distractors + len(needles)), len(needles)))
    order = list(range(len(needles)))
    rng.shuffle(order)
    at = dict(zip(positions, order, strict=True))
    made = model.distractors(distractors, seed)
    for slot in range(distractors + len(needles)):
        if slot in at:
            needle = dict(needles[at[slot]])
            needle.setdefault("categories", ["q-bio.QM"])
            needle.setdefault("authors", [])
            yield needle
        else:
            yield next(made)


def write(out: Path, beir: Path, papers: int, seed: int) -> dict[str, object]:
    started = time.perf_counter()
    model = Model(real_papers())
    needles = read_beir(beir)
    out.mkdir(parents=True, exist_ok=True)
    distractors = max(0, papers - len(needles))
    with (out / "corpus.jsonl").open("w") as fh:
        for doc in planted(model, needles, distractors, seed):
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    shutil.copy(beir / "queries.jsonl", out / "queries.jsonl")
    (out / "qrels").mkdir(exist_ok=True)
    shutil.copy(beir / "qrels" / "test.tsv", out / "qrels" / "test.tsv")
    info: dict[str, object] = {
        "papers": distractors + len(needles),
        "distractors": distractors,
        "needles": len(needles),
        "beir": str(beir),
        "seed": seed,
        "trained_on_papers": model.papers,
        "vocabulary": model.vocabulary,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (out / "corpus.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=100_000, help="needles included")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--beir", type=Path, default=DATA / "scifact")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--show", action="store_true", help="print distractors, write nothing")
    args = parser.parse_args()
    if args.show:
        model = Model(real_papers())
        for doc in model.distractors(args.papers, args.seed):
            print(json.dumps(doc, ensure_ascii=False)[:600])
        return
    if args.out is None:
        parser.error("--out is needed (or --show)")
    print(json.dumps(write(args.out, args.beir, args.papers, args.seed)))


if __name__ == "__main__":
    main()
