"""The signing secret: no command signs or checks a link with a placeholder or weak secret, a key is
generated into the home (0600) when none is set, and rotating it invalidates every old link."""

from __future__ import annotations

import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine

from paperwire import secret
from paperwire.config import Settings, load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Subscription
from paperwire.digests import subscriptions
from paperwire.digests.admin import admin_link
from paperwire.errors import ConfigError, WeakSecret
from paperwire.web.app import create_app
from tests.web.served import paperwire_command, start_site

# The secret is the same matter whatever the database: the command-line tests (a process each)
# run on SQLite only.
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*paperwire_command(), *args], env=env, capture_output=True, text=True, timeout=120
    )


def _without_secret(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k != "PAPERWIRE_SECRET_KEY"}


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("command", "weak"),
    [
        (("digest", "admin-link"), "change-me"),
        (("digest", "send", "--dry-run"), "CHANGE-ME"),
        (("worker", "--once", "--job", "digests-daily"), "x"),
        (("serve", "--port", "1"), "a" * 31),
        (("digest", "admin-link"), "ab" * 20),
    ],
)
def test_every_signing_command_refuses_a_weak_secret(
    env: dict[str, str], command: tuple[str, ...], weak: str
) -> None:
    done = _run({**env, "PAPERWIRE_SECRET_KEY": weak, "PAPERWIRE_ENV": "Production"}, *command)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "cannot sign links" in done.stderr and "paperwire secret" in done.stderr
    assert "/admin/digests/" not in done.stdout


@SQLITE_ONLY
def test_an_unset_secret_is_generated_into_the_home_once(env: dict[str, str]) -> None:
    plain = _without_secret(env)
    home = Path(plain["PAPERWIRE_HOME"])
    first = _run(plain, "digest", "admin-link")
    assert first.returncode == 0, first.stderr
    key_file = home / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert secret.weakness(key) is None
    assert "wrote a new key" in first.stderr

    again = _run(plain, "digest", "admin-link")
    assert again.returncode == 0 and "wrote a new key" not in again.stderr
    assert key_file.read_text().strip() == key
    # Both links verify with the settings every later process reads.
    settings = secret.resolve(load_settings(plain))
    assert settings.secret_key == key
    for output in (first.stdout, again.stdout):
        token = output.strip().rsplit("/", 1)[1]
        URLSafeTimedSerializer(key, salt="paperwire-digest-admin").loads(token)


@SQLITE_ONLY
def test_init_writes_the_key_and_a_group_readable_file_is_refused(env: dict[str, str]) -> None:
    plain = _without_secret(env)
    done = _run(plain, "init")
    assert done.returncode == 0, done.stderr
    key_file = Path(plain["PAPERWIRE_HOME"]) / "secret_key"
    assert "secret key written to" in done.stdout
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key_file.chmod(0o644)
    refused = _run(plain, "digest", "admin-link")
    assert refused.returncode == 2
    assert "may be read by other users" in refused.stderr and "chmod 600" in refused.stderr


@SQLITE_ONLY
def test_secret_command_prints_a_fresh_strong_key(env: dict[str, str]) -> None:
    keys = [_run(env, "secret").stdout.strip() for _ in range(2)]
    assert keys[0] != keys[1]
    assert all(secret.weakness(key) is None and len(key) >= 64 for key in keys)


@SQLITE_ONLY
def test_a_link_forged_with_the_placeholder_is_refused_by_a_default_server(
    env: dict[str, str], tmp_path: Path
) -> None:
    """Before: with PAPERWIRE_SECRET_KEY unset, serve signed with "change-me", so anybody could."""
    forged = URLSafeTimedSerializer("change-me", salt="paperwire-digest-admin").dumps(
        {"admin": True}
    )
    with start_site(_without_secret(env), tmp_path / "serve.log", process=True) as site:
        answer = site.get(f"/admin/digests/{forged}")
        assert answer.status_code == 400
        assert "not valid" in answer.text
        key = (Path(env["PAPERWIRE_HOME"]) / "secret_key").read_text().strip()
        genuine = admin_link(replace(load_settings(env), secret_key=key))
        assert httpx.get(genuine.replace("http://localhost:8000", site.url)).status_code == 200


def test_settings_environment_names_are_case_insensitive_and_checked() -> None:
    assert load_settings({"PAPERWIRE_ENV": "Production"}).env == "production"
    with pytest.raises(ConfigError, match="PAPERWIRE_ENV must be development or production"):
        load_settings({"PAPERWIRE_ENV": "prod"})
    # Settings built in code (as tests and tools do) get a strong key of their own.
    assert secret.weakness(Settings(home=Path("x"), database_url="sqlite://").secret_key) is None
    with pytest.raises(WeakSecret):
        secret.signing_key(Settings(home=Path("x"), database_url="sqlite://", secret_key="x"))


# --- rotation ------------------------------------------------------------------------------------


@pytest.fixture
def subscription(engine: Engine) -> Iterator[int]:
    now = datetime(2026, 6, 1, 12)
    with session_scope(engine) as session:
        sub = Subscription(email="ada@example.org", created_at=now, updated_at=now)
        session.add(sub)
        session.flush()
        sub_id = sub.id
    yield sub_id


CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_rotating_the_secret_invalidates_every_old_link(
    env: dict[str, str], engine: Engine, subscription: int
) -> None:
    old = load_settings()
    new = replace(old, secret_key=secret.new_key())
    with session_scope(engine) as session:
        sub = session.get(Subscription, subscription)
        assert sub is not None
        links = {
            "confirm": subscriptions.link(old, sub, "confirm"),
            "manage": subscriptions.link(old, sub, "manage"),
            "unsubscribe": subscriptions.link(old, sub, "unsubscribe"),
            "admin": admin_link(old),
        }
    paths = {name: url.removeprefix(old.base_url) for name, url in links.items()}

    with TestClient(create_app(old)) as before:
        page = before.get("/login")
        csrf = CSRF_FIELD.search(page.text)
        assert csrf is not None
        cookies = dict(before.cookies)
        assert before.get(paths["admin"]).status_code == 200
        assert before.get(paths["manage"]).status_code == 200
        assert before.get(paths["unsubscribe"]).status_code == 200

    with TestClient(create_app(new)) as after:
        for name in ("confirm", "manage", "unsubscribe", "admin"):
            answer = after.get(paths[name])
            assert answer.status_code == 400, (name, answer.status_code)
            assert "not valid" in answer.text
        # The anonymous CSRF token of a form rendered before the rotation no longer passes.
        after.cookies.update(cookies)
        posted = after.post(
            "/login", data={"username": "ada", "password": "x" * 12, "csrf_token": csrf.group(1)}
        )
        assert posted.status_code == 403
    with session_scope(engine) as session:
        sub = session.get(Subscription, subscription)
        assert sub is not None and sub.status == "pending"
