"""``paperwire ingest arxiv|oai|snapshot|hf``: recorded files (``--file``) or the live source over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import typer

from paperwire.cli.context import ingest_and_report, parse_date, ready_engine, settings
from paperwire.errors import UsageError
from paperwire.ingest import arxiv_api, hf, oai, snapshot
from paperwire.ingest.http import Fetcher
from paperwire.ingest.outbound import FetchRefused, check_scheme
from paperwire.ingest.runner import Item

app = typer.Typer(help="Bring papers in from a source.", no_args_is_help=True)

FILES = typer.Option(None, "--file", "-f", help="read a recorded response or dump (repeatable)")
BASE_URL = typer.Option(None, "--base-url", help="endpoint override (default: the real service)")
NO_INDEX = typer.Option(
    False, "--no-index", help="leave the search index alone (paperwire index updates it later)"
)
DELAY = typer.Option(3.0, "--delay", help="seconds between requests (the sources ask for >= 3)")


def endpoint(base_url: str | None, default: str) -> str:
    """``--base-url`` (or the real service): an http(s) address, else a ``UsageError``."""
    url = base_url or default
    try:
        check_scheme(url)
    except FetchRefused as exc:
        raise UsageError(f"--base-url {url!r}: {exc}") from None
    return url


def _files(paths: list[Path] | None, reader: object) -> Iterator[Item]:
    for path in paths or []:
        yield from reader(path)  # type: ignore[operator]


@app.command("arxiv")
def ingest_arxiv(
    file: list[Path] | None = FILES,
    base_url: str | None = BASE_URL,
    query: str | None = typer.Option(
        None, "--query", "-q", help="arXiv search_query, e.g. 'all:llm'"
    ),
    category: list[str] | None = typer.Option(
        None, "--category", "-c", help="e.g. cs.CL (repeatable)"
    ),
    id_list: list[str] | None = typer.Option(
        None, "--id", help="fetch these arXiv ids (repeatable)"
    ),
    date_from: str | None = typer.Option(None, "--from", help="submitted on or after (YYYY-MM-DD)"),
    date_until: str | None = typer.Option(None, "--until", help="submitted on or before"),
    max_results: int | None = typer.Option(None, "--max", help="stop after this many records"),
    page_size: int = typer.Option(200, "--page-size", min=1, max=2000),
    submit: bool = typer.Option(
        False, "--submit", help="put new papers in the daily list of their date"
    ),
    delay: float = DELAY,
    no_index: bool = NO_INDEX,
) -> None:
    """The arXiv API (Atom): a query, categories and a date window, paged politely."""
    items: Iterator[Item]
    if file:
        items = _files(file, lambda p: arxiv_api.read_file(p, submit=submit))
    else:
        if not (query or category or id_list):
            raise UsageError("give --file, or one of --query, --category, --id")
        fetcher = Fetcher(
            source="arxiv", min_interval=delay, allow_private=settings().fetch_allow_private
        )
        items = arxiv_api.fetch(
            fetcher,
            endpoint(base_url, arxiv_api.DEFAULT_BASE_URL),
            query=query,
            categories=category or [],
            id_list=id_list or [],
            date_from=parse_date(date_from, "--from"),
            date_until=parse_date(date_until, "--until"),
            max_results=max_results,
            page_size=page_size,
            submit=submit,
        )
    ingest_and_report("arxiv", items, index=not no_index)


@app.command("oai")
def ingest_oai(
    file: list[Path] | None = FILES,
    base_url: str | None = BASE_URL,
    metadata_prefix: str = typer.Option("arXiv", "--format", help="arXiv, arXivRaw or oai_dc"),
    set_spec: str | None = typer.Option(None, "--set", help="e.g. cs or physics:hep-th"),
    date_from: str | None = typer.Option(None, "--from", help="datestamp on or after (YYYY-MM-DD)"),
    date_until: str | None = typer.Option(None, "--until", help="datestamp on or before"),
    submit: bool = typer.Option(
        False, "--submit", help="put new papers in the daily list of their date"
    ),
    delay: float = DELAY,
    no_index: bool = NO_INDEX,
) -> None:
    """arXiv's OAI-PMH interface: ListRecords with resumption tokens."""
    if metadata_prefix not in oai.FORMATS:
        raise UsageError(
            f"--format must be one of {', '.join(oai.FORMATS)}, not {metadata_prefix!r}"
        )
    items: Iterator[Item]
    if file:
        items = _files(file, lambda p: oai.read_file(p, submit=submit))
    else:
        fetcher = Fetcher(
            source="oai", min_interval=delay, allow_private=settings().fetch_allow_private
        )
        items = oai.fetch(
            fetcher,
            endpoint(base_url, oai.DEFAULT_BASE_URL),
            metadata_prefix=metadata_prefix,
            set_spec=set_spec,
            date_from=parse_date(date_from, "--from"),
            date_until=parse_date(date_until, "--until"),
            submit=submit,
            cursors=oai.HarvestCursors(ready_engine()),
        )
    ingest_and_report("oai", items, index=not no_index)


@app.command("snapshot")
def ingest_snapshot(
    file: list[Path] = typer.Option(
        ..., "--file", "-f", help="arxiv-metadata-oai-snapshot JSON lines, plain or .gz"
    ),
    no_index: bool = NO_INDEX,
) -> None:
    """The arXiv metadata snapshot (Kaggle), streamed in constant memory."""
    ingest_and_report("snapshot", _files(file, snapshot.read_file), index=not no_index)


@app.command("hf")
def ingest_hf(
    file: list[Path] | None = FILES,
    base_url: str | None = BASE_URL,
    day: str | None = typer.Option(None, "--date", help="a daily list (YYYY-MM-DD)"),
    week: str | None = typer.Option(None, "--week", help="YYYY-Www"),
    month: str | None = typer.Option(None, "--month", help="YYYY-MM"),
    delay: float = typer.Option(1.0, "--delay", help="seconds between requests"),
    no_index: bool = NO_INDEX,
) -> None:
    """Hugging Face daily papers (files, or the API by date, week or month with paging)."""
    items: Iterator[Item]
    if file:
        items = _files(file, hf.read_file)
    else:
        if sum(x is not None for x in (day, week, month)) != 1:
            raise UsageError("give --file, or exactly one of --date, --week, --month")
        fetcher = Fetcher(
            source="hf", min_interval=delay, allow_private=settings().fetch_allow_private
        )
        items = hf.fetch(
            fetcher,
            endpoint(base_url, hf.DEFAULT_BASE_URL),
            date=parse_date(day, "--date"),
            week=week,
            month=month,
        )
    ingest_and_report("hf", items, index=not no_index)
