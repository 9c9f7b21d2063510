"""Debian's Chromium driven by Playwright, shared by the browser tests."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "test-artifacts" / "screenshots"
# PAPERWIRE_TEST_CHROMIUM points the browser tests at another binary (or, to check the failure
# message, at a missing one).
CHROMIUM = (
    os.environ.get("PAPERWIRE_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
