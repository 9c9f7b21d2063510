"""Backups and restore exactly as docs/deploy.md says (the test runs the commands of its "Backups and
restore" section): a database with papers, members and votes is backed up while ``paperwire serve``
runs on it, restored into a new database, and ``paperwire serve`` on the copy answers the same;
``paperwire init`` on the copy changes nothing. Both engines (pg_dump / pg_restore, sqlite3)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, make_url, select, text

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.models import Paper, User, Vote
from paperwire.papers.votes import cast_vote
from tests.conftest import PG_ADMIN_URL, TEST_SECRET
from tests.web.members import add_member, signed_in
from tests.web.served import Site, load_sample, paperwire_command, start_site

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"
_ASSIGNMENT = re.compile(r"^\w+=")


def documented(tool: str) -> str:
    """The shell block of the "Backups and restore" section that runs ``tool``, without the lines
    that only set ``db``, ``role`` and ``backup`` (the test gives its own)."""
    section = DEPLOY.read_text(encoding="utf-8").split("## Backups and restore", 1)[1]
    section = section.split("\n## ", 1)[0]
    blocks = [b for b in re.findall(r"```sh\n(.*?)```", section, re.S) if tool in b]
    assert len(blocks) == 1, f"docs/deploy.md should have one block running {tool}"
    lines = blocks[0].splitlines()
    assert lines and _ASSIGNMENT.match(lines[0]), lines
    return "\n".join(lines[1:])


def run_documented(tool: str, cwd: Path, **values: str) -> None:
    program = "sqlite3" if tool.startswith(".") else tool
    for command in (program, "bash"):
        if shutil.which(command) is None:
            pytest.fail(f"{command} is not installed (scripts/test.sh installs it as root)")
    env = {**os.environ, **values}
    url = make_url(PG_ADMIN_URL)
    env.update(PGHOST=url.host or "", PGPORT=str(url.port or 5432), PGUSER=url.username or "")
    if url.password:
        env["PGPASSWORD"] = url.password
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", documented(tool)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def rows(engine: Engine) -> dict[str, Any]:
    with engine.connect() as conn:
        return {
            "papers": conn.execute(select(Paper).order_by(Paper.id)).all(),
            "users": conn.execute(select(User).order_by(User.id)).all(),
            "votes": conn.execute(select(Vote).order_by(Vote.user_id, Vote.paper_id)).all(),
        }


def answers(site: Site) -> dict[str, Any]:
    """What the public site says about the papers and their votes."""
    return {
        "friday": site.get("/api/daily_papers", params={"date": "2026-06-05"}).json(),
        "monday": site.get("/api/daily_papers", params={"date": "2026-06-08"}).json(),
        "beta": site.get("/api/papers/2406.00002").json(),
    }


def node_env(url: str, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": url,
        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
    }


def test_a_restored_backup_serves_the_same_papers_members_and_votes(
    database_url: str, engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    load_sample(engine)
    members = [add_member(engine, name) for name in ("alice", "bob")]
    with session_scope(engine) as session:
        for user_id in members:
            cast_vote(session, user_id, "2406.00001")
        cast_vote(session, members[0], "2406.00005")
    postgres = engine.dialect.name == "postgresql"
    backup = str(tmp_path / ("paperwire.dump" if postgres else "paperwire-backup.db"))
    with start_site(env, tmp_path / "original.log") as original:
        before = answers(original)
        # Taken while the node serves, as the docs say it may be.
        if postgres:
            run_documented(
                "pg_dump", tmp_path, db=make_url(database_url).database or "", backup=backup
            )
        else:
            db = make_url(database_url).database or ""
            run_documented(".backup", tmp_path, db=db, backup=backup)
    upvotes = {e["paper"]["id"]: e["paper"]["upvotes"] for e in before["friday"]}
    assert upvotes == {"2406.00001": 7, "2406.00002": 13, "hep-th/9901001": 5}

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    restored_name = f"paperwire_restored_{uuid.uuid4().hex[:10]}"
    try:
        if postgres:
            run_documented(
                "pg_restore",
                tmp_path,
                db=restored_name,
                role=make_url(PG_ADMIN_URL).username or "",
                backup=backup,
            )
            url = database_url.rsplit("/", 1)[0] + f"/{restored_name}"
        else:
            scratch = tmp_path / "restored" / "paperwire.db"
            scratch.parent.mkdir()
            run_documented(".restore", tmp_path, db=str(scratch), backup=backup)
            url = f"sqlite:///{scratch}"
        restored = make_engine(url)
        assert rows(restored) == rows(engine)
        copy = node_env(url, tmp_path / "restored-home")
        init = subprocess.run(
            [*paperwire_command(), "init"], env=copy, capture_output=True, text=True, timeout=120
        )
        assert init.returncode == 0, init.stdout + init.stderr
        assert "database is up to date" in init.stdout
        assert rows(restored) == rows(engine)
        restored.dispose()
        with start_site(copy, tmp_path / "restored.log") as site:
            assert answers(site) == before
            # The members' accounts came along: alice signs in with her password.
            signed_in(site, "alice").close()
    finally:
        if postgres:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)'))
        admin.dispose()
