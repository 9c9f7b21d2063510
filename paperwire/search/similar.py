"""Papers similar to a paper: its nearest neighbours by embedding, or, when it has no embedding yet
(or no model is available), the best BM25 matches of its own title and abstract."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, select

from paperwire.config import Settings
from paperwire.db.models import Paper
from paperwire.errors import PaperNotFound
from paperwire.search.query import STOP_WORDS, ParsedQuery, words
from paperwire.search.service import SearchResult, get_searcher, load_results

# The words of a paper that make its lexical "query": its most frequent content words.
FALLBACK_WORDS = 40


def similar(
    settings: Settings, engine: Engine, paper_id: str, limit: int = 10
) -> list[SearchResult]:
    """Up to ``limit`` papers like ``paper_id``, most similar first; ``PaperNotFound`` if unknown
    or hidden (a hidden paper is not there, to every surface)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(Paper.id, Paper.title, Paper.abstract).where(
                Paper.id == paper_id, Paper.hidden.is_(False)
            )
        ).first()
    if row is None:
        raise PaperNotFound(f"no paper {paper_id!r}")
    searcher = get_searcher(settings)
    semantic = searcher.semantic()
    ranked: list[tuple[str, float]] = []
    if semantic is not None:
        _, store = semantic
        vector = store.get(paper_id)
        if vector is not None:
            hits = store.search(vector, limit + 1)
            known = searcher.lexical.published([pid for pid, _ in hits])
            ranked = [(pid, s) for pid, s in hits if pid != paper_id and pid in known]
    if not ranked:
        ranked = _lexical_neighbours(settings, row.title, row.abstract or "", paper_id, limit)
    return load_results(engine, ranked[:limit])


def _lexical_neighbours(
    settings: Settings, title: str, abstract: str, paper_id: str, limit: int
) -> list[tuple[str, float]]:
    counts = Counter(w for w in words(f"{title} {title} {abstract}") if w not in STOP_WORDS)
    query = ParsedQuery(raw="", terms=[w for w, _ in counts.most_common(FALLBACK_WORDS) if w])
    hits = get_searcher(settings).lexical.rank(query, limit=limit + 1)
    return [(pid, score) for pid, score in hits if pid != paper_id]
