"""The Jinja2 environment (autoescaped everywhere), its filters, and ``render`` for every page."""

from __future__ import annotations

import functools
import re
from contextvars import ContextVar
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader
from markupsafe import Markup, escape
from starlette.responses import Response

from paperwire.accounts.users import has_role
from paperwire.authors.names import name_slug
from paperwire.papers.links import safe_url
from paperwire.web import auth

TEMPLATES = Path(__file__).parent / "templates"
# $...$ and $$...$$ spans, matched on already-escaped text (escaping leaves dollars alone).
_TEX = re.compile(r"\$\$[^$]+\$\$|\$[^$\n]+\$")
# URLs in escaped text: quotes and angle brackets are already entities, so they end a match.
_URL = re.compile(r"https?://[^\s<>&{}]+(?:&amp;[^\s<>&{}]+)*")
_URL_TRAILING = ".,;:)]}!?"


def long_date(value: date | datetime | None) -> str:
    """``Sunday 7 June 2026``."""
    if value is None:
        return ""
    return f"{value:%A} {value.day} {value:%B %Y}"


@functools.lru_cache(maxsize=8192)
def short_date(value: date | datetime | None) -> str:
    """``7 Jun 2026``."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


# The filters and URL helpers below run for every card of every page a member gets (not cached
# as a whole): the same titles, names and keywords come back on each page, so their results are
# kept. ``typed``: a title already marked up (``Markup``, from search) must not share an entry
# with the same text as a plain string, which is escaped.
@functools.lru_cache(maxsize=8192, typed=True)
def tex(text: str | None) -> Markup:
    """Escape ``text``, then mark TeX spans so CSS can set them apart; the dollars stay as written."""
    escaped = str(escape(text or ""))
    return Markup(_TEX.sub(lambda m: f'<span class="tex">{m.group(0)}</span>', escaped))


def _link(match: re.Match[str]) -> str:
    url = match.group(0)
    stripped = url.rstrip(_URL_TRAILING)
    # LaTeX-escaped underscores (\_) are common in arXiv URLs; the link must point at the real one.
    href = stripped.replace("\\_", "_")
    return f'<a href="{href}" rel="nofollow noopener">{stripped}</a>{url[len(stripped) :]}'


def rich_text(text: str | None) -> Markup:
    """Like ``tex``, and web addresses in the text become links (for abstracts and comments)."""
    return Markup(_URL.sub(_link, str(tex(text))))


def day_label(value: date) -> str:
    """``Thu 25 Jun 2026``: a day's name on the previous and next links."""
    return f"{value:%a} {value.day} {value:%b %Y}"


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def paper_url(paper_id: str) -> str:
    return f"/papers/{paper_id}"


@functools.lru_cache(maxsize=16384)
def author_url(slug_or_name: str) -> str:
    """The author page of a slug or of an author's name as a paper lists it."""
    slug = name_slug(slug_or_name) or "unnamed"
    return "/authors/" + quote(slug)


@functools.lru_cache(maxsize=8192)
def search_url(query: str) -> str:
    return "/search?" + urlencode({"q": query})


_AUTHOR_LINK = Markup('<a href="{}">{}</a>')


@functools.lru_cache(maxsize=8192)
def author_links(names: tuple[str, ...]) -> Markup:
    """A card's authors, each a link to their page, comma-separated (one call per card rather than
    a template loop per name: a page of 30 cards is rendered for every member's request)."""
    return Markup(", ").join(_AUTHOR_LINK.format(author_url(name), name) for name in names)


@functools.lru_cache(maxsize=4096)
def author_items(names: tuple[str, ...]) -> Markup:
    """A paper page's authors as list items, each a link to their page."""
    return Markup("").join(
        Markup("<li>{}</li>").format(_AUTHOR_LINK.format(author_url(name), name)) for name in names
    )


@functools.lru_cache(maxsize=8192)
def keyword_items(keywords: tuple[str, ...]) -> Markup:
    """A card's keyword chips as list items, each a search for the phrase."""
    item = Markup('<li><a class="chip" href="{}">{}</a></li>')
    return Markup("").join(item.format(search_url(k), k) for k in keywords)


def date_url(day: date) -> str:
    return f"/papers/date/{day.isoformat()}"


def week_url(key: str) -> str:
    return f"/papers/week/{key}"


def month_url(key: str) -> str:
    return f"/papers/month/{key}"


# The request being rendered, for the member globals below: a contextvar rather than Jinja's
# context, so macros imported without context (the paper card) can call them too.
_rendering: ContextVar[Request] = ContextVar("paperwire_rendering")


def _csrf_token() -> str:
    return auth.csrf_token(_rendering.get())


def _csrf_field() -> Markup:
    return auth.csrf_field(_rendering.get())


def _current_user() -> auth.Member | None:
    """The member asking, as plain values (never an ORM instance a rollback may have expired)."""
    return auth.page_visitor(_rendering.get()).member


def _voted(paper_id: str) -> bool:
    return paper_id in auth.page_votes(_rendering.get())


def _is_read(paper_id: str) -> bool:
    return paper_id in auth.page_reads(_rendering.get())


def _current_path() -> str:
    url = _rendering.get().url
    return url.path + (f"?{url.query}" if url.query else "")


@functools.cache
def has_template(name: str) -> bool:
    """Whether an optional partial (``_vote.html``, ``_comments.html``) exists. Asked once per
    process: an ``include ... ignore missing`` of a missing file would search the disk per card."""
    return (TEMPLATES / name).is_file()


def _environment() -> Environment:
    # Templates are read once per process (no modification check on every render).
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True, auto_reload=False
    )
    env.filters.update(
        long_date=long_date,
        short_date=short_date,
        day_label=day_label,
        tex=tex,
        rich_text=rich_text,
        plural=plural,
    )
    env.filters["safe_url"] = safe_url
    env.globals.update(
        paper_url=paper_url,
        author_url=author_url,
        search_url=search_url,
        author_links=author_links,
        author_items=author_items,
        keyword_items=keyword_items,
        date_url=date_url,
        week_url=week_url,
        month_url=month_url,
        csrf_token=_csrf_token,
        csrf_field=_csrf_field,
        current_user=_current_user,
        has_template=has_template,
        voted=_voted,
        is_read=_is_read,
        current_path=_current_path,
        has_role=has_role,
    )
    return env


templates = Jinja2Templates(env=_environment())


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    """Render a page; every template also sees the settings as ``site``, and ``current_user()``,
    ``csrf_token()`` and ``csrf_field()`` for its forms."""
    rendering = _rendering.set(request)
    try:
        response = templates.TemplateResponse(
            request,
            name,
            {"site": request.app.state.settings, **context},
            status_code=status_code,
        )
    finally:
        _rendering.reset(rendering)
    auth.finish(request, response)
    return response
