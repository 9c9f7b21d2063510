"""A local HTTP server that replays recorded responses, for the network path of every ingest source."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Send only this many bytes of the body, then drop the connection (a cut-off download).
    truncate_at: int | None = None


# The recording server listens on loopback, which fetches reach only when the operator allows it.
LOCAL = "127.0.0.1"
ALLOW_LOCAL = {"PAPERWIRE_FETCH_ALLOW_PRIVATE": LOCAL}

Responder = Callable[[str, dict[str, list[str]]], Reply]


class RecordingServer:
    """Routes a path to a responder; each route may also hold a queue of one-off replies
    (e.g. a 503 before the real answer). Every request is logged for assertions."""

    def __init__(self) -> None:
        self.routes: dict[str, Responder] = {}
        self.queued: dict[str, list[Reply]] = {}
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        # When each request arrived (time.monotonic()) and its User-Agent, in request order.
        self.times: list[float] = []
        self.agents: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                query = parse_qs(parsed.query, keep_blank_values=True)
                server.times.append(time.monotonic())
                server.agents.append(self.headers.get("User-Agent", ""))
                server.requests.append((parsed.path, query))
                queue = server.queued.get(parsed.path)
                if queue:
                    reply = queue.pop(0)
                elif parsed.path in server.routes:
                    reply = server.routes[parsed.path](parsed.path, query)
                else:
                    reply = Reply(404, b"not found", {"Content-Type": "text/plain"})
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                if reply.truncate_at is not None:
                    self.send_header("Connection", "close")
                self.end_headers()
                if reply.truncate_at is not None:
                    self.wfile.write(reply.body[: reply.truncate_at])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(reply.body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, path: str, responder: Responder) -> None:
        self.routes[path] = responder

    def serve_file(self, path: str, file: Path, content_type: str) -> None:
        body = file.read_bytes()
        self.routes[path] = lambda _p, _q: Reply(200, body, {"Content-Type": content_type})

    def queue(self, path: str, *replies: Reply) -> None:
        self.queued.setdefault(path, []).extend(replies)
