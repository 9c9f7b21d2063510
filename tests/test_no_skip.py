"""The no-skip rule CI runs under (tests/no_skip.py), in a real pytest process on a throwaway test
file: every kind of skip fails with its reason when ``PAPERWIRE_NO_SKIP=1``, and only then."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = "tests/web/test_screenshots.py"  # one test with the browser fixture

SKIPPING = """
import pytest

@pytest.fixture
def needs_a_tool():
    pytest.skip("no frobnicator at /usr/bin/frob")

def test_skips_in_the_body():
    pytest.skip("fixture file missing")

@pytest.mark.skip(reason="marked to skip")
def test_marked():
    pass

def test_skips_in_a_fixture(needs_a_tool):
    pass

@pytest.mark.xfail(reason="a known bug", strict=True)
def test_expected_failure():
    assert False

def test_passes():
    pass
"""
SKIPPING_MODULE = 'import pytest\npytest.importorskip("no_such_package_here")\n'


def run_pytest(folder: Path, no_skip: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PAPERWIRE_NO_SKIP"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only the plugin under test
    if no_skip:
        env["PAPERWIRE_NO_SKIP"] = "1"
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.no_skip",
            "-p",
            "no:cacheprovider",
            str(folder),
        ],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "test_some.py").write_text(SKIPPING)
    return tmp_path


def test_every_skip_in_a_test_fails_with_its_reason_under_ci(folder: Path) -> None:
    done = run_pytest(folder, no_skip=True)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    summary = out.strip().splitlines()[-1]
    # A skip in setup (a marker, a fixture) fails as an error, one in the test body as a failure.
    assert "skipped" not in summary, summary
    assert "1 failed, 1 passed, 1 xfailed, 2 errors" in summary, summary
    for reason in ("fixture file missing", "marked to skip", "no frobnicator at /usr/bin/frob"):
        assert f"(CI) does not allow: {reason}" in out, reason


def test_a_module_that_skips_is_a_collection_error_under_ci(tmp_path: Path) -> None:
    (tmp_path / "test_module_skip.py").write_text(SKIPPING_MODULE)
    done = run_pytest(tmp_path, no_skip=True)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "ERROR collecting test_module_skip.py" in done.stdout
    assert "(CI) does not allow: could not import 'no_such_package_here'" in done.stdout


def test_outside_ci_skips_stay_skips(folder: Path) -> None:
    (folder / "test_module_skip.py").write_text(SKIPPING_MODULE)
    done = run_pytest(folder, no_skip=False)
    summary = done.stdout.strip().splitlines()[-1]
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed, 4 skipped, 1 xfailed" in summary, summary


def test_browser_tests_fail_saying_why_without_chromium(tmp_path: Path) -> None:
    env = {**os.environ, "PAPERWIRE_TEST_CHROMIUM": str(tmp_path / "no-chromium")}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rE", SCREENSHOTS],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"no Chromium at {tmp_path / 'no-chromium'}: the browser tests need" in done.stdout
    assert "skipped" not in done.stdout.strip().splitlines()[-1]
