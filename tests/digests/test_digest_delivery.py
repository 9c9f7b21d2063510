"""Delivery against a real SMTP server process: right papers and headers, exactly once, retries,
bounces, and nothing for unconfirmed or unsubscribed addresses (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from paperwire.config import load_settings
from paperwire.db.models import DigestDelivery, DigestItem, Subscription
from paperwire.digests import subscriptions
from paperwire.digests.delivery import send_digests
from paperwire.mail.sender import SmtpSender
from paperwire.papers.records import PaperRecord
from tests.digests.support import FRIDAY, MONDAY, SATURDAY, add_subscribers, run
from tests.mail.smtp_sink import SmtpSink


def _send(engine: Engine, smtp: SmtpSink, day=FRIDAY, frequency="daily"):  # type: ignore[no-untyped-def]
    return send_digests(
        load_settings(),
        engine,
        SmtpSender(smtp.url),
        frequency=frequency,
        day=day,
        retry_delays=(0.0, 0.0, 0.0),
    )


def _ids(text: str) -> list[str]:
    return re.findall(r"/papers/([0-9.]+)", text)


def test_digest_has_trending_then_topic_papers_and_list_headers(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink
) -> None:
    [address] = add_subscribers(engine, 1, topics=["protein folding"])
    report = _send(engine, smtp)
    assert (report.sent, report.bounced, report.retry) == (1, 0, 0), report
    [msg] = smtp.messages(address)
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    # Trending (most votes first), then the topic's new paper; never the old or Monday's paper.
    assert _ids(text)[:3] == ["2606.00001", "2606.00002", "2606.00003"]
    assert "2601.00005" not in text and "2606.00006" not in text and "2606.00004" not in text
    assert "https://arxiv.org/abs/2606.00003" in html and "<script" not in html
    assert "New on “protein folding”" in text
    assert msg["List-Unsubscribe"].startswith("<https://papers.example.org/subscribe/unsubscribe/")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert msg["List-Id"] and msg["Message-ID"]
    with Session(engine) as session:
        sent = set(session.scalars(select(DigestItem.paper_id)))
    assert sent == {"2606.00001", "2606.00002", "2606.00003"}


def test_same_send_twice_delivers_nothing_new_and_papers_are_never_repeated(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink
) -> None:
    [address] = add_subscribers(engine, 1, topics=["protein folding"])
    _send(engine, smtp)
    again = _send(engine, smtp)
    assert again.sent == 0 and smtp.count() == 1
    # The weekly digest of the same week leaves out what the daily one already sent.
    with Session(engine) as session:
        session.execute(
            Subscription.__table__.update().values(frequency="weekly")  # type: ignore[attr-defined]
        )
        session.commit()
    _send(engine, smtp, frequency="weekly")
    weekly = smtp.messages(address)[-1].get_body(("plain",)).get_content()
    assert "2606.00001" not in weekly and "2606.00003" not in weekly


def test_a_period_with_nothing_new_says_why_or_is_skipped(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink
) -> None:
    first, second = add_subscribers(engine, 2)
    with Session(engine) as session:
        session.execute(
            Subscription.__table__.update()  # type: ignore[attr-defined]
            .where(Subscription.email == second)
            .values(skip_empty=True)
        )
        session.commit()
    report = _send(engine, smtp, day=SATURDAY)
    assert (report.sent, report.skipped) == (1, 1)
    [msg] = smtp.messages()
    assert str(msg["To"]) == first
    assert "no announcements on Saturdays and Sundays" in msg.get_body(("plain",)).get_content()


def test_451_then_250_delivers_once(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink
) -> None:
    [address] = add_subscribers(engine, 1)
    smtp.script(address, "451", "250")
    report = _send(engine, smtp)
    assert report.sent == 1 and len(smtp.messages(address)) == 1
    with Session(engine) as session:
        delivery = session.scalars(select(DigestDelivery)).one()
    assert (delivery.status, delivery.attempts) == ("sent", 2)


def test_451_every_time_is_left_for_the_next_run(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink
) -> None:
    [address] = add_subscribers(engine, 1)
    smtp.script(address, "451", "451", "451", "451", "250")
    assert _send(engine, smtp).retry == 1 and smtp.count() == 0
    assert _send(engine, smtp).sent == 1 and len(smtp.messages(address)) == 1


def test_550_pauses_the_address_and_records_why(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink
) -> None:
    bad, good = add_subscribers(engine, 2)
    smtp.script(bad, "550")
    report = _send(engine, smtp)
    assert (report.sent, report.bounced) == (1, 1)
    with Session(engine) as session:
        sub = session.scalars(select(Subscription).where(Subscription.email == bad)).one()
    assert sub.status == "bounced" and sub.last_error and sub.last_error.startswith("550")
    _send(engine, smtp, day=MONDAY)
    assert smtp.messages(bad) == [] and len(smtp.messages(good)) == 2


def test_unconfirmed_and_unsubscribed_addresses_get_nothing(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink
) -> None:
    add_subscribers(engine, 3, status="pending")
    assert _send(engine, smtp).sent == 0
    with Session(engine) as session:
        sub = session.scalars(select(Subscription).limit(1)).one()
        sub.status = "active"
        session.commit()
        subscriptions.unsubscribe(session, sub)
        session.commit()
    assert _send(engine, smtp, day=FRIDAY + timedelta(days=3)).sent == 0
    assert smtp.count() == 0


def test_cli_dry_run_and_preview_send_nothing(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink, mail_env: dict[str, str]
) -> None:
    [address] = add_subscribers(engine, 1, topics=["protein folding"])
    dry = run(mail_env, "digest", "send", "--date", FRIDAY.isoformat(), "--dry-run")
    assert f"To: {address}" in dry and "Protein folding with diffusion" in dry
    shown = run(mail_env, "digest", "preview", address, "--date", FRIDAY.isoformat())
    assert "Trending on Friday: attention everywhere" in shown
    assert smtp.count() == 0
    with Session(engine) as session:
        assert session.scalars(select(DigestDelivery)).all() == []
