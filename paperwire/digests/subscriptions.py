"""Subscriptions: subscribe (double opt-in), confirm, manage, pause and unsubscribe by signed links.

Links are signed with ``PAPERWIRE_SECRET_KEY`` (itsdangerous) and carry the subscription's
``link_version``; unsubscribing bumps it, so every link sent before stops working.
Nothing but the confirmation e-mail is ever sent to an address that is not confirmed, and requests
mail one address at most as often as ``accounts.recipients`` allows, whoever sends them.
A member sees a subscription in their settings only once their account's address is verified.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire import ratelimit
from paperwire.accounts.recipients import may_mail
from paperwire.config import Settings
from paperwire.db.models import Subscription, User
from paperwire.errors import InvalidLink, SubscriptionNotFound, UsageError
from paperwire.mail.message import build_message, clean_address
from paperwire.mail.sender import DeliveryError, Sender, get_sender
from paperwire.papers.records import now_utc
from paperwire.secret import signing_key

log = logging.getLogger(__name__)

FREQUENCIES = ("daily", "weekly")
STATUSES = ("pending", "active", "paused", "unsubscribed", "bounced")
CONFIRM_MAX_AGE = 7 * 24 * 3600
# Links in digests must keep working as long as an old e-mail may be opened.
LINK_MAX_AGE = 400 * 24 * 3600
MAX_TOPICS = 10
MAX_TOPIC_CHARS = 200
_SALT = "paperwire-digest-link"


@dataclass(frozen=True)
class Preferences:
    frequency: str = "daily"
    topics: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    skip_empty: bool = False


def preferences(
    frequency: str,
    topics: list[str] | tuple[str, ...] = (),
    categories: list[str] | tuple[str, ...] = (),
    skip_empty: bool = False,
) -> Preferences:
    """Checked preferences; ``UsageError`` for an unknown frequency or too many or too long topics."""
    if frequency not in FREQUENCIES:
        raise UsageError(f"frequency must be daily or weekly, not {frequency!r}")
    clean_topics = tuple(dict.fromkeys(t.strip() for t in topics if t and t.strip()))
    clean_cats = tuple(dict.fromkeys(c.strip() for c in categories if c and c.strip()))
    if len(clean_topics) > MAX_TOPICS or len(clean_cats) > MAX_TOPICS:
        raise UsageError(f"at most {MAX_TOPICS} topics and {MAX_TOPICS} categories")
    for item in (*clean_topics, *clean_cats):
        if len(item) > MAX_TOPIC_CHARS or any(ch in item for ch in "\r\n\0"):
            raise UsageError("a topic must be one line of at most 200 characters")
    return Preferences(frequency, clean_topics, clean_cats, skip_empty)


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(signing_key(settings), salt=_SALT)


def make_token(settings: Settings, sub: Subscription, action: str) -> str:
    return _serializer(settings).dumps({"s": sub.id, "v": sub.link_version, "a": action})


def link(settings: Settings, sub: Subscription, action: str) -> str:
    """The absolute URL of ``action`` (confirm, manage, unsubscribe) for ``sub``."""
    path = {"confirm": "/subscribe/confirm", "manage": "/subscribe/manage"}.get(
        action, "/subscribe/unsubscribe"
    )
    return f"{settings.base_url}{path}/{make_token(settings, sub, action)}"


def from_token(session: Session, settings: Settings, token: str, action: str) -> Subscription:
    """The subscription a link names; ``InvalidLink`` if forged, expired or superseded."""
    max_age = CONFIRM_MAX_AGE if action == "confirm" else LINK_MAX_AGE
    try:
        data = _serializer(settings).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidLink("this link has expired; subscribe again for a new one") from exc
    except BadSignature as exc:
        raise InvalidLink("this link is not valid") from exc
    # manage links may also unsubscribe; an unsubscribe link may open the manage page
    if not isinstance(data, dict) or (data.get("a") == "confirm") != (action == "confirm"):
        raise InvalidLink("this link is not valid")
    sub = session.get(Subscription, data.get("s"), with_for_update=True)
    if sub is not None and action == "unsubscribe" and _unsubscribed_by(sub, data.get("v")):
        return sub  # mail clients repeat one-click POSTs; the answer stays "unsubscribed"
    if sub is None or sub.link_version != data.get("v"):
        raise InvalidLink("this link is no longer valid; a newer e-mail has a current one")
    return sub


def _unsubscribed_by(sub: Subscription, version: object) -> bool:
    """Whether the link of ``version`` is the one that unsubscribed ``sub`` (or an earlier one)."""
    return sub.status == "unsubscribed" and isinstance(version, int) and version < sub.link_version


def sender_address(settings: Settings) -> str:
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"{settings.community} <digests@{host}>"


def list_id(settings: Settings) -> str:
    host = urlsplit(settings.base_url).hostname or "localhost"
    return f"{settings.community} digest <digest.{host}>"


def find(session: Session, email: str) -> Subscription | None:
    return session.scalar(select(Subscription).where(Subscription.email == clean_address(email)))


def subscribe(
    session: Session,
    settings: Settings,
    sender: Sender,
    email: str,
    prefs: Preferences,
    *,
    user_id: int | None = None,
) -> None:
    """Record a subscription and e-mail a confirmation link (or, to a confirmed address, its manage
    link). Says nothing about whether the address was known, so it cannot reveal subscribers, nor
    whether the address's mail budget (``recipients.may_mail``) let the e-mail go."""
    address = clean_address(email)
    now = now_utc()
    sub = session.scalar(
        select(Subscription).where(Subscription.email == address).with_for_update()
    )
    if sub is None:
        sub = Subscription(email=address, created_at=now, status="pending", link_version=1)
        session.add(sub)
    if sub.status in ("active", "paused"):
        allowed = may_mail(session, address)
        session.commit()
        if allowed:
            _send_manage_link(settings, sender, sub)
        return
    if sub.status == "bounced":
        session.commit()
        return
    sub.status = "pending"
    sub.frequency = prefs.frequency
    sub.topics = list(prefs.topics)
    sub.categories = list(prefs.categories)
    sub.skip_empty = prefs.skip_empty
    sub.user_id = sub.user_id or user_id
    sub.updated_at = now
    allowed = may_mail(session, address)
    session.commit()
    if not allowed:
        return
    confirm_url = link(settings, sub, "confirm")
    text = (
        f"Someone (hopefully you) asked for the {settings.community} {sub.frequency} digest at this "
        f"address.\n\nConfirm here (the link works for 7 days):\n{confirm_url}\n\n"
        "If this was not you, ignore this e-mail: nothing more will be sent."
    )
    html = (
        f"<p>Someone (hopefully you) asked for the {_esc(settings.community)} {sub.frequency} "
        f'digest at this address.</p><p><a href="{_esc(confirm_url)}">Confirm your subscription</a>'
        " (the link works for 7 days).</p><p>If this was not you, ignore this e-mail: nothing more "
        "will be sent.</p>"
    )
    sender.send(
        build_message(
            sender=sender_address(settings),
            to=address,
            subject=f"Confirm your {settings.community} digest",
            text=text,
            html=html,
            list_id=list_id(settings),
        )
    )


def _send_manage_link(settings: Settings, sender: Sender, sub: Subscription) -> None:
    url = link(settings, sub, "manage")
    sender.send(
        build_message(
            sender=sender_address(settings),
            to=sub.email,
            subject=f"Your {settings.community} digest",
            text=f"You are already subscribed. Change or stop your digest here:\n{url}\n",
            html=f'<p>You are already subscribed. <a href="{_esc(url)}">Change or stop your digest</a>.</p>',
            list_id=list_id(settings),
            unsubscribe_url=link(settings, sub, "unsubscribe"),
        )
    )


def _esc(text: str) -> str:
    from markupsafe import escape

    return str(escape(text))


def confirm(session: Session, settings: Settings, token: str) -> Subscription:
    """Confirm the address a confirmation link was sent to (idempotent; flushed, not committed)."""
    sub = from_token(session, settings, token, "confirm")
    if sub.status == "pending":
        now = now_utc()
        sub.status = "active"
        sub.confirmed_at = now
        sub.updated_at = now
    session.flush()
    return sub


def update(
    session: Session, sub: Subscription, prefs: Preferences, *, paused: bool | None = None
) -> Subscription:
    """Change a confirmed subscription's preferences, and pause or resume it (flushed, not
    committed)."""
    if sub.status not in ("active", "paused"):
        raise UsageError("this subscription is not active; subscribe again to restart it")
    sub.frequency = prefs.frequency
    sub.topics = list(prefs.topics)
    sub.categories = list(prefs.categories)
    sub.skip_empty = prefs.skip_empty
    if paused is not None:
        sub.status = "paused" if paused else "active"
    sub.updated_at = now_utc()
    session.flush()
    return sub


def unsubscribe(session: Session, sub: Subscription) -> None:
    """Stop every mail at once; the links sent so far stop working, except to unsubscribe again
    (which changes nothing). Flushed, not committed."""
    if sub.status == "unsubscribed":
        return
    sub.status = "unsubscribed"
    sub.link_version += 1
    sub.updated_at = now_utc()
    session.flush()


def for_user(session: Session, user: User) -> Subscription | None:
    """A member's own subscription, for the settings page: the one to their account's address, once
    that address is verified (an unverified account may have been made with someone else's)."""
    if user.email_verified_at is None:
        return None
    return session.scalar(
        select(Subscription).where(func.lower(Subscription.email) == user.email.lower())
    )


def get(session: Session, subscription_id: int) -> Subscription:
    sub = session.get(Subscription, subscription_id)
    if sub is None:
        raise SubscriptionNotFound(f"no subscription {subscription_id}")
    return sub


def request_subscription(
    session: Session,
    settings: Settings,
    email: str,
    prefs: Preferences,
    *,
    client: str,
    member: User | None = None,
) -> None:
    """Someone asks for a digest at ``email`` (the form or the API): the whole effect, the same for
    every surface. Rate limited per ``client`` (committed at once, so a refused mail still counts);
    the answer never tells whether the address was known, so a bounce is only logged. A member
    asking for their own verified address sees the digest in their settings."""
    ratelimit.hit(session, "subscribe", client)
    session.commit()
    own = (
        member is not None
        and member.email_verified_at is not None
        and email.strip().lower() == member.email
    )
    try:
        subscribe(
            session,
            settings,
            get_sender(settings),
            email,
            prefs,
            user_id=member.id if own and member is not None else None,
        )
    except DeliveryError as exc:
        log.warning("confirmation e-mail not sent: %s", exc)
