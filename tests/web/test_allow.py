"""A 405 names in ``Allow`` every method the address answers: paperwire has one route per method,
and Starlette's own 405 named only the methods of the first route that matched the path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperwire.config import load_settings
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The application alone: routing answers a 405 before any route reads the database."""
    folder = tmp_path_factory.mktemp("allow")
    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(folder),
            "PAPERWIRE_DATABASE_URL": f"sqlite:///{folder / 'unused.db'}",
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
            "PAPERWIRE_API_RATE_LIMIT": "0",
        }
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("OPTIONS", "/api/collections/1", "PATCH, DELETE"),
        ("POST", "/api/collections/1", "PATCH, DELETE"),
        ("GET", "/api/collections/1/papers/2406.00001", "PUT, DELETE"),
        ("PUT", "/api/papers/2406.00001/comments", "GET, POST"),
        ("PATCH", "/api/papers/2406.00001/vote", "POST, DELETE"),
        ("DELETE", "/api/saved_searches", "GET, POST"),
        ("POST", "/papers/trending", "GET"),
    ],
)
def test_a_405_lists_every_method_of_the_address(
    http: TestClient, method: str, url: str, allowed: str
) -> None:
    answer = http.request(method, url)
    assert answer.status_code == 405 and answer.headers["allow"] == allowed
