"""CPU time per request of a few API and feed addresses, in process, for the checkout and for a git
revision, alternating, on the same instance (one ``bench/api.py --keep DIR`` built).

    .venv/bin/python bench/api_ab.py --keep /tmp/api100k --revision 163d14b [--rounds 2]
        [--old-keep COPY]   # a copy of the instance at the revision's schema, when they differ
        [--new-revision REV]   # measure REV's code on --keep instead of the checkout's
        [--calls]   # Python function calls per request instead of CPU time

Each side runs in its own process: ``create_app()`` under ``httpx.ASGITransport`` (no network, no
load generator sharing the cores), the API rate limit on, each address requested once untimed
and then ``--requests`` times; the figure is the process's CPU time per request, which the
machine's other work disturbs far less than wall time. The revision's ``paperwire`` package is
taken with ``git archive``.

An address with ``{limit}`` is asked with a different ``limit`` (21 to 120) each time, so no answer
cache serves it: the search address runs the search and loads its papers on every request. One
with ``{page}`` is asked for a different page each time, 800 to 899 of the whole archive (50 a
page): a deep page built on every request. After the rounds, a table: each side's lowest figure
over the rounds (the machine's other work only ever adds to it) and their ratio. ``--calls``
counts the Python function calls the app makes per request instead (``web_ab.CallCounter``: every
thread, the in-process client left out), a figure the machine's load does not move.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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
    "/api/daily_papers?limit=50&p={page}",  # a deep page of the whole archive, built each time
)


def _address(path: str, n: int) -> str:
    return path.format(limit=21 + n % 100, page=800 + n % 100)


async def _measure(requests: int, calls: bool) -> None:
    import httpx
    from web_ab import CallCounter  # bench/ is the script's own folder

    from paperwire.web.app import create_app

    counter = CallCounter() if calls else None
    app = create_app()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        for path in ADDRESSES:
            await client.get(path.format(limit=20, page=0))
            if counter:
                counter.calls, counter.on = 0, True
            started = time.process_time()
            for n in range(requests):
                answer = await client.get(_address(path, n))
                assert answer.status_code == 200, (path, answer.status_code)
            spent = (time.process_time() - started) * 1000
            if counter:
                counter.on = False
                spent = counter.calls
            print(f"{path}\t{spent / requests:.2f}", flush=True)


def side_env(code: Path, keep: Path) -> dict[str, str]:
    """The environment of a side's processes: its code first on the path, its copy of the
    instance, the API rate limit on but never refusing."""
    return {
        **os.environ,
        "PYTHONPATH": str(code),
        "PAPERWIRE_HOME": str(keep / "home"),
        "PAPERWIRE_DATABASE_URL": f"sqlite:///{keep / 'paperwire.db'}",
        "PAPERWIRE_SECRET_KEY": "bench-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        "PAPERWIRE_API_RATE_LIMIT": str(10**9),
    }


def run_side(script: str, code: Path, keep: Path, child: list[str]) -> dict[str, float]:
    """Run ``script --child *child`` as its own process on one side; the ``address\tms`` lines it
    prints."""
    done = subprocess.run(
        [sys.executable, script, "--child", *child],
        env=side_env(code, keep),
        cwd=code,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"{script} --child failed on {keep}:\n{done.stderr}")
    out = done.stdout
    return {path: float(ms) for path, ms in (line.split("\t") for line in out.splitlines())}


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--keep", type=Path, required=True, help="an instance bench/api.py built")
    parser.add_argument("--revision", required=True)
    parser.add_argument(
        "--old-keep",
        type=Path,
        help="a copy of the instance for the revision (when its schema is older than the checkout's)",
    )
    parser.add_argument(
        "--new-revision",
        help="measure this revision's code on --keep instead of the checkout's (an A/B of two revisions)",
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--requests", type=int, default=100)
    return parser


def compare(
    script: str,
    args: argparse.Namespace,
    child: list[str],
    prepare: Callable[[Path, Path], None] | None = None,
    unit: str = "CPU ms per request",
) -> None:
    """Rounds of the revision's side then the checkout's, each a ``script --child`` process, and
    the table of each address's lowest figure. ``prepare(code, keep)`` runs once per side first."""
    with tempfile.TemporaryDirectory() as tmp:
        old = extract_revision(REPO, args.revision, Path(tmp) / "old")
        new = REPO
        if args.new_revision:
            new = extract_revision(REPO, args.new_revision, Path(tmp) / "new")
        sides = (
            (args.revision, old, args.old_keep or args.keep),
            (args.new_revision or "checkout", new, args.keep),
        )
        if prepare is not None:
            for _, code, keep in sides:
                prepare(code, keep)
        print(f"load average {os.getloadavg()[0]:.1f}; {unit}, in process")
        best: dict[str, dict[str, float]] = {name: {} for name, _, _ in sides}
        for n in range(args.rounds):
            for name, code, keep in sides:
                for path, ms in run_side(script, code, keep, child).items():
                    print(f"round {n + 1}  {name:<10} {path:<48} {ms:8.2f}", flush=True)
                    best[name][path] = min(ms, best[name].get(path, ms))
        print(f"load average {os.getloadavg()[0]:.1f}")
        print(f"\nlowest of {args.rounds} rounds, {unit}")
        label = args.new_revision or "now"
        print(f"| address | {args.revision} | {label} | ratio ({label} / {args.revision}) |")
        print("|---|---:|---:|---:|")
        for path in best[sides[1][0]]:
            then, now = best[args.revision][path], best[sides[1][0]][path]
            print(f"| `{path}` | {then:.2f} | {now:.2f} | {now / then:.2f} |")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        asyncio.run(_measure(int(sys.argv[2]), sys.argv[3] == "calls"))
        return
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument(
        "--calls",
        action="store_true",
        help="count Python function calls per request instead of timing (the same on any load)",
    )
    args = parser.parse_args()
    unit = "Python function calls per request" if args.calls else "CPU ms per request"
    child = [str(args.requests), "calls" if args.calls else "cpu"]
    compare(__file__, args, child, unit=unit)


if __name__ == "__main__":
    main()
