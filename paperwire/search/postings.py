"""Exact top-k BM25 over a snapshot of the keyword index's postings (MaxScore).

SQLite FTS5 scores every paper that matches any query word, some microseconds each: at a million
papers a query made of common words scores hundreds of thousands of them. This module keeps, next
to the FTS5 file, a snapshot of its postings read back from FTS5 itself (so the words are FTS5's
own tokens): per word the papers it occurs in, ascending, with the word's weighted frequency in
each (``FIELD_WEIGHTS`` applied per column), and every paper's length in tokens. Memory-mapped,
only the pages of the words a query asks for are read.

``Snapshot.top`` ranks with MaxScore, term at a time: the query's words in order of their largest
possible BM25 contribution; the rarest are scored in full, and once the words left could not lift
a paper that has none of the words scored so far above the k-th best score found, those papers are
out, and the rest are scored only for the few candidates whose bound still reaches that score.
Nothing that could be in the top k is dropped, so the top k is exactly exhaustive BM25's; the
scores are computed with FTS5's own formula and in its order (``fts5_aux.c``: k1 1.2, b 0.75, one
length over all columns, idf ``log((N - n + 0.5) / (n + 0.5))``, 1e-6 when not positive), so
they are the scores FTS5's ``bm25()`` gives, bit for bit, while the index has not changed since
the snapshot.

Layout of one generation, ``<index>.postings/<generation>/``: ``terms.json`` (the words, in the
order of their postings), ``starts.npy`` (where each word's postings begin; one more entry than
words), ``docs.bin`` (int32 row ids), ``freqs.bin`` (float32 weighted frequencies), ``peaks.npy``
(per word, its largest ``f / (f + norm)``), ``lengths.npy`` (tokens per row id) and
``meta.json`` (rows, tokens, highest row id). A new generation is written under a temporary
name and renamed; the index's state names the current one.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from paperwire.db.files import private_folder

K1 = 1.2
B = 0.75
# Scores of the bounds are compared with this slack: a bound computed in another order than the
# final score may differ from it in the last bits.
SLACK = 1e-9


@dataclass(frozen=True)
class Phrase:
    """One OR-ed unit of a query, scored the way FTS5 scores one phrase.

    ``token`` is the single FTS5 token of a word found in the snapshot; a phrase of several
    tokens has ``rows``/``scores`` precomputed by FTS5 instead (its contribution per paper)."""

    token: str | None = None
    rows: np.ndarray | None = None
    scores: np.ndarray | None = None


@dataclass(frozen=True)
class _Unit:
    """A phrase ready to score: its bound, its postings and either its contributions or what
    makes them (idf and weighted frequencies)."""

    bound: float
    rows: np.ndarray
    scores: np.ndarray | None = None
    idf: float = 0.0
    freqs: np.ndarray | None = None
    span: tuple[int, int] | None = None  # where the postings are in the snapshot's files


def _idf(rows: int, hits: int) -> float:
    idf = math.log((rows - hits + 0.5) / (hits + 0.5))
    return idf if idf > 0.0 else 1e-6


def _map(path: Path) -> mmap.mmap:
    with open(path, "rb") as file:
        return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)


def _find(rows: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``wanted`` would be in the ascending ``rows``, and whether it is there."""
    at = np.searchsorted(rows, wanted)
    inside = at < len(rows)
    hit = np.zeros(len(wanted), dtype=bool)
    hit[inside] = rows[at[inside]] == wanted[inside]
    return at, hit


def _read(path: Path, dtype: type[np.generic], lo: int, hi: int) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    return np.fromfile(path, dtype=dtype, count=hi - lo, offset=lo * size)


def max_rowid(folder: Path) -> int:
    """The highest row id a snapshot describes, without opening it."""
    return int(json.loads((folder / "meta.json").read_text())["max_rowid"])


class Snapshot:
    """One generation of postings, opened read-only (see the module docstring)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        meta = json.loads((folder / "meta.json").read_text())
        self.generation = str(meta["generation"])
        self.rows = int(meta["rows"])
        self.tokens = int(meta["tokens"])
        self.max_rowid = int(meta["max_rowid"])
        self.avgdl = float(self.tokens) / float(self.rows) if self.rows else 1.0
        words = json.loads((folder / "terms.json").read_text())
        self.terms = {word: i for i, word in enumerate(words)}
        self.starts = np.load(folder / "starts.npy")
        self.peaks = np.load(folder / "peaks.npy")
        lengths = np.load(folder / "lengths.npy").astype(np.float64)
        # FTS5's length normalisation, in its order of operations: k1 * (1 - b + b * D / avgdl).
        self.norms = K1 * ((1 - B) + ((B * lengths) / self.avgdl))
        size = int(self.starts[-1])
        self._maps = [_map(folder / "docs.bin"), _map(folder / "freqs.bin")] if size else []
        self.docs = np.frombuffer(self._maps[0], np.int32) if size else np.zeros(0, np.int32)
        self.freqs = np.frombuffer(self._maps[1], np.float32) if size else np.zeros(0, np.float32)

    def _release(self, units: Sequence[_Unit]) -> None:
        """Let go of the pages a query read (the page cache keeps them for the next one): else
        every word ever asked for stays in the process's RSS, hundreds of MB at 1M papers."""
        for unit in units:
            if unit.span is None:
                continue
            start, end = unit.span
            first = (start * 4) // mmap.PAGESIZE * mmap.PAGESIZE
            if end * 4 <= first:
                continue
            for mapped in self._maps:
                mapped.madvise(mmap.MADV_DONTNEED, first, end * 4 - first)

    def _postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = int(self.starts[term]), int(self.starts[term + 1])
        return self.docs[start:end], self.freqs[start:end]

    def _contributions(self, unit: _Unit, rows: np.ndarray, at: np.ndarray | None) -> np.ndarray:
        """``unit``'s contribution for ``rows``, found at ``at`` in its postings (None: all)."""
        if unit.scores is not None:
            return unit.scores if at is None else unit.scores[at]
        assert unit.freqs is not None
        # In double, as FTS5 (a float32 array times a float stays float32).
        freqs = (unit.freqs if at is None else unit.freqs[at]).astype(np.float64)
        return unit.idf * ((freqs * (K1 + 1.0)) / (freqs + self.norms[rows]))

    def top(
        self, phrases: Sequence[Phrase], k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k best (row id, BM25 score) for the OR of ``phrases``, best first (ties: lower row
        id first); ``allowed`` masks row ids (a bool array over ``0..max_rowid``)."""
        units = self._units(phrases)
        if not units or k <= 0:
            return []
        order = sorted(range(len(units)), key=lambda i: -units[i].bound)
        left = sum(u.bound for u in units)
        acc = np.zeros(self.max_rowid + 1, dtype=np.float64)
        seen = np.zeros(self.max_rowid + 1, dtype=bool)
        touched = np.empty(self.max_rowid + 1, dtype=np.int64)  # allowed rows scored so far
        count = 0
        threshold = 0.0
        rest = list(order)
        # Essential words, whole posting lists: until the words left could not lift a paper that
        # has none of the words scored so far to the k-th score found.
        while rest and left * (1 + SLACK) >= threshold:
            unit = units[rest.pop(0)]
            acc[unit.rows] += self._contributions(unit, unit.rows, None)
            new = unit.rows[~seen[unit.rows]]
            seen[new] = True
            if allowed is not None:
                new = new[allowed[new]]
            touched[count : count + len(new)] = new
            count += len(new)
            left -= unit.bound
            threshold = max(threshold, self._kth(acc[touched[:count]], k))
        candidates = touched[:count]
        # The other words only for the candidates whose bound still reaches the k-th score,
        # fewer after each word.
        for i in rest:
            candidates = candidates[(acc[candidates] + left) * (1 + SLACK) >= threshold]
            if not len(candidates):
                break
            unit = units[i]
            at, hit = _find(unit.rows, candidates)
            acc[candidates[hit]] += self._contributions(unit, candidates[hit], at[hit])
            left -= unit.bound
            threshold = max(threshold, self._kth(acc[candidates], k))
        candidates = candidates[(acc[candidates] + max(left, 0.0)) * (1 + SLACK) >= threshold]
        try:
            return self._exact(units, candidates, k)
        finally:
            self._release(units)

    @staticmethod
    def _kth(partial: np.ndarray, k: int) -> float:
        """A lower bound on the k-th best full score: the k-th best partial score."""
        if len(partial) < k:
            return 0.0
        return float(np.partition(partial, len(partial) - k)[len(partial) - k]) * (1 - SLACK)

    def _units(self, phrases: Sequence[Phrase]) -> list[_Unit]:
        units = []
        for phrase in phrases:
            if phrase.rows is not None and phrase.scores is not None:
                if len(phrase.rows):
                    bound = float(phrase.scores.max()) * (1 + SLACK)
                    units.append(_Unit(bound, phrase.rows, scores=phrase.scores))
                continue
            term = self.terms.get(phrase.token or "")
            if term is None:
                continue
            rows, freqs = self._postings(term)
            idf = _idf(self.rows, len(rows))
            span = (int(self.starts[term]), int(self.starts[term + 1]))
            units.append(
                _Unit(idf * float(self.peaks[term]), rows, idf=idf, freqs=freqs, span=span)
            )
        return units

    def scores(self, phrases: Sequence[Phrase], rows: np.ndarray) -> np.ndarray:
        """The BM25 score of each of ``rows`` (ascending) for the OR of ``phrases``; 0: no match."""
        units = self._units(phrases)
        try:
            return self._totals(units, rows)
        finally:
            self._release(units)

    def _totals(self, units: list[_Unit], rows: np.ndarray) -> np.ndarray:
        """Full scores of ascending ``rows``, summed in query order as FTS5 does."""
        total = np.zeros(len(rows), dtype=np.float64)
        for unit in units:
            if not len(rows):
                break
            at, hit = _find(unit.rows, rows)
            total[hit] += self._contributions(unit, rows[hit], at[hit])
        return total

    def _exact(self, units: list[_Unit], candidates: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Full scores of ``candidates``, and the best k."""
        candidates = np.sort(candidates)
        total = self._totals(units, candidates)
        best = np.lexsort((candidates, -total))[:k]
        return [(int(candidates[i]), float(total[i])) for i in best]


def build(
    conn: sqlite3.Connection, target: Path, generation: str, weights: Sequence[float]
) -> None:
    """Write the postings of the FTS5 table ``docs`` (read in one transaction) into ``target``."""
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab_row USING fts5vocab(main, docs, row)"
    )
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab_instance"
        " USING fts5vocab(main, docs, instance)"
    )
    columns = [row[1] for row in conn.execute("PRAGMA main.table_xinfo(docs)")][: len(weights)]
    weight_sql = " ".join(
        f"WHEN '{c}' THEN {float(w)!r}" for c, w in zip(columns, weights, strict=True)
    )
    per_term = (
        f"SELECT doc, sum(CASE col {weight_sql} ELSE 1.0 END), count(*)"
        " FROM temp.vocab_instance WHERE term = ? GROUP BY doc"
    )
    private_folder(target.parent)
    scratch = Path(tempfile.mkdtemp(prefix=f".{generation}-", dir=target.parent))
    try:
        conn.execute("BEGIN")
        try:
            rows = int(conn.execute("SELECT count(*) FROM meta").fetchone()[0])
            max_rowid = int(conn.execute("SELECT coalesce(max(rowid), 0) FROM meta").fetchone()[0])
            words = [w for (w,) in conn.execute("SELECT term FROM temp.vocab_row ORDER BY term")]
            lengths = np.zeros(max_rowid + 1, dtype=np.int64)
            starts = np.zeros(len(words) + 1, dtype=np.int64)
            with (
                open(scratch / "docs.bin", "wb") as docs_out,
                open(scratch / "freqs.bin", "wb") as freqs_out,
            ):
                offset = 0
                for i, word in enumerate(words):
                    found = conn.execute(per_term, (word,)).fetchall()
                    table = np.array(found, dtype=np.float64).reshape(-1, 3)
                    docs = table[:, 0].astype(np.int32)
                    docs.tofile(docs_out)
                    table[:, 1].astype(np.float32).tofile(freqs_out)
                    lengths[docs] += table[:, 2].astype(np.int64)  # a word lists a row once
                    offset += len(docs)
                    starts[i + 1] = offset
        finally:
            conn.execute("COMMIT")
        tokens = int(lengths.sum())
        np.save(scratch / "starts.npy", starts)
        np.save(scratch / "lengths.npy", lengths.astype(np.int32))
        (scratch / "terms.json").write_text(json.dumps(words))
        (scratch / "meta.json").write_text(
            json.dumps(
                {
                    "generation": generation,
                    "rows": rows,
                    "tokens": tokens,
                    "max_rowid": max_rowid,
                    "weights": list(weights),
                }
            )
        )
        _write_peaks(scratch, starts, lengths, rows, tokens)
        os.replace(scratch, target)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise


def _write_peaks(
    folder: Path, starts: np.ndarray, lengths: np.ndarray, rows: int, tokens: int
) -> None:
    """Per word, its largest ``f * (k1 + 1) / (f + norm)`` over its postings."""
    size = int(starts[-1])
    peaks = np.zeros(len(starts) - 1, dtype=np.float64)
    if size:
        avgdl = float(tokens) / float(rows)
        norms = K1 * ((1 - B) + ((B * lengths.astype(np.float64)) / avgdl))
        step = 1 << 22
        first = 0
        while first < len(peaks):
            # Whole words at a time, about ``step`` postings.
            last = int(np.searchsorted(starts, starts[first] + step, side="right")) - 1
            last = min(max(last, first + 1), len(peaks))
            lo, hi = int(starts[first]), int(starts[last])
            # Read, not memory-mapped: the pages of the whole file would stay in this process's RSS.
            f = _read(folder / "freqs.bin", np.float32, lo, hi).astype(np.float64)
            impact = (f * (K1 + 1.0)) / (f + norms[_read(folder / "docs.bin", np.int32, lo, hi)])
            bounds = starts[first:last] - lo
            nonempty = starts[first + 1 : last + 1] > starts[first:last]
            if hi > lo:
                peaks[first:last][nonempty] = np.maximum.reduceat(impact, bounds[nonempty])
            first = last
    np.save(folder / "peaks.npy", peaks * (1 + SLACK))
