"""Meaning-based search that cannot load its vectors or its model: keyword results meanwhile, the
failure logged and shown on ``/healthz``, and a new try after a back-off that brings it back once
the cause is gone (real index files and a real model path, SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperwire.config import Settings, load_settings
from paperwire.papers.records import PaperRecord
from paperwire.search import index, service
from paperwire.search.service import search
from paperwire.web.app import create_app

QUERY = "AlphaFold folding of amino-acid chains into 3D shapes"


def test_broken_vectors_fall_back_to_keywords_then_recover_after_the_back_off(
    settings: Settings,
    engine: Engine,
    corpus: list[PaperRecord],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service, "SEMANTIC_RETRY", (1.0, 4.0), raising=False)
    index.sync(settings, engine)
    service.forget_searchers()
    meta = index.index_dir(settings) / index.VECTORS_DIR / "meta.json"
    good = meta.read_bytes()
    # A torn write: the vectors' manifest is no longer JSON.
    meta.write_bytes(good[: len(good) // 2])
    with caplog.at_level(logging.ERROR, logger="paperwire.search.service"):
        broken = search(settings, engine, QUERY, mode="hybrid")
    assert broken.mode == "lexical"
    assert any("meaning-based search is unavailable" in n for n in broken.notes)
    [logged] = [r for r in caplog.records if "meaning-based search is off" in r.message]
    assert "JSONDecodeError" in logged.message
    with TestClient(create_app(settings)) as client:
        health = client.get("/healthz", params={"format": "json"})
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded"
        assert [p["key"] for p in body["problems"]] == ["semantic-search"]
        assert "JSONDecodeError" in body["problems"][0]["text"]
        meta.write_bytes(good)
        # Within the back-off the broken load is not tried again on every search...
        assert search(settings, engine, QUERY, mode="hybrid").mode == "lexical"
        time.sleep(1.2)
        # ...after it, the next search loads the repaired vectors and clears the problem.
        healed = search(settings, engine, QUERY, mode="hybrid")
        assert healed.mode == "hybrid" and healed.results[0].id == "2606.00006"
        assert client.get("/healthz").text == "ok"


def test_a_model_path_that_cannot_load_is_reported_on_healthz(
    engine: Engine,
    env: dict[str, str],
    corpus: list[PaperRecord],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PAPERWIRE_EMBEDDING_MODEL", f"{tmp_path}/no-such-model")
    settings = load_settings()
    try:
        index.sync(settings, engine, embed=False)
        with caplog.at_level(logging.ERROR, logger="paperwire.search.service"):
            page = search(settings, engine, QUERY, mode="semantic")
        assert any("no-such-model" in r.message for r in caplog.records)
        assert page.mode == "lexical" and page.results
        with TestClient(create_app(settings)) as client:
            health = client.get("/healthz")
        assert health.status_code == 200
        first, problem = health.text.split("\n")
        assert first == "degraded" and problem.startswith("semantic-search: ")
        # The kind of failure only: /healthz is public, the path is in the log.
        assert "ConfigError" in problem and "no-such-model" not in problem
    finally:
        service.forget_searchers()
