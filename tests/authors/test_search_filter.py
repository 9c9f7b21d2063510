"""``au:`` in a search and the author page agree: the same papers, whatever the spelling typed,
on both engines; an author the index does not know is still a word match on names."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.authors.identities import find_author
from paperwire.config import load_settings
from paperwire.search import index, service
from tests.conftest import TEST_SECRET


def test_au_filter_gives_the_author_page_papers(loaded: Engine, tmp_path: Path) -> None:
    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(tmp_path),
            "PAPERWIRE_DATABASE_URL": loaded.url.render_as_string(hide_password=False),
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
        }
    )
    index.sync(settings, loaded, embed=False)
    service.forget_searchers()

    def found(query: str) -> set[str]:
        page = service.search(settings, loaded, query, mode="lexical", limit=100, snippets=False)
        return {r.id for r in page.results}

    with Session(loaded) as session:
        erick = find_author(session, "erick-oliveira-rodrigues")
        w = find_author(session, "w-zhang")
    assert erick and w
    assert (
        found('au:"E. O. Rodrigues"')
        == found("au:erick-oliveira-rodrigues")
        == set(erick.paper_ids)
    )
    assert found('au:"W. Zhang"') == set(w.paper_ids)  # not Weinan's, Wenjun's or Wentao's
    assert found('au:"Emil Bjornson" backhaul') == {"2605.26719"}
    assert found('au:"Emil Bjornson" au:"W. Zhang"') == set()
    assert found("au:Conci") >= {"2605.29217"}  # no author page "conci": words on names


def test_author_pages_api_and_feed_over_http(loaded: Engine, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from paperwire.web.app import create_app

    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(tmp_path),
            "PAPERWIRE_DATABASE_URL": loaded.url.render_as_string(hide_password=False),
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
            "PAPERWIRE_API_RATE_LIMIT": "0",
        }
    )
    with TestClient(create_app(settings), follow_redirects=False) as http:
        moved = http.get("/authors/e-o-rodrigues")
        assert (
            moved.status_code == 307
            and moved.headers["location"] == "/authors/erick-oliveira-rodrigues"
        )
        page = http.get("/authors/erick-oliveira-rodrigues")
        assert page.status_code == 200 and "É. O. Rodrigues" in page.text
        assert "may cover several people" not in page.text
        several = http.get("/authors/w-zhang").text
        assert "may cover several people" in several and 'href="/authors/weinan-zhang"' in several
        shown = http.get("/api/authors/w-zhang").json()
        assert shown["maybeSeveralPeople"] and shown["numPapers"] == 2
        assert [p["id"] for p in shown["papers"]] == ["2606.19348", "2601.14884"]  # newest first
        feed = http.get("/authors/atlas-collaboration.atom")
        assert feed.status_code == 200 and feed.text.count("<entry>") == 1
        huge = http.get("/papers/2605.05444")  # 1,833 authors, each a link
        assert (
            huge.status_code == 200
            and 'href="/authors/the-ligo-scientific-collaboration"' in huge.text
        )
        for missing in ("/authors/nobody-at-all", "/api/authors/nobody-at-all", "/authors/%00"):
            assert http.get(missing).status_code in (404, 422), missing  # 422: NUL refused
