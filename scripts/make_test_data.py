"""Copy the recorded data the test suite reads from ``../shared/data`` into ``tests/fixtures/data``.

    .venv/bin/python scripts/make_test_data.py [--shared ../shared/data]

Run once by a developer when a test needs more recorded data; its output is committed, so a clone
without ``../shared`` runs every test. What is copied and how it is trimmed is written up in
``tests/fixtures/data/README.md``:

- arXiv API and OAI-PMH recordings, the 200-line snapshot sample: every file, byte for byte (with
  their ``index.json``, which gives each file's origin and sha256);
- Hugging Face daily lists: every list and every item, reduced to the fields paperwire's reader and
  the tests read, written as compact JSON (the lists take 10 MB pretty-printed with every field);
- SciFact: the first ``SCIFACT_DOCS`` corpus lines and ``SCIFACT_QUERIES`` queries, verbatim (the
  embedder tests and the fp32 reference vectors use them; only ``paperwire eval`` reads the rest).
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "tests" / "fixtures" / "data"
SHARED = REPO.parent / "shared" / "data"
SCIFACT_DOCS = 64
SCIFACT_QUERIES = 36

VERBATIM = (
    "arxiv_api/index.json",
    "arxiv_api/legacy_2016/*.xml",
    "arxiv_api/recorded_2026/*.xml",
    "arxiv_oai/index.json",
    "arxiv_oai/*.xml",
    "arxiv_snapshot/arxiv-metadata-oai-snapshot.sample-200.jsonl",
    "hf_daily_papers/index.json",
)

# What paperwire/ingest/hf.py and the tests read of a daily-papers item; everything else is dropped.
ITEM_KEYS = ("paper", "publishedAt", "submittedBy", "numComments", "mediaUrl", "mediaUrls")
ITEM_KEYS += ("thumbnail", "organization", "title", "summary")
PAPER_KEYS = ("id", "title", "summary", "authors", "publishedAt", "upvotes", "discussionId")
PAPER_KEYS += ("submittedOnDailyAt", "submittedOnDailyBy", "githubRepo", "projectPage")
PAPER_KEYS += ("githubStars", "ai_summary", "ai_keywords", "ai_summary_model", "organization")
USER_KEYS = ("_id", "user", "name", "fullname", "avatarUrl")


def _pick(value: Any, keys: tuple[str, ...]) -> Any:
    if not isinstance(value, dict):
        return value
    return {k: value[k] for k in keys if k in value}


def trim_hf_item(item: Any) -> Any:
    """A daily-papers item with only the fields that are read; values are untouched."""
    if not isinstance(item, dict) or not isinstance(item.get("paper"), dict):
        return item
    paper = _pick(item["paper"], PAPER_KEYS)
    if isinstance(paper.get("authors"), list):
        paper["authors"] = [_pick(a, ("name",)) for a in paper["authors"]]
    for key in ("submittedOnDailyBy",):
        if key in paper:
            paper[key] = _pick(paper[key], USER_KEYS)
    if isinstance(paper.get("organization"), dict):
        paper["organization"] = _pick(paper["organization"], ("name",))
    out = _pick(item, ITEM_KEYS)
    out["paper"] = paper
    if "submittedBy" in out:
        out["submittedBy"] = _pick(out["submittedBy"], USER_KEYS)
    if isinstance(out.get("organization"), dict):
        out["organization"] = _pick(out["organization"], ("name",))
    # The item repeats the paper's title and abstract; the reader falls back to them only when the
    # paper lacks its own.
    for key in ("title", "summary"):
        if isinstance(paper.get(key), str) and paper[key].strip():
            out.pop(key, None)
    return out


def _head(source: Path, target: Path, lines: int) -> None:
    with source.open("rb") as fh:
        kept = [fh.readline() for _ in range(lines)]
    target.write_bytes(b"".join(kept))


def make(shared: Path, output: Path = OUTPUT) -> None:
    for pattern in VERBATIM:
        found = sorted(shared.glob(pattern))
        if not found:
            raise SystemExit(f"nothing matches {pattern} in {shared}")
        for path in found:
            target = output / path.relative_to(shared)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    for path in sorted((shared / "hf_daily_papers").glob("daily_papers_*.json")):
        items = [trim_hf_item(item) for item in json.loads(path.read_text(encoding="utf-8"))]
        target = output / "hf_daily_papers" / path.name
        target.write_text(
            json.dumps(items, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
        )
    (output / "scifact").mkdir(parents=True, exist_ok=True)
    _head(shared / "scifact" / "corpus.jsonl", output / "scifact" / "corpus.jsonl", SCIFACT_DOCS)
    _head(
        shared / "scifact" / "queries.jsonl",
        output / "scifact" / "queries.jsonl",
        SCIFACT_QUERIES,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=SHARED, help="the shared data folder")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    make(args.shared.resolve(), args.output)
    total = sum(p.stat().st_size for p in args.output.rglob("*") if p.is_file())
    print(f"{args.output}: {total:,} bytes")


if __name__ == "__main__":
    main()
