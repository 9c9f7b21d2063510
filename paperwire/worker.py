"""``paperwire worker``: the scheduled jobs (embeddings, intake harvests, the author index with
keyphrases and summaries, daily and weekly digests) under leases.

``embed`` computes the embeddings the database lacks, once for the whole cluster (every serving
node's index takes them from the database: ``search/follow.py``), then brings this node's own index
current and trims the papers' change log.

Each job is a row of ``job_locks``: a worker runs a job only after taking its lease with an
``INSERT ... ON CONFLICT DO NOTHING`` or a conditional UPDATE of an expired lease, so several workers
on one database never run the same job at the same time, and a job that ran within its interval is
not run again.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.holders import holder_id
from paperwire.db.models import JobLock
from paperwire.digests.delivery import send_digests
from paperwire.errors import DigestsNotSent, PaperwireError, SourceError
from paperwire.mail.sender import get_sender
from paperwire.papers.records import now_utc


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    lease: timedelta
    run: Callable[[Settings, Engine], str]


# Change-log rows older than this are deleted; a node away longer rebuilds by a full comparison.
CHANGE_LOG_DAYS = 7


def _embed(settings: Settings, engine: Engine) -> str:
    from paperwire.papers import changes
    from paperwire.search import service

    # A full sync also catches up what a failed refresh after a submission left behind.
    report = service.sync_index(settings, engine)
    with engine.begin() as conn:
        changes.prune(conn, timedelta(days=CHANGE_LOG_DAYS))
    return report.summary()


def _index(settings: Settings, engine: Engine) -> str:
    """This node's index after new papers came (embedding them here when few wait)."""
    from paperwire.search import service

    return service.sync_index(settings, engine, after_ingest=True).summary()


def _intake(settings: Settings, engine: Engine) -> str:
    """Harvest every configured source that is due, then bring the index up to date for what came."""
    from paperwire.intake.harvest import run_due

    reports = run_due(settings, engine)
    lines = [report.summary() for report in reports]
    if any(report.new_papers for report in reports):
        lines.append(_index(settings, engine))
    summary = "; ".join(lines) or "no source due"
    if any(report.failure for report in reports):
        raise SourceError(summary)
    return summary


def _enrich(settings: Settings, engine: Engine) -> str:
    """The author index, then keyphrases and summaries of papers lacking them (after ``index``
    has embedded, so the model is warm and new papers are searchable first)."""
    from paperwire.authors.index import sync_authors
    from paperwire.enrich.service import enrich_papers

    return f"{sync_authors(engine).summary()}; {enrich_papers(settings, engine).summary()}"


def _digests(frequency: str) -> Callable[[Settings, Engine], str]:
    def run(settings: Settings, engine: Engine) -> str:
        report = send_digests(settings, engine, get_sender(settings), frequency=frequency)
        if not report.complete:
            raise DigestsNotSent(report.summary())
        return report.summary()

    return run


JOBS = (
    Job("embed", timedelta(minutes=1), timedelta(hours=2), _embed),
    # Each source has its own schedule and lease (paperwire.intake); this job looks every minute.
    Job("intake", timedelta(minutes=1), timedelta(minutes=30), _intake),
    Job("enrich", timedelta(minutes=30), timedelta(hours=2), _enrich),
    Job("digests-daily", timedelta(hours=1), timedelta(hours=2), _digests("daily")),
    Job("digests-weekly", timedelta(hours=6), timedelta(hours=2), _digests("weekly")),
)


def acquire(engine: Engine, job: Job, holder: str) -> bool:
    """Take ``job``'s lease if it is free and the job is due; True when this worker holds it."""
    now = now_utc()
    with Session(engine) as session:
        insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        created = session.execute(
            insert(JobLock)
            .values(name=job.name, holder=holder, acquired_at=now, expires_at=now + job.lease)
            .on_conflict_do_nothing(index_elements=["name"])
            .returning(JobLock.name)
        ).scalar_one_or_none()
        if created is None:
            created = session.execute(
                update(JobLock)
                .where(
                    JobLock.name == job.name,
                    JobLock.expires_at <= now,
                    or_(JobLock.last_run_at.is_(None), JobLock.last_run_at <= now - job.every),
                )
                .values(holder=holder, acquired_at=now, expires_at=now + job.lease)
                .returning(JobLock.name)
            ).scalar_one_or_none()
        session.commit()
        return created is not None


def release(engine: Engine, job: Job, holder: str, *, done: bool = True) -> None:
    """Give the lease back; a job not ``done`` (it failed) stays due for the next round."""
    now = now_utc()
    values = {"expires_at": now, "last_run_at": now} if done else {"expires_at": now}
    with Session(engine) as session:
        session.execute(
            update(JobLock)
            .where(JobLock.name == job.name, JobLock.holder == holder)
            .values(**values)
        )
        session.commit()


def run_due(
    settings: Settings, engine: Engine, log: Callable[[str], None], only: set[str] | None = None
) -> list[str]:
    """Run every due job this worker can lease, one after the other; returns the jobs run. A job
    that fails is logged and stays due; once every job has had its turn, the first failure is
    raised."""
    holder = holder_id()
    ran = []
    failed: list[PaperwireError] = []
    for job in JOBS:
        if only is not None and job.name not in only:
            continue
        if not acquire(engine, job, holder):
            continue
        done = False
        try:
            log(f"{job.name}: {job.run(settings, engine)}")
            ran.append(job.name)
            done = True
        except PaperwireError as exc:
            log(f"{job.name}: failed: {exc}")
            failed.append(exc)
        finally:
            release(engine, job, holder, done=done)
    if failed:
        raise failed[0]
    return ran


def run_forever(
    settings: Settings, engine: Engine, log: Callable[[str], None], poll: float = 60.0
) -> None:
    while True:
        # run_due logged any failure; the failed job is due again next round.
        with contextlib.suppress(PaperwireError):
            run_due(settings, engine, log)
        time.sleep(poll)
