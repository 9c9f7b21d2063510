"""Only http(s) addresses from ingested data become links: ``safe_url`` at ingest (Hugging Face
``githubRepo``, ``projectPage``, media, avatars; links found in abstracts), and again on every
surface for links already stored (cards, the paper page, Markdown, the API), on both engines."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.ingest import hf
from paperwire.papers.links import extract_links, safe_url
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers
from paperwire.web.app import create_app

PAPER = "2405.00007"
HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "//evil.example/x",
    "/relative/path",
    "https://",
    "https:///nohost",
    'https://example.org/"><script>',
    "file:///etc/passwd",
]


@pytest.mark.parametrize("url", HOSTILE)
def test_only_http_addresses_with_a_host_are_safe(url: str) -> None:
    assert safe_url(url) is None


def test_real_addresses_stay_as_they_are() -> None:
    for url in ("https://github.com/a/b", "http://example.org/p?q=1#x", "HTTPS://Example.org"):
        assert safe_url(url) == url
    assert safe_url(None) is None and safe_url(7) is None


def test_ingest_keeps_only_http_links() -> None:
    item = {
        "paper": {
            "id": PAPER,
            "title": "Links",
            "submittedOnDailyAt": "2024-05-01T00:00:00Z",
            "githubRepo": "javascript:alert(1)",
            "projectPage": "https://project.example.org",
            "submittedOnDailyBy": {"user": "ann", "avatarUrl": "data:image/svg+xml,<svg/>"},
        },
        "thumbnail": "javascript:alert(2)",
        "mediaUrls": ["data:text/html,x", "https://cdn.example.org/v.mp4"],
    }
    record = hf.parse_item(item, None)
    assert not isinstance(record, str)
    assert record.links == [{"kind": "project", "url": "https://project.example.org"}]
    assert "github_repo" not in record.extras and "thumbnail" not in record.extras
    assert record.extras["media_urls"] == ["https://cdn.example.org/v.mp4"]
    assert record.entry is not None and "avatarUrl" not in record.entry.submitter_info
    found = extract_links("See javascript:alert(1)//github.com/a/b and https://github.com/c/d .")
    assert found == [{"kind": "code", "url": "https://github.com/c/d"}]


@pytest.fixture
def http(engine: Engine, env: dict[str, str]) -> Iterator[TestClient]:
    """A paper stored with hostile links, as data ingested before ``safe_url`` would be."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    record = PaperRecord(
        id=PAPER,
        arxiv_id=PAPER,
        title="Hostile links",
        source="hf",
        abstract="An abstract.",
        authors=["Ann Lee"],
        links=[
            {"kind": "code", "url": "javascript:alert('code')"},
            {"kind": "project", "url": "data:text/html,<script>alert(1)</script>"},
        ],
        extras={
            "github_repo": "javascript:alert('repo')",
            "project_page": "javascript:alert('page')",
            "thumbnail": "javascript:alert('thumb')",
            "media_urls": ["javascript:alert('media')"],
        },
        published_at=now,
        entry=EntryRecord(
            list_date=now.date(),
            source="hf",
            submitted_at=now,
            submitter_name="ann",
            submitter_info={"avatarUrl": "javascript:alert('avatar')"},
        ),
    )
    with session_scope(engine) as session:
        upsert_papers(session, [record])
    with TestClient(create_app(load_settings())) as client:
        yield client


def _no_hostile_scheme(text: str) -> None:
    assert "Hostile links" in text or PAPER in text
    assert "javascript:" not in text.lower() and "data:text" not in text.lower()


def test_no_surface_renders_a_stored_hostile_link(http: TestClient) -> None:
    for path in ("/", f"/papers/{PAPER}", f"/papers/{PAPER}.md"):
        response = http.get(path)
        assert response.status_code == 200, path
        _no_hostile_scheme(response.text)
    paper = http.get(f"/api/papers/{PAPER}")
    assert paper.status_code == 200
    assert paper.json().get("githubRepo") is None and paper.json().get("projectPage") is None
    _no_hostile_scheme(paper.text)
    daily = http.get("/api/daily_papers")
    assert daily.status_code == 200 and daily.json()[0]["paper"]["id"] == PAPER
    _no_hostile_scheme(daily.text)


def test_site_paths_are_kept_only_where_asked() -> None:
    assert safe_url("/avatars/a.svg") is None
    assert safe_url("/avatars/a.svg", site_path=True) == "/avatars/a.svg"
    for url in ("//evil.example/a.svg", "javascript:x", "/a\\b", "/a b"):
        assert safe_url(url, site_path=True) is None
