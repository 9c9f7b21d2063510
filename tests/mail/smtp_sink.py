"""A real SMTP server process for tests (aiosmtpd on loopback) that stores every accepted message as a
file, and can answer chosen recipients with scripted codes (``451`` then ``250``, or ``550``).

Run as ``python smtp_sink.py PORT FOLDER RULES.json``; ``SmtpSink`` starts and stops it for a test.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any


class _Handler:
    def __init__(self, folder: Path, rules: Path) -> None:
        self.folder = folder
        self.rules = rules
        self.seen: dict[str, int] = {}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        script = json.loads(self.rules.read_text()) if self.rules.exists() else {}
        codes = script.get(address.lower())
        if codes:
            turn = self.seen.get(address.lower(), 0)
            self.seen[address.lower()] = turn + 1
            code = codes[min(turn, len(codes) - 1)]
            if code != "250":
                return f"{code} scripted answer for {address}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        os.replace(tmp, self.folder / f"{name}.eml")
        return "250 Message accepted"


def serve(port: int, folder: Path, rules: Path) -> None:
    import asyncio

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP

    class DeferredCancel:
        def __init__(self, task: Any) -> None:
            self.task = task

        def cancel(self) -> None:
            asyncio.get_running_loop().call_later(2.0, self.task.cancel)

    class FinishingSMTP(SMTP):
        """Like Postfix, accepts a message whose final dot arrived before the client vanished;
        aiosmtpd alone cancels the session at once and drops it (RFC 1047's duplicate problem is
        the other side of this: the server delivers, the client never hears so)."""

        def _defer(self) -> None:
            if not isinstance(self._handler_coroutine, DeferredCancel):
                self._handler_coroutine = DeferredCancel(self._handler_coroutine)  # type: ignore[assignment]

        def eof_received(self) -> bool | None:
            self._defer()
            return super().eof_received()

        def connection_lost(self, error: Exception | None) -> None:
            self._defer()
            super().connection_lost(error)

    class FinishingController(Controller):
        def factory(self) -> SMTP:
            return FinishingSMTP(self.handler)

    controller = FinishingController(_Handler(folder, rules), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    port: int
    folder: Path
    rules: Path

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def script(self, address: str, *codes: str) -> None:
        """Answer RCPT TO ``address`` with ``codes`` in turn (the last one repeats)."""
        current = json.loads(self.rules.read_text()) if self.rules.exists() else {}
        current[address.lower()] = list(codes)
        self.rules.write_text(json.dumps(current))

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            if to is None or str(msg["To"]).lower() == to.lower():
                found.append(msg)
        return found

    def count(self) -> int:
        return len(list(self.folder.glob("*.eml")))


@contextmanager
def smtp_sink(folder: Path) -> Iterator[SmtpSink]:
    """Start the sink process on a free loopback port and stop it afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    sink = SmtpSink(_free_port(), folder, folder.parent / f"{folder.name}-rules.json")
    process = subprocess.Popen(
        [sys.executable, __file__, str(sink.port), str(folder), str(sink.rules)]
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", sink.port), timeout=1) as conn:
                    if conn.recv(3) == b"220":
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the SMTP sink did not start") from None
                time.sleep(0.05)
        yield sink
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    serve(int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
