"""What the CLI and the admin page show of each live source, and why a day's list is empty."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.engine import session_scope
from paperwire.intake import sources, state
from paperwire.intake.config import SourceConfig, find
from paperwire.papers.arxiv_calendar import no_list_reason


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    base_url: str
    schedule: str
    listing: str
    paused: bool
    cursor: str | None
    last_run_at: datetime | None
    last_success_at: datetime | None
    next_run_at: datetime | None
    run_requested: bool
    running: bool
    last_status: str | None
    last_summary: str | None
    last_error: str | None
    last_error_url: str | None
    problems: list[str]
    runs: int
    added: int
    updated: int
    rejected: int
    listed: int

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat(timespec="seconds") + "Z"
        return data


def _listing(source: SourceConfig) -> str:
    rule = "match " + " | ".join(source.match) if source.list_rule == "match" else source.list_rule
    return rule + (f", at most {source.max_per_day} a day" if source.max_per_day else "")


def source_statuses(settings: Settings, engine: Engine) -> list[SourceStatus]:
    """Every live source with its stored state, by name."""
    with session_scope(engine) as session:
        live = sources.load(session, settings)
        rows = {row.name: row for row in sources.live_rows(session)}
    out = []
    for item in live:
        source, row = item.config, rows[item.config.name]
        out.append(
            SourceStatus(
                name=source.name,
                kind=source.kind,
                base_url=source.base_url,
                schedule=source.schedule,
                listing=_listing(source),
                paused=item.paused,
                cursor=row.cursor,
                last_run_at=row.last_run_at,
                last_success_at=row.last_success_at,
                next_run_at=row.next_run_at,
                run_requested=row.run_requested_at is not None,
                running=row.lease_holder is not None,
                last_status=row.last_status,
                last_summary=row.last_summary,
                last_error=row.last_error,
                last_error_url=row.last_error_url,
                problems=list(row.problems or []),
                runs=row.runs,
                added=row.added,
                updated=row.updated,
                rejected=row.rejected,
                listed=row.listed,
            )
        )
    return out


def empty_day_reason(settings: Settings, session: Session, day: date) -> str | None:
    """Why ``day`` has no list: arXiv announces nothing at weekends and on its holidays
    (``papers.arxiv_calendar``), or no live source has been harvested up to that day yet (and when
    the next run is). None when nothing explains it."""
    reason = no_list_reason(day)
    if reason is not None:
        return reason
    known = sources.live_rows(session)
    if not known and not sources.unseeded(session, settings):
        return None
    covered = [r.cursor for r in known if r.cursor]
    if covered and max(covered) >= day.isoformat():
        return None
    harvested = [r.last_success_at for r in known if r.last_success_at]
    upcoming = [r.next_run_at for r in known if r.next_run_at and not r.paused]
    since = f"since {max(harvested):%Y-%m-%d %H:%M} UTC" if harvested else "yet"
    line = f"No source has been harvested {since}"
    if upcoming:
        line += f" — next run at {min(upcoming):%Y-%m-%d %H:%M} UTC"
    return line + "."


def request_run(settings: Settings, engine: Engine, name: str) -> None:
    """ "Run now": the worker harvests the source at its next round (within a minute), paused
    or not."""
    find(sources.configs(settings, engine), [name])
    state.request_run(engine, name)
