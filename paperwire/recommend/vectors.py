"""Where the recommender gets embeddings: one function for papers, one for texts.

``paper_vectors`` reads this node's search index (``search/index.py``'s vector store), which
follows the embeddings stored in the database (``search/follow.py``), so no model runs for it. ``text_vectors`` embeds words
(topics, saved searches, imported abstracts) with the same model, so both live in one space.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.search.service import get_searcher


def model_name(settings: Settings) -> str | None:
    """The name of the embedding model in use, or None when it cannot be loaded."""
    semantic = get_searcher(settings).semantic()
    return None if semantic is None else semantic[0].name


def paper_vectors(
    settings: Settings, session: Session, ids: Sequence[str]
) -> tuple[list[str], np.ndarray]:
    """The ids among ``ids`` that have an embedding, in order, and their unit vectors as rows.
    ``session`` is unused (the index holds the database's vectors) and kept for other stores."""
    del session
    semantic = get_searcher(settings).semantic()
    if semantic is None:
        return [], np.zeros((0, 0), dtype=np.float32)
    store = semantic[1]
    found: list[str] = []
    rows: list[np.ndarray] = []
    for pid in ids:
        vector = store.get(pid)
        if vector is not None:
            found.append(pid)
            rows.append(vector)
    if not rows:
        return [], np.zeros((0, store.dim), dtype=np.float32)
    return found, np.vstack(rows).astype(np.float32, copy=False)


def text_vectors(settings: Settings, texts: Sequence[str]) -> np.ndarray | None:
    """Unit vectors of ``texts`` with the index's model (recent ones cached), or None without one."""
    searcher = get_searcher(settings)
    semantic = searcher.semantic()
    if semantic is None:
        return None
    embedder = semantic[0]
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.vstack([searcher.query_vector(embedder, text) for text in texts])


def stored_embedding(settings: Settings, text: str) -> dict[str, Any] | None:
    """``text``'s embedding as a signal row keeps it (model name and numbers), or None."""
    semantic = get_searcher(settings).semantic()
    if semantic is None or not text.strip():
        return None
    vectors = text_vectors(settings, [text])
    if vectors is None:
        return None
    return {"model": semantic[0].name, "vector": [round(float(x), 6) for x in vectors[0]]}


def stored_embeddings(settings: Settings, texts: Sequence[str]) -> list[dict[str, Any] | None]:
    """Like ``stored_embedding`` for many texts in one batch (an import's abstracts)."""
    semantic = get_searcher(settings).semantic()
    if semantic is None or not texts:
        return [None] * len(texts)
    embedder = semantic[0]
    vectors = np.asarray(embedder.encode(list(texts)), dtype=np.float32)
    return [
        {"model": embedder.name, "vector": [round(float(x), 6) for x in row]} for row in vectors
    ]
