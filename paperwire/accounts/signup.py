"""Sign-up and address verification by links mailed to the address.

Signing up asks for a user name and an address and answers "check your inbox" whether or not the
address is registered: a new address gets a link to choose a password (the account exists only
once that link is used), a registered one a note that someone tried to sign up with it. So the
form never tells who is a member, and every account made here has an address its owner proved.
Members whose account predates verification ask for a link from the settings page.

Links are signed with ``PAPERWIRE_SECRET_KEY`` (itsdangerous); mails respect
``accounts.recipients`` (a few per address and day, whoever asks).
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from markupsafe import escape
from sqlalchemy.orm import Session

from paperwire import ratelimit
from paperwire.accounts import users
from paperwire.accounts.recipients import may_mail
from paperwire.config import Settings
from paperwire.db.models import User
from paperwire.errors import InvalidLink
from paperwire.mail.message import build_message
from paperwire.mail.sender import DeliveryError, get_sender
from paperwire.papers.records import now_utc
from paperwire.secret import signing_key

log = logging.getLogger(__name__)

LINK_MAX_AGE = 2 * 24 * 3600
_SIGNUP_SALT = "paperwire-signup"
_VERIFY_SALT = "paperwire-email-verify"


def _serializer(settings: Settings, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(settings), salt=salt)


def _load(settings: Settings, salt: str, token: str) -> dict[str, object]:
    try:
        data = _serializer(settings, salt).loads(token, max_age=LINK_MAX_AGE)
    except SignatureExpired as exc:
        raise InvalidLink("this link has expired; ask for a new one") from exc
    except BadSignature as exc:
        raise InvalidLink("this link is not valid") from exc
    if not isinstance(data, dict):
        raise InvalidLink("this link is not valid")
    return data


def _send(settings: Settings, to: str, subject: str, text: str, link: str, label: str) -> None:
    host = urlsplit(settings.base_url).hostname or "localhost"
    html = "".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n"))
    html += f'<p><a href="{escape(link)}">{escape(label)}</a></p>' if link else ""
    try:
        get_sender(settings).send(
            build_message(
                sender=f"{settings.community} <accounts@{host}>",
                to=to,
                subject=subject,
                text=text + (f"\n\n{label}:\n{link}\n" if link else "\n"),
                html=html,
                list_id=f"{settings.community} accounts <accounts.{host}>",
            )
        )
    except DeliveryError as exc:
        # Answering differently when a mail bounces would tell who exists; the log keeps it.
        log.warning("account e-mail not sent: %s", exc)


def start(
    session: Session,
    settings: Settings,
    username: str,
    email: str,
    next_url: str = "/",
    *,
    client: str,
) -> str:
    """Begin a sign-up from ``client`` (an address, rate limited): mail the address its link (or,
    if registered, a note) and return the address. ``RateLimited`` past the limit,
    ``InvalidAccount`` for a malformed name or address, ``AccountExists`` for a taken user name;
    nothing tells whether the address is registered. Commits the rate-limit hit at once (a refused
    attempt still counts) and the mail counters before mailing."""
    ratelimit.hit(session, "signup", client)
    session.commit()
    username = (username or "").strip()
    address = users.normalise_email(email)
    registered = users.check_new_account(session, username, address)
    allowed = may_mail(session, address)
    session.commit()
    if not allowed:
        return address
    if registered:
        _send(
            settings,
            address,
            f"Someone tried to sign up at {settings.community} with your address",
            f"Someone (perhaps you) tried to create an account named {username!r} at "
            f"{settings.community} with this address, which already has an account. Nothing was "
            f"changed. If it was you, sign in at {settings.base_url}/login with your user name or "
            "this address.\n\nIf it was not you, ignore this e-mail.",
            "",
            "",
        )
        return address
    token = _serializer(settings, _SIGNUP_SALT).dumps({"u": username, "e": address, "n": next_url})
    _send(
        settings,
        address,
        f"Finish creating your {settings.community} account",
        f"Someone (hopefully you) asked for an account named {username!r} at "
        f"{settings.community} with this address. Choose your password with the link below "
        "(it works for 2 days).\n\nIf this was not you, ignore this e-mail: no account is made.",
        f"{settings.base_url}/signup/confirm/{quote(token)}",
        "Choose a password",
    )
    return address


def pending(settings: Settings, token: str) -> tuple[str, str, str]:
    """The user name, address and page to return to that a sign-up link carries."""
    data = _load(settings, _SIGNUP_SALT, token)
    username, address, next_url = data.get("u"), data.get("e"), data.get("n", "/")
    if not isinstance(username, str) or not isinstance(address, str):
        raise InvalidLink("this link is not valid")
    return username, address, next_url if isinstance(next_url, str) else "/"


def finish(session: Session, settings: Settings, token: str, password: str) -> tuple[User, str]:
    """Create the account a sign-up link names, its address verified, with ``password``; returns
    it and the page to go to. ``AccountExists`` when the link was used (or the name taken) since."""
    username, address, next_url = pending(settings, token)
    return users.create_user(session, username, address, password), next_url


def send_verification(session: Session, settings: Settings, user: User) -> None:
    """Mail the member's address a link that marks it verified (within its mail budget)."""
    if user.email_verified_at is not None:
        return
    allowed = may_mail(session, user.email)
    session.commit()
    if not allowed:
        return
    token = _serializer(settings, _VERIFY_SALT).dumps({"i": user.id, "e": user.email})
    _send(
        settings,
        user.email,
        f"Confirm your address at {settings.community}",
        f"The {settings.community} account {user.username!r} gives this address as its own. "
        "Confirm it with the link below (it works for 2 days), to see your e-mail digest in your "
        "settings.\n\nIf you have no such account, ignore this e-mail: nothing changes.",
        f"{settings.base_url}/settings/verify/{quote(token)}",
        "Confirm my address",
    )


def verification_user(session: Session, settings: Settings, token: str) -> User:
    """The account a verification link names, if its address is still the one the link was for."""
    data = _load(settings, _VERIFY_SALT, token)
    user = session.get(User, data.get("i")) if isinstance(data.get("i"), int) else None
    if user is None or user.email != data.get("e"):
        raise InvalidLink("this link is no longer valid")
    return user


def verify(session: Session, settings: Settings, token: str) -> User:
    """Mark the address a verification link was mailed to as verified (idempotent; flushed)."""
    user = verification_user(session, settings, token)
    if user.email_verified_at is None:
        user.email_verified_at = now_utc()
    session.flush()
    return user
