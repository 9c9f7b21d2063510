"""The lexical index: SQLite FTS5 (Porter stemming, BM25 with field weights) in a file of its own.

The file lives under ``PAPERWIRE_HOME/index/`` whatever the main database is, so ranking behaves the same
on SQLite and PostgreSQL. Besides the full-text table it keeps, per paper, what the index was built
from (content hash, text hash, embedded text hash), the publication time and the categories, so that
filters run here and the sync can tell new and changed papers from unchanged ones.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from paperwire.db.files import private_folder
from paperwire.search import postings
from paperwire.search.query import Clause, ParsedQuery

# BM25 weights of the columns title, abstract, authors, categories (tuned on SciFact train queries,
# see bench/fusion.py; authors and categories only matter for queries naming them).
FIELD_WEIGHTS = (3.0, 1.0, 1.0, 1.0)
COLUMNS = ("title", "abstract", "authors", "categories")
MARK_START, MARK_END = "\x02", "\x03"
T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (
    rowid INTEGER PRIMARY KEY,
    paper_id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    text_hash TEXT NOT NULL,
    embedded_hash TEXT,
    published TEXT
);
CREATE INDEX IF NOT EXISTS meta_published ON meta(published);
CREATE TABLE IF NOT EXISTS categories (
    category TEXT NOT NULL,
    doc INTEGER NOT NULL,
    PRIMARY KEY (category, doc)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS categories_doc ON categories(doc);
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(
    title, abstract, authors, categories, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT);
-- Rows changed or removed since the postings snapshot was read (``postings.py``).
CREATE TABLE IF NOT EXISTS postings_stale (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    row INTEGER NOT NULL
);
"""
_TOKENIZER = "porter unicode61 remove_diacritics 2"
# FTS5 computes BM25 for every document matching any word, some microseconds each. From this size
# on, ``compact`` also writes a snapshot of the postings, and free-word queries are ranked over it
# by an exact top-k method (``postings.py``); papers written since are ranked by FTS5 and merged.
LARGE_INDEX = 100_000
# The snapshot is read again once the papers written since it reach this share of the index.
POSTINGS_BEHIND = 0.02
# A sync that changed at least this share of the index merges its segments and counts the papers
# each word occurs in (``compact``).
COMPACT_SHARE = 0.1


@dataclass(frozen=True)
class IndexDoc:
    paper_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published: str | None
    content_hash: str
    text_hash: str


@dataclass(frozen=True)
class Filters:
    """Restrictions every mode applies: dates are inclusive; a category without a dot (``cs``) means
    its whole archive."""

    date_from: date | None = None
    date_to: date | None = None
    categories: Sequence[str] = ()
    excluded_categories: Sequence[str] = ()
    ids: Sequence[str] = ()

    @property
    def active(self) -> bool:
        return bool(
            self.date_from
            or self.date_to
            or self.categories
            or self.excluded_categories
            or self.ids
        )


@dataclass
class Snippet:
    title: str
    abstract: str | None = None


def quote(text: str) -> str:
    """An FTS5 string literal: whatever the user typed becomes a phrase, never syntax."""
    return '"' + text.replace('"', '""') + '"'


def _clause(clause: Clause) -> str:
    if clause.column in ("title", "abstract", "authors"):
        return f"{clause.column} : {quote(clause.text)}"
    return f"{{title abstract}} : {quote(clause.text)}"


def match_expression(query: ParsedQuery) -> str | None:
    """The FTS5 MATCH expression for the query's text, or None when it has none.

    Free words are OR-ed (BM25 ranks documents with more of them higher); phrases and fielded
    clauses are required; exclusions are subtracted."""
    required = [_clause(c) for c in query.required]
    terms = [quote(t) for t in query.terms]
    if required:
        expr = " AND ".join(required)
        if terms:
            # Repeating one required clause inside the OR keeps the free words optional while
            # letting them count in BM25.
            expr = f"({expr}) AND ({' OR '.join([*terms, required[0]])})"
    elif terms:
        expr = " OR ".join(terms)
    else:
        return None
    excluded = exclusion_expression(query)
    if excluded:
        expr = f"({expr}) NOT ({excluded})"
    return expr


def exclusion_expression(query: ParsedQuery) -> str | None:
    if not query.excluded:
        return None
    return " OR ".join(_clause(c) for c in query.excluded)


def any_word_expression(words: Iterable[str]) -> str | None:
    parts = [quote(w) for w in words if w]
    return " OR ".join(parts) if parts else None


def _category_sql(values: Sequence[str], negate: bool) -> tuple[str, list[str]]:
    conds: list[str] = []
    params: list[str] = []
    for value in values:
        v = value.lower()
        if "." in v:
            conds.append("category = ?")
            params.append(v)
        else:
            conds.append("(category = ? OR category LIKE ?)")
            params.extend([v, f"{v}.%"])
    op = "NOT IN" if negate else "IN"
    return f"m.rowid {op} (SELECT doc FROM categories WHERE {' OR '.join(conds)})", params


def filter_sql(filters: Filters) -> tuple[str, list[object]]:
    """A WHERE fragment over ``meta m`` (always valid, ``1`` when there is nothing to filter)."""
    conds: list[str] = ["1"]
    params: list[object] = []
    if filters.date_from:
        conds.append("m.published >= ?")
        params.append(filters.date_from.isoformat())
    if filters.date_to:
        conds.append("m.published < ?")
        params.append((filters.date_to + timedelta(days=1)).isoformat())
    if filters.categories:
        sql, cat_params = _category_sql(filters.categories, negate=False)
        conds.append(sql)
        params.extend(cat_params)
    if filters.excluded_categories:
        sql, cat_params = _category_sql(filters.excluded_categories, negate=True)
        conds.append(sql)
        params.extend(cat_params)
    if filters.ids:
        conds.append(f"m.paper_id IN ({','.join('?' * len(filters.ids))})")
        params.extend(filters.ids)
    return " AND ".join(conds), params


def _chunks(items: Sequence[T], size: int = 500) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _wal(conn: sqlite3.Connection) -> None:
    """Put the file in WAL mode, once. Switching takes an exclusive lock for which SQLite may not
    wait (another process opening the same index at that moment gets "database is locked" at
    once), so a file already in WAL mode is left alone and a refused switch is tried again."""
    for attempt in range(50):
        if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal":
            return
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)


@dataclass
class LexicalIndex:
    """One index file; each thread gets its own connection (SQLite connections are not shareable)."""

    path: Path
    weights: tuple[float, ...] = FIELD_WEIGHTS
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _snapshot: postings.Snapshot | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        private_folder(self.path.parent)
        self.conn.executescript(_SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            _wal(conn)
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is committed, or none (a failed COMMIT included)."""
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            # On a full disk or an I/O error SQLite may have rolled back already; a second
            # ROLLBACK would raise "no transaction is active" and hide the real error.
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # --- state --------------------------------------------------------------------------------

    def get_state(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_state(self, key: str, value: str) -> None:
        self.conn.execute("INSERT OR REPLACE INTO state(key, value) VALUES (?, ?)", (key, value))

    def content_hashes(self) -> dict[str, str]:
        return dict(self.conn.execute("SELECT paper_id, content_hash FROM meta").fetchall())

    def size(self) -> int:
        """About how many papers the index holds (the highest row number: no table scan)."""
        return int(self.conn.execute("SELECT coalesce(max(rowid), 0) FROM meta").fetchone()[0])

    def _tokens(self, terms: Sequence[str]) -> list[list[str]]:
        """Each term's FTS5 tokens (stemmed by the index's own tokenizer, through a scratch table
        in memory), in no particular order."""
        conn = self.conn
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.q USING fts5(x, tokenize = '{_TOKENIZER}')"
        )
        conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.qv USING fts5vocab(temp, q, 'instance')"
        )
        conn.execute("DELETE FROM temp.q")
        conn.executemany("INSERT INTO temp.q(rowid, x) VALUES (?, ?)", list(enumerate(terms)))
        tokens: list[list[str]] = [[] for _ in terms]
        for row, token in conn.execute("SELECT doc, term FROM temp.qv"):
            tokens[row].append(token)
        return tokens

    def compact(self) -> None:
        """Merge the full-text index into one segment (queries then read one b-tree per word instead
        of one per segment) and, on a large index, write a new snapshot of its postings."""
        self.conn.execute("INSERT INTO docs(docs) VALUES ('optimize')")
        self.refresh_postings()

    # --- the postings snapshot (exact top-k ranking on a large index) --------------------------

    @property
    def postings_folder(self) -> Path:
        return self.path.with_name(self.path.stem + ".postings")

    def refresh_postings(self) -> None:
        """Write a new postings snapshot (from ``LARGE_INDEX`` papers on; below, drop it)."""
        if self.size() < LARGE_INDEX:
            with self.transaction() as conn:
                conn.execute("DELETE FROM state WHERE key IN ('postings', 'postings_edge')")
                conn.execute("DELETE FROM postings_stale")
            shutil.rmtree(self.postings_folder, ignore_errors=True)
            return
        with self.transaction() as conn:
            # From here on a changed paper moves to a new row and its old one is marked stale
            # (``upsert``), so a change made while the snapshot is read is never lost.
            if self.get_state("postings_edge") is None:
                self.set_state("postings_edge", str(self.size()))
            seen = conn.execute("SELECT coalesce(max(seq), 0) FROM postings_stale").fetchone()[0]
        generation = uuid.uuid4().hex[:12]
        postings.build(self.conn, self.postings_folder / generation, generation, self.weights)
        with self.transaction() as conn:
            previous = self.get_state("postings")
            self.set_state("postings", generation)
            self.set_state(
                "postings_edge", str(postings.max_rowid(self.postings_folder / generation))
            )
            conn.execute("DELETE FROM postings_stale WHERE seq <= ?", (seen,))
        for old in self.postings_folder.iterdir():
            # Keep the previous generation: a process may still be reading it.
            if old.name not in (generation, previous):
                shutil.rmtree(old, ignore_errors=True)

    def postings_behind(self) -> int | None:
        """Rows written or left behind since the snapshot (None: there is none)."""
        generation = self.get_state("postings")
        if generation is None:
            return None
        try:
            edge = postings.max_rowid(self.postings_folder / generation)
        except FileNotFoundError:
            return None
        stale = self.conn.execute("SELECT count(*) FROM postings_stale").fetchone()[0]
        return max(0, self.size() - edge) + int(stale)

    def needs_postings(self) -> bool:
        """Whether a sync should write a new snapshot: a large index has none, or is too far ahead."""
        size = self.size()
        if size < LARGE_INDEX:
            return False
        behind = self.postings_behind()
        return behind is None or behind >= POSTINGS_BEHIND * size

    def snapshot(self) -> postings.Snapshot | None:
        """The current postings snapshot, opened once per generation."""
        generation = self.get_state("postings")
        if generation is None:
            return None
        current = self._snapshot
        if current is None or current.generation != generation:
            try:
                current = postings.Snapshot(self.postings_folder / generation)
            except FileNotFoundError:
                return None
            self._snapshot = current
        return current

    def is_empty(self) -> bool:
        return self.conn.execute("SELECT 1 FROM meta LIMIT 1").fetchone() is None

    # --- writing (callers hold a transaction) ---------------------------------------------------

    def _rowids(self, conn: sqlite3.Connection, paper_ids: Sequence[str]) -> list[int]:
        out: list[int] = []
        for chunk in _chunks(paper_ids):
            out.extend(
                r[0]
                for r in conn.execute(
                    f"SELECT rowid FROM meta WHERE paper_id IN ({','.join('?' * len(chunk))})",
                    list(chunk),
                )
            )
        return out

    def remove(self, conn: sqlite3.Connection, paper_ids: Sequence[str]) -> None:
        rowids = self._rowids(conn, paper_ids)
        self._mark_stale(conn, rowids)
        self._delete_rows(conn, rowids)

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, rowids: Sequence[int]) -> None:
        conn.executemany("DELETE FROM docs WHERE rowid = ?", [(r,) for r in rowids])
        conn.executemany("DELETE FROM categories WHERE doc = ?", [(r,) for r in rowids])
        conn.executemany("DELETE FROM meta WHERE rowid = ?", [(r,) for r in rowids])

    def upsert(self, conn: sqlite3.Connection, docs: Sequence[IndexDoc]) -> None:
        """Write ``docs``; a changed paper keeps its embedded hash so unchanged text is not re-embedded.

        While a postings snapshot exists, every paper written gets a row id past both the snapshot
        and every row so far, and a changed paper leaves its old row (marked stale): the snapshot
        never describes a row whose text changed, and what is new is one range of rows for FTS5."""
        edge_text = self.get_state("postings_edge")
        edge = int(edge_text) if edge_text is not None else None
        changed: list[int] = []
        for doc in docs:
            row = conn.execute(
                "SELECT rowid, embedded_hash FROM meta WHERE paper_id = ?", (doc.paper_id,)
            ).fetchone()
            if row is not None and edge is not None:
                changed.append(row[0])
                self._delete_rows(conn, [row[0]])
            if row is None or edge is not None:
                cur = conn.execute(
                    "INSERT INTO meta(rowid, paper_id, content_hash, text_hash, embedded_hash,"
                    " published) VALUES ((SELECT max(coalesce(max(rowid), 0), ?) + 1 FROM meta),"
                    " ?, ?, ?, ?, ?)",
                    (
                        edge or 0,
                        doc.paper_id,
                        doc.content_hash,
                        doc.text_hash,
                        row[1] if row else None,
                        doc.published,
                    ),
                )
                rowid = cur.lastrowid
            else:
                rowid = row[0]
                conn.execute(
                    "UPDATE meta SET content_hash = ?, text_hash = ?, published = ? WHERE rowid = ?",
                    (doc.content_hash, doc.text_hash, doc.published, rowid),
                )
                conn.execute("DELETE FROM docs WHERE rowid = ?", (rowid,))
                conn.execute("DELETE FROM categories WHERE doc = ?", (rowid,))
            conn.execute(
                "INSERT INTO docs(rowid, title, abstract, authors, categories)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    rowid,
                    doc.title,
                    doc.abstract,
                    ", ".join(doc.authors),
                    " ".join(doc.categories),
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO categories(category, doc) VALUES (?, ?)",
                [(c.lower(), rowid) for c in doc.categories],
            )
        self._mark_stale(conn, changed)

    def _mark_stale(self, conn: sqlite3.Connection, rowids: Sequence[int]) -> None:
        """Rows the postings snapshot no longer describes (FTS5 ranks them until the next one)."""
        if rowids and self.get_state("postings_edge") is not None:
            conn.executemany("INSERT INTO postings_stale(row) VALUES (?)", [(r,) for r in rowids])

    def clear(self, conn: sqlite3.Connection) -> None:
        for table in ("docs", "categories", "meta", "state", "postings_stale"):
            conn.execute(f"DELETE FROM {table}")
        # Searchers elsewhere drop the vectors they hold when this changes.
        self.set_state("vectors_version", "cleared")

    def unembedded(self, after: int, limit: int) -> list[tuple[int, str, str]]:
        """Papers whose current text has no embedding yet, in rowid order after ``after``:
        (rowid, paper_id, text_hash)."""
        return self.conn.execute(
            "SELECT rowid, paper_id, text_hash FROM meta WHERE rowid > ?"
            " AND (embedded_hash IS NULL OR embedded_hash != text_hash) ORDER BY rowid LIMIT ?",
            (after, limit),
        ).fetchall()

    def count_unembedded(self) -> int:
        return int(
            self.conn.execute(
                "SELECT count(*) FROM meta WHERE embedded_hash IS NULL OR embedded_hash != text_hash"
            ).fetchone()[0]
        )

    def _for_ids(
        self, sql: str, paper_ids: Sequence[str], before: Sequence[object] = ()
    ) -> Iterator[tuple[Any, ...]]:
        """Rows of ``sql`` (whose ``{ids}`` is an IN list) for all ``paper_ids``, 500 at a time."""
        for chunk in _chunks(paper_ids):
            query = sql.format(ids=",".join("?" * len(chunk)))
            yield from self.conn.execute(query, [*before, *chunk])

    def texts(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        sql = (
            "SELECT m.paper_id, d.title, d.abstract FROM meta m JOIN docs d ON d.rowid = m.rowid"
            " WHERE m.paper_id IN ({ids})"
        )
        return {pid: (title, abstract) for pid, title, abstract in self._for_ids(sql, paper_ids)}

    def content_hashes_for(self, paper_ids: Sequence[str]) -> dict[str, str]:
        """The content hash each of ``paper_ids`` was indexed with (papers not indexed are left out)."""
        sql = "SELECT paper_id, content_hash FROM meta WHERE paper_id IN ({ids})"
        return {pid: content for pid, content in self._for_ids(sql, paper_ids)}

    def unembedded_among(self, paper_ids: Sequence[str]) -> list[tuple[int, str, str]]:
        """Those of ``paper_ids`` whose current text has no embedding in the index yet."""
        sql = (
            "SELECT rowid, paper_id, text_hash FROM meta WHERE paper_id IN ({ids})"
            " AND (embedded_hash IS NULL OR embedded_hash != text_hash)"
        )
        return [(rowid, pid, hashed) for rowid, pid, hashed in self._for_ids(sql, paper_ids)]

    def mark_embedded(self, conn: sqlite3.Connection, pairs: Sequence[tuple[str, str]]) -> None:
        conn.executemany(
            "UPDATE meta SET embedded_hash = ? WHERE paper_id = ?",
            [(text_hash, pid) for pid, text_hash in pairs],
        )

    def forget_embeddings(self, conn: sqlite3.Connection) -> None:
        conn.execute("UPDATE meta SET embedded_hash = NULL")

    # --- reading ------------------------------------------------------------------------------

    def search(
        self, expression: str, filters: Filters = Filters(), limit: int = 100
    ) -> list[tuple[str, float]]:
        """Ranked (paper_id, BM25 score), best first; higher is better."""
        where, params = filter_sql(filters)
        weights = ", ".join(str(float(w)) for w in self.weights)
        if filters.active:
            sql = (
                f"SELECT m.paper_id, bm25(docs, {weights}) AS r FROM docs"
                f" JOIN meta m ON m.rowid = docs.rowid"
                f" WHERE docs MATCH ? AND {where} ORDER BY r LIMIT ?"
            )
        else:
            # Without filters the paper ids are looked up for the top ``limit`` rows only, not for
            # every matching one.
            sql = (
                f"SELECT m.paper_id, d.r FROM (SELECT rowid, bm25(docs, {weights}) AS r FROM docs"
                " WHERE docs MATCH ? ORDER BY r LIMIT ?) d JOIN meta m ON m.rowid = d.rowid"
                " ORDER BY d.r"
            )
        rows = self.conn.execute(sql, [expression, *params, limit]).fetchall()
        return [(pid, -float(r)) for pid, r in rows]

    def rank(
        self, query: ParsedQuery, filters: Filters = Filters(), limit: int = 100
    ) -> list[tuple[str, float]]:
        """Ranked (paper_id, BM25 score) for the query's text, best first: the same ranking as
        ``search(match_expression(query))``, by the exact top-k method on a large index."""
        expression = match_expression(query)
        if expression is None:
            return []
        snapshot = self.snapshot() if query.terms and not query.required else None
        if snapshot is None:
            return self.search(expression, filters, limit)
        return self._top_k(snapshot, query, expression, filters, limit)

    def _top_k(
        self,
        snapshot: postings.Snapshot,
        query: ParsedQuery,
        expression: str,
        filters: Filters,
        limit: int,
    ) -> list[tuple[str, float]]:
        edge = snapshot.max_rowid
        allowed = self._allowed_rows(query, filters, edge)
        ranked = snapshot.top(self._phrases(query.terms, edge), limit, allowed)
        ranked += self._fresh(expression, filters, edge, limit)
        ranked.sort(key=lambda hit: (-hit[1], hit[0]))
        ranked = ranked[:limit]
        ids = dict(
            self.conn.execute(
                f"SELECT rowid, paper_id FROM meta WHERE rowid IN ({','.join('?' * len(ranked))})",
                [r for r, _ in ranked],
            ).fetchall()
        )
        return [(ids[r], score) for r, score in ranked if r in ids]

    def _allowed_rows(self, query: ParsedQuery, filters: Filters, edge: int) -> np.ndarray | None:
        """The snapshot's rows a ranking may return (None: all): those passing the filters, not
        excluded by the query, and not changed since the snapshot."""
        stale = [
            r
            for (r,) in self.conn.execute(
                "SELECT DISTINCT row FROM postings_stale WHERE row <= ?", (edge,)
            )
        ]
        if not (filters.active or query.excluded or stale):
            return None
        allowed = np.ones(edge + 1, dtype=bool)
        if filters.active:
            where, params = filter_sql(filters)
            passing = self.conn.execute(
                f"SELECT m.rowid FROM meta m WHERE {where} AND m.rowid <= ?", [*params, edge]
            )
            allowed[:] = False
            allowed[np.fromiter((r for (r,) in passing), dtype=np.int64)] = True
        excluded = exclusion_expression(query)
        if excluded:
            out = self.conn.execute(
                "SELECT rowid FROM docs WHERE docs MATCH ? AND rowid <= ?", (excluded, edge)
            )
            allowed[np.fromiter((r for (r,) in out), dtype=np.int64)] = False
        allowed[stale] = False
        return allowed

    def _phrases(self, terms: Sequence[str], edge: int) -> list[postings.Phrase]:
        """The query's OR-ed units: a word of one token is looked up in the snapshot; a phrase of
        several is found by FTS5, which gives its contribution per paper."""
        phrases = []
        for term, tokens in zip(terms, self._tokens(terms), strict=True):
            if len(tokens) == 1:
                phrases.append(postings.Phrase(token=tokens[0]))
            elif tokens:
                found = self.conn.execute(
                    f"SELECT rowid, -bm25(docs, {self._weights_sql}) FROM docs"
                    " WHERE docs MATCH ? AND rowid <= ? ORDER BY rowid",
                    (quote(term), edge),
                ).fetchall()
                table = np.array(found, dtype=np.float64).reshape(-1, 2)
                phrases.append(
                    postings.Phrase(rows=table[:, 0].astype(np.int64), scores=table[:, 1])
                )
        return phrases

    def _fresh(
        self, expression: str, filters: Filters, edge: int, limit: int
    ) -> list[tuple[int, float]]:
        """(row, score) of the best papers written since the snapshot (rows past it), by FTS5."""
        where, params = filter_sql(filters)
        sql = (
            f"SELECT docs.rowid, -bm25(docs, {self._weights_sql}) AS s FROM docs"
            f" JOIN meta m ON m.rowid = docs.rowid WHERE docs MATCH ? AND {where} AND docs.rowid"
        )
        return self.conn.execute(
            f"{sql} > ? ORDER BY s DESC LIMIT ?", [expression, *params, edge, limit]
        ).fetchall()

    def scores_of(self, query: ParsedQuery, paper_ids: Sequence[str]) -> dict[str, float]:
        """BM25 scores of the given papers for the query's text, as ``rank`` gives them (papers
        that do not match are absent)."""
        expression = match_expression(query)
        snapshot = self.snapshot() if query.terms and not query.required else None
        if expression is None or snapshot is None:
            return self.scores_for(expression, paper_ids) if expression else {}
        edge = snapshot.max_rowid
        rows = dict(
            self._for_ids("SELECT rowid, paper_id FROM meta WHERE paper_id IN ({ids})", paper_ids)
        )
        allowed = self._allowed_rows(query, Filters(), edge)
        old = np.array(sorted(r for r in rows if r <= edge), dtype=np.int64)
        if allowed is not None:
            old = old[allowed[old]]
        totals = snapshot.scores(self._phrases(query.terms, edge), old)
        found = {rows[int(r)]: float(t) for r, t in zip(old, totals, strict=True) if t > 0}
        if any(r > edge for r in rows):
            fresh = self._fresh(expression, Filters(), edge, -1)
            found.update({rows[r]: score for r, score in fresh if r in rows})
        return found

    def count(self, query: ParsedQuery, filters: Filters, cap: int) -> int:
        """How many papers the query's text matches, counted up to ``cap``."""
        expression = match_expression(query)
        if expression is None:
            return 0
        where, params = filter_sql(filters)
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM docs JOIN meta m ON m.rowid = docs.rowid"
            f" WHERE docs MATCH ? AND {where} LIMIT ?)"
        )
        return int(self.conn.execute(sql, [expression, *params, cap]).fetchone()[0])

    @property
    def _weights_sql(self) -> str:
        return ", ".join(str(float(w)) for w in self.weights)

    def scores_for(self, expression: str, paper_ids: Sequence[str]) -> dict[str, float]:
        """BM25 scores of the given papers for ``expression`` (papers that do not match are absent)."""
        weights = ", ".join(str(float(w)) for w in self.weights)
        sql = (
            f"SELECT m.paper_id, bm25(docs, {weights}) FROM docs"
            " JOIN meta m ON m.rowid = docs.rowid WHERE docs MATCH ? AND m.paper_id IN ({ids})"
        )
        return {pid: -float(r) for pid, r in self._for_ids(sql, paper_ids, [expression])}

    def browse(
        self, filters: Filters, exclude: str | None = None, limit: int = 1000
    ) -> list[tuple[str, float]]:
        """Papers passing the filters, newest first (a query made only of ``cat:``/``id:``/dates)."""
        where, params = filter_sql(filters)
        sql = f"SELECT m.paper_id FROM meta m WHERE {where}"
        if exclude:
            sql += " AND m.rowid NOT IN (SELECT rowid FROM docs WHERE docs MATCH ?)"
            params.append(exclude)
        sql += " ORDER BY m.published DESC, m.paper_id LIMIT ?"
        params.append(limit)
        return [(pid, 0.0) for (pid,) in self.conn.execute(sql, params)]

    def allowed(self, filters: Filters) -> set[str]:
        where, params = filter_sql(filters)
        return {
            r[0] for r in self.conn.execute(f"SELECT m.paper_id FROM meta m WHERE {where}", params)
        }

    def published(self, paper_ids: Sequence[str]) -> dict[str, str | None]:
        """Publication time of each indexed paper among ``paper_ids`` (absent: not indexed)."""
        sql = "SELECT paper_id, published FROM meta WHERE paper_id IN ({ids})"
        return dict(self._for_ids(sql, paper_ids))

    def snippets(
        self, expression: str | None, paper_ids: Sequence[str], tokens: int = 40
    ) -> dict[str, Snippet]:
        """Title and abstract excerpt with matches wrapped in ``MARK_START``/``MARK_END``."""
        if not expression or not paper_ids:
            return {}
        sql = (
            "SELECT m.paper_id, highlight(docs, 0, ?, ?),"
            f" snippet(docs, 1, ?, ?, '…', {int(tokens)}) FROM docs"
            " JOIN meta m ON m.rowid = docs.rowid WHERE docs MATCH ? AND m.paper_id IN ({ids})"
        )
        before = [MARK_START, MARK_END, MARK_START, MARK_END, expression]
        return {
            pid: Snippet(title, abstract or None)
            for pid, title, abstract in self._for_ids(sql, paper_ids, before)
        }
