"""What the CLI and the admin page show of each source, and why a day's list is empty."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.engine import session_scope
from paperwire.intake import state
from paperwire.intake.config import SourceConfig, find, load_sources
from paperwire.intake.schedule import weekend


@dataclass(frozen=True)
class SourceStatus:
    name: str
    kind: str
    base_url: str
    schedule: str
    listing: str
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
    """Every configured source with its stored state, in the order of the config file."""
    sources = load_sources(settings)
    state.ensure_rows(engine, sources)
    with session_scope(engine) as session:
        rows = state.states(session)
    out = []
    for source in sources:
        row = rows[source.name]
        out.append(
            SourceStatus(
                name=source.name,
                kind=source.kind,
                base_url=source.base_url,
                schedule=source.schedule,
                listing=_listing(source),
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
    """Why ``day`` has no list: arXiv announces nothing at weekends, or no source has been
    harvested up to that day yet (and when the next run is). None when nothing explains it."""
    if weekend(day):
        return "arXiv announces nothing on Saturdays and Sundays, so there is no list for this day."
    try:
        sources = load_sources(settings)
    except Exception:  # the page must render even when the file went bad after start-up
        return None
    if not sources:
        return None
    rows = state.states(session)
    known = [rows[s.name] for s in sources if s.name in rows]
    covered = [r.cursor for r in known if r.cursor]
    if covered and max(covered) >= day.isoformat():
        return None
    harvested = [r.last_success_at for r in known if r.last_success_at]
    upcoming = [r.next_run_at for r in known if r.next_run_at]
    since = f"since {max(harvested):%Y-%m-%d %H:%M} UTC" if harvested else "yet"
    line = f"No source has been harvested {since}"
    if upcoming:
        line += f" — next run at {min(upcoming):%Y-%m-%d %H:%M} UTC"
    return line + "."


def request_run(settings: Settings, engine: Engine, name: str) -> None:
    """ "Run now": the worker harvests the source at its next round (within a minute)."""
    find(load_sources(settings), [name])
    state.request_run(engine, name)
