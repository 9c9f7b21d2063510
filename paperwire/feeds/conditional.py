"""Conditional GET for generated documents: an ETag from the bytes and Last-Modified from the
data, answering 304 when the client already holds this version."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from starlette.requests import Request
from starlette.responses import Response

MAX_AGE = 300


class Document:
    """A generated document with its ETag (from the bytes) and Last-Modified (from the data),
    computed once: a cached document answers each request without hashing it again."""

    __slots__ = ("body", "etag", "headers", "media_type", "modified")

    def __init__(self, body: bytes, media_type: str, modified: datetime) -> None:
        self.body = body
        self.media_type = media_type
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        self.modified = (modified if modified.tzinfo else modified.replace(tzinfo=UTC)).replace(
            microsecond=0
        )
        self.headers = {
            "ETag": self.etag,
            "Last-Modified": format_datetime(self.modified, usegmt=True),
            "Cache-Control": f"public, max-age={MAX_AGE}",
        }

    def response(self, request: Request) -> Response:
        """The document, or an empty 304 when the request's If-None-Match (or, without it,
        If-Modified-Since) says the client has it."""
        if _not_modified(request, self.etag, self.modified):
            return Response(status_code=304, headers=self.headers)
        return Response(self.body, media_type=self.media_type, headers=self.headers)


def _not_modified(request: Request, etag: str, modified: datetime) -> bool:
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in match.split(",")}
        return etag in tags or "*" in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            when = parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return modified <= when
    return False
