"""Weeks, months, trending, paging and the header, fetched from a real ``paperwire serve``."""

from __future__ import annotations

import re
import subprocess

from tests.web.served import Site, paperwire_command


def test_week_pages_list_the_week_and_step_to_weeks_with_papers(site: Site) -> None:
    page = site.get("/papers/week/2026-W23")
    assert page.status_code == 200
    html = page.text
    assert "<h1" in html and html.count("<h1") == 1
    assert "Papers of Week 23 of 2026" in html and "1\N{EN DASH}7 June 2026" in html
    assert "3 papers in 1 daily list" in html
    beta, gamma, alpha = (html.find(t) for t in ("Beta: three", "Gamma: an old", "Alpha: a paper"))
    assert -1 < beta < gamma < alpha
    assert "Delta: hidden" not in html
    assert 'href="/papers/date/2026-06-05">5 Jun 2026</a>' in html
    assert 'rel="next" href="/papers/week/2026-W24"' in html
    assert 'rel="prev"' not in html
    later = site.get("/papers/week/2026-W24").text
    assert "Epsilon: bounds on" in later and 'rel="prev" href="/papers/week/2026-W23"' in later


def test_an_empty_week_points_to_the_nearest_weeks(site: Site) -> None:
    html = site.get("/papers/week/2026-W10").text
    assert "No papers were submitted in Week 10 of 2026" in html
    assert 'href="/papers/week/2026-W23">2026-W23</a> (after)' in html


def test_month_pages_and_the_links_from_a_day(site: Site) -> None:
    html = site.get("/papers/month/2026-06").text
    assert "Papers of June 2026" in html and "4 papers in 2 daily lists" in html
    assert html.find("Epsilon: bounds") < html.find("Beta: three")
    assert 'rel="prev"' not in html and 'rel="next"' not in html
    day = site.get("/papers/date/2026-06-05").text
    assert 'href="/papers/week/2026-W23">Week 23 of 2026</a>' in day
    assert 'href="/papers/month/2026-06">June 2026</a>' in day
    before = site.get("/papers/month/2026-05").text
    assert 'rel="next" href="/papers/month/2026-06"' in before


def test_bad_periods_get_the_friendly_400_page(site: Site) -> None:
    for path, words in (
        ("/papers/week/2026-23", "Weeks look like 2026-W23"),
        ("/papers/week/2025-W53", "2025 has no ISO week 53"),
        ("/papers/month/2026-13", "not a real month"),
        ("/papers/month/%3Cb%3Ex", "&lt;b&gt;x"),
    ):
        page = site.get(path)
        assert page.status_code == 400, path
        assert words in page.text, path
        assert "Traceback" not in page.text and "<b>x" not in page.text


def test_trending_explains_its_score_in_one_sentence(site: Site) -> None:
    html = site.get("/papers/trending").text
    assert "Trending papers" in html
    assert "upvotes divided by (hours since they were submitted + 2) to the power 1.5" in html
    # Epsilon (42 votes, the newest) outranks Beta (13 votes, three days older).
    assert -1 < html.find("Epsilon: bounds") < html.find("Beta: three")
    assert "Delta: hidden" not in html and "Zeta: in no daily list" not in html
    assert 'href="/papers/trending" aria-current="page"' in html


def test_every_page_has_the_navigation_and_a_header_search(site: Site) -> None:
    for path in ("/", "/papers/trending", "/papers/week/2026-W23", "/papers/2406.00005"):
        html = site.get(path).text
        for href in ("/", "/papers/trending", "/search", "/subscribe"):
            assert f'<a href="{href}"' in html, (path, href)
        assert 'role="search"' in html and 'for="header-q"' in html
        assert 'class="skip-link" href="#main"' in html
        assert '<script defer src="/static/tex.js">' in html


def test_cards_show_authors_submitter_comments_and_code(site: Site) -> None:
    html = site.get("/").text
    card = html[html.find('<article class="card"') : html.find("</article>")]
    text = re.sub(r"<[^>]+>", "", card)  # author names are links to their pages
    assert "Author 1, Author 2, Author 3 and 9 others" in text
    assert '<a href="/authors/author-1">Author 1</a>' in card
    assert "(12 authors)" in card
    assert 'Submitted by <span class="submitter">alice</span>' in card
    assert re.search(r'href="/papers/2406.00005#discussion">0 comments<', card)
    assert 'class="pill" href="https://github.com/example/epsilon"' in card


def test_the_paper_page_links_similar_papers_found_by_shared_words(
    site: Site, env: dict[str, str]
) -> None:
    html = site.get("/papers/2406.00005").text
    assert 'id="similar-title">Similar papers<' in html
    assert 'data-similar="/papers/2406.00005/similar?part=list"' in html
    assert 'id="discussion"' in html
    assert html.count("<h1") == 1
    # The sample papers share the words of "The abstract of ..."; the index is built on demand.
    subprocess.run(
        [*paperwire_command(), "index", "--no-embed"], env=env, check=True, capture_output=True
    )
    page = site.get("/papers/2406.00001/similar")
    assert page.status_code == 200 and page.text.count("<h1") == 1
    assert 'href="/papers/2406.00002">Beta: three' in page.text
    assert 'href="/papers/2406.00001">' in page.text  # the title links back
    part = site.get("/papers/2406.00001/similar?part=list").text
    assert part.lstrip().startswith('<ol class="similar-list">') and "<html" not in part
    assert site.get("/papers/2406.99999/similar").status_code == 404


def test_static_maths_renderer_is_served(site: Site) -> None:
    for path, kind in (
        ("/static/katex/katex.min.js", "javascript"),
        ("/static/katex/katex.min.css", "css"),
        ("/static/katex/fonts/KaTeX_Main-Regular.woff2", "font"),
        ("/static/tex.js", "javascript"),
    ):
        response = site.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"], path
