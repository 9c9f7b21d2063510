"""Member pages: ``/signup`` (and the link it mails), ``/login``, ``/logout`` and ``/settings``
(password change, address verification, the e-mail digest block, API tokens). Accounts and sessions
live in ``paperwire.accounts``; this reads forms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from paperwire.accounts import sessions, signin, users
from paperwire.accounts import signup as signups
from paperwire.community import follows
from paperwire.config import Settings
from paperwire.db.models import User
from paperwire.digests import subscriptions
from paperwire.errors import PaperwireError, RateLimited
from paperwire.web import auth
from paperwire.web.deps import SessionDep, SettingsDep, client_address
from paperwire.web.forms import FormFields, back, safe_next
from paperwire.web.offload import PASSWORDS
from paperwire.web.templating import render

router = APIRouter()


def _signed_in_redirect(
    request: Request, db: SessionDep, user: User, target: str
) -> RedirectResponse:
    response = back("/", target)
    auth.sign_in(request, response, db, user)
    return response


@router.get("/signup")
def signup_page(request: Request, next: str = "/") -> Response:
    return render(request, "signup.html", {"form": {}, "error": None, "next": safe_next(next)})


@router.post("/signup")
def signup(request: Request, db: SessionDep, settings: SettingsDep, form: FormFields) -> Response:
    """Mail a link to finish the account; the answer is the same whether the address is
    registered or not (only a taken user name, which is public, is a form error)."""
    next_url = safe_next(form.get("next"))
    try:
        address = signups.start(
            db,
            settings,
            form.get("username", ""),
            form.get("email", ""),
            next_url,
            client=client_address(request),
        )
    except RateLimited:
        raise  # the error page, with Retry-After
    except PaperwireError as exc:
        db.rollback()
        kept = {"username": form.get("username", ""), "email": form.get("email", "")}
        context = {"form": kept, "error": str(exc), "next": next_url}
        return render(request, "signup.html", context, status_code=exc.http_status)
    return render(request, "signup_sent.html", {"email": address})


@router.get("/signup/confirm/{token}")
def signup_confirm_page(request: Request, settings: SettingsDep, token: str) -> Response:
    username, address, _ = signups.pending(settings, token)
    context = {"username": username, "email": address, "token": token, "error": None}
    return render(request, "signup_confirm.html", context)


@router.post("/signup/confirm/{token}")
async def signup_confirm(
    request: Request, db: SessionDep, settings: SettingsDep, token: str, form: FormFields
) -> Response:
    """The password is hashed (argon2) in the ``PASSWORDS`` lane."""
    return await PASSWORDS.run(_signup_confirm, request, db, settings, token, form)


def _signup_confirm(
    request: Request, db: Session, settings: Settings, token: str, form: dict[str, str]
) -> Response:
    username, address, _ = signups.pending(settings, token)
    context = {"username": username, "email": address, "token": token, "error": None}
    if form.get("password", "") != form.get("confirm_password", ""):
        context["error"] = "The password and its repetition differ."
        return render(request, "signup_confirm.html", context, status_code=400)
    try:
        user, next_url = signups.finish(db, settings, token, form.get("password", ""))
    except PaperwireError as exc:
        db.rollback()
        context["error"] = (
            "This link was used already, or the user name was taken meanwhile: sign in, or "
            "sign up again."
            if isinstance(exc, users.AccountExists)
            else str(exc)
        )
        return render(request, "signup_confirm.html", context, status_code=exc.http_status)
    return _signed_in_redirect(request, db, user, next_url)


@router.get("/login")
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", {"form": {}, "error": None, "next": safe_next(next)})


@router.post("/login")
async def login(request: Request, db: SessionDep, form: FormFields) -> Response:
    """The password is checked (argon2) in the ``PASSWORDS`` lane."""
    return await PASSWORDS.run(_login, request, db, form)


def _login(request: Request, db: Session, form: dict[str, str]) -> Response:
    name, password = form.get("username", ""), form.get("password", "")
    user = signin.sign_in(db, name, password, client_address(request))
    if user is None:
        context = {
            "form": {"username": form.get("username", "")},
            "error": "That user name or e-mail address and password do not match an account.",
            "next": safe_next(form.get("next")),
        }
        return render(request, "login.html", context, status_code=400)
    return _signed_in_redirect(request, db, user, form.get("next", "/"))


@router.post("/logout")
def logout(request: Request, db: SessionDep) -> Response:
    response = back("/")
    auth.sign_out(request, response, db)
    return response


def _settings_context(db: SessionDep, settings: SettingsDep, user: User) -> dict[str, Any]:
    sub = subscriptions.for_user(db, user)
    manage = subscriptions.link(settings, sub, "manage") if sub is not None else None
    return {
        "user": user,
        "subscription": sub,
        "manage_url": manage,
        "follows": follows.followed(db, user.id),
        "message": None,
        "error": None,
    }


@router.get("/settings")
def settings_page(
    request: Request, db: SessionDep, settings: SettingsDep, user: auth.CurrentUser
) -> Response:
    return render(request, "settings.html", _settings_context(db, settings, user))


@router.post("/settings/password")
async def change_password(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: auth.CurrentUser,
    form: FormFields,
) -> Response:
    """The passwords are checked and hashed (argon2) in the ``PASSWORDS`` lane."""
    return await PASSWORDS.run(_change_password, request, db, settings, user, form)


def _change_password(
    request: Request, db: Session, settings: Settings, user: User, form: dict[str, str]
) -> Response:
    context = _settings_context(db, settings, user)
    if form.get("new_password", "") != form.get("confirm_password", ""):
        context["error"] = "The new password and its repetition differ."
        return render(request, "settings.html", context, status_code=400)
    try:
        users.change_password(
            db, user, form.get("current_password", ""), form.get("new_password", "")
        )
    except PaperwireError as exc:
        db.rollback()
        context["error"] = str(exc)
        return render(request, "settings.html", context, status_code=exc.http_status)
    ended = sessions.end_user_sessions(db, user.id, keep=request.cookies.get(sessions.COOKIE_NAME))
    context["message"] = "Your password is changed." + (
        f" {ended} other {'session was' if ended == 1 else 'sessions were'} signed out."
        if ended
        else ""
    )
    return render(request, "settings.html", context)


@router.post("/settings/verify")
def send_verification(
    request: Request,
    db: SessionDep,
    settings: SettingsDep,
    user: auth.CurrentUser,
    form: FormFields,
) -> Response:
    signups.send_verification(db, settings, user)
    context = _settings_context(db, settings, user)
    context["message"] = f"A link to confirm your address is on its way to {user.email}."
    return render(request, "settings.html", context)


@router.get("/settings/verify/{token}")
def verify_page(request: Request, db: SessionDep, settings: SettingsDep, token: str) -> Response:
    """A page with a button: a mail scanner's prefetch of the link verifies nothing."""
    user = signups.verification_user(db, settings, token)
    return render(request, "verify_email.html", {"account": user, "token": token, "done": False})


@router.post("/settings/verify/{token}")
def verify(request: Request, db: SessionDep, settings: SettingsDep, token: str) -> Response:
    user = signups.verify(db, settings, token)
    return render(request, "verify_email.html", {"account": user, "token": token, "done": True})
