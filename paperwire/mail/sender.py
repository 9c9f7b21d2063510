"""Sending e-mail: the ``Sender`` interface, SMTP (plain, STARTTLS, TLS, with login) and the console.

``PAPERWIRE_SMTP_URL`` picks the implementation: ``smtp://``, ``smtp+starttls://`` or ``smtps://``
(``user:password@host:port``); without it mail is printed to the console (zero-config development).
"""

from __future__ import annotations

import smtplib
import ssl
import sys
import threading
from email.message import EmailMessage
from types import TracebackType
from typing import Protocol, TextIO
from urllib.parse import unquote, urlsplit

from paperwire.config import Settings
from paperwire.errors import ConfigError, PaperwireError


class DeliveryError(PaperwireError):
    """The mail server refused a message; ``temporary`` for 4xx answers and lost connections."""

    def __init__(self, message: str, *, code: int | None, temporary: bool) -> None:
        super().__init__(message)
        self.code = code
        self.temporary = temporary


class Sender(Protocol):
    """Delivers one message; raises ``DeliveryError``. Usable as a context manager around a batch."""

    def send(self, message: EmailMessage) -> None: ...

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

    def send(self, message: EmailMessage) -> None:
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
        return smtp

    def send(self, message: EmailMessage) -> None:
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()))
            raise _error(code, text) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _error(exc.smtp_code, exc.smtp_error) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(
                f"mail server unreachable: {exc}", code=None, temporary=True
            ) from exc
        if refused:
            code, text = next(iter(refused.values()))
            raise _error(code, text)

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
