"""The demo's search index: keyword search at once, embeddings while the demo is already serving.

Embedding the demo corpus takes about a minute on two cores, longer than the demo may take to
start, so it runs in a background thread; until it is done, search finds papers by keyword."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from paperwire.authors.index import sync_authors
from paperwire.config import Settings
from paperwire.errors import PaperwireError
from paperwire.search import service


def build_keyword_index(settings: Settings, engine: Engine) -> str:
    """Bring the keyword index and the author pages' index up to date; the line to print."""
    report = service.sync_index(settings, engine, embed=False)
    authors = sync_authors(engine).summary()
    if not report.pending_embeddings:
        return f"{report.summary()}; {authors}"
    return f"{report.summary()}; {authors}; semantic search follows once they are embedded (about a minute)"


def embed_in_background(
    settings: Settings, engine: Engine, say: Callable[[str], None]
) -> threading.Thread:
    """Start embedding what waits for an embedding; ``say`` gets the summary line when done."""

    def work() -> None:
        try:
            report = service.sync_index(settings, engine)
        except (PaperwireError, OSError, sqlite3.Error) as exc:
            say(f"index: embeddings not built ({exc}); keyword search still works")
            return
        if report.embedded:
            say(f"{report.summary()}: semantic search is ready")

    thread = threading.Thread(target=work, name="demo-embeddings", daemon=True)
    thread.start()
    return thread
