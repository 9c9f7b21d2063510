"""``paperwire worker``: job leases keep several workers from running the same job twice."""

from __future__ import annotations

from sqlalchemy import Engine

from paperwire.db.holders import holder_id
from paperwire.papers.records import PaperRecord
from paperwire.worker import JOBS, acquire, release
from tests.digests.support import add_subscribers, paperwire, run
from tests.mail.smtp_sink import SmtpSink


def test_a_leased_job_is_not_taken_again_until_released_and_due(engine: Engine) -> None:
    job = next(j for j in JOBS if j.name == "digests-daily")
    assert acquire(engine, job, "worker-a")
    assert not acquire(engine, job, "worker-b")
    release(engine, job, "worker-a")
    # Released, but it ran within its interval: not due yet.
    assert not acquire(engine, job, holder_id())


def test_two_workers_started_together_run_the_digest_job_once(
    engine: Engine, papers: list[PaperRecord], smtp: SmtpSink, mail_env: dict[str, str]
) -> None:
    emails = add_subscribers(engine, 20)
    workers = [paperwire(mail_env, "worker", "--once", "--job", "digests-daily") for _ in range(2)]
    outputs = [w.communicate(timeout=600)[0].decode() for w in workers]
    assert [w.returncode for w in workers] == [0, 0]
    assert sum("digests-daily:" in out for out in outputs) == 1
    assert sorted(str(m["To"]) for m in smtp.messages()) == emails
    again = run(mail_env, "worker", "--once", "--job", "digests-daily")
    assert "digests-daily" not in again and smtp.count() == 20
