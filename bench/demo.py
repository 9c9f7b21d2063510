"""How long ``paperwire demo`` takes from the command to a served page, cold and warm.

    .venv/bin/python bench/demo.py [--runs 3]

Cold: a new home folder each time (migrate, load the bundled corpus, members and votes, serve).
Warm: the same home again (the corpus is already loaded). Each run starts the real command in its
own process and polls ``/healthz`` until it answers; the figure is the median wall time, also given
as a ratio to the time Python takes to import the CLI (the baseline, measured in the same run).
"""

from __future__ import annotations

import argparse
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def time_to_serve(home: Path, limit: float = 300) -> float:
    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*CLI, "demo", "--port", str(port), "--home", str(home)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while time.perf_counter() - started < limit:
            if proc.poll() is not None:
                raise SystemExit(f"paperwire demo exited with {proc.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.05)
        raise SystemExit(f"paperwire demo was not serving after {limit} s")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def time_to_import() -> float:
    started = time.perf_counter()
    subprocess.run([*CLI, "--help"], check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold: list[float] = []
    warm: list[float] = []
    baseline: list[float] = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="paperwire-demo-bench-") as tmp:
            home = Path(tmp) / "home"
            baseline.append(time_to_import())
            cold.append(time_to_serve(home))
            warm.append(time_to_serve(home))
    base = statistics.median(baseline)
    for name, values in (("import (paperwire --help)", baseline), ("cold", cold), ("warm", warm)):
        median = statistics.median(values)
        print(
            f"{name:26} median {median:6.2f} s  ({median / base:4.1f}x import)"
            f"  runs: {', '.join(f'{v:.2f}' for v in values)}"
        )


if __name__ == "__main__":
    main()
