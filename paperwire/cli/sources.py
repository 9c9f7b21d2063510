"""``paperwire sources list|run``: the live harvest sources, as stored in the database (seeded from
the PAPERWIRE_CONFIG file, edited at /admin/sources); a thin client of paperwire.intake."""

from __future__ import annotations

import json
from datetime import datetime

import typer

from paperwire.cli.context import (
    console,
    err_console,
    parse_date,
    progress,
    ready_engine,
    refresh_search_index,
    settings,
)
from paperwire.errors import UsageError
from paperwire.intake import harvest, status
from paperwire.intake.config import find
from paperwire.intake.sources import live_sources

app = typer.Typer(
    help="Harvest sources (seeded from PAPERWIRE_CONFIG, edited at /admin/sources).",
    no_args_is_help=True,
)


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M}" if value else "-"


@app.command("list")
def list_sources(as_json: bool = typer.Option(False, "--json", help="JSON lines")) -> None:
    """Each source: kind, schedule, last run, next run, cursor and last result."""
    cfg = settings()
    rows = status.source_statuses(cfg, ready_engine(cfg))
    if as_json:
        for row in rows:
            console.print(json.dumps(row.as_json()), markup=False, highlight=False, soft_wrap=True)
        return
    if not rows:
        console.print(
            "no sources configured ([[sources]] in the PAPERWIRE_CONFIG file, or /admin/sources)"
        )
    for row in rows:
        console.print(
            f"{row.name} ({row.kind}, {row.schedule}{', paused' if row.paused else ''}):"
            f" last run {_when(row.last_run_at)},"
            f" next run {_when(row.next_run_at) if row.next_run_at else 'now'},"
            f" cursor {row.cursor or '-'},"
            f" last result {row.last_status or 'never run'}"
            + (f" ({row.last_error})" if row.last_error else ""),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command("run")
def run(
    names: list[str] | None = typer.Argument(None, help="source names"),
    all_sources: bool = typer.Option(False, "--all", help="every source that is not paused"),
    since: str | None = typer.Option(None, "--since", help="harvest from this date (YYYY-MM-DD)"),
) -> None:
    """Harvest now, in the foreground (a paused source too when named); the exit status is
    non-zero when a source failed."""
    if bool(names) == all_sources:
        raise UsageError("give source names or --all (not both)")
    cfg = settings()
    engine = ready_engine(cfg)
    live = live_sources(cfg, engine)
    if all_sources:
        chosen = [s.config for s in live if not s.paused]
    else:
        chosen = find([s.config for s in live], names or [])

    def show(report: harvest.RunReport) -> None:
        console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
        for rejection in report.rejected:
            err_console.print(f"rejected: {rejection}", markup=False, highlight=False)

    with progress() as bar:
        current = ""

        def advance(name: str, n: int) -> None:
            nonlocal current
            if name != current:
                current = name
                bar.start(name, None)
            bar.advance(n)

        reports = harvest.run_sources(
            cfg, engine, chosen, since=parse_date(since, "--since"), progress=advance, log=show
        )
    # Also when nothing is new: what a harvest killed before its indexing stored is indexed here.
    refresh_search_index(engine)
    if not all(r.ok for r in reports):
        raise typer.Exit(code=1)
