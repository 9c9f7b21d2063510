"""Rebuild the bundled demo corpus from the real recordings in ``shared/data``.

    python -m paperwire.demo.build_corpus [--shared ../shared/data] [--output PATH]

Every file goes through the same reader ``paperwire ingest`` uses, so the demo holds exactly what an
ingest of those files would store; rejected records are printed and left out.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from paperwire.demo.corpus import CORPUS, encode, write_corpus
from paperwire.errors import SourceError
from paperwire.ingest.report import Rejection
from paperwire.papers.records import PaperRecord

DEFAULT_SHARED = Path(
    os.environ.get("PAPERWIRE_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data")
)


@dataclass(frozen=True)
class Source:
    module: str  # paperwire.ingest.<module>.read_file reads one file
    folder: str
    patterns: tuple[str, ...]


SOURCES = (
    Source("snapshot", "arxiv_snapshot", ("*.jsonl", "*.jsonl.gz", "*.json.gz")),
    Source("arxiv_api", "arxiv_api", ("**/*.xml",)),
    Source("oai", "arxiv_oai", ("*.xml",)),
    Source("hf", "hf_daily_papers", ("daily_papers_*.json",)),
)


@dataclass
class BuildSummary:
    files: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)
    lines: int = 0
    papers: int = 0

    def text(self) -> str:
        per_source = ", ".join(
            f"{name} {self.records[name]} records from {self.files[name]} files"
            for name in self.files
        )
        return (
            f"{per_source}; {self.lines} distinct records of {self.papers} papers written,"
            f" {len(self.rejected)} rejected"
        )


def source_files(shared: Path, source: Source) -> list[Path]:
    folder = shared / source.folder
    found = {p for pattern in source.patterns for p in folder.glob(pattern) if p.is_file()}
    return sorted(found)


def _read(source: Source, path: Path) -> Iterator[PaperRecord | Rejection]:
    reader: Callable[[Path], Iterator[PaperRecord | Rejection]]
    reader = importlib.import_module(f"paperwire.ingest.{source.module}").read_file
    try:
        yield from reader(path)
    except SourceError as exc:
        yield Rejection(source.module, str(path), str(exc))


def build(
    shared: Path,
    output: Path = CORPUS,
    *,
    on_rejection: Callable[[Rejection], None] | None = None,
) -> BuildSummary:
    """Read every recorded paper under ``shared`` and write the corpus to ``output``."""
    if not shared.is_dir():
        raise SourceError(f"shared data folder not found: {shared}")
    summary = BuildSummary()
    lines: dict[str, None] = {}  # insertion-ordered set: identical records are kept once
    papers: set[str] = set()
    for source in SOURCES:
        files = source_files(shared, source)
        if not files:
            raise SourceError(
                f"{source.module}: no files matching {source.patterns} in {shared / source.folder}"
            )
        summary.files[source.module] = len(files)
        summary.records[source.module] = 0
        for path in files:
            for item in _read(source, path):
                if isinstance(item, Rejection):
                    summary.rejected.append(item)
                    if on_rejection:
                        on_rejection(item)
                    continue
                summary.records[source.module] += 1
                lines.setdefault(encode(item))
                papers.add(item.id)
    summary.lines = write_corpus(lines, output)
    summary.papers = len(papers)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m paperwire.demo.build_corpus", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_SHARED, help="the shared data folder"
    )
    parser.add_argument("--output", type=Path, default=CORPUS, help="the corpus file to write")
    args = parser.parse_args(argv)
    try:
        summary = build(
            args.shared.resolve(),
            args.output,
            on_rejection=lambda r: print(f"rejected: {r}", file=sys.stderr),
        )
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    size = args.output.stat().st_size
    print(f"{args.output}: {summary.text()}; {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
