"""The live configuration of the harvest sources: each source's table in ``intake_sources.config``.

The ``[[sources]]`` of the ``PAPERWIRE_CONFIG`` file are the initial state. A source the database
does not know yet is stored from the file (``seed``, at every read, so a table added to the file
arrives at the next start); a source the database knows is never overwritten by the file again, so
an admin's edit survives restarts; a source an admin deleted keeps an empty row as a marker, so the
file does not bring it back. Admins add, edit, pause, resume and delete sources at
``/admin/sources``; every change is checked by the parser of the file (``config.parse_table``)
before anything is written, and a refused one changes nothing.

The worker, ``paperwire sources`` and the admin page all read ``live_sources``. Functions taking a
``Session`` flush and never commit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.engine import session_scope
from paperwire.db.holders import holder_is_dead
from paperwire.db.models import DailyEntry, IntakeCandidate, IntakeSource
from paperwire.errors import ConfigError, SourceBusy, SourceNotFound
from paperwire.intake.config import (
    FORM_KEYS,
    SourceConfig,
    as_stored,
    parse_sources,
    parse_table,
)
from paperwire.intake.listing import ENTRY_SOURCE
from paperwire.intake.schedule import next_run
from paperwire.numbers import whole
from paperwire.papers.records import now_utc

# Names the database in the message of a stored table that no longer parses.
STORED = "intake_sources (database)"
_LIST_KEYS = {"match": re.compile(r"\n"), "categories": re.compile(r"[\s,]+")}
_WHOLE_NUMBERS = {"retries", "max_per_day"}
# A form's whole number beyond this is left as text, for parse_table to refuse by name.
MAX_WHOLE = 10**9


@dataclass(frozen=True)
class LiveSource:
    config: SourceConfig
    paused: bool
    table: dict[str, Any]


def _fresh_row(name: str, kind: str, config: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "name": name,
        "kind": kind,
        "config": config,
        "paused": False,
        "problems": [],
        "runs": 0,
        "added": 0,
        "updated": 0,
        "rejected": 0,
        "listed": 0,
    }


def _without_name(table: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in as_stored(table).items() if k != "name"}


def seed(session: Session, settings: Settings) -> None:
    """Store the file's sources that the database does not know yet (nor an admin deleted)."""
    raw = settings.extra.get("sources")
    sources = parse_sources(raw, settings.config_file or "PAPERWIRE_CONFIG")
    if not sources or not isinstance(raw, list):
        return
    # Read first: once every source is stored (every read but the first), nothing is written.
    known = {
        name: config is None and deleted_at is None
        for name, config, deleted_at in session.execute(
            select(IntakeSource.name, IntakeSource.config, IntakeSource.deleted_at).where(
                IntakeSource.name.in_([s.name for s in sources])
            )
        )
    }
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for source, table in zip(sources, raw, strict=True):
        stored = _without_name(table)
        if source.name not in known:  # another process may store it meanwhile: no conflict
            session.execute(
                insert(IntakeSource)
                .values(**_fresh_row(source.name, source.kind, stored))
                .on_conflict_do_nothing(index_elements=["name"])
            )
        elif known[source.name]:  # a row from before tables were stored (its harvest state only)
            session.execute(
                update(IntakeSource)
                .where(IntakeSource.name == source.name, IntakeSource.config.is_(None))
                .values(config=stored, kind=source.kind)
            )
    session.flush()


def reset_from_file(session: Session, settings: Settings) -> None:
    """Make the stored tables of the file's sources the file's again, even a deleted one
    (``paperwire demo``, whose replay server changes port with each run); other sources are left
    alone."""
    seed(session, settings)
    raw = settings.extra.get("sources")
    for table in raw if isinstance(raw, list) else []:
        try:
            edit(session, table["name"], table)
        except SourceNotFound:  # an admin deleted it: the file brings it back
            add(session, table)


def unseeded(session: Session, settings: Settings) -> list[str]:
    """The file's sources the database has no row for yet (read only: a page that must not
    write asks this instead of seeding)."""
    raw = settings.extra.get("sources")
    names = [t.get("name") for t in raw if isinstance(t, dict)] if isinstance(raw, list) else []
    if not names:
        return []
    known = set(session.scalars(select(IntakeSource.name).where(IntakeSource.name.in_(names))))
    return [n for n in names if isinstance(n, str) and n not in known]


def _parse(row: IntakeSource) -> SourceConfig:
    return parse_table({**(row.config or {}), "name": row.name}, STORED)


def live_rows(session: Session) -> list[IntakeSource]:
    """The state rows of the live sources (neither deleted nor known only by their state)."""
    return list(
        session.scalars(
            select(IntakeSource)
            .where(IntakeSource.config.is_not(None), IntakeSource.deleted_at.is_(None))
            .order_by(IntakeSource.name)
        )
    )


def load(session: Session, settings: Settings) -> list[LiveSource]:
    """Every live source, by name, after seeding the file's new ones."""
    seed(session, settings)
    rows = live_rows(session)
    return [
        LiveSource(_parse(row), row.paused, {"name": row.name, **(row.config or {})})
        for row in rows
    ]


def live_sources(settings: Settings, engine: Engine) -> list[LiveSource]:
    """Every live source with whether it is paused (what the worker, the CLI and the pages read)."""
    with session_scope(engine) as session:
        return load(session, settings)


def configs(settings: Settings, engine: Engine) -> list[SourceConfig]:
    """The configuration of every live source, paused or not."""
    return [live.config for live in live_sources(settings, engine)]


def _row(session: Session, name: str) -> IntakeSource:
    row = session.get(IntakeSource, name)
    if row is None or row.config is None or row.deleted_at is not None:
        raise SourceNotFound(f"no source named {name!r}")
    return row


def table(session: Session, settings: Settings, name: str) -> dict[str, Any]:
    """The source's stored table with its name (what the edit form shows)."""
    seed(session, settings)
    row = _row(session, name)
    return {"name": row.name, **(row.config or {})}


def add(session: Session, raw: Mapping[str, Any]) -> SourceConfig:
    """A new source from ``raw`` (a table as in the file); refused with the key named
    (``ConfigError``) when it does not parse or the name is taken, and nothing is stored."""
    source = parse_table(dict(raw))
    row = session.get(IntakeSource, source.name)
    if row is not None and row.deleted_at is None:
        raise ConfigError(
            f"source {source.name!r}: name: already used by another source", key="name"
        )
    if row is not None:  # deleted earlier: it starts again from nothing
        session.delete(row)
        session.flush()
    session.add(IntakeSource(**_fresh_row(source.name, source.kind, _without_name(dict(raw)))))
    session.flush()
    return source


def _unlisted_candidates_go(session: Session, name: str) -> None:
    """Forget the candidates the old rule chose that no list holds: the new rule decides from now
    on (the papers it listed stay where they are)."""
    listed = select(DailyEntry.paper_id).where(
        DailyEntry.source == ENTRY_SOURCE, DailyEntry.submitter_name == name
    )
    session.execute(
        delete(IntakeCandidate).where(
            IntakeCandidate.source == name, IntakeCandidate.paper_id.not_in(listed)
        )
    )


def edit(session: Session, name: str, raw: Mapping[str, Any]) -> SourceConfig:
    """Replace the source's table with ``raw`` (every key, as in the file; its name cannot change).
    Refused with the key named (``ConfigError``) when it does not parse, and nothing changes."""
    row = _row(session, name)
    given = {k: v for k, v in raw.items() if k != "name"}
    source = parse_table({**given, "name": name})
    before: tuple[str, tuple[str, ...]] | None = None
    try:
        old = _parse(row)
        before = (old.list_rule, old.match)
    except ConfigError:  # stored before the parser changed: this edit mends it
        pass
    if before != (source.list_rule, source.match):
        _unlisted_candidates_go(session, name)
    row.config = _without_name(given)
    row.kind = source.kind
    # The schedule may have changed: the next run follows the new one from the last run.
    row.next_run_at = next_run(source, row.last_run_at) if row.last_run_at else None
    session.flush()
    return source


def set_paused(session: Session, name: str, paused: bool) -> None:
    """Pause the source (the worker leaves it alone; "run now" still runs it) or resume it."""
    _row(session, name).paused = paused
    session.flush()


def remove(session: Session, name: str) -> None:
    """Delete the source: its state and the candidates of its listing rule go (the papers it
    listed stay in their lists), and a marker row keeps the file from bringing it back."""
    row = _row(session, name)
    held = row.lease_holder is not None and not holder_is_dead(row.lease_holder)
    if held and (row.lease_expires_at is None or row.lease_expires_at > now_utc()):
        raise SourceBusy(f"source {name!r} is being harvested; delete it when the run has ended")
    kind = row.kind
    session.execute(delete(IntakeCandidate).where(IntakeCandidate.source == name))
    session.delete(row)
    session.flush()
    session.add(IntakeSource(**_fresh_row(name, kind, None), deleted_at=now_utc()))
    session.flush()


def from_fields(fields: Mapping[str, str]) -> dict[str, Any]:
    """A table from a form's text fields: an empty field leaves its key out (the default),
    ``match`` has a query a line, ``categories`` are separated by commas or spaces, whole numbers
    are read as numbers; everything else is left for ``parse_table`` to judge."""
    raw: dict[str, Any] = {}
    for key in FORM_KEYS:
        value = fields.get(key, "").strip()
        if not value:
            continue
        if key in _LIST_KEYS:
            raw[key] = [v.strip() for v in _LIST_KEYS[key].split(value) if v.strip()]
        elif key in _WHOLE_NUMBERS and whole(value, -MAX_WHOLE, MAX_WHOLE) is not None:
            raw[key] = int(value)  # parse_table bounds it further
        else:
            raw[key] = value
    return raw


def to_fields(raw: Mapping[str, Any]) -> dict[str, str]:
    """A table as a form's text fields (``from_fields`` reads them back)."""
    fields = {}
    for key in FORM_KEYS:
        value = raw.get(key)
        if value is None:
            fields[key] = ""
        elif isinstance(value, list):
            fields[key] = ("\n" if key == "match" else ", ").join(str(v) for v in value)
        else:
            fields[key] = str(value)
    return fields
