"""CPU time per request of a few API and feed addresses, in process, for the checkout and for a git
revision, alternating, on the same instance (one ``bench/api.py --keep DIR`` built).

    .venv/bin/python bench/api_ab.py --keep /tmp/api100k --revision 163d14b [--rounds 2]
        [--old-keep COPY]   # a copy of the instance at the revision's schema, when they differ

Each side runs in its own process: ``create_app()`` under ``httpx.ASGITransport`` (no network, no
load generator sharing the cores), the API rate limit on, each address requested once untimed
and then ``--requests`` times; the figure is the process's CPU time per request, which the
machine's other work disturbs far less than wall time. The revision's ``paperwire`` package is
taken with ``git archive``.

An address with ``{limit}`` is asked with a different ``limit`` (21 to 120) each time, so no answer
cache serves it: the search address runs the search and loads its papers on every request. After
the rounds, a table: each side's lowest figure over the rounds (the machine's other work only ever
adds to it) and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from loadgen import extract_revision  # bench/ is the script's own folder

REPO = Path(__file__).resolve().parent.parent
ADDRESSES = (
    "/healthz",
    "/",  # the daily page the feeds and the API mirror (cookieless)
    "/api/daily_papers?date=2026-06-30",
    "/api/daily_papers?month=2026-05&limit=100&p=2",
    "/daily.atom",
    "/api/papers/search?q=transformer",  # the same query again: an answer cache may serve it
    "/api/papers/search?q=transformer&limit={limit}",  # searched and its papers loaded each time
)


def _address(path: str, n: int) -> str:
    return path.format(limit=21 + n % 100) if "{limit}" in path else path


async def _measure(requests: int) -> None:
    import httpx

    from paperwire.web.app import create_app

    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for path in ADDRESSES:
            await client.get(_address(path.replace("{limit}", "20"), 0))
            started = time.process_time()
            for n in range(requests):
                answer = await client.get(_address(path, n))
                assert answer.status_code == 200, (path, answer.status_code)
            print(f"{path}\t{(time.process_time() - started) * 1000 / requests:.2f}", flush=True)


def _side(code: Path, keep: Path, requests: int) -> dict[str, float]:
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "PAPERWIRE_HOME": str(keep / "home"),
        "PAPERWIRE_DATABASE_URL": f"sqlite:///{keep / 'paperwire.db'}",
        "PAPERWIRE_SECRET_KEY": "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "PAPERWIRE_API_RATE_LIMIT": str(10**9),
    }
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(requests)],
        env=env,
        cwd=code,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {path: float(ms) for path, ms in (line.split("\t") for line in out.splitlines())}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        asyncio.run(_measure(int(sys.argv[2])))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, required=True, help="an instance bench/api.py built")
    parser.add_argument("--revision", required=True)
    parser.add_argument(
        "--old-keep",
        type=Path,
        help="a copy of the instance for the revision (when its schema is older than the checkout's)",
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        old = extract_revision(REPO, args.revision, Path(tmp))
        print(f"load average {os.getloadavg()[0]:.1f}; CPU ms per request, in process")
        best: dict[str, dict[str, float]] = {args.revision: {}, "checkout": {}}
        for n in range(args.rounds):
            sides = (
                (args.revision, old, args.old_keep or args.keep),
                ("checkout", REPO, args.keep),
            )
            for name, code, keep in sides:
                for path, ms in _side(code, keep, args.requests).items():
                    print(f"round {n + 1}  {name:<10} {path:<48} {ms:8.2f}", flush=True)
                    best[name][path] = min(ms, best[name].get(path, ms))
        print(f"load average {os.getloadavg()[0]:.1f}")
        print(f"\nlowest of {args.rounds} rounds, CPU ms per request")
        print(f"| address | {args.revision} ms | now ms | ratio (now / {args.revision}) |")
        print("|---|---:|---:|---:|")
        for path in ADDRESSES:
            then, now = best[args.revision][path], best["checkout"][path]
            print(f"| `{path}` | {then:.2f} | {now:.2f} | {now / then:.2f} |")


if __name__ == "__main__":
    main()
