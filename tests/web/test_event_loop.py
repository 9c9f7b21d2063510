"""The concurrency model (docs/architecture.md, "Where work runs"): nothing that touches the
database, hashes a password, parses an upload, embeds or calls out runs on the event loop.

FastAPI runs a plain ``def`` route or dependency in the threadpool and an ``async def`` one on the
event loop itself, where one blocking call stalls every request of the process. This walks every
route of the app, its dependencies (the app-wide ones too) and the exception handlers, and fails
on any ``async def`` not in ``ON_THE_LOOP``, where each one says why it may be there: it touches
only memory, or it awaits the request's body and hands everything else to a thread explicitly.
An entry's word is checked at run time too: a walk through the site with every SQL statement
watched, none of which may run on the event loop's thread (36 did before, both engines).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import event

from paperwire.config import load_settings
from paperwire.db.engine import counter_engine
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.web.members import PASSWORD, add_member
from tests.web.served import load_sample

ON_THE_LOOP: dict[str, str] = {
    "paperwire.web.inputs.check_address": "regular expressions over the address, in memory",
    "paperwire.web.deps.get_settings": "reads an attribute of the app",
    "paperwire.web.deps.get_session": (
        "makes a Session (no connection yet); its commit, rollback and close with a connection"
        " run in the threadpool"
    ),
    "paperwire.web.forms.form_fields": "awaits the request's body (bounded by BodyLimit)",
    "paperwire.web.auth.optional_user": "anonymous in memory; a lookup runs in the threadpool",
    "paperwire.web.auth.current_user": "anonymous in memory; a lookup runs in the threadpool",
    "paperwire.web.auth.require_role.<locals>.dependency": "compares a role in memory",
    "paperwire.web.auth.csrf_protect": (
        "awaits the form; the visitor's lookup runs in the threadpool, the check is an HMAC"
    ),
    "paperwire.web.api.hf.list_daily_papers": "cached_json builds the answer in the threadpool",
    "paperwire.web.api.hf.search_papers": "cached_json builds the answer in the threadpool",
    "paperwire.web.routes.accounts.signup_confirm": "hashes in the PASSWORDS lane",
    "paperwire.web.routes.accounts.login": "verifies in the PASSWORDS lane",
    "paperwire.web.routes.accounts.change_password": "hashes in the PASSWORDS lane",
    "paperwire.web.routes.submit.submit": "fetches from arXiv in the FETCHES lane",
    "paperwire.web.routes.foryou.library_upload": "awaits the uploaded file (bounded)",
    "paperwire.web.routes.foryou.import_library": "parses and embeds in the IMPORTS lane",
    "fastapi.exception_handlers.websocket_request_validation_exception_handler": (
        "FastAPI's own, for websockets, which paperwire has none of"
    ),
}


def _name(call: Callable[..., Any]) -> str:
    return f"{call.__module__}.{call.__qualname__}"


def _on_the_loop(call: Callable[..., Any]) -> bool:
    # FastAPI's own test (a class instance is judged by its __call__).
    target = call if inspect.isroutine(call) else getattr(call, "__call__", call)  # noqa: B004
    return inspect.iscoroutinefunction(target) or inspect.isasyncgenfunction(target)


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    if dependant.call is not None:
        yield dependant.call
    for sub in dependant.dependencies:
        yield from _calls(sub)


def _app() -> FastAPI:
    settings = load_settings({"PAPERWIRE_SECRET_KEY": TEST_SECRET})
    return create_app(settings)


def _served(routes: list[Any]) -> Iterator[Any]:
    """The routes as served: FastAPI keeps an included router whole and serves each of its routes
    through an effective copy that carries the app's and the router's dependencies too."""
    for route in routes:
        if isinstance(route, APIRoute) or getattr(route, "dependant", None) is not None:
            yield route
        elif hasattr(route, "effective_candidates"):
            yield from _served(route.effective_candidates())


def _everything(app: FastAPI) -> Iterator[tuple[str, Callable[..., Any]]]:
    routes = list(_served(app.routes))
    assert len(routes) > 100, "the walk no longer finds the app's routes"
    for route in routes:
        for call in _calls(route.dependant):
            yield f"{sorted(route.methods)} {route.path}", call
    for key, handler in app.exception_handlers.items():
        yield f"the handler of {getattr(key, '__name__', key)}", handler


def test_no_async_route_dependency_or_handler_outside_the_allow_list() -> None:
    app = _app()
    found = {_name(call): where for where, call in _everything(app) if _on_the_loop(call)}
    unexplained = sorted(
        f"{name} (at {where})" for name, where in found.items() if name not in ON_THE_LOOP
    )
    assert not unexplained, (
        "these run on the event loop, where one blocking call stalls every request: make them"
        " plain def (FastAPI runs those in the threadpool), offload their work explicitly"
        " (paperwire.web.offload), or say in ON_THE_LOOP why they touch only memory:\n"
        + "\n".join(unexplained)
    )


def test_the_allow_list_names_only_what_is_there() -> None:
    """A stale entry would let a later ``async def`` of the same name through unread."""
    found = {_name(call) for _, call in _everything(_app()) if _on_the_loop(call)}
    assert sorted(set(ON_THE_LOOP) - found) == []


# --- the same rule, watched at run time -------------------------------------------------------


def _on_the_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a worker thread: no loop runs here
        return False
    return True


def _form(client: TestClient, page: str, action: str, data: dict[str, str]) -> httpx.Response:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert token, f"{page} has no form with a CSRF token"
    return client.post(action, data={**data, "csrf_token": token.group(1)}, follow_redirects=False)


def test_no_statement_runs_on_the_event_loop(database_url: str, tmp_path: Path) -> None:
    """Every SQL statement of a walk through the site (pages, the API, sign-in, forms, an upload,
    error pages for a member) is watched as it executes: none may run on the event loop's thread,
    whatever a route's signature says."""
    settings = load_settings(
        {
            "PAPERWIRE_HOME": str(tmp_path / "home"),
            "PAPERWIRE_DATABASE_URL": database_url,
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
        }
    )
    app = create_app(settings)
    engines = [app.state.engine, counter_engine(settings)]
    load_sample(app.state.engine)
    add_member(app.state.engine, "ada")
    on_the_loop: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if _on_the_event_loop():
            on_the_loop.append(" ".join(statement.split())[:120])

    for engine in engines:
        event.listen(engine, "before_cursor_execute", watch)
    try:
        with TestClient(app, base_url="http://localhost:8000") as visitor:
            for path in ("/healthz", "/", "/papers/2406.00001", "/api/daily_papers", "/nowhere"):
                assert visitor.get(path).status_code < 500, path
            failed = _form(visitor, "/login", "/login", {"username": "ada", "password": "wrong"})
            assert failed.status_code == 400
            subscribed = _form(
                visitor,
                "/subscribe",
                "/subscribe",
                {"email": "r@example.org", "frequency": "daily"},
            )
            assert subscribed.status_code == 200
            api = visitor.post("/api/subscriptions", json={"email": "s@example.org"})
            assert api.status_code == 202
        with TestClient(app, base_url="http://localhost:8000") as member:
            signed = _form(member, "/login", "/login", {"username": "ada", "password": PASSWORD})
            assert signed.status_code == 303
            for path in ("/settings", "/for-you", "/nowhere", "/papers/2406.00001"):
                assert member.get(path).status_code < 500, path
            vote = _form(member, "/papers/2406.00001", "/papers/2406.00001/vote", {})
            assert vote.status_code == 303
            submitted = _form(member, "/submit", "/submit", {"paper": ""})
            assert submitted.status_code == 400
            token = re.search(
                r'name="csrf_token" value="([^"]+)"', member.get("/for-you/import").text
            )
            assert token
            library = json.dumps([{"title": "Alpha: a paper with five upvotes"}]).encode()
            imported = member.post(
                "/for-you/import",
                data={"csrf_token": token.group(1)},
                files={"library": ("library.json", library)},
            )
            assert imported.status_code == 200, imported.text[-500:]
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", watch)
        app.state.engine.dispose()
    assert on_the_loop == []
