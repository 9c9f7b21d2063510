"""The API's rate limit (429 with Retry-After and RateLimit headers) and its cross-origin rule
(reads open to any origin, nothing else), on a served instance with a small limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from tests.web.served import Site, load_sample, start_site

LIMIT = 5


@pytest.fixture
def limited_site(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    load_sample(engine)
    with start_site(
        {**env, "PAPERWIRE_API_RATE_LIMIT": str(LIMIT)}, tmp_path / "serve.log"
    ) as site:
        yield site


def test_api_rate_limit(limited_site: Site) -> None:
    answers = [limited_site.get("/api/daily_papers?limit=1") for _ in range(LIMIT)]
    assert [a.status_code for a in answers] == [200] * LIMIT
    remaining = [int(a.headers["RateLimit-Remaining"]) for a in answers]
    # The limit slides over two fixed windows, so a boundary may shave the count; never raise it.
    assert remaining[0] == LIMIT - 1 and remaining == sorted(remaining, reverse=True)
    assert all(a.headers["RateLimit-Limit"] == str(LIMIT) for a in answers)
    assert all(1 <= int(a.headers["RateLimit-Reset"]) <= 60 for a in answers)

    refused = limited_site.get("/api/papers/2406.00001")
    assert refused.status_code == 429
    assert "too many" in refused.json()["error"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"
    # Pages are not the API: they stay available.
    assert limited_site.get("/").status_code == 200


def test_cors_is_open_for_reads_only(limited_site: Site) -> None:
    origin = {"Origin": "https://elsewhere.example"}
    read = limited_site.get("/api/daily_papers?limit=1", headers=origin)
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "RateLimit-Remaining" in read.headers["Access-Control-Expose-Headers"]
    markdown = limited_site.get("/papers/2406.00001.md", headers=origin)
    assert markdown.headers["Access-Control-Allow-Origin"] == "*"

    preflight = {**origin, "Access-Control-Request-Method": "GET"}
    ok = limited_site.get("/api/daily_papers", headers=preflight)  # a GET with the header is a GET
    assert ok.status_code == 200
    allowed = httpx.options(limited_site.url + "/api/daily_papers", headers=preflight)
    assert (
        allowed.status_code == 204
        and allowed.headers["Access-Control-Allow-Methods"] == "GET, HEAD"
    )
    write = {**origin, "Access-Control-Request-Method": "POST"}
    refused = httpx.options(limited_site.url + "/api/subscriptions", headers=write)
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers

    # Pages are not shared with other origins.
    assert "Access-Control-Allow-Origin" not in limited_site.get("/", headers=origin).headers
