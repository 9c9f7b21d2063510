"""``/metrics`` answers only the operator's scraper: the ``PAPERWIRE_METRICS_TOKEN`` Bearer token
(as Prometheus sends it) or an address of ``PAPERWIRE_METRICS_ALLOW``; anyone else, and everyone
when neither is set, gets 403 with no figure. A real server on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from paperwire.config import load_settings
from paperwire.errors import ConfigError
from tests.web.served import start_site

TOKEN = "scrape-token-0123456789abcdef"


def _from(address: str, base: str) -> httpx.Client:
    """A client connecting from ``address`` (any 127.0.0.0/8 address is this machine's)."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base, transport=transport, timeout=30)


def test_metrics_need_the_token_or_an_allowed_address(env: dict[str, str], tmp_path: Path) -> None:
    settings = {"PAPERWIRE_METRICS_TOKEN": TOKEN, "PAPERWIRE_METRICS_ALLOW": "127.0.0.2/32"}
    with start_site({**env, **settings}, tmp_path / "serve.log") as site:
        with _from("127.0.0.1", site.url) as anyone:
            for headers in (
                {},
                {"Authorization": "Bearer wrong-token-0123456789abcdef"},
                {"Authorization": f"Basic {TOKEN}"},
                {"Authorization": f"Bearer {TOKEN}x"},
                {"Authorization": "Bearer café".encode()},  # type: ignore[dict-item]  # raw bytes
            ):
                refused = anyone.get("/metrics", headers=headers)
                assert refused.status_code == 403, (headers, refused.text)
                assert "paperwire_" not in refused.text
            scraped = anyone.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
            assert scraped.status_code == 200
            assert "paperwire_index_lag_seconds" in scraped.text
        with _from("127.0.0.2", site.url) as allowed:
            assert "paperwire_index_lag_seconds" in allowed.get("/metrics").text
        with _from("127.0.0.3", site.url) as other:
            assert other.get("/metrics").status_code == 403


def test_metrics_are_closed_by_default(env: dict[str, str], tmp_path: Path) -> None:
    with start_site(env, tmp_path / "serve.log") as site:
        refused = site.get("/metrics")
        assert refused.status_code == 403 and "PAPERWIRE_METRICS_TOKEN" in refused.text
        assert site.get("/healthz").status_code == 200


def test_a_short_token_or_a_bad_address_is_refused_at_start() -> None:
    with pytest.raises(ConfigError, match="at least 16 characters"):
        load_settings({"PAPERWIRE_METRICS_TOKEN": "change-me"})
    with pytest.raises(ConfigError, match="PAPERWIRE_METRICS_ALLOW must list"):
        load_settings({"PAPERWIRE_METRICS_ALLOW": "prometheus.local"})
