"""Every HTML route and form, fuzzed on a served instance on both engines: no answer is a 5xx.

The routes are read from the application itself (``fastapi.routing.iter_route_contexts``), so a new
page or form is fuzzed without touching this file; the OpenAPI operations under ``/api`` are
schemathesis's (tests/api). The form fields are those of every ``<form>`` the pages show (read from
the pages as each caller sees them) plus the parameters a route declares, all posted to every
state-changing route with the caller's CSRF token, so a request gets past the token check and into
the route. Callers: anonymous, a member, a moderator, an admin, and a member's API token sent with
an anonymous CSRF cookie (which must act as nobody). Values: real ids and names (so routes go deep),
ids beyond any row, superscript and other Unicode digits, overlong, control and markup strings.

Seeded (``PAPERWIRE_FUZZ_SEED``, printed on failure): a failure is replayed by running again with
that seed. ``PAPERWIRE_FUZZ_CASES`` sets the cases per route and caller (default 2).
"""

from __future__ import annotations

import os
import random
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import Engine, select

from paperwire.accounts.tokens import create_token
from paperwire.community import collections, comments
from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import User
from paperwire.web.app import create_app
from tests.web.members import add_member, client, csrf_token, signed_in
from tests.web.served import Site, free_port, load_sample, start_site

SEED = int(os.environ.get("PAPERWIRE_FUZZ_SEED", "20261208"))
CASES = int(os.environ.get("PAPERWIRE_FUZZ_CASES", "2"))
# Routes that end the caller's session are fuzzed last, so the others run signed in.
LAST = ("/logout",)

NUMBERS = [
    "0",
    "1",
    "2",
    "-1",
    "²",
    "¹²³",
    "٣",
    "\u09ed",  # Bengali seven
    "\uff11\uff12",  # fullwidth 12
    str(2**31 - 1),
    str(2**31),
    str(2**63),
    "9" * 30,
    "9" * 400,
    "1e309",
    "NaN",
    "-0",
    "0x1F",
    " 7 ",
]
HOSTILE = [
    "",
    " ",
    "x" * 3000,
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    '"; DROP TABLE users; --',
    "../../../etc/passwd",
    "{{7*7}}${7*7}",
    "\\",
    "//evil.example/",
    "javascript:alert(1)",
    "\x00",
    "a\x1bb",
    "tab\there",
    "line\nbreak",
    "\ufffe",
    "\u202etxt.exe",
    "\U0001d518\U0001d52b\U0001d526 \U0001f642" * 20,  # Fraktur letters, an emoji
    "Ω≈ç√∫",
    "%",
    "%00",
    "null",
    "[]",
    "@x{",
    "ada@example.org",
    "a+b@example.org",
    "true",
]
GOOD: dict[str, list[str]] = {
    "paper_id": ["2406.00001", "hep-th/9901001", "2406.00004", "2406.00006", "9999.99999"],
    "paper": ["2406.00001", "2406.00004", "9999.99999"],
    "day": ["2026-06-05", "2026-06-07", "9999-12-31", "1900-01-01"],
    "date": ["2026-06-05", "0001-01-01"],
    "week": ["2026-W23", "2026-W99", "0000-W01"],
    "month": ["2026-06", "2026-13"],
    "since": ["2026-06-01"],
    "until": ["2026-06-30"],
    "username": ["ada", "mod", "root", "nobody"],
    "slug": ["reading", "author-1", "nothing"],
    "fmt": ["atom", "jsonl", "bib", "md", "xml"],
    "period": ["day", "week", "month", "year"],
    "mode": ["hybrid", "lexical", "semantic"],
    "sort": ["relevance", "date", "votes"],
    "kind": ["oai", "arxiv", "hf"],
    "action": ["vote", "unvote", "take_back"],
    "signal": ["more_like_this", "not_interested"],
    "decision": ["approve", "reject"],
    "q": ["alpha", "title:beta", "x^2"],
    "email": ["ada@example.org", "new@example.org"],
    "name": ["reading", "big"],
    "key": ["signal:1", "vote:2406.00001"],
}


def _values(name: str) -> list[str]:
    known = GOOD.get(name, [])
    if name.endswith("_id") or name in ("page", "collection", "p", "limit"):
        known = [*known, *NUMBERS]
    return known


class _Forms(HTMLParser):
    """The names of every form field on a page, and which of them are file uploads."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: set[str] = set()
        self.files: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("input", "textarea", "select", "button"):
            return
        found = dict(attrs)
        name = found.get("name")
        if not name or name == "csrf_token":
            return
        (self.files if found.get("type") == "file" else self.fields).add(name)


@dataclass
class Operation:
    method: str
    path: str  # the route's path with ``{name}`` or ``{name:convertor}`` holes
    holes: list[str]
    query: list[str]


@dataclass
class Caller:
    name: str
    http: httpx.Client
    token_page: str  # a page of theirs whose forms carry their CSRF token
    headers: dict[str, str] = field(default_factory=dict)
    csrf: str = ""


def operations() -> list[Operation]:
    """Every route of the HTML site (not ``/api`` and not static files), as the app declares it."""
    app = create_app(load_settings())
    found = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        path = context.path or ""
        if not isinstance(route, APIRoute) or path.startswith("/api/"):
            continue
        holes = re.findall(r"{(\w+)(?::\w+)?}", path)
        query = [p.name for p in route.dependant.query_params]
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                found.append(Operation(method, path, holes, query))
    found.sort(key=lambda op: op.path in LAST)
    return found


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", lambda m: quote(values[m.group(1)], safe=""), path)


def _pick(rng: random.Random, name: str, hostile: bool) -> str:
    """A hostile value (a number beyond bounds, a control character, markup...) for a targeted
    parameter; otherwise a value the route can use, so that the request gets past every other
    check and the targeted value reaches the route's code."""
    if hostile:
        return rng.choice([*HOSTILE, *NUMBERS])
    known = _values(name)
    return rng.choice(known) if known else rng.choice(["fuzz", "A title", "1", "ada"])


@pytest.fixture
def fuzz_site(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    load_sample(engine)
    # Submissions fetch from the arXiv API: here a local port with nothing listening.
    dead = f"http://127.0.0.1:{free_port()}/api/query"
    with start_site({**env, "PAPERWIRE_ARXIV_API_URL": dead}, tmp_path / "serve.log") as site:
        yield site


def _callers(site: Site, engine: Engine) -> list[Caller]:
    add_member(engine, "ada")
    add_member(engine, "mod", "moderator")
    add_member(engine, "root", "admin")
    with session_scope(engine) as db:
        ada = db.scalars(select(User).where(User.username == "ada")).one()
        made = collections.create_collection(db, ada, "reading", is_public=True)
        collections.add_paper(db, ada, made.id, "2406.00002")
        comments.add_comment(db, ada, "2406.00001", "A *first* reading.")
        secret = create_token(db, ada, "fuzz").secret
    callers = [
        Caller("anonymous", client(site), "/login"),
        Caller("member", signed_in(site, "ada"), "/settings"),
        Caller("moderator", signed_in(site, "mod"), "/settings"),
        Caller("admin", signed_in(site, "root"), "/settings"),
        # A token with an anonymous CSRF cookie: must act as nobody outside /api.
        Caller("bearer", client(site), "/login", {"Authorization": f"Bearer {secret}"}),
    ]
    for caller in callers:
        caller.csrf = csrf_token(caller.http.get(caller.token_page).text)
    return callers


def _form_fields(callers: list[Caller], ops: list[Operation]) -> tuple[list[str], list[str]]:
    """The field names of every form on every page the callers can open (with real values)."""
    forms = _Forms()
    for caller in (callers[1], callers[3]):  # a member's pages, and an admin's (all roles')
        for op in ops:
            if op.method != "GET" or any(not _values(h) for h in op.holes):
                continue
            path = _fill(op.path, {h: _values(h)[0] for h in op.holes})
            answer = caller.http.get(path)
            if answer.headers.get("content-type", "").startswith("text/html"):
                forms.feed(answer.text)
    return sorted(forms.fields), sorted(forms.files)


def _request(
    rng: random.Random, caller: Caller, op: Operation, fields: list[str], files: list[str]
) -> httpx.Response:
    query = [*op.query, "page"]
    posted = [name for name in fields if rng.random() < 0.7] if op.method != "GET" else []
    names = [*op.holes, *query, *posted]
    targets = set(rng.sample(names, k=min(len(names), rng.choice((1, 1, 2, 3)))))
    path = _fill(op.path, {h: _pick(rng, h, h in targets) for h in op.holes})
    params = {n: _pick(rng, n, n in targets) for n in query if n in targets or rng.random() < 0.5}
    if op.method == "GET":
        return caller.http.get(path, params=params, headers=caller.headers)
    data: dict[str, Any] = {n: _pick(rng, n, n in targets) for n in posted}
    data["csrf_token"] = caller.csrf
    upload = None
    if files and rng.random() < 0.5:
        content = rng.choice(["@article{x, title={{{{}}", "[" * 500, '[{"title": 1e999}]', "é"])
        upload = {rng.choice(files): ("refs.bib", content.encode(), "text/plain")}
    return caller.http.request(
        op.method, path, params=params, data=data, files=upload, headers=caller.headers
    )


def test_no_html_route_or_form_answers_5xx(fuzz_site: Site, engine: Engine) -> None:
    rng = random.Random(SEED)
    ops = operations()
    callers = _callers(fuzz_site, engine)
    fields, files = _form_fields(callers, ops)
    assert {"body", "name", "paper", "collection"} <= set(fields), fields  # the forms were read
    failures: list[str] = []
    statuses: Counter[int] = Counter()
    sent = 0
    started = time.monotonic()
    for caller in callers:
        for op in ops:
            for _ in range(CASES):
                sent += 1
                try:
                    answer = _request(rng, caller, op, fields, files)
                except httpx.TransportError as exc:  # the server dropped the connection
                    failures.append(f"{exc!r} {caller.name} {exc.request.method} {exc.request.url}")
                    continue
                statuses[answer.status_code] += 1
                if answer.status_code >= 500:
                    request = answer.request
                    body = request.read()[:300]  # a multipart body is streamed: read it
                    failures.append(
                        f"{answer.status_code} {caller.name} {request.method} {request.url}"
                        f" {body!r}"
                    )
    seconds = time.monotonic() - started
    print(f"FUZZ {sent} requests in {seconds:.1f} s", sorted(statuses.items()))
    covered = {op.path for op in ops}
    assert {"/settings/tokens/{token_id:int}/revoke", "/admin/sources"} <= covered
    assert not failures, (
        f"{len(failures)} of {sent} requests answered 5xx (seed {SEED}, {seconds:.1f} s):\n"
        + "\n".join(failures[:40])
        + f"\n{fuzz_site.log.read_text()[-4000:]}"
    )
