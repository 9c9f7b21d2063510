"""The on-disk store of paper embeddings and nearest-neighbour search over it.

One folder holds one model's vectors: ``meta.json`` names the model, the dimension and the current
generation, whose files are ``vectors-<gen>.npy`` (float16 rows, L2-normalised), ``ids-<gen>.json`` (the
paper id of each row), ``keys-<gen>.npy`` (each row's stable integer key) and, once built,
``hnsw-<gen>.usearch`` (the graph, float16 too). A flush writes a new generation under temporary names,
renames them into place and only then replaces ``meta.json``, so a crash at any point leaves the previous
generation readable.

Opening maps the rows and the graph from disk instead of reading them (``np.load(mmap_mode="r")``,
usearch's ``view``): a searching process holds only the pages its searches touch, and the page cache is
shared between processes. The first change copies them into memory (a mapped graph is read-only), so only
a store that changes pays for the whole collection in memory: the indexer's, or a serve process's
follower while it applies new vectors, until that sync ends. At 1,000,000 papers of 384 numbers the
rows take 768 MB and the graph 916 MB (on disk, and in such a store's memory). Once the graph
exists, ``get`` reads vectors from it too, so a searching process touches the rows file only for exact
searches; usearch reads much of the graph when mapping it and its searches touch the rest, so it ends
up resident (file-backed pages, shared with other processes and reclaimable): ``bench/search.py``
measured 1,278 MiB of RSS for a process with the web app, the model and a 1M-paper store after 300
searches.

Search is exact (one matrix product over the rows, upcast to float32) below ``hnsw_threshold`` rows and
goes through a usearch HNSW graph above it; the graph follows upserts and removals incrementally. Opening
a folder written for another model or dimension discards its contents (``invalidated`` says so, and the
caller re-embeds); a folder of format 1 (float32 rows) is converted in place, without re-embedding.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import tempfile
from collections.abc import Collection, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from paperwire.db.files import private_folder

FORMAT = 2
# Format 1 stored float32 rows (and the same float16 graph); it is converted on open.
CONVERTIBLE_FORMATS = {1}
ROW_DTYPE = np.float16
HNSW_THRESHOLD = 20_000
# HNSW parameters, measured at k = 100 (what search asks for) on 1M synthetic papers
# (bench/search.py, bench/README.md): connectivity 16 at expansion 1024 gave Recall@100 0.984 against
# exact at CPU p95 3.5 ms, and a serve-like process 1,278 MiB of RSS; 32 gave 0.989 at 4.6 ms but
# 1,402 MiB (a graph 14% larger), too close to the 1.5 GB bar. Expansion 512 gave only 0.960 with 16.
# A graph keeps the connectivity it was built with (usearch reads it from the file).
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 1024
# Below this share of the collection, a filtered search scores the allowed rows exactly instead.
FILTER_EXACT_SHARE = 0.05
# Rows upcast to float32 at a time by an exact search over a large store (24 MB of float32).
EXACT_CHUNK = 16_384


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
        # True when an older format was converted on open (no re-embedding needed).
        self.converted = False
        self.expansion_search = EXPANSION_SEARCH
        self._ids: list[str] = []
        self._row: dict[str, int] = {}
        # float16 rows: a read-only map of the generation's file after open, an array in memory (with
        # spare capacity) once changed.
        self._vectors: np.ndarray = np.zeros((0, dim), dtype=ROW_DTYPE)
        self._mapped = False
        # float32 copy of the rows for exact search below the HNSW threshold (dropped on change).
        self._exact_rows: np.ndarray | None = None
        self._keys = np.zeros(0, dtype=np.uint64)
        # Row of each key ever handed out, -1 once removed: maps HNSW hits back to rows.
        self._key_row = np.zeros(0, dtype=np.int64)
        self._count = 0
        self._next_key = 0
        self._generation = 0
        self._hnsw: Any = None
        self._hnsw_mapped = False
        self._dirty = False

    # --- opening and saving --------------------------------------------------------------------

    @classmethod
    def open(
        cls, folder: Path, dim: int, model_name: str, hnsw_threshold: int = HNSW_THRESHOLD
    ) -> VectorStore:
        """Map the store in ``folder`` (created if missing); a different model or dim empties it, a
        format-1 folder is converted to this format first."""
        store = cls(Path(folder), dim, model_name, hnsw_threshold)
        private_folder(store.folder)
        meta_file = store.folder / "meta.json"
        if not meta_file.exists():
            return store
        for attempt in range(3):
            meta = json.loads(meta_file.read_text())
            if (
                meta.get("format") not in {FORMAT, *CONVERTIBLE_FORMATS}
                or meta.get("model_name") != model_name
                or meta.get("dim") != dim
            ):
                store.invalidated = True
                store._generation = int(meta.get("generation", 0))
                store._dirty = True
                store.flush()
                return store
            try:
                if meta["format"] != FORMAT:
                    meta = store._convert(meta)
                    store.converted = True
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
        vectors = np.load(self.folder / f"vectors-{gen}.npy", mmap_mode="r")
        keys = np.load(self.folder / f"keys-{gen}.npy").astype(np.uint64)
        hnsw_file = self.folder / f"hnsw-{gen}.usearch"
        hnsw = None
        if meta.get("hnsw") and hnsw_file.exists():
            hnsw = self._new_index()
            hnsw.view(str(hnsw_file))
        if vectors.dtype != ROW_DTYPE or vectors.shape != (len(ids), self.dim):
            raise ValueError(f"{self.folder}: vectors-{gen}.npy is {vectors.dtype} {vectors.shape}")
        self._generation = gen
        self._next_key = int(meta["next_key"])
        self._ids = list(ids)
        self._row = {pid: i for i, pid in enumerate(self._ids)}
        self._vectors = vectors
        self._mapped = True
        self._exact_rows = None
        self._keys = keys
        self._count = len(self._ids)
        self._key_row = np.full(self._next_key, -1, dtype=np.int64)
        self._key_row[keys.astype(np.int64)] = np.arange(self._count)
        self._hnsw = hnsw
        self._hnsw_mapped = hnsw is not None

    def _convert(self, meta: dict[str, Any]) -> dict[str, Any]:
        """Write a format-1 generation (float32 rows) as a new generation of this format: the rows
        are halved to float16 chunk by chunk; ids, keys and the graph (already float16) are linked
        unchanged. Crash-safe like a flush: ``meta.json`` is replaced last."""
        old, gen = int(meta["generation"]), int(meta["generation"]) + 1
        rows = np.load(self.folder / f"vectors-{old}.npy", mmap_mode="r")
        self._replace(f"vectors-{gen}.npy", lambda tmp: _write_rows(tmp, rows))
        for name in ("ids-{}.json", "keys-{}.npy") + (
            ("hnsw-{}.usearch",) if meta.get("hnsw") else ()
        ):
            source = self.folder / name.format(old)
            self._replace(name.format(gen), lambda tmp, source=source: _link(source, tmp))
        meta = {**meta, "format": FORMAT, "generation": gen, "rows": "float16"}
        self._write("meta.json", lambda f: f.write(json.dumps(meta, indent=1).encode()))
        self._remove_old_generations(keep=gen)
        return meta

    def flush(self) -> None:
        """Write the current state as a new generation, crash-safely; a no-op when nothing changed."""
        if not self._dirty:
            return
        if self.uses_hnsw and self._hnsw is None:
            self.build_index()
        gen = self._generation + 1
        n = self._count
        self._write(f"ids-{gen}.json", lambda f: f.write(json.dumps(self._ids[:n]).encode()))
        self._replace(f"vectors-{gen}.npy", lambda tmp: _write_rows(tmp, self._vectors[:n]))
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
            "rows": "float16",
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
        def save(tmp: str) -> None:
            self._hnsw.save(tmp)
            _fsync(tmp)

        self._replace(name, save)

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
        # A process that mapped an older generation keeps reading it: unlinking a mapped file
        # frees its blocks only when the last map goes.
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
        self._reserve(self._count)
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
        """Room for ``size`` rows in writable memory: the first change copies the mapped rows and
        graph (both read-only) into memory."""
        self._exact_rows = None
        if self._hnsw_mapped:
            # A mapped usearch graph refuses additions and crashes on removals: change a copy.
            self._hnsw = self._hnsw.copy()
            self._hnsw_mapped = False
        if size <= len(self._vectors) and not self._mapped:
            return
        capacity = max(size, int(len(self._vectors) * 1.5), 1024)
        vectors = np.zeros((capacity, self.dim), dtype=ROW_DTYPE)
        vectors[: self._count] = self._vectors[: self._count]
        keys = np.zeros(capacity, dtype=np.uint64)
        keys[: self._count] = self._keys[: self._count]
        self._vectors, self._keys = vectors, keys
        self._mapped = False

    # --- reading -------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def ids(self) -> set[str]:
        return set(self._ids)

    def get(self, paper_id: str) -> np.ndarray | None:
        """The stored unit vector of ``paper_id`` as float32 (stored as float16: about 3 digits)."""
        row = self._row.get(paper_id)
        if row is None:
            return None
        if self._hnsw is not None:
            # The graph holds the same float16 vector, in pages its searches touch anyway: reading
            # it here leaves the rows file out of a searching process's memory.
            return np.asarray(self._hnsw.get(int(self._keys[row]), dtype=np.float32))
        return np.array(self._vectors[row], dtype=np.float32)

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

    def search_exact_many(self, queries: np.ndarray, k: int) -> list[list[tuple[str, float]]]:
        """``search_exact`` of each row of ``queries``, reading the rows once per 32 queries (the
        ground truth of a recall benchmark at a million rows in seconds instead of minutes)."""
        queries = _normalize(np.asarray(queries, dtype=np.float32).reshape(-1, self.dim))
        found: list[list[tuple[str, float]]] = []
        for first in range(0, len(queries), 32):
            group = queries[first : first + 32]
            scores = np.empty((len(group), self._count), dtype=np.float32)
            for start in range(0, self._count, EXACT_CHUNK):
                chunk = np.asarray(self._vectors[start : min(start + EXACT_CHUNK, self._count)])
                with _blas().limit(limits=1, user_api="blas"):
                    scores[:, start : start + len(chunk)] = group @ chunk.astype(np.float32).T
            for row in scores:
                best = _top(row, k)
                found.append([(self._ids[r], float(row[r])) for r in best])
        return found

    def _exact(self, query: np.ndarray, k: int, rows: np.ndarray | None) -> list[tuple[str, float]]:
        if rows is not None:
            scores = _similarities(np.asarray(self._vectors[rows], dtype=np.float32), query)
        elif not self.uses_hnsw:
            # Small enough to keep a float32 copy (at most hnsw_threshold rows: 30 MB at 20,000).
            if self._exact_rows is None:
                self._exact_rows = np.array(self._vectors[: self._count], dtype=np.float32)
            scores = _similarities(self._exact_rows, query)
        else:
            rows_f16 = self._vectors[: self._count]
            scores = np.concatenate(
                [
                    _similarities(
                        np.asarray(rows_f16[start : start + EXACT_CHUNK], np.float32), query
                    )
                    for start in range(0, self._count, EXACT_CHUNK)
                ]
            )
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
        self._hnsw_mapped = False
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


def _write_rows(path: str, rows: np.ndarray) -> None:
    """Save ``rows`` as a float16 ``.npy`` file chunk by chunk (no whole float32 copy) and sync it."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=ROW_DTYPE, shape=rows.shape)
    for start in range(0, len(rows), EXACT_CHUNK * 4):
        out[start : start + EXACT_CHUNK * 4] = rows[start : start + EXACT_CHUNK * 4]
    out.flush()
    del out
    _fsync(path)


def _link(source: Path, tmp: str) -> None:
    """Make ``tmp`` the same file as ``source``: a hard link, or a copy where links fail."""
    os.unlink(tmp)
    try:
        os.link(source, tmp)
    except OSError:
        shutil.copyfile(source, tmp)
        _fsync(tmp)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
