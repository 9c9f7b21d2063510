"""axe-core, the accessibility engine, injected into a Playwright page. The npm package, pinned and
installed by scripts/test.sh into the git-ignored .cache/axe (never a CDN): the PyPI wrappers either
vendor an older axe-core or fetch it at run time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web.chromium import REPO

AXE = REPO / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")


def axe_script() -> Path:
    if not AXE.is_file():
        pytest.fail(
            f"no axe-core at {AXE}: scripts/test.sh installs it"
            " (npm install --prefix .cache/axe axe-core@4.10.3)",
            pytrace=False,
        )
    return AXE


def serious_violations(page: Any) -> list[str]:
    """The violations of impact serious or critical on ``page`` (whose context bypasses the site's
    CSP so that the script can be added), one line each: rule, impact, the first elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script()))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]
