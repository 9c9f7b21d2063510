"""How often paperwire mails one address on somebody's request: subscription confirmations and
manage links, sign-up links and "someone tried to sign up with your address" notices.

At most one such mail per ``SPACING`` and ``DAILY.count`` a day per address, whoever asks and from
whatever IP address, so nobody can use the service to flood an inbox. Callers answer the requester
the same way whether the mail went or not. Counters live in the shared rate-limit table, keyed by a
hash of the mailbox (the table never holds an address): ``mailbox`` folds the spellings that reach
one inbox (case, a ``+tag``, dots where the provider ignores them), so ``victim+1@`` and
``Vic.tim+2@`` share ``victim@``'s budget.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from paperwire import ratelimit
from paperwire.errors import RateLimited

# A request inside the spacing also counts, so a stream of requests keeps the address quiet; the
# first mail's link stays valid for days, so its owner loses nothing.
SPACING = ratelimit.Limit("mail-recipient", 1, 600)
DAILY = ratelimit.Limit("mail-recipient-day", 5, 24 * 3600)


# Providers that deliver ``f.i.r.s.t@`` to ``first@``, each with the one domain its aliases share.
DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox(address: str) -> str:
    """The inbox ``address`` reaches, as one string per inbox: case-folded, without a ``+tag``
    (the sub-addressing most providers deliver to the plain mailbox), and without dots in the
    local part where the domain ignores them (``DOTLESS``). Not an address to send to."""
    local, at, domain = address.strip().casefold().rpartition("@")
    if not at:
        return address.strip().casefold()
    try:  # bücher.example and xn--bcher-kva.example are one domain
        domain = domain.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        domain = domain.rstrip(".")
    local = local.split("+", 1)[0] or local
    if domain in DOTLESS:
        local, domain = local.replace(".", ""), DOTLESS[domain]
    return f"{local}@{domain}"


def _key(address: str) -> str:
    return hashlib.sha256(mailbox(address).encode()).hexdigest()


def may_mail(session: Session, address: str, *, now: datetime | None = None) -> bool:
    """Count one requested mail to ``address``'s mailbox; False when it is over its budget (send
    nothing).
    Commits nothing: the caller's transaction carries the counters."""
    key = _key(address)
    try:
        ratelimit.hit(session, SPACING.action, key, rule=SPACING, now=now)
        ratelimit.hit(session, DAILY.action, key, rule=DAILY, now=now)
    except RateLimited:
        return False
    return True
