"""Domain exceptions. One handler per surface (web, API, CLI) translates them."""

from __future__ import annotations


class PaperwireError(Exception):
    """Base of every error paperwire reports to a person."""

    exit_code = 1
    http_status = 400


class ConfigError(PaperwireError):
    exit_code = 2


class UsageError(PaperwireError):
    exit_code = 2


class InvalidPaperId(PaperwireError):
    http_status = 400


class PaperNotFound(PaperwireError):
    http_status = 404


class SourceError(PaperwireError):
    """A source could not be read at all (network down, file missing, HTTP error after retries)."""


class RateLimited(PaperwireError):
    http_status = 429

    def __init__(self, message: str, retry_after: int = 60, limit: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.limit = limit


class InvalidEmail(PaperwireError):
    """A malformed e-mail address or an attempt to inject headers."""

    http_status = 422


class InvalidLink(PaperwireError):
    """A subscription link that is forged, expired or replaced by a newer one."""

    http_status = 400


class SubscriptionNotFound(PaperwireError):
    http_status = 404


class NotSignedIn(PaperwireError):
    """The page or action needs a signed-in member (pages send the visitor to sign in)."""

    http_status = 401


class Forbidden(PaperwireError):
    """Signed in, but not allowed: another member's comment, a moderator's action, a bad CSRF token."""

    http_status = 403


class SubmissionRefused(PaperwireError):
    """A paper the instance's submission rules do not accept (e.g. too old)."""

    http_status = 422


class CollectionNotFound(PaperwireError):
    """No such collection, or a private one of somebody else's (which must look the same)."""

    http_status = 404


class TokenNotFound(PaperwireError):
    """No such API token among the member's own (another member's token is not theirs to see)."""

    http_status = 404


class SavedSearchNotFound(PaperwireError):
    http_status = 404


class InvalidText(PaperwireError):
    """Input holding characters that cannot be stored or shown (NUL, other controls...)."""

    http_status = 422


class DateOutOfRange(PaperwireError):
    """A well-formed date, week or month outside the years paperwire can list."""

    http_status = 422
