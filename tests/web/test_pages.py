"""The served pages, fetched from a real ``paperwire serve`` process on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, text

from tests.web.served import COMMUNITY, Site, load_sample, start_site


def _positions(html: str, *needles: str) -> list[int]:
    found = [html.find(n) for n in needles]
    assert -1 not in found, f"missing one of {needles}"
    return found


def test_home_shows_the_latest_daily_list(site: Site) -> None:
    page = site.get("/")
    assert page.status_code == 200
    html = page.text
    assert "Daily Papers" in html
    assert f"by the {COMMUNITY} community" in html
    assert "Monday 8 June 2026" in html
    assert "Epsilon: bounds on" in html
    assert "12 authors" in html
    assert 'Submitted by <span class="submitter">alice</span>' in html
    assert 'href="https://github.com/example/epsilon"' in html
    assert '<span class="visually-hidden">with</span>1234<' in html
    # Saturday holds only a hidden paper, so the previous list is Friday's.
    assert 'rel="prev" href="/papers/date/2026-06-05"' in html
    assert 'rel="next"' not in html
    assert "Alpha: a paper" not in html


def test_empty_database_says_so(empty_site: Site) -> None:
    page = empty_site.get("/")
    assert page.status_code == 200
    assert "No papers yet" in page.text


def test_date_page_orders_by_votes_and_links_neighbours(site: Site) -> None:
    page = site.get("/papers/date/2026-06-05")
    assert page.status_code == 200
    html = page.text
    assert "Friday 5 June 2026" in html
    # Beta has 3 imported + 10 member votes; Gamma and Alpha tie at 5, Gamma was submitted first.
    beta, gamma, alpha = _positions(html, "Beta: three", "Gamma: an old-style", "Alpha: a paper")
    assert beta < gamma < alpha
    assert re.search(r'class="votes-count">13<', html)
    assert "(1 author)<" in html
    assert "3 papers" in html
    assert 'rel="next" href="/papers/date/2026-06-08"' in html
    assert 'rel="prev"' not in html
    assert "Delta: hidden" not in html


def test_a_day_without_papers_points_to_the_nearest_days(site: Site) -> None:
    for day in ("2026-06-07", "2026-06-06"):
        page = site.get(f"/papers/date/{day}")
        assert page.status_code == 200
        assert "No papers were submitted on" in page.text
        assert 'href="/papers/date/2026-06-05">Friday 5 June 2026</a>' in page.text
        assert 'href="/papers/date/2026-06-08">Monday 8 June 2026</a>' in page.text
        assert "Delta: hidden" not in page.text
    assert (
        "No papers were submitted on Sunday 7 June 2026" in site.get("/papers/date/2026-06-07").text
    )
    later = site.get("/papers/date/2027-01-01").text
    assert "No papers were submitted on Friday 1 January 2027" in later
    assert 'rel="prev" href="/papers/date/2026-06-08"' in later


def test_paper_page_shows_everything_escaped(site: Site) -> None:
    page = site.get("/papers/2406.00005")
    assert page.status_code == 200
    html = page.text
    # Hostile markup comes out as text; TeX keeps its dollars.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in html
    assert "&lt;i&gt;all&lt;/i&gt;" in html and "<i>all</i>" not in html
    assert "$x^2$" in html
    assert "$\\alpha &lt; \\beta$" in html
    assert html.count("<p>We study") == 1 and "<p>A second paragraph" in html
    for i in range(1, 13):
        assert f'<li><a href="/authors/author-{i}">Author {i}</a></li>' in html
    for expected in (
        'href="https://arxiv.org/abs/2406.00005"',
        'href="https://arxiv.org/pdf/2406.00005"',
        'href="https://github.com/example/epsilon"',
        'href="https://example.org/epsilon"',
        'href="https://doi.org/10.1234/epsilon.5"',
        "J. Test. Phys. 12 (2026) 34",
        "14 pages, 3 figures",
        "cs.CL",
        "cs.LG",
        'href="/papers/date/2026-06-08">Monday 8 June 2026</a>',
        "Alice Example",
        'class="votes-count">42<',
        'code at <a href="https://github.com/example/epsilon" rel="nofollow noopener">',
    ):
        assert expected in html, expected
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_old_style_ids_versions_and_papers_outside_lists(site: Site) -> None:
    old = site.get("/papers/hep-th/9901001")
    assert old.status_code == 200
    assert "Gamma: an old-style identifier" in old.text
    assert 'href="https://arxiv.org/abs/hep-th/9901001"' in old.text
    versioned = site.get("/papers/2406.00005v2", follow_redirects=False)
    assert versioned.status_code == 301
    assert versioned.headers["location"] == "/papers/2406.00005"
    loose = site.get("/papers/2406.00006")
    assert loose.status_code == 200
    assert "Zeta: in no daily list" in loose.text
    assert "In the daily list" not in loose.text


def test_friendly_errors(site: Site) -> None:
    for path, status, words in (
        ("/papers/2406.99999", 404, "There is no paper 2406.99999"),
        ("/papers/2406.00004", 404, "There is no paper 2406.00004"),  # hidden
        ("/papers/hep-th/0000001", 404, "There is no paper hep-th/0000001"),
        ("/papers/date/2026-02-30", 400, "not a real calendar date"),
        ("/papers/date/yesterday", 400, "Dates look like"),
        ("/no/such/page", 404, "There is no page at this address"),
    ):
        page = site.get(path)
        assert page.status_code == status, path
        assert words in page.text, path
        assert "Go to the latest papers" in page.text
        assert "Traceback" not in page.text
    assert site.get("/healthz").text == "ok"


def test_server_errors_show_a_friendly_page(site: Site, engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE comments RENAME TO comments_away"))
    try:
        page = site.get("/papers/date/2026-06-05")
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE comments_away RENAME TO comments"))
    assert page.status_code == 500
    assert "Something went wrong" in page.text
    for leak in ("Traceback", "comments", "sqlalchemy", "OperationalError", "ProgrammingError"):
        assert leak not in page.text
    assert "Traceback" in site.log.read_text()


def test_several_workers_serve_the_same_site(
    engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    load_sample(engine)
    with start_site(env, tmp_path / "serve.log", "--workers", "2") as workers:
        for _ in range(6):
            page = workers.get("/papers/date/2026-06-05")
            assert page.status_code == 200
            assert f"by the {COMMUNITY} community" in page.text
            assert "Beta: three" in page.text
