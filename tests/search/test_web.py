"""The ``/search`` page on both databases: cards with highlighted matches, filters, paging, and
odd input that never becomes an error page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperwire.config import Settings
from paperwire.papers.records import PaperRecord
from paperwire.search import index
from paperwire.web.app import create_app


@pytest.fixture
def client(settings: Settings, engine: Engine, corpus: list[PaperRecord]) -> TestClient:
    index.sync(settings, engine, embed=False)
    return TestClient(create_app(settings))


def test_search_page_shows_cards_with_marked_matches(client: TestClient) -> None:
    page = client.get("/search", params={"q": "protein structure", "mode": "lexical"})
    assert page.status_code == 200
    assert page.text.count('class="card"') == 1
    assert "<mark>Protein</mark> <mark>structure</mark>" in page.text
    assert 'href="/papers/2606.00006"' in page.text
    assert '<span class="votes-count">70</span>' in page.text


def test_search_page_filters_and_pages(client: TestClient) -> None:
    query = {"q": "models language networks prediction answering", "mode": "lexical"}
    only_bio = client.get("/search", params={**query, "cat": "q-bio"})
    assert only_bio.text.count('class="card"') == 2
    newest = client.get("/search", params={**query, "sort": "date", "since": "2026-06-03"})
    assert newest.text.count('class="card"') == 2
    assert newest.text.index("2606.00006") < newest.text.index("2606.00005")


def test_empty_search_page_is_a_form(client: TestClient) -> None:
    page = client.get("/search")
    assert page.status_code == 200 and 'name="q"' in page.text and 'class="card"' not in page.text


@pytest.mark.parametrize(
    "params",
    [
        {"q": '"unbalanced'},
        {"q": "x" * 10_000},
        {"q": "the of and"},
        {"q": "- : AND OR"},
        {"q": "$\\alpha$ <script>alert(1)</script>"},
        {"q": "量子重力"},
        {"q": "graph", "mode": "nonsense", "sort": "random", "page": "-4", "since": "2026-99-99"},
        {"q": "graph", "since": "2026-07-01", "until": "2026-01-01"},
    ],
)
def test_odd_input_never_makes_an_error_page(client: TestClient, params: dict[str, str]) -> None:
    page = client.get("/search", params=params)
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text
    assert 'class="card"' in page.text or 'class="search-note"' in page.text
