"""The bundled demo corpus: where it lives and how a ``PaperRecord`` is written to and read from
one compact JSON line (empty fields left out, times in ISO-8601)."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import MISSING, Field, fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from paperwire.papers.records import EntryRecord, PaperRecord

CORPUS = Path(__file__).with_name("data") / "corpus.jsonl.gz"

_PAPER_TIMES = ("published_at", "updated_at")


def _is_default(f: Field[Any], value: Any) -> bool:
    if f.default is not MISSING:
        return value is f.default if f.default is None else value == f.default
    if f.default_factory is not MISSING:
        return bool(value == f.default_factory())
    return False


def _plain(obj: Any) -> dict[str, Any]:
    # Fields still at their default are left out: decoding restores them exactly.
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        # Provenance (``compare=False``: where a record was read) is not content: identical
        # records from two files are one line.
        if not f.compare or _is_default(f, value):
            continue
        if f.name == "entry":
            value = _plain(value)
        elif isinstance(value, datetime | date):
            value = value.isoformat()
        out[f.name] = value
    return out


def encode(record: PaperRecord) -> str:
    """One compact JSON line (no newline) for ``record``, its daily-list entry included."""
    return json.dumps(_plain(record), ensure_ascii=False, separators=(",", ":"))


def decode(line: str) -> PaperRecord:
    """The ``PaperRecord`` that ``encode`` wrote."""
    data = json.loads(line)
    for key in _PAPER_TIMES:
        if key in data:
            data[key] = datetime.fromisoformat(data[key])
    entry = data.pop("entry", None)
    if entry is not None:
        entry["list_date"] = date.fromisoformat(entry["list_date"])
        if "submitted_at" in entry:
            entry["submitted_at"] = datetime.fromisoformat(entry["submitted_at"])
        data["entry"] = EntryRecord(**entry)
    return PaperRecord(**data)


def write_corpus(lines: Iterable[str], path: Path) -> int:
    """Write JSON lines gzip-compressed (level 9, no timestamp, so a rebuild is byte-identical)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    tmp = path.with_name(path.name + ".tmp")
    with (
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz,
    ):
        for line in lines:
            gz.write(line.encode() + b"\n")
            count += 1
    tmp.replace(path)
    return count


def read_corpus(path: Path = CORPUS) -> Iterator[PaperRecord]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield decode(line)


def corpus_digest(path: Path = CORPUS) -> str:
    """A fingerprint of the corpus file, so a loaded instance can tell whether it is current."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
