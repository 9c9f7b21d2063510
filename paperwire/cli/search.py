"""``paperwire index``, ``search`` and ``eval``: thin clients of ``paperwire.search``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from paperwire.cli.context import console, err_console, parse_date, progress, ready_engine, settings
from paperwire.search import embeddings, evaluation, service

app = typer.Typer()


@app.command("index")
def index_command(
    rebuild: bool = typer.Option(False, "--rebuild", help="throw the index away and build it anew"),
    no_embed: bool = typer.Option(
        False, "--no-embed", help="update the keyword index only (embed later)"
    ),
    batch: int = typer.Option(
        embeddings.BATCH,
        "--batch",
        min=1,
        help="papers embedded and committed at a time (a stopped run loses at most one batch)",
    ),
) -> None:
    """Bring the search index up to date with the database.

    The keyword index first, then the embeddings papers lack, committed batch by batch: papers are
    found by keyword meanwhile, and by meaning as their vectors join the index. Stopped at any
    point (Ctrl-C, a kill), the next run carries on from the last batch committed."""
    cfg = settings()
    engine = ready_engine(cfg)
    with progress() as bar:
        report = service.sync_index(
            cfg, engine, rebuild=rebuild, embed=not no_embed, progress=bar, batch=batch
        )
    console.print(report.summary(), markup=False, highlight=False, soft_wrap=True)
    if report.embed_error:
        raise typer.Exit(code=1)


@app.command("search")
def search_command(
    query: str = typer.Argument(..., help='words, "phrases", -exclusions, au:, ti:, cat:, id:'),
    limit: int = typer.Option(10, "--limit", "-n", min=1, max=service.MAX_LIMIT),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, lexical or semantic"),
    sort: str = typer.Option("relevance", "--sort", help="relevance, date or votes"),
    page: int = typer.Option(1, "--page", min=1),
    date_from: str | None = typer.Option(None, "--from", help="published on or after (YYYY-MM-DD)"),
    date_to: str | None = typer.Option(None, "--until", help="published on or before"),
    category: list[str] | None = typer.Option(
        None, "--category", "-c", help="e.g. cs.CL or cs (repeatable)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object"),
) -> None:
    """Print ranked results for QUERY."""
    cfg = settings()
    result = service.search(
        cfg,
        ready_engine(cfg),
        query,
        mode=mode,
        limit=limit,
        page=page,
        sort=sort,
        date_from=parse_date(date_from, "--from"),
        date_to=parse_date(date_to, "--until"),
        categories=category or [],
    )
    if as_json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    for note in result.notes:
        err_console.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
    start = (result.page - 1) * result.limit
    for rank, item in enumerate(result.results, start + 1):
        when = item.published_at.date().isoformat() if item.published_at else "undated"
        authors = ", ".join(item.authors[:3]) + (" et al." if len(item.authors) > 3 else "")
        meta = f"{item.id} · {when} · {item.votes} votes · score {item.score:.3f}"
        _line(f"{rank:>3}. {item.title}")
        _line(f"     {meta}" + (f" · {authors}" if authors else ""))
        _line(f"     {item.snippet_text}")
    noun = "result" if result.total == 1 else "results"
    _line(f"{result.total} {noun} ({result.mode}), page {result.page} of {result.pages}")


def _line(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command("eval")
def eval_command(
    directory: Path = typer.Argument(
        ..., help="a BEIR folder: corpus.jsonl, queries.jsonl, qrels/"
    ),
    mode: list[str] | None = typer.Option(
        None, "--mode", help="lexical, semantic or hybrid (repeatable; default all three)"
    ),
    split: str = typer.Option("test", "--split", help="which qrels/<split>.tsv to use"),
    cache_dir: Path | None = typer.Option(
        None, "--cache", help="embedding cache folder (default ~/.cache/paperwire/embeddings)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object keyed by mode"),
) -> None:
    """Relevance and latency of search on a BEIR-layout dataset."""
    modes = mode or list(evaluation.MODES)
    with progress() as bar:
        results = evaluation.evaluate(
            settings(), directory, modes, split=split, cache_dir=cache_dir, progress=bar
        )
    if as_json:
        print(json.dumps({m: r.to_dict() for m, r in results.items()}))
        return
    table = Table(
        title=f"{directory.name} ({split}, {next(iter(results.values())).queries} queries)"
    )
    for column in ("mode", "nDCG@10", "Recall@100", "MRR@10", "p50 ms", "p95 ms"):
        table.add_column(column, justify="left" if column == "mode" else "right")
    for name, r in results.items():
        table.add_row(
            name,
            f"{r.ndcg_at_10:.4f}",
            f"{r.recall_at_100:.4f}",
            f"{r.mrr_at_10:.4f}",
            f"{r.p50_ms:.1f}",
            f"{r.p95_ms:.1f}",
        )
    console.print(table)
