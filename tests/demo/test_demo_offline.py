"""The demo works offline (issue 20), on both engines: its local replay answers the arXiv API for
the recorded papers, so submitting one adds it without any network, and any other id is refused at
once with a plain sentence saying the demo has no network; the digest preview takes
``PAPERWIRE_TODAY`` as today."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import Engine

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.demo import recordings
from paperwire.digests import delivery, subscriptions
from paperwire.errors import SourceError
from paperwire.ingest.http import Fetcher
from paperwire.ingest.submit import submit_paper
from tests.recording import LOCAL
from tests.web.served import load_sample


@pytest.fixture
def arxiv_replay() -> Iterator[str]:
    endpoint, server = recordings.start()
    try:
        yield recordings.arxiv_url(endpoint)
    finally:
        server.shutdown()
        server.server_close()


def test_a_recorded_id_is_added_from_the_recordings(engine: Engine, arxiv_replay: str) -> None:
    recorded = sorted(recordings.recorded_papers())
    assert len(recorded) == 6
    with Fetcher(
        source="arxiv", retries=2, backoff=1.0, max_wait=10, timeout=20, allow_private=LOCAL
    ) as fetcher:
        result = submit_paper(
            engine, fetcher, arxiv_replay, recorded[0], list_date=date(2026, 7, 4)
        )
    assert result.added and result.fetched
    assert result.title == recordings.recorded_papers()[recorded[0]].title


def test_any_other_id_says_the_demo_has_no_network_at_once(
    engine: Engine, arxiv_replay: str
) -> None:
    started = time.perf_counter()
    with (
        Fetcher(
            source="arxiv", retries=2, backoff=1.0, max_wait=10, timeout=20, allow_private=LOCAL
        ) as fetcher,
        pytest.raises(SourceError) as refused,
    ):
        submit_paper(engine, fetcher, arxiv_replay, "2501.00001")
    elapsed = time.perf_counter() - started
    message = str(refused.value)
    assert message.startswith("This demo has no network, so it cannot look up 2501.00001 on arXiv.")
    assert "http" not in message and "DNS" not in message  # no developer detail
    assert elapsed < 2.0, elapsed


def test_the_digest_preview_takes_the_configured_today(engine: Engine, env: dict[str, str]) -> None:
    load_sample(engine)  # its lists end on 2026-06-05
    with session_scope(engine) as session:
        subscriptions.request_subscription(
            session,
            load_settings(),
            "reader@example.org",
            subscriptions.preferences("daily"),
            client="test",
        )
    settings = load_settings()
    assert delivery.preview(settings, engine, "reader@example.org").is_empty
    fixed = replace(settings, today=date(2026, 6, 6))
    assert not delivery.preview(fixed, engine, "reader@example.org").is_empty
