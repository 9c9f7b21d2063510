"""Building e-mails: address checks, multipart text + HTML, Message-ID, List-Id and RFC 8058 headers."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from paperwire.errors import InvalidEmail

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


def build_message(
    *,
    sender: str,
    to: str,
    subject: str,
    text: str,
    html: str,
    list_id: str,
    unsubscribe_url: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message with a unique Message-ID; with ``unsubscribe_url`` (an HTTPS or
    local URL) it carries List-Unsubscribe and List-Unsubscribe-Post for one-click unsubscribe."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = Address(addr_spec=clean_address(to))
    msg["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rsplit("@", 1)[-1].strip("> ") or "paperwire.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    msg["List-Id"] = list_id
    if unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
