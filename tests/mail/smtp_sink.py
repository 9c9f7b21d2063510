"""A real SMTP server process for tests: plain aiosmtpd on loopback, storing every accepted message
as a file.

What it can be asked to do is what real servers do: answer chosen recipients with scripted codes
(``451`` then ``250``, or ``550``); speak TLS (STARTTLS or implicit TLS) with a given certificate;
require a login; be slow for chosen recipients, by sleeping before it answers the DATA command or
before it takes the finished message (a slow content check before queueing). Nothing else is
changed: like aiosmtpd itself, it abandons a transaction whose client vanished before the final
``.`` was read, or while its handler was still awaiting.

Run as ``python smtp_sink.py PORT FOLDER RULES.json OPTIONS.json``; ``smtp_sink`` starts and stops it.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote


class _Handler:
    def __init__(self, folder: Path, rules: Path, options: dict[str, Any]) -> None:
        self.folder = folder
        self.rules = rules
        self.options = options
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
        import asyncio

        _event(self.folder, f"accepting {' '.join(envelope.rcpt_tos)}")
        delay = _delay(self.folder, "accept", envelope.rcpt_tos)
        if delay:  # only then an await: aiosmtpd cancels a handler awaiting when the client goes
            await asyncio.sleep(delay)
        name = f"{time.time_ns()}-{uuid.uuid4().hex}"
        login = session.auth_data.login.decode() if session.authenticated else None
        tls = server.transport.get_extra_info("ssl_object") is not None
        meta = {"tls": session.ssl is not None or tls, "login": login}
        (self.folder / f".{name}.json").write_text(json.dumps(meta))
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(envelope.original_content or envelope.content)
        os.replace(tmp, self.folder / f"{name}.eml")
        _event(self.folder, f"stored {' '.join(envelope.rcpt_tos)}")
        delay = _delay(self.folder, "answer", envelope.rcpt_tos)
        if delay:
            await asyncio.sleep(delay)
        return "250 Message accepted"


def _delays_file(folder: Path) -> Path:
    return folder.parent / f"{folder.name}-delays.json"


def _delay(folder: Path, step: str, recipients: list[str]) -> float:
    path = _delays_file(folder)
    delays = json.loads(path.read_text()).get(step, {}) if path.exists() else {}
    return max((float(delays.get(r.lower(), 0)) for r in recipients), default=0.0)


def _event(folder: Path, line: str) -> None:
    with open(folder.parent / f"{folder.name}-events.log", "a") as log:
        log.write(line + "\n")


def serve(port: int, folder: Path, rules: Path, options: dict[str, Any]) -> None:
    import asyncio

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

    users: dict[str, str] = options.get("users", {})
    tls = options.get("tls")
    context = None
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options["cert"], options["key"])

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and users.get(auth_data.login.decode()) == auth_data.password.decode()
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    class SlowSMTP(SMTP):
        async def smtp_DATA(self, arg: str) -> None:
            recipients = list(self.envelope.rcpt_tos) if self.envelope else []
            _event(folder, f"DATA {' '.join(recipients)}")
            delay = _delay(folder, "data", recipients)
            if delay:
                await asyncio.sleep(delay)
            await super().smtp_DATA(arg)

    class SinkController(Controller):
        def factory(self) -> SMTP:
            return SlowSMTP(
                self.handler,
                tls_context=context if tls == "starttls" else None,
                require_starttls=tls == "starttls",
                authenticator=authenticator if users else None,
                auth_required=bool(users),
                # aiosmtpd counts only STARTTLS as TLS; under smtps every byte is encrypted already.
                auth_require_tls=tls != "smtps",
            )

    controller = SinkController(
        _Handler(folder, rules, options),
        hostname="127.0.0.1",
        port=port,
        ssl_context=context if tls == "smtps" else None,
    )
    controller.start()
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class SmtpSink:
    port: int
    folder: Path
    rules: Path
    options: dict[str, Any] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        scheme = {"starttls": "smtp+starttls", "smtps": "smtps"}.get(
            self.options.get("tls"), "smtp"
        )
        return f"{scheme}://127.0.0.1:{self.port}"

    def url_with_login(self, user: str, password: str) -> str:
        scheme, rest = self.url.split("://")
        return f"{scheme}://{quote(user, safe='')}:{quote(password, safe='')}@{rest}"

    def script(self, address: str, *codes: str) -> None:
        """Answer RCPT TO ``address`` with ``codes`` in turn (the last one repeats)."""
        current = json.loads(self.rules.read_text()) if self.rules.exists() else {}
        current[address.lower()] = list(codes)
        self.rules.write_text(json.dumps(current))

    def slow(self, address: str, *, data: float = 0, accept: float = 0, answer: float = 0) -> None:
        """For ``address``, sleep ``data`` seconds before answering DATA, ``accept`` seconds after
        the final ``.`` before taking the message, ``answer`` seconds after storing it before
        saying so (all 0: answer at once again)."""
        path = _delays_file(self.folder)
        current = json.loads(path.read_text()) if path.exists() else {}
        for step, seconds in (("data", data), ("accept", accept), ("answer", answer)):
            current.setdefault(step, {})[address.lower()] = seconds
        path.write_text(json.dumps(current))

    def kill(self) -> None:
        """SIGKILL the server process, as a crash would."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()

    def messages(self, to: str | None = None) -> list[EmailMessage]:
        found = []
        for path in sorted(self.folder.glob("*.eml")):
            msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            if to is None or str(msg["To"]).lower() == to.lower():
                found.append(msg)
        return found

    def sessions(self) -> list[dict[str, Any]]:
        """Per accepted message: whether it came over TLS and under which login."""
        return [
            json.loads((path.parent / f".{path.stem}.json").read_text())
            for path in sorted(self.folder.glob("*.eml"))
        ]

    def events(self) -> list[str]:
        """``DATA <recipient>`` when a DATA command arrives, ``accepting <recipient>`` at its
        final ``.``, ``stored <recipient>`` once the message is kept."""
        log = self.folder.parent / f"{self.folder.name}-events.log"
        return log.read_text().splitlines() if log.exists() else []

    def count(self) -> int:
        return len(list(self.folder.glob("*.eml")))


def _greets(port: int, tls: bool) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
            if not tls:
                return conn.recv(3) == b"220"
            client = ssl.create_default_context()
            client.check_hostname = False
            client.verify_mode = ssl.CERT_NONE
            with client.wrap_socket(conn) as wrapped:
                return wrapped.recv(3) == b"220"
    except OSError:
        return False


@contextmanager
def smtp_sink(folder: Path, port: int | None = None, **options: Any) -> Iterator[SmtpSink]:
    """Start the sink process on ``port`` (default: a free loopback port) and stop it afterwards.

    ``options``: ``tls`` (``"starttls"`` or ``"smtps"``) with ``cert`` and ``key`` (PEM paths),
    ``users`` ({login: password}, then a login over TLS is required)."""
    folder.mkdir(parents=True, exist_ok=True)
    sink = SmtpSink(
        port or free_port(), folder, folder.parent / f"{folder.name}-rules.json", options
    )
    settings = folder.parent / f"{folder.name}-options.json"
    settings.write_text(json.dumps(options))
    process = sink.process = subprocess.Popen(
        [sys.executable, __file__, str(sink.port), str(folder), str(sink.rules), str(settings)]
    )
    try:
        deadline = time.monotonic() + 30
        while not _greets(sink.port, options.get("tls") == "smtps"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the SMTP sink did not start")
            time.sleep(0.05)
        yield sink
    finally:
        process.terminate()
        process.wait(timeout=30)


if __name__ == "__main__":
    serve(
        int(sys.argv[1]),
        Path(sys.argv[2]),
        Path(sys.argv[3]),
        json.loads(Path(sys.argv[4]).read_text()),
    )
