"""The per-address mail budget on SQLite and PostgreSQL: one mail per spacing, a few a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.accounts import recipients


def test_one_address_gets_one_mail_per_spacing_and_a_few_a_day(engine: Engine) -> None:
    start = datetime(2026, 6, 5, 0, 0)
    gap = timedelta(seconds=2 * recipients.SPACING.seconds + 1)
    with Session(engine) as session:
        assert recipients.may_mail(session, "a@example.org", now=start)
        assert not recipients.may_mail(session, "A@example.org ", now=start + timedelta(minutes=1))
        assert recipients.may_mail(session, "b@example.org", now=start + timedelta(minutes=1))
        sent = 1 + sum(
            recipients.may_mail(session, "a@example.org", now=start + gap * i) for i in range(1, 8)
        )
        assert sent == recipients.DAILY.count
        assert recipients.may_mail(session, "a@example.org", now=start + timedelta(days=2))
        session.commit()
