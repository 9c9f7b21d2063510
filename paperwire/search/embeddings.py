"""Paper embeddings stored in the database (``paper_embeddings``): computed once, read by every node.

The process holding the work (the worker's ``embed`` job under its lease, or an ingest that
brought a few papers) runs the model on visible papers whose title or abstract has no stored
vector yet, and commits the vectors in batches (a killed run resumes where it stopped). Every
node's search index then takes the vectors from here (``search/index.py``) instead of running the
model itself. ``vectors_for`` is the one way other code reads a paper's embedding.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
from sqlalchemy import Connection, Engine, Select, and_, false, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from paperwire.db.files import private_folder
from paperwire.db.models import InstanceSetting, Paper, PaperEmbedding
from paperwire.papers.changes import get_setting, put_setting
from paperwire.papers.records import now_utc
from paperwire.search.embedder import Embedder, paper_text

BATCH = 256
READ_BATCH = 2000
DTYPE = np.dtype("<f4")
# The instance setting naming the model build whose vectors are current.
MODEL_SETTING = "embedding_model"


def text_hash(title: str, abstract: str) -> str:
    """What an embedding is computed from: a changed hash means a new vector is due."""
    return hashlib.sha1(f"{title}\0{abstract}".encode()).hexdigest()


def to_bytes(vector: np.ndarray) -> bytes:
    return np.ascontiguousarray(vector, dtype=DTYPE).tobytes()


def from_bytes(data: bytes, dim: int) -> np.ndarray:
    vector = np.frombuffer(data, dtype=DTYPE)
    if vector.shape != (dim,):
        raise ValueError(f"a stored embedding holds {vector.shape[0]} numbers, not {dim}")
    return vector


class EmbeddingCache:
    """Embeddings keyed by model name and text hash, in one SQLite file per model."""

    def __init__(self, folder: Path, model_name: str) -> None:
        private_folder(folder)
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


def current_model(engine: Engine) -> str | None:
    """The model build the embeddings were last computed with (None before any)."""
    return get_setting(engine, MODEL_SETTING)


def vectors_for(
    session: Session, paper_ids: Sequence[str], model: str | None = None
) -> dict[str, np.ndarray]:
    """The stored embeddings (float32, unit length) of those of ``paper_ids`` that have one, by
    ``model`` (default: the current one). Papers without one yet are missing from the answer."""
    if model is None:
        model = session.execute(select_model()).scalar_one_or_none()
        if model is None:
            return {}
    out: dict[str, np.ndarray] = {}
    ids = list(dict.fromkeys(paper_ids))
    for start in range(0, len(ids), READ_BATCH):
        rows = session.execute(
            select(PaperEmbedding.paper_id, PaperEmbedding.dim, PaperEmbedding.vector).where(
                PaperEmbedding.model == model,
                PaperEmbedding.paper_id.in_(ids[start : start + READ_BATCH]),
            )
        )
        out.update({pid: from_bytes(data, dim) for pid, dim, data in rows})
    return out


def select_model() -> Select[Any]:
    """The statement reading the current model's name."""
    return select(InstanceSetting.value).where(InstanceSetting.key == MODEL_SETTING)


def stored_for(
    conn: Connection, wanted: dict[str, str], model: str, dim: int
) -> dict[str, np.ndarray]:
    """Stored vectors of the papers in ``wanted`` (paper id -> text hash) whose vector was computed
    from that very text."""
    out: dict[str, np.ndarray] = {}
    ids = list(wanted)
    for start in range(0, len(ids), READ_BATCH):
        rows = conn.execute(
            select(PaperEmbedding.paper_id, PaperEmbedding.text_hash, PaperEmbedding.vector).where(
                PaperEmbedding.model == model,
                PaperEmbedding.dim == dim,
                PaperEmbedding.paper_id.in_(ids[start : start + READ_BATCH]),
            )
        )
        for pid, hashed, data in rows:
            if wanted[pid] == hashed:
                out[pid] = from_bytes(data, dim)
    return out


def _stale(model: str) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The join of visible papers to their stored embedding, and the condition of needing a look."""
    join = and_(PaperEmbedding.paper_id == Paper.id, PaperEmbedding.model == model)
    condition = and_(
        Paper.hidden == false(),
        or_(PaperEmbedding.paper_id.is_(None), PaperEmbedding.content_hash != Paper.content_hash),
    )
    return join, condition


def count_pending(engine: Engine, model: str | None = None) -> int:
    """Visible papers whose stored embedding is missing or may be out of date (the backlog)."""
    model = model or current_model(engine)
    with engine.connect() as conn:
        if model is None:
            return int(
                conn.execute(
                    select(func.count()).select_from(Paper).where(Paper.hidden == false())
                ).scalar_one()
            )
        join, condition = _stale(model)
        return int(
            conn.execute(
                select(func.count())
                .select_from(Paper)
                .outerjoin(PaperEmbedding, join)
                .where(condition)
            ).scalar_one()
        )


@dataclass
class EmbedReport:
    embedded: int = 0
    from_cache: int = 0
    unchanged: int = 0
    pending: int = 0


def _encode(
    embedder: Embedder,
    fresh: Sequence[tuple[Row[Any], str]],
    cache: EmbeddingCache | None,
    report: EmbedReport,
) -> np.ndarray:
    out = np.zeros((len(fresh), embedder.dim), dtype=np.float32)
    hashes = [hashed for _, hashed in fresh]
    found = cache.get_many(hashes) if cache else {}
    missing = [i for i, h in enumerate(hashes) if h not in found]
    if missing:
        texts = [paper_text(fresh[i][0].title or "", fresh[i][0].abstract or "") for i in missing]
        encoded = np.asarray(embedder.encode(texts), dtype=np.float32)
        out[missing] = encoded
        if cache:
            cache.put_many([hashes[i] for i in missing], encoded)
    for i, h in enumerate(hashes):
        if h in found:
            out[i] = found[h]
    report.from_cache += len(fresh) - len(missing)
    return out


def embed_pending(
    engine: Engine,
    embedder: Embedder,
    *,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cache: EmbeddingCache | None = None,
    batch: int = BATCH,
    committed: Callable[[list[str]], None] | None = None,
) -> EmbedReport:
    """Compute and store the embeddings visible papers lack (or whose text changed), by batches
    of ``batch`` papers each committed on its own: a killed run loses at most one batch, and the
    next run starts after the last one committed. With ``limit``, nothing is computed when more
    papers than that wait (they are left to the worker). ``progress(done, total)`` follows the
    work and ``committed(paper_ids)`` hears of each batch once it is stored; a ``cache`` (model
    and text hash -> vector, in a local file) spares the model texts it saw before."""
    report = EmbedReport()
    total = count_pending(engine, embedder.name)
    report.pending = total
    if total == 0 or (limit is not None and total > limit):
        return report
    with engine.begin() as conn:
        put_setting(conn, MODEL_SETTING, embedder.name)
    join, condition = _stale(embedder.name)
    after = ""
    while True:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    Paper.id,
                    Paper.title,
                    Paper.abstract,
                    Paper.content_hash,
                    PaperEmbedding.text_hash,
                )
                .outerjoin(PaperEmbedding, join)
                .where(condition, Paper.id > after)
                .order_by(Paper.id)
                .limit(max(1, batch))
            ).all()
        if not rows:
            break
        after = rows[-1].id
        _embed_batch(engine, embedder, cast("list[Row[Any]]", rows), report, cache)
        if committed:
            committed([row.id for row in rows])
        if progress:
            progress(report.embedded + report.unchanged, total)
    report.pending = count_pending(engine, embedder.name)
    return report


def _embed_batch(
    engine: Engine,
    embedder: Embedder,
    rows: Sequence[Row[Any]],
    report: EmbedReport,
    cache: EmbeddingCache | None,
) -> None:
    now = now_utc()
    fresh: list[tuple[Row[Any], str]] = []
    same_text: list[tuple[Row[Any], str]] = []
    for row in rows:
        hashed = text_hash(row.title or "", row.abstract or "")
        (same_text if hashed == row.text_hash else fresh).append((row, hashed))
    vectors = _encode(embedder, fresh, cache, report)
    with engine.begin() as conn:
        for row, _ in same_text:
            conn.execute(
                update(PaperEmbedding)
                .where(PaperEmbedding.paper_id == row.id, PaperEmbedding.model == embedder.name)
                .values(content_hash=row.content_hash)
            )
        if fresh:
            upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
            statement = upsert(PaperEmbedding)
            statement = statement.on_conflict_do_update(
                index_elements=["paper_id", "model"],
                set_={
                    "text_hash": statement.excluded.text_hash,
                    "content_hash": statement.excluded.content_hash,
                    "dim": statement.excluded.dim,
                    "vector": statement.excluded.vector,
                    "computed_at": statement.excluded.computed_at,
                },
            )
            conn.execute(
                statement,
                [
                    {
                        "paper_id": row.id,
                        "model": embedder.name,
                        "text_hash": hashed,
                        "content_hash": row.content_hash,
                        "dim": embedder.dim,
                        "vector": to_bytes(vector),
                        "computed_at": now,
                    }
                    for (row, hashed), vector in zip(fresh, vectors, strict=True)
                ],
            )
    report.embedded += len(fresh)
    report.unchanged += len(same_text)
