"""Keyphrases and extractive summaries with the shipped model on real abstracts, both engines:
computed once for papers lacking them from their source, labelled extracted in the read model and
the API, redone when a paper changes; the optional summariser replaces the sentence when it answers
and never blocks when it fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from sqlalchemy import Engine, update

from paperwire.config import Settings, load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.enrich import keyphrases, summary
from paperwire.enrich.service import enrich_papers
from paperwire.papers.readmodel import load_paper
from paperwire.papers.store import upsert_papers
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.web.api.schemas import PaperPublic
from tests.authors.fixture import records
from tests.conftest import TEST_SECRET

PAPERS = ("2605.26719", "2605.17673", "2605.15710")


def _settings(**extra: str) -> Settings:
    return load_settings({"PAPERWIRE_SECRET_KEY": TEST_SECRET, "PAPERWIRE_HOME": "/tmp", **extra})


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return load_embedder(_settings())


def test_keyphrases_and_summary_are_stored_labelled_and_redone_on_change(
    engine: Engine, embedder: Embedder
) -> None:
    chosen = {r.id: r for r in records() if r.id in PAPERS}
    chosen["2605.17673"].extras = {"ai_keywords": ["finger-knuckle prints"], "ai_summary": "HF."}
    chosen["2605.15710"].extras = {"ai_keywords": ["context engineering"]}
    with session_scope(engine) as session:
        upsert_papers(session, list(chosen.values()))
    report = enrich_papers(_settings(), engine, embedder=embedder, batch=2)
    assert (report.papers, report.keyphrases, report.summaries) == (3, 1, 2)
    with session_scope(engine) as session:
        plain = load_paper(session, "2605.26719")
        from_hf = load_paper(session, "2605.17673")
        half = load_paper(session, "2605.15710")
    assert plain and from_hf and half
    assert (
        len(plain.extracted_keywords) == keyphrases.TOP
        and plain.keywords == plain.extracted_keywords
    )
    assert plain.extracted_summary in summary.sentences(plain.abstract)
    assert plain.short_summary_origin == "extracted"
    shown = PaperPublic.of(plain)
    assert (
        shown.ai_keywords == list(plain.extracted_keywords)
        and shown.aiKeywordsOrigin == "extracted"
    )
    assert shown.ai_summary == plain.extracted_summary and shown.aiSummaryOrigin == "extracted"
    assert from_hf.extracted_keywords == () and from_hf.extracted_summary is None
    assert PaperPublic.of(from_hf).aiSummaryOrigin == "source"
    assert half.keywords == ("context engineering",) and half.extracted_keywords == ()
    assert half.short_summary_origin == "extracted"
    assert enrich_papers(_settings(), engine, embedder=embedder).papers == 0  # nothing left
    with session_scope(engine) as session:
        session.execute(update(Paper).where(Paper.id == "2605.26719").values(content_hash="new"))
    assert enrich_papers(_settings(), engine, embedder=embedder).papers == 1


def test_candidates_and_the_baseline_on_a_real_abstract() -> None:
    paper = next(r for r in records() if r.id == "2605.26719")
    found = keyphrases.candidates(paper.title, paper.abstract)
    assert found and all(1 <= len(p.split()) <= keyphrases.MAX_WORDS for p in found)
    assert not any(w.lower() in keyphrases.STOP_WORDS for p in found for w in p.split()[:1])
    assert keyphrases.frequent_phrases(paper.title, paper.abstract)[0] in found
    assert keyphrases.candidates("", "") == {} and summary.sentences("") == []


class _Chat(BaseHTTPRequestHandler):
    answers: ClassVar[list[tuple[int, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        asked = json.loads(self.rfile.read(length))
        status, body = self.answers.pop(0)
        assert asked["messages"][-1]["content"].startswith("Title: ")
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def chat_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def test_the_summariser_answers_or_is_passed_over(chat_server: str) -> None:
    said = {"choices": [{"message": {"content": " A  one-sentence summary. "}}]}
    _Chat.answers[:] = [(200, said), (500, {"error": "down"}), (200, {"choices": []})]
    settings = _settings(PAPERWIRE_SUMMARY_URL=chat_server)
    assert summary.llm_summary(settings, "T", "Abstract.") == "A one-sentence summary."
    assert summary.llm_summary(settings, "T", "Abstract.") is None  # 500: logged, not raised
    assert summary.llm_summary(settings, "T", "Abstract.") is None  # malformed answer
    closed = _settings(PAPERWIRE_SUMMARY_URL="http://127.0.0.1:9/v1")
    assert summary.llm_summary(closed, "T", "Abstract.") is None  # nobody listening
    assert summary.llm_summary(_settings(), "T", "Abstract.") is None  # off by default
