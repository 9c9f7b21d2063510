"""The README's screenshots (docs/screenshots/), taken from a running demo in Debian's Chromium:

    .venv/bin/paperwire demo --port 8000 &   # wait for "serving at"
    .venv/bin/python scripts/readme_screenshots.py http://127.0.0.1:8000

The day page, a paper, a search and For you (signed in as the demo's carol), on a desktop (1280 px,
saved at half scale) and a phone (375 px), light; small PNGs so the repository stays light."""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
SIZES = {
    "desktop": ({"width": 1280, "height": 800}, 0.5),
    "phone": ({"width": 375, "height": 740}, 0.75),
}


def main() -> None:
    base = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8000"
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for device, (viewport, scale) in SIZES.items():
            context = browser.new_context(viewport=viewport, device_scale_factor=scale)
            page = context.new_page()
            page.goto(base + "/login")
            page.fill("#login-username", "carol")
            page.fill("#login-password", "demo-password")
            page.locator("main button[type=submit]").click()
            page.wait_for_url(base + "/")
            page.screenshot(path=str(OUT / f"day-{device}.png"))
            page.locator("article.card .card-title a").first.click()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(OUT / f"paper-{device}.png"))
            page.goto(base + "/search?q=reinforcement+learning+for+agents")
            page.screenshot(path=str(OUT / f"search-{device}.png"))
            page.goto(base + "/for-you")
            page.screenshot(path=str(OUT / f"for-you-{device}.png"))
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
