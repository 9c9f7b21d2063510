"""The MCP server: paperwire's tools, each with the JSON schema of its arguments, and each paper as
a resource (``paperwire://papers/{id}``, its Markdown). Built on the official SDK's ``MCPServer``.

A tool's arguments are checked against its schema before it runs (a malformed one is an error
result naming the field); then ``tools.py`` answers in a worker thread (the SDK runs a plain
function there), so a database read never holds up the event loop. paperwire's own errors
(``PaperNotFound``, ``NotSignedIn``...) come back as error results carrying their sentence, as the
API's JSON errors do. Member tools read the API token from the request's ``Authorization: Bearer``
header over HTTP, or from the token ``paperwire mcp`` was started with over stdio.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from paperwire import __version__
from paperwire.agents import tools
from paperwire.agents.tools import LIMITS, Backend
from paperwire.community.notes import MAX_NOTE
from paperwire.errors import PaperwireError
from paperwire.web.api.hf import MAX_QUERY
from paperwire.web.convertors import PAPER_ID_REGEX
from paperwire.web.inputs import MAX_CATEGORIES, IsoDate, IsoWeek, Line, Month

T = TypeVar("T")
INSTRUCTIONS = (
    "paperwire: a community's daily list of research papers (arXiv). Find papers with "
    "daily_papers, search_papers, trending, similar_papers and author; read one with get_paper "
    "(or the resource paperwire://papers/{id}). for_you, collections, add_to_collection, "
    "upvote and note act for a member and need their API token."
)
READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True)

PaperId = Annotated[
    str,
    Field(pattern=f"^{PAPER_ID_REGEX}$", description="an arXiv id, e.g. 2403.04640"),
]


def _limit(tool: str, default: int) -> Any:
    return Field(
        default,
        ge=1,
        description=f"how many papers (at most {LIMITS[tool]}: a larger number gives that many)",
    )


def _answer(call: Callable[[], T]) -> T:
    """``call()``, its paperwire error turned into the tool's error result (its sentence)."""
    try:
        return call()
    except PaperwireError as exc:
        raise ToolError(str(exc)) from exc


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header (the JSON API's rule, ``web.auth``)."""
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def build_server(backend: Backend, *, token: str | None = None) -> MCPServer:
    """paperwire's MCP server over ``backend``. ``token`` is the member of a stdio server (one
    client, the person who started it); over HTTP each request's header says, and ``token`` is
    None."""
    # The SDK's constructor configures the root logger (a Rich handler and its level) when it has
    # none: the server's log would change format and lose paperwire's INFO lines. Put it back.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    server: MCPServer = MCPServer(
        "paperwire",
        title=backend.settings.community,
        instructions=INSTRUCTIONS,
        website_url=backend.settings.base_url,
        version=__version__,
        log_level="WARNING",  # the SDK logs every call at INFO; the site's own log is enough
    )
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("mcp").setLevel(logging.WARNING)

    def token_of(ctx: Context) -> str | None:
        if token is not None:
            return token
        headers = ctx.headers
        return bearer(headers.get("authorization")) if headers is not None else None

    @server.tool(annotations=READ, structured_output=True)
    def daily_papers(
        date: Annotated[IsoDate | None, Field(description="one list date, YYYY-MM-DD")] = None,
        week: Annotated[IsoWeek | None, Field(description="an ISO week, YYYY-Www")] = None,
        month: Annotated[Month | None, Field(description="a month, YYYY-MM")] = None,
        sort: Literal["publishedAt", "trending"] = "publishedAt",
        page: Annotated[int, Field(ge=0, le=100_000, description="page, from 0")] = 0,
        limit: Annotated[int, _limit("daily_papers", 50)] = 50,
    ) -> dict[str, Any]:
        """Papers of the daily lists of a date, week or month (at most one of the three; none:
        every list, newest first): by list date, most upvoted first within a day, or by trending
        score. As GET /api/daily_papers."""
        return _answer(
            lambda: tools.daily_papers(
                backend,
                date=date.isoformat() if date else None,
                week=week,
                month=month,
                sort=sort,
                page=page,
                limit=limit,
            )
        )

    @server.tool(annotations=READ, structured_output=True)
    def search_papers(
        query: Annotated[
            Line,
            Field(
                max_length=MAX_QUERY,
                description='words, "phrases", -excluded, author:/au:, title:/ti:, cat:, id:',
            ),
        ],
        mode: Literal["hybrid", "lexical", "semantic"] = "hybrid",
        sort: Literal["relevance", "date", "votes"] = "relevance",
        since: Annotated[IsoDate | None, Field(description="published on or after")] = None,
        until: Annotated[IsoDate | None, Field(description="published on or before")] = None,
        categories: Annotated[
            list[Line], Field(max_length=MAX_CATEGORIES, description="arXiv categories, e.g. cs.CL")
        ] = [],  # noqa: B006  (pydantic copies defaults)
        page: Annotated[int, Field(ge=1, le=1000, description="page, from 1")] = 1,
        limit: Annotated[int, _limit("search_papers", 20)] = 20,
    ) -> dict[str, Any]:
        """Search the papers (hybrid: keywords and meaning; or lexical, or semantic), best first,
        with the site's query operators and filters. As GET /api/search."""
        return _answer(
            lambda: tools.search_papers(
                backend,
                query=query,
                mode=mode,
                sort=sort,
                since=since,
                until=until,
                categories=categories,
                page=page,
                limit=limit,
            )
        )

    @server.tool(annotations=READ, structured_output=False)  # Markdown, as text
    def get_paper(paper_id: PaperId) -> str:
        """One paper as Markdown: title, authors, links, abstract. As GET /papers/{id}.md."""
        return _answer(lambda: tools.get_paper(backend, paper_id=paper_id))

    @server.tool(annotations=READ, structured_output=True)
    def similar_papers(
        paper_id: PaperId, limit: Annotated[int, _limit("similar_papers", 10)] = 10
    ) -> dict[str, Any]:
        """Papers like this one, most similar first. As GET /api/papers/{id}/similar."""
        return _answer(lambda: tools.similar_papers(backend, paper_id=paper_id, limit=limit))

    @server.tool(annotations=READ, structured_output=True)
    def trending(limit: Annotated[int, _limit("trending", 50)] = 50) -> dict[str, Any]:
        """Papers of the last week ranked by upvotes and age, highest first. As
        GET /papers/trending.jsonl."""
        return _answer(lambda: tools.trending(backend, limit=limit))

    @server.tool(annotations=READ, structured_output=True)
    def author(
        name: Annotated[
            Line,
            Field(
                min_length=1,
                max_length=255,
                description="an author's page slug (zoe-muller) or any spelling of the name",
            ),
        ],
    ) -> dict[str, Any]:
        """An author's papers (newest first), co-authors and categories. As
        GET /api/authors/{slug}."""
        return _answer(lambda: tools.author(backend, name=name))

    @server.tool(annotations=READ, structured_output=True)
    def for_you(
        ctx: Context,
        period: Literal["day", "week", "month"] = "day",
        date: Annotated[
            IsoDate | None, Field(description="a day of the period (default: the latest list)")
        ] = None,
        limit: Annotated[int, _limit("for_you", 50)] = 50,
    ) -> dict[str, Any]:
        """(Member's API token.) The papers of a day, week or month ranked for the member, each
        with its score and the reason it was picked. As GET /api/me/feed."""
        sent = token_of(ctx)
        return _answer(lambda: tools.for_you(backend, sent, period=period, date=date, limit=limit))

    @server.tool(annotations=READ, structured_output=True)
    def collections(ctx: Context) -> dict[str, Any]:
        """(Member's API token.) The member's collections, public and private, with their ids.
        As GET /api/members/{you}/collections."""
        sent = token_of(ctx)
        return _answer(lambda: tools.my_collections(backend, sent))

    @server.tool(annotations=WRITE, structured_output=True)
    def add_to_collection(
        ctx: Context,
        collection_id: Annotated[
            int, Field(ge=1, le=2**31 - 1, description="an id from the collections tool")
        ],
        paper_id: PaperId,
    ) -> dict[str, Any]:
        """(Member's API token.) Add a paper to one of the member's collections (adding twice
        changes nothing). As PUT /api/collections/{id}/papers/{paper}."""
        sent = token_of(ctx)
        return _answer(
            lambda: tools.add_to_collection(
                backend, sent, collection_id=collection_id, paper_id=paper_id
            )
        )

    @server.tool(annotations=WRITE, structured_output=True)
    def upvote(
        ctx: Context,
        paper_id: PaperId,
        undo: Annotated[bool, Field(description="take the member's upvote back")] = False,
    ) -> dict[str, Any]:
        """(Member's API token.) Upvote a paper, or with undo take the upvote back (both
        idempotent). As POST / DELETE /api/papers/{id}/vote."""
        sent = token_of(ctx)
        return _answer(lambda: tools.upvote(backend, sent, paper_id=paper_id, undo=undo))

    @server.tool(annotations=WRITE, structured_output=True)
    def note(
        ctx: Context,
        paper_id: PaperId,
        body: Annotated[
            str | None,
            Field(
                max_length=MAX_NOTE,
                description="Markdown to keep as the member's private note (empty: delete it); "
                "leave out to read the note",
            ),
        ] = None,
    ) -> dict[str, Any]:
        """(Member's API token.) Read the member's private note on a paper, or write it with
        body. As GET / PUT /api/papers/{id}/note."""
        sent = token_of(ctx)
        return _answer(lambda: tools.note(backend, sent, paper_id=paper_id, body=body))

    @server.resource(
        "paperwire://papers/{+paper_id}",
        name="paper",
        description="A paper as Markdown (as /papers/{id}.md)",
        mime_type="text/markdown",
    )
    def paper(paper_id: str) -> str:
        try:
            return tools.get_paper(backend, paper_id=paper_id)
        except PaperwireError as exc:
            raise ResourceError(str(exc)) from exc

    return server
