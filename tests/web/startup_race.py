"""One of the two processes of test_nodes' start-up race (``python -m tests.web.startup_race``).

The test sends one JSON line, ``{"home": folder, "url": database, "rounds": N}``. N times ``paperwire
init``, then N times the start-up of ``paperwire serve``: each time this process prints ``@@ ready``
and waits for a ``go`` line (the test sends it to both processes once both are ready, having emptied
the database: a barrier), then runs what ``paperwire init`` runs (the command itself), or what
``paperwire serve`` runs before it listens (``signing_settings``, ``ready_engine``,
``create_app(follow=True)``), its app's start-up (the lifespan, which starts the index follower) and
one ``GET /healthz``; then prints ``@@ ok KIND N SECONDS`` or ``@@ fail KIND N ERROR``. Anything else
on stdout is the commands' own output. Each round has a home of its own, as a new node would.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import httpx

from paperwire.cli.app import app as cli
from paperwire.cli.context import ready_engine, signing_settings
from paperwire.db.engine import dispose_engines
from paperwire.web.app import create_app


def init() -> None:
    cli(["init"], prog_name="paperwire", standalone_mode=False)


async def _serve() -> None:
    cfg = signing_settings()
    ready_engine(cfg)
    app = create_app(cfg, follow=True)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            health = await client.get("/healthz")
    if health.status_code != 200 or health.text != "ok":
        raise RuntimeError(f"/healthz answered {health.status_code}: {health.text}")


def serve() -> None:
    asyncio.run(_serve())


def say(line: str) -> None:
    print("@@ " + line.replace("\n", " "), flush=True)


def main() -> None:
    plan = json.loads(sys.stdin.readline())
    home = Path(plan["home"])
    os.environ["PAPERWIRE_DATABASE_URL"] = plan["url"]
    for kind, step in (("init", init), ("serve", serve)):
        for n in range(plan["rounds"]):
            os.environ["PAPERWIRE_HOME"] = str(home / f"{kind}{n}")
            say("ready")
            if sys.stdin.readline().strip() != "go":
                return
            started = time.perf_counter()
            try:
                step()
                say(f"ok {kind} {n} {time.perf_counter() - started:.2f}s")
            except BaseException as exc:  # reported to the test, which shows it
                say(f"fail {kind} {n} {type(exc).__name__}: {exc}")
            finally:
                dispose_engines()


if __name__ == "__main__":
    main()
