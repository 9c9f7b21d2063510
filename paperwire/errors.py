"""Domain exceptions. One handler per surface (web, API, CLI) translates them."""

from __future__ import annotations


class PaperwireError(Exception):
    """Base of every error paperwire reports to a person."""

    exit_code = 1
    http_status = 400


class ConfigError(PaperwireError):
    """A bad setting; ``key`` names the key of a source's table when one is to blame (the admin
    form marks that field)."""

    exit_code = 2

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class UsageError(PaperwireError):
    exit_code = 2


class SourceNotFound(ConfigError):
    """No harvest source of that name (none in the database, or an admin deleted it)."""

    http_status = 404


class SourceBusy(PaperwireError):
    """The source is being harvested right now; the change waits for the run to end."""

    http_status = 409


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


class TooManyTokens(PaperwireError):
    """The member already holds as many live API tokens as the instance allows."""

    http_status = 409


class SavedSearchNotFound(PaperwireError):
    http_status = 404


class DeliveryError(PaperwireError):
    """The mail server refused a message or could not be reached.

    ``temporary`` for 4xx answers and lost connections; ``outcome_unknown`` when the connection
    failed after the final ``.`` was sent, so the server may or may not have accepted the message.
    """

    http_status = 503

    def __init__(
        self, message: str, *, code: int | None, temporary: bool, outcome_unknown: bool = False
    ) -> None:
        super().__init__(message)
        self.code = code
        self.temporary = temporary
        self.outcome_unknown = outcome_unknown


class MailServerError(DeliveryError):
    """The mail server itself failed (unreachable, its certificate or our login refused), not one
    recipient: every message would fail the same way, so a run stops instead of trying each."""


class DigestsNotSent(PaperwireError):
    """A digest run ended with digests still to send; the next run sends them."""

    http_status = 503


class DatabaseUnavailable(PaperwireError):
    """The database is locked by another writer past the lock timeout, or cannot be reached.

    A temporary state: the request's transaction was rolled back, so nothing is half written and
    the same request can simply be sent again. ``reason`` is the driver's own words, for logs and
    the CLI (not shown on public pages)."""

    http_status = 503
    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, reason: str, retry_after: int = 5) -> None:
        super().__init__(
            "The database is busy or unreachable right now, so nothing was changed."
            " Please try again in a few seconds."
        )
        self.reason = reason
        self.retry_after = retry_after


class ServerBusy(PaperwireError):
    """Every thread kept for one kind of slow work (sign-ins, submissions, library imports; see
    ``web/offload.py``) is taken: nothing was done, and the same request can be sent again."""

    http_status = 503
    exit_code = 75  # EX_TEMPFAIL: try again later

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IndexWriteFailed(PaperwireError):
    """The search index could not be written (disk full, I/O error). Searches keep answering from
    the last complete sync; the next ``paperwire index`` redoes what was not written."""

    exit_code = 74  # EX_IOERR
    http_status = 503


class WeakSecret(ConfigError):
    """The secret that signs links is unset, a placeholder or too short: nothing may be signed."""

    http_status = 500


class RequestTooLarge(PaperwireError):
    """A request body over the size every endpoint accepts."""

    http_status = 413


class InvalidText(PaperwireError):
    """Input holding characters that cannot be stored or shown (NUL, other controls...)."""

    http_status = 422


class InvalidNumber(PaperwireError):
    """A number from a form or an address that is not a whole number within its bounds."""

    http_status = 422


class DateOutOfRange(PaperwireError):
    """A well-formed date, week or month outside the years paperwire can list."""

    http_status = 422


class AuthorNotFound(PaperwireError):
    """No visible paper has an author of that name."""

    http_status = 404


class ClaimRefused(PaperwireError):
    """An authorship claim that cannot be made or decided (already claimed, already decided)."""

    http_status = 409


class LibraryRefused(UsageError):
    """An uploaded reference library that cannot be imported: neither BibTeX nor CSL-JSON, a
    malformed entry, or past a limit on entries or nesting (the message names the limit)."""

    http_status = 422


class LibraryTooLarge(LibraryRefused):
    """An uploaded reference library over the size an import reads (the message names it)."""

    http_status = 413
