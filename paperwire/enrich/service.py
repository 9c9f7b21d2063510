"""``enrich_papers``: keyphrases and a one-sentence summary for every paper whose source gave none,
stored in ``paper_enrichments`` (run by the worker's ``enrich`` job after the index job embeds).

Papers are taken in batches, each committed, so a run killed halfway is finished by the next; a
paper is done again only when its content changes. Papers with both from their source get an empty
row (nothing to add), so they are not looked at again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, or_, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper, PaperEnrichment
from paperwire.enrich import keyphrases, summary
from paperwire.papers.records import now_utc
from paperwire.search.embedder import Embedder, load_embedder, paper_text

BATCH = 32


@dataclass
class EnrichReport:
    papers: int = 0
    keyphrases: int = 0
    summaries: int = 0
    by_model: int = 0

    def summary(self) -> str:
        return (
            f"{self.papers} papers looked at: keyphrases for {self.keyphrases}, summaries for"
            f" {self.summaries} ({self.by_model} by the summariser)"
        )


@dataclass(frozen=True)
class Extracted:
    keyphrases: list[str]
    summary: str | None


def extract(embedder: Embedder, title: str, abstract: str) -> Extracted:
    """Keyphrases and the most central sentence of one paper, with one call to the model."""
    phrases = keyphrases.pool(title, abstract)
    said = summary.sentences(abstract)
    # three calls: texts of one kind are of similar length, so batches carry little padding
    doc = embedder.encode([paper_text(title, abstract)])[0]
    phrase_vectors = embedder.encode(phrases, batch_size=64) if phrases else None
    sentence_vectors = embedder.encode(said) if said else None
    chosen = (
        keyphrases.keyphrases(doc, phrases, phrase_vectors) if phrase_vectors is not None else []
    )
    central = said[summary.central(doc, sentence_vectors)] if sentence_vectors is not None else None
    return Extracted(chosen, central)


def _stale(limit: int) -> Any:
    return (
        select(Paper.id, Paper.title, Paper.abstract, Paper.extras, Paper.content_hash)
        .outerjoin(PaperEnrichment, PaperEnrichment.paper_id == Paper.id)
        .where(
            or_(
                PaperEnrichment.paper_id.is_(None),
                PaperEnrichment.content_hash != Paper.content_hash,
            )
        )
        .order_by(Paper.id)
        .limit(limit)
    )


def _row(settings: Settings, embedder: Embedder, paper: Any, report: EnrichReport) -> dict:
    extras = paper.extras if isinstance(paper.extras, dict) else {}
    has_keywords = bool(extras.get("ai_keywords"))
    has_summary = bool(extras.get("ai_summary"))
    row: dict[str, Any] = {
        "paper_id": paper.id,
        "keyphrases": [],
        "summary": None,
        "summary_origin": "extracted",
        "model": embedder.name,
        "content_hash": paper.content_hash,
        "computed_at": now_utc(),
    }
    if (has_keywords and has_summary) or not (paper.title or paper.abstract):
        return row
    found = extract(embedder, paper.title or "", paper.abstract or "")
    if not has_keywords and found.keyphrases:
        row["keyphrases"] = found.keyphrases
        report.keyphrases += 1
    if not has_summary:
        written = summary.llm_summary(settings, paper.title or "", paper.abstract or "")
        if written:
            row.update(summary=written, summary_origin="llm")
            report.by_model += 1
        else:
            row["summary"] = found.summary
        report.summaries += 1 if row["summary"] else 0
    return row


def enrich_papers(
    settings: Settings, engine: Engine, *, embedder: Embedder | None = None, batch: int = BATCH
) -> EnrichReport:
    """Extract keyphrases and a summary for every paper not done yet or changed since."""
    report = EnrichReport()
    model = embedder
    while True:
        with Session(engine) as session:
            todo = session.execute(_stale(batch)).all()
            if not todo:
                return report
            if model is None:
                model = load_embedder(settings)
            rows = [_row(settings, model, paper, report) for paper in todo]
            ids = [r["paper_id"] for r in rows]
            session.execute(delete(PaperEnrichment).where(PaperEnrichment.paper_id.in_(ids)))
            session.execute(insert(PaperEnrichment), rows)
            session.commit()
            report.papers += len(rows)
