"""The HTTP fetcher every live source uses: polite pacing, retries with back-off, clear failures,
under the rules of ``ingest.outbound`` (http(s) only, public addresses unless allowed, a total
deadline per request, a size cap)."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

import httpx

from paperwire import __version__
from paperwire.errors import SourceError
from paperwire.ingest.outbound import (
    MAX_BYTES,
    AddressPolicy,
    FetchRefused,
    deadline,
    guarded_client,
    read_capped,
)

log = logging.getLogger(__name__)

RETRY_STATUS = {429, 500, 502, 503, 504}
USER_AGENT = f"paperwire/{__version__} (+https://github.com/paperwire/paperwire)"


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class Fetcher:
    """One connection at a time, at least ``min_interval`` seconds between requests.

    Retries 429, 5xx, timeouts and dropped connections up to ``retries`` times, waiting
    ``Retry-After`` when the server says so and ``backoff * 2**attempt`` otherwise (capped).

    ``timeout`` is the most one request may take, from resolving the host to the last byte of the
    body (not per read); ``budget``, when given, bounds a whole ``get`` with its retries and waits.
    An answer longer than ``max_bytes`` is refused as soon as it passes the cap. Only public
    addresses are reached, plus the networks in ``allow_private`` (the text of
    ``PAPERWIRE_FETCH_ALLOW_PRIVATE``, e.g. ``"127.0.0.1"`` for a local replay).
    """

    def __init__(
        self,
        *,
        source: str,
        min_interval: float = 3.0,
        retries: int = 5,
        backoff: float = 2.0,
        max_wait: float = 120.0,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        user_agent: str = USER_AGENT,
        allow_private: str | None = None,
        max_bytes: int = MAX_BYTES,
        budget: float | None = None,
    ) -> None:
        self.source = source
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.budget = budget
        self._last = 0.0
        self._lock = threading.Lock()
        self._client = guarded_client(
            AddressPolicy.from_setting(allow_private),
            timeout=timeout,
            headers={"User-Agent": user_agent},
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _pace(self) -> None:
        wait = self._last + self.min_interval - time.monotonic()
        if wait > 0:
            self.sleep(wait)
        self._last = time.monotonic()

    def get(self, url: str, params: dict[str, Any] | None = None) -> httpx.Response:
        """GET ``url``; returns the response for any status that is not retried (the caller judges it).
        A refusal (scheme, address, size) is a ``SourceError`` at once, never retried."""
        shown = str(httpx.URL(url, params=params)) if params else url
        whole: AbstractContextManager[object] = (
            deadline(self.budget) if self.budget is not None else nullcontext()
        )
        with self._lock, whole:
            budget_end = None if self.budget is None else time.monotonic() + self.budget
            last_problem = ""
            for attempt in range(self.retries + 1):
                self._pace()
                try:
                    with deadline(self.timeout) as end:
                        response = read_capped(
                            self._client, "GET", url, params=params, max_bytes=self.max_bytes
                        )
                except FetchRefused as exc:
                    raise SourceError(f"{self.source}: {shown}: refused: {exc}") from None
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    if time.monotonic() >= end:
                        last_problem = f"no complete answer within {self.timeout:g} s"
                    else:
                        last_problem = f"{type(exc).__name__}: {exc or 'connection problem'}"
                    wait = self.backoff * 2**attempt
                except httpx.RequestError as exc:  # too many redirects, an undecodable body
                    raise SourceError(
                        f"{self.source}: {shown}: {type(exc).__name__}: {exc}"
                    ) from None
                else:
                    if response.status_code not in RETRY_STATUS:
                        return response
                    last_problem = f"HTTP {response.status_code}"
                    hinted = _retry_after(response)
                    wait = hinted if hinted is not None else self.backoff * 2**attempt
                if attempt == self.retries:
                    break
                wait = min(wait, self.max_wait)
                if budget_end is not None and time.monotonic() + wait >= budget_end:
                    last_problem += f"; no time left in the {self.budget:g} s budget"
                    break
                log.warning(
                    "%s: %s from %s; retrying in %.1fs", self.source, last_problem, url, wait
                )
                self.sleep(wait)
            raise SourceError(
                f"{self.source}: {shown}: gave up after {attempt + 1} attempts ({last_problem})"
            )
