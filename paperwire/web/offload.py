"""Where a request's blocking work runs: never on the event loop (docs/architecture.md, "Where work
runs"). The loop only reads requests, writes answers and keeps memory-only state; one blocking call
there (a statement waiting on a lock, argon2, a parse, an embedding, a fetch) stalls every request
of the process, ``/healthz`` included.

- Routes and dependencies are plain ``def``: FastAPI runs them in anyio's threadpool, sized here
  (``WEB_THREADS``) when the app starts.
- Work that is slow by nature, or that an anonymous caller can make slow, runs in a ``Lane``: a few
  threads of its own, so it never takes the threadpool from pages, however many callers ask for it;
  a caller who finds the lane full for ``wait`` seconds gets ``ServerBusy`` (503, Retry-After)
  instead of a queue that grows without end. ``PASSWORDS`` (argon2id, 64 MiB and ~0.2 s of CPU
  each), ``FETCHES`` (a submission's arXiv request, as long as its deadline) and ``IMPORTS`` (a
  library file's parse and seed embedding).

``tests/web/test_event_loop.py`` fails on any ``async def`` route, dependency or error handler that
does not say why it may run on the loop.
"""

from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar

from paperwire.errors import ServerBusy

T = TypeVar("T")

# The threadpool that runs plain ``def`` routes and dependencies. anyio's default is 40. Here: the
# database pool's 15 connections (SQLAlchemy's 5 + 10 overflow, per engine) plus as many threads
# again for requests that need none while those wait (pages and answers from the page cache,
# feeds, static checks), rounded to 32. More threads than that only queue for a connection (up to
# the pool's 30 s timeout) while holding ~8 MB of stack each; the slow work that could hold them
# for seconds (the lanes below) has threads of its own and takes none of these.
WEB_THREADS = 32


# The nice value of a lane whose work runs outside the GIL (Linux: per thread, inherited by the
# threads the work starts itself, as argon2's own): when the cores are short, the event loop and
# the pages' threads get them first, and that work takes what is left. Not for work that holds
# the GIL (parsing in Python): a thread that holds it and waits for a core keeps the loop waiting.
LANE_NICE = 10


def _lower_priority(nice: int) -> None:
    if nice:
        with suppress(OSError, AttributeError):  # not Linux, or not allowed: equal priority
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)


class _Threads:
    """``count`` daemon threads at ``nice`` doing the work put in their queue. Not a
    ``ThreadPoolExecutor``: its threads hold the process's exit until their work ends, and a
    stopping server must not wait for a fetch or a parse that is stuck."""

    def __init__(self, name: str, count: int, nice: int) -> None:
        self.nice = nice
        self._queue: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]]] = queue.SimpleQueue()
        for number in range(count):
            thread = threading.Thread(target=self._work, name=f"lane-{name}-{number}", daemon=True)
            thread.start()

    def _work(self) -> None:
        _lower_priority(self.nice)
        while True:
            future, call = self._queue.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            except BaseException as exc:  # handed to the waiting request, which raises it
                future.set_exception(exc)
            else:
                future.set_result(result)

    def submit(self, call: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((future, call))
        return future


@dataclass(frozen=True)
class Lane:
    """At most ``threads`` calls of one kind of slow work at a time, in threads of their own, at a
    lower CPU priority than the pages when its work runs outside the GIL (``nice``)."""

    name: str
    threads: int
    wait: float  # seconds a caller waits for a free thread before ServerBusy
    retry_after: int = 5
    nice: int = 0
    # The gate admitting callers, per event loop (a limiter belongs to the loop it was made in).
    _gates: RunVar[anyio.CapacityLimiter] = field(init=False, repr=False, compare=False)
    # The lane's threads, per process (a forked server worker makes its own).
    _pools: dict[int, _Threads] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_gates", RunVar(f"paperwire_lane_{self.name}"))

    def _gate(self) -> anyio.CapacityLimiter:
        try:
            return self._gates.get()
        except LookupError:
            gate = anyio.CapacityLimiter(self.threads)
            self._gates.set(gate)
            return gate

    def _pool(self) -> _Threads:
        pool = self._pools.get(os.getpid())
        if pool is None:
            pool = self._pools[os.getpid()] = _Threads(self.name, self.threads, self.nice)
        return pool

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in one of the lane's threads, once one is free (``ServerBusy`` when
        none is within ``wait`` seconds)."""
        gate = self._gate()
        got = False
        try:
            gate.acquire_nowait()
            got = True
        except anyio.WouldBlock:
            with anyio.move_on_after(self.wait):
                await gate.acquire()
                got = True
        if not got:
            raise ServerBusy(
                f"Too many {self.name} are running right now; please try again in a few seconds.",
                retry_after=self.retry_after,
            )
        try:
            return await asyncio.wrap_future(self._pool().submit(partial(work, *args)))
        finally:
            gate.release()


# argon2id (argon2-cffi's default profile: 64 MiB, 3 passes, parallelism 4) takes ~0.18 s of CPU
# per check, outside the GIL: two at a time already fill two cores, and 24 sign-ins at once take
# 128 MiB rather than 1.5 GB. A sign-in waits up to 10 s for a turn.
PASSWORDS = Lane("sign-ins and password changes", threads=2, wait=10.0, nice=LANE_NICE)
# A submission waits on arXiv for as long as the fetcher's deadline; four at once per process.
FETCHES = Lane("submissions being fetched from arXiv", threads=4, wait=2.0)
# A library import parses in Python (holding the GIL: no nice, see LANE_NICE) and embeds its seeds
# (all the cores): one at a time. A member imports a library once; a second import waits up to 5 s.
IMPORTS = Lane("library imports", threads=1, wait=5.0, retry_after=30)


def size_threadpool() -> None:
    """Give this event loop's default threadpool ``WEB_THREADS`` threads (called at start-up)."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = WEB_THREADS
