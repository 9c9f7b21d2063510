"""The shipped demo corpus: readable, small, and the same as a rebuild from the shared data."""

from __future__ import annotations

import gzip
from collections import Counter
from pathlib import Path

from paperwire.demo.build_corpus import SOURCES, build, source_files
from paperwire.demo.corpus import CORPUS, decode, encode, read_corpus
from paperwire.ingest.report import Rejection


def test_shipped_corpus_is_small_and_round_trips() -> None:
    assert CORPUS.stat().st_size < 3_000_000
    with gzip.open(CORPUS, "rt", encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    assert len(lines) == len(set(lines))
    for line in lines:
        assert encode(decode(line)) == line
    sources = Counter(decode(line).source for line in lines)
    assert set(sources) == {"snapshot", "arxiv", "oai", "hf"}
    assert sources["hf"] > 1500


def test_every_shared_file_is_read(shared_data: Path) -> None:
    counts = {s.module: len(source_files(shared_data, s)) for s in SOURCES}
    # 56 archived Hugging Face lists plus the 2024 response; 25 API and 12 OAI-PMH recordings.
    assert counts == {"snapshot": 1, "arxiv_api": 25, "oai": 12, "hf": 57}


def test_shipped_corpus_matches_a_rebuild(shared_data: Path, tmp_path: Path) -> None:
    rejected: list[Rejection] = []
    summary = build(shared_data, tmp_path / "corpus.jsonl.gz", on_rejection=rejected.append)
    rebuilt = list(read_corpus(tmp_path / "corpus.jsonl.gz"))
    shipped = list(read_corpus())
    changed = {r.id for r in rebuilt} ^ {r.id for r in shipped} or {
        a.id for a, b in zip(rebuilt, shipped, strict=False) if a != b
    }
    assert rebuilt == shipped, (
        f"the shipped corpus is out of date ({len(rebuilt)} rebuilt vs {len(shipped)} shipped"
        f" records; differing papers include {sorted(changed)[:5]}): run"
        " python -m paperwire.demo.build_corpus"
    )
    assert summary.lines == len(shipped)
    # The one error feed among the recordings (id_list=abc) is reported, not stored.
    assert [r.where.rsplit("/", 1)[-1] for r in rejected] == ["id_abc_s0_m100_b79c8dcf6bc3.xml"]
