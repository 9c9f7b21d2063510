"""Harvest one configured source: incrementally from its stored cursor, politely, in batches that
each commit the papers, the listing and the cursor together.

What a source yields is read as a stream of records, rejections and ``Mark``s: a mark says that
every record before it is covered up to a cursor (OAI-PMH: the datestamp of the record just read,
records come in datestamp order and ``from`` is inclusive; Hugging Face: a date fully fetched; the
arXiv API, newest first: the newest submission date, once the whole answer is read). A batch
commits with the last mark it holds, so the cursor never moves past what was not stored, and a
harvest killed halfway resumes from its last committed batch without gaps (upserts are
idempotent, so what is read twice changes nothing).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Engine

from paperwire import __version__
from paperwire.config import Settings
from paperwire.db.engine import session_scope
from paperwire.errors import PaperwireError, SourceError
from paperwire.ingest import arxiv_api, hf, oai
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import Rejection
from paperwire.intake import listing, state
from paperwire.intake.config import SourceConfig
from paperwire.intake.schedule import is_due, next_run
from paperwire.intake.sources import live_sources
from paperwire.papers.records import PaperRecord, now_utc, unstorable
from paperwire.papers.store import upsert_papers

BATCH = 500
_URL = re.compile(r"https?://\S+")
# When each host was last asked, so two sources on one host are paced together (per process).
_HOST_LAST: dict[str, float] = {}


@dataclass(frozen=True)
class Mark:
    """Everything yielded before this is covered up to ``cursor``."""

    cursor: str


Stream = Iterator[PaperRecord | Rejection | Mark]


@dataclass
class RunReport:
    source: str
    cursor_before: str | None = None
    cursor: str | None = None
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    listed: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    failure: str | None = None
    busy: bool = False

    @property
    def ok(self) -> bool:
        return not self.busy and self.failure is None and not self.rejected

    @property
    def status(self) -> str:
        if self.busy:
            return "busy"
        if self.failure:
            return "failed"
        return "rejected" if self.rejected else "ok"

    @property
    def new_papers(self) -> bool:
        return bool(self.added or self.updated or self.listed)

    def summary(self) -> str:
        if self.busy:
            return f"{self.source}: skipped, another process is harvesting it"
        line = (
            f"{self.source}: {self.added} added, {self.updated} updated, {self.unchanged} unchanged,"
            f" {self.listed} listed, {len(self.rejected)} rejected; cursor {self.cursor or 'none'}"
        )
        return line + (f"; stopped: {self.failure}" if self.failure else "")


def user_agent(settings: Settings) -> str:
    contact = settings.contact or "no contact set (PAPERWIRE_CONTACT)"
    return f"paperwire/{__version__} ({settings.community}; {settings.base_url}; {contact})"


def _fetcher(settings: Settings, source: SourceConfig) -> Fetcher:
    fetcher = Fetcher(
        source=source.name,
        min_interval=source.min_interval,
        retries=source.retries,
        backoff=source.backoff,
        timeout=source.timeout,
        user_agent=user_agent(settings),
        allow_private=settings.fetch_allow_private,
    )
    fetcher._last = _HOST_LAST.get(urlsplit(source.base_url).netloc, 0.0)
    return fetcher


def _start(source: SourceConfig, cursor: str | None, since: date | None, today: date) -> date:
    if since is not None:
        return since
    if cursor:
        day = date.fromisoformat(cursor)
        # Hugging Face: the last two days again, for their upvotes.
        return day - timedelta(days=1) if source.kind == "hf" else day
    return source.since or today


def _oai(fetcher: Fetcher, source: SourceConfig, start: date) -> Stream:
    for item in oai.fetch(
        fetcher,
        source.base_url,
        metadata_prefix=source.metadata_prefix,
        set_spec=source.set_spec,
        date_from=start,
        submit=True,
    ):
        day = item.entry.list_date if isinstance(item, PaperRecord) and item.entry else None
        yield item
        if day is not None:
            yield Mark(day.isoformat())


def _hf(fetcher: Fetcher, source: SourceConfig, start: date, today: date) -> Stream:
    day = start
    while day <= today:
        yield from hf.fetch(fetcher, source.base_url, date=day)
        yield Mark(day.isoformat())
        day += timedelta(days=1)


def _arxiv(fetcher: Fetcher, source: SourceConfig, start: date, today: date) -> Stream:
    newest: date | None = None
    for item in arxiv_api.fetch(
        fetcher,
        source.base_url,
        query=source.query,
        categories=source.categories,
        date_from=start,
        date_until=today,
        submit=True,
    ):
        if isinstance(item, PaperRecord) and item.entry is not None:
            newest = max(newest or item.entry.list_date, item.entry.list_date)
        yield item
    if newest is not None:
        yield Mark(newest.isoformat())


def stream(fetcher: Fetcher, source: SourceConfig, start: date, today: date) -> Stream:
    if source.kind == "oai":
        return _oai(fetcher, source, start)
    if source.kind == "hf":
        return _hf(fetcher, source, start, today)
    return _arxiv(fetcher, source, start, today)


class _Batch:
    def __init__(self) -> None:
        self.records: list[PaperRecord] = []
        self.days: dict[str, date] = {}
        self.mark: Mark | None = None


def _screen(
    item: PaperRecord | Rejection, today: date, batch: _Batch, report: RunReport
) -> Rejection | None:
    if isinstance(item, Rejection):
        return item
    where = item.origin or f"paper {item.id}"
    day = item.entry.list_date if item.entry else None
    if day is not None and day > today:
        return Rejection(item.source, where, f"record {item.id}: date {day} is in the future")
    reason = unstorable(item)
    if reason is not None:
        return Rejection(item.source, where, reason)
    if day is not None:
        batch.days[item.id] = day
    item.entry = None  # the listing rules decide the daily list, not the source
    batch.records.append(item)
    return None


def _commit(
    engine: Engine, source: SourceConfig, holder: str, batch: _Batch, report: RunReport
) -> None:
    with session_scope(engine) as session:
        result = upsert_papers(session, batch.records)
        candidates = []
        for record in batch.records:
            day = batch.days.get(record.id)
            score = listing.candidate_score(source, record) if day else None
            if day is not None and score is not None:
                candidates.append((record.id, day, score))
        days = listing.add_candidates(session, source, candidates)
        listed = sum(listing.relist_day(session, source, day) for day in sorted(days))
        if batch.mark is not None:
            report.cursor = batch.mark.cursor
        state.renew(session, source.name, holder, {"cursor": report.cursor})
    report.added += result.added
    report.updated += result.updated
    report.unchanged += result.unchanged
    report.listed += listed


def _consume(
    engine: Engine,
    source: SourceConfig,
    holder: str,
    items: Stream,
    today: date,
    report: RunReport,
    progress: Callable[[int], None] | None,
    batch_size: int,
) -> None:
    iterator = iter(items)
    while True:
        batch = _Batch()
        ended = False
        try:
            while len(batch.records) < batch_size:
                item = next(iterator, None)
                if item is None:
                    ended = True
                    break
                if isinstance(item, Mark):
                    batch.mark = item
                    continue
                rejection = _screen(item, today, batch, report)
                if rejection is not None:
                    report.rejected.append(rejection)
        except SourceError as exc:
            report.failure = str(exc)
            ended = True
        if batch.records or batch.mark:
            _commit(engine, source, holder, batch, report)
            if progress:
                progress(len(batch.records))
        if ended:
            return


def _first_url(text: str) -> str | None:
    found = _URL.search(text)
    return found.group(0).rstrip(":,;)") if found else None


def _final_state(source: SourceConfig, report: RunReport, started: datetime) -> dict[str, object]:
    now = now_utc()
    problems = [str(r) for r in report.rejected[: state.MAX_PROBLEMS]]
    error = report.failure or (problems[0] if problems else None)
    values: dict[str, object] = {
        "kind": source.kind,
        "cursor": report.cursor,
        "last_run_at": started,
        "last_status": report.status,
        "last_summary": report.summary(),
        "last_error": error,
        "last_error_url": _first_url(error) if error else None,
        "problems": ([report.failure] if report.failure else []) + problems,
        "next_run_at": next_run(source, now),
        "run_requested_at": None,
    }
    if report.failure is None:
        values["last_success_at"] = now
    return values


def run_source(
    settings: Settings,
    engine: Engine,
    source: SourceConfig,
    *,
    holder: str | None = None,
    today: date | None = None,
    since: date | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH,
) -> RunReport:
    """Harvest ``source`` now under its lease (a ``busy`` report when another process holds it).

    ``since`` starts from that date instead of the stored cursor (a backfill). Failures are
    recorded in the source's state with the reason and URL, never raised.
    """
    holder = holder or state.holder_id()
    today = today or datetime.now(UTC).date()
    report = RunReport(source=source.name)
    state.ensure_rows(engine, [source])
    if not state.take_lease(engine, source.name, holder):
        report.busy = True
        return report
    started = now_utc()
    with session_scope(engine) as session:
        row = state.states(session)[source.name]
        report.cursor_before = report.cursor = row.cursor
        totals = (row.runs, row.added, row.updated, row.rejected, row.listed, row.errors)
    host = urlsplit(source.base_url).netloc
    fetcher = _fetcher(settings, source)
    try:
        start = _start(source, report.cursor, since, today)
        items = stream(fetcher, source, start, today)
        _consume(engine, source, holder, items, today, report, progress, batch_size)
    except PaperwireError as exc:
        report.failure = report.failure or str(exc)
    except BaseException as exc:  # interrupted (Ctrl+C, a crash): recorded, then raised on
        report.failure = report.failure or f"interrupted ({type(exc).__name__})"
        raise
    finally:
        _HOST_LAST[host] = fetcher._last
        fetcher.close()
        values = _final_state(source, report, started)
        runs, added, updated, rejected, listed, errors = totals
        values.update(
            runs=runs + 1,
            errors=errors + (1 if report.failure else 0),
            added=added + report.added,
            updated=updated + report.updated,
            rejected=rejected + len(report.rejected),
            listed=listed + report.listed,
        )
        state.release(engine, source.name, holder, values)
    return report


def run_sources(
    settings: Settings,
    engine: Engine,
    sources: list[SourceConfig],
    *,
    since: date | None = None,
    today: date | None = None,
    progress: Callable[[str, int], None] | None = None,
    log: Callable[[RunReport], None] | None = None,
) -> list[RunReport]:
    """Run each source in turn; one that fails does not stop the others."""
    reports = []
    for source in sources:

        def advance(n: int, name: str = source.name) -> None:
            if progress:
                progress(name, n)

        report = run_source(settings, engine, source, since=since, today=today, progress=advance)
        reports.append(report)
        if log:
            log(report)
    return reports


def run_due(
    settings: Settings,
    engine: Engine,
    log: Callable[[RunReport], None] | None = None,
    *,
    now: datetime | None = None,
    today: date | None = None,
) -> list[RunReport]:
    """Run every live source that is due (or asked to run now) and not held by another process,
    with its configuration as stored in the database; the worker's ``intake`` job."""
    now = now or now_utc()
    live = live_sources(settings, engine)
    with session_scope(engine) as session:
        rows = state.states(session)
        due = [s.config for s in live if is_due(rows.get(s.config.name), now)]
    return run_sources(settings, engine, due, today=today, log=log)
