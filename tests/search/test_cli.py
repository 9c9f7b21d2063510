"""``paperwire index``, ``search`` and ``eval`` as a person runs them, in a real process."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from paperwire.cli.context import progress_line
from paperwire.config import load_settings
from paperwire.papers.records import PaperRecord
from paperwire.search import evaluation, index
from tests.search.search_data import add, backlog

DOCS = {
    "d1": (
        "Aspirin and heart attacks",
        "Daily low-dose aspirin lowers the risk of myocardial infarction.",
    ),
    "d2": ("Statins and cholesterol", "Statins reduce LDL cholesterol and cardiovascular events."),
    "d3": ("Vitamin D and bone density", "Vitamin D supplements increase bone mineral density."),
    "d4": ("Sleep and memory", "Sleep consolidates memories formed during the day."),
    "d5": ("Coffee and liver disease", "Coffee drinkers have a lower risk of liver cirrhosis."),
    "d6": ("Exercise and depression", "Aerobic exercise reduces symptoms of major depression."),
}
QUERIES = {
    "q1": "aspirin prevents heart attacks",
    "q2": "physical activity helps against depression",
    "q3": "sleeping improves memory",
    "q9": "a training query that is not in the test split",
}
QRELS = [("q1", "d1", 1), ("q2", "d6", 1), ("q3", "d4", 2)]


def write_beir(folder: Path) -> Path:
    (folder / "qrels").mkdir(parents=True)
    with open(folder / "corpus.jsonl", "w") as fh:
        for doc_id, (title, text) in DOCS.items():
            fh.write(
                json.dumps({"_id": doc_id, "title": title, "text": text, "metadata": {}}) + "\n"
            )
    with open(folder / "queries.jsonl", "w") as fh:
        for qid, text in QUERIES.items():
            fh.write(json.dumps({"_id": qid, "text": text}) + "\n")
    rows = ["query-id\tcorpus-id\tscore", *(f"{q}\t{d}\t{s}" for q, d, s in QRELS)]
    (folder / "qrels" / "test.tsv").write_text("\n".join(rows) + "\n")
    return folder


def paperwire(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from paperwire.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def eval_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERWIRE_HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


def test_eval_prints_every_metric_for_every_mode(tmp_path: Path, eval_env: dict[str, str]) -> None:
    data = write_beir(tmp_path / "tiny")
    done = paperwire(eval_env, "eval", str(data), "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert set(result) == {"lexical", "semantic", "hybrid"}
    for mode, metrics in result.items():
        assert set(metrics) == {"ndcg@10", "recall@100", "mrr@10", "p50_ms", "p95_ms", "queries"}
        assert metrics["queries"] == 3
        assert metrics["recall@100"] == 1.0, mode  # six documents: every relevant one is found
        assert 0.5 <= metrics["ndcg@10"] <= 1.0 and metrics["p95_ms"] >= metrics["p50_ms"] > 0
    table = paperwire(eval_env, "eval", str(data), "--mode", "lexical")
    assert table.returncode == 0 and "nDCG@10" in table.stdout and "semantic" not in table.stdout


def test_a_second_evaluation_reuses_the_cached_embeddings(tmp_path: Path) -> None:
    dataset = evaluation.load_dataset(write_beir(tmp_path / "tiny"))
    cache = tmp_path / "cache"
    reports = []
    for run in ("first", "second"):
        instance = evaluation.Instance(load_settings({"PAPERWIRE_HOME": "unused"}), tmp_path / run)
        instance.load(dataset)
        reports.append(index.sync(instance.settings, instance.engine, cache_dir=cache))
        instance.close()
    assert (reports[0].embedded, reports[0].embedded_from_cache) == (6, 0)
    assert (reports[1].embedded, reports[1].embedded_from_cache) == (6, 6)


def test_eval_names_what_is_wrong_with_a_dataset(tmp_path: Path, eval_env: dict[str, str]) -> None:
    data = write_beir(tmp_path / "broken")
    missing = paperwire(eval_env, "eval", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "corpus.jsonl is missing" in missing.stderr
    with open(data / "corpus.jsonl", "a") as fh:
        fh.write("{not json\n")
    bad = paperwire(eval_env, "eval", str(data), "--mode", "lexical")
    assert bad.returncode == 2 and f"{data / 'corpus.jsonl'}:7: not JSON" in bad.stderr


def test_index_then_search_from_the_command_line(
    env: dict[str, str], engine: Engine, corpus: list[PaperRecord]
) -> None:
    built = paperwire(env, "index")
    assert built.returncode == 0, built.stderr
    assert "6 added" in built.stdout and "6 embedded" in built.stdout
    found = paperwire(env, "search", "protein folding", "--json", "--limit", "3")
    result = json.loads(found.stdout)
    assert result["mode"] == "hybrid" and result["results"][0]["id"] == "2606.00006"
    assert {"id", "title", "authors", "published_at", "votes", "score", "snippet_html"} <= set(
        result["results"][0]
    )
    text = paperwire(env, "search", "au:kaplan", "--mode", "lexical")
    assert "Scaling laws for neural language models" in text.stdout
    assert "1 result (lexical)" in text.stdout
    wrong = paperwire(env, "search", "x", "--mode", "fuzzy")
    assert wrong.returncode == 2 and "mode must be one of" in wrong.stderr
    again = paperwire(env, "index")
    assert "0 added" in again.stdout and "0 embedded" in again.stdout


def test_ingest_keeps_the_index_current_without_paperwire_index(
    env: dict[str, str], shared_data: Path, tmp_path: Path
) -> None:
    """Ingested papers are found by keyword and by meaning straight away (few enough to embed)."""
    snapshot = shared_data / "arxiv_snapshot" / "arxiv-metadata-oai-snapshot.sample-200.jsonl"
    lines = snapshot.read_text().splitlines(keepends=True)
    first = tmp_path / "one.jsonl"
    first.write_text(lines[0])
    skipped = paperwire(env, "ingest", "snapshot", "--no-index", "--file", str(first))
    assert skipped.returncode == 0 and "index:" not in skipped.stdout, skipped.stderr
    sample = tmp_path / "three.jsonl"
    sample.write_text("".join(lines[:3]))
    done = paperwire(env, "ingest", "snapshot", "--file", str(sample))
    assert done.returncode == 0, done.stderr
    assert "index: 3 added" in done.stdout and "3 embedded" in done.stdout
    for mode in ("lexical", "semantic"):
        found = paperwire(env, "search", "sparsity certifying graph", "--mode", mode, "--json")
        assert found.returncode == 0, found.stderr
        assert json.loads(found.stdout)["results"][0]["id"] == "0704.0002", mode


def test_the_progress_line_of_a_long_backfill_gives_rate_and_time_left() -> None:
    line = progress_line("embedding", 12_000, 1_000_000, 300.0)
    assert line == "embedding: 12,000 of 1,000,000 (1.2%), 40.0 a second, about 6 h 51 min left"
    assert progress_line("keywords", 50, 100, 10.0).endswith("5.0 a second, about 0 min left")
    assert progress_line("embedding", 0, 10, 0.0) == "embedding: 0 of 10 (0.0%), 0.0 a second"


def _on_a_terminal(env: dict[str, str], *args: str) -> tuple[int, str]:
    """Run a command with its standard error on a pseudo-terminal; its exit code and all it wrote
    there, escape sequences removed."""
    main, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", "from paperwire.cli import main; main()", *args],
        env={**env, "COLUMNS": "160", "TERM": "xterm"},
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # the terminal's other end closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    code = process.wait(timeout=600)
    return code, re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", b"".join(chunks).decode(errors="replace"))


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_backfill_on_a_terminal_shows_done_total_rate_and_time_left(
    env: dict[str, str], engine: Engine
) -> None:
    add(engine, *backlog(48))
    code, shown = _on_a_terminal(env, "index", "--batch", "4")
    assert code == 0, shown
    # e.g. "embedding ━━━━━━━━━╺━━━━━━━━  24/48 9.8/s 0:00:02 0:00:03"
    frames = re.findall(
        r"embedding\s+\S+\s+(\d+)/48\s+([\d.,]+)/s\s+[\d:]+\s+([\d:]+|-:--:--)", shown
    )
    assert frames, shown
    assert any(0 < int(done) < 48 and float(rate) > 0 for done, rate, _ in frames), frames
