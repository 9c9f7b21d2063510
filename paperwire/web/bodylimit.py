"""The cap on request bodies: nothing paperwire accepts (forms, JSON) comes near ``MAX_BODY_BYTES``,
so a larger body is refused with 413 before it is read: at once when ``Content-Length`` says so,
else as soon as the streamed body passes the cap."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.errors import RequestTooLarge
from paperwire.web.errors import error_response

MAX_BODY_BYTES = 1024 * 1024
# Paths that take a file upload, with their own cap (the route checks its content's size itself).
UPLOAD_PATHS: dict[str, int] = {}


class _Exceeded(Exception):
    """Raised into the app's read of the body; the app's own answer to it is dropped."""


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413. Plain ASGI (see ``SecurityHeaders``)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    def _limit(self, scope: Scope) -> int:
        return UPLOAD_PATHS.get(scope.get("path", ""), self.limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        exc = RequestTooLarge(
            f"the request body is larger than {self._limit(scope):,} bytes,"
            " the most this site accepts here"
        )
        # The page may ask the database who the visitor is: not on the event loop.
        response = await run_in_threadpool(
            error_response, Request(scope), exc.http_status, str(exc)
        )
        response.headers["Connection"] = "close"
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        limit = self._limit(scope)
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send)
            return
        received = 0
        exceeded = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _Exceeded
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # whatever the app made of the interrupted read is replaced by the 413
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not started:
            await self._refuse(scope, receive, send)
