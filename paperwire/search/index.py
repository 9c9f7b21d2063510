"""Keep the derived search index under ``PAPERWIRE_HOME/index/`` in step with the database.

The database is the truth; the index is rebuilt from it at will. A sync compares each visible paper's
content hash with the one the index was built from, re-indexes only new and changed papers, drops
hidden and deleted ones, then embeds papers whose title and abstract have no embedding yet, in
batches that are committed as they go (a killed sync resumes where it stopped). Text that did not
change is never embedded again, and a cache (model name + text hash) can make even a rebuild cheap.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from sqlalchemy import Engine, false, select

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.errors import IndexWriteFailed
from paperwire.search.lexical import COMPACT_SHARE, IndexDoc, LexicalIndex

if TYPE_CHECKING:
    from paperwire.search.embedder import Embedder
    from paperwire.search.vectors import VectorStore

LEXICAL_FILE = "lexical.sqlite"
VECTORS_DIR = "vectors"
READ_BATCH = 1000
EMBED_BATCH = 256
# Vectors are flushed to disk (and papers marked embedded) after this many, so a kill loses little.
FLUSH_EVERY = 2048


class SyncProgress(Protocol):
    def start(self, label: str, total: int) -> None: ...
    def advance(self, n: int) -> None: ...


def index_dir(settings: Settings) -> Path:
    return settings.home / "index"


def text_hash(title: str, abstract: str) -> str:
    return hashlib.sha1(f"{title}\0{abstract}".encode()).hexdigest()


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    embedded_from_cache: int = 0
    pending_embeddings: int = 0
    model: str | None = None
    embed_error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        line = (
            f"index: {self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.embedded} embedded"
        )
        if self.embedded_from_cache:
            line += f" ({self.embedded_from_cache} from cache)"
        if self.model:
            line += f" with {self.model}"
        if self.embed_error:
            line += f"; embeddings skipped: {self.embed_error}"
        elif self.pending_embeddings:
            line += f"; {self.pending_embeddings} still to embed"
        return line


class EmbeddingCache:
    """Embeddings keyed by model name and text hash, in one SQLite file per model."""

    def __init__(self, folder: Path, model_name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in model_name)[-120:]
        self.conn = sqlite3.connect(folder / f"{slug}.sqlite", timeout=30, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS vectors (hash TEXT PRIMARY KEY, dim INTEGER, data BLOB)"
        )

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(hashes), 500):
            chunk = list(hashes[start : start + 500])
            rows = self.conn.execute(
                f"SELECT hash, data FROM vectors WHERE hash IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            out.update({h: np.frombuffer(data, dtype=np.float32) for h, data in rows})
        return out

    def put_many(self, hashes: Sequence[str], vectors: np.ndarray) -> None:
        rows = [
            (h, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for h, v in zip(hashes, vectors, strict=True)
        ]
        self.conn.execute("BEGIN")
        try:
            self.conn.executemany(
                "INSERT OR REPLACE INTO vectors(hash, dim, data) VALUES (?, ?, ?)", rows
            )
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.conn.close()


@contextmanager
def _sync_lock(folder: Path) -> Iterator[None]:
    # Two syncs at once (worker and CLI) would embed the same papers twice; the second one waits.
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_lexical(settings: Settings) -> LexicalIndex:
    return LexicalIndex(index_dir(settings) / LEXICAL_FILE)


def open_vectors(settings: Settings, embedder: Embedder) -> VectorStore:
    from paperwire.search.vectors import VectorStore

    return VectorStore.open(index_dir(settings) / VECTORS_DIR, embedder.dim, embedder.name)


def _docs(engine: Engine, ids: Sequence[str]) -> list[IndexDoc]:
    cols = (
        Paper.id,
        Paper.title,
        Paper.abstract,
        Paper.authors,
        Paper.categories,
        Paper.published_at,
        Paper.content_hash,
    )
    with engine.connect() as conn:
        rows = conn.execute(select(*cols).where(Paper.id.in_(list(ids)))).all()
    return [
        IndexDoc(
            paper_id=r.id,
            title=r.title or "",
            abstract=r.abstract or "",
            authors=[str(a) for a in (r.authors or [])],
            categories=[str(c) for c in (r.categories or [])],
            published=r.published_at.isoformat(sep=" ") if r.published_at else None,
            content_hash=r.content_hash,
            text_hash=text_hash(r.title or "", r.abstract or ""),
        )
        for r in rows
    ]


def sync(
    settings: Settings,
    engine: Engine,
    *,
    rebuild: bool = False,
    embed: bool = True,
    progress: SyncProgress | None = None,
    cache_dir: Path | None = None,
    embedder: Embedder | None = None,
    embed_limit: int | None = None,
) -> SyncReport:
    """Bring the index up to date with the database; ``rebuild`` starts from nothing. With
    ``embed_limit``, embeddings are computed only when no more papers than that wait for one."""
    import time

    folder = index_dir(settings)
    report = SyncReport()
    with _sync_lock(folder):
        try:
            if rebuild:
                _clear(folder)
            _remove_leftovers(folder)
            started = time.perf_counter()
            lexical = open_lexical(settings)
            try:
                _sync_lexical(engine, lexical, report, progress)
                report.seconds["lexical"] = time.perf_counter() - started
                if embed and (embed_limit is None or lexical.count_unembedded() <= embed_limit):
                    started = time.perf_counter()
                    _sync_vectors(settings, lexical, report, progress, cache_dir, embedder)
                    report.seconds["embed"] = time.perf_counter() - started
                else:
                    report.pending_embeddings = lexical.count_unembedded()
            finally:
                lexical.close()
        except (OSError, sqlite3.Error) as exc:
            if not _write_failure(exc):
                raise
            raise IndexWriteFailed(
                f"the search index in {folder} could not be written ({exc}); searches answer"
                " from the last complete sync; free some space and run paperwire index again"
            ) from exc
    return report


# SQLite result codes that mean the file system refused a write, not a bug of ours.
_WRITE_FAILURES = {
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_READONLY,
}


def _write_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is the disk refusing a write (full, read-only, I/O error)."""
    if isinstance(exc, OSError):
        return True
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _WRITE_FAILURES


def _remove_leftovers(folder: Path) -> None:
    """Delete the temporary files of a vector flush that was killed or ran out of space (the
    sync lock is held, so no flush is writing them now)."""
    vectors = folder / VECTORS_DIR
    if vectors.is_dir():
        for path in vectors.glob(".*.tmp"):
            path.unlink(missing_ok=True)


def _clear(folder: Path) -> None:
    """Empty the index. The lexical file is emptied in place, so that processes holding it open
    (web workers) see the rebuild; only a file SQLite cannot read is deleted."""
    lexical_file = folder / LEXICAL_FILE
    if lexical_file.exists():
        try:
            lexical = LexicalIndex(lexical_file)
            with lexical.transaction() as conn:
                lexical.clear(conn)
            lexical.close()
        except sqlite3.DatabaseError:
            for path in folder.glob(f"{LEXICAL_FILE}*"):
                path.unlink()
    for path in folder.iterdir():
        if path.name == ".lock" or path.name.startswith(LEXICAL_FILE):
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


# Embedding runs at a few dozen papers a second on two cores: an ingest embeds what it brought
# when that takes seconds, and leaves a bulk load to ``paperwire index`` or the worker (papers
# waiting for an embedding are still found by keyword).
EMBED_AFTER_INGEST = 500


def refresh(
    settings: Settings,
    engine: Engine,
    *,
    embed_limit: int | None = EMBED_AFTER_INGEST,
    progress: SyncProgress | None = None,
) -> SyncReport:
    """Bring the index up to date after an ingest or a submission: the keyword index always,
    the embeddings too unless more than ``embed_limit`` papers wait for one."""
    return sync(settings, engine, embed_limit=embed_limit, progress=progress)


def _sync_lexical(
    engine: Engine, lexical: LexicalIndex, report: SyncReport, progress: SyncProgress | None
) -> None:
    stored = lexical.content_hashes()
    with engine.connect() as conn:
        rows = conn.execute(select(Paper.id, Paper.content_hash).where(Paper.hidden == false()))
        current: dict[str, str] = {pid: content for pid, content in rows}
    removed = [pid for pid in stored if pid not in current]
    changed = [pid for pid, h in current.items() if stored.get(pid) != h]
    report.added = sum(1 for pid in changed if pid not in stored)
    report.updated = len(changed) - report.added
    report.unchanged = len(current) - len(changed)
    report.removed = len(removed)
    if progress and changed:
        progress.start("indexing", len(changed))
    for start in range(0, len(changed), READ_BATCH):
        docs = _docs(engine, changed[start : start + READ_BATCH])
        with lexical.transaction() as conn:
            lexical.upsert(conn, docs)
        if progress:
            progress.advance(len(docs))
    with lexical.transaction() as conn:
        if removed:
            lexical.remove(conn, removed)
        lexical.set_state("synced", "yes")
    touched = len(changed) + len(removed)
    if touched and touched >= COMPACT_SHARE * lexical.size():
        lexical.compact()


def _sync_vectors(
    settings: Settings,
    lexical: LexicalIndex,
    report: SyncReport,
    progress: SyncProgress | None,
    cache_dir: Path | None,
    embedder: Embedder | None,
) -> None:
    from paperwire.search.embedder import load_embedder, paper_text

    try:
        if embedder is None:
            embedder = load_embedder(settings)
        store = open_vectors(settings, embedder)
    except Exception as exc:  # a missing or broken model must not stop lexical search
        report.embed_error = f"{type(exc).__name__}: {exc}"
        report.pending_embeddings = lexical.count_unembedded()
        return
    report.model = embedder.name
    if store.invalidated or lexical.get_state("model") != embedder.name:
        with lexical.transaction() as conn:
            lexical.forget_embeddings(conn)
            lexical.set_state("model", embedder.name)
    known = set(lexical.content_hashes())
    stale = [pid for pid in store.ids() if pid not in known]
    if stale:
        store.remove(stale)
        _commit_embedded(store, lexical, [])
    cache = EmbeddingCache(cache_dir, embedder.name) if cache_dir else None
    total = lexical.count_unembedded()
    if progress and total:
        progress.start(f"embedding ({embedder.name})", total)
    unflushed: list[tuple[str, str]] = []
    after = 0
    try:
        while True:
            rows = lexical.unembedded(after, EMBED_BATCH)
            if not rows:
                break
            after = rows[-1][0]
            pending = [(pid, h) for _, pid, h in rows]
            vectors = _vectors_for(pending, lexical, embedder, paper_text, cache, report)
            store.upsert([pid for pid, _ in pending], vectors)
            unflushed.extend(pending)
            report.embedded += len(pending)
            if progress:
                progress.advance(len(pending))
            # A flush rewrites the whole store, so on a large one it waits for more new rows.
            if len(unflushed) >= max(FLUSH_EVERY, len(store) // 10):
                _commit_embedded(store, lexical, unflushed)
                unflushed = []
        _commit_embedded(store, lexical, unflushed)
    finally:
        if cache:
            cache.close()
    report.pending_embeddings = lexical.count_unembedded()


def _commit_embedded(
    store: VectorStore, lexical: LexicalIndex, pairs: Sequence[tuple[str, str]]
) -> None:
    store.flush()
    with lexical.transaction() as conn:
        lexical.mark_embedded(conn, pairs)
        # Searchers in other processes reopen the vectors when this changes.
        lexical.set_state("vectors_version", uuid.uuid4().hex)


def _vectors_for(
    pending: Sequence[tuple[str, str]],
    lexical: LexicalIndex,
    embedder: Embedder,
    paper_text: Any,
    cache: EmbeddingCache | None,
    report: SyncReport,
) -> np.ndarray:
    texts = lexical.texts([pid for pid, _ in pending])
    hashes = [h for _, h in pending]
    found = cache.get_many(hashes) if cache else {}
    missing = [i for i, h in enumerate(hashes) if h not in found]
    out = np.zeros((len(pending), embedder.dim), dtype=np.float32)
    if missing:
        batch = [paper_text(*texts[pending[i][0]]) for i in missing]
        encoded = np.asarray(embedder.encode(batch), dtype=np.float32)
        out[missing] = encoded
        if cache:
            cache.put_many([hashes[i] for i in missing], encoded)
    for i, h in enumerate(hashes):
        if h in found:
            out[i] = found[h]
            report.embedded_from_cache += 1
    return out
