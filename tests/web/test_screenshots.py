"""Screenshots of the home and a paper page in headless Chromium at phone and desktop widths,
saved under test-artifacts/screenshots/ for a person to look at; the pages must not scroll sideways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from paperwire.db.engine import session_scope
from paperwire.papers.records import (
    EntryRecord,
    PaperRecord,
    clean_abstract,
    clean_line,
    parse_time,
)
from paperwire.papers.store import upsert_papers
from tests.web.chromium import OUT
from tests.web.served import Site, load_sample, start_site

WIDTHS = (375, 1280)


def _hf_records(path: Path) -> list[PaperRecord]:
    """A Hugging Face daily list, read just far enough to make realistic pages."""
    records = []
    for item in json.loads(path.read_text()):
        paper = item["paper"]
        submitter = paper.get("submittedOnDailyBy") or {}
        submitted = parse_time(paper.get("submittedOnDailyAt"))
        links = [{"kind": "code", "url": paper["githubRepo"]}] if paper.get("githubRepo") else []
        records.append(
            PaperRecord(
                id=paper["id"],
                arxiv_id=paper["id"],
                title=clean_line(paper["title"]),
                source="hf",
                abstract=clean_abstract(paper.get("summary")),
                authors=[a["name"] for a in paper.get("authors", [])],
                published_at=parse_time(paper.get("publishedAt")),
                links=links,
                extras={
                    "ai_summary": paper.get("ai_summary"),
                    "ai_keywords": paper.get("ai_keywords"),
                },
                upvotes_baseline=paper.get("upvotes", 0),
                entry=EntryRecord(
                    list_date=submitted.date() if submitted else path.stem[-10:],  # type: ignore[arg-type]
                    source="hf",
                    submitted_at=submitted,
                    submitter_name=submitter.get("user"),
                    submitter_info={"fullname": submitter.get("fullname")},
                    imported_comments=item.get("numComments", 0),
                ),
            )
        )
    return records


def test_pages_look_right_on_phone_and_desktop(
    browser: Any,
    sqlite_env: tuple[Engine, dict[str, str]],
    tmp_path: Path,
    shared_data: Path,
) -> None:
    engine, env = sqlite_env
    load_sample(engine)
    with session_scope(engine) as session:
        for name in ("daily_papers_2026-04-20.json", "daily_papers_2026-04-21.json"):
            upsert_papers(session, _hf_records(shared_data / "hf_daily_papers" / name))
    OUT.mkdir(parents=True, exist_ok=True)
    site: Site
    with start_site(env, tmp_path / "serve.log") as site:
        for width in WIDTHS:
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name, path in (
                ("home", "/"),
                ("paper", "/papers/2406.00005"),
                ("day", "/papers/date/2026-04-21"),
                ("empty-day", "/papers/date/2026-06-07"),
            ):
                response = page.goto(site.url + path)
                assert response is not None and response.ok, path
                page.screenshot(path=str(OUT / f"{name}-{width}.png"), full_page=name != "day")
                overflow = page.evaluate(
                    "document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width}px"
                assert page.locator("h1").first.is_visible()
            page.close()
        dark = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
        dark.goto(site.url + "/papers/date/2026-04-21")
        dark.screenshot(path=str(OUT / "day-dark-1280.png"))
        missing = dark.goto(site.url + "/papers/2406.99999")
        assert missing is not None and missing.status == 404
        dark.screenshot(path=str(OUT / "not-found-dark-1280.png"))
        dark.close()
