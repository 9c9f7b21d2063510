"""Backfill: how fast ``paperwire index`` embeds a backlog, and how long 1M and 2.5M papers take.

    .venv/bin/python bench/backfill.py [--papers 20000] [--nice 5] [--keep DIR]
    .venv/bin/python bench/backfill.py --store-loads 200000    # what one vector load costs

Writes ``--papers`` synthetic papers as an arXiv metadata snapshot (``bench/corpus.py``'s model of
the real papers: their title and abstract lengths, word frequencies, categories and author lists),
ingests them into a fresh SQLite home with the bulk path (``paperwire ingest snapshot --no-index``),
then runs the documented commands as their own processes, each under ``nice -n NICE``:
``paperwire index --no-embed`` (the keyword index: every paper searchable by keyword) and then
``paperwire index`` (the embeddings of the whole backlog, and their vectors into the index).

While the embedding runs, once a quarter of the papers have an embedding, it asks
``paperwire search`` (``--mode lexical`` and the default hybrid) for the title of the last paper
in embedding order, which has none yet, and says whether and where it was found.

For each command it prints wall seconds, CPU seconds (user + system of that process), papers/s,
papers per CPU-second and the load average (1 min) before and after: the machine is shared, so
the per-CPU-second rate is the figure that carries over. The projections for 1,000,000 and
2,500,000 papers are given at the measured wall rate and for the two cores free (1.9 times the
per-CPU-second rate: the model runs two threads, and a quiet run of ``bench/embed.py`` kept 1.93
cores busy); the keyword part is projected linearly, less the start-up of a run with nothing to do.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from corpus import Model, real_papers  # noqa: E402

SAMPLE = REPO.parent / "shared/data/arxiv_snapshot/arxiv-metadata-oai-snapshot.sample-200.jsonl"
CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]
PROJECT = (1_000_000, 2_500_000)
# Cores a lone `paperwire index` keeps busy on the 2-core machine: bench/embed.py's quiet run
# gave 83 papers/s at 43 per CPU-second (the model's two threads, less the Python between batches).
FREE_CORES = 1.9


def paper_id(n: int) -> str:
    return f"9{n // 99999:03d}.{n % 99999 + 1:05d}"


def write_snapshot(out: Path, count: int, seed: int) -> None:
    """``count`` snapshot lines of synthetic papers, ids 9000.00001, 9000.00002, ... in order."""
    template = json.loads(SAMPLE.read_text().splitlines()[0])
    model = Model(real_papers())
    with out.open("w") as fh:
        for n, doc in enumerate(model.distractors(count, seed)):
            line = {
                **template,
                "id": paper_id(n),
                "title": doc["title"],
                "abstract": doc["text"],
                "authors": ", ".join(doc["authors"]) or "Anonymous",  # type: ignore[arg-type]
                "authors_parsed": [],
                "categories": " ".join(doc["categories"]),  # type: ignore[arg-type]
                "doi": None,
                "journal-ref": None,
            }
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    load_before: float
    load_after: float
    stdout: str
    stderr: str


def run(
    args: list[str],
    env: dict[str, str],
    nice: int,
    during: Callable[[subprocess.Popen[str]], None] | None = None,
) -> Run:
    """One paperwire command as its own process: wall time, its own CPU time, load averages."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(
            ["nice", "-n", str(nice), *CLI, *args], env=env, stdout=out, stderr=err, text=True
        )
        if during is not None:
            during(process)
        # wait4 gives this process's own CPU time (not the search probes' run meanwhile).
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    result = Run(
        seconds,
        usage.ru_utime + usage.ru_stime,
        load_before,
        os.getloadavg()[0],
        stdout,
        stderr,
    )
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}): {result.stderr}")
    return result


def embedded_count(database: Path) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as conn:
            return int(conn.execute("SELECT count(*) FROM paper_embeddings").fetchone()[0])
    except sqlite3.Error:
        return 0


class Probe:
    """Once a quarter of the papers are embedded: search for the last one (no embedding yet) by
    its title, by keyword and hybrid, and say where it was found."""

    def __init__(self, env: dict[str, str], database: Path, papers: int, snapshot: Path) -> None:
        last = json.loads(snapshot.read_text().splitlines()[-1])
        self.title, self.wanted = " ".join(last["title"].split()), last["id"]
        self.env, self.database, self.papers = env, database, papers
        self.lines: list[str] = []

    def __call__(self, process: subprocess.Popen[str]) -> None:
        while process.poll() is None and embedded_count(self.database) < self.papers // 4:
            time.sleep(1)
        if process.poll() is not None:
            self.lines.append("search probe: the index finished before a quarter was embedded")
            return
        for mode in ("lexical", "hybrid"):
            started = time.perf_counter()
            found = subprocess.run(
                [*CLI, "search", self.title, "--mode", mode, "--json", "--limit", "10"],
                env=self.env,
                capture_output=True,
                text=True,
            )
            seconds = time.perf_counter() - started
            done = embedded_count(self.database)
            if found.returncode != 0:
                self.lines.append(f"search probe ({mode}): failed: {found.stderr.strip()}")
                continue
            ids = [r["id"] for r in json.loads(found.stdout)["results"]]
            where = f"rank {ids.index(self.wanted) + 1}" if self.wanted in ids else "NOT found"
            self.lines.append(
                f"search probe ({mode}) at {done:,} of {self.papers:,} embedded: {self.wanted}"
                f" (no embedding yet) {where}; the command took {seconds:.1f} s"
                " including interpreter start"
            )


def store_loads(size: int, folder: Path) -> None:
    """What one of the backfill's vector loads costs on a store of ``size`` papers: open it from
    disk, upsert a tenth more (random unit vectors of the model's 384 numbers, as the HNSW graph
    and the files do not care what the vectors mean), flush it; timed twice after building it."""
    import numpy as np

    from paperwire.search.vectors import VectorStore

    dim, rng = 384, np.random.default_rng(1)
    store = VectorStore.open(folder / "vectors", dim, "random")
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, size, 50_000):
        count = min(50_000, size - start)
        ids = [f"p{n}" for n in range(start, start + count)]
        store.upsert(ids, rng.standard_normal((count, dim)).astype(np.float32))
    store.flush()
    print(
        f"built a store of {size:,} vectors (HNSW from {store.hnsw_threshold:,}) in"
        f" {time.perf_counter() - started:.0f} s, {time.process_time() - cpu:.0f} CPU s"
    )
    for repeat in range(2):
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        store = VectorStore.open(folder / "vectors", dim, "random")
        opened = time.perf_counter() - started
        step = len(store) // 10
        ids = [f"q{repeat}-{n}" for n in range(step)]
        store.upsert(ids, rng.standard_normal((step, dim)).astype(np.float32))
        added = time.perf_counter() - started - opened
        store.flush()
        print(
            f"load into {len(store) - step:,}: open {opened:.1f} s, add {step:,} {added:.1f} s,"
            f" flush {time.perf_counter() - started - opened - added:.1f} s;"
            f" {time.process_time() - cpu:.1f} CPU s; load average {load:.2f}"
        )


def hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--papers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--nice", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    parser.add_argument(
        "--store-loads",
        type=int,
        metavar="N",
        help="only time the vector loads of a backfill on a store of N papers",
    )
    args = parser.parse_args()
    if args.store_loads:
        store_loads(args.store_loads, Path(tempfile.mkdtemp(prefix="paperwire-store-")))
        return

    folder = args.keep or Path(tempfile.mkdtemp(prefix="paperwire-backfill-"))
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    database = home / "paperwire.db"
    env = {
        **os.environ,
        "PAPERWIRE_HOME": str(home),
        "PAPERWIRE_DATABASE_URL": f"sqlite:///{database}",
        "PYTHONPATH": str(REPO),
    }
    snapshot = folder / "snapshot.jsonl"
    if not snapshot.exists():
        started = time.perf_counter()
        write_snapshot(snapshot, args.papers, args.seed)
        print(f"wrote {args.papers:,} synthetic papers in {time.perf_counter() - started:.0f} s")
    subprocess.run([*CLI, "init"], env=env, check=True, capture_output=True)
    ingest = run(["ingest", "snapshot", "--no-index", "--file", str(snapshot)], env, args.nice)
    print(f"ingest --no-index: {ingest.stdout.strip()} ({ingest.seconds:.0f} s)")

    lexical = run(["index", "--no-embed"], env, args.nice)
    # The same command with nothing to do: interpreter start, imports, reading the index.
    idle = run(["index", "--no-embed"], env, args.nice)
    probe = Probe(env, database, args.papers, snapshot)
    embed = run(["index"], env, args.nice, during=probe)
    print(f"index --no-embed: {lexical.stdout.strip()}")
    print(f"index:            {embed.stdout.strip()}")
    for line in probe.lines:
        print(line)

    n = args.papers
    print(f"\n{'command':<32}{'wall s':>9}{'CPU s':>9}{'papers/s':>10}{'/CPU-s':>9}  load 1 min")
    rows = (
        ("paperwire index --no-embed", lexical),
        ("  again, nothing to do", idle),
        ("paperwire index (embedding)", embed),
    )
    for name, r in rows:
        rates = f"{n / r.seconds:>10.1f}{n / r.cpu_seconds:>9.1f}" if r is not idle else " " * 19
        print(
            f"{name:<32}{r.seconds:>9.1f}{r.cpu_seconds:>9.1f}{rates}"
            f"  {r.load_before:.2f} -> {r.load_after:.2f}"
        )
    cores = os.cpu_count() or 1
    print(f"({cores} CPUs; nice -n {args.nice}; {n:,} papers in {folder})")
    keyword_s = max(1e-9, lexical.seconds - idle.seconds)
    keyword_cpu = max(1e-9, lexical.cpu_seconds - idle.cpu_seconds)
    embed_s, embed_cpu = embed.seconds - idle.seconds, embed.cpu_seconds - idle.cpu_seconds
    print(
        f"less the idle run's start-up: keyword {n / keyword_s:.0f} papers/s"
        f" ({n / keyword_cpu:.0f} per CPU-second); embedding {n / embed_s:.1f} papers/s"
        f" ({n / embed_cpu:.1f} per CPU-second)\n"
    )
    for total in PROJECT:
        scale = total / n
        measured = (keyword_s + embed_s) * scale
        # The keyword part runs on one thread: with the machine free it takes its CPU time.
        free_keyword = keyword_cpu * scale
        free = free_keyword + embed_cpu * scale / FREE_CORES
        print(
            f"projected for {total:,} papers: {hours(measured)} at the measured rate,"
            f" {hours(free)} with the 2 cores free (of which the keyword index"
            f" {hours(free_keyword)})"
        )


if __name__ == "__main__":
    main()
