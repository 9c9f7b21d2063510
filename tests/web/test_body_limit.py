"""Request bodies are capped: an 8 MB body is refused with 413 before it is read, whether its size
is declared or it is streamed without a length. A real ``paperwire serve`` process."""

from __future__ import annotations

import socket
import time

import httpx

from paperwire.web.bodylimit import MAX_BODY_BYTES
from tests.web.served import Site

EIGHT_MB = 8 * 1024 * 1024


def test_a_declared_large_body_is_refused_at_once(empty_site: Site) -> None:
    body = b'{"name": "' + b"x" * EIGHT_MB + b'"}'
    started = time.monotonic()
    answer = httpx.post(
        empty_site.url + "/api/collections",
        content=body,
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert answer.status_code == 413
    assert f"larger than {MAX_BODY_BYTES:,} bytes" in answer.json()["error"]
    assert time.monotonic() - started < 30
    # A form page answers with a page, and small bodies still go through as before.
    form = httpx.post(
        empty_site.url + "/login",
        content=b"username=" + b"x" * (MAX_BODY_BYTES + 1),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    assert form.status_code == 413 and "Too much data" in form.text
    small = httpx.post(empty_site.url + "/api/collections", json={"name": "x"}, timeout=30)
    assert small.status_code == 401


def test_a_streamed_large_body_is_refused_once_past_the_cap(empty_site: Site) -> None:
    """Chunked, with no Content-Length: the server answers 413 once the cap is passed, without
    waiting for the rest (this client sends one byte more than the cap and then waits)."""
    host, port = empty_site.url.removeprefix("http://").split(":")
    chunk = b"x" * (64 * 1024)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(
            b"POST /api/collections HTTP/1.1\r\nHost: localhost\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        for _ in range(MAX_BODY_BYTES // len(chunk)):
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        time.sleep(1)
        # One byte past the cap and no more: the server has then read all that was sent when it
        # answers, and closes cleanly (unread data would make it reset the connection instead).
        sock.sendall(b"1\r\nx\r\n")
        answer = b""
        while data := sock.recv(65536):  # the 413 closes the connection
            answer += data
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
    assert b"larger than" in answer
