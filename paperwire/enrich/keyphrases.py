"""Keyphrases the KeyBERT way, with the shipped embedding model: candidate phrases are the runs of
words between stop words and punctuation in the title and abstract (up to three words), ranked by
their similarity to the whole paper with Maximal Marginal Relevance, so that near-repeats of one
idea give way to other ideas.

``frequent_phrases`` ranks the same candidates by how often they occur: the baseline
``bench/keyphrases.py`` measures the ranking against.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from paperwire.search import query

MAX_WORDS = 3
TOP = 8
DIVERSITY = 0.5
# Candidates embedded per paper at most (the most frequent first), which bounds the work.
MAX_CANDIDATES = 80

_TEX = re.compile(r"\$[^$]*\$")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*|\d+(?:\.\d+)?|[^\sA-Za-z0-9]")
# Search's English stop list, and words of abstracts that never make a keyphrase on their own.
_ABSTRACT_WORDS = """almost also although always among another cannot due either else enough
especially etc even ever every least less like made make makes making many may might much must
namely near nearly neither often onto otherwise per rather several since thereby therefore though
throughout thus toward towards upon via whereas whether whatever yet paper work study approach
method methods propose proposed proposes present presents presented introduce introduces
introduced show shows shown demonstrate demonstrates demonstrated achieve achieves achieved
achieving use uses used using based enable enables enabling improve improves improved improving
provide provides provided new novel first existing various different significant significantly
extensive experiments results result state art current recent recently address addresses
addressing allow allows leverage leverages leveraging remain remains key further including
include includes given able highly two three specific effective effectively efficient efficiently
strong stronger better best outperforms outperform consistently substantially crucial critical
challenging challenge challenges"""
STOP_WORDS = query.STOP_WORDS | frozenset(_ABSTRACT_WORDS.split())


def _clean(text: str) -> str:
    return _TEX.sub(" , ", text or "")


def _runs(text: str) -> list[list[str]]:
    """Runs of content words: stop words, punctuation and numbers end a run."""
    runs: list[list[str]] = []
    current: list[str] = []
    for token in _TOKEN.findall(_clean(text)):
        word = token.lower()
        if not token[0].isalpha() or word in STOP_WORDS or len(word) < 2:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(token)
    if current:
        runs.append(current)
    return runs


def _surface(words: Sequence[str]) -> str:
    """A phrase as written, with capitals of title case taken off (acronyms and names written
    with inner capitals, ``PEFT``, ``DeepSeek``, keep theirs)."""
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w for w in words)


def _phrase_like(words: Sequence[str]) -> bool:
    """Whether a run of words can be a noun phrase, told without a tagger: it does not start with
    an adverb or a participle (``producing``, ``adversarially``) nor end with an adverb or a past
    participle (``filtered``)."""
    first, last = words[0].lower(), words[-1].lower()
    if "-" not in first and first.endswith(("ing", "ly", "ed")) and len(words) > 1:
        return False
    return not (last.endswith(("ly", "ed")) and "-" not in last)


def candidates(title: str, abstract: str) -> Counter[str]:
    """Candidate phrases of one to three words with their number of occurrences (keyed by the
    first way each was written)."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for run in _runs(f"{title}. {abstract}"):
        for size in range(1, MAX_WORDS + 1):
            for start in range(len(run) - size + 1):
                words = run[start : start + size]
                if not _phrase_like(words):
                    continue
                key = " ".join(w.lower() for w in words)
                shown.setdefault(key, _surface(words))
                counts[shown[key]] += 1
    return counts


def frequent_phrases(title: str, abstract: str, top: int = TOP) -> list[str]:
    """The baseline: the most frequent candidate phrases, longer first among equals."""
    counts = candidates(title, abstract)
    ranked = sorted(counts, key=lambda p: (-counts[p], -len(p.split()), p))
    return ranked[:top]


def mmr(
    doc: np.ndarray, phrases: np.ndarray, top: int = TOP, diversity: float = DIVERSITY
) -> list[int]:
    """Indices of ``top`` rows of ``phrases`` chosen by Maximal Marginal Relevance (unit vectors):
    each next pick maximises (1 - diversity) * similarity to ``doc`` - diversity * its greatest
    similarity to a phrase already picked."""
    if len(phrases) == 0:
        return []
    relevance = phrases @ doc
    between = phrases @ phrases.T
    chosen = [int(np.argmax(relevance))]
    while len(chosen) < min(top, len(phrases)):
        redundancy = between[:, chosen].max(axis=1)
        score = (1 - diversity) * relevance - diversity * redundancy
        score[chosen] = -np.inf
        chosen.append(int(np.argmax(score)))
    return chosen


def pool(title: str, abstract: str) -> list[str]:
    """The candidates worth embedding: the most frequent ``MAX_CANDIDATES``."""
    counts = candidates(title, abstract)
    ranked = sorted(counts, key=lambda p: (-counts[p], -len(p.split()), p))
    return ranked[:MAX_CANDIDATES]


def keyphrases(
    doc: np.ndarray, phrases: list[str], vectors: np.ndarray, top: int = TOP
) -> list[str]:
    """The ``top`` keyphrases among ``phrases`` (embedded as ``vectors``) for a paper embedded
    as ``doc``; a phrase contained in one already chosen is skipped."""
    picked: list[str] = []
    for i in mmr(doc, vectors, top=top * 2):
        phrase = phrases[i]
        low = phrase.lower()
        if any(low in p.lower().split(" ") or f" {low} " in f" {p.lower()} " for p in picked):
            continue
        picked.append(phrase)
        if len(picked) == top:
            break
    return picked
