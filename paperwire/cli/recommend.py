"""``paperwire recommend eval``: the offline evaluation of the "For you" ranking
(a thin client of ``paperwire.recommend.evaluation``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from paperwire.cli.context import console, parse_date, settings
from paperwire.errors import UsageError
from paperwire.recommend import evaluation

app = typer.Typer(help="The personal ranking (For you).", no_args_is_help=True)


@app.command("eval")
def eval_command(
    directory: Path = typer.Argument(..., help="a folder with papers.jsonl and interactions.jsonl"),
    split_date: str = typer.Option(
        ..., "--split-date", help="YYYY-MM-DD: learn from before it, rank papers from it on"
    ),
    method: list[str] | None = typer.Option(
        None, "--method", help=" | ".join(evaluation.METHODS) + " (repeatable; default all)"
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache", help="embedding cache folder (default ~/.cache/paperwire/embeddings)"
    ),
    as_json: bool = typer.Option(False, "--json", help="print one JSON object keyed by method"),
) -> None:
    """nDCG@10, Recall@100 and MRR of each ranking method, over the users it can be asked for."""
    split = parse_date(split_date, "--split-date")
    if split is None:  # typer requires the option; kept for the type checker
        raise UsageError("--split-date: give the date that splits history from the future")
    methods = tuple(method or evaluation.METHODS)
    results = evaluation.evaluate(
        settings(), directory, split, methods=methods, cache_dir=cache_dir
    )
    if as_json:
        print(json.dumps({m: r.to_dict() for m, r in results.items()}))
        return
    users = next(iter(results.values())).users
    table = Table(title=f"{directory.name} (split {split.isoformat()}, {users} users)")
    for column in ("method", "nDCG@10", "Recall@100", "MRR"):
        table.add_column(column, justify="left" if column == "method" else "right")
    for name, r in results.items():
        table.add_row(name, f"{r.ndcg_at_10:.4f}", f"{r.recall_at_100:.4f}", f"{r.mrr:.4f}")
    console.print(table)
