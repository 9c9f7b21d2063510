"""``paperwire user create``, ``role`` and ``token``: add a member account, change its role, make
it a personal API token."""

from __future__ import annotations

import secrets
import sys

import typer

from paperwire.accounts.tokens import create_token
from paperwire.accounts.users import ROLES, UnknownUser, create_user, find_user, set_role
from paperwire.cli.context import console, ready_engine, settings
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


@app.command("role")
def role(
    name: str = typer.Argument(..., help="user name or e-mail address"),
    new_role: str = typer.Argument(..., metavar="ROLE", help=" | ".join(ROLES)),
) -> None:
    """Make a member a moderator or admin (or a plain member again)."""
    engine = ready_engine()
    with session_scope(engine) as session:
        user = set_role(session, name, new_role)
        summary = f"{user.username} is now {user.role}"
    console.print(summary, markup=False, highlight=False)


@app.command("token")
def token(
    name: str = typer.Argument(..., help="user name or e-mail address"),
    label: str = typer.Option("command line", "--label", help="what the token is for"),
) -> None:
    """Make a personal API token for a member (printed once), for an operator's scripts."""
    cfg = settings()
    engine = ready_engine(cfg)
    with session_scope(engine) as session:
        user = find_user(session, name)
        if user is None:
            raise UnknownUser(f"no member {name!r}")
        made = create_token(session, user, label, limit=cfg.max_api_tokens)
        secret = made.secret
        summary = f"token {made.token.name!r} for {user.username} (shown only this once):"
    console.print(summary, markup=False, highlight=False)
    console.print(secret, markup=False, highlight=False, soft_wrap=True)
