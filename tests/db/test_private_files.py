"""What paperwire writes in its home is private whatever the umask: the database (password and token
hashes, e-mail addresses) with its ``-wal``/``-shm``, the counters file and the key file are 0600, the
home, index and problems folders 0700; on PostgreSQL the home and the index folder all the same."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

from paperwire.db.files import private_file, private_folder
from tests.conftest import TEST_SECRET
from tests.web.served import paperwire_command, start_site


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most systems give (files 0644, folders 0755 unless made private)."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(home: Path) -> dict[str, int]:
    """Every folder under ``home`` and every file directly in it, with its mode."""
    found = {".": _mode(home)}
    for path in home.rglob("*"):
        if path.is_dir() or path.parent == home:
            found[str(path.relative_to(home))] = _mode(path)
    return found


def test_a_new_home_on_sqlite_is_private(tmp_path: Path) -> None:
    home = tmp_path / "data" / "home"
    env = {**os.environ, "PAPERWIRE_HOME": str(home)}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    env.pop("PAPERWIRE_SECRET_KEY", None)
    made = subprocess.run(
        [*paperwire_command(), "init"], env=env, capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    assert _mode(tmp_path / "data") == 0o700  # a missing parent too
    with start_site(env, tmp_path / "serve.log") as site:
        assert httpx.get(site.url + "/api/daily_papers", timeout=30).status_code == 200
        modes = _modes(home)
        # while it serves, the write-ahead logs of both files exist
        for name in ("paperwire.db", "paperwire.db.counters"):
            for suffix in ("", "-wal", "-shm"):
                assert modes.pop(name + suffix) == 0o600, name + suffix
    assert modes.pop("secret_key") == modes.pop("paperwire.db.migrate-lock") == 0o600
    assert modes.pop(".") == 0o700 and modes.pop("index") == 0o700
    assert modes == {name: 0o700 for name in modes}, modes  # folders only, each private


def test_the_home_and_index_are_private_on_both_engines(
    engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    home = Path(env["PAPERWIRE_HOME"])
    with start_site({**env, "PAPERWIRE_SECRET_KEY": TEST_SECRET}, tmp_path / "serve.log") as site:
        assert site.get("/healthz").status_code == 200
    assert _mode(home) == 0o700 and _mode(home / "index") == 0o700
    if engine.dialect.name == "sqlite":
        assert engine.url.database and _mode(Path(engine.url.database)) == 0o600


def test_only_what_paperwire_makes_is_changed(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    (shared / "old.db").write_bytes(b"")
    os.chmod(shared / "old.db", 0o640)
    private_folder(shared / "a" / "b")
    private_file(shared / "old.db")
    private_file(shared / "new.db")
    assert _mode(shared) == 0o755 and _mode(shared / "old.db") == 0o640
    assert _mode(shared / "a") == _mode(shared / "a" / "b") == 0o700
    assert _mode(shared / "new.db") == 0o600 and (shared / "new.db").stat().st_size == 0
