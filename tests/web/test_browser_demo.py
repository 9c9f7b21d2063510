"""The demo end to end in Chromium, offline (issue 20, point 8): ``paperwire demo`` as a person
starts it, its admin signs in, submits one of the demo's recorded ids (added from the bundled
recordings), then an id the demo has never seen (a plain sentence at once, no developer error), and
opens the digest preview, whose "today" is the demo's latest list. At 1280 and 375 px, light and
dark, with screenshots under test-artifacts/."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from paperwire.demo import recordings
from tests.demo.test_demo_cli import CLI, STARTUP_LIMIT, demo_env, free_port
from tests.web.chromium import OUT

VIEWS = [(1280, 900, "light"), (1280, 900, "dark"), (375, 812, "light"), (375, 812, "dark")]
READER = "reader@example.org"


@pytest.fixture
def demo_url(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "demo", "--port", str(port), "--home", str(tmp_path / "home")],
        env=demo_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_LIMIT
        while True:
            assert proc.poll() is None, f"the demo stopped (exit {proc.returncode})"
            assert time.monotonic() < deadline, "the demo did not serve in time"
            try:
                httpx.get(url + "/healthz", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _subscribe(url: str) -> None:
    with httpx.Client(base_url=url, timeout=10) as client:
        asked = client.post("/api/subscriptions", json={"email": READER})
        assert asked.status_code == 202, asked.text


def _sign_in(page: Any, url: str) -> None:
    page.goto(url + "/login?next=/submit")
    page.get_by_label("User name or e-mail").fill("alice")
    page.get_by_label("Password").fill("demo-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(url + "/submit")


def test_the_demo_submits_offline_and_previews_its_latest_list(browser: Any, demo_url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    _subscribe(demo_url)
    recorded = sorted(recordings.recorded_papers())
    for number, (width, height, scheme) in enumerate(VIEWS):
        name = f"demo-{width}-{scheme}"
        context = browser.new_context(
            viewport={"width": width, "height": height}, color_scheme=scheme
        )
        page = context.new_page()
        _sign_in(page, demo_url)
        # A recorded id: added from the recordings the first time, "already submitted" after.
        page.get_by_label("arXiv id or link").fill(recorded[number % len(recorded)])
        page.get_by_role("button", name="Submit", exact=True).click()
        result = page.locator("#submit-result")
        result.wait_for()
        assert "daily list" in result.inner_text()
        page.screenshot(path=str(OUT / f"{name}-submitted.png"), full_page=True)
        # Any other id: a sentence saying the demo has no network, at once.
        started = time.monotonic()
        page.get_by_label("arXiv id or link").fill("2501.00001")
        page.get_by_role("button", name="Submit", exact=True).click()
        error = page.locator("#submit-error")
        error.wait_for()
        assert time.monotonic() - started < 5
        text = error.inner_text()
        assert "This demo has no network" in text
        assert "DNS" not in text and "http" not in text and "Traceback" not in text
        page.screenshot(path=str(OUT / f"{name}-offline.png"), full_page=True)
        # The digest preview's "today" is the demo's latest list (3 July 2026).
        page.goto(demo_url + f"/admin/digests/preview?email={READER}")
        assert "3 July 2026" in page.content()
        page.screenshot(path=str(OUT / f"{name}-preview.png"), full_page=True)
        context.close()
