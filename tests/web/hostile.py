"""Hostile load on a served instance, one slow path at a time, while a probe times what every
visitor needs: ``/healthz`` and the day page. ``tests/web/test_load.py`` holds the site to its
answer times under it (CI, both engines); ``bench/load.py`` prints the figures.

Each phase runs ``CLIENTS`` threads hammering one path for a few seconds, all on 127.0.0.1:

- ``sign-ins``: failed ``POST /login`` (argon2 and the sign-in counters, a write per try);
- ``subscribe``: the ``/subscribe`` form and ``POST /api/subscriptions`` from one address, so
  both write the same rate-limit row;
- ``submit``: ``POST /submit`` by a member against an arXiv API that drips one byte a second
  (``DripServer``);
- ``uploads``: ``POST /for-you/import`` of a 250 KB BibTeX file of nested ``@x{`` starts and a
  4 MB CSL-JSON library, in turns.

Every request has a timeout no longer than the phase, so a phase ends by itself.
"""

from __future__ import annotations

import http.server
import json
import math
import re
import socketserver
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

CLIENTS = 4
PROBED = ("/healthz", "/")
PHASES = ("quiet", "sign-ins", "subscribe", "submit", "uploads")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Sample:
    path: str
    status: int  # 0: no answer within the probe's timeout
    seconds: float


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    # The hostile requests' statuses (0: the client gave up at the phase's end).
    hostile: list[int] = field(default_factory=list)

    def times(self, path: str) -> list[float]:
        return sorted(s.seconds for s in self.samples if s.path == path)

    def failures(self) -> list[Sample]:
        return [s for s in self.samples if s.status == 0 or s.status >= 500]


def percentile(sorted_values: list[float], q: float) -> float:
    """The nearest-rank percentile ``q`` (0-100) of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


# --- the hostile inputs ------------------------------------------------------------------------


def nested_bibtex(size: int = 250_000) -> bytes:
    """A BibTeX file of ``size`` bytes of entry starts nested into one another: each one's field
    is a braced value that closes only at the end of the file, around all the others (a parser
    that reads each entry to its end is quadratic: 306 s for the hand-written one, issue 25)."""
    levels = size // 10
    return b"@x{k,t={" * levels + b"}}" * levels


def big_csl_json(size: int = 4_000_000) -> bytes:
    """A CSL-JSON library of about ``size`` bytes: well-formed entries with long abstracts, none
    of which matches a paper of the instance (each one is a seed to embed)."""
    items = []
    words = [
        "attention",
        "transformer",
        "graph",
        "diffusion",
        "retrieval",
        "sparse",
        "kernel",
        "manifold",
    ]
    n = 0
    total = 2
    while total < size:
        abstract = " ".join(words[(n + i) % len(words)] for i in range(100))
        item = {
            "id": f"item{n}",
            "type": "article-journal",
            "title": f"Hostile entry {n}: {words[n % len(words)]} at scale",
            "author": [{"family": f"Author{n}", "given": "A."}],
            "abstract": abstract,
            "issued": {"date-parts": [[2020 + n % 6]]},
        }
        text = json.dumps(item)
        items.append(text)
        total += len(text) + 2
        n += 1
    return ("[" + ",\n".join(items) + "]").encode()


# --- an arXiv API that drips -------------------------------------------------------------------


class DripServer:
    """An HTTP server on 127.0.0.1 that answers every GET with a 200 promising 1 MB and sending one
    byte a second, until stopped. ``requests`` counts the GETs."""

    def __init__(self) -> None:
        self.stopping = threading.Event()
        self.requests = 0
        drip = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                drip.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/atom+xml")
                self.send_header("Content-Length", str(1_000_000))
                self.end_headers()
                while not drip.stopping.wait(1.0):
                    try:
                        self.wfile.write(b" ")
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, *_args: object) -> None:
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/api/query"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> DripServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# --- clients -----------------------------------------------------------------------------------


def form_token(browser: httpx.Client, page: str) -> str:
    """The CSRF token of ``page``'s forms ("" when it has none: the post is then a 403)."""
    match = _TOKEN.search(browser.get(page).text)
    return match.group(1) if match else ""


def sign_in(url: str, username: str, password: str) -> httpx.Cookies:
    """The cookies of a session signed in through the ``/login`` form."""
    with httpx.Client(base_url=url, timeout=30) as browser:
        token = form_token(browser, "/login")
        answer = browser.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )
        if answer.status_code != 303:
            raise AssertionError(f"sign-in failed: {answer.status_code} {answer.text[:300]}")
        return browser.cookies


@dataclass
class Client:
    """One hammering client: its HTTP client, its number, its request count and its form token."""

    browser: httpx.Client
    number: int
    n: int = 0
    token: str = ""

    def token_of(self, page: str) -> str:
        if not self.token:
            self.token = form_token(self.browser, page)
        return self.token


Action = Callable[[Client], httpx.Response]


def _failed_sign_in(c: Client) -> httpx.Response:
    data = {
        "username": f"mallory{c.number}",
        "password": f"wrong {c.n}",
        "csrf_token": c.token_of("/login"),
    }
    return c.browser.post("/login", data=data)


def _subscribe(c: Client) -> httpx.Response:
    email = f"reader{c.number}-{c.n}@example.org"
    if c.number % 2:
        return c.browser.post("/api/subscriptions", json={"email": email, "frequency": "daily"})
    data = {"email": email, "frequency": "daily", "csrf_token": c.token_of("/subscribe")}
    return c.browser.post("/subscribe", data=data)


def _submit(c: Client) -> httpx.Response:
    data = {"paper": f"2501.{c.number:02d}{c.n:03d}", "csrf_token": c.token_of("/submit")}
    return c.browser.post("/submit", data=data)


def _upload(files: dict[str, bytes]) -> Action:
    names = sorted(files)

    def upload(c: Client) -> httpx.Response:
        name = names[(c.number + c.n) % len(names)]
        return c.browser.post(
            "/for-you/import",
            data={"csrf_token": c.token_of("/for-you/import")},
            files={"library": (name, files[name])},
        )

    return upload


def actions(uploads: dict[str, bytes] | None = None) -> dict[str, Action | None]:
    return {
        "quiet": None,
        "sign-ins": _failed_sign_in,
        "subscribe": _subscribe,
        "submit": _submit,
        "uploads": _upload(
            uploads or {"nested.bib": nested_bibtex(), "library.json": big_csl_json()}
        ),
    }


def _hammer(
    url: str,
    action: Action,
    client: int,
    cookies: httpx.Cookies | None,
    until: float,
    statuses: list[int],
) -> None:
    with httpx.Client(base_url=url, cookies=cookies) as browser:
        c = Client(browser, client)
        while (left := until - time.monotonic()) > 0.05:
            browser.timeout = httpx.Timeout(left)
            try:
                statuses.append(action(c).status_code)
            except httpx.HTTPError:
                statuses.append(0)
            c.n += 1


def _probe(url: str, until: float, samples: list[Sample], timeout: float) -> None:
    with httpx.Client(base_url=url, timeout=timeout) as browser:
        i = 0
        while time.monotonic() < until:
            path = PROBED[i % len(PROBED)]
            started = time.perf_counter()
            try:
                status = browser.get(path).status_code
            except httpx.HTTPError:
                status = 0
            samples.append(Sample(path, status, time.perf_counter() - started))
            i += 1
            time.sleep(0.01)


def warm_up(url: str, member: httpx.Cookies) -> None:
    """One request of each quick kind, not timed, so that the phases measure the steady state
    rather than the first compile of each template: the probed pages, a failed sign-in, a
    subscription by form and by the API, and the member's forms."""
    with httpx.Client(base_url=url, timeout=30) as browser:
        for path in PROBED:
            browser.get(path)
        for number, action in enumerate((_failed_sign_in, _subscribe, _subscribe)):
            action(Client(browser, number, n=1000))
    with httpx.Client(base_url=url, timeout=30, cookies=member) as browser:
        for path in ("/submit", "/for-you/import"):
            browser.get(path)


def run_phase(
    url: str,
    name: str,
    action: Action | None,
    seconds: float,
    cookies: httpx.Cookies | None = None,
    probe_timeout: float = 10.0,
) -> Phase:
    """``CLIENTS`` threads doing ``action`` for ``seconds`` while one probe times ``PROBED``
    (after a short head start, so the probe meets the load rather than its ramp)."""
    phase = Phase(name)
    until = time.monotonic() + seconds
    threads = [
        threading.Thread(
            target=_hammer, args=(url, action, i, cookies, until, phase.hostile), daemon=True
        )
        for i in range(CLIENTS if action is not None else 0)
    ]
    for thread in threads:
        thread.start()
    time.sleep(min(0.5, seconds / 4) if threads else 0)
    _probe(url, until, phase.samples, probe_timeout)
    for thread in threads:
        thread.join(seconds + 30)
    return phase
