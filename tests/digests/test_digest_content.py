"""What a digest says, read from the real message a real SMTP server process received: plain text
that is text, escaped HTML, topic sections holding only papers on the topic, and a topic whose search
fails named in the digest, logged and shown on ``/healthz`` (SQLite and PostgreSQL).

The papers are a recorded Hugging Face daily list (``data/``, see its README), embedded by the shipped
model as in production."""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.digests import compose
from paperwire.digests.delivery import send_digests
from paperwire.ingest import hf
from paperwire.mail.sender import SmtpSender
from paperwire.papers.records import PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.search import index, service
from paperwire.web.app import create_app
from tests.digests.support import add_subscribers
from tests.mail.smtp_sink import SmtpSink

DAY = date(2026, 7, 1)
RECORDED = Path(__file__).parent / "data" / "daily_papers_2026-07-01.json"
ORCA, MEMLEARNER = "2606.30534", "2606.31734"


@pytest.fixture
def recorded_day(engine: Engine, mail_env: dict[str, str]) -> dict[str, PaperRecord]:
    records = [r for r in hf.read_file(RECORDED) if isinstance(r, PaperRecord)]
    assert len(records) == 23
    with session_scope(engine) as session:
        upsert_papers(session, records)
    service.forget_searchers()
    report = index.sync(load_settings(), engine)
    assert report.embedded == 23 and report.embed_error is None
    service.forget_searchers()
    return {r.id: r for r in records}


def _send(engine: Engine, smtp: SmtpSink, day: date = DAY):  # type: ignore[no-untyped-def]
    return send_digests(
        load_settings(),
        engine,
        SmtpSender(smtp.url),
        frequency="daily",
        day=day,
        retry_delays=(0.0,),
    )


def _sections(text: str) -> dict[str, str]:
    """The plain-text part's sections by title."""
    parts = re.split(r"^== (.+) ==$", text, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _on_topic(paper: PaperRecord, topic: str) -> bool:
    return topic in f"{paper.title} {paper.abstract}".lower()


def test_text_part_is_plain_text_and_html_part_is_escaped(
    engine: Engine, recorded_day: dict[str, PaperRecord], smtp: SmtpSink
) -> None:
    [address] = add_subscribers(engine, 1, topics=["reinforcement learning"])
    assert _send(engine, smtp).sent == 1
    [msg] = smtp.messages(address)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # 2606.32032's abstract begins "... to monitor and regulate one's own cognitive processes".
    assert "one's own cognitive" in text
    assert not re.search(r"&(#\d+|#x[0-9a-f]+|amp|lt|gt|quot|apos);", text), text
    assert "one&#39;s own cognitive" in html and "one's own cognitive" not in html
    assert "Reinforcement Learning with Metacognitive Feedback" in text


def test_a_topic_lists_only_papers_on_it_or_says_nothing_new(
    engine: Engine, recorded_day: dict[str, PaperRecord], smtp: SmtpSink
) -> None:
    topics = ["reinforcement learning", "protein folding"]
    [address] = add_subscribers(engine, 1, topics=topics)
    assert _send(engine, smtp).sent == 1
    [msg] = smtp.messages(address)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    sections = _sections(text)
    listed = re.findall(r"/papers/([0-9.]+)", sections["New on “reinforcement learning”"])
    assert listed, text
    for pid in listed:
        assert _on_topic(recorded_day[pid], "reinforcement learning"), recorded_day[pid].title
    # The two papers the issue found under this topic: neither mentions it.
    assert ORCA not in listed and MEMLEARNER not in listed
    assert "Nothing new on “protein folding”" in sections["New on “protein folding”"]
    assert "/papers/" not in sections["New on “protein folding”"]
    assert "Nothing new on “protein folding”" in html


def test_only_papers_holding_the_topic_strongly_enough_pass(
    engine: Engine, recorded_day: dict[str, PaperRecord]
) -> None:
    settings = load_settings()
    period = (date(2026, 6, 1), date(2026, 7, 2))
    strengths = dict(compose.topic_strengths(settings, engine, "reinforcement learning", *period))
    # Only papers holding the phrase are candidates: none of the two.
    assert set(strengths) == {
        pid for pid, p in recorded_day.items() if _on_topic(p, "reinforcement learning")
    }
    assert ORCA not in strengths and MEMLEARNER not in strengths
    # The strength is BM25 over the phrase's IDF: the phrase in the title weighs more than once in
    # the abstract, and it stays in the saturated term frequency's range whatever the index size.
    assert max(strengths, key=strengths.__getitem__) == "2606.32032"
    assert all(0 < v < 2.2 for v in strengths.values())
    found = compose.topic_matches(settings, engine, "reinforcement learning", *period)
    assert found == [
        pid
        for pid, v in sorted(strengths.items(), key=lambda kv: -kv[1])
        if v >= compose.TOPIC_MIN_STRENGTH
    ]
    # A topic written with the query syntax is searched as written.
    assert compose.phrase_query("world models") == '"world models"'
    assert compose.phrase_query("ti:diffusion -protein") == "ti:diffusion -protein"
    assert compose.topic_matches(settings, engine, "protein folding", *period) == []


def test_a_topic_whose_search_fails_is_retried_then_named_logged_and_shown_on_healthz(
    engine: Engine,
    recorded_day: dict[str, PaperRecord],
    smtp: SmtpSink,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(compose, "TOPIC_RETRY_DELAYS", (0.0, 0.0), raising=False)
    [address] = add_subscribers(engine, 1, topics=["reinforcement learning"])
    settings = load_settings()
    # The keyword index as a torn or overwritten file leaves: not a database at all.
    lexical = index.index_dir(settings) / index.LEXICAL_FILE
    for extra in ("-wal", "-shm"):
        Path(f"{lexical}{extra}").unlink(missing_ok=True)
    lexical.write_bytes(b"this is not an SQLite database\n" * 200)
    service.forget_searchers()
    with caplog.at_level(logging.WARNING):
        report = _send(engine, smtp)
    assert report.sent == 1
    [msg] = smtp.messages(address)
    text = msg.get_body(("plain",)).get_content()
    assert "Papers on “reinforcement learning” could not be searched for this digest" in text
    assert "DatabaseError" not in text
    attempts = [
        r for r in caplog.records if "searching topic 'reinforcement learning'" in r.message
    ]
    assert len(attempts) == 3
    [left_out] = [r for r in caplog.records if "left out" in r.message]
    assert "subscription" in left_out.message and address not in left_out.message
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz")
        assert health.status_code == 200 and health.text.startswith("degraded\n")
        assert "digest-topics: " in health.text and "DatabaseError" in health.text
        # /healthz is public: it names no subscriber's topic.
        assert "reinforcement" not in health.text
        # Repaired (the index rebuilt from the database): the next run's topic clears the problem.
        lexical.unlink()
        service.forget_searchers()
        index.sync(settings, engine, embed=False)
        service.forget_searchers()
        content = compose.PeriodContent(settings, engine, compose.period_for("daily", DAY))
        assert content.topic("reinforcement learning")
        assert client.get("/healthz").text == "ok"
