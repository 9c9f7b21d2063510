"""Several nodes on one fresh PostgreSQL database: two ``serve`` processes with homes of their own
and a worker. What one node ingests or hides, the other's keyword and meaning-based search shows
within 5 seconds; a digest sent from a node that did not ingest has the new papers; nodes started
together (``init``, ``serve``, as two processes) all come up; the harvest counters are in
``/metrics``; the nginx config of docs/deploy.md in front of the two nodes balances them and passes
the client's address only as the nodes' ``PAPERWIRE_TRUSTED_PROXIES`` allow."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, create_engine, text

from paperwire.community.moderation import set_paper_hidden
from paperwire.config import load_settings
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.models import User
from paperwire.intake import harvest
from paperwire.ratelimit import LIMITS
from tests.conftest import FIXTURE_DATA, PG_ADMIN_URL, TEST_SECRET
from tests.digests.support import add_subscribers
from tests.intake.conftest import make_settings, source
from tests.intake.replay import HfEndpoint
from tests.mail.certs import PrivateCA
from tests.mail.smtp_sink import smtp_sink
from tests.recording import RecordingServer, Reply
from tests.web.members import PASSWORD, add_member, csrf_token
from tests.web.served import Site, _stop, _wait_healthy, free_port, paperwire_command

LISTS = FIXTURE_DATA / "hf_daily_papers"
WITHIN = 5.0
# The serve nodes sit behind the nginx of docs/deploy/nginx.conf, which reaches them from 127.0.0.1;
# a test that connects to a node directly from another loopback address is a peer they do not trust.
PROXY_ADDRESS = "127.0.0.1"
PUBLIC_URL = "https://papers.example.org"
BEHIND_PROXY = {"PAPERWIRE_TRUSTED_PROXIES": PROXY_ADDRESS, "PAPERWIRE_BASE_URL": PUBLIC_URL}
# Prometheus's credentials for /metrics, as docs/deploy.md configures them.
METRICS_TOKEN = "metrics-token-0123456789abcdef"
SCRAPE = {"Authorization": f"Bearer {METRICS_TOKEN}"}


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

    def drop(name: str) -> None:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    # At once: each DROP DATABASE waits for a checkpoint, and concurrent ones share it.
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(drop, made))
    engine.dispose()


def node_env(url: str, home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": url,
        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
        "PAPERWIRE_METRICS_TOKEN": METRICS_TOKEN,
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


ROUNDS = 20
RACE_SECONDS = 300
REPO = Path(__file__).resolve().parents[2]


def _next_line(process: subprocess.Popen[str], log: Path) -> str:
    """The next ``@@`` line of a start-up race process (its other output is the commands')."""
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line:
            process.wait(30)
            pytest.fail(
                f"a start-up race process exited with {process.returncode}:\n{log.read_text()}"
            )
        if line.startswith("@@ "):
            return line[3:].strip()


def _kill(process: subprocess.Popen[str]) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _empty(engine: Engine) -> None:
    """Make the database as empty as a new one (paperwire keeps everything in schema ``public``).
    Cheaper than a new database per round: each DROP DATABASE waits for a checkpoint."""
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL lock_timeout = '10s'"))
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))


def test_init_and_serve_started_together_on_an_empty_database_always_succeed(
    admin: Callable[[], str], tmp_path: Path
) -> None:
    """Two processes (tests/web/startup_race.py), each 20 times ``paperwire init`` and then 20 times
    the start-up of ``paperwire serve``, both at once on an empty database each time."""
    url = admin()
    engine = make_engine(url)
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])
    env = node_env(url, tmp_path, PYTHONPATH=path)
    processes: list[tuple[subprocess.Popen[str], Path]] = []
    with ExitStack() as stack:
        stack.callback(engine.dispose)
        for name in ("one", "two"):
            log = tmp_path / f"{name}.log"
            out = stack.enter_context(log.open("w"))
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.web.startup_race"],
                cwd=REPO,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=out,
                text=True,
                start_new_session=True,
            )
            stack.callback(_stop, process)  # type: ignore[arg-type]
            plan = {"home": str(tmp_path / name), "url": url, "rounds": ROUNDS}
            assert process.stdin is not None
            process.stdin.write(json.dumps(plan) + "\n")
            process.stdin.flush()
            processes.append((process, log))
        # A hung round shows as a process that exited (its log says where it was), not a hung test.
        watchdog = threading.Timer(RACE_SECONDS, lambda: [_kill(p) for p, _ in processes])
        watchdog.start()
        stack.callback(watchdog.cancel)
        results: list[str] = []
        for n in range(2 * ROUNDS):
            assert all(_next_line(p, log) == "ready" for p, log in processes)
            if n:
                _empty(engine)
            for process, _log in processes:  # the barrier: both are waiting for this line
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            results += [_next_line(p, log) for p, log in processes]
    failures = [r for r in results if not r.startswith("ok ")]
    assert failures == [], "\n".join(results)
    assert sum(r.startswith("ok init ") for r in results) == 2 * ROUNDS
    assert sum(r.startswith("ok serve ") for r in results) == 2 * ROUNDS


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
                    env=node_env(url, folder / name, **BEHIND_PROXY),
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
    metrics = httpx.get(cluster.b.url + "/metrics", headers=SCRAPE, timeout=30)
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


# --- the reverse proxy of docs/deploy.md in front of the two nodes ------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs"
NGINX_CONF = DOCS / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@contextmanager
def nginx(folder: Path, nodes: list[Site]) -> Iterator[tuple[str, Path]]:
    """docs/deploy/nginx.conf run by the real nginx (as the current user, everything in ``folder``)
    in front of ``nodes``, on a free port with a certificate of a CA of the test's own; yields the
    proxy's URL and the CA file to trust."""
    if not Path(NGINX).is_file():
        pytest.fail(
            f"no nginx at {NGINX}: the proxy test needs Debian's nginx"
            " (scripts/test.sh installs it as root: apt-get install nginx)",
            pytrace=False,
        )
    folder.mkdir()
    ca = PrivateCA(folder / "ca")
    cert = ca.issue("proxy")
    port = free_port()
    site = NGINX_CONF.read_text(encoding="utf-8")
    for old, new in {
        "10.0.0.21:8000": nodes[0].url.removeprefix("http://"),
        "10.0.0.22:8000": nodes[1].url.removeprefix("http://"),
        "listen 443 ssl http2;": f"listen 127.0.0.1:{port} ssl http2;",
        "/etc/letsencrypt/live/papers.example.org/fullchain.pem": str(cert.cert),
        "/etc/letsencrypt/live/papers.example.org/privkey.pem": str(cert.key),
    }.items():
        assert site.count(old) == 1, old
        site = site.replace(old, new)
    (folder / "paperwire.conf").write_text(site, encoding="utf-8")
    temp = " ".join(
        f"{kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
        + f"error_log {folder / 'error.log'};\nevents {{ worker_connections 64; }}\n"
        + f"http {{ access_log {folder / 'access.log'}; {temp} include {folder / 'paperwire.conf'}; }}\n",
        encoding="utf-8",
    )
    command = [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", "nginx.conf"]
    with (folder / "nginx.out").open("wb") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        url = f"https://127.0.0.1:{port}"
        up = soon(lambda: process.poll() is None and _answers(url + "/healthz", ca.pem), 10)
        assert up is not None, (folder / "error.log").read_text() + (
            folder / "nginx.out"
        ).read_text()
        yield url, ca.pem
    finally:
        _stop(process)


def _answers(url: str, ca: Path) -> bool:
    try:
        context = ssl.create_default_context(cafile=ca)
        return httpx.get(url, verify=context, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _from(address: str, base: str, ca: Path | None = None) -> httpx.Client:
    """A client connecting from ``address`` (any 127.0.0.0/8 address is this machine's)."""
    verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca) if ca else True
    transport = httpx.HTTPTransport(local_address=address, verify=verify)
    return httpx.Client(base_url=base, transport=transport, timeout=30)


_NAMES = itertools.count()


def _failed_sign_ins(
    browser: httpx.Client, count: int, forwarded_for: str | None = None
) -> list[int]:
    """``count`` sign-ins with a wrong password (each reading a fresh form), their status codes."""
    codes = []
    for _ in range(count):
        token = csrf_token(browser.get("/login").text)
        # The cookies are Secure (the public address is https): sent by hand over a node's http.
        cookies = "; ".join(f"{c.name}={c.value}" for c in browser.cookies.jar)
        headers = {"Cookie": cookies}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        answer = browser.post(
            "/login",
            # A new name each time: only the address's limit applies, not an account's.
            data={"username": f"nobody{next(_NAMES)}", "password": "wrong", "csrf_token": token},
            headers=headers,
        )
        codes.append(answer.status_code)
    return codes


def _route_count(site: Site, route: str) -> float:
    prefix = f'paperwire_request_seconds_count{{method="GET",route="{route}"}} '
    for line in httpx.get(site.url + "/metrics", headers=SCRAPE, timeout=30).text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


def test_the_documented_nginx_config_is_the_one_the_docs_show() -> None:
    shown = (DOCS / "deploy.md").read_text(encoding="utf-8")
    assert f"```nginx\n{NGINX_CONF.read_text(encoding='utf-8')}```" in shown


def test_nginx_in_front_of_two_nodes(cluster: Cluster) -> None:
    engine = make_engine(cluster.url)
    add_member(engine, "carol")
    engine.dispose()
    per_address = LIMITS["login"].count
    route = "/api/daily_papers"
    with nginx(cluster.folder / "nginx", [cluster.a, cluster.b]) as (proxy, ca):
        # Round robin: ten requests through the proxy, five on each node.
        before = [_route_count(node, route) for node in (cluster.a, cluster.b)]
        with _from("127.0.0.2", proxy, ca) as browser:
            for _ in range(10):
                browser.get("/api/daily_papers", params={"limit": 1}).raise_for_status()
        after = [_route_count(node, route) for node in (cluster.a, cluster.b)]
        assert [b - a for a, b in zip(before, after, strict=True)] == [5.0, 5.0]
        with _from("127.0.0.2", proxy, ca) as browser:
            assert browser.get("/metrics").status_code == 404

        # The nodes believe the proxy's X-Forwarded-For: each client behind it has its own limit
        # (the forms are read from one node and posted to the other), and a header a client sends
        # through the proxy is replaced by its real address.
        with _from("127.0.0.3", proxy, ca) as first, _from("127.0.0.4", proxy, ca) as second:
            assert _failed_sign_ins(first, per_address) == [400] * per_address
            assert _failed_sign_ins(first, 1, forwarded_for="198.51.100.1") == [429]
            assert _failed_sign_ins(second, 1) == [400]

        # A peer that is not the proxy is limited by its own address, whatever it claims.
        with _from("127.0.0.5", cluster.b.url) as direct:
            claimed = [f"203.0.113.{n}" for n in range(per_address + 1)]
            codes = [_failed_sign_ins(direct, 1, forwarded_for=c)[0] for c in claimed]
            assert codes == [400] * per_address + [429]

        # The public address is https: the session cookie is Secure and links are https.
        with _from("127.0.0.6", proxy, ca) as browser:
            token = csrf_token(browser.get("/login").text)
            signed = browser.post(
                "/login", data={"username": "carol", "password": PASSWORD, "csrf_token": token}
            )
            assert signed.status_code == 303, signed.text
            cookie = signed.headers["set-cookie"]
            assert "Secure" in cookie and "HttpOnly" in cookie, cookie
            feed = browser.get("/daily.atom")
            assert feed.status_code == 200 and f"{PUBLIC_URL}/" in feed.text
