"""Who an author page is about, on real author lists (tests/fixtures/data/authors), both engines:
accents, initials and hyphens meet; namesakes and initials shared by several people stay apart and
the page says so; collaborations, single names and 1,800-author papers work; slugs are stable."""

from __future__ import annotations

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from paperwire.authors.identities import find_author, papers_of
from paperwire.authors.index import sync_authors
from paperwire.authors.names import name_slug
from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Paper, PaperAuthor
from paperwire.papers.store import upsert_papers
from paperwire.search.service import sync_index
from tests.authors.fixture import load, records


def test_one_person_under_several_spellings(loaded: Engine) -> None:
    with Session(loaded) as session:
        erick = find_author(session, "erick-oliveira-rodrigues")
        assert erick is not None and erick.slug == "erick-oliveira-rodrigues"
        assert {"Érick Oliveira Rodrigues", "E. O. Rodrigues", "É. O. Rodrigues"} <= set(
            erick.names
        )
        assert erick.name == "Erick Oliveira Rodrigues" and not erick.several
        assert len(erick.paper_ids) == 9
        for variant in ("e-o-rodrigues", "erick-o-rodrigues", "Érick-Oliveira-Rodrigues"):
            same = find_author(session, variant)
            assert same is not None and same.slug == erick.slug
        # E. H. / Everson H. Rodrigues (nuclear physics) is someone else
        everson = find_author(session, "everson-h-rodrigues")
        assert everson is not None and not set(everson.paper_ids) & set(erick.paper_ids)
        # F. Carichon: the one Carichon, in the same archive
        carichon = find_author(session, "f-carichon")
        assert carichon is not None and carichon.slug == "florian-carichon"
        assert len(carichon.paper_ids) == 2
        bjornson = find_author(session, "emil-bjornson")
        assert bjornson is not None and bjornson.name == "Emil Björnson"
        assert papers_of(session, "Emil Bjornson") == bjornson.paper_ids
        newest = session.scalars(
            select(Paper.published_at).where(Paper.id.in_(bjornson.paper_ids))
        ).all()
        dates = [
            session.scalar(select(Paper.published_at).where(Paper.id == pid))
            for pid in bjornson.paper_ids
        ]
        assert dates == sorted(newest, reverse=True)


def test_initials_shared_by_several_people_are_not_merged(loaded: Engine) -> None:
    with Session(loaded) as session:
        w = find_author(session, "w-zhang")
        assert w is not None and w.slug == "w-zhang" and w.several
        # a nuclear physics W. Zhang (STAR) and a W Zhang next to Wentao Zhang (DeepSeek)
        assert set(w.paper_ids) == {"2601.14884", "2606.19348"}
        assert {slug for _, slug in w.see_also} >= {"weinan-zhang", "wenjun-zhang"}
        weinan, wenjun = find_author(session, "weinan-zhang"), find_author(session, "wenjun-zhang")
        assert weinan and wenjun and not set(weinan.paper_ids) & set(wenjun.paper_ids)
        assert "2606.19348" not in weinan.paper_ids + wenjun.paper_ids
        wentao = find_author(session, "wentao-zhang")
        assert wentao is not None and wentao.paper_ids == ("2606.19348",)


def test_collaborations_single_names_and_huge_author_lists(loaded: Engine) -> None:
    with Session(loaded) as session:
        atlas = find_author(session, "atlas-collaboration")
        assert atlas is not None and atlas.paper_ids == ("2604.21670",) and not atlas.several
        lsst = find_author(session, "the-lsst-dark-energy-science-collaboration")
        assert lsst is not None and len(lsst.paper_ids) == 7  # "the" and "The" meet
        aditi = find_author(session, "aditi")
        assert aditi is not None and len(aditi.paper_ids) == 1
        big = session.scalar(select(func.max(PaperAuthor.position)))
        assert big is not None and big >= 573
        assert find_author(session, "nobody-here") is None
        assert find_author(session, "-") is None


def test_the_index_is_resumable_and_follows_changes(engine: Engine) -> None:
    load(engine)
    with Session(engine) as session:
        rows = session.scalar(select(func.count()).select_from(PaperAuthor))
    assert sync_authors(engine).papers == 0  # nothing left to do
    with Session(engine) as session:
        session.execute(
            update(Paper)
            .where(Paper.id == "2605.26719")
            .values(authors=["Emil Björnson", "Zoë Müller"], content_hash="changed")
        )
        session.execute(PaperAuthor.__table__.delete().where(PaperAuthor.paper_id.like("2606%")))
        session.commit()
    report = sync_authors(engine, batch=3)  # several small batches, as a rerun after a kill
    assert report.papers >= 2
    with Session(engine) as session:
        zoe = find_author(session, "Zoe-Muller")
        assert zoe is not None and zoe.name == "Zoë Müller" and zoe.paper_ids == ("2605.26719",)
        after = session.scalar(select(func.count()).select_from(PaperAuthor))
    assert after is not None and rows is not None and after < rows


def test_a_new_papers_authors_have_pages_once_it_is_searchable(
    env: dict[str, str], engine: Engine
) -> None:
    """Every surface that stores papers then calls ``sync_index`` (an ingest, a submission, the
    worker's harvest): the author links on the new cards must not wait for the enrich job."""
    with session_scope(engine) as session:
        upsert_papers(session, records()[:3])
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(PaperAuthor)) == 0
    sync_index(load_settings(), engine, embed=False)
    with Session(engine) as session:
        slug = name_slug(records()[0].authors[0])
        assert slug is not None
        found = find_author(session, slug)
        assert found is not None and records()[0].id in found.paper_ids
