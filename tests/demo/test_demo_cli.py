"""``paperwire demo`` as a person runs it: real processes, a real SQLite home, a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.models import Paper, User
from paperwire.demo import recordings
from paperwire.demo.corpus import read_corpus
from tests.web.members import csrf_token

CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]
# A generous limit on how long to wait, not a speed requirement (that is measured by hand).
STARTUP_LIMIT = 180


def demo_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERWIRE_")}
    # The demo must not touch whatever database the shell points at.
    env["PAPERWIRE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    return env


def test_demo_no_serve_prepares_the_home_once(tmp_path: Path) -> None:
    home = tmp_path / "demo home"
    args = [*CLI, "demo", "--no-serve", "--home", str(home)]
    first = subprocess.run(
        args, env=demo_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert first.returncode == 0, first.stderr
    assert f"paperwire demo in {home}" in first.stdout
    assert "alice (admin)" in first.stdout and "'demo-password'" in first.stdout
    assert not (tmp_path / "elsewhere.db").exists()

    engine = make_engine(f"sqlite:///{home / 'paperwire.db'}")
    try:
        with session_scope(engine) as session:
            papers = session.scalar(select(func.count()).select_from(Paper))
            users = session.scalar(select(func.count()).select_from(User))
    finally:
        engine.dispose()
    assert papers == len({r.id for r in read_corpus()})
    assert users == 8
    # The example intake source harvested the bundled recordings (a local replay, no network).
    assert "intake: demo-hep: 0 added, 0 updated, 6 unchanged" in first.stdout
    assert "demo-hep" in (home / "paperwire.toml").read_text()

    again = subprocess.run(
        args, env=demo_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert again.returncode == 0, again.stderr
    assert "demo corpus already loaded" in again.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_demo_serves_the_latest_list(tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "demo", "--port", str(port), "--home", str(tmp_path / "home")],
        env=demo_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        page = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert page is not None, f"the demo did not serve (exit {proc.poll()})"
        assert page.status_code == 200
        # The newest Hugging Face list (3 July 2026) is the front page.
        assert "3 July 2026" in page.text
        paper = httpx.get(f"http://127.0.0.1:{port}/papers/2605.09063", timeout=10)
        assert paper.status_code == 200
        assert "Soohak" in paper.text
        # search works at once (by keyword while the embeddings are still being computed)
        found = httpx.get(f"http://127.0.0.1:{port}/search", params={"q": "Soohak"}, timeout=10)
        assert found.status_code == 200 and "/papers/2605.09063" in found.text
        # The admin sees the example intake source, its cursor and its last result.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as admin:
            token = csrf_token(admin.get("/login").text)
            form = {"username": "alice", "password": "demo-password", "csrf_token": token}
            assert admin.post("/login", data=form).status_code in (200, 303)
            sources = admin.get("/admin/sources")
            # Submitting works offline (issue 20): a recorded id is listed, any other is told at
            # once, in a sentence, that the demo has no network.
            recorded = sorted(recordings.recorded_papers())[0]
            token = csrf_token(admin.get("/submit").text)
            listed = admin.post("/submit", data={"paper": recorded, "csrf_token": token})
            assert listed.status_code == 200 and 'id="submit-result"' in listed.text
            started = time.monotonic()
            refused = admin.post("/submit", data={"paper": "2501.00001", "csrf_token": token})
            assert time.monotonic() - started < 3
            assert "This demo has no network" in refused.text and "DNS" not in refused.text
            # The digest preview shows the latest list, the demo's "today".
            asked = admin.post("/api/subscriptions", json={"email": "reader@example.org"})
            assert asked.status_code == 202, asked.text
            preview = admin.get("/admin/digests/preview", params={"email": "reader@example.org"})
            assert preview.status_code == 200 and "3 July 2026" in preview.text, preview.text[:2000]
        assert sources.status_code == 200
        assert (
            "demo-hep" in sources.text and "2017-12-14" in sources.text and ">ok<" in sources.text
        )
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
    assert f"serving at http://127.0.0.1:{port}/" in output
