"""A paper as Markdown (``GET /papers/{id}.md``), from the read model's ``PaperView``, as the paper page shows it."""

from __future__ import annotations

from paperwire.papers.links import safe_url
from paperwire.papers.readmodel import PaperView
from paperwire.papers.records import storable_text


def paper_markdown(paper: PaperView, page_url: str) -> str:
    """Title, authors, dates, links and abstract of ``paper`` as one Markdown document."""
    lines = [f"# {' '.join(paper.title.split())}", ""]
    if paper.authors:
        lines += [f"**Authors:** {', '.join(paper.authors)}", ""]
    facts = []
    if paper.published_at:
        facts.append(f"Published: {paper.published_at:%Y-%m-%d}")
    if paper.entry:
        facts.append(f"Daily list: {paper.entry.list_date.isoformat()}")
    facts.append(f"Upvotes: {paper.upvotes}")
    if paper.categories:
        facts.append(f"Categories: {', '.join(paper.categories)}")
    lines += [" · ".join(facts), ""]
    links = [("Paper page", page_url)]
    if paper.abs_url:
        links.append(("arXiv", paper.abs_url))
    if paper.pdf_url:
        links.append(("PDF", paper.pdf_url))
    # Stored links come from ingested data: only http(s) ones are written out.
    links += [("Code", url) for url in map(safe_url, paper.code_links) if url]
    links += [("Project page", url) for url in map(safe_url, paper.project_links) if url]
    if paper.doi:
        links.append(("DOI", f"https://doi.org/{paper.doi}"))
    lines += [f"- {label}: <{url}>" for label, url in links]
    lines += ["", "## Abstract", ""]
    for paragraph in paper.abstract_paragraphs:
        lines += [" ".join(paragraph.split()), ""]
    if paper.ai_summary:
        lines += ["## AI summary", "", paper.ai_summary, ""]
    # Text stored before ingest screened it may hold control characters: never write them out.
    return storable_text("\n".join(lines).rstrip() + "\n")
