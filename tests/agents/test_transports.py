"""``/mcp`` is behind every layer the JSON API is: the API's rate limit (429 with Retry-After, a
budget per client address, or per token), the 1 MiB body cap, and ``PAPERWIRE_TRUSTED_PROXIES``
(a forwarded address is believed from a trusted proxy only). Served by a real instance on SQLite
and PostgreSQL, driven by the SDK's client and by plain HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from sqlalchemy import Engine

from tests.web.served import Site, load_sample, start_site

LIMIT = 5
CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "daily_papers", "arguments": {"date": "2026-06-05"}},
}
HEADERS = {
    "Accept": "application/json, text/event-stream",
    "Content-Type": "application/json",
    "MCP-Protocol-Version": "2025-06-18",
}


@pytest.fixture
def limited(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    load_sample(engine)
    settings = {**env, "PAPERWIRE_API_RATE_LIMIT": str(LIMIT)}
    with start_site(settings, tmp_path / "serve.log") as site:
        yield site


def post(site: Site, body: Any = CALL, **headers: str) -> httpx.Response:
    return httpx.post(site.url + "/mcp", json=body, headers={**HEADERS, **headers}, timeout=30)


def test_the_sdk_client_and_plain_json_rpc(limited: Site) -> None:
    async def main() -> list[str]:
        async with Client(limited.url + "/mcp") as client:
            result = await client.call_tool("daily_papers", {"date": "2026-06-05"})
            return [p["paper"]["id"] for p in (result.structured_content or {})["papers"]]

    ids = anyio.run(main)
    assert ids == [
        p["paper"]["id"] for p in limited.get("/api/daily_papers?date=2026-06-05").json()
    ]
    # Stateless and in JSON: one POST is one answer, no session to open first.
    answer = post(limited)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"  # the site's security headers
    papers = answer.json()["result"]["structuredContent"]["papers"]
    assert [p["paper"]["id"] for p in papers] == ids


def test_rate_limit_counts_mcp_with_the_api(limited: Site) -> None:
    answers = [post(limited) for _ in range(LIMIT - 1)]
    assert [a.status_code for a in answers] == [200] * (LIMIT - 1)
    assert answers[0].headers["RateLimit-Limit"] == str(LIMIT)
    assert limited.get("/api/daily_papers?limit=1").status_code == 200  # the same budget
    refused = post(limited)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert limited.get("/api/daily_papers?limit=1").status_code == 429


def test_body_cap(limited: Site) -> None:
    big = {**CALL, "params": {"name": "search_papers", "arguments": {"query": "x" * (1 << 20)}}}
    answer = post(limited, big)
    assert answer.status_code == 413
    assert "larger than 1,048,576 bytes" in answer.text


def test_forwarded_addresses_only_from_trusted_proxies(
    engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    load_sample(engine)
    limited = {**env, "PAPERWIRE_API_RATE_LIMIT": str(LIMIT)}

    def spend(site: Site) -> list[int]:
        """Use up one forwarded address's budget, then ask as another one."""
        first = [
            post(site, **{"X-Forwarded-For": "198.51.100.7"}).status_code for _ in range(LIMIT + 1)
        ]
        return [*first, post(site, **{"X-Forwarded-For": "203.0.113.9"}).status_code]

    # Not trusted: the header is ignored, every request is the test's own address.
    with start_site(limited, tmp_path / "direct.log") as site:
        assert spend(site) == [200] * LIMIT + [429, 429]
    trusted = {**limited, "PAPERWIRE_TRUSTED_PROXIES": "127.0.0.1"}
    with start_site(trusted, tmp_path / "proxied.log") as site:
        assert spend(site) == [200] * LIMIT + [429, 200]
