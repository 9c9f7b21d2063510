"""What a hostile source costs a harvest: one fetch of an endless answer (peak RSS, time, bytes the
server got to send) and one of a server dripping a byte every 0.5 s (time against a 2 s deadline),
served from 127.0.0.1 (allowed for this run only).

    python bench/fetch.py [--mb 700]
"""

from __future__ import annotations

import argparse
import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from paperwire.errors import SourceError
from paperwire.ingest.http import Fetcher

CHUNK = 1024 * 1024
sent = 0


def serve(megabytes: int) -> str:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            global sent
            self.send_response(200)
            self.end_headers()
            try:
                if self.path == "/drip":
                    for _ in range(60):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.5)
                    return
                block = b"x" * CHUNK
                for _ in range(megabytes):
                    self.wfile.write(block)
                    sent += CHUNK
            except (BrokenPipeError, ConnectionResetError):
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def fetch(url: str, timeout: float = 60.0) -> str:
    fetcher = Fetcher(
        source="bench", min_interval=0, retries=0, timeout=timeout, allow_private="127.0.0.1"
    )
    with fetcher:
        try:
            return f"read {len(fetcher.get(url).content):,} bytes"
        except SourceError as exc:
            return str(exc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=700, help="size of the endless answer (MiB)")
    args = parser.parse_args()
    base = serve(args.mb)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    said = fetch(base + "/endless")
    took = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"endless {args.mb} MiB answer: {said}")
    print(
        f"  {took:.2f} s, peak RSS {peak:.0f} MB (before {before:.0f} MB), sent {sent / CHUNK:.0f} MiB"
    )
    started = time.perf_counter()
    said = fetch(base + "/drip", timeout=2.0)
    print(f"drip (1 byte / 0.5 s, 30 s in all), timeout 2 s: {time.perf_counter() - started:.2f} s")
    print(f"  {said}")


if __name__ == "__main__":
    main()
