"""Sending e-mail: the ``Sender`` interface, SMTP (plain, STARTTLS, TLS, with login) and the console.

``PAPERWIRE_SMTP_URL`` picks the implementation: ``smtp://``, ``smtp+starttls://`` or ``smtps://``
(``user:password@host:port``); without it mail is printed to the console (zero-config development).
TLS verifies the server's certificate and host name against the system's CAs, or only against the
CAs in ``PAPERWIRE_SMTP_CA_FILE`` when that is set (a private CA). Failures of the server itself
(unreachable, certificate or login refused) are ``MailServerError``s naming the server, never the
password.
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
from paperwire.errors import ConfigError, DeliveryError, MailServerError
from paperwire.mail.message import wire_bytes

_DOT_LINE = re.compile(rb"(?m)^\.")


__all__ = [
    "ConsoleSender",
    "DeliveryError",
    "MailServerError",
    "Sender",
    "SmtpSender",
    "get_sender",
]


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


def _text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def _error(code: int, text: bytes | str) -> DeliveryError:
    return DeliveryError(f"{code} {_text(text)}".strip(), code=code, temporary=400 <= code < 500)


class SmtpSender:
    """One SMTP connection, opened on first use and reused for a batch of messages."""

    def __init__(self, url: str, timeout: float = 30.0, ca_file: str | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtp+starttls", "smtps") or not parts.hostname:
            shown = url.replace(f":{parts.password}@", ":***@") if parts.password else url
            raise ConfigError(
                "PAPERWIRE_SMTP_URL must be smtp://, smtp+starttls:// or smtps://host:port,"
                f" not {shown!r}"
            )
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[parts.scheme]
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self.ca_file = ca_file
        self._context = self._tls_context() if self.scheme != "smtp" else None
        self._smtp: smtplib.SMTP | None = None

    @property
    def server(self) -> str:
        """The server as errors name it: ``scheme://host:port`` (never the login)."""
        return f"{self.scheme}://{self.host}:{self.port}"

    def _tls_context(self) -> ssl.SSLContext:
        if not self.ca_file:
            return ssl.create_default_context()
        try:
            return ssl.create_default_context(cafile=self.ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"PAPERWIRE_SMTP_CA_FILE: cannot load CA certificates from {self.ca_file}: {exc}"
            ) from exc

    def _connect(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = None
        try:
            if self.scheme == "smtps":
                smtp = smtplib.SMTP_SSL(
                    self.host, self.port, timeout=self.timeout, context=self._context
                )
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.scheme == "smtp+starttls":
                    smtp.starttls(context=self._context)
            if self.username:
                smtp.login(self.username, self.password or "")
        except BaseException as exc:
            if smtp is not None:
                smtp.close()
            if isinstance(exc, smtplib.SMTPException | OSError):
                raise self._server_error(exc) from None
            raise
        # The final dot is a small write right after the body: without this, Nagle's algorithm holds
        # it back until the body is acknowledged (a delayed ACK, up to 40 ms per message).
        if smtp.sock is not None:
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return smtp

    def _server_error(self, exc: smtplib.SMTPException | OSError) -> MailServerError:
        """Why the connection could not be set up; ``from None`` above keeps the login's
        exchange (which smtplib may quote) out of tracebacks."""
        where = f"mail server {self.server}"
        if isinstance(exc, ssl.SSLCertVerificationError):
            hint = "" if self.ca_file else "; for a private CA set PAPERWIRE_SMTP_CA_FILE"
            return MailServerError(
                f"{where}: TLS certificate refused ({exc.verify_message}){hint}",
                code=None,
                temporary=False,
            )
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return MailServerError(
                f"{where} refused the login of user {self.username!r}: {exc.smtp_code}"
                f" {_text(exc.smtp_error)}",
                code=exc.smtp_code,
                temporary=False,
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return MailServerError(f"{where}: {exc}", code=None, temporary=False)
        if isinstance(exc, smtplib.SMTPResponseException):
            return MailServerError(
                f"{where} refused the session: {exc.smtp_code} {_text(exc.smtp_error)}",
                code=exc.smtp_code,
                temporary=400 <= exc.smtp_code < 500,
            )
        return MailServerError(f"{where} unreachable: {exc}", code=None, temporary=True)

    def send(self, message: Message, before_accept: Callable[[], None] | None = None) -> None:
        """Send one message. ``before_accept`` runs once the server holds the whole message but
        before the final ``.`` that asks it to accept: a sender killed before that call leaves the
        server nothing to deliver, and one killed after it has already recorded the send.

        A connection lost after the final ``.`` raises a ``DeliveryError`` with
        ``outcome_unknown``: the server may have accepted the message (RFC 1047)."""
        if self._smtp is None:
            self._smtp = self._connect()
        dot_sent = False

        def sent_dot() -> None:
            nonlocal dot_sent
            dot_sent = True

        try:
            self._transact(self._smtp, message, before_accept, sent_dot)
        except smtplib.SMTPSenderRefused as exc:
            # Refused before any recipient was named: the server's policy (e.g. 530, a login is
            # required), the same for every message, not one subscriber's bounce.
            self._reset()
            raise MailServerError(
                f"mail server {self.server} refused the sender {exc.sender}: {exc.smtp_code}"
                f" {_text(exc.smtp_error)}",
                code=exc.smtp_code,
                temporary=400 <= exc.smtp_code < 500,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _error(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(
                f"connection to mail server {self.server} lost: {exc}",
                code=None,
                temporary=True,
                outcome_unknown=dot_sent,
            ) from exc

    def _transact(
        self,
        smtp: smtplib.SMTP,
        message: Message,
        before_accept: Callable[[], None] | None,
        sent_dot: Callable[[], None],
    ) -> None:
        smtp.ehlo_or_helo_if_needed()
        sender = parseaddr(str(message["From"]))[1]
        code, reply = smtp.mail(sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, sender)
        code, reply = smtp.rcpt(str(message["To"]))
        if code not in (250, 251):
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
        sent_dot()
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
        return SmtpSender(settings.smtp_url, ca_file=settings.smtp_ca_file)
    return ConsoleSender()
