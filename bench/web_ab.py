"""CPU time per request of the pages ``bench/web.py`` loads (a daily list, a paper page; as a
visitor and as a signed-in member), in process, for the checkout and for a git revision,
alternating, on the same instance (one ``bench/api.py --keep DIR`` built).

    .venv/bin/python bench/web_ab.py --keep /tmp/ab/A --old-keep /tmp/ab/B --revision 2cb68ad
        [--rounds 2] [--requests 100] [--day 2026-06-30] [--calls] [--new-revision REV]

The rounds, the table and the way each side runs (its own process, ``create_app()`` under
``httpx.ASGITransport``, the revision's ``paperwire`` from ``git archive``) are ``api_ab.py``'s.
Before the rounds each side's own command line adds the member (``paperwire user create``; kept
when it is there already, since the copies persist). Each side's process then, untimed:

- signs the member in through the real ``/login`` form (GET for the form's CSRF token, POST the
  form; the client's cookie jar keeps the session);
- reads the day's list as the member, every page of it, for the ids of its papers;
- votes on the first page's papers (30) through the form the pages post to
  (``POST /papers/ID/vote``, ``action=vote``; a second vote changes nothing), so the votes are in
  before any page is cached or timed.

Then it requests each address once untimed and ``--requests`` times timed: ``/papers/date/D`` as a
visitor without cookies (the page cache serves it after the first request) and as the member (built
for the member each time around the shared list data), and ``/papers/ID`` as both, cycling through
the ids of the day's papers (100 on that instance, so each timed visitor request builds its page
but the last). Each process signs in from its own client address, so repeated runs stay under the
sign-in rate limit (10 in 5 minutes per address).

``--calls`` prints the Python function calls the app makes per request (every thread, the
client's own left out) instead of CPU time: slower, but the same figure on any load.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

import httpx
from api_ab import arguments, compare, side_env  # bench/ is the script's own folder

MEMBER = "webab-member"
PASSWORD = "bench-member-password-0123"
VOTES = 30
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_VOTE_FORM = re.compile(r'action="/papers/([\w.]+)/vote"')


def add_member(code: Path, keep: Path) -> None:
    """The member, made by the side's own ``paperwire user create`` (kept if already there)."""
    made = subprocess.run(
        [
            sys.executable,
            "-c",
            "from paperwire.cli import main; main()",
            *("user", "create", MEMBER, "--email", f"{MEMBER}@example.org"),
            *("--password", PASSWORD),
        ],
        env=side_env(code, keep),
        cwd=code,
        capture_output=True,
        text=True,
    )
    output = made.stdout + made.stderr
    if made.returncode != 0 and "already taken" not in output:
        raise SystemExit(f"paperwire user create failed in {keep}:\n{output}")


async def sign_in_and_vote(member: httpx.AsyncClient, daily: str) -> list[str]:
    """Sign the member in through ``/login``, vote on the first page of ``daily``; the ids of
    every paper of that list."""
    token = _TOKEN.search((await member.get("/login")).text)
    assert token, "no CSRF token on /login"
    form = {"username": MEMBER, "password": PASSWORD, "csrf_token": token[1], "next": "/"}
    answer = await member.post("/login", data=form)
    assert answer.status_code == 303, ("sign-in", answer.status_code, answer.text[:500])
    ids: list[str] = []
    for page in range(1, 20):
        text = (await member.get(f"{daily}?page={page}")).text
        found = [pid for pid in dict.fromkeys(_VOTE_FORM.findall(text)) if pid not in ids]
        if page == 1:
            assert "Sign out" in text, "the daily page was not answered for the member"
            token = _TOKEN.search(text)
            assert token, "no CSRF token on the daily page"
            for pid in found[:VOTES]:
                answer = await member.post(
                    f"/papers/{pid}/vote", data={"action": "vote", "csrf_token": token[1]}
                )
                assert answer.status_code == 303, ("vote", pid, answer.status_code)
        if not found:
            break
        ids += found
    assert len(ids) >= VOTES, f"only {len(ids)} papers on {daily}"
    return ids


class CallCounter:
    """Python function calls made by the app in this process, on every thread (a profile hook set
    before the app starts its threads), the in-process client's own left out: a figure the
    machine's load cannot move. The hook slows everything down, so it is never on with the clock."""

    def __init__(self) -> None:
        self.calls = 0
        self.on = False
        threading.setprofile(self._hook)
        sys.setprofile(self._hook)

    def _hook(self, frame: FrameType, event: str, arg: object) -> None:
        if self.on and event == "call" and "/httpx/" not in frame.f_code.co_filename:
            self.calls += 1


async def _measure(requests: int, day: str, calls: bool) -> None:
    from paperwire.web.app import create_app

    counter = CallCounter() if calls else None
    app = create_app()
    address = (f"10.{os.getpid() >> 8 & 255}.{os.getpid() & 255}.1", 40000)
    transport = httpx.ASGITransport(app=app, client=address)
    daily = f"/papers/date/{day}"
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://bench") as member,
        httpx.AsyncClient(transport=transport, base_url="http://bench") as visitor,
    ):
        ids = await sign_in_and_vote(member, daily)
        papers = [f"/papers/{pid}" for pid in ids]
        targets = (
            (f"{daily} (visitor)", visitor, [daily]),
            (f"{daily} (member)", member, [daily]),
            ("/papers/ID (visitor)", visitor, papers),
            ("/papers/ID (member)", member, papers),
        )
        for name, client, paths in targets:
            first = await client.get(paths[0])
            assert first.status_code == 200, (paths[0], first.status_code)
            assert ("Sign out" in first.text) == (client is member), name
            if counter:
                counter.calls, counter.on = 0, True
            started = time.process_time()
            for n in range(requests):
                path = paths[(n + 1) % len(paths)]
                answer = await client.get(path)
                assert answer.status_code == 200, (path, answer.status_code)
            spent = (time.process_time() - started) * 1000
            if counter:
                counter.on = False
                spent = counter.calls
            print(f"{name}\t{spent / requests:.2f}", flush=True)


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        asyncio.run(_measure(int(sys.argv[2]), sys.argv[3], sys.argv[4] == "calls"))
        return
    parser = arguments(__doc__.split("\n\n")[0])
    parser.add_argument("--day", default="2026-06-30", help="the daily list (bench/api.py's days)")
    parser.add_argument(
        "--calls",
        action="store_true",
        help="count Python function calls per request instead of timing (the same on any load)",
    )
    args = parser.parse_args()
    child = [str(args.requests), args.day, "calls" if args.calls else "cpu"]
    unit = "Python function calls per request" if args.calls else "CPU ms per request"
    compare(__file__, args, child, prepare=add_member, unit=unit)


if __name__ == "__main__":
    main()
