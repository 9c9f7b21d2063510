"""Cards and links (issue 20) on the served instance loaded from recorded Hugging Face lists, both
engines: a card shows the source's thumbnail (https only, lazy, in a fixed box) and none where the
source gave none; the API serves it in the HF shape; a paper links its BibTeX, Markdown and JSON; a
public collection links its exports; every list has a visible feed link and autodiscovery."""

from __future__ import annotations

import re

import httpx

from tests.web.served import Site

DAY = "/papers/date/2026-06-10"


def _cards(page: str) -> dict[str, str]:
    """Each card's HTML by its paper id."""
    found = re.findall(
        r'<article class="card" aria-labelledby="t-([^"]+)">(.*?)</article>', page, re.S
    )
    return {pid: body for pid, body in found}


def test_cards_show_the_sources_thumbnail_lazily_in_a_fixed_box(loaded_site: Site) -> None:
    api = httpx.get(loaded_site.url + "/api/daily_papers", params={"date": "2026-06-10"}).json()
    thumbs = {i["paper"]["id"]: i.get("thumbnail") for i in api}
    assert any(thumbs.values()) and all(
        t is None or t.startswith("https://") for t in thumbs.values()
    )
    page = httpx.get(loaded_site.url + DAY, params={"limit": "100"}).text
    cards = _cards(page)
    shown = 0
    for pid, body in cards.items():
        image = re.search(r'<a class="card-thumb"[^>]*><img ([^>]*)>', body)
        if thumbs.get(pid):
            assert image, f"{pid} has a thumbnail but its card shows none"
            attrs = image.group(1)
            assert f'src="{thumbs[pid]}"' in attrs
            assert 'loading="lazy"' in attrs and 'width="320" height="180"' in attrs
            shown += 1
        else:
            assert "card-thumb" not in body, f"{pid} has no thumbnail: nothing to show"
    assert shown > 0


def test_a_paper_links_its_bibtex_markdown_and_json(loaded_site: Site) -> None:
    paper = next(iter(_cards(httpx.get(loaded_site.url + DAY).text)))
    page = httpx.get(f"{loaded_site.url}/papers/{paper}").text
    nav = re.search(r'<nav class="export-links".*?</nav>', page, re.S)
    assert nav
    links = dict(
        (label, href)
        for href, label in re.findall(r'href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(0))
    )
    assert set(links) == {"BibTeX", "Markdown", "JSON"}
    for label, expected in (("BibTeX", "@"), ("Markdown", "# "), ("JSON", '"id"')):
        answer = httpx.get(loaded_site.url + links[label])
        assert answer.status_code == 200 and expected in answer.text, label


def test_every_list_has_a_feed_link_and_autodiscovery(loaded_site: Site) -> None:
    for path in (
        "/",
        DAY,
        "/papers/week/2026-W24",
        "/papers/month/2026-06",
        "/papers/trending",
        "/search?q=image",
    ):
        page = httpx.get(loaded_site.url + path).text
        alternate = re.search(
            r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', page
        )
        assert alternate, f"{path}: no autodiscovery"
        visible = re.search(r'<p class="feed-link"><a href="([^"]+)"', page)
        assert visible, f"{path}: no visible feed link"
        assert visible.group(1) == alternate.group(1), path
        feed = httpx.get(loaded_site.url + visible.group(1).replace("&amp;", "&"))
        assert feed.status_code == 200 and "<feed" in feed.text, path


def test_a_public_collection_links_its_exports(loaded_site: Site, member_token: str) -> None:
    api = httpx.Client(
        base_url=loaded_site.url, headers={"Authorization": f"Bearer {member_token}"}, timeout=60
    )
    made = api.post("/api/collections", json={"name": "Reading group", "isPublic": True}).json()
    paper = next(iter(_cards(httpx.get(loaded_site.url + DAY).text)))
    assert api.put(f"/api/collections/{made['id']}/papers/{paper}").status_code in (200, 204)
    page = httpx.get(f"{loaded_site.url}/collections/fuzzer/{made['slug']}").text
    nav = re.search(r'<nav class="export-links".*?</nav>', page, re.S)
    assert nav
    hrefs = re.findall(r'href="([^"]+)"', nav.group(0))
    assert [h.rsplit(".", 1)[1] for h in hrefs] == ["atom", "bib", "jsonl"]
    for href in hrefs:
        answer = httpx.get(loaded_site.url + href)
        assert answer.status_code == 200 and paper in answer.text, href
