"""Hugging Face daily papers: saved ``/api/daily_papers`` responses and the live API by date,
week or month with paging.

Each paper joins the daily list of the date it was submitted to Hugging Face, with its submitter,
its comment count and its upvotes as an imported baseline. Code and project links, the AI summary
and keywords, GitHub stars, the discussion id and the media are kept. Both the 2024 response shape
and the newer one (``submittedOnDailyAt``, ``ai_summary``, ...) are read; every newer field is
optional.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import orjson

from paperwire.errors import SourceError, UsageError
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import Item
from paperwire.papers.ids import try_parse_arxiv_id
from paperwire.papers.links import extract_links, safe_url
from paperwire.papers.records import (
    EntryRecord,
    PaperRecord,
    clean_abstract,
    clean_line,
    parse_time,
)

SOURCE = "hf"
DEFAULT_BASE_URL = "https://huggingface.co"
PAGE_SIZE = 100

_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_WEEK = re.compile(r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_HTML = re.compile(rb"^\s*<(?:!doctype\s+html|html)\b", re.IGNORECASE)


def _str(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _submitter(item: dict[str, Any], paper: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The submitter's user name, and name/fullname/avatar for ``submitter_info``."""
    by = item.get("submittedBy")
    daily_by = paper.get("submittedOnDailyBy")
    user = by if isinstance(by, dict) else daily_by if isinstance(daily_by, dict) else None
    if user is None:
        return None, {}
    # ``submittedBy.name`` is the user name; ``submittedOnDailyBy`` calls it ``user``.
    name = _str(user.get("user")) or _str(user.get("name"))
    info = {
        "name": name,
        "fullname": _str(user.get("fullname")),
        "avatarUrl": safe_url(user.get("avatarUrl"), site_path=True),
        "hf_user_id": _str(user.get("_id")),
    }
    return name, {k: v for k, v in info.items() if v}


def _links(paper: dict[str, Any], abstract: str) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    # Only http(s) addresses are kept: a ``javascript:`` one must never become a link.
    repo, page = safe_url(paper.get("githubRepo")), safe_url(paper.get("projectPage"))
    if repo:
        links.append({"kind": "code", "url": repo})
    if page:
        links.append({"kind": "project", "url": page})
    seen = {link["url"].lower().rstrip("/").removesuffix(".git") for link in links}
    for link in extract_links(abstract):
        if link["url"].lower().rstrip("/").removesuffix(".git") not in seen:
            links.append(link)
    return links


def _extras(item: dict[str, Any], paper: dict[str, Any]) -> dict[str, Any]:
    media = item.get("mediaUrls")
    if isinstance(media, list):
        media = [url for url in (safe_url(m, site_path=True) for m in media) if url]
    else:
        single = safe_url(item.get("mediaUrl"), site_path=True)
        media = [single] if single else None
    organization = paper.get("organization") or item.get("organization")
    extras = {
        "github_repo": safe_url(paper.get("githubRepo")),
        "project_page": safe_url(paper.get("projectPage")),
        "ai_summary": _str(paper.get("ai_summary")),
        "ai_keywords": paper.get("ai_keywords")
        if isinstance(paper.get("ai_keywords"), list)
        else None,
        "ai_summary_model": _str(paper.get("ai_summary_model")),
        "github_stars": paper.get("githubStars")
        if isinstance(paper.get("githubStars"), int)
        else None,
        "hf_discussion_id": _str(paper.get("discussionId")),
        "media_urls": media or None,
        "thumbnail": safe_url(item.get("thumbnail"), site_path=True),
        "hf_organization": _str(organization.get("name"))
        if isinstance(organization, dict)
        else None,
    }
    return {k: v for k, v in extras.items() if v is not None}


def parse_item(item: object, list_date: date | None) -> PaperRecord | str:
    """One daily-papers item as a record, or the reason it cannot be used.

    ``list_date`` is the date of the list the item came in (the file's or the request's); the
    paper's own ``submittedOnDailyAt`` wins over it, and the item's ``publishedAt`` stands in
    when neither is known.
    """
    if not isinstance(item, dict):
        return f"not a JSON object but {type(item).__name__}"
    paper = item.get("paper")
    if not isinstance(paper, dict):
        return "no paper object"
    raw_id = paper.get("id")
    parsed = try_parse_arxiv_id(raw_id) if isinstance(raw_id, str) else None
    if parsed is None:
        return f"not an arXiv id: {raw_id!r}" if raw_id else "paper has no id"
    title = clean_line(_str(paper.get("title")) or _str(item.get("title")))
    if not title:
        return f"paper {parsed.id} has no title"
    abstract = clean_abstract(_str(paper.get("summary")) or _str(item.get("summary")))
    authors = paper.get("authors")
    names = [
        clean_line(a["name"])
        for a in (authors if isinstance(authors, list) else [])
        if isinstance(a, dict) and isinstance(a.get("name"), str) and a["name"].strip()
    ]
    submitted = parse_time(_str(paper.get("submittedOnDailyAt")))
    item_published = parse_time(_str(item.get("publishedAt")))
    day = submitted.date() if submitted else list_date
    if day is None and item_published is not None:
        day = item_published.date()
    if day is None:
        return f"paper {parsed.id}: no date for its daily list"
    if submitted is None:
        # The 2024 shape: the item's publishedAt is when it was put on the list.
        fits = item_published is not None and item_published.date() == day
        submitted = item_published if fits else datetime.combine(day, time())
    name, info = _submitter(item, paper)
    upvotes = paper.get("upvotes")
    return PaperRecord(
        id=parsed.id,
        arxiv_id=parsed.id,
        version=parsed.version,
        title=title,
        source=SOURCE,
        abstract=abstract,
        authors=names,
        published_at=parse_time(_str(paper.get("publishedAt"))),
        links=_links(paper, abstract),
        extras=_extras(item, paper),
        upvotes_baseline=_int(upvotes) if upvotes is not None else None,
        entry=EntryRecord(
            list_date=day,
            source=SOURCE,
            submitted_at=submitted,
            submitter_name=name,
            submitter_info=info,
            imported_comments=_int(item.get("numComments")),
        ),
    )


def _items(data: list[Any], place: str, list_date: date | None) -> Iterator[Item]:
    for index, item in enumerate(data):
        where = f"{place}: item {index}"
        result = parse_item(item, list_date)
        if isinstance(result, str):
            yield Rejection(SOURCE, where, result)
        else:
            result.origin = where
            yield result


def _decode(body: bytes) -> list[Any] | str:
    """The items of a response body, or why it is not a daily-papers response."""
    if _HTML.match(body[:512]):
        return "an HTML page, not a daily-papers JSON response"
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        return f"invalid JSON: {exc}"
    if not isinstance(data, list):
        return f"not a JSON array but a JSON {type(data).__name__}"
    return data


def read_file(path: Path) -> Iterator[Item]:
    """The papers of one saved ``/api/daily_papers`` response (a JSON array).

    The date in a ``daily_papers_YYYY-MM-DD.json`` name is the list date for items that do not
    carry their own.
    """
    place = str(path)
    try:
        body = path.read_bytes()
    except OSError as exc:
        yield Rejection(SOURCE, place, f"cannot read file: {exc.strerror or exc}")
        return
    data = _decode(body)
    if isinstance(data, str):
        yield Rejection(SOURCE, place, data)
        return
    m = _FILE_DATE.search(path.name)
    try:
        list_date = date.fromisoformat(m.group(1)) if m else None
    except ValueError:
        list_date = None
    yield from _items(data, place, list_date)


def period_params(date: date | None, week: str | None, month: str | None) -> dict[str, str]:
    """The query naming one day (``date``), ISO week (``YYYY-Www``) or month (``YYYY-MM``)."""
    given = [x for x in (date, week, month) if x is not None]
    if len(given) != 1:
        raise UsageError("give exactly one of a date, a week (YYYY-Www) or a month (YYYY-MM)")
    if date is not None:
        return {"date": date.isoformat()}
    if week is not None:
        if not _WEEK.match(week):
            raise UsageError(f"not an ISO week (YYYY-Www): {week!r}")
        return {"week": week}
    if not _MONTH.match(month or ""):
        raise UsageError(f"not a month (YYYY-MM): {month!r}")
    return {"month": str(month)}


def fetch(
    fetcher: Fetcher,
    base_url: str = DEFAULT_BASE_URL,
    *,
    date: date | None = None,
    week: str | None = None,
    month: str | None = None,
    page_size: int = PAGE_SIZE,
) -> Iterator[Item]:
    """Every paper of a day, week or month from ``{base_url}/api/daily_papers``, page by page
    (``p=0, 1, ...``) until a page comes back short.

    An HTTP error, an HTML page, invalid JSON or a non-array raises ``SourceError`` naming the URL;
    papers of earlier pages stand.
    """
    url = base_url.rstrip("/") + "/api/daily_papers"
    query = period_params(date, week, month)
    seen: set[str] = set()
    page = 0
    while True:
        response = fetcher.get(url, params={**query, "p": page, "limit": page_size})
        shown = str(response.url)
        data = _decode(response.content)
        if response.status_code != 200:
            detail = f" ({data})" if isinstance(data, str) else ""
            raise SourceError(f"{SOURCE}: {shown}: HTTP {response.status_code}{detail}")
        if isinstance(data, str):
            raise SourceError(f"{SOURCE}: {shown}: {data}")
        new = 0
        for item in _items(data, shown, date):
            if isinstance(item, PaperRecord):
                new += item.id not in seen
                seen.add(item.id)
            yield item
        # A server that ignores ``p`` would repeat the first page forever.
        if len(data) < page_size or (data and new == 0):
            return
        page += 1
