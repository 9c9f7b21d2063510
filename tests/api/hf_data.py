"""A served instance loaded with recorded Hugging Face daily lists (``paperwire ingest hf`` and
``paperwire index``, real processes), and what the recording says about each paper."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.conftest import TEST_SECRET
from tests.web.served import Site, paperwire_command, start_site

# A whole month (2024-10 has one recorded list), an older-shape list, and the ISO week 2026-W24.
LIST_DATES = ("2024-10-25", "2025-06-02", *(f"2026-06-{d:02d}" for d in range(8, 13)))
WEEK = "2026-W24"


@dataclass(frozen=True)
class Recorded:
    """One recorded daily-list item, reduced to what paperwire must give back."""

    id: str
    title: str
    list_date: str
    upvotes: int
    published_at: str
    submitter: str | None
    authors: list[str]
    summary: str


def recorded_items(data: Path) -> dict[str, Recorded]:
    """Every recorded paper of ``LIST_DATES``; a paper on two lists stays on the earlier one with
    the higher count, as ingest keeps it."""
    found: dict[str, Recorded] = {}
    for day in LIST_DATES:
        for item in json.loads((data / "hf_daily_papers" / f"daily_papers_{day}.json").read_text()):
            paper: dict[str, Any] = item["paper"]
            by = item.get("submittedBy") or paper.get("submittedOnDailyBy") or {}
            listed = (paper.get("submittedOnDailyAt") or day)[:10]
            earlier = found.get(paper["id"])
            found[paper["id"]] = Recorded(
                id=paper["id"],
                title=" ".join(paper["title"].split()),
                list_date=min(listed, earlier.list_date) if earlier else listed,
                upvotes=max(paper["upvotes"], earlier.upvotes if earlier else 0),
                published_at=paper["publishedAt"],
                submitter=by.get("name") or by.get("user"),
                authors=[a["name"] for a in paper["authors"]],
                summary=paper["summary"],
            )
    return found


def _run(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [*paperwire_command(), *args], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout + done.stderr


@contextmanager
def hf_site(env: dict[str, str], data: Path, folder: Path) -> Iterator[Site]:
    """``paperwire ingest hf --file ...`` for ``LIST_DATES``, ``paperwire index``, then serve."""
    files = [data / "hf_daily_papers" / f"daily_papers_{day}.json" for day in LIST_DATES]
    _run(env, "ingest", "hf", *(arg for f in files for arg in ("--file", str(f))))
    _run(env, "index")
    with start_site(env, folder / "serve.log") as site:
        yield site


def environment(database_url: str, home: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": database_url,
        "PAPERWIRE_SECRET_KEY": TEST_SECRET,
        **extra,
    }
