"""Submitting one paper by arXiv id or URL: fetch its metadata if needed and put it in a daily list;
then ``refresh_index`` brings the search index up to date (retried, logged, shown on ``/healthz``)."""

from __future__ import annotations

import logging
import sqlite3
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paperwire import problems, ratelimit
from paperwire.config import Settings
from paperwire.db.engine import session_scope
from paperwire.db.models import DailyEntry, Paper, User
from paperwire.errors import (
    PaperNotFound,
    PaperwireError,
    SourceError,
    SubmissionRefused,
    UsageError,
)
from paperwire.ingest import arxiv_api
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import Rejection
from paperwire.papers.ids import parse_arxiv_id
from paperwire.papers.records import EntryRecord, PaperRecord, now_utc, unstorable, utc_naive
from paperwire.papers.store import upsert_papers

ENTRY_SOURCE = "submit"
# The index refresh after a submission is tried again after these pauses (seconds): a sync of another
# process holding the index's write lock, or a moment of full disk, often passes.
REFRESH_RETRY_DELAYS = (1.0, 5.0)
# The most a member's submission waits on the arXiv API, every try and wait included (seconds).
SUBMIT_BUDGET = 30.0

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SubmitResult:
    """Where the paper is now listed; ``added`` is False when it already was in a daily list."""

    paper_id: str
    title: str
    list_date: date
    added: bool
    fetched: bool

    def message(self) -> str:
        if self.added:
            return f"{self.paper_id} added to the daily list of {self.list_date.isoformat()}"
        return f"{self.paper_id} already in the daily list of {self.list_date.isoformat()}"


def _stored_paper(session: Session, arxiv_id: str) -> Paper | None:
    return session.scalar(
        select(Paper).where(or_(Paper.id == arxiv_id, Paper.arxiv_id == arxiv_id)).limit(1)
    )


def _fetch_record(fetcher: Fetcher, base_url: str, arxiv_id: str) -> PaperRecord:
    for item in arxiv_api.fetch(fetcher, base_url, id_list=[arxiv_id]):
        if isinstance(item, Rejection):
            # An instance without network says so in a plain sentence (the demo's replay).
            raise SourceError(item.reason if item.source == arxiv_api.OFFLINE else str(item))
        if item.id == arxiv_id:
            reason = unstorable(item)
            if reason:
                raise SourceError(f"{arxiv_api.SOURCE}: {item.origin or arxiv_id}: {reason}")
            return item
    raise PaperNotFound(f"arXiv has no paper {arxiv_id} (looked up at {base_url})")


def _check_age(paper_id: str, published: datetime | None, max_age_days: int | None) -> None:
    published = utc_naive(published)
    if max_age_days is None or published is None:
        return
    if published < now_utc() - timedelta(days=max_age_days):
        raise SubmissionRefused(
            f"Only papers first published in the last {max_age_days} days can be submitted here;"
            f" {paper_id} was first published on {published:%Y-%m-%d}."
        )


def submit_paper(
    engine: Engine,
    fetcher: Fetcher,
    base_url: str,
    id_or_url: str,
    *,
    list_date: date | None = None,
    submitted_by_id: int | None = None,
    submitter_name: str | None = None,
    max_age_days: int | None = None,
) -> SubmitResult:
    """Put the paper named by ``id_or_url`` in the daily list of ``list_date`` (default today, UTC).

    A paper already in the database is used as stored, without asking arXiv; only an unknown paper
    is fetched (its latest version) and stored. A paper already in a daily list stays there and
    the result names that date. With ``max_age_days``, a paper first published longer ago than
    that is refused (``SubmissionRefused``; a paper already listed is still pointed to). Raises
    ``InvalidPaperId`` for input that is no arXiv id or URL, ``PaperNotFound`` when arXiv does
    not know the id or a moderator hid the paper, ``SourceError`` when arXiv cannot be read.
    """
    arxiv_id = parse_arxiv_id(id_or_url).id
    day = list_date or datetime.now(UTC).date()
    with session_scope(engine) as session:
        stored = _stored_paper(session, arxiv_id)
        entry = session.get(DailyEntry, stored.id) if stored is not None else None
    if stored is not None and stored.hidden:
        # A moderator took it down: not there to anyone, and no way back in (nor its title out).
        raise PaperNotFound(f"There is no paper {arxiv_id} here to list.")
    if stored is not None and entry is not None:
        return SubmitResult(stored.id, stored.title, entry.list_date, added=False, fetched=False)
    record = None if stored is not None else _fetch_record(fetcher, base_url, arxiv_id)
    paper_id = stored.id if stored is not None else arxiv_id
    published = (
        record.published_at if record is not None else stored.published_at if stored else None
    )
    _check_age(paper_id, published, max_age_days)
    new_entry = EntryRecord(
        list_date=day,
        source=ENTRY_SOURCE,
        submitted_at=now_utc(),
        submitted_by_id=submitted_by_id,
        submitter_name=submitter_name,
    )
    try:
        with session_scope(engine) as session:
            if record is not None:
                record.entry = new_entry
                upsert_papers(session, [record])
            else:
                session.add(
                    DailyEntry(
                        paper_id=paper_id,
                        list_date=new_entry.list_date,
                        submitted_at=new_entry.submitted_at,
                        submitted_by_id=submitted_by_id,
                        submitter_name=submitter_name,
                        submitter_info={},
                        source=ENTRY_SOURCE,
                        imported_comments=0,
                    )
                )
    except IntegrityError:
        # Someone listed the paper between our check and our insert: report their entry.
        with session_scope(engine) as session:
            entry = session.get(DailyEntry, paper_id)
            paper = session.get(Paper, paper_id)
        if entry is None or paper is None:
            raise
        return SubmitResult(paper_id, paper.title, entry.list_date, added=False, fetched=False)
    title = record.title if record is not None else stored.title if stored else paper_id
    return SubmitResult(paper_id, title, day, added=True, fetched=record is not None)


def member_submission(
    session: Session, engine: Engine, settings: Settings, member: User, id_or_url: str
) -> SubmitResult:
    """A member submits a paper from the site or the API: the member's rate limit (its hit committed
    at once, so a refused attempt still counts), then ``submit_paper`` with the instance's arXiv
    address and age rule. The caller brings the index up to date afterwards (``refresh_index``,
    after its answer has gone out)."""
    ratelimit.hit(session, "submit", f"user:{member.id}")
    session.commit()
    if not id_or_url.strip():
        raise UsageError("Paste an arXiv id (such as 2403.04640) or an arXiv link.")
    # A member waits for the answer: each try at most 10 s, all of them (and the waits) 30 s.
    with Fetcher(
        source="arxiv",
        retries=2,
        backoff=1.0,
        max_wait=10,
        timeout=10,
        budget=SUBMIT_BUDGET,
        allow_private=settings.fetch_allow_private,
    ) as fetcher:
        return submit_paper(
            engine,
            fetcher,
            settings.arxiv_api_url,
            id_or_url.strip(),
            submitted_by_id=member.id,
            submitter_name=member.username,
            max_age_days=settings.submit_max_age_days,
        )


def refresh_index(
    settings: Settings,
    engine: Engine,
    paper_id: str,
    retry_delays: tuple[float, ...] | None = None,
) -> bool:
    """Bring the search index up to date after ``paper_id`` was submitted; True when it is.

    The paper is stored and listed whatever happens here. A failure is logged with the paper id and
    tried again after ``retry_delays`` (default ``REFRESH_RETRY_DELAYS``); if every try fails it is recorded for ``/healthz`` (the
    worker's next index run or ``paperwire index`` catches up), and the next refresh that works
    clears it."""
    from paperwire.search import service

    delays = REFRESH_RETRY_DELAYS if retry_delays is None else retry_delays
    for attempt, delay in enumerate((*delays, None), start=1):
        try:
            service.sync_index(settings, engine, after_ingest=True)
        except (PaperwireError, OSError, sqlite3.Error) as exc:
            error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "search index not refreshed after submitting %s (attempt %d): %s",
                paper_id,
                attempt,
                error,
            )
            if delay is None:
                problems.record(
                    settings,
                    service.REFRESH_PROBLEM,
                    f"the search index was not refreshed after {paper_id} was submitted"
                    f" ({type(exc).__name__}, see the log); run paperwire index, or the worker's"
                    " next index run catches up",
                )
                return False
            time.sleep(delay)
            continue
        return True
    return False
