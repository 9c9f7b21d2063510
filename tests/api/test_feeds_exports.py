"""Atom feeds (read by feedparser with no bozo flag, linked from their pages, 304 when unchanged)
and exports (BibTeX, JSON lines) of the daily list, trending and a search, on the served instance
loaded from recorded Hugging Face lists."""

from __future__ import annotations

import json
import re

import feedparser
import pytest

from tests.api.hf_data import Recorded
from tests.web.served import Site

FEEDS = [
    "/daily.atom",
    "/daily.atom?date=2024-10-25",
    "/daily.atom?week=2026-W24",
    "/daily.atom?month=2024-10",
    "/papers/trending.atom",
    "/search.atom?q=contrastive+loss",
    "/search.atom?q=diffusion&sort=date",
]


@pytest.mark.parametrize("path", FEEDS)
def test_feed_is_valid_atom(loaded_site: Site, path: str) -> None:
    response = loaded_site.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = feedparser.parse(response.content)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.entries and feed.feed.title
    for entry in feed.entries:
        assert entry.title and entry.link.startswith("http") and entry.summary
        assert entry.updated_parsed and entry.authors


def test_feed_entries_are_the_list(loaded_site: Site, recording: dict[str, Recorded]) -> None:
    feed = feedparser.parse(loaded_site.get("/daily.atom?date=2024-10-25").content)
    ids = [entry.link.rsplit("/", 1)[1] for entry in feed.entries]
    want = [r for r in recording.values() if r.list_date == "2024-10-25"]
    assert sorted(ids) == sorted(r.id for r in want)
    assert ids[0] == "2410.17243"
    assert feed.entries[0].title == recording["2410.17243"].title
    assert [a.name for a in feed.entries[0].authors] == recording["2410.17243"].authors

    found = feedparser.parse(loaded_site.get("/search.atom?q=contrastive+loss+batch").content)
    assert found.entries[0].link.endswith("/papers/2410.17243")


def test_conditional_get(loaded_site: Site) -> None:
    for path in ("/daily.atom", "/papers/trending.atom", "/search.atom?q=robot", "/daily.jsonl"):
        first = loaded_site.get(path)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert loaded_site.get(path).headers["ETag"] == etag  # the same list, the same bytes
        again = loaded_site.get(path, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        since = loaded_site.get(path, headers={"If-Modified-Since": modified})
        assert since.status_code == 304
        stale = loaded_site.get(path, headers={"If-None-Match": '"old"'})
        assert stale.status_code == 200 and stale.content == first.content
    old = loaded_site.get(
        "/daily.atom", headers={"If-Modified-Since": "Sat, 01 Jan 2000 00:00:00 GMT"}
    )
    assert old.status_code == 200


def test_pages_link_their_feeds(loaded_site: Site) -> None:
    pages = {
        "/": "/daily.atom",
        "/papers/date/2024-10-25": "/daily.atom?date=2024-10-25",
        "/papers/trending": "/papers/trending.atom",
        "/papers/week/2026-W24": "/daily.atom?week=2026-W24",
        "/papers/month/2024-10": "/daily.atom?month=2024-10",
        "/search?q=robot": "/search.atom?q=robot",
    }
    for page, feed in pages.items():
        head = loaded_site.get(page).text.split("</head>")[0]
        links = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*>', head)
        assert any(f'href="{feed}"' in link.replace("&amp;", "&") for link in links), page
        assert loaded_site.get(feed).status_code == 200


def test_bibtex(loaded_site: Site) -> None:
    one = loaded_site.get("/papers/2410.17243.bib")
    assert one.headers["content-type"].startswith("application/x-bibtex")
    text = one.text
    assert text.startswith("@misc{cheng2024breaking,")
    assert "  eprint = {2410.17243}," in text and "archivePrefix = {arXiv}" in text
    assert "author = {Cheng, Zesen and Zhang, Hang and" in text
    assert text.count("{") == text.count("}")
    assert loaded_site.get("/papers/2410.17243v1.bib").text == text
    assert loaded_site.get("/papers/2401.00001.bib").status_code == 404

    results = loaded_site.get("/search.bib?q=contrastive+loss+batch").text
    keys = re.findall(r"^@misc\{([^,]+),", results, flags=re.MULTILINE)
    assert keys[0] == "cheng2024breaking" and len(keys) == len(set(keys)) > 10
    assert results.count("{") == results.count("}")


def test_json_lines(loaded_site: Site, recording: dict[str, Recorded]) -> None:
    lines = loaded_site.get("/daily.jsonl?date=2024-10-25").text.splitlines()
    papers = [json.loads(line) for line in lines]
    assert len(papers) == 29
    assert {p["id"]: p["upvotes"] for p in papers} == {
        r.id: r.upvotes for r in recording.values() if r.list_date == "2024-10-25"
    }
    trending = loaded_site.get("/papers/trending.jsonl").text.splitlines()
    assert trending and all(json.loads(line)["id"] for line in trending)
    assert loaded_site.get("/search.jsonl?q=robot").text.count("\n") > 0
    assert loaded_site.get("/daily.csv").status_code == 404
    assert loaded_site.get("/daily.jsonl?week=2026-W77").status_code == 400
