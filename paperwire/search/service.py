"""``search()``: the one search function the CLI, the web page, the API and the evaluation call.

It parses the query, ranks with BM25, embeddings or both (see ``fusion``), applies filters, sorts,
paginates, and returns results with the paper's card data and a safely highlighted snippet.
Search never fails on what a person typed: odd input yields fewer results and a note saying why.
When the model or the vectors cannot be loaded, search answers with keywords alone, logs why,
records the problem for ``/healthz`` and tries again after a back-off (``SEMANTIC_RETRY``).
"""

from __future__ import annotations

import html
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire import problems
from paperwire.authors.identities import papers_of
from paperwire.config import Settings
from paperwire.errors import UsageError
from paperwire.papers.readmodel import PaperView, load_papers, upvote_counts
from paperwire.search import embeddings, fusion, index
from paperwire.search.index import (
    LEXICAL_FILE,
    SyncProgress,
    SyncReport,
    index_dir,
    open_lexical,
    open_vectors,
)
from paperwire.search.lexical import (
    MARK_END,
    MARK_START,
    Filters,
    LexicalIndex,
    Snippet,
    any_word_expression,
    exclusion_expression,
    match_expression,
)
from paperwire.search.query import ParsedQuery, parse_query

if TYPE_CHECKING:
    from paperwire.search.embedder import Embedder
    from paperwire.search.vectors import VectorStore

MODES = ("hybrid", "lexical", "semantic")
SORTS = ("relevance", "date", "votes")
MAX_RESULTS = 1000
# An id no paper has: an author filter that leaves no paper matches nothing.
NO_PAPER = "-"
MAX_LIMIT = 200
SEMANTIC_DEPTH = 100
# A semantic query restricted by phrases or fielded words ranks at most this many of their matches.
RESTRICTED_POOL = 20000
# Query vectors kept per searcher: the next page, the same search from the API, the feed and the
# page, or a digest's saved topic need no model run.
QUERY_VECTORS = 512
# After the model or the vectors failed to load, semantic search is tried again after the first
# number of seconds, then twice as long after each new failure, up to the second.
SEMANTIC_RETRY = (30.0, 900.0)
SEMANTIC_PROBLEM = "semantic-search"
# Cosine similarity below which a paper is no meaning-based match: the nearest papers to nonsense
# ("qwerty zzxxyy", 0.266 on SciFact) are not results. Chosen on SciFact with
# bench/similarity_floor.py: at 0.30 every relevant top-10 hit of its 300 queries is kept (the
# lowest is 0.328) and none is left empty, and 88 of 100 nonsense queries find nothing.
SIMILARITY_FLOOR = 0.30

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SearchResult:
    """One ranked paper: the read model's view, its score, and its title and snippet as escaped
    HTML with the matched words marked."""

    paper: PaperView
    score: float
    title_html: str = ""
    snippet_html: str = ""

    @property
    def id(self) -> str:
        return self.paper.id

    @property
    def title(self) -> str:
        return self.paper.title

    @property
    def authors(self) -> list[str]:
        return list(self.paper.authors)

    @property
    def author_count(self) -> int:
        return self.paper.author_count

    @property
    def published_at(self) -> datetime | None:
        return self.paper.published_at

    @property
    def votes(self) -> int:
        return self.paper.upvotes

    @property
    def categories(self) -> list[str]:
        return list(self.paper.categories)

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    @property
    def comment_count(self) -> int:
        return self.paper.comment_count

    @property
    def snippet_text(self) -> str:
        return html.unescape(self.snippet_html.replace("<mark>", "").replace("</mark>", ""))

    def to_dict(self) -> dict[str, Any]:
        paper = self.paper
        return {
            "id": paper.id,
            "arxiv_id": paper.arxiv_id,
            "title": paper.title,
            "authors": self.authors,
            "published_at": paper.published_at.isoformat() + "Z" if paper.published_at else None,
            "categories": self.categories,
            "votes": paper.upvotes,
            "score": round(self.score, 6),
            "title_html": self.title_html,
            "snippet_html": self.snippet_html,
            "code_url": paper.code_url,
            "project_url": paper.project_url,
            "comment_count": paper.comment_count,
        }


@dataclass
class SearchPage:
    query: str
    mode: str
    sort: str
    page: int
    limit: int
    total: int = 0
    results: list[SearchResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Papers still without an embedding while meaning-based search was asked for: they are found
    # by their words only (None: every paper is embedded, or only words were asked for).
    pending_embeddings: int | None = None
    # The filters that emptied the list, each with how many of the query's matches it removed.
    emptied_by: list[tuple[str, int]] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def past_end(self) -> bool:
        """A page beyond the last one of a search that has results."""
        return self.total > 0 and self.page > self.pages

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "mode": self.mode,
            "sort": self.sort,
            "page": self.page,
            "limit": self.limit,
            "total": self.total,
            "pages": self.pages,
            "notes": self.notes,
            "pending_embeddings": self.pending_embeddings,
            "emptied_by": [{"filter": name, "removed": n} for name, n in self.emptied_by],
            "results": [r.to_dict() for r in self.results],
        }


class Searcher:
    """What a process keeps open between searches: the lexical index, the model and the vectors."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lexical: LexicalIndex = open_lexical(settings)
        self._lock = threading.Lock()
        self._embedder: Embedder | None = None
        self._store: VectorStore | None = None
        self._store_version: str | None = None
        self._query_vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self.semantic_error: str | None = None
        self._retry_at = 0.0
        self._retry_delay = 0.0
        self._pending: tuple[tuple[str | None, int], int] | None = None

    def pending_embeddings(self) -> int:
        """How many indexed papers have no embedding of their current text yet: counted once per
        state of the index (the vectors' version and the index's size), not per search."""
        key = (self.lexical.get_state("vectors_version"), self.lexical.size())
        kept = self._pending
        if kept is not None and kept[0] == key:
            return kept[1]
        pending = self.lexical.count_unembedded()
        self._pending = (key, pending)
        return pending

    def semantic(self) -> tuple[Embedder, VectorStore] | None:
        """The model and the vectors, loaded once and reopened when a sync changed them; None while
        they cannot be loaded (``semantic_error`` says why), until the back-off lets a search try
        again."""
        version = self.lexical.get_state("vectors_version")
        with self._lock:
            if self.semantic_error is not None and time.monotonic() < self._retry_at:
                return None
            loaded = self._store is None or version != self._store_version
            try:
                if self._embedder is None:
                    from paperwire.search.embedder import load_embedder

                    # One thread per query: a short text gains nothing from more, and under
                    # load spinning worker threads cost several times the encoding itself.
                    self._embedder = load_embedder(self.settings, threads=1)
                if self._store is None or version != self._store_version:
                    self._store = open_vectors(self.settings, self._embedder)
                    self._store_version = version
            except Exception as exc:  # a missing or broken model leaves keyword search working
                self._semantic_failed(exc)
                return None
            if self.semantic_error is not None:
                log.warning("meaning-based search works again after: %s", self.semantic_error)
                self.semantic_error = None
                self._retry_delay = 0.0
            if loaded:
                # Also a new searcher (another process, or after a sync) that loads fine clears
                # what an earlier one recorded.
                problems.clear(self.settings, SEMANTIC_PROBLEM)
            return self._embedder, self._store

    def _semantic_failed(self, exc: Exception) -> None:
        first, longest = SEMANTIC_RETRY
        self._retry_delay = min(longest, self._retry_delay * 2) if self._retry_delay else first
        self._retry_at = time.monotonic() + self._retry_delay
        self.semantic_error = f"{type(exc).__name__}: {exc}"
        log.error(
            "meaning-based search is off, keyword search goes on; trying again in %.0f s: %s",
            self._retry_delay,
            self.semantic_error,
        )
        # /healthz is public: the kind of failure only, the details (paths) are in the log.
        problems.record(
            self.settings,
            SEMANTIC_PROBLEM,
            f"meaning-based search is off, searches use keywords only ({type(exc).__name__},"
            f" see the log); tried again by the first search after {self._retry_delay:.0f} s",
        )

    def query_vector(self, embedder: Embedder, text: str) -> np.ndarray:
        """The query's embedding, from the last ``QUERY_VECTORS`` queries when it is there."""
        with self._lock:
            vector = self._query_vectors.get(text)
            if vector is not None:
                self._query_vectors.move_to_end(text)
                return vector
        vector = np.asarray(embedder.encode_query(text), dtype=np.float32)
        with self._lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > QUERY_VECTORS:
                self._query_vectors.popitem(last=False)
        return vector


_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="paperwire-search")
_searchers: dict[tuple[str, str, str], Searcher] = {}
_searchers_lock = threading.Lock()


def get_searcher(settings: Settings) -> Searcher:
    key = (str(settings.home), settings.database_url, str(getattr(settings, "embedding_model", "")))
    with _searchers_lock:
        searcher = _searchers.get(key)
        if searcher is None:
            searcher = _searchers[key] = Searcher(settings)
        return searcher


def forget_query_vectors() -> None:
    """Drop every searcher's kept query vectors: benchmarks time queries with a cold cache."""
    with _searchers_lock:
        for searcher in _searchers.values():
            with searcher._lock:
                searcher._query_vectors.clear()


def forget_searchers() -> None:
    """Drop cached searchers (after a rebuild replaced the files, and in tests)."""
    with _searchers_lock:
        for searcher in _searchers.values():
            searcher.lexical.close()
        _searchers.clear()


# The /healthz problem a failed index refresh after a submission leaves; any sync that works
# afterwards has caught up with it.
REFRESH_PROBLEM = "index-refresh"


def sync_index(
    settings: Settings,
    engine: Engine,
    *,
    after_ingest: bool = False,
    rebuild: bool = False,
    embed: bool = True,
    progress: SyncProgress | None = None,
    cache_dir: Path | None = None,
    batch: int = embeddings.BATCH,
) -> SyncReport:
    """Bring the search index up to date, then forget this process's cached searchers so the next
    search reads what was written, and clear a failed refresh's problem. Every caller that syncs
    (the CLI, the worker, a submission, moderation, an ingest, the demo) goes through here.
    ``after_ingest`` embeds only when few papers wait (``index.refresh``); errors propagate.
    New papers' authors are indexed first, so the author links of their cards lead somewhere
    as soon as they are searchable (not at the ``enrich`` job's next run)."""
    from paperwire.authors.index import sync_authors

    sync_authors(engine)
    if after_ingest:
        report = index.refresh(settings, engine, progress=progress)
    else:
        report = index.sync(
            settings,
            engine,
            rebuild=rebuild,
            embed=embed,
            progress=progress,
            cache_dir=cache_dir,
            batch=batch,
        )
    forget_searchers()
    problems.clear(settings, REFRESH_PROBLEM)
    return report


def index_version(settings: Settings) -> str:
    """A token that changes whenever the search index does (a sync writes the keyword index, and
    records a new vectors version there too): answers cached per search are keyed by it, as the
    index changes after the commit that empties the page cache."""
    parts = []
    lexical = index_dir(settings) / LEXICAL_FILE
    for path in (lexical, lexical.with_name(lexical.name + "-wal")):
        try:
            st = os.stat(path)
        except OSError:
            parts.append("-")
            continue
        parts.append(f"{st.st_ino}.{st.st_mtime_ns}.{st.st_size}")
    return "/".join(parts)


def search(
    settings: Settings,
    engine: Engine,
    query: str | None,
    *,
    mode: str = "hybrid",
    limit: int = 20,
    page: int = 1,
    sort: str = "relevance",
    date_from: date | None = None,
    date_to: date | None = None,
    categories: Sequence[str] = (),
    snippets: bool = True,
) -> SearchPage:
    """Search the index; ``page`` counts from 1. Bad options raise ``UsageError``; a bad query never
    raises but gives notes."""
    if mode not in MODES:
        raise UsageError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if sort not in SORTS:
        raise UsageError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if page < 1:
        raise UsageError(f"page must be 1 or more, not {page}")
    if date_from and date_to and date_from > date_to:
        raise UsageError(f"the date range is empty: {date_from} is after {date_to}")
    parsed = parse_query(query)
    result = SearchPage(
        query=query or "", mode=mode, sort=sort, page=page, limit=limit, notes=list(parsed.notes)
    )
    filters = Filters(
        date_from=date_from,
        date_to=date_to,
        categories=[*categories, *parsed.categories],
        excluded_categories=parsed.excluded_categories,
        ids=_by_author(engine, parsed),
    )
    if parsed.is_empty and not filters.active:
        if not result.notes:
            result.notes.append("type some words to search for")
        return result
    searcher = get_searcher(settings)
    if searcher.lexical.is_empty():
        if searcher.lexical.get_state("synced"):
            result.notes.append("there are no papers to search yet")
        else:
            result.notes.append("the search index is empty: run `paperwire index`")
        return result
    depth = min(MAX_RESULTS, max(page * limit, SEMANTIC_DEPTH))
    # Sorted by relevance, the pages up to this one need the best ``depth`` matches only (an exact
    # top-k on a large index); sorted otherwise, every match up to MAX_RESULTS.
    wanted = depth if sort == "relevance" else MAX_RESULTS
    ranked = _rank(searcher, parsed, filters, result, depth, wanted)
    counted = len(ranked)
    if result.mode != "semantic" and wanted < MAX_RESULTS and len(ranked) >= wanted:
        counted = max(counted, searcher.lexical.count(parsed, filters, MAX_RESULTS))
    if sort == "date":
        dates = searcher.lexical.published([pid for pid, _ in ranked])
        ranked.sort(key=lambda item: dates.get(item[0]) or "", reverse=True)
    elif sort == "votes":
        with Session(engine) as session:
            votes = upvote_counts(session, [pid for pid, _ in ranked])
        ranked.sort(key=lambda item: votes.get(item[0], 0), reverse=True)
    result.total = max(len(ranked), counted)
    if not ranked:
        result.emptied_by = _emptied_by(searcher.lexical, parsed, filters)
        if result.emptied_by:
            result.notes += [f"{name} removed {n:,} {_papers(n)}" for name, n in result.emptied_by]
        else:
            result.notes.append("no papers match this query")
    elif result.past_end:
        result.notes.append(
            f"page {page} is past the end: this search has {result.pages} {_pages(result.pages)}"
        )
    window = ranked[(page - 1) * limit : page * limit]
    marks = (
        searcher.lexical.snippets(
            any_word_expression(parsed.highlight_words()), [pid for pid, _ in window]
        )
        if snippets
        else {}
    )
    result.results = load_results(engine, window, marks, snippets=snippets)
    return result


def _papers(n: int) -> str:
    return "paper" if n == 1 else "papers"


def _pages(n: int) -> str:
    return "page" if n == 1 else "pages"


def _emptied_by(
    lexical: LexicalIndex, parsed: ParsedQuery, filters: Filters
) -> list[tuple[str, int]]:
    """When the filters left nothing of what the query's words (or ``id:``/``au:``) match: each
    filter that, taken away alone, lets papers back, with how many (or all filters together)."""
    parts: list[tuple[str, Filters]] = []
    if filters.categories:
        named = ", ".join(filters.categories)
        label = "category" if len(filters.categories) == 1 else "categories"
        parts.append((f"the {label} {named}", replace(filters, categories=())))
    if filters.excluded_categories:
        named = ", ".join(filters.excluded_categories)
        parts.append((f"excluding {named}", replace(filters, excluded_categories=())))
    if filters.date_from or filters.date_to:
        span = " ".join(
            part
            for part in (
                f"from {filters.date_from}" if filters.date_from else "",
                f"until {filters.date_to}" if filters.date_to else "",
            )
            if part
        )
        parts.append((f"the dates {span}", replace(filters, date_from=None, date_to=None)))
    if not parts:
        return []

    def matches(f: Filters) -> int:
        if match_expression(parsed) is not None:
            return lexical.count(parsed, f, MAX_RESULTS)
        return len(lexical.browse(f, exclude=exclusion_expression(parsed), limit=MAX_RESULTS))

    found = [(name, n) for name, without in parts if (n := matches(without))]
    if found or len(parts) == 1:
        return found
    everything = matches(Filters(ids=filters.ids))
    if not everything:
        return []
    return [(" and ".join(name for name, _ in parts) + " together", everything)]


def _by_author(engine: Engine, parsed: ParsedQuery) -> list[str]:
    """The ``id:`` filter, narrowed to the papers of each ``au:`` author found in the author index
    (the papers its author page lists, every spelling of the name), so a search by author and
    the author page agree; an author the index does not know stays a word match on names."""
    wanted: set[str] | None = None
    kept = []
    with Session(engine) as session:
        for clause in parsed.required:
            found = papers_of(session, clause.text) if clause.column == "authors" else ()
            if found:
                wanted = set(found) if wanted is None else wanted & set(found)
            else:
                kept.append(clause)
    if wanted is None:
        return parsed.ids
    parsed.required = kept
    ids = [i for i in parsed.ids if i in wanted] if parsed.ids else sorted(wanted)
    return ids or [NO_PAPER]


def _rank(
    searcher: Searcher,
    parsed: ParsedQuery,
    filters: Filters,
    result: SearchPage,
    depth: int,
    wanted: int,
) -> list[tuple[str, float]]:
    lexical = searcher.lexical
    expression = match_expression(parsed)
    if expression is None:
        # Only filters (cat:, id:, dates) and maybe exclusions: the newest matching papers.
        result.mode = "lexical"
        return lexical.browse(filters, exclude=exclusion_expression(parsed), limit=MAX_RESULTS)
    semantic = None
    if result.mode != "lexical" and parsed.semantic_text.strip():
        semantic = searcher.semantic()
        if semantic is None:
            result.notes.append(
                f"meaning-based search is unavailable ({searcher.semantic_error}); "
                "showing keyword results"
            )
    if semantic is not None:
        pending = searcher.pending_embeddings()
        if pending:
            result.pending_embeddings = pending
            total = lexical.size()
            if len(semantic[1]) == 0:
                result.notes.append(
                    f"meaning-based search is not ready: {pending:,} {_papers(pending)} are still"
                    " to be embedded; showing word matches"
                )
                semantic = None
            else:
                result.notes.append(
                    f"{pending:,} of {max(total, pending):,} papers are still to be embedded:"
                    " they are found by their words only until then"
                )
                # Meaning alone would miss them: their words join in.
                result.mode = "hybrid"
    if semantic is None:
        result.mode = "lexical"
        return lexical.rank(parsed, filters, limit=wanted)
    embedder, store = semantic
    # BM25 runs in SQLite and the encoder in onnxruntime, both outside the GIL: overlapping them
    # takes the shorter of the two off every hybrid query.
    matches = (
        _pool.submit(lexical.rank, parsed, filters, wanted) if result.mode == "hybrid" else None
    )
    vector = searcher.query_vector(embedder, parsed.semantic_text)
    allowed = _allowed(lexical, parsed, filters)
    hits = store.search(vector, max(depth, SEMANTIC_DEPTH), allowed=allowed)
    # Below the floor, the nearest papers are not about the query at all.
    hits = [(pid, score) for pid, score in hits if score >= SIMILARITY_FLOOR]
    # The vectors may still hold papers hidden since the last sync; the lexical index is current.
    known = lexical.published([pid for pid, _ in hits])
    hits = [(pid, score) for pid, score in hits if pid in known]
    if matches is None:
        return hits
    return _hybrid(lexical, store, vector, parsed, matches.result(), hits, wanted)


def _allowed(lexical: LexicalIndex, parsed: ParsedQuery, filters: Filters) -> set[str] | None:
    """The papers a semantic ranking may return: those passing the filters, the phrases and
    fielded words, and the exclusions (None: all)."""
    restricting = ParsedQuery(raw="", required=parsed.required, excluded=parsed.excluded)
    expression = match_expression(restricting)
    if expression is not None:
        return {pid for pid, _ in lexical.search(expression, filters, limit=RESTRICTED_POOL)}
    if parsed.excluded:
        return {
            pid
            for pid, _ in lexical.browse(
                filters, exclude=exclusion_expression(parsed), limit=RESTRICTED_POOL
            )
        }
    if filters.active:
        return lexical.allowed(filters)
    return None


def _hybrid(
    lexical: LexicalIndex,
    store: VectorStore,
    vector: np.ndarray,
    parsed: ParsedQuery,
    matches: list[tuple[str, float]],
    hits: list[tuple[str, float]],
    wanted: int,
    params: fusion.FusionParams = fusion.DEFAULT,
) -> list[tuple[str, float]]:
    """Fuse the lexical ``matches`` and semantic ``hits``; lexical matches beyond the fused
    candidates follow in BM25 order, so every match can still be paged to."""
    lex_scores = dict(matches[: params.lexical_depth])
    sem_scores = dict(hits[: params.semantic_depth])
    candidates = list(dict.fromkeys([*lex_scores, *sem_scores]))
    # BM25 of the lexical matches below the fused depth is already known; only papers beyond all
    # ``matches`` need the index again.
    ranked_lex = dict(matches)
    missing_lex = []
    for c in candidates:
        if c in ranked_lex:
            lex_scores[c] = ranked_lex[c]
        elif c not in lex_scores:
            missing_lex.append(c)
    if missing_lex and len(matches) >= wanted:
        lex_scores.update(lexical.scores_of(parsed, missing_lex))
    for c in candidates:
        if c not in sem_scores:
            stored = store.get(c)
            if stored is not None:
                sem_scores[c] = float(np.dot(stored, vector))
    fused = fusion.fuse(lex_scores, sem_scores, candidates, params)
    seen = set(candidates)
    return fused + [(pid, score) for pid, score in matches if pid not in seen]


# The hybrid ranking ``search`` serves, by a public name: ``bench/scale.py`` times it.
hybrid_ranking = _hybrid


def marked_html(text: str) -> str:
    """Escape first, then turn the index's match markers into ``<mark>``: safe whatever the text."""
    return html.escape(text).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")


def _plain_snippet(abstract: str, words: int = 40) -> str:
    parts = abstract.split()
    text = " ".join(parts[:words])
    return html.escape(text + (" …" if len(parts) > words else ""))


def load_results(
    engine: Engine,
    ranked: Sequence[tuple[str, float]],
    marks: dict[str, Snippet] | None = None,
    *,
    snippets: bool = True,
) -> list[SearchResult]:
    """``ranked`` papers through the read model's loader, in the given order; hidden papers and
    papers deleted since the last sync are left out. Without ``snippets`` no snippet is made."""
    if not ranked:
        return []
    marks = marks or {}
    with Session(engine) as session:
        views = {view.id: view for view in load_papers(session, [pid for pid, _ in ranked])}
    out = []
    for pid, score in ranked:
        view = views.get(pid)
        if view is None:
            continue
        mark = marks.get(pid)
        if mark and mark.abstract:
            snippet = marked_html(mark.abstract)
        else:
            snippet = _plain_snippet(view.abstract) if snippets else ""
        out.append(
            SearchResult(
                paper=view,
                score=float(score),
                title_html=marked_html(mark.title) if mark else html.escape(view.title),
                snippet_html=snippet,
            )
        )
    return out
