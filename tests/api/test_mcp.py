"""The MCP server, driven by the official SDK's own client: over streamable HTTP at ``/mcp`` of the
served instance loaded with recorded lists (SQLite and PostgreSQL), and over stdio through a real
``paperwire mcp`` process on the same database. Every tool's answer is compared with the JSON API's
answer to the same request; member tools need a token, act for its member alone, and never show
another member's data; malformed arguments are refused naming the field; a huge ``limit`` gives the
API's maximum."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from sqlalchemy import delete, select

from paperwire.accounts.tokens import create_token
from paperwire.agents.tools import LIMITS
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.models import User
from paperwire.papers.votes import all_voted, retract_vote
from tests.api.conftest import DATABASES
from tests.web.members import add_member
from tests.web.served import Site, paperwire_command

PAPER = "2410.17243"
PUBLIC_TOOLS = {
    "daily_papers",
    "search_papers",
    "get_paper",
    "similar_papers",
    "trending",
    "author",
}
MEMBER_TOOLS = {"for_you", "collections", "add_to_collection", "upvote", "note"}


@dataclass(frozen=True)
class Members:
    alice: str  # API tokens
    bob: str


@pytest.fixture
def members(loaded_site: Site) -> Iterator[Members]:
    """Two members of the loaded site with API tokens; afterwards their votes are taken back and
    they go with all they made (collections cascade), so the site stays as recorded."""
    engine = make_engine(DATABASES[loaded_site.url])
    tokens = {}
    for name in ("mcp_alice", "mcp_bob"):
        add_member(engine, name)
        with session_scope(engine) as session:
            user = session.scalars(select(User).where(User.username == name)).one()
            tokens[name] = create_token(session, user, "mcp").secret
    try:
        yield Members(tokens["mcp_alice"], tokens["mcp_bob"])
    finally:
        with session_scope(engine) as session:
            for user in session.scalars(select(User).where(User.username.startswith("mcp_"))):
                for paper_id in all_voted(session, user.id):
                    retract_vote(session, user.id, paper_id)
                session.execute(delete(User).where(User.id == user.id))
        engine.dispose()


@asynccontextmanager
async def http_client(site: Site, token: str | None = None) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(site.url + "/mcp", http_client=http)) as client,
    ):
        yield client


def stdio_params(site: Site, token: str | None = None) -> StdioServerParameters:
    """``paperwire mcp`` on the loaded site's database and home (its search index)."""
    command = paperwire_command()
    env = {
        "PAPERWIRE_DATABASE_URL": DATABASES[site.url],
        "PAPERWIRE_HOME": str(site.log.parent / "home"),
        "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
        **({"PAPERWIRE_MCP_TOKEN": token} if token else {}),
    }
    return StdioServerParameters(command=command[0], args=[*command[1:], "mcp"], env=env)


def api(site: Site, path: str, token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = httpx.get(site.url + path, headers=headers, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    """The tool's structured answer (its text for a tool that answers text); fails on an error."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, result.content
    if result.structured_content is None:
        return result.content[0].text  # type: ignore[union-attr]
    return result.structured_content


async def refused(client: Client, tool: str, **arguments: Any) -> str:
    """The text of the tool's error result."""
    result = await client.call_tool(tool, arguments)
    assert result.is_error, result.structured_content
    return str(result.content[0].text)  # type: ignore[union-attr]


def same_page(found: dict[str, Any], want: dict[str, Any]) -> bool:
    """Two search answers are the same: the same papers in the same order, every key equal; the
    scores of a hybrid search equal to float noise (another process embedded the query)."""
    scores = [r.pop("score") for r in found["results"]], [r.pop("score") for r in want["results"]]
    assert scores[0] == pytest.approx(scores[1], rel=1e-6, abs=1e-6)
    assert found == want
    return True


def same_as_api(site: Site, client: Client) -> Any:
    """Call every public tool and compare it with the API's answer to the same request."""

    async def check() -> None:
        # Lists of the daily-papers shape: the same items (every key), in the same order.
        daily = await call(client, "daily_papers", date="2024-10-25")
        assert daily["papers"] == api(site, "/api/daily_papers?date=2024-10-25")
        assert len(daily["papers"]) == 29
        week = await call(client, "daily_papers", week="2026-W24", sort="trending", limit=7)
        assert week["papers"] == api(site, "/api/daily_papers?week=2026-W24&sort=trending&limit=7")
        page = await call(client, "daily_papers", month="2026-06", page=1, limit=5)
        assert page["papers"] == api(site, "/api/daily_papers?month=2026-06&p=1&limit=5")

        found = await call(
            client, "search_papers", query="contrastive loss", mode="lexical", limit=10
        )
        assert same_page(found, api(site, "/api/search?q=contrastive+loss&mode=lexical&limit=10"))
        assert found["results"][0]["id"] == PAPER
        filtered = await call(
            client,
            "search_papers",
            query='"language model" -vision',
            since="2024-01-01",
            until="2026-12-31",
            sort="date",
        )
        want = api(
            site,
            "/api/search?q=%22language+model%22+-vision&since=2024-01-01&until=2026-12-31&sort=date",
        )
        assert same_page(filtered, want)
        assert filtered["results"]
        by_category = await call(client, "search_papers", query="robot", categories=["cs.RO"])
        assert same_page(by_category, api(site, "/api/search?q=robot&cat=cs.RO"))

        markdown = await call(client, "get_paper", paper_id=PAPER)
        assert markdown == httpx.get(f"{site.url}/papers/{PAPER}.md").text
        resource = await client.read_resource(f"paperwire://papers/{PAPER}")
        assert resource.contents[0].text == markdown  # type: ignore[union-attr]

        like = await call(client, "similar_papers", paper_id=PAPER, limit=5)
        assert like["papers"] == api(site, f"/api/papers/{PAPER}/similar?limit=5")
        assert len(like["papers"]) == 5

        hot = await call(client, "trending")
        lines = httpx.get(site.url + "/papers/trending.jsonl").text.splitlines()
        assert hot["papers"] == [json.loads(line) for line in lines[:50]]

        person = await call(client, "author", name="Zesen Cheng")
        assert person == api(site, f"/api/authors/{person['slug']}")
        assert any(p["id"] == PAPER for p in person["papers"])

    return check()


def test_tools_over_http_answer_as_the_api(loaded_site: Site) -> None:
    async def main() -> None:
        async with http_client(loaded_site) as client:
            listed = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert set(listed) == PUBLIC_TOOLS | MEMBER_TOOLS
            for tool in listed.values():
                assert tool.description and tool.input_schema["type"] == "object"
            search = listed["search_papers"].input_schema
            assert search["required"] == ["query"]
            assert set(search["properties"]["mode"]["enum"]) == {"hybrid", "lexical", "semantic"}
            await same_as_api(loaded_site, client)

    anyio.run(main)


def test_tools_over_stdio_answer_as_the_api(loaded_site: Site, members: Members) -> None:
    async def main() -> None:
        async with Client(stdio_params(loaded_site)) as client:
            assert {t.name for t in (await client.list_tools()).tools} >= PUBLIC_TOOLS
            await same_as_api(loaded_site, client)
            text = await refused(client, "for_you")
            assert "PAPERWIRE_MCP_TOKEN" in text
        async with Client(stdio_params(loaded_site, members.alice)) as client:
            feed = await call(client, "for_you", period="week", date="2026-06-10", limit=5)
            path = "/api/me/feed?period=week&date=2026-06-10&limit=5"
            assert feed["papers"] == api(loaded_site, path, members.alice)

    anyio.run(main)


def test_member_tools_act_for_the_token_alone(loaded_site: Site, members: Members) -> None:
    def post(path: str, token: str, body: dict[str, Any]) -> Any:
        answer = httpx.post(
            loaded_site.url + path, json=body, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 201, answer.text
        return answer.json()

    bobs = post("/api/collections", members.bob, {"name": "Bob's secret", "isPublic": False})
    alices = post("/api/collections", members.alice, {"name": "To read", "isPublic": False})

    async def main() -> None:
        async with http_client(loaded_site) as anonymous:
            for tool, arguments in [
                ("for_you", {}),
                ("collections", {}),
                ("add_to_collection", {"collection_id": bobs["id"], "paper_id": PAPER}),
                ("upvote", {"paper_id": PAPER}),
            ]:
                text = await refused(anonymous, tool, **arguments)
                assert "needs their API token" in text and "Authorization: Bearer" in text
        async with http_client(loaded_site, "pw_not-a-real-token") as forged:
            assert "not valid" in await refused(forged, "collections")

        async with http_client(loaded_site, members.alice) as alice:
            feed = await call(alice, "for_you", period="month", date="2026-06-10", limit=20)
            want = api(
                loaded_site, "/api/me/feed?period=month&date=2026-06-10&limit=20", members.alice
            )
            assert feed["papers"] == want and len(want) == 20

            mine = await call(alice, "collections")
            assert mine["collections"] == api(
                loaded_site, "/api/members/mcp_alice/collections", members.alice
            )
            assert [c["id"] for c in mine["collections"]] == [alices["id"]]  # never Bob's

            added = await call(
                alice, "add_to_collection", collection_id=alices["id"], paper_id=PAPER
            )
            assert added["added"] is True
            papers = api(
                loaded_site, f"/api/members/mcp_alice/collections/{alices['slug']}", members.alice
            )
            assert [p["paper"]["id"] for p in papers] == [PAPER]
            # Bob's collection is not Alice's to change, nor to learn anything about.
            text = await refused(
                alice, "add_to_collection", collection_id=bobs["id"], paper_id=PAPER
            )
            assert "Bob" not in text and "secret" not in text
            assert (
                api(loaded_site, f"/api/members/mcp_bob/collections/{bobs['slug']}", members.bob)
                == []
            )

            before = api(loaded_site, f"/api/papers/{PAPER}")["upvotes"]
            vote = await call(alice, "upvote", paper_id=PAPER)
            assert vote == {"paperId": PAPER, "voted": True, "upvotes": before + 1}
            assert (await call(alice, "upvote", paper_id=PAPER))["upvotes"] == before + 1
            assert api(loaded_site, f"/api/papers/{PAPER}")["upvotes"] == before + 1
            undone = await call(alice, "upvote", paper_id=PAPER, undo=True)
            assert undone == {"paperId": PAPER, "voted": False, "upvotes": before}

        async with http_client(loaded_site, members.bob) as bob:
            theirs = await call(bob, "collections")
            assert [c["id"] for c in theirs["collections"]] == [bobs["id"]]

    anyio.run(main)


def test_malformed_arguments_and_huge_limits(loaded_site: Site) -> None:
    async def main() -> None:
        async with http_client(loaded_site) as client:
            for tool, arguments, field in [
                ("daily_papers", {"date": "yesterday"}, "date"),
                ("daily_papers", {"week": "2026-24"}, "week"),
                ("daily_papers", {"limit": "many"}, "limit"),
                ("daily_papers", {"limit": 0}, "limit"),
                ("search_papers", {}, "query"),
                ("search_papers", {"query": "x", "mode": "psychic"}, "mode"),
                ("search_papers", {"query": "a\x00b"}, "query"),
                ("get_paper", {"paper_id": "../../etc/passwd"}, "paper_id"),
                ("add_to_collection", {"collection_id": "one", "paper_id": PAPER}, "collection_id"),
            ]:
                text = await refused(client, tool, **arguments)
                assert "validation error" in text and f"\n{field}\n" in text, (tool, text)
            # Two periods at once: the service's refusal, as the API's.
            both = await refused(client, "daily_papers", date="2024-10-25", week="2026-W24")
            assert "only one of date, week and month" in both
            assert "no paper" in (await refused(client, "get_paper", paper_id="2401.00001"))

            huge = 10**9
            assert LIMITS["daily_papers"] == 100
            everything = await call(client, "daily_papers", limit=huge)
            assert everything["papers"] == api(loaded_site, "/api/daily_papers?limit=100")
            assert len(everything["papers"]) == 100
            found = await call(client, "search_papers", query="model", limit=huge)
            assert same_page(found, api(loaded_site, "/api/search?q=model&limit=100"))
            assert found["limit"] == 100 and len(found["results"]) == 100
            like = await call(client, "similar_papers", paper_id=PAPER, limit=huge)
            assert like["papers"] == api(loaded_site, f"/api/papers/{PAPER}/similar?limit=50")

    anyio.run(main)


def test_limits_are_the_apis(loaded_site: Site) -> None:
    """``LIMITS`` are the maxima the OpenAPI document gives the same parameters."""
    document = api(loaded_site, "/openapi.json")

    def maximum(path: str) -> int:
        parameters = document["paths"][path]["get"]["parameters"]
        return int(next(p for p in parameters if p["name"] == "limit")["schema"]["maximum"])

    assert LIMITS["daily_papers"] == maximum("/api/daily_papers")
    assert LIMITS["search_papers"] == maximum("/api/search")
    assert LIMITS["similar_papers"] == maximum("/api/papers/{paper_id}/similar")
    assert LIMITS["for_you"] == maximum("/api/me/feed")
