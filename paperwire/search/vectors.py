"""The on-disk store of paper embeddings and nearest-neighbour search over it.

One folder holds one model's vectors: ``meta.json`` names the model, the dimension and the current
generation, whose files are ``vectors-<gen>.npy`` (float32 rows, L2-normalised), ``ids-<gen>.json`` (the
paper id of each row), ``keys-<gen>.npy`` (each row's stable integer key) and, once built,
``hnsw-<gen>.usearch``. A flush writes a new generation under temporary names, renames them into place and
only then replaces ``meta.json``, so a crash at any point leaves the previous generation readable.

Search is exact (one matrix product) below ``hnsw_threshold`` rows and goes through a usearch HNSW
graph above it; the graph follows upserts and removals incrementally. Opening a folder written for another
model or dimension discards its contents (``invalidated`` says so, and the caller re-embeds).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = 1
HNSW_THRESHOLD = 20_000
# HNSW parameters: at 1M synthetic papers (bench/search.py) expansion 1024 gave recall@10 0.989
# against exact at p95 12.7 ms; 256 gave only 0.924.
CONNECTIVITY = 32
EXPANSION_ADD = 128
EXPANSION_SEARCH = 1024
# Below this share of the collection, a filtered search scores the allowed rows exactly instead.
FILTER_EXACT_SHARE = 0.05


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


@functools.cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _similarities(matrix: np.ndarray, query: np.ndarray) -> np.ndarray:
    """``matrix @ query`` on one BLAS thread: a matrix-vector product gains nothing from more, and
    on a busy machine a descheduled BLAS worker stalls it for a whole time slice (5,183 rows at load
    average 14: p95 56 ms with OpenBLAS's two threads, 0.4 ms with one)."""
    with _blas().limit(limits=1, user_api="blas"):
        return matrix @ query


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores, best first."""
    if k >= len(scores):
        return np.argsort(-scores, kind="stable")
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.argsort(-scores[part], kind="stable")]


class VectorStore:
    """Paper id -> unit vector, persisted in a folder; see the module docstring for the layout."""

    def __init__(
        self, folder: Path, dim: int, model_name: str, hnsw_threshold: int = HNSW_THRESHOLD
    ) -> None:
        self.folder = folder
        self.dim = dim
        self.model_name = model_name
        self.hnsw_threshold = hnsw_threshold
        self.invalidated = False
        self.expansion_search = EXPANSION_SEARCH
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        self._vectors = np.zeros((0, dim), dtype=np.float32)
        self._keys = np.zeros(0, dtype=np.uint64)
        # Row of each key ever handed out, -1 once removed: maps HNSW hits back to rows.
        self._key_row = np.zeros(0, dtype=np.int64)
        self._count = 0
        self._next_key = 0
        self._generation = 0
        self._hnsw: Any = None
        self._dirty = False

    # --- opening and saving --------------------------------------------------------------------

    @classmethod
    def open(
        cls, folder: Path, dim: int, model_name: str, hnsw_threshold: int = HNSW_THRESHOLD
    ) -> VectorStore:
        """Load the store in ``folder`` (created if missing); a different model or dim empties it."""
        store = cls(Path(folder), dim, model_name, hnsw_threshold)
        store.folder.mkdir(parents=True, exist_ok=True)
        meta_file = store.folder / "meta.json"
        if not meta_file.exists():
            return store
        for attempt in range(3):
            meta = json.loads(meta_file.read_text())
            if (
                meta.get("format") != FORMAT
                or meta.get("model_name") != model_name
                or meta.get("dim") != dim
            ):
                store.invalidated = True
                store._generation = int(meta.get("generation", 0))
                store._dirty = True
                store.flush()
                return store
            try:
                store._load(meta)
                return store
            except FileNotFoundError:
                # Another process flushed a newer generation between our reads: read its meta again.
                if attempt == 2:
                    raise
        return store

    def _load(self, meta: dict[str, Any]) -> None:
        gen = int(meta["generation"])
        ids = json.loads((self.folder / f"ids-{gen}.json").read_text())
        vectors = np.load(self.folder / f"vectors-{gen}.npy")
        keys = np.load(self.folder / f"keys-{gen}.npy").astype(np.uint64)
        hnsw_file = self.folder / f"hnsw-{gen}.usearch"
        hnsw = None
        if meta.get("hnsw") and hnsw_file.exists():
            hnsw = self._new_index()
            hnsw.load(str(hnsw_file))
        self._generation = gen
        self._next_key = int(meta["next_key"])
        self._ids = list(ids)
        self._row = {pid: i for i, pid in enumerate(self._ids)}
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._keys = keys
        self._count = len(self._ids)
        self._key_row = np.full(self._next_key, -1, dtype=np.int64)
        self._key_row[keys.astype(np.int64)] = np.arange(self._count)
        self._hnsw = hnsw

    def flush(self) -> None:
        """Write the current state as a new generation, crash-safely; a no-op when nothing changed."""
        if not self._dirty:
            return
        if self.uses_hnsw and self._hnsw is None:
            self.build_index()
        gen = self._generation + 1
        n = self._count
        self._write(f"ids-{gen}.json", lambda f: f.write(json.dumps(self._ids[:n]).encode()))
        self._write(f"vectors-{gen}.npy", lambda f: np.save(f, self._vectors[:n]))
        self._write(f"keys-{gen}.npy", lambda f: np.save(f, self._keys[:n]))
        if self._hnsw is not None:
            self._write_index(f"hnsw-{gen}.usearch")
        meta = {
            "format": FORMAT,
            "model_name": self.model_name,
            "dim": self.dim,
            "generation": gen,
            "count": n,
            "next_key": self._next_key,
            "hnsw": self._hnsw is not None,
        }
        self._write("meta.json", lambda f: f.write(json.dumps(meta, indent=1).encode()))
        self._generation = gen
        self._dirty = False
        self._remove_old_generations(keep=gen)

    def _write(self, name: str, fill: Any) -> None:
        """Write a file under a temporary name, sync it, then rename it into place."""

        def into(tmp: str) -> None:
            with open(tmp, "wb") as fh:
                fill(fh)
                fh.flush()
                os.fsync(fh.fileno())

        self._replace(name, into)

    def _write_index(self, name: str) -> None:
        self._replace(name, lambda tmp: self._hnsw.save(tmp))

    def _replace(self, name: str, make: Any) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        try:
            make(tmp)
            os.replace(tmp, self.folder / name)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def _remove_old_generations(self, keep: int) -> None:
        for path in self.folder.iterdir():
            stem = path.name.split(".")[0]
            prefix, _, gen = stem.rpartition("-")
            if prefix in {"ids", "vectors", "keys", "hnsw"} and gen.isdigit() and int(gen) != keep:
                with contextlib.suppress(OSError):
                    path.unlink()

    # --- changes -------------------------------------------------------------------------------

    def upsert(self, ids: list[str], vectors: np.ndarray) -> None:
        """Add or replace the vectors of ``ids`` (rows are normalised here)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(ids), self.dim):
            raise ValueError(
                f"expected {len(ids)} vectors of {self.dim} numbers, got shape {vectors.shape}"
            )
        if not ids:
            return
        vectors = _normalize(vectors)
        # The last occurrence of a repeated id wins, as if the upserts ran one by one.
        latest = {pid: i for i, pid in enumerate(ids)}
        replaced = [pid for pid in latest if pid in self._row]
        self.remove(replaced)
        new_ids = list(latest)
        rows = vectors[list(latest.values())]
        self._reserve(self._count + len(new_ids))
        start, end = self._count, self._count + len(new_ids)
        keys = np.arange(self._next_key, self._next_key + len(new_ids), dtype=np.uint64)
        self._vectors[start:end] = rows
        self._keys[start:end] = keys
        for offset, pid in enumerate(new_ids):
            self._row[pid] = start + offset
        self._ids.extend(new_ids)
        self._count = end
        self._next_key += len(new_ids)
        self._key_row = np.concatenate([self._key_row, np.arange(start, end, dtype=np.int64)])
        if self._hnsw is not None:
            self._hnsw.add(keys, rows)
        self._dirty = True

    def remove(self, ids: Iterable[str]) -> None:
        """Forget the vectors of ``ids``; unknown ids are ignored."""
        gone = sorted((self._row[pid] for pid in set(ids) if pid in self._row), reverse=True)
        if not gone:
            return
        if self._hnsw is not None:
            self._hnsw.remove(self._keys[gone])
        # Fill each hole with the current last row, highest holes first so moved rows stay valid.
        for row in gone:
            last = self._count - 1
            del self._row[self._ids[row]]
            self._key_row[int(self._keys[row])] = -1
            if row != last:
                moved = self._ids[last]
                self._ids[row] = moved
                self._row[moved] = row
                self._vectors[row] = self._vectors[last]
                self._keys[row] = self._keys[last]
                self._key_row[int(self._keys[row])] = row
            self._ids.pop()
            self._count = last
        self._dirty = True

    def _reserve(self, size: int) -> None:
        if size <= len(self._vectors):
            return
        capacity = max(size, int(len(self._vectors) * 1.5), 1024)
        vectors = np.zeros((capacity, self.dim), dtype=np.float32)
        vectors[: self._count] = self._vectors[: self._count]
        keys = np.zeros(capacity, dtype=np.uint64)
        keys[: self._count] = self._keys[: self._count]
        self._vectors, self._keys = vectors, keys

    # --- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def ids(self) -> set[str]:
        return set(self._ids)

    def get(self, paper_id: str) -> np.ndarray | None:
        row = self._row.get(paper_id)
        return None if row is None else self._vectors[row].copy()

    @property
    def uses_hnsw(self) -> bool:
        return self._count >= self.hnsw_threshold

    def search(
        self, query: np.ndarray, k: int, allowed: Collection[str] | None = None
    ) -> list[tuple[str, float]]:
        """The ``k`` nearest papers by cosine similarity, best first, optionally only among ``allowed``."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if query.shape != (self.dim,):
            raise ValueError(f"expected a query of {self.dim} numbers, got {query.shape}")
        if k <= 0 or self._count == 0:
            return []
        query = _normalize(query[None, :])[0]
        if allowed is not None:
            rows = np.fromiter(
                (r for r in (self._row.get(pid) for pid in allowed) if r is not None),
                dtype=np.int64,
            )
            if len(rows) == 0:
                return []
            if not self.uses_hnsw or len(rows) < FILTER_EXACT_SHARE * self._count:
                return self._exact(query, k, rows)
            allowed_set = allowed if isinstance(allowed, set | frozenset) else set(allowed)
            found = self._approximate(query, int(k * 2 * self._count / len(rows)) + k)
            hits = [hit for hit in found if hit[0] in allowed_set][:k]
            if len(hits) == min(k, len(rows)):
                return hits
            return self._exact(query, k, rows)
        if not self.uses_hnsw:
            return self._exact(query, k, None)
        return self._approximate(query, k)[:k]

    def search_exact(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Brute-force search whatever the size (the reference for measuring HNSW recall)."""
        query = _normalize(np.asarray(query, dtype=np.float32).reshape(1, -1))[0]
        return self._exact(query, k, None)

    def _exact(self, query: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[str, float]]:
        matrix = self._vectors[: self._count] if rows is None else self._vectors[rows]
        scores = _similarities(matrix, query)
        best = _top(scores, k)
        picked = best if rows is None else rows[best]
        return [(self._ids[r], float(s)) for r, s in zip(picked, scores[best], strict=True)]

    def _approximate(self, query: np.ndarray, k: int) -> list[tuple[str, float]]:
        index = self._ensure_index()
        k = min(k, self._count)
        matches = index.search(query, k)
        rows = self._key_row[np.asarray(matches.keys, dtype=np.int64)]
        return [
            (self._ids[row], float(1.0 - distance))
            for row, distance in zip(rows, matches.distances, strict=True)
            if row >= 0
        ]

    # --- the HNSW graph ------------------------------------------------------------------------

    def _new_index(self) -> Any:
        from usearch.index import Index

        return Index(
            ndim=self.dim,
            metric="ip",
            dtype="f16",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=self.expansion_search,
        )

    def build_index(self, threads: int = 0) -> None:
        """(Re)build the HNSW graph over every row now rather than at the first large search."""
        index = self._new_index()
        if self._count:
            index.add(
                self._keys[: self._count], self._vectors[: self._count], threads=threads, log=False
            )
        self._hnsw = index
        self._dirty = True

    def set_search_effort(self, expansion: int) -> None:
        """How many graph candidates an HNSW search weighs (more: higher recall, slower)."""
        self.expansion_search = expansion
        if self._hnsw is not None:
            self._hnsw.expansion_search = expansion

    def _ensure_index(self) -> Any:
        if self._hnsw is None:
            self.build_index()
        return self._hnsw
