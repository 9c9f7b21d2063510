"""CPU time and peak memory of the worst library uploads (issue 25): ``recommend.library`` reading
hostile and large files, each in a fresh process so that its peak RSS is its own, and one whole
import (parse, match, store, embed the capped seeds) of a 4.1 MB CSL-JSON file with 5,000
unmatched entries with abstracts on a fresh SQLite database with the shipped model.

    .venv/bin/python bench/upload.py            # every case, a table
    .venv/bin/python bench/upload.py --one NAME # one case, one JSON line (what the table runs)

"peak MB" is the process's peak RSS; "+MB" its growth while the upload was read (the file itself
and the interpreter are in the baseline). The outcome is what a member is answered.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

KB, MB = 1024, 1024 * 1024


def _fill(unit: str, size: int, head: str = "", tail: str = "") -> bytes:
    return (head + unit * ((size - len(head) - len(tail)) // len(unit)) + tail).encode()


def _bibtex_export(entries: int = 5_000) -> bytes:
    """A Zotero-style export: arXiv ids, DOIs, abstracts of 100 words (4.0 MB for 5,000)."""
    entry = (
        "@article{key%d,\n  title = {{Lip Forcing}: Few-Step Diffusion $x^2$ for \\'{e}tude %d},\n"
        "  author = {Paul Cho and Jinhyuk Jang},\n  year = {2026},\n  eprint = {2606.%05d},\n"
        "  archiveprefix = {arXiv},\n  doi = {10.48550/arXiv.2606.%05d},\n  abstract = {%s},\n}\n\n"
    )
    words = "joint audio video generation with diffusion, " * 13
    return "".join(entry % (n, n, n, n, words) for n in range(entries)).encode()


def _csl_export(entries: int = 5_000, unmatched: bool = False) -> bytes:
    """Zotero's CSL JSON: 4.1 MB for 5,000 items with abstracts of ~640 characters."""
    items = [
        {
            "id": f"item{n}",
            "type": "article",
            "title": f"Unknown paper {n}" if unmatched else f"Paper {n}",
            "abstract": f"Seed {n}: " + "joint audio video generation with diffusion, " * 14,
            "author": [{"family": "Cho", "given": "Paul"}, {"family": "Jang", "given": "J."}],
            "issued": {"date-parts": [[2026, 6, 1]]},
            **({} if unmatched else {"number": f"arXiv:2606.{n:05d}"}),
        }
        for n in range(entries)
    ]
    return json.dumps(items).encode()


def _nested(count: int) -> bytes:
    return b"@x{k,t={" * count + b"}}" * count


CASES: dict[str, Callable[[], bytes]] = {
    # The review's files.
    "bib: nested @x{k,t={ starts, 250 KB": lambda: _nested(25_000),
    "bib: @x{ x 83,333, 250 KB": lambda: _fill("@x{", 250 * KB),
    "json: [ x 100,000": lambda: b"[" * 100_000,
    "json: a 5,000-digit number": lambda: b'[{"title": "t", "n": ' + b"9" * 5_000 + b"}]",
    # The worst the limits let through: the parser reads all of it.
    "bib: nested starts under the block limit": lambda: _nested(9_999),
    "bib: 5 MB, 999,990 marks ({})": lambda: _fill(
        "x", 5 * MB - 64, "@x{k, t={" + "{}" * 499_990, "}}"
    ),
    "bib: a 1 MB @string named by 2,000 entries": lambda: (
        "@string{a = {"
        + "word " * 200_000
        + "}}\n"
        + "".join(f"@misc{{k{n}, title = a}}\n" for n in range(2000))
    ).encode(),
    "bib: 5 MB, one entry of 166,000 fields": lambda: _fill("a={b},", 999_000, "@x{k,", "}"),
    "json: 5 MB of [[],[],...] (1.7M lists)": lambda: b"[" + b"[]," * (5 * MB // 3 - 1) + b"[]]",
    "json: 5 MB of {} items (1.7M dicts)": lambda: b"[" + b"{}," * (5 * MB // 3 - 1) + b"{}]",
    "json: 199,999 lists, 10 deep": lambda: b"[" + b"[[[[[[[[[]]]]]]]]]," * 22_221 + b"[]]",
    # Real exports at the entry limit.
    "bib: a 5,000-entry Zotero-style export": _bibtex_export,
    "json: a 5,000-item CSL export": _csl_export,
}
IMPORT = "import: a 5,000-item CSL export, none matched (50 seeds embedded)"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _parse(content: bytes) -> str:
    from paperwire.errors import PaperwireError
    from paperwire.recommend import library

    try:
        fmt, entries = library.parse_library(content)
    except PaperwireError as exc:
        return f"{exc.http_status}: {str(exc)[:70]}"
    return f"200: {len(entries):,} {fmt} entries"


def _import(content: bytes) -> str:
    from paperwire import secret
    from paperwire.accounts.users import create_user
    from paperwire.cli.context import ready_engine
    from paperwire.config import load_settings
    from paperwire.db.engine import session_scope
    from paperwire.recommend import library

    home = Path(tempfile.mkdtemp(prefix="paperwire-upload-"))
    settings = secret.resolve(
        load_settings(
            {
                **os.environ,
                "PAPERWIRE_HOME": str(home),
                "PAPERWIRE_DATABASE_URL": f"sqlite:///{home / 'paperwire.db'}",
                "PAPERWIRE_SECRET_KEY": "bench-upload-" + "x" * 40,
            }
        )
    )
    engine = ready_engine(settings)
    with session_scope(engine) as session:
        user = create_user(session, "reader", "reader@example.org", "a long bench password")
        report = library.import_library(settings, session, user, content)
    return f"200: {report.summary()}"


def run_one(name: str) -> dict[str, object]:
    content = _csl_export(unmatched=True) if name == IMPORT else CASES[name]()
    from paperwire.recommend import library  # imported before the clock starts

    del library
    baseline = _rss_mb()
    started = time.process_time()
    outcome = _import(content) if name == IMPORT else _parse(content)
    return {
        "case": name,
        "bytes": len(content),
        "cpu_s": round(time.process_time() - started, 3),
        "peak_mb": round(_rss_mb(), 1),
        "grew_mb": round(_rss_mb() - baseline, 1),
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--one", help="run one case in this process and print it as JSON")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one)))
        return
    print("| upload | size | CPU s | peak MB | +MB | answer |\n|---|---:|---:|---:|---:|---|")
    for name in [*CASES, IMPORT]:
        done = subprocess.run(
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True
        )
        row = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"| {row['case']} | {row['bytes'] / MB:.2f} MB | {row['cpu_s']:.2f} |"
            f" {row['peak_mb']:.0f} | {row['grew_mb']:.0f} | {row['outcome']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
