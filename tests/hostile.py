"""A local HTTP server that misbehaves as a hostile source would: it drips, it never ends, it lies
about its length, it bombs, it redirects where it should not. It counts what it sent, so a test can
tell that a client stopped reading instead of buffering everything."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

CHUNK = 1024 * 1024


class HostileServer:
    """Routes, by the path's first segment (GET or POST, the request body read and ignored):

    - ``/drip-body``: headers at once, then 40 bytes, one every ``drip`` seconds.
    - ``/drip-head``: the status line and headers one byte every ``drip`` seconds.
    - ``/endless``: 1 MiB chunks without a length, up to ``endless`` bytes.
    - ``/liar``: announces a Content-Length of 10 GB, then sends the ``/endless`` stream.
    - ``/bomb``: ``bomb`` zero bytes, gzip-compressed (about 1,000 times smaller on the wire).
    - ``/redirect?to=URL``: a 302 to ``URL``.
    - ``/json?body=TEXT``: ``TEXT`` as application/json.
    """

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.drip = 0.2
        self.endless = 256 * CHUNK
        self.bomb = 64 * CHUNK
        self.sent = 0  # body bytes written, all requests together
        self.requests: list[str] = []
        self._bomb_body: bytes | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.do_GET()

            def do_GET(self) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                server.requests.append(url.path)
                # The first segment picks the route: /endless/chat/completions is /endless.
                route = "/" + url.path.split("/")[1]
                # The client hanging up mid-answer is what a test expects of it.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    server.answer(self, route, query)
                self.close_connection = True

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://{host}:{self.httpd.server_address[1]}"

    def _write(self, handler: BaseHTTPRequestHandler, data: bytes) -> None:
        handler.wfile.write(data)
        handler.wfile.flush()
        self.sent += len(data)

    def _endless(self, handler: BaseHTTPRequestHandler) -> None:
        block = b"x" * CHUNK
        for _ in range(self.endless // CHUNK):
            self._write(handler, block)

    def answer(
        self, handler: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]
    ) -> None:
        if path == "/drip-head":
            for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok":
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(self.drip)
            return
        if path == "/redirect":
            handler.send_response(302)
            handler.send_header("Location", query["to"][0])
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        if path == "/json":
            body = query["body"][0].encode()
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            self._write(handler, body)
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        if path == "/drip-body":
            handler.send_header("Content-Length", "40")
            handler.end_headers()
            for _ in range(40):
                self._write(handler, b" ")
                time.sleep(self.drip)
        elif path == "/endless":
            handler.send_header("Connection", "close")
            handler.end_headers()
            self._endless(handler)
        elif path == "/liar":
            handler.send_header("Content-Length", str(10**10))
            handler.end_headers()
            self._endless(handler)
        elif path == "/bomb":
            if self._bomb_body is None:
                self._bomb_body = gzip.compress(bytes(self.bomb), compresslevel=9)
            handler.send_header("Content-Encoding", "gzip")
            handler.send_header("Content-Length", str(len(self._bomb_body)))
            handler.end_headers()
            self._write(handler, self._bomb_body)
        else:
            handler.send_header("Content-Length", "0")
            handler.end_headers()


@contextmanager
def hostile_server(host: str = "127.0.0.1") -> Iterator[HostileServer]:
    server = HostileServer(host)
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
