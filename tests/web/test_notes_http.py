"""Notes and read marks (issue 23) through two served app instances on one database (SQLite and
PostgreSQL): what a member writes or marks on one node, the other shows them at once, by form,
JSON API and MCP alike; and nobody else ever sees it: another member, a visitor and another
member's token are tried on every surface (paper page, day page, API, MCP, exports, feeds)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import orjson
import pytest
from citeproc.source.json import CiteProcJSON
from sqlalchemy import Engine

from paperwire.accounts.tokens import create_token
from paperwire.db.engine import session_scope
from paperwire.db.models import User
from tests.api.test_mcp import call, http_client, refused
from tests.web.members import add_member, client, post_form, signed_in
from tests.web.served import Site, load_sample, start_site

PAPER, OTHER = "2406.00001", "2406.00002"
PAGE, DAY, WEEK = f"/papers/{PAPER}", "/papers/date/2026-06-05", "/papers/week/2026-W23"
SECRET = "Ada's **private** idea <script>alert(1)</script> $x_1$"
PRIVATE = "private, no-store"


@pytest.fixture
def nodes(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Site, Site]]:
    """Two app instances with homes of their own on the same database."""
    load_sample(engine)
    other = {**env, "PAPERWIRE_HOME": str(tmp_path / "home-b")}
    with (
        start_site(env, tmp_path / "a.log") as first,
        start_site(other, tmp_path / "b.log") as second,
    ):
        yield first, second


def _token(engine: Engine, name: str) -> str:
    user_id = add_member(engine, name)
    with session_scope(engine) as session:
        user = session.get(User, user_id)
        assert user is not None
        return create_token(session, user, "notes").secret


def _api(site: Site, token: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=site.url, headers=headers, timeout=30)


def _read_button(page: str, paper_id: str) -> str | None:
    found = re.search(
        rf'action="/papers/{re.escape(paper_id)}/read".*?aria-pressed="(true|false)"', page, re.S
    )
    return found.group(1) if found else None


def test_notes_and_read_marks_across_nodes_for_their_owner_alone(
    nodes: tuple[Site, Site], engine: Engine
) -> None:
    a, b = nodes
    ada_token, bob_token = _token(engine, "ada"), _token(engine, "bob")
    ada_a, ada_b, bob_b = signed_in(a, "ada"), signed_in(b, "ada"), signed_in(b, "bob")

    # A note written by form on node A is on node B's page, sanitised and rendered.
    assert post_form(ada_a, PAGE, PAGE + "/note", {"body": SECRET}).status_code == 303
    page = ada_b.get(PAGE).text
    assert (
        "Ada&#39;s <strong>private</strong> idea" in page
        or "Ada's <strong>private</strong>" in page
    )
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<span class="tex">$x_1$</span>' in page

    # The API on node B reads it and writes it; node A's page follows.
    ada_api = _api(b, ada_token)
    got = ada_api.get(f"/api/papers/{PAPER}/note")
    assert got.status_code == 200 and got.json()["body"] == SECRET
    assert got.headers["cache-control"] == PRIVATE
    put = ada_api.put(f"/api/papers/{PAPER}/note", json={"body": "Ada's *private* idea, v2"})
    assert (
        put.status_code == 200 and put.json()["html"] == "<p>Ada's <em>private</em> idea, v2</p>\n"
    )
    assert "Ada's <em>private</em> idea, v2" in ada_a.get(PAGE).text
    assert ada_api.put(f"/api/papers/{OTHER}/note", json={"body": "x" * 20_001}).status_code == 422
    assert ada_api.get("/api/papers/2406.00004/note").status_code == 404  # a hidden paper

    # Read marks: by form on node A, by API on node B; each node's cards show both.
    assert _read_button(ada_a.get(DAY).text, PAPER) == "false"
    answer = post_form(ada_a, DAY, PAGE + "/read", {"action": "read", "next": DAY})
    assert answer.status_code == 303 and answer.headers["location"] == DAY
    marked = ada_api.post(f"/api/papers/{OTHER}/read")
    assert marked.json() == {"paperId": OTHER, "read": True}
    day = ada_b.get(DAY).text
    assert _read_button(day, PAPER) == _read_button(day, OTHER) == "true"
    # Hidden from the member's lists when they ask, in the service: day, week, For you.
    hidden_day = ada_a.get(DAY + "?read=hide").text
    assert (
        f'href="/papers/{PAPER}"' not in hidden_day and f'href="/papers/{OTHER}"' not in hidden_day
    )
    assert "hep-th/9901001" in hidden_day
    assert f'href="/papers/{PAPER}"' not in ada_b.get(WEEK + "?read=hide").text
    assert f'href="/papers/{PAPER}"' in ada_b.get(WEEK).text
    feed = "/api/me/feed?period=week&date=2026-06-05"
    everything = [p["paper"]["id"] for p in ada_api.get(feed).json()]
    unread = [p["paper"]["id"] for p in ada_api.get(feed + "&hide_read=true").json()]
    assert {PAPER, OTHER} <= set(everything) and not {PAPER, OTHER} & set(unread) and unread
    for_you = "/for-you?period=week&date=2026-06-05"
    assert f'/papers/{PAPER}"' in ada_a.get(for_you).text
    assert 'href="/for-you?period=week&amp;date=2026-06-05&amp;read=hide">hide<' in (
        ada_a.get(for_you).text
    )
    assert f'/papers/{PAPER}"' not in ada_a.get(for_you + "&read=hide").text
    # Unmarking by API shows it again, as the plain toggle says.
    assert ada_api.delete(f"/api/papers/{OTHER}/read").json() == {"paperId": OTHER, "read": False}
    assert _read_button(ada_a.get(DAY).text, OTHER) == "false"
    # The in-place toggle (static/vote.js) gets JSON from the same form.
    token = re.search(r'name="csrf_token" value="([^"]+)"', ada_a.get(DAY).text)
    assert token
    inplace = ada_a.post(
        PAGE + "/read",
        data={"action": "unread", "csrf_token": token.group(1)},
        headers={"Accept": "application/json"},
    )
    assert inplace.json() == {"paper_id": PAPER, "read": False}
    post_form(ada_a, DAY, PAGE + "/read", {"action": "read"})

    # Exports: the member's notes as Markdown and CSL-JSON, with the papers they belong to.
    md = ada_api.get("/api/me/notes.md")
    assert md.status_code == 200 and md.headers["cache-control"] == PRIVATE
    assert "## [Alpha" in md.text and f"/papers/{PAPER}>)" in md.text
    assert "Ada's *private* idea, v2" in md.text
    csl = ada_api.get("/api/me/notes.csl.json")
    assert csl.headers["cache-control"] == PRIVATE
    items = orjson.loads(csl.content)
    assert [i["URL"] for i in items] == [f"https://arxiv.org/abs/{PAPER}"]
    assert items[0]["note"].endswith("Ada's *private* idea, v2")
    parsed = CiteProcJSON(items)  # a real CSL-JSON reader takes it
    assert str(parsed[next(iter(parsed))]["note"]).endswith("idea, v2")
    listed = ada_api.get("/api/me/notes").json()
    assert [(n["paperId"], n["body"]) for n in listed] == [(PAPER, "Ada's *private* idea, v2")]

    # MCP, over streamable HTTP on node A: the same note; a write shows in the API on node B.
    async def mcp() -> None:
        async with http_client(a, ada_token) as ada_mcp:
            read = await call(ada_mcp, "note", paper_id=PAPER)
            assert read["note"] == "Ada's *private* idea, v2"
            assert read["note"] == ada_api.get(f"/api/papers/{PAPER}/note").json()["body"]
            wrote = await call(ada_mcp, "note", paper_id=OTHER, body="from an agent")
            assert wrote["html"] == "<p>from an agent</p>\n"
        async with http_client(a, bob_token) as bob_mcp:
            assert await call(bob_mcp, "note", paper_id=PAPER) == {"paperId": PAPER, "note": None}
        async with http_client(a) as anonymous:
            text = await refused(anonymous, "note", paper_id=PAPER)
            assert "needs their API token" in text and "private" not in text

    anyio.run(mcp)
    assert ada_api.get(f"/api/papers/{OTHER}/note").json()["body"] == "from an agent"

    # Nobody else sees any of it: another member (page, token), a visitor, on every surface.
    secret_bits = ("idea, v2", "from an agent")

    def shows_nothing(text: str) -> None:
        assert not any(bit in text for bit in secret_bits), text[:500]

    bob_api, visitor = _api(b, bob_token), client(a)
    for browser in (bob_b, visitor):
        shows_nothing(browser.get(PAGE).text)
        day = browser.get(DAY).text
        assert _read_button(day, PAPER) in (None, "false")
        assert f'href="/papers/{PAPER}"' in browser.get(DAY + "?read=hide").text
    assert _read_button(bob_b.get(DAY).text, PAPER) == "false"
    assert _read_button(visitor.get(DAY).text, PAPER) is None
    assert bob_api.get(f"/api/papers/{PAPER}/note").status_code == 404
    assert bob_api.get("/api/me/notes").json() == []
    shows_nothing(bob_api.get("/api/me/notes.md").text)
    assert orjson.loads(bob_api.get("/api/me/notes.csl.json").content) == []
    bob_feed = [p["paper"]["id"] for p in bob_api.get(feed + "&hide_read=true").json()]
    assert PAPER in bob_feed
    assert bob_api.delete(f"/api/papers/{PAPER}/note").status_code == 204  # his own: none
    assert ada_api.get(f"/api/papers/{PAPER}/note").status_code == 200  # Ada's untouched
    for path in (f"/api/papers/{PAPER}/note", "/api/me/notes", "/api/me/notes.md"):
        assert visitor.get(path).status_code == 401
    assert visitor.put(f"/api/papers/{PAPER}/note", json={"body": "x"}).status_code in (401, 403)
    assert visitor.post(f"/api/papers/{PAPER}/read").status_code in (401, 403)
    # A token opens no page: Ada's token on her paper page is a visitor's view.
    shows_nothing(_api(a, ada_token).get(PAGE).text)
    # Feeds and exports of lists and papers carry no note.
    for path in (
        "/daily.atom?date=2026-06-05",
        "/daily.csl.json?week=2026-W23",
        f"/papers/{PAPER}.csl.json",
        f"/papers/{PAPER}.bib",
        f"/papers/{PAPER}.md",
        f"/api/papers/{PAPER}",
        "/api/daily_papers?date=2026-06-05",
    ):
        answer = visitor.get(path)
        assert answer.status_code == 200, path
        shows_nothing(answer.text)
    for path in ("/for-you.csl.json?period=week", "/api/me/feed?period=week&date=2026-06-05"):
        shows_nothing(bob_b.get(path).text)
