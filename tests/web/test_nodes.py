"""Several nodes on one fresh PostgreSQL database: two ``serve`` processes with homes of their own
and a worker. What one node ingests or hides, the other's keyword and meaning-based search shows
within 5 seconds; a digest sent from a node that did not ingest has the new papers; nodes started
together (``init``, ``serve``) all come up."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from paperwire.community.moderation import set_paper_hidden
from paperwire.config import load_settings
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.db.models import User
from paperwire.intake import harvest
from tests.conftest import FIXTURE_DATA, PG_ADMIN_URL, TEST_SECRET
from tests.digests.support import add_subscribers
from tests.intake.conftest import make_settings, source
from tests.intake.replay import HfEndpoint
from tests.mail.smtp_sink import smtp_sink
from tests.recording import RecordingServer, Reply
from tests.web.served import Site, _stop, _wait_healthy, free_port, paperwire_command

LISTS = FIXTURE_DATA / "hf_daily_papers"
WITHIN = 5.0


@pytest.fixture(scope="module")
def admin() -> Iterator[Callable[[], str]]:
    """Makes fresh, empty PostgreSQL databases (dropped at the end); returns their URLs."""
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def fresh() -> str:
        name = f"paperwire_nodes_{uuid.uuid4().hex[:10]}"
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"

    yield fresh
    with engine.connect() as conn:
        for name in made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def node_env(url: str, home: Path, **extra: str) -> dict[str, str]:
    import os

    return {
        **os.environ,
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": url,
        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
        **extra,
    }


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*paperwire_command(), *args], env=env, capture_output=True, text=True, timeout=600
    )


def soon(check: Callable[[], bool], seconds: float = WITHIN) -> float | None:
    """Seconds until ``check()`` held, or None when it did not within ``seconds``."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            return None
        time.sleep(0.05)
    return time.monotonic() - start


def _migrate(engine: Engine, errors: list[BaseException]) -> None:
    try:
        upgrade(engine)
    except BaseException as exc:  # collected and shown by the test
        errors.append(exc)


def test_init_started_together_on_an_empty_database_always_succeeds(
    admin: Callable[[], str],
) -> None:
    """What ``paperwire init`` (and ``serve``) run first, twice at once on an empty database,
    20 times (the two ``serve`` of the ``cluster`` fixture do it as processes)."""
    for _ in range(20):
        url = admin()
        engines = [make_engine(url), make_engine(url)]
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_migrate, args=(e, errors)) for e in engines]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        for engine in engines:
            engine.dispose()
        assert errors == []


@dataclass
class Cluster:
    url: str
    a: Site
    b: Site
    env_a: dict[str, str]
    folder: Path


def _api(site: Site, query: str, mode: str) -> dict[str, object]:
    answer = httpx.get(
        site.url + "/api/search", params={"q": query, "mode": mode, "limit": 50}, timeout=30
    )
    answer.raise_for_status()
    found: dict[str, object] = answer.json()
    return found


def _ids(site: Site, query: str, mode: str) -> list[str]:
    return [str(r["id"]) for r in _api(site, query, mode)["results"]]  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def cluster(
    admin: Callable[[], str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    """Two ``serve`` nodes started together on a fresh, unmigrated database, and a worker."""
    folder = tmp_path_factory.mktemp("nodes")
    url = admin()
    with ExitStack() as stack:
        processes = {}
        for name in ("a", "b", "worker"):
            port = free_port()
            args = ["worker"] if name == "worker" else ["serve", "--port", str(port)]
            log = folder / f"{name}.log"
            with log.open("wb") as out:
                process = subprocess.Popen(
                    [*paperwire_command(), *args],
                    env=node_env(url, folder / name),
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            stack.callback(_stop, process)
            processes[name] = Site(f"http://127.0.0.1:{port}", process, log)
        for name in ("a", "b"):
            _wait_healthy(processes[name])
        yield Cluster(url, processes["a"], processes["b"], node_env(url, folder / "a"), folder)


def test_what_one_node_ingests_the_other_finds_within_5_seconds(cluster: Cluster) -> None:
    first = cli(
        cluster.env_a, "ingest", "hf", "--file", str(LISTS / "daily_papers_2024-10-25.json")
    )
    assert first.returncode == 0, first.stderr
    # Node B has answered meaning-based queries before (its model is loaded), as a live node has.
    assert soon(lambda: _ids(cluster.b, "language models", "semantic") != [], 30) is not None

    ingest = cli(
        cluster.env_a, "ingest", "hf", "--file", str(LISTS / "daily_papers_2024-05-27.json")
    )
    assert ingest.returncode == 0, ingest.stderr
    assert "13 added" in ingest.stdout
    keyword = soon(lambda: "2405.15125" in _ids(cluster.b, "HDR-GS dynamic range", "lexical"))
    assert keyword is not None, cluster.b.log.read_text()
    meaning = soon(
        lambda: (
            _ids(cluster.b, "high dynamic range novel view synthesis", "semantic")[:1]
            == ["2405.15125"]
        )
    )
    assert meaning is not None, cluster.b.log.read_text()


def test_what_one_node_hides_is_gone_on_the_other_within_5_seconds(cluster: Cluster) -> None:
    query = "Grokked Transformers implicit reasoners"
    assert soon(lambda: "2405.15071" in _ids(cluster.b, query, "lexical"))
    engine = make_engine(cluster.url)
    moderator = User(username="mod", role="moderator")
    # The moderator's own process syncs an index of its own after the commit, as the web route does.
    settings = load_settings(node_env(cluster.url, cluster.folder / "moderator"))
    with session_scope(engine) as session:
        set_paper_hidden(session, settings, moderator, "2405.15071", True)

    def gone() -> bool:
        page = _api(cluster.b, query, "hybrid")
        ids = [str(r["id"]) for r in page["results"]]  # type: ignore[attr-defined]
        return "2405.15071" not in ids and page["total"] == len(ids)

    assert soon(gone) is not None
    assert "2405.15071" not in httpx.get(cluster.b.url + "/search", params={"q": query}).text
    with session_scope(engine) as session:
        set_paper_hidden(session, settings, moderator, "2405.15071", False)
    assert soon(lambda: "2405.15071" in _ids(cluster.b, query, "hybrid")) is not None
    engine.dispose()


def test_a_digest_sent_from_a_node_that_did_not_ingest_has_the_new_papers(
    cluster: Cluster,
) -> None:
    engine = make_engine(cluster.url)
    (email,) = add_subscribers(engine, 1, topics=["High Dynamic Range"])
    engine.dispose()
    with smtp_sink(cluster.folder / "mailbox") as smtp:
        # A third node, whose index has never been built: the sender brings it current first.
        env = node_env(cluster.url, cluster.folder / "sender", PAPERWIRE_SMTP_URL=smtp.url)
        sent = cli(env, "digest", "send", "--date", "2024-05-27")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        (message,) = smtp.messages(email)
    body = str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert "HDR-GS" in body
    assert "Nothing new on “High Dynamic Range”" not in body


def test_health_and_metrics_report_the_index_lag_and_the_backlog(
    cluster: Cluster, recording_server: RecordingServer, tmp_path: Path
) -> None:
    # Two harvests on the cluster's database: one that adds the recorded day, one that fails.
    recording_server.route("/api/daily_papers", HfEndpoint(FIXTURE_DATA, Reply))
    fine = source(name="fine", kind="hf", base_url=recording_server.url, since="2026-05-01")
    broken = source(
        name="broken", kind="hf", base_url=recording_server.url + "/gone", since="2026-05-01"
    )
    engine = make_engine(cluster.url)
    settings = make_settings(cluster.url, tmp_path, [])
    reports = harvest.run_sources(settings, engine, [broken, fine], today=date(2026, 5, 1))
    engine.dispose()
    assert [r.status for r in reports] == ["failed", "ok"] and reports[1].added == 16
    health = httpx.get(cluster.b.url + "/healthz", params={"format": "json"}, timeout=30).json()
    assert health["status"] == "ok", health
    assert 0 <= health["index_lag_seconds"] < WITHIN and health["embedding_backlog"] >= 0
    httpx.get(cluster.b.url + "/papers/date/2024-05-27", timeout=30).raise_for_status()
    metrics = httpx.get(cluster.b.url + "/metrics", timeout=30)
    assert metrics.headers["content-type"].startswith("text/plain")
    lines = metrics.text.splitlines()
    assert any(
        line.startswith('paperwire_request_seconds_count{method="GET",route="/papers/date/{day}"}')
        for line in lines
    ), metrics.text
    assert any(line.startswith("paperwire_index_lag_seconds ") for line in lines)
    assert any(line.startswith('paperwire_digest_deliveries{status="sent"} 1.0') for line in lines)
    for line in (
        'paperwire_harvest_runs_total{source="fine"} 1.0',
        'paperwire_harvest_added_total{source="fine"} 16.0',
        'paperwire_harvest_rejected_total{source="fine"} 0.0',
        'paperwire_harvest_errors_total{source="fine"} 0.0',
        'paperwire_harvest_runs_total{source="broken"} 1.0',
        'paperwire_harvest_errors_total{source="broken"} 1.0',
    ):
        assert line in lines, metrics.text
