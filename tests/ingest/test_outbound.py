"""The rules every fetch obeys, against real misbehaving servers on loopback: only public addresses
unless allowed (also after a redirect and behind a host name), http(s) only, a total deadline per
request however slowly a server drips, and a size cap applied while the body streams in."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from paperwire.config import load_settings
from paperwire.errors import ConfigError, SourceError
from paperwire.ingest.http import Fetcher
from paperwire.ingest.outbound import MAX_BYTES
from tests.hostile import CHUNK, hostile_server
from tests.mail.certs import PrivateCA
from tests.recording import LOCAL, RecordingServer, Reply

CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]


def _fetcher(**options: object) -> Fetcher:
    given: dict = {"source": "t", "min_interval": 0, "retries": 0, **options}
    return Fetcher(**given)


def _refusal(fetcher: Fetcher, url: str) -> str:
    with fetcher, pytest.raises(SourceError) as caught:
        fetcher.get(url)
    return " ".join(str(caught.value).split())


def test_loopback_is_refused_by_default_and_reached_when_allowed(
    recording_server: RecordingServer,
) -> None:
    recording_server.route("/x", lambda _p, _q: Reply(200, b"ok"))
    said = _refusal(_fetcher(retries=3, backoff=0.01), recording_server.url + "/x")
    assert f"t: {recording_server.url}/x: refused: 127.0.0.1 is a loopback address" in said
    assert "PAPERWIRE_FETCH_ALLOW_PRIVATE" in said
    # A host name is judged by what it resolves to.
    port = recording_server.url.rsplit(":", 1)[1]
    said = _refusal(_fetcher(), f"http://localhost:{port}/x")
    assert "refused: localhost (" in said and "is a loopback address" in said
    assert recording_server.requests == [], "nothing may be sent to a refused address"
    with _fetcher(allow_private=LOCAL) as fetcher:
        assert fetcher.get(recording_server.url + "/x").content == b"ok"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://10.1.2.3/oai", "private"),
        ("http://192.168.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://100.64.0.1/", "non-public"),
        ("http://[fd00::1]/", "private"),
    ],
)
def test_other_non_public_addresses_are_refused_without_connecting(url: str, kind: str) -> None:
    started = time.monotonic()
    assert f"is a {kind} address" in _refusal(_fetcher(timeout=30), url)
    assert time.monotonic() - started < 1


def test_a_redirect_to_loopback_or_to_a_file_is_refused(recording_server: RecordingServer) -> None:
    recording_server.route("/x", lambda _p, _q: Reply(200, b"secret"))
    # The source itself is allowed (127.0.0.2 only); where it sends the client is not.
    with hostile_server("127.0.0.2") as front:
        hop = f"{front.url}/redirect?to={recording_server.url}/x"
        said = _refusal(_fetcher(allow_private="127.0.0.2"), hop)
        assert "refused: 127.0.0.1 is a loopback address" in said
        assert front.requests == ["/redirect"] and recording_server.requests == []
        said = _refusal(
            _fetcher(allow_private="127.0.0.2"), f"{front.url}/redirect?to=file:///etc/passwd"
        )
        assert "only http and https addresses are fetched, not file:" in said


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)", "ftp://example.org/"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    scheme = url.split(":", 1)[0]
    said = _refusal(_fetcher(allow_private=LOCAL), url)
    assert f"refused: only http and https addresses are fetched, not {scheme}:" in said


@pytest.mark.parametrize("path", ["/drip-body", "/drip-head"])
def test_a_dripping_server_meets_the_total_deadline(path: str) -> None:
    """One byte every 0.2 s never trips a per-read timeout; the 2 s deadline ends it at 2 s."""
    with hostile_server() as server:
        started = time.monotonic()
        said = _refusal(_fetcher(timeout=2, allow_private=LOCAL), server.url + path)
        took = time.monotonic() - started
    assert "no complete answer within 2 s" in said
    assert 1.9 < took < 3.0, took


def test_the_budget_bounds_every_retry_and_wait_together() -> None:
    with hostile_server() as server:
        fetcher = _fetcher(timeout=1, retries=5, backoff=0.5, budget=2.5, allow_private=LOCAL)
        started = time.monotonic()
        said = _refusal(fetcher, server.url + "/drip-body")
        took = time.monotonic() - started
    assert "no time left in the 2.5 s budget" in said
    assert took < 3.5, took


def test_an_oversize_answer_is_cut_while_it_streams() -> None:
    with hostile_server() as server:
        tracemalloc.start()
        try:
            said = _refusal(_fetcher(allow_private=LOCAL), server.url + "/endless")
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        sent = server.sent
    limit = f"{MAX_BYTES:,}-byte limit"
    assert f"t: {server.url}/endless: refused: the answer is larger than the {limit}" in said
    # Never the 256 MiB offered: the cap and the socket buffers, then the client hung up.
    assert peak < MAX_BYTES + 16 * CHUNK, peak
    assert sent < MAX_BYTES + 32 * CHUNK, sent


def test_a_lying_length_and_a_gzip_bomb_are_refused() -> None:
    with hostile_server() as server:
        said = _refusal(_fetcher(allow_private=LOCAL), server.url + "/liar")
        assert "(it announces 10000000000 bytes)" in said
        assert server.sent < 32 * CHUNK
        # 64 KB on the wire, 64 MiB once decoded: the cap counts what is held.
        said = _refusal(_fetcher(allow_private=LOCAL, max_bytes=8 * CHUNK), server.url + "/bomb")
        assert "larger than the 8,388,608-byte limit" in said


def test_the_cli_refuses_a_loopback_source_unless_allowed(
    recording_server: RecordingServer, tmp_path: Path
) -> None:
    env = {**os.environ, "PAPERWIRE_HOME": str(tmp_path)}
    env.pop("PAPERWIRE_DATABASE_URL", None)
    env.pop("PAPERWIRE_FETCH_ALLOW_PRIVATE", None)
    command = [*CLI, "ingest", "hf", "--base-url", recording_server.url, "--date", "2026-06-10"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "127.0.0.1 is a loopback address" in " ".join(result.stdout.split())
    assert recording_server.requests == []


def test_the_settings_check_the_allowance_and_the_hook_addresses() -> None:
    allowed = load_settings({"PAPERWIRE_FETCH_ALLOW_PRIVATE": " 127.0.0.1, 10.0.0.0/8 "})
    assert allowed.fetch_allow_private == "127.0.0.1,10.0.0.0/8"
    assert load_settings({}).fetch_allow_private == ""
    with pytest.raises(ConfigError, match="PAPERWIRE_FETCH_ALLOW_PRIVATE must list IP"):
        load_settings({"PAPERWIRE_FETCH_ALLOW_PRIVATE": "yes"})
    for name in ("PAPERWIRE_SUMMARY_URL", "PAPERWIRE_ARXIV_API_URL"):
        for url in ("file:///etc/passwd", "javascript:alert(1)"):
            with pytest.raises(ConfigError, match=f"{name} must be an http:// or https://"):
                load_settings({name: url})


def test_https_is_verified_against_the_host_name_while_the_checked_address_is_dialled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The connection goes to the address that was checked, and TLS still verifies the name the
    URL gave (the certificate names ``localhost`` only, not 127.0.0.1)."""
    ca = PrivateCA(tmp_path / "ca")
    named = ca.issue("named", hosts=("localhost",))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(named.cert, named.key)

    class Hello(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "5")
            self.end_headers()
            self.wfile.write(b"hello")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hello)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    monkeypatch.setenv("SSL_CERT_FILE", str(ca.pem))
    try:
        with _fetcher(allow_private="127.0.0.1,::1") as fetcher:
            assert fetcher.get(f"https://localhost:{port}/").content == b"hello"
        # By its address the same server does not match its certificate: verification is on.
        said = _refusal(_fetcher(allow_private="127.0.0.1"), f"https://127.0.0.1:{port}/")
        assert "CERTIFICATE_VERIFY_FAILED" in said or "certificate" in said.lower()
    finally:
        server.shutdown()
        server.server_close()
