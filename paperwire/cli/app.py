"""The Typer application and the commands that need no sub-module of their own."""

from __future__ import annotations

import typer

from paperwire import secret as secrets
from paperwire.cli import demo as demo_commands
from paperwire.cli import digest as digest_commands
from paperwire.cli import ingest as ingest_commands
from paperwire.cli import recommend as recommend_commands
from paperwire.cli import search as search_commands
from paperwire.cli import sources as sources_commands
from paperwire.cli import submit as submit_commands
from paperwire.cli import user as user_commands
from paperwire.cli import web as web_commands
from paperwire.cli.context import console, engine_for, err_console, settings
from paperwire.db.migrate import upgrade
from paperwire.errors import WeakSecret

app = typer.Typer(
    name="paperwire",
    help="A self-hostable Daily Papers service.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(ingest_commands.app, name="ingest")
app.command("submit")(submit_commands.submit)
app.command("serve")(web_commands.serve)
app.command("mcp")(web_commands.mcp)
app.command("demo")(demo_commands.demo)
app.add_typer(user_commands.app, name="user")
app.add_typer(sources_commands.app, name="sources")
app.add_typer(digest_commands.app, name="digest")
app.add_typer(recommend_commands.app, name="recommend")
app.command("worker")(digest_commands.worker)
# index, search and eval are top-level commands defined in cli/search.py
for command in search_commands.app.registered_commands:
    app.registered_commands.append(command)


@app.command()
def init() -> None:
    """Create or migrate the database (idempotent), and the secret key file if no key is set."""
    cfg = settings()
    before, after = upgrade(engine_for(cfg))
    if before == after:
        console.print(f"database is up to date (revision {after})")
    else:
        console.print(f"database migrated from {before or 'empty'} to {after}")
    if cfg.secret_source == "unset":
        path = secrets.key_file(cfg.home)
        made = secrets.write_key_file(path)
        console.print(f"secret key {'written to' if made else 'kept in'} {path}", markup=False)
    try:
        secrets.resolve(cfg, create=False)
    except WeakSecret as exc:
        err_console.print(f"warning: {exc}", markup=False, highlight=False)


@app.command("secret")
def secret() -> None:
    """Print a fresh random secret key, to set as PAPERWIRE_SECRET_KEY."""
    console.print(secrets.new_key(), markup=False, highlight=False, soft_wrap=True)
