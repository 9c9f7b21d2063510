"""A really full disk for the search index: a small tmpfs mounted on ``PAPERWIRE_HOME/index`` and
filled with a ballast file, plus papers that make the index grow."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from paperwire.papers.records import PaperRecord
from tests.search.search_data import paper

WORDS = [
    "quasar",
    "spectra",
    "redshift",
    "survey",
    "telescope",
    "photometry",
    "galaxies",
    "lensing",
    "cluster",
    "halo",
    "emission",
    "absorption",
    "calibration",
    "catalogue",
    "variability",
    "luminosity",
]


def quasar_papers(count: int, start: int = 0) -> list[PaperRecord]:
    """``count`` papers whose titles say "quasar" and whose abstracts hold many distinct words."""
    return [
        paper(
            f"2607.{i:05d}",
            f"Quasar survey {i}: {WORDS[i % len(WORDS)]} of distant sources",
            " ".join(f"{WORDS[(i + j) % len(WORDS)]}{(i * 31 + j) % 997}" for j in range(300)),
            categories=("astro-ph.GA",),
        )
        for i in range(start, start + count)
    ]


@contextmanager
def small_disk(folder: Path, size: str = "16m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (created), unmounted after. Needs root, as in CI;
    without it the test fails saying so rather than skipping."""
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.fail(
            f"cannot mount a tmpfs on {folder} to simulate a full disk ({mounted.stderr.strip()});"
            " the fault tests need root (CI runs as root) or CAP_SYS_ADMIN"
        )
    try:
        yield folder
    finally:
        # Lazy: a searcher of this test may still hold the index file open.
        subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path, leave: int) -> Path:
    """Fill the file system of ``folder`` with a ballast file until the disk is full, then give
    back ``leave`` bytes. Delete the returned file to free the space."""
    ballast = folder / "ballast"
    chunk = b"\0" * 65536
    # Unbuffered: a buffered file keeps the part of a chunk the disk refused and raises again
    # when closed, depending on how many bytes happened to be free.
    with open(ballast, "wb", buffering=0) as fh, suppress(OSError):
        while True:
            fh.write(chunk)
            fh.flush()
    os.truncate(ballast, max(0, ballast.stat().st_size - leave))
    return ballast
