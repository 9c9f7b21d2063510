"""Keep the derived search index under ``PAPERWIRE_HOME/index/`` in step with the database.

The database is the truth and each node's index a cache of it, rebuilt at will. The index records
the database it was built from (``database_id``) and how far it followed the database's change log
(``papers/changes.py``): a sync reads the papers changed since, re-indexes those whose content
changed, drops hidden and deleted ones, and takes their vectors from the embeddings stored in the
database (``search/embeddings.py``), never running the model for them. A first sync, one pointed at
another database (it says so in the log and starts again), or one too far behind the log compares
every visible paper's content hash instead. With ``embed`` the sync then computes the embeddings
the database lacks (``embed_limit`` at most), as the worker's ``embed`` job does, committed batch by
batch so that a killed backfill resumes where it stopped, and loads their vectors as it goes.
"""

from __future__ import annotations

import fcntl
import logging
import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
from sqlalchemy import Engine, false, select

from paperwire.config import Settings
from paperwire.db.files import private_folder
from paperwire.db.models import Paper
from paperwire.errors import IndexWriteFailed
from paperwire.papers import changes
from paperwire.search import embeddings
from paperwire.search.embeddings import EmbeddingCache, text_hash
from paperwire.search.lexical import COMPACT_SHARE, IndexDoc, LexicalIndex

if TYPE_CHECKING:
    from paperwire.search.embedder import Embedder
    from paperwire.search.vectors import VectorStore

LEXICAL_FILE = "lexical.sqlite"
VECTORS_DIR = "vectors"
READ_BATCH = 1000
# Vectors are flushed to disk (and papers marked embedded) after this many, so a kill loses little.
FLUSH_EVERY = 2048
# Index state keys: the database the index was built from, and how far it followed its change log.
DATABASE_STATE = "database"
# Held while embeddings are computed, apart from the index's own lock (see ``sync``).
EMBED_LOCK = ".embed.lock"
CURSOR_STATE = "changes_cursor"

__all__ = ["EmbeddingCache", "text_hash"]
log = logging.getLogger(__name__)


class SyncProgress(Protocol):
    def start(self, label: str, total: int) -> None: ...
    def advance(self, n: int) -> None: ...


def index_dir(settings: Settings) -> Path:
    return settings.home / "index"


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    embedded_from_cache: int = 0
    # Vectors taken from the database's stored embeddings.
    loaded: int = 0
    pending_embeddings: int = 0
    model: str | None = None
    embed_error: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        line = (
            f"index: {self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.embedded} embedded"
        )
        seconds = self.seconds.get("embed", 0.0)
        if self.embedded and seconds > 0:
            line += f" in {duration(seconds)} ({self.embedded / seconds:.1f} a second)"
        if self.loaded:
            line += f", {self.loaded} vectors from the database"
        if self.embedded_from_cache:
            line += f" ({self.embedded_from_cache} from cache)"
        if self.model:
            line += f" with {self.model}"
        if self.embed_error:
            line += f"; embeddings skipped: {self.embed_error}"
        elif self.pending_embeddings:
            line += f"; {self.pending_embeddings} still to embed"
        return line


def duration(seconds: float) -> str:
    """``2 h 05 min``, ``4 min 09 s`` or ``12.3 s``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


@contextmanager
def _sync_lock(folder: Path, name: str = ".lock") -> Iterator[None]:
    # Two syncs writing the index at once would lose each other's vectors, and two embedding at
    # once (worker and CLI, ``EMBED_LOCK``) would embed the same papers twice: the second waits.
    private_folder(folder)
    with open(folder / name, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def open_lexical(settings: Settings) -> LexicalIndex:
    return LexicalIndex(index_dir(settings) / LEXICAL_FILE)


def open_vectors(settings: Settings, embedder: Embedder) -> VectorStore:
    return open_vectors_for(settings, embedder.name, embedder.dim)


def open_vectors_for(settings: Settings, model: str, dim: int) -> VectorStore:
    from paperwire.search.vectors import VectorStore

    return VectorStore.open(index_dir(settings) / VECTORS_DIR, dim, model)


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
    batch: int = embeddings.BATCH,
) -> SyncReport:
    """Bring the index up to date with the database; ``rebuild`` starts from nothing. With
    ``embed``, embeddings the database lacks are computed first (only when no more papers than
    ``embed_limit`` wait for one), ``batch`` papers committed at a time; vectors always come
    from the database.

    The keyword index is brought up to date first, so every paper is found by keyword while the
    embeddings are computed. Embedding holds only its own lock, not the index's: other syncs
    (a serving node's follower, an ingest's refresh) keep the keyword index current meanwhile,
    and the vectors of each stretch of committed embeddings join the index as it goes (see
    ``_Loader``), so semantic search covers more of a long backfill as it runs."""
    folder = index_dir(settings)
    report = SyncReport()
    try:
        with _sync_lock(folder):
            changed = _sync_keywords(settings, engine, folder, report, progress, rebuild)
        if embed:
            started = time.perf_counter()
            loader = _Loader(settings, engine, folder, batch)
            embedder = _embed_missing(
                settings, engine, report, progress, cache_dir, embedder, embed_limit, batch, loader
            )
            report.seconds["embed"] = time.perf_counter() - started
        with _sync_lock(folder):
            started = time.perf_counter()
            lexical = open_lexical(settings)
            try:
                if not report.embed_error:
                    # Papers embedded just now are past the change log's cursor: look at all.
                    looked_at = None if report.embedded else changed
                    _load_vectors(settings, engine, lexical, report, embedder, looked_at)
                    report.seconds["vectors"] = time.perf_counter() - started
                if not report.pending_embeddings:
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


def _sync_keywords(
    settings: Settings,
    engine: Engine,
    folder: Path,
    report: SyncReport,
    progress: SyncProgress | None,
    rebuild: bool,
) -> list[str] | None:
    """The keyword part of ``sync`` (under the index lock): returns the papers looked at."""
    database = changes.database_id(engine)
    lexical = open_lexical(settings)
    try:
        built_from = lexical.get_state(DATABASE_STATE)
        if built_from is not None and built_from != database:
            log.warning(
                "the search index in %s was built from another database (%s, this is %s):"
                " rebuilding it",
                folder,
                built_from,
                database,
            )
            rebuild = True
    finally:
        lexical.close()
    if rebuild:
        _clear(folder)
    _remove_leftovers(folder)
    started = time.perf_counter()
    lexical = open_lexical(settings)
    try:
        changed = _sync_lexical(engine, lexical, report, progress)
        lexical.set_state(DATABASE_STATE, database)
    finally:
        lexical.close()
    report.seconds["lexical"] = time.perf_counter() - started
    return changed


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


# Where this process's readers saw gaps in the change log, per index folder.
_gaps: dict[Path, changes.GapClock] = {}
_gaps_lock = threading.Lock()


def _gap_clock(lexical: LexicalIndex) -> changes.GapClock:
    with _gaps_lock:
        return _gaps.setdefault(lexical.path, changes.GapClock({}))


def _sync_lexical(
    engine: Engine, lexical: LexicalIndex, report: SyncReport, progress: SyncProgress | None
) -> list[str] | None:
    """Apply the database's changes to the lexical index; returns the papers looked at (None: a
    full comparison looked at all of them)."""
    cursor_text = lexical.get_state(CURSOR_STATE)
    with engine.connect() as conn:
        first = changes.first_seq(conn)
        full = cursor_text is None or (first is not None and int(cursor_text) < first - 1)
        if full:
            # Read before the comparison: changes made during it are applied again next time.
            cursor = changes.latest_seq(conn)
            rows = conn.execute(select(Paper.id, Paper.content_hash).where(Paper.hidden == false()))
            current: dict[str, str] = {pid: content for pid, content in rows}
            stored = lexical.content_hashes()
            looked_at = None
            removed = [pid for pid in stored if pid not in current]
        else:
            found = changes.changes_since(conn, int(cursor_text or 0), _gap_clock(lexical))
            cursor = found.cursor
            looked_at = found.paper_ids
            current = {}
            for start in range(0, len(looked_at), READ_BATCH):
                rows = conn.execute(
                    select(Paper.id, Paper.content_hash).where(
                        Paper.id.in_(looked_at[start : start + READ_BATCH]),
                        Paper.hidden == false(),
                    )
                )
                current.update({pid: content for pid, content in rows})
            stored = lexical.content_hashes_for(looked_at)
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
        lexical.set_state(CURSOR_STATE, str(cursor))
    touched = len(changed) + len(removed)
    if touched and touched >= COMPACT_SHARE * lexical.size():
        lexical.compact()
    elif lexical.needs_postings():
        lexical.refresh_postings()
    return looked_at


def _embed_missing(
    settings: Settings,
    engine: Engine,
    report: SyncReport,
    progress: SyncProgress | None,
    cache_dir: Path | None,
    embedder: Embedder | None,
    embed_limit: int | None,
    batch: int,
    loader: _Loader,
) -> Embedder | None:
    """Compute the embeddings the database lacks (see ``sync``); returns the embedder used."""
    from paperwire.search.embedder import load_embedder

    try:
        if embedder is None:
            embedder = load_embedder(settings)
    except Exception as exc:  # a missing or broken model must not stop lexical search
        report.embed_error = f"{type(exc).__name__}: {exc}"
        return None
    report.model = embedder.name
    if embed_limit is not None and embeddings.count_pending(engine, embedder.name) > embed_limit:
        # Left to the worker or paperwire index, without waiting for one that is at it.
        return embedder
    label = "embedding"
    state = {"started": False, "done": 0}

    def advance(done: int, total: int) -> None:
        if progress is None:
            return
        if not state["started"]:
            progress.start(label, total)
            state["started"] = True
        progress.advance(done - state["done"])
        state["done"] = done

    loader.embedder = embedder
    with _sync_lock(index_dir(settings), EMBED_LOCK):
        cache = EmbeddingCache(cache_dir, embedder.name) if cache_dir else None
        try:
            result = embeddings.embed_pending(
                engine,
                embedder,
                limit=embed_limit,
                progress=advance,
                cache=cache,
                batch=batch,
                committed=loader.committed,
            )
        finally:
            if cache:
                cache.close()
    if loader.waiting:
        loader.load()
    report.embedded = result.embedded
    report.embedded_from_cache = result.from_cache
    return embedder


class _Loader:
    """Moves the vectors of papers just embedded into the index while a long embedding runs, under
    the index lock, each time the papers committed since the last move reach a tenth of the
    store (at least one batch): a flush rewrites the whole store, so a backfill writes it a
    bounded number of times over, and semantic search covers the backlog as it goes."""

    def __init__(self, settings: Settings, engine: Engine, folder: Path, batch: int) -> None:
        self.settings, self.engine, self.folder, self.batch = settings, engine, folder, batch
        self.embedder: Embedder | None = None
        self.waiting: list[str] = []
        self.stored = 0

    def committed(self, paper_ids: list[str]) -> None:
        self.waiting.extend(paper_ids)
        if len(self.waiting) >= max(self.batch, self.stored // 10):
            self.load()

    def load(self) -> None:
        ids, self.waiting = self.waiting, []
        scratch = SyncReport()
        with _sync_lock(self.folder):
            lexical = open_lexical(self.settings)
            try:
                self.stored = _load_vectors(
                    self.settings, self.engine, lexical, scratch, self.embedder, ids
                )
            finally:
                lexical.close()
        if scratch.embed_error:
            log.warning("vectors not loaded during embedding: %s", scratch.embed_error)


def _identity(settings: Settings, embedder: Embedder | None) -> tuple[str, int]:
    """The model name and dimension whose stored vectors this node's index holds."""
    if embedder is not None:
        return embedder.name, embedder.dim
    from paperwire.search.embedder import load_embedder, model_identity

    known = model_identity(settings)
    if known is not None:
        return known
    loaded = load_embedder(settings)
    return loaded.name, loaded.dim


def _load_vectors(
    settings: Settings,
    engine: Engine,
    lexical: LexicalIndex,
    report: SyncReport,
    embedder: Embedder | None,
    looked_at: list[str] | None,
) -> int:
    """Copy the stored vectors of papers the index holds without one (among ``looked_at`` when
    given) from the database into the vector store; returns the store's size."""
    try:
        model, dim = _identity(settings, embedder)
        store = open_vectors_for(settings, model, dim)
    except Exception as exc:  # a missing or broken model must not stop lexical search
        report.embed_error = f"{type(exc).__name__}: {exc}"
        report.pending_embeddings = lexical.count_unembedded()
        return 0
    report.model = model
    if store.invalidated or lexical.get_state("model") != model:
        with lexical.transaction() as conn:
            lexical.forget_embeddings(conn)
            lexical.set_state("model", model)
        looked_at = None
    if looked_at is None:
        known = set(lexical.content_hashes())
        stale = [pid for pid in store.ids() if pid not in known]
    else:
        present = lexical.content_hashes_for(looked_at)
        stale = [pid for pid in looked_at if pid not in present and store.get(pid) is not None]
    if stale:
        store.remove(stale)
        _commit_embedded(store, lexical, [])
    if looked_at is None:
        batches: Iterator[list[tuple[int, str, str]]] = _unembedded_batches(lexical)
    else:
        batches = (
            lexical.unembedded_among(looked_at[start : start + READ_BATCH])
            for start in range(0, len(looked_at), READ_BATCH)
        )
    unflushed: list[tuple[str, str]] = []
    for rows in batches:
        wanted = {pid: hashed for _, pid, hashed in rows}
        with engine.connect() as conn:
            found = embeddings.stored_for(conn, wanted, model, dim)
        if found:
            ids = list(found)
            store.upsert(ids, np.stack([found[pid] for pid in ids]))
            unflushed.extend((pid, wanted[pid]) for pid in ids)
            report.loaded += len(ids)
        if len(unflushed) >= max(FLUSH_EVERY, len(store) // 10):
            _commit_embedded(store, lexical, unflushed)
            unflushed = []
    if unflushed:
        _commit_embedded(store, lexical, unflushed)
    report.pending_embeddings = lexical.count_unembedded()
    return len(store)


def _unembedded_batches(lexical: LexicalIndex) -> Iterator[list[tuple[int, str, str]]]:
    after = 0
    while rows := lexical.unembedded(after, READ_BATCH):
        yield rows
        after = rows[-1][0]


def _commit_embedded(
    store: VectorStore, lexical: LexicalIndex, pairs: Sequence[tuple[str, str]]
) -> None:
    store.flush()
    with lexical.transaction() as conn:
        lexical.mark_embedded(conn, pairs)
        # Searchers in other processes reopen the vectors when this changes.
        lexical.set_state("vectors_version", uuid.uuid4().hex)
