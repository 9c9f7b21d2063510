"""RIS and CSL-JSON of a paper, the daily lists, trending, a search, a public collection and a
member's For you, served by the instance loaded with recorded lists (SQLite and PostgreSQL) and
read back by rispy and citeproc-py: the same papers in the same order as the JSON lines of the same
list. The paper page carries the Highwire ``citation_*`` tags Zotero's connector reads."""

from __future__ import annotations

import json
from typing import Any

import httpx
import orjson
import pytest
import rispy
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON
from lxml import html
from sqlalchemy import delete

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.models import User
from tests.api.conftest import DATABASES
from tests.api.hf_data import Recorded
from tests.web.members import add_member, signed_in
from tests.web.served import Site

PAPER = "2410.17243"
LISTS = [
    "/daily.{fmt}?date=2024-10-25",
    "/daily.{fmt}?week=2026-W24",
    "/daily.{fmt}?month=2026-06",
    "/papers/trending.{fmt}",
    "/search.{fmt}?q=contrastive+loss",
]


def get(site: Site, path: str, client: httpx.Client | None = None) -> httpx.Response:
    """``path`` of ``site``, as a visitor or as ``client`` (a signed-in member)."""
    answer = client.get(path) if client is not None else site.get(path)
    assert answer.status_code == 200, answer.text
    return answer


def ris_of(site: Site, path: str, client: httpx.Client | None = None) -> list[dict[str, Any]]:
    answer = get(site, path, client)
    assert answer.headers["content-type"] == "application/x-research-info-systems; charset=utf-8"
    return list(rispy.loads(answer.text))


def csl_of(site: Site, path: str, client: httpx.Client | None = None) -> list[dict[str, Any]]:
    answer = get(site, path, client)
    assert answer.headers["content-type"].startswith("application/vnd.citationstyles.csl+json")
    items: list[dict[str, Any]] = orjson.loads(answer.content)
    # citeproc-py renders every item (it raises on data it cannot read).
    style = CitationStylesStyle("harvard-cite-them-right", validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), citeproc_formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    assert len(bibliography.bibliography()) == len(items)
    return items


def jsonl_ids(site: Site, path: str) -> list[str]:
    answer = get(site, path)
    return [json.loads(line)["id"] for line in answer.text.splitlines()]


def arxiv_of(record: dict[str, Any]) -> str:
    return str(record["urls"][0]).rsplit("/abs/", 1)[1]


def test_one_paper(loaded_site: Site, recording: dict[str, Recorded]) -> None:
    recorded = recording[PAPER]
    [record] = ris_of(loaded_site, f"/papers/{PAPER}.ris")
    assert record["id"] == "cheng2024breaking" and record["type_of_reference"] == "UNPB"
    assert record["title"] == recorded.title
    assert record["authors"][0] == "Cheng, Zesen"
    assert len(record["authors"]) == len(recorded.authors)
    assert record["urls"] == [
        f"https://arxiv.org/abs/{PAPER}",
        f"http://localhost:8000/papers/{PAPER}",
    ]
    assert record["abstract"] == " ".join(recorded.summary.split())

    [item] = csl_of(loaded_site, f"/papers/{PAPER}.csl.json")
    assert item["id"] == "cheng2024breaking" and item["title"] == recorded.title
    assert item["author"][0] == {"family": "Cheng", "given": "Zesen"}
    assert item["number"] == f"arXiv:{PAPER}"

    versioned = loaded_site.get(f"/papers/{PAPER}v1.ris")
    assert versioned.text == loaded_site.get(f"/papers/{PAPER}.ris").text
    assert loaded_site.get("/papers/2401.00001.ris").status_code == 404
    assert loaded_site.get(f"/papers/{PAPER}.docx").status_code == 404
    assert loaded_site.get(f"/papers/{PAPER}.bib").text.startswith("@misc{cheng2024breaking,")
    again = loaded_site.get(
        f"/papers/{PAPER}.csl.json",
        headers={"If-None-Match": loaded_site.get(f"/papers/{PAPER}.csl.json").headers["ETag"]},
    )
    assert again.status_code == 304


@pytest.mark.parametrize("path", LISTS)
def test_lists_are_the_same_papers_in_the_same_order(loaded_site: Site, path: str) -> None:
    want = jsonl_ids(loaded_site, path.format(fmt="jsonl"))
    assert want
    records = ris_of(loaded_site, path.format(fmt="ris"))
    assert [arxiv_of(r) for r in records] == want
    items = csl_of(loaded_site, path.format(fmt="csl.json"))
    assert [i["URL"].rsplit("/abs/", 1)[1] for i in items] == want
    assert [r["id"] for r in records] == [i["id"] for i in items]  # one key per paper
    assert len({i["id"] for i in items}) == len(items)


def test_a_collection_and_for_you(loaded_site: Site) -> None:
    engine = make_engine(DATABASES[loaded_site.url])
    add_member(engine, "zotero_fan")
    browser = signed_in(loaded_site, "zotero_fan")
    try:
        made = _make_collection(loaded_site, browser, "Cite later", public=True)
        hidden = _make_collection(loaded_site, browser, "Private stash", public=False)
        path = f"/collections/zotero_fan/{made}/papers.{{fmt}}"
        want = jsonl_ids(loaded_site, path.format(fmt="jsonl"))
        assert want == [PAPER]
        assert [arxiv_of(r) for r in ris_of(loaded_site, path.format(fmt="ris"))] == want
        assert len(csl_of(loaded_site, path.format(fmt="csl.json"))) == 1
        private = f"/collections/zotero_fan/{hidden}/papers.ris"
        assert loaded_site.get(private).status_code == 404

        # For you: the member's own ranking, as their feed in the API gives it, never cached.
        answer = browser.get("/for-you.ris?period=month")
        assert answer.status_code == 200 and answer.headers["Cache-Control"] == "private, no-store"
        ranked = [arxiv_of(r) for r in rispy.loads(answer.text)]
        feed = browser.get("/api/me/feed?period=month&limit=50").json()
        assert ranked == [item["paper"]["id"] for item in feed] and ranked
        assert len(csl_of(loaded_site, "/for-you.csl.json", browser)) > 0
        assert browser.get("/for-you.txt").status_code == 404
        # A visitor has no For you to export.
        assert httpx.get(loaded_site.url + "/for-you.ris").status_code in (401, 303)
    finally:
        browser.close()
        with session_scope(engine) as session:
            session.execute(delete(User).where(User.username == "zotero_fan"))
        engine.dispose()


def _make_collection(site: Site, browser: httpx.Client, name: str, *, public: bool) -> str:
    """A collection of the signed-in member made through the JSON API (the session cookie and a
    JSON body), holding ``PAPER``; its slug."""
    made = browser.post("/api/collections", json={"name": name, "isPublic": public})
    assert made.status_code == 201, made.text
    # A JSON body, as a script sends: no cross-site form can (the CSRF rule of /api).
    added = browser.put(f"/api/collections/{made.json()['id']}/papers/{PAPER}", json={})
    assert added.status_code == 204, added.text
    return str(made.json()["slug"])


def test_paper_page_has_citation_tags(loaded_site: Site, recording: dict[str, Recorded]) -> None:
    recorded = recording[PAPER]
    page = html.fromstring(loaded_site.get(f"/papers/{PAPER}").content)

    def meta(name: str) -> list[str]:
        return [str(m.get("content")) for m in page.xpath(f'//head/meta[@name="{name}"]')]

    assert meta("citation_title") == [recorded.title]
    assert meta("citation_author") == recorded.authors
    assert meta("citation_publication_date") == [recorded.published_at[:10].replace("-", "/")]
    assert meta("citation_arxiv_id") == [PAPER]
    assert meta("citation_pdf_url") == [f"https://arxiv.org/pdf/{PAPER}"]
    assert meta("citation_abstract_html_url") == [f"http://localhost:8000/papers/{PAPER}"]
    alternates = {
        str(link.get("type")): str(link.get("href"))
        for link in page.xpath('//head/link[@rel="alternate"]')
    }
    assert alternates["application/x-research-info-systems"] == f"/papers/{PAPER}.ris"
    assert alternates["application/vnd.citationstyles.csl+json"] == f"/papers/{PAPER}.csl.json"
