"""What every command shares: settings, the engine, the console, the progress bar, the date
parser, and the summary/exit-code rule."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text
from sqlalchemy import Engine

from paperwire.config import Settings, load_settings
from paperwire.db.engine import get_engine
from paperwire.db.migrate import is_up_to_date, upgrade
from paperwire.errors import UsageError
from paperwire.ingest.report import IngestReport, Rejection
from paperwire.ingest.runner import Item, run_ingest

console = Console()
err_console = Console(stderr=True)


def settings() -> Settings:
    return load_settings()


def signing_settings() -> Settings:
    """The settings of a command that signs or checks links. A weak or placeholder secret stops it
    (``WeakSecret`` says how to make one); with none configured, ``PAPERWIRE_HOME/secret_key`` is
    used, written with a fresh key the first time."""
    from paperwire import secret

    cfg = settings()
    existed = secret.key_file(cfg.home).exists()
    resolved = secret.resolve(cfg)
    if cfg.secret_source == "unset" and not existed:
        err_console.print(
            f"secret: wrote a new key to {secret.key_file(cfg.home)} (readable by you only)",
            markup=False,
            highlight=False,
        )
    return resolved


def engine_for(cfg: Settings) -> Engine:
    return get_engine(cfg)


def ready_engine(cfg: Settings | None = None) -> Engine:
    """The engine, with the schema migrated first when it is behind (so a first command just works)."""
    engine = engine_for(cfg or settings())
    if not is_up_to_date(engine):
        upgrade(engine)
    return engine


def parse_date(value: str | None, option: str) -> date | None:
    """A command's date option (YYYY-MM-DD), or None when not given; a clear ``UsageError``
    naming the option otherwise."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"{option}: not a date (YYYY-MM-DD): {value!r}") from exc


class Bar:
    """A progress bar with the rate and time left on a terminal; elsewhere (a log, ``nohup``) a
    line every ``LINE_EVERY`` seconds saying the same. ``start`` a task, then ``advance`` it. It
    is an ``index.SyncProgress`` and ``advance`` is an ingest's ``progress`` callback."""

    LINE_EVERY = 30.0

    def __init__(self, bar: Progress | None) -> None:
        self.bar = bar
        self.task: TaskID | None = None
        self.label, self.total, self.done = "", 0, 0
        self.started = self.said = 0.0

    def start(self, label: str, total: int | None) -> None:
        self.label, self.total, self.done = label, total or 0, 0
        self.started = self.said = time.monotonic()
        if self.bar is not None:
            if self.task is not None:
                self.bar.remove_task(self.task)
            self.task = self.bar.add_task(label, total=total)

    def advance(self, n: int) -> None:
        self.done += n
        if self.bar is not None:
            if self.task is not None:
                self.bar.advance(self.task, n)
        elif self.label and time.monotonic() - self.said >= self.LINE_EVERY:
            self.said = time.monotonic()
            err_console.print(
                progress_line(self.label, self.done, self.total, self.said - self.started),
                markup=False,
                highlight=False,
            )


def progress_line(label: str, done: int, total: int, seconds: float) -> str:
    """``embedding: 12,000 of 1,000,000 (1.2%), 41.3 a second, about 6 h 39 min left``."""
    rate = done / seconds if seconds > 0 else 0.0
    if not total:
        return f"{label}: {done:,}, {rate:.1f} a second"
    line = f"{label}: {done:,} of {total:,} ({100 * done / total:.1f}%), {rate:.1f} a second"
    if rate > 0 and total > done:
        left = int((total - done) / rate)
        hours, minutes = divmod(left // 60, 60)
        line += f", about {hours} h {minutes} min left" if hours else f", about {minutes} min left"
    return line


class RateColumn(ProgressColumn):
    """Items a second over the last half minute (Rich's estimate, which the time left uses too)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.1f}/s", style="progress.data.speed")


@contextmanager
def progress() -> Iterator[Bar]:
    """Every command's progress bar, on standard error (lines every half minute off a terminal)."""
    if not sys.stderr.isatty():
        yield Bar(None)
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        yield Bar(bar)


def ingest_and_report(
    source: str, items: Iterable[Item], total: int | None = None, *, index: bool = True
) -> IngestReport:
    """Run an ingest with a progress bar on a terminal, print every rejection and the summary line,
    bring the search and author indexes up to date (unless ``index`` is false), and exit non-zero
    when anything was rejected or the source failed. The indexes are brought up to date even when
    nothing new came: a run killed between its last commit and its indexing left papers that its
    rerun finds "unchanged", and it is this rerun that must index them."""
    engine = ready_engine()

    def show(rejection: Rejection) -> None:
        err_console.print(f"rejected: {rejection}", markup=False, highlight=False, soft_wrap=True)

    with progress() as bar:
        bar.start(source, total)
        report = run_ingest(engine, source, items, progress=bar.advance, on_rejection=show)
    console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    if index:
        refresh_search_index(engine)
    if not report.ok:
        raise typer.Exit(code=1)
    return report


def refresh_search_index(engine: Engine, *, quiet: bool = False) -> None:
    """Bring the search index up to date after new papers arrived, and say what it did (unless
    ``quiet``). A failure here never undoes the papers already stored: it is reported, and
    ``paperwire index`` catches up."""
    import sqlite3

    from paperwire.errors import PaperwireError
    from paperwire.search import service

    try:
        report = service.sync_index(settings(), engine, after_ingest=True)
    except (PaperwireError, OSError, sqlite3.Error) as exc:
        err_console.print(
            f"index: not updated ({exc}); run paperwire index", markup=False, highlight=False
        )
        return
    if quiet:
        return
    line = report.summary()
    if report.pending_embeddings and not report.embed_error:
        line += " (paperwire index or the worker embeds them)"
    console.print(line, markup=False, highlight=False, soft_wrap=True)
