"""How often paperwire mails one address on somebody's request: subscription confirmations and
manage links, sign-up links and "someone tried to sign up with your address" notices.

At most one such mail per ``SPACING`` and ``DAILY.count`` a day per address, whoever asks and from
whatever IP address, so nobody can use the service to flood an inbox. Callers answer the requester
the same way whether the mail went or not. Counters live in the shared rate-limit table, keyed by a
hash of the address (the table never holds an address).
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


def _key(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def may_mail(session: Session, address: str, *, now: datetime | None = None) -> bool:
    """Count one requested mail to ``address``; False when it is over its budget (send nothing).
    Commits nothing: the caller's transaction carries the counters."""
    key = _key(address)
    try:
        ratelimit.hit(session, SPACING.action, key, rule=SPACING, now=now)
        ratelimit.hit(session, DAILY.action, key, rule=DAILY, now=now)
    except RateLimited:
        return False
    return True
