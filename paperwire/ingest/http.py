"""The HTTP fetcher every live source uses: polite pacing, retries with back-off, clear failures."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from paperwire import __version__
from paperwire.errors import SourceError

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
    ) -> None:
        self.source = source
        self.min_interval = min_interval
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self._last = 0.0
        self._lock = threading.Lock()
        self._client = httpx.Client(
            timeout=timeout, headers={"User-Agent": user_agent}, follow_redirects=True
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
        """GET ``url``; returns the response for any status that is not retried (the caller judges it)."""
        with self._lock:
            last_problem = ""
            for attempt in range(self.retries + 1):
                self._pace()
                try:
                    response = self._client.get(url, params=params)
                    response.read()
                except (httpx.TimeoutException, httpx.TransportError) as exc:
                    last_problem = f"{type(exc).__name__}: {exc or 'connection problem'}"
                    wait = self.backoff * 2**attempt
                else:
                    if response.status_code not in RETRY_STATUS:
                        return response
                    last_problem = f"HTTP {response.status_code}"
                    hinted = _retry_after(response)
                    wait = hinted if hinted is not None else self.backoff * 2**attempt
                if attempt == self.retries:
                    break
                wait = min(wait, self.max_wait)
                log.warning(
                    "%s: %s from %s; retrying in %.1fs", self.source, last_problem, url, wait
                )
                self.sleep(wait)
            shown = str(httpx.URL(url, params=params)) if params else url
            raise SourceError(
                f"{self.source}: {shown}: gave up after {self.retries + 1} attempts ({last_problem})"
            )
