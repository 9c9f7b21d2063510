"""Building e-mails: address checks, multipart text + HTML, Message-ID, List-Id and RFC 8058 headers."""

from __future__ import annotations

import base64
import re
import uuid
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import formataddr, formatdate, make_msgid, parseaddr

from paperwire.errors import InvalidEmail

# CRLF on the wire; headers folded only past 998 characters, since some clients keep the fold's
# space in a folded List-Unsubscribe.
_WIRE = compat32.clone(linesep="\r\n", max_line_length=998)
# Deliberately narrower than RFC 5322: one local part, one dotted domain, no spaces, quotes or
# control characters, so nothing a person types can smuggle a header into a message.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def clean_address(raw: str) -> str:
    """The address, trimmed and with a lower-case domain; ``InvalidEmail`` if malformed or injected."""
    if any(ch in raw for ch in "\r\n\0"):
        raise InvalidEmail("an e-mail address cannot contain line breaks")
    address = raw.strip()
    if len(address) > 254 or not _ADDRESS.match(address) or ".." in address:
        raise InvalidEmail(f"“{address[:80]}” is not a valid e-mail address")
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _header(value: str) -> str:
    value = " ".join(value.split())
    return value if value.isascii() else Header(value, "utf-8").encode()


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    list_id: str,
    unsubscribe_url: str | None = None,
) -> Message:
    """A multipart/alternative message with a unique Message-ID; with ``unsubscribe_url`` (an HTTPS
    URL) it carries List-Unsubscribe and List-Unsubscribe-Post for one-click unsubscribe.

    Built with the ``email.mime`` classes: a digest run builds thousands, and these are several times
    faster than ``EmailMessage`` with the default policy. Every header value is one line.
    """
    name, address = parseaddr(" ".join(sender.split()))
    msg = MIMEMultipart("alternative", boundary=f"=_paperwire_{uuid.uuid4().hex}")
    msg["From"] = formataddr((name, address), "utf-8")
    msg["To"] = clean_address(to)
    msg["Subject"] = _header(subject)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1] or "paperwire.local")
    msg["List-Id"] = _header(list_id)
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.attach(_base64_part("plain", text))
    msg.attach(_base64_part("html", html))
    return msg


def _base64_part(subtype: str, body: str) -> MIMENonMultipart:
    # base64.encodebytes is C; MIMEText's own encoder loops over the body in Python.
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return part


def wire_bytes(msg: Message) -> bytes:
    """The message as sent over SMTP (CRLF line ends). A message from ``build_message`` is written
    directly, as its parts are already encoded; the generic generator costs a third of a digest."""
    boundary = msg.get_boundary()
    payload = msg.get_payload()
    parts = [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
    bodies = [p.get_payload() for p in parts]
    if (
        msg.get_content_type() != "multipart/alternative"
        or not boundary
        or not parts
        or any(p["Content-Transfer-Encoding"] != "base64" for p in parts)
        or not all(isinstance(b, str) for b in bodies)
    ):
        return msg.as_bytes(policy=_WIRE)
    out = [_headers(msg), ""]
    for part, body in zip(parts, bodies, strict=True):
        out += [f"--{boundary}", _headers(part), "", str(body).rstrip("\n")]
    out += [f"--{boundary}--", ""]
    try:
        return "\n".join(out).replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")
    except UnicodeEncodeError:
        return msg.as_bytes(policy=_WIRE)


def _headers(msg: Message) -> str:
    return "\n".join(f"{key}: {value}" for key, value in msg.items())
