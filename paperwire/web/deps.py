"""Dependencies every route shares: a database session per request and the settings.

The request's session is its unit of work: routes and the API call write services (which flush,
never commit) and ``get_session`` commits once when the route returns, before the answer is sent
(so a failed commit is an error answer, never a success that did not happen); a route that raises
commits nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from paperwire.config import Settings


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed once when the route returns (before the answer goes
    out), rolled back if it raises. Made and closed on the event loop, which costs nothing when no
    statement ran (a cached page); a commit or a rollback with a connection runs in the threadpool."""
    session = Session(request.app.state.engine, expire_on_commit=False)
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_settings(request: Request) -> Settings:
    """``async`` though it awaits nothing: FastAPI runs a plain ``def`` dependency in the threadpool,
    a hop per request to read an attribute."""
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str:
    """The client's address, the key of per-visitor rate limits."""
    return request.client.host if request.client else "unknown"


# scope="function": the commit runs when the route returns, not after the answer has gone out.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
