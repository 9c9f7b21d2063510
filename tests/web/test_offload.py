"""The lanes of ``web/offload.py``: slow work in threads of its own, at a lower CPU priority, and a
caller who finds every thread taken answered ``ServerBusy`` after the lane's wait."""

from __future__ import annotations

import os
import threading
import time

import anyio
import pytest

from paperwire.errors import ServerBusy
from paperwire.web.offload import LANE_NICE, Lane


def _where() -> tuple[str, int]:
    return threading.current_thread().name, os.getpriority(
        os.PRIO_PROCESS, threading.get_native_id()
    )


def test_a_lane_runs_work_off_the_event_loop_at_a_lower_priority() -> None:
    lane = Lane("test work", threads=1, wait=1.0, nice=LANE_NICE)

    async def main() -> tuple[str, int]:
        return await lane.run(_where)

    name, nice = anyio.run(main)
    assert name.startswith("lane-test work") and name != threading.current_thread().name
    assert nice >= LANE_NICE


def test_a_full_lane_answers_busy_after_its_wait_and_frees_its_thread_after() -> None:
    lane = Lane("test work", threads=1, wait=0.2, retry_after=7)
    release = threading.Event()

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(lane.run, release.wait, 10)
            await anyio.sleep(0.05)
            started = time.monotonic()
            with pytest.raises(ServerBusy) as refused:
                await lane.run(_where)
            assert 0.15 < time.monotonic() - started < 2
            assert refused.value.retry_after == 7 and refused.value.http_status == 503
            release.set()
        # The thread is free again: the next call runs.
        assert (await lane.run(_where))[0].startswith("lane-test work")

    anyio.run(main)


def test_an_error_in_the_work_reaches_the_caller() -> None:
    lane = Lane("test work", threads=1, wait=1.0)

    def fail() -> None:
        raise ValueError("from the thread")

    async def main() -> None:
        with pytest.raises(ValueError, match="from the thread"):
            await lane.run(fail)

    anyio.run(main)
