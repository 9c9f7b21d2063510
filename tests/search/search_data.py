"""Papers for search tests and the helpers that write them into the test's real database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, update

from paperwire.db.engine import session_scope
from paperwire.db.models import Paper
from paperwire.papers.records import PaperRecord
from paperwire.papers.store import upsert_papers


def paper(
    pid: str,
    title: str,
    abstract: str,
    *,
    authors: tuple[str, ...] = ("Ada Lovelace",),
    categories: tuple[str, ...] = ("cs.CL",),
    published: datetime = datetime(2026, 6, 1, 12),
    version: int = 1,
    baseline: int = 0,
) -> PaperRecord:
    return PaperRecord(
        id=pid,
        arxiv_id=pid,
        version=version,
        title=title,
        abstract=abstract,
        authors=list(authors),
        categories=list(categories),
        published_at=published,
        source="test",
        upvotes_baseline=baseline,
    )


CORPUS = [
    paper(
        "2606.00001",
        "Retrieval-augmented generation for open-domain question answering",
        "We combine a dense passage retriever with a sequence-to-sequence generator. "
        "Retrieval of passages improves factual answers to open-domain questions.",
        authors=("Patrick Lewis", "Ethan Perez"),
        categories=("cs.CL", "cs.AI"),
        published=datetime(2026, 5, 20, 9),
        baseline=40,
    ),
    paper(
        "2606.00002",
        "Graph neural networks for molecule property prediction",
        "Message passing graph networks predict quantum chemical properties of molecules "
        "and outperform fingerprints on drug discovery benchmarks.",
        authors=("Justin Gilmer", "Samuel Schoenholz"),
        categories=("cs.LG", "q-bio.BM"),
        published=datetime(2026, 5, 25, 9),
        baseline=5,
    ),
    paper(
        "2606.00003",
        "Dark matter halos in cosmological simulations",
        "We measure the density profiles of dark matter halos in large N-body simulations "
        "and compare them with galaxy rotation curves.",
        authors=("Julio Navarro", "Carlos Frenk"),
        categories=("astro-ph.CO",),
        published=datetime(2026, 6, 1, 9),
        baseline=12,
    ),
    paper(
        "2606.00004",
        "Large language models as zero-shot reasoners",
        "Large language models solve arithmetic and symbolic reasoning tasks when prompted "
        "to think step by step, without any task-specific examples.",
        authors=("Takeshi Kojima", "Yusuke Iwasawa"),
        categories=("cs.CL",),
        published=datetime(2026, 6, 2, 9),
        baseline=90,
    ),
    paper(
        "2606.00005",
        "Scaling laws for neural language models",
        "Language model loss follows a power law in model size, data size and compute; "
        "larger models are more sample efficient.",
        authors=("Jared Kaplan", "Sam McCandlish"),
        categories=("cs.LG", "cs.CL"),
        published=datetime(2026, 6, 3, 9),
        baseline=60,
    ),
    paper(
        "2606.00006",
        "Protein structure prediction with deep learning",
        "An attention-based network predicts the three-dimensional structure of proteins "
        "from their amino acid sequence with atomic accuracy.",
        authors=("John Jumper", "Demis Hassabis"),
        categories=("q-bio.BM", "cs.LG"),
        published=datetime(2026, 6, 4, 9),
        baseline=70,
    ),
]

# A backlog's topics: papers of one topic are near each other by meaning.
TOPICS = (
    "protein folding predicted by deep neural networks",
    "gravitational lensing by galaxy clusters",
    "speech recognition in noisy rooms",
    "graph neural networks for molecule property prediction",
    "reinforcement learning for robot grasping",
    "superconductivity in layered materials",
    "machine translation of low resource languages",
    "bayesian inference for epidemic models",
)


def backlog(count: int) -> list[PaperRecord]:
    """``count`` short papers (2608.00000, ...) on ``TOPICS`` in turn, each with a word of its
    own: paper i says ``tag`` and i in four digits."""
    return [
        paper(
            f"2608.{i:05d}",
            f"{TOPICS[i % len(TOPICS)].capitalize()}, study {i}",
            f"We study {TOPICS[i % len(TOPICS)]} and report tag{i:04d} on a new benchmark.",
        )
        for i in range(count)
    ]


def add(engine: Engine, *records: PaperRecord) -> None:
    with session_scope(engine) as session:
        upsert_papers(session, records)


def hide(engine: Engine, paper_id: str) -> None:
    with session_scope(engine) as session:
        session.execute(update(Paper).where(Paper.id == paper_id).values(hidden=True))
