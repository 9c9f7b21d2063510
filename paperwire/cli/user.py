"""``paperwire user create``: add a member account from the command line."""

from __future__ import annotations

import secrets
import sys

import typer

from paperwire.accounts.users import ROLES, create_user
from paperwire.cli.context import console, ready_engine
from paperwire.db.engine import session_scope

app = typer.Typer(help="Manage members.", no_args_is_help=True)


@app.command("create")
def create(
    name: str = typer.Argument(..., help="user name"),
    email: str = typer.Option(..., "--email", help="e-mail address"),
    role: str = typer.Option("member", "--role", help=" | ".join(ROLES)),
    password: str | None = typer.Option(
        None,
        "--password",
        help="the password (default: asked for on a terminal, otherwise generated and printed once)",
    ),
) -> None:
    """Create a member account."""
    generated = False
    if password is None:
        if sys.stdin.isatty():
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = secrets.token_urlsafe(15)
            generated = True
    engine = ready_engine()
    with session_scope(engine) as session:
        user = create_user(session, name, email, password, role)
        summary = f"created {user.role} {user.username} <{user.email}>"
    console.print(summary, markup=False, highlight=False)
    if generated:
        console.print(
            f"password: {password}  (shown only this once)", markup=False, highlight=False
        )
