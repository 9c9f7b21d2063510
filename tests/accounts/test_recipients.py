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


def test_the_budget_is_the_mailbox_s_not_the_spelling_s(engine: Engine) -> None:
    """``victim+0@`` .. ``victim+14@`` (and case, and Gmail's dots) reach one inbox: one budget."""
    start = datetime(2026, 6, 5, 0, 0)
    gap = timedelta(seconds=2 * recipients.SPACING.seconds + 1)
    spellings = [f"victim+{i}@example.org" for i in range(15)]
    with Session(engine) as session:
        sent = sum(
            recipients.may_mail(session, address, now=start + gap * i)
            for i, address in enumerate(spellings)
        )
        assert sent == recipients.DAILY.count
        gmail = ["j.doe@gmail.com", "JDoe+x@googlemail.com", "j.d.o.e@Gmail.com."]
        assert recipients.may_mail(session, gmail[0], now=start)
        assert not any(
            recipients.may_mail(session, a, now=start + timedelta(minutes=1)) for a in gmail[1:]
        )
        # dots matter elsewhere: another mailbox, its own budget
        assert recipients.may_mail(session, "jdoe@example.org", now=start)
        assert recipients.may_mail(session, "j.doe@example.org", now=start)
        session.commit()


def test_mailbox_folds_what_reaches_one_inbox() -> None:
    assert recipients.mailbox(" Victim+news@Example.ORG ") == "victim@example.org"
    assert recipients.mailbox("J.Doe+a+b@googlemail.com") == "jdoe@gmail.com"
    assert recipients.mailbox("j.doe@example.org") == "j.doe@example.org"
    assert recipients.mailbox("+only@example.org") == "+only@example.org"
    assert recipients.mailbox("anna@Bücher.example") == "anna@xn--bcher-kva.example"
