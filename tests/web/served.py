"""Helpers for the web tests: a small set of papers in daily lists, and a real ``paperwire serve``
process on a free port, bound to a test's database through the ``env`` fixture's environment."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, update

from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.papers.records import EntryRecord, PaperRecord
from paperwire.papers.store import upsert_papers

COMMUNITY = "Test Lab"
STARTUP_SECONDS = 60

HOSTILE_ABSTRACT = (
    "We study $x^2$ and $\\alpha < \\beta$ in one line.\n\n"
    'A second paragraph with <script>alert("pwned")</script> and <b>bold</b> tags.'
)


def _paper(
    pid: str,
    title: str,
    day: date | None,
    *,
    baseline: int = 0,
    submitted: datetime | None = None,
    authors: int = 3,
    **fields: object,
) -> PaperRecord:
    entry = None
    if day is not None:
        entry = EntryRecord(
            list_date=day,
            source="test",
            submitted_at=submitted or datetime(day.year, day.month, day.day, 9),
            submitter_name="alice",
            submitter_info={"fullname": "Alice Example"},
        )
    return PaperRecord(
        id=pid,
        arxiv_id=pid,
        version=1,
        title=title,
        source="test",
        abstract=str(fields.pop("abstract", f"The abstract of {title}.")),
        authors=[f"Author {i}" for i in range(1, authors + 1)],
        categories=["cs.CL", "cs.LG"],
        published_at=datetime(2026, 6, 1, 17, 59),
        upvotes_baseline=baseline,
        entry=entry,
        **fields,  # type: ignore[arg-type]
    )


FRIDAY = date(2026, 6, 5)
SATURDAY = date(2026, 6, 6)
SUNDAY = date(2026, 6, 7)
MONDAY = date(2026, 6, 8)


def sample_papers() -> list[PaperRecord]:
    """Friday has three papers (one old-style id), Saturday only a hidden one, Sunday none, and
    Monday (the latest list) one with hostile HTML and TeX; one more paper is in no list."""
    return [
        _paper(
            "2406.00001",
            "Alpha: a paper with five upvotes",
            FRIDAY,
            baseline=5,
            submitted=datetime(2026, 6, 5, 8),
        ),
        _paper("2406.00002", "Beta: three imported plus ten member votes", FRIDAY, baseline=3),
        _paper(
            "hep-th/9901001",
            "Gamma: an old-style identifier",
            FRIDAY,
            baseline=5,
            submitted=datetime(2026, 6, 5, 7),
            authors=1,
        ),
        _paper("2406.00004", "Delta: hidden by a moderator", SATURDAY, baseline=50),
        _paper(
            "2406.00005",
            "Epsilon: bounds on $x^2$ for <i>all</i> inputs",
            MONDAY,
            baseline=42,
            authors=12,
            abstract=HOSTILE_ABSTRACT,
            doi="10.1234/epsilon.5",
            journal_ref="J. Test. Phys. 12 (2026) 34",
            comments="14 pages, 3 figures; code at https://github.com/example/epsilon",
            links=[
                {"kind": "code", "url": "https://github.com/example/epsilon"},
                {"kind": "project", "url": "https://example.org/epsilon"},
            ],
            extras={"github_stars": 1234},
        ),
        _paper("2406.00006", "Zeta: in no daily list", None),
    ]


def load_sample(engine: Engine) -> None:
    with session_scope(engine) as session:
        upsert_papers(session, sample_papers())
        session.execute(update(Paper).where(Paper.id == "2406.00002").values(vote_count=10))
        session.execute(update(Paper).where(Paper.id == "2406.00004").values(hidden=True))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    url: str
    # None for a server in a thread of the test's own process.
    process: subprocess.Popen[bytes] | None
    log: Path

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return httpx.get(self.url + path, timeout=30, **kwargs)  # type: ignore[arg-type]


def paperwire_command() -> list[str]:
    script = Path(sys.executable).parent / "paperwire"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from paperwire.cli import main; main()"]


@contextmanager
def start_site(env: dict[str, str], log: Path, *args: str, process: bool = False) -> Iterator[Site]:
    """A real server on a free port, bound to ``env``'s database, stopped after. With ``process``
    (or command-line ``args``) it is ``paperwire serve`` itself, started and waited for until
    ``/healthz`` says ok. Otherwise the same app (``create_app(..., follow=True)``, the schema
    migrated first, as ``serve`` does) runs under uvicorn in a thread of this process: the HTTP,
    the server and the index follower are the real ones, without paying Python's start-up in
    every test (a few seconds each on the CI machine). Its log records go to ``log``."""
    if process or args:
        with _serve_process(env, log, *args) as site:
            yield site
    else:
        with _serve_thread(env, log) as site:
            yield site


@contextmanager
def _serve_process(env: dict[str, str], log: Path, *args: str) -> Iterator[Site]:
    port = free_port()
    command = [*paperwire_command(), "serve", "--host", "127.0.0.1", "--port", str(port), *args]
    environ = {**env, "PAPERWIRE_COMMUNITY": COMMUNITY}
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, env=environ, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    site = Site(f"http://127.0.0.1:{port}", process, log)
    try:
        _wait_healthy(site)
        yield site
    finally:
        _stop(process)


@contextmanager
def _serve_thread(env: dict[str, str], log: Path) -> Iterator[Site]:
    from paperwire import secret
    from paperwire.cli.context import ready_engine
    from paperwire.config import load_settings
    from paperwire.search.follow import lag
    from paperwire.web.app import create_app

    settings = secret.resolve(load_settings({**env, "PAPERWIRE_COMMUNITY": COMMUNITY}))
    engine = ready_engine(settings)
    port = free_port()
    config = uvicorn.Config(
        create_app(settings, follow=True),
        host="127.0.0.1",
        port=port,
        server_header=False,
        proxy_headers=False,
        log_config=None,
    )
    server = uvicorn.Server(config)
    handler = logging.FileHandler(log)
    root = logging.getLogger()
    root.addHandler(handler)
    thread = threading.Thread(target=server.run, name=f"serve-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        # Started, and its index follower through its first sync (which records the database's
        # id): a served process is that far by the time it answers, and a test that watches the
        # database for writes must not see this one.
        while not server.started or lag(settings, engine) is not None:
            if not thread.is_alive() or time.monotonic() > deadline:
                pytest.fail(f"the server did not start:\n{log.read_text()}")
            time.sleep(0.02)
        yield Site(f"http://127.0.0.1:{port}", None, log)
    finally:
        server.should_exit = True
        thread.join(30)
        root.removeHandler(handler)
        handler.close()


def _stop(process: subprocess.Popen[bytes]) -> None:
    # The server runs in its own process group so that worker processes stop with it; the group
    # may already be gone if the server died, which the test's own requests will have shown.
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_healthy(site: Site) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    assert site.process is not None
    while time.monotonic() < deadline:
        if site.process.poll() is not None:
            pytest.fail(
                f"paperwire serve exited with {site.process.returncode}:\n{site.log.read_text()}"
            )
        try:
            if httpx.get(site.url + "/healthz", timeout=2).text == "ok":
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"paperwire serve did not answer /healthz in {STARTUP_SECONDS}s:\n{site.log.read_text()}"
    )
