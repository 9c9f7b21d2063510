"""Keyphrases and extractive summaries with the shipped model on real abstracts, both engines:
computed once for papers lacking them from their source, labelled extracted in the read model and
the API, redone when a paper changes; the optional summariser replaces the sentence when it answers
and never blocks when it fails."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from sqlalchemy import Engine, update

from paperwire.config import Settings, load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.enrich import keyphrases, summary
from paperwire.enrich.service import enrich_papers
from paperwire.errors import ConfigError
from paperwire.papers.readmodel import load_paper
from paperwire.papers.store import upsert_papers
from paperwire.search.embedder import Embedder, load_embedder
from paperwire.web.api.schemas import PaperPublic
from tests.authors.fixture import records
from tests.conftest import TEST_SECRET
from tests.hostile import CHUNK, hostile_server

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
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

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


ODD_REPLIES: list[Any] = [
    b"[" * 100_000,  # nested past any parser's recursion limit
    b'{"choices": [{"message": {"content": ' + b"[" * 100_000 + b"}}]}",
    b"\xff\xfe not UTF-8",
    b"null",
    b'"just a string"',
    {"choices": {"0": {"message": {"content": "x"}}}},
    {"choices": "text"},
    {"choices": [None]},
    {"choices": [{"message": "text"}]},
    {"choices": [{"message": {"content": {"nested": ["a summary"]}}}]},
    {"choices": [{"message": {"content": ["a", "summary"]}}]},
    {"choices": [{"message": {"content": 42}}]},
    {"choices": [{"message": {"content": "A NUL\u0000 in the sentence."}}]},
    {"choices": [{"message": {"content": "A bell \u0007 in the sentence."}}]},
    {"choices": [{"message": {"content": "A noncharacter \uffff here."}}]},
]


def test_an_odd_reply_is_no_summary_and_never_raises(chat_server: str) -> None:
    """Each is logged and passed over; none escapes (a nested one raised RecursionError) and none
    is stored as text (a dict became "{'nested': ...}", a NUL reached PostgreSQL)."""
    _Chat.answers[:] = [(200, reply) for reply in ODD_REPLIES]
    settings = _settings(PAPERWIRE_SUMMARY_URL=chat_server)
    said = [summary.llm_summary(settings, "T", "Abstract.") for _ in ODD_REPLIES]
    assert said == [None] * len(ODD_REPLIES)
    assert _Chat.answers == []


def test_a_control_character_from_the_summariser_is_never_stored(
    engine: Engine, embedder: Embedder, chat_server: str
) -> None:
    chosen = [r for r in records() if r.id == PAPERS[0]]
    with session_scope(engine) as session:
        upsert_papers(session, chosen)
    _Chat.answers[:] = [(200, {"choices": [{"message": {"content": "Bad\u0000 one."}}]})]
    report = enrich_papers(_settings(PAPERWIRE_SUMMARY_URL=chat_server), engine, embedder=embedder)
    assert (report.papers, report.by_model) == (1, 0)
    with session_scope(engine) as session:
        paper = load_paper(session, PAPERS[0])
    assert paper and paper.extracted_summary in summary.sentences(paper.abstract)
    assert "\x00" not in (paper.extracted_summary or "")


def test_the_summariser_is_held_to_a_cap_a_deadline_and_no_redirect(
    monkeypatch: pytest.MonkeyPatch, chat_server: str
) -> None:
    monkeypatch.setattr(summary, "TIMEOUT", 1.0)
    with hostile_server() as server:
        # A 256 MiB reply: refused past 1 MiB, the heap never near it.
        tracemalloc.start()
        try:
            endless = summary.llm_summary(
                _settings(PAPERWIRE_SUMMARY_URL=server.url + "/endless"), "T", "A."
            )
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert endless is None and peak < 8 * CHUNK, peak
        assert server.sent < 32 * CHUNK
        # A reply dripping a byte every 0.2 s: over at the 1 s deadline, not after 8 s.
        started = time.monotonic()
        dripping = _settings(PAPERWIRE_SUMMARY_URL=server.url + "/drip-head")
        assert summary.llm_summary(dripping, "T", "A.") is None
        assert time.monotonic() - started < 2.0
        # A redirect is not followed, wherever it points.
        _Chat.answers[:] = [(200, {"choices": [{"message": {"content": "Followed."}}]})]
        moved = _settings(PAPERWIRE_SUMMARY_URL=f"{server.url}/redirect?to={chat_server}")
        assert summary.llm_summary(moved, "T", "A.") is None
        assert len(_Chat.answers) == 1
    # Only http(s), whether set in code or in the environment.
    for url in ("file:///etc/passwd", "javascript:alert(1)"):
        assert summary.llm_summary(replace(_settings(), summary_url=url), "T", "A.") is None
        with pytest.raises(ConfigError, match="PAPERWIRE_SUMMARY_URL must be an http"):
            _settings(PAPERWIRE_SUMMARY_URL=url)
