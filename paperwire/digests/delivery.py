"""Delivering a period's digests at most once per (subscription, period), and in practice once.

Each sender claims rows of ``digest_deliveries`` with ``INSERT ... ON CONFLICT DO NOTHING RETURNING``,
so two senders running together get disjoint subscribers; the claim commits before any mail goes
out. A claim carries a random id of the sending process (with host and PID for people): a claim left
``sending`` by a sender that died is taken over when its lease has expired or, when it was made in
this very kernel boot and PID namespace (never another container or a cloned VM with the same host
name and PIDs), as soon as its process is gone; every later write of the row is conditional on
the claim (holder and time) still being the sender's own, so a sender stalled past its lease and
taken over sends nothing more for that row.

Per message the sender sends MAIL, RCPT, DATA and the whole body, then commits the row ``sent`` (with
the papers sent), and only then sends the final ``.`` that asks the server to accept the message
(``SmtpSender.send``). SMTP cannot make a send and its record one atomic step (RFC 1047), so this
order picks "at most once" and leaves a loss window, never a duplicate one. Where a SIGKILL of the
sender lands decides:

- before the commit is durable: the server holds an unfinished message and discards it when the
  connection closes; the row stays ``sending`` and the rerun sends it. Exactly once.
- after the commit is durable but before the ``.`` has been written to the socket: the message is
  recorded sent but the server never gets it. **Lost.** The window is the few microseconds after
  SQLite's commit, and on PostgreSQL also the COMMIT's round trip (the server has committed before
  the client reads its answer): a fraction of a millisecond per message.
- after the ``.`` was written: the kernel still delivers it. A real MTA (Postfix, Exim) queues a
  complete message whether or not the client is still there to read the ``250``. aiosmtpd also
  keeps it when its handler finishes without awaiting, but cancels a handler that is still
  awaiting something (a slow check before queueing) when the client goes: such a server loses the
  message (recorded sent). Never resent, so never twice.

A connection lost after the ``.`` (server crash, network) is the same ambiguity: the send stays
recorded, is reported, and is not resent.

4xx answers are retried with back-off, then left ``retry`` for the next run; 5xx answers to RCPT or
the message pause the address (``subscriptions.status = 'bounced'``) and record the error for the
admin page. A failure of the server itself (unreachable, certificate or login refused, sender
refused: ``MailServerError``) is retried briefly, then stops the run: no address is paused, nothing
is marked sent, every claimed row is left ``retry`` and the report says why, so the next run sends
each digest once.
"""

from __future__ import annotations

import logging
import multiprocessing
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import Message

from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.holders import holder_id, holder_is_dead
from paperwire.db.models import DigestDelivery, DigestItem, Subscription
from paperwire.digests import subscriptions
from paperwire.digests.compose import (
    Digest,
    DigestPeriod,
    PeriodContent,
    compose,
    period_for,
    render,
)
from paperwire.errors import DeliveryError, MailServerError, PaperwireError
from paperwire.mail.message import build_message
from paperwire.mail.sender import Sender
from paperwire.papers.records import now_utc
from paperwire.search import index

LEASE = timedelta(minutes=10)
log = logging.getLogger(__name__)
BATCH = 200
RETRY_DELAYS = (1.0, 4.0, 15.0)
# A server that cannot be reached (or refuses our session) fails every message alike: the run tries
# it a little while and then stops, leaving the rest for the next run instead of trying each.
SERVER_RETRY_DELAYS = (1.0, 4.0)


@dataclass
class SendReport:
    period: str
    sent: int = 0
    skipped: int = 0
    retry: int = 0
    bounced: int = 0
    dry_run: list[Digest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    server_error: str | None = None

    @property
    def complete(self) -> bool:
        """Every due digest sent, skipped or bounced: nothing is left for the next run."""
        return self.retry == 0 and self.server_error is None

    def summary(self) -> str:
        stopped = f"; stopped: {self.server_error}" if self.server_error else ""
        return (
            f"digest {self.period}: {self.sent} sent, {self.skipped} skipped (nothing new), "
            f"{self.retry} to retry, {self.bounced} bounced{stopped}"
        )


def _due(session: Session, frequency: str) -> list[int]:
    return list(
        session.scalars(
            select(Subscription.id)
            .where(Subscription.status == "active", Subscription.frequency == frequency)
            .order_by(Subscription.id)
        )
    )


@dataclass(frozen=True)
class Claim:
    """Who holds a row of ``digest_deliveries`` and since when: a takeover changes ``at``, so a
    sender stalled past its lease can tell that its row is no longer its own."""

    holder: str
    at: datetime


class ClaimLost(Exception):
    """Another sender took the row over (this one outlived its lease): it must send nothing."""


def _claim(
    session: Session, ids: Sequence[int], period: str, holder: str
) -> tuple[list[int], Claim]:
    """Claim the given subscriptions for ``period``; returns those this sender now holds."""
    now = now_utc()
    upsert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    claimed = set(
        session.scalars(
            upsert(DigestDelivery)
            .values(
                [
                    {
                        "subscription_id": sid,
                        "period": period,
                        "status": "sending",
                        "claimed_by": holder,
                        "claimed_at": now,
                        "attempts": 0,
                    }
                    for sid in ids
                ]
            )
            .on_conflict_do_nothing(index_elements=["subscription_id", "period"])
            .returning(DigestDelivery.subscription_id)
        )
    )
    session.commit()
    others = [sid for sid in ids if sid not in claimed]
    if others:
        stale = session.execute(
            select(
                DigestDelivery.id,
                DigestDelivery.status,
                DigestDelivery.claimed_by,
                DigestDelivery.claimed_at,
            ).where(
                DigestDelivery.subscription_id.in_(others),
                DigestDelivery.period == period,
                DigestDelivery.status.in_(("retry", "sending")),
            )
        ).all()
        for row_id, status, old_holder, old_at in stale:
            expired = old_at is None or old_at < now - LEASE
            if status == "sending" and not (expired or holder_is_dead(old_holder)):
                continue
            # A conditional UPDATE: of two senders taking over the same row, only one matches.
            taken = session.execute(
                update(DigestDelivery)
                .where(
                    DigestDelivery.id == row_id,
                    DigestDelivery.status == status,
                    DigestDelivery.claimed_by.is_not_distinct_from(old_holder),
                    DigestDelivery.claimed_at.is_not_distinct_from(old_at),
                )
                .values(status="sending", claimed_by=holder, claimed_at=now)
                .returning(DigestDelivery.subscription_id)
            ).scalar_one_or_none()
            if taken is not None:
                claimed.add(taken)
        session.commit()
    return [sid for sid in ids if sid in claimed], Claim(holder, now)


def _catch_up(settings: Settings, engine: Engine) -> None:
    """Compose from the database's truth: this node's index may lag papers another node ingested.
    An index that cannot be brought current is logged; its topics then say they could not be
    searched (``compose``), and everything else is sent."""
    try:
        index.sync(settings, engine, embed=False)
    except (PaperwireError, OSError, sqlite3.Error) as exc:
        log.warning("the search index could not be brought current before the digests: %s", exc)


def send_digests(
    settings: Settings,
    engine: Engine,
    sender: Sender,
    *,
    frequency: str = "daily",
    day: date | None = None,
    dry_run: bool = False,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send the digest of the period containing ``day`` (default: yesterday for daily, last week for
    weekly) to every active subscriber of ``frequency`` who has not had it yet."""
    if day is None:
        day = now_utc().date() - timedelta(days=1 if frequency == "daily" else 7)
    period = period_for(frequency, day)
    _catch_up(settings, engine)
    content = PeriodContent(settings, engine, period)
    report = SendReport(period=f"{frequency} {period.key}")
    holder = holder_id()
    with Session(engine, expire_on_commit=False) as session:
        due = _due(session, frequency)
        if dry_run:
            for sub in session.scalars(select(Subscription).where(Subscription.id.in_(due))):
                report.dry_run.append(compose(session, content, sub))
            return report
        with sender:
            for start in range(0, len(due), BATCH):
                mine, claim = _claim(session, due[start : start + BATCH], period.key, holder)
                subs = session.scalars(select(Subscription).where(Subscription.id.in_(mine)))
                try:
                    for sub in sorted(subs, key=lambda s: s.id):
                        _deliver(
                            session,
                            settings,
                            sender,
                            content,
                            sub,
                            claim,
                            report,
                            retry_delays,
                            sleep,
                        )
                except MailServerError as exc:
                    report.server_error = str(exc)
                    report.retry += _release(session, period, holder, str(exc))
                    break
    return report


def _release(session: Session, period: DigestPeriod, holder: str, error: str) -> int:
    """Hand back this sender's unsent claims as ``retry`` (the next run takes them at once)."""
    released = session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.period == period.key,
            DigestDelivery.claimed_by == holder,
            DigestDelivery.status == "sending",
        )
        .values(status="retry", error=f"not tried: {error}")
        .returning(DigestDelivery.id)
    ).all()
    session.commit()
    return len(released)


def _send_in_child(settings: Settings, frequency: str, day: date) -> SendReport:
    from paperwire.db.engine import make_engine
    from paperwire.mail.sender import get_sender

    engine = make_engine(settings.database_url)
    try:
        return send_digests(settings, engine, get_sender(settings), frequency=frequency, day=day)
    finally:
        engine.dispose()


def send_parallel(
    settings: Settings, workers: int, *, frequency: str = "daily", day: date | None = None
) -> SendReport:
    """``send_digests`` in ``workers`` processes at once (each with its own SMTP connection); the
    claims keep them on disjoint subscribers, as they do for senders on different machines."""
    if day is None:
        day = now_utc().date() - timedelta(days=1 if frequency == "daily" else 7)
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        parts = pool.starmap(_send_in_child, [(settings, frequency, day)] * workers)
    total = SendReport(period=parts[0].period)
    for part in parts:
        total.sent += part.sent
        total.skipped += part.skipped
        total.retry += part.retry
        total.bounced += part.bounced
        total.errors += part.errors
        total.server_error = total.server_error or part.server_error
    return total


def message_for(settings: Settings, digest: Digest, sub: Subscription) -> tuple[str, Message]:
    links = {
        "manage": subscriptions.link(settings, sub, "manage"),
        "unsubscribe": subscriptions.link(settings, sub, "unsubscribe"),
    }
    subject, text, html = render(settings, digest, links)
    message = build_message(
        sender=subscriptions.sender_address(settings),
        to=sub.email,
        subject=subject,
        text=text,
        html=html,
        list_id=subscriptions.list_id(settings),
        unsubscribe_url=links["unsubscribe"],
    )
    return subject, message


def _finish(
    session: Session, sub: Subscription, period: DigestPeriod, claim: Claim, **values: object
) -> bool:
    """Update the row if this sender's claim on it still stands; False if it was taken over."""
    changed = session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.subscription_id == sub.id,
            DigestDelivery.period == period.key,
            DigestDelivery.status == "sending",
            DigestDelivery.claimed_by == claim.holder,
            DigestDelivery.claimed_at == claim.at,
        )
        .values(**values)
        .returning(DigestDelivery.id)
    ).all()
    return bool(changed)


def _deliver(
    session: Session,
    settings: Settings,
    sender: Sender,
    content: PeriodContent,
    sub: Subscription,
    claim: Claim,
    report: SendReport,
    retry_delays: Sequence[float],
    sleep: Callable[[float], None],
) -> None:
    period = content.period
    digest = compose(session, content, sub)
    now = now_utc()
    if digest.is_empty and sub.skip_empty:
        _finish(session, sub, period, claim, status="skipped", sent_at=now)
        session.commit()
        report.skipped += 1
        return
    _, message = message_for(settings, digest, sub)
    attempts = 0
    recorded = False

    def record_sent() -> None:
        # Committed before the server is asked to accept the message (see SmtpSender.send).
        nonlocal recorded
        if not _finish(
            session,
            sub,
            period,
            claim,
            status="sent",
            sent_at=now,
            attempts=attempts,
            message_id=str(message["Message-ID"]),
            error=None,
        ):
            session.rollback()
            raise ClaimLost(sub.email)
        if digest.paper_ids:
            session.execute(
                insert(DigestItem),
                [
                    {
                        "subscription_id": sub.id,
                        "paper_id": pid,
                        "period": period.key,
                        "sent_at": now,
                    }
                    for pid in digest.paper_ids
                ],
            )
        session.commit()
        recorded = True

    error: DeliveryError | None = None
    delays = list(retry_delays)
    server_down = False
    while True:
        attempts += 1
        try:
            sender.send(message, record_sent)
            error = None
            break
        except ClaimLost:
            # The row now belongs to the sender that took it over; the connection was closed
            # before the final dot, so the server discards this copy.
            return
        except DeliveryError as exc:
            error = exc
            if recorded and exc.outcome_unknown:
                # The connection failed after the final dot: the server may hold the message.
                # Resending could deliver it twice, so the recorded send stands (at most once).
                report.errors.append(f"{sub.email}: sent, but the server's answer was lost: {exc}")
                error = None
                break
            if recorded:
                _unrecord(session, sub, period, claim)
                recorded = False
            if isinstance(exc, MailServerError) and not server_down:
                server_down = True
                delays = [
                    min(a, b) for a, b in zip(SERVER_RETRY_DELAYS, retry_delays, strict=False)
                ]
            if not exc.temporary or not delays:
                break
            sleep(delays.pop(0))
    now = now_utc()
    if error is None:
        report.sent += 1
    elif isinstance(error, MailServerError):
        # Not this subscriber's fault: never a bounce; the run stops and the next one retries.
        _finish(session, sub, period, claim, status="retry", attempts=attempts, error=str(error))
        session.commit()
        report.retry += 1
        raise error
    elif error.temporary:
        _finish(session, sub, period, claim, status="retry", attempts=attempts, error=str(error))
        session.commit()
        report.retry += 1
        report.errors.append(f"{sub.email}: {error}")
    elif not _finish(
        session, sub, period, claim, status="failed", attempts=attempts, error=str(error)
    ):
        session.rollback()
    else:
        sub.status = "bounced"
        sub.last_error = str(error)
        sub.updated_at = now
        session.commit()
        report.bounced += 1
        report.errors.append(f"{sub.email}: {error}")


def _unrecord(session: Session, sub: Subscription, period: DigestPeriod, claim: Claim) -> None:
    """Undo a send recorded before the server refused the message at its end."""
    session.execute(
        delete(DigestItem).where(
            DigestItem.subscription_id == sub.id, DigestItem.period == period.key
        )
    )
    session.execute(
        update(DigestDelivery)
        .where(
            DigestDelivery.subscription_id == sub.id,
            DigestDelivery.period == period.key,
            DigestDelivery.claimed_by == claim.holder,
            DigestDelivery.claimed_at == claim.at,
        )
        .values(status="sending", sent_at=None, message_id=None)
    )
    session.commit()


@dataclass(frozen=True)
class DeliveryRow:
    email: str
    period: str
    status: str
    attempts: int
    error: str | None
    at: datetime | None


def delivery_counts(session: Session) -> dict[str, int]:
    """How many digest deliveries are in each status (sent, sending, retry, ...)."""
    rows = session.execute(
        select(DigestDelivery.status, func.count()).group_by(DigestDelivery.status)
    ).all()
    return {status: int(count) for status, count in rows}


def recent(session: Session, limit: int = 100) -> list[DeliveryRow]:
    """The latest sends and failures, newest first, for the admin page."""
    rows = session.execute(
        select(Subscription.email, DigestDelivery)
        .join(Subscription, Subscription.id == DigestDelivery.subscription_id)
        .order_by(DigestDelivery.id.desc())
        .limit(limit)
    ).all()
    return [
        DeliveryRow(email, d.period, d.status, d.attempts, d.error, d.sent_at or d.claimed_at)
        for email, d in rows
    ]


def bounced(session: Session) -> list[Subscription]:
    """Addresses paused by a permanent failure, with the server's answer."""
    return list(
        session.scalars(
            select(Subscription)
            .where(Subscription.status == "bounced")
            .order_by(Subscription.updated_at.desc())
        )
    )


def preview(settings: Settings, engine: Engine, email: str, day: date | None = None) -> Digest:
    """The next digest ``email`` would receive, without sending or recording anything."""
    with Session(engine) as session:
        sub = subscriptions.find(session, email)
        if sub is None:
            from paperwire.errors import SubscriptionNotFound

            raise SubscriptionNotFound(f"no subscription for {email}")
        today = settings.today or now_utc().date()
        day = day or today - timedelta(days=1 if sub.frequency == "daily" else 7)
        _catch_up(settings, engine)
        content = PeriodContent(settings, engine, period_for(sub.frequency, day))
        return compose(session, content, sub)
