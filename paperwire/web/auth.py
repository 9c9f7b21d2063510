"""Who is asking, and may they: the session cookie (or an API token) turned into a member, the
``OptionalUser`` / ``CurrentUser`` / ``require_role`` dependencies, and CSRF tokens for every form.

CSRF: a signed-in visitor's forms carry their session's own token; an anonymous visitor (the sign-in,
sign-up and subscribe forms) gets a random cookie and forms carry an HMAC of it under the secret key
(a signed double submit, so a cookie planted from elsewhere is useless without the key). The check
runs on every state-changing request (``csrf_protect`` is an application-wide dependency). Exempt:
JSON API calls (``/api/`` with a bearer token or a JSON body, which no cross-site form can send) and
the RFC 8058 one-click unsubscribe POST, whose signed link is its own proof.

The JSON API's token lookup plugs in with ``register_bearer_lookup``: a request under ``/api/``
with ``Authorization: Bearer ...`` is then the token's member for every dependency here. Anywhere
else the header is ignored: a token opens the JSON API only, never a page or a form (with any
anonymous CSRF cookie it could otherwise post forms, e.g. mint a token that outlives its own).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from markupsafe import Markup, escape
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from paperwire.accounts import sessions
from paperwire.accounts.users import has_role
from paperwire.community import notes
from paperwire.config import Settings
from paperwire.db.models import User
from paperwire.errors import Forbidden, NotSignedIn
from paperwire.papers import votes
from paperwire.secret import signing_key
from paperwire.web.deps import SessionDep
from paperwire.web.forms import form_fields

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_COOKIE = "pw_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

BearerLookup = Callable[[Session, str], User | None]
_bearer_lookup: BearerLookup | None = None


def register_bearer_lookup(lookup: BearerLookup | None) -> None:
    """Let ``Authorization: Bearer TOKEN`` requests under ``/api/`` act as
    ``lookup(session, TOKEN)``'s member (None: no such live token, answered 401). ``None`` unplugs
    it."""
    global _bearer_lookup
    _bearer_lookup = lookup


@dataclass(frozen=True)
class Member:
    """What a page shows of the member asking: plain values copied when the request's visitor is
    found. Pages read these, never the ORM ``User``: a route whose work was rolled back (a 404, a
    503 after a failed write) leaves its session's instances expired and, once the session is
    closed, detached, so the error page reading ``user.username`` would itself fail (a 500)."""

    id: int
    username: str
    email: str
    role: str


@dataclass(frozen=True)
class Visitor:
    """The member behind a request (None: anonymous), and how they proved it. ``user`` is for the
    route's services (bound to the request's session); ``member`` and ``csrf`` (the session's form
    token) are plain copies for pages and the CSRF check, good after any rollback."""

    user: User | None = None
    signed_in: sessions.SignedIn | None = None
    cookie: str | None = None
    bearer: bool = False
    member: Member | None = None
    csrf: str | None = None


ANONYMOUS = Visitor()


def _visitor_of(
    user: User,
    signed_in: sessions.SignedIn | None,
    *,
    cookie: str | None = None,
    bearer: bool = False,
) -> Visitor:
    member = Member(id=user.id, username=user.username, email=user.email, role=user.role)
    csrf = signed_in.session.csrf_token if signed_in is not None else None
    return Visitor(user, signed_in, cookie, bearer, member, csrf)


def bearer_token(request: Request) -> str | None:
    """The API token the request sends, if it is a JSON API request (under ``/api/``): tokens
    sign nothing else in."""
    if not request.url.path.startswith("/api/"):
        return None
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def resolve(request: Request, db: Session) -> Visitor:
    """The request's visitor, looked up once per request. An API token that opens nothing is a
    401 rather than an anonymous call, so a script with a revoked token fails loudly."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    token = bearer_token(request)
    if token is not None:
        user = _bearer_lookup(db, token) if _bearer_lookup is not None else None
        if user is None or not user.is_active:
            raise NotSignedIn("the API token is not valid or has been revoked")
        visitor = _visitor_of(user, None, bearer=True)
    else:
        cookie = request.cookies.get(sessions.COOKIE_NAME)
        found = sessions.lookup_session(db, cookie) if cookie else None
        visitor = _visitor_of(found.user, found, cookie=cookie) if found else ANONYMOUS
    request.state.visitor = visitor
    return visitor


def page_visitor(request: Request) -> Visitor:
    """The visitor for a template (the header, CSRF fields): from the cache, else by cookie alone.
    Anonymous requests without a cookie never touch the database."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    if not request.cookies.get(sessions.COOKIE_NAME):
        return ANONYMOUS
    with Session(request.app.state.engine, expire_on_commit=False) as db:
        try:
            return resolve(request, db)
        except NotSignedIn:
            return ANONYMOUS


def _per_page(
    request: Request, name: str, load: Callable[[Session, int], Iterable[str]]
) -> frozenset[str]:
    """``load(db, member_id)`` once per page, kept on the request as ``name`` (nothing for an
    anonymous visitor)."""
    cached: frozenset[str] | None = getattr(request.state, name, None)
    if cached is not None:
        return cached
    member = page_visitor(request).member
    found: frozenset[str] = frozenset()
    if member is not None:
        with Session(request.app.state.engine) as db:
            found = frozenset(load(db, member.id))
    setattr(request.state, name, found)
    return found


def page_votes(request: Request) -> frozenset[str]:
    """The papers the visitor has voted for, loaded once per page (none for anonymous visitors)."""
    return _per_page(request, "votes", votes.all_voted)


def page_reads(request: Request) -> frozenset[str]:
    """The papers the visitor marked read, loaded once per page (none for anonymous visitors)."""
    return _per_page(request, "reads", notes.all_read)


def _visitor_at_hand(request: Request) -> Visitor | None:
    """The visitor when finding them needs no database: already resolved, or anonymous (no API
    token, no session cookie). None: ``resolve`` must look them up."""
    cached: Visitor | None = getattr(request.state, "visitor", None)
    if cached is not None:
        return cached
    if bearer_token(request) is None and not request.cookies.get(sessions.COOKIE_NAME):
        request.state.visitor = ANONYMOUS
        return ANONYMOUS
    return None


async def _visitor(request: Request, db: Session) -> Visitor:
    """``resolve`` for a dependency: an anonymous visitor is known on the event loop, where a plain
    ``def`` dependency would cost every cookieless page view a threadpool hop; a lookup still runs
    in the threadpool."""
    visitor = _visitor_at_hand(request)
    if visitor is None:
        visitor = await run_in_threadpool(resolve, request, db)
    return visitor


async def optional_user(request: Request, db: SessionDep) -> User | None:
    return (await _visitor(request, db)).user


async def current_user(request: Request, db: SessionDep) -> User:
    user = (await _visitor(request, db)).user
    if user is None:
        raise NotSignedIn("Please sign in first.")
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]
CurrentUser = Annotated[User, Depends(current_user)]


def require_role(role: str) -> Callable[[User], Awaitable[User]]:
    """A dependency admitting members with ``role`` or a higher one (admin > moderator > member).
    The dependencies here are ``async`` where they can answer without the database: FastAPI runs a
    plain ``def`` dependency in the threadpool, a hop per request."""

    async def dependency(user: CurrentUser) -> User:  # async: no hop for a check in memory
        if not has_role(user, role):
            raise Forbidden(f"Only a {role} can do this.")
        return user

    return dependency


ModeratorUser = Annotated[User, Depends(require_role("moderator"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]


# --- sessions in cookies -----------------------------------------------------------------------


def sign_in(request: Request, response: Response, db: Session, user: User) -> None:
    """Start a new session for ``user`` (ending the browser's previous one) and set its cookie."""
    old = request.cookies.get(sessions.COOKIE_NAME)
    if old:
        sessions.end_session(db, old)
    token = sessions.create_session(db, user)
    settings: Settings = request.app.state.settings
    response.set_cookie(
        sessions.COOKIE_NAME,
        token,
        max_age=int(sessions.LIFETIME.total_seconds()),
        **sessions.cookie_attributes(settings),
    )


def sign_out(request: Request, response: Response, db: Session) -> None:
    token = request.cookies.get(sessions.COOKIE_NAME)
    if token:
        sessions.end_session(db, token)
    settings: Settings = request.app.state.settings
    response.delete_cookie(sessions.COOKIE_NAME, **sessions.cookie_attributes(settings))


# --- CSRF --------------------------------------------------------------------------------------


def _anonymous_token(request: Request, cookie: str) -> str:
    settings: Settings = request.app.state.settings
    key = signing_key(settings)
    return hmac.new(key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token this visitor's forms must carry (a new anonymous cookie is set by ``finish``)."""
    visitor = page_visitor(request)
    if visitor.csrf is not None:
        return visitor.csrf
    cookie = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
    if not cookie or len(cookie) > 128:
        cookie = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = cookie
    return _anonymous_token(request, cookie)


def csrf_field(request: Request) -> Markup:
    """The hidden form field (a page of cards has a vote form on each: made once per request and
    visitor)."""
    visitor = page_visitor(request)
    cached: tuple[Visitor, Markup] | None = getattr(request.state, "csrf_field", None)
    if cached is not None and cached[0] is visitor:
        return cached[1]
    value = escape(csrf_token(request))
    field = Markup(f'<input type="hidden" name="{CSRF_FIELD}" value="{value}">')
    request.state.csrf_field = (visitor, field)
    return field


def finish(request: Request, response: Response) -> None:
    """Set the anonymous CSRF cookie when the page just rendered handed out a token for it."""
    cookie = getattr(request.state, "new_csrf_cookie", None)
    if cookie:
        settings: Settings = request.app.state.settings
        response.set_cookie(CSRF_COOKIE, cookie, **sessions.cookie_attributes(settings))


def csrf_exempt(request: Request) -> bool:
    """JSON API calls: with a bearer token, or with a JSON body (a cross-site page cannot send one
    without a CORS preflight, which paperwire never grants)."""
    if not request.url.path.startswith("/api/"):
        return False
    if bearer_token(request) is not None:
        return True
    return _content_type(request) == "application/json"


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _one_click_unsubscribe(request: Request, form: dict[str, str]) -> bool:
    return (
        request.url.path.startswith("/subscribe/unsubscribe/")
        and form.get("List-Unsubscribe") == "One-Click"
    )


def csrf_valid(request: Request, db: Session, sent: str) -> bool:
    visitor = resolve(request, db)
    if visitor.csrf is not None and hmac.compare_digest(sent, visitor.csrf):
        return True
    # A form rendered before signing in (in another tab, say) still proves it came from here.
    cookie = request.cookies.get(CSRF_COOKIE)
    return bool(cookie) and hmac.compare_digest(sent, _anonymous_token(request, cookie or ""))


async def csrf_protect(request: Request, db: SessionDep) -> None:
    """Refuse (403) a state-changing request that does not carry this visitor's CSRF token.
    ``async`` so that a GET costs no thread hop; the visitor's lookup runs in the threadpool, and
    ``csrf_valid`` then finds them resolved and only compares HMACs."""
    if request.method in SAFE_METHODS or csrf_exempt(request):
        return
    sent = request.headers.get(CSRF_HEADER)
    if _content_type(request) in FORM_TYPES:
        form = await form_fields(request)
        if _one_click_unsubscribe(request, form):
            return
        sent = sent or form.get(CSRF_FIELD)
    if sent and _visitor_at_hand(request) is None:
        await run_in_threadpool(resolve, request, db)  # the lookup, off the event loop
    if not sent or not csrf_valid(request, db, sent):
        raise Forbidden(
            "This form has expired or did not come from this site."
            " Go back, reload the page and try again."
        )
