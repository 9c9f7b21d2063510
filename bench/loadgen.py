"""What the HTTP benchmarks share: a real ``paperwire serve`` in its own process group, ``wrk``
requesting a random one of a list of paths per request, and the server's CPU time per request.

``wrk`` (Debian package ``wrk``, C, one event loop per thread) is the load generator: a Python
client tops out near 1,000 requests/s on these two cores and would measure itself.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]

LUA = """
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
math.randomseed(%(seed)d)
local headers = %(headers)s
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
"""


def need_wrk(script: str) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(f"{script} needs wrk: apt-get install wrk")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(
    env: dict[str, str], workers: int, log: Path, cwd: Path | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """``paperwire serve --workers N`` started in a new session (its pid is the group to measure
    and to stop), once it answers ``/healthz``; its address. ``python -c`` puts the working
    directory first on the import path: a checkout there wins over ``PYTHONPATH``, so a server
    of other code needs another ``cwd``."""
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=cwd,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"paperwire serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=2).text == "ok":
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"paperwire serve did not start:\n{log.read_text()[-3000:]}")


def extract_revision(repo: Path, revision: str, into: Path) -> Path:
    """The ``paperwire`` package of git revision ``revision`` written under ``into`` (``git
    archive``, nothing in the repository touched): put ``into`` on ``PYTHONPATH``."""
    archive = subprocess.run(
        ["git", "-C", str(repo), "archive", revision, "paperwire"], check=True, capture_output=True
    ).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def stop(process: subprocess.Popen[bytes]) -> None:
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


@dataclasses.dataclass
class Load:
    name: str
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str
    server_cpu_ms: float = 0.0  # server CPU time per request, all worker processes together


def group_cpu_seconds(group: int) -> float:
    """User + system CPU seconds of every live process in process group ``group`` (the server
    and its workers), from /proc: a figure other work on the machine cannot inflate."""
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def lua_headers(headers: dict[str, str] | None) -> str:
    if not headers:
        return "nil"
    return "{" + ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items()) + "}"


def wrk(
    name: str,
    url: str,
    paths: list[str],
    *,
    duration: float,
    connections: int,
    tmp: Path,
    group: int,
    seed: int = 7,
    headers: dict[str, str] | None = None,
    warmup: float = 3,
) -> Load:
    """Load ``paths`` (one at random per request) for ``duration`` seconds after a warm-up."""
    slug = re.sub(r"\W+", "_", name)
    listing = tmp / f"{slug}.paths"
    listing.write_text("\n".join(paths) + "\n")
    script = tmp / f"{slug}.lua"
    script.write_text(LUA % {"paths": listing, "seed": seed, "headers": lua_headers(headers)})
    common = ["-t", "2", "-c", str(connections), "-s", str(script), "--latency", url]
    if warmup:
        subprocess.run(["wrk", "-d", f"{warmup:g}s", *common], check=True, capture_output=True)
    cpu_before = group_cpu_seconds(group)
    out = subprocess.run(
        ["wrk", "-d", f"{duration:g}s", *common], check=True, capture_output=True, text=True
    ).stdout
    cpu = group_cpu_seconds(group) - cpu_before
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = "; ".join(
        line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line
    )
    return Load(name, rate, p50, p99, total, errors or "none", 1000 * cpu / max(1, total))


def table(loads: list[Load]) -> list[str]:
    """One line per load: requests/s, p50, p99, ratio to the first (the baseline), server CPU."""
    lines = [
        f"{'target':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'x baseline':>12}"
        f"{'CPU ms/req':>12}{'req/CPU-s':>11}  errors"
    ]
    base = loads[0].requests_per_s
    for load in loads:
        lines.append(
            f"{load.name:<34}{load.requests_per_s:>9.0f}{load.p50_ms:>9.1f}{load.p99_ms:>9.1f}"
            f"{load.requests_per_s / base:>12.2f}{load.server_cpu_ms:>12.2f}"
            f"{1000 / max(load.server_cpu_ms, 1e-9):>11.0f}  {load.errors}"
        )
    return lines
