"""CI's rule that no test may skip: with ``PAPERWIRE_NO_SKIP=1`` (set by ``.ci/run``) every skip, at
collection, in a fixture or in a test, is reported as a failure that gives the skip's reason.

A skipped test proves nothing, and a suite that passes by skipping (no Chromium, no PostgreSQL, a
missing fixture file or package) looks green while it checks less. tests/conftest.py takes these hooks
in; ``pytest -p tests.no_skip`` loads them on their own (as the test of this module does).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

ENV = "PAPERWIRE_NO_SKIP"


def _active() -> bool:
    return os.environ.get(ENV) == "1"


def _reason(longrepr: Any) -> str:
    # A skip's longrepr is (file, line, "Skipped: reason").
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        path, line, message = longrepr
        return f"{message.removeprefix('Skipped: ')} ({path}:{line})"
    return str(longrepr)


def _fail(report: pytest.CollectReport | pytest.TestReport) -> None:
    report.outcome = "failed"
    report.longrepr = (
        f"skipped, which {ENV}=1 (CI) does not allow: {_reason(report.longrepr)}."
        " Install or provide what the test needs; a test never skips."
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    # An expected failure (xfail) also reports as skipped; it carries ``wasxfail`` and is no skip.
    if _active() and report.skipped and not hasattr(report, "wasxfail"):
        _fail(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, None]:
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if _active() and report.skipped:
        _fail(report)
