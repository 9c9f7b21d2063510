"""``paperwire submit ID_OR_URL``: put one paper in a daily list (a thin client of ``ingest.submit``)."""

from __future__ import annotations

import typer

from paperwire.cli.context import parse_date, ready_engine, refresh_search_index, settings
from paperwire.cli.ingest import endpoint
from paperwire.ingest import arxiv_api
from paperwire.ingest.http import Fetcher
from paperwire.ingest.submit import submit_paper


def submit(
    id_or_url: str = typer.Argument(
        ..., help="arXiv id or URL: 2403.04640, arXiv:2403.04640v2, an abs/ or pdf/ link"
    ),
    day: str | None = typer.Option(
        None, "--date", help="the daily list to join (YYYY-MM-DD; default today, UTC)"
    ),
    base_url: str | None = typer.Option(
        None, "--base-url", help="arXiv API endpoint override (default: the real service)"
    ),
) -> None:
    """Fetch a paper's metadata from arXiv and put it in a daily list."""
    list_date = parse_date(day, "--date")
    engine = ready_engine()
    with Fetcher(source="arxiv", allow_private=settings().fetch_allow_private) as fetcher:
        result = submit_paper(
            engine,
            fetcher,
            endpoint(base_url, arxiv_api.DEFAULT_BASE_URL),
            id_or_url,
            list_date=list_date,
        )
    typer.echo(result.message())
    if result.fetched:
        refresh_search_index(engine, quiet=True)
