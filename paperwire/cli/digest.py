"""``paperwire digest send|preview`` and ``paperwire worker``: thin clients of paperwire.digests."""

from __future__ import annotations

import typer

from paperwire.cli.context import console, parse_date, ready_engine, signing_settings
from paperwire.digests import delivery
from paperwire.digests.compose import Digest, render
from paperwire.errors import DigestsNotSent
from paperwire.mail.sender import get_sender

app = typer.Typer(help="E-mail digests.", no_args_is_help=True)


@app.callback()
def _refuse_weak_secret() -> None:
    # Digests carry signed manage and unsubscribe links, and admin-link signs one.
    signing_settings()


def _print(digest: Digest) -> None:
    cfg = signing_settings()
    links = {"manage": "(manage link)", "unsubscribe": "(unsubscribe link)"}
    subject, text, _ = render(cfg, digest, links)
    console.print(
        f"To: {digest.email}\nSubject: {subject}\n\n{text}", markup=False, highlight=False
    )


@app.command("send")
def send(
    frequency: str = typer.Option("daily", "--frequency", help="daily or weekly"),
    day: str | None = typer.Option(
        None, "--date", help="a day of the period (default: yesterday, or last week)"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="print the digests, send nothing"),
    workers: int = typer.Option(1, "--workers", min=1, max=32, help="sender processes"),
) -> None:
    """Send the period's digest to every confirmed subscriber who has not had it yet."""
    cfg = signing_settings()
    engine = ready_engine(cfg)
    if workers > 1 and not dry_run:
        report = delivery.send_parallel(
            cfg, workers, frequency=frequency, day=parse_date(day, "--date")
        )
    else:
        report = delivery.send_digests(
            cfg,
            engine,
            get_sender(cfg),
            frequency=frequency,
            day=parse_date(day, "--date"),
            dry_run=dry_run,
        )
    for digest in report.dry_run:
        _print(digest)
    console.print(report.summary(), markup=False, highlight=False)
    for line in report.errors[:20]:
        console.print(line, markup=False, highlight=False)
    if len(report.errors) > 20:
        console.print(f"... and {len(report.errors) - 20} more", markup=False, highlight=False)
    if not report.complete:
        raise DigestsNotSent(
            f"{report.retry} digests not sent"
            + (f" ({report.server_error})" if report.server_error else "")
            + "; the next `paperwire digest send` sends them"
        )


@app.command("preview")
def preview(
    email: str = typer.Argument(..., help="the subscriber's address"),
    day: str | None = typer.Option(None, "--date", help="a day of the period"),
) -> None:
    """Print the next digest EMAIL would receive (nothing is sent or recorded)."""
    cfg = signing_settings()
    _print(delivery.preview(cfg, ready_engine(cfg), email, parse_date(day, "--date")))


@app.command("admin-link")
def admin_link() -> None:
    """Print a link to the admin page of recent sends and failures (valid for a day)."""
    from paperwire.digests.admin import admin_link as link

    console.print(link(signing_settings()), markup=False, highlight=False, soft_wrap=True)


def worker(
    once: bool = typer.Option(False, "--once", help="run the due jobs once and exit"),
    job: list[str] | None = typer.Option(None, "--job", help="only these jobs (repeatable)"),
) -> None:
    """Run the scheduled jobs (index, intake, digests) under leases shared by every worker."""
    from paperwire import worker as jobs
    from paperwire.intake.config import load_sources

    cfg = signing_settings()
    load_sources(cfg)  # a bad [[sources]] table stops the worker at start-up, naming the key
    engine = ready_engine(cfg)

    def log(line: str) -> None:
        console.print(line, markup=False, highlight=False)

    if once:
        jobs.run_due(cfg, engine, log, set(job) if job else None)  # raises if a job failed
    else:
        jobs.run_forever(cfg, engine, log)
