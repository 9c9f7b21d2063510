"""Sending e-mail: the ``Sender`` interface, SMTP (plain, STARTTLS, TLS, with login) and the console.

``PAPERWIRE_SMTP_URL`` picks the implementation: ``smtp://``, ``smtp+starttls://`` or ``smtps://``
(``user:password@host:port``); without it mail is printed to the console (zero-config development).
"""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
import sys
import threading
from collections.abc import Callable
from email.message import Message
from email.utils import parseaddr
from types import TracebackType
from typing import Protocol, TextIO
from urllib.parse import unquote, urlsplit

from paperwire.config import Settings
from paperwire.errors import ConfigError, PaperwireError
from paperwire.mail.message import wire_bytes

_DOT_LINE = re.compile(rb"(?m)^\.")


class DeliveryError(PaperwireError):
    """The mail server refused a message; ``temporary`` for 4xx answers and lost connections."""

    def __init__(self, message: str, *, code: int | None, temporary: bool) -> None:
        super().__init__(message)
        self.code = code
        self.temporary = temporary


class Sender(Protocol):
    """Delivers one message; raises ``DeliveryError``. Usable as a context manager around a batch."""

    def send(self, message: Message, before_accept: Callable[[], None] | None = None) -> None: ...

    def close(self) -> None: ...

    def __enter__(self) -> Sender: ...

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


class ConsoleSender:
    """Prints each message (development without an SMTP server)."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout
        self._lock = threading.Lock()

    def send(self, message: Message, before_accept: Callable[[], None] | None = None) -> None:
        if before_accept is not None:
            before_accept()
        with self._lock:
            print(message.as_string(), file=self.stream, flush=True)
            print("-" * 72, file=self.stream, flush=True)

    def close(self) -> None:
        return None

    def __enter__(self) -> ConsoleSender:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _error(code: int, text: bytes | str) -> DeliveryError:
    reply = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return DeliveryError(f"{code} {reply}".strip(), code=code, temporary=400 <= code < 500)


class SmtpSender:
    """One SMTP connection, opened on first use and reused for a batch of messages."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            raise ConfigError(
                f"PAPERWIRE_SMTP_URL must be smtp://, smtp+starttls:// or smtps://host:port, not {url!r}"
            )
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
        if self.username:
            smtp.login(self.username, self.password or "")
        # The final dot is a small write right after the body: without this, Nagle's algorithm holds
        # it back until the body is acknowledged (a delayed ACK, up to 40 ms per message).
        if smtp.sock is not None:
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return smtp

    def send(self, message: Message, before_accept: Callable[[], None] | None = None) -> None:
        """Send one message. ``before_accept`` runs once the server holds the whole message but
        before the final ``.`` that asks it to accept: a sender killed before that call leaves the
        server nothing to deliver, and one killed after it has already recorded the send."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._transact(self._smtp, message, before_accept)
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _error(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(
                f"mail server unreachable: {exc}", code=None, temporary=True
            ) from exc

    def _transact(
        self, smtp: smtplib.SMTP, message: Message, before_accept: Callable[[], None] | None
    ) -> None:
        smtp.ehlo_or_helo_if_needed()
        for command, argument, ok in (
            (smtp.mail, parseaddr(str(message["From"]))[1], (250,)),
            (smtp.rcpt, str(message["To"]), (250, 251)),
        ):
            code, reply = command(argument)
            if code not in ok:
                raise smtplib.SMTPResponseException(code, reply)
        smtp.putcmd("data")
        code, reply = smtp.getreply()
        if code != 354:
            raise smtplib.SMTPResponseException(code, reply)
        body = _DOT_LINE.sub(b"..", wire_bytes(message))
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        smtp.send(body)
        if before_accept is not None:
            try:
                before_accept()
            except BaseException:
                # The server must never accept a message whose send was not recorded.
                smtp.close()
                self._smtp = None
                raise
        smtp.send(b".\r\n")
        code, reply = smtp.getreply()
        if code != 250:
            raise smtplib.SMTPResponseException(code, reply)

    def _reset(self) -> None:
        if self._smtp is None:
            return
        try:
            self._smtp.rset()
        except (smtplib.SMTPException, OSError):
            self.close()

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (smtplib.SMTPException, OSError):
                self._smtp.close()
            self._smtp = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def get_sender(settings: Settings) -> Sender:
    """The sender the settings choose: SMTP when ``smtp_url`` is set, else the console."""
    if settings.smtp_url:
        return SmtpSender(settings.smtp_url)
    return ConsoleSender()
