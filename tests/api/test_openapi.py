"""The OpenAPI document and the interactive docs; schemathesis (a real process) fuzzes every
documented operation of a served instance: no 5xx, and every answer matches the document."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.web.served import Site

# Enough cases per operation to reach every parameter's edges, few enough for CI (two runs).
EXAMPLES = "10"
CONFIG = Path(__file__).with_name("schemathesis.toml")


def test_document_describes_the_api_only(loaded_site: Site) -> None:
    document = loaded_site.get("/openapi.json").json()
    paths = document["paths"]
    for path in ("/api/daily_papers", "/api/papers/search", "/api/papers/{paper_id}"):
        assert "get" in paths[path], path
    assert "/papers/{paper_id}.md" in paths
    assert not [p for p in paths if p in ("/", "/search", "/subscribe")]
    daily = paths["/api/daily_papers"]["get"]
    names = {p["name"] for p in daily["parameters"]}
    assert names == {"date", "week", "month", "submitter", "sort", "p", "limit"}
    assert {"400", "422", "429"} <= set(daily["responses"])


def test_docs_page_uses_local_assets(loaded_site: Site) -> None:
    page = loaded_site.get("/docs")
    assert page.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "<script>" not in page.text and "cdn" not in page.text.lower()
    for asset in (
        "/docs/assets/swagger-ui-bundle.js",
        "/docs/assets/swagger-ui.css",
        "/docs/init.js",
    ):
        assert loaded_site.get(asset).status_code == 200, asset


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_schemathesis_finds_nothing(
    loaded_site: Site, member_token: str, tmp_path: Path, who: str
) -> None:
    """Every check, as a visitor (the reads: writes only meet 401/403) and with a member's token
    (every operation but submitting). tests/api/schemathesis.toml names the few rules the document cannot state."""
    command = [
        str(Path(sys.executable).parent / "schemathesis"),
        "--config-file", str(CONFIG),
        "run",
        f"{loaded_site.url}/openapi.json",
        "--checks", "all",
        "--max-examples", EXAMPLES,
        "--seed", "20261130",
        "--workers", "1",
        "--no-color",
    ]  # fmt: skip
    if who == "member":
        # Submitting fetches the paper from arXiv, which a test does not reach; as a visitor the
        # operation is still fuzzed (and refused), and tests/ingest/test_submit.py covers it.
        command += ["-H", f"Authorization: Bearer {member_token}"]
        command += ["--exclude-path", "/api/submissions"]
    else:
        command += ["--include-method", "GET"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
