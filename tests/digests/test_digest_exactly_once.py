"""Exactly once: a sender killed with SIGKILL halfway then rerun, and two senders started together,
each deliver one digest per subscriber (real ``paperwire digest send`` processes, SQLite and
PostgreSQL)."""

from __future__ import annotations

import signal
import time
from collections import Counter

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperwire.db.models import DigestDelivery
from paperwire.papers.records import PaperRecord
from tests.digests.support import add_subscribers, paperwire, run
from tests.mail.smtp_sink import SmtpSink


def _recipients(smtp: SmtpSink) -> Counter[str]:
    return Counter(str(m["To"]) for m in smtp.messages())


def test_sender_killed_halfway_then_rerun_delivers_exactly_one_each(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink, mail_env: dict[str, str]
) -> None:
    emails = add_subscribers(engine, 1000)
    sender = paperwire(mail_env, "digest", "send", "--date", "2026-06-05")
    while smtp.count() < 300:
        if sender.poll() is not None:
            raise AssertionError("the sender finished before it could be killed")
        time.sleep(0.01)
    sender.send_signal(signal.SIGKILL)
    sender.wait()
    halfway = smtp.count()
    assert halfway < 1000
    run(mail_env, "digest", "send", "--date", "2026-06-05")
    received = _recipients(smtp)
    assert set(received) == set(emails)
    assert max(received.values()) == 1
    with Session(engine) as session:
        statuses = dict(
            session.execute(
                select(DigestDelivery.status, func.count()).group_by(DigestDelivery.status)
            ).all()
        )
    assert statuses == {"sent": 1000}


def test_two_senders_started_together_deliver_exactly_one_each(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink, mail_env: dict[str, str]
) -> None:
    emails = add_subscribers(engine, 600)
    senders = [paperwire(mail_env, "digest", "send", "--date", "2026-06-05") for _ in range(2)]
    outputs = [s.communicate(timeout=600) for s in senders]
    assert [s.returncode for s in senders] == [0, 0], [err.decode() for _, err in outputs]
    received = _recipients(smtp)
    assert set(received) == set(emails) and max(received.values()) == 1
    # The two summaries add up to every subscriber: no send is counted twice.
    counts = [int(out.decode().split(": ")[1].split(" sent")[0]) for out, _ in outputs]
    assert sum(counts) == 600
