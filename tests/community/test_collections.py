"""Collections through the service, on SQLite and PostgreSQL: who may see and change what."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from paperwire.accounts.users import create_user
from paperwire.community import collections
from paperwire.db.models import Paper, User
from paperwire.errors import CollectionNotFound, PaperNotFound, UsageError
from tests.web.served import load_sample


def _members(session: Session) -> tuple[User, User]:
    ada = create_user(session, "ada", "ada@example.org", "correct-horse-battery")
    bob = create_user(session, "bob", "bob@example.org", "correct-horse-battery")
    return ada, bob


def test_a_collection_is_made_filled_and_emptied(engine: Engine) -> None:
    load_sample(engine)
    with Session(engine, expire_on_commit=False) as session:
        ada, _ = _members(session)
        reading = collections.create_collection(session, ada, "  Reading   group ")
        again = collections.create_collection(session, ada, "Reading group!")
        assert (reading.name, reading.slug, again.slug) == (
            "Reading group",
            "reading-group",
            "reading-group-2",
        )
        assert collections.add_paper(session, ada, reading.id, "2406.00005")
        assert not collections.add_paper(session, ada, reading.id, "2406.00005")
        assert collections.add_paper(session, ada, reading.id, "2406.00006")  # in no daily list
        session.commit()
        page = collections.collection_page(session, "ada", "reading-group", ada)
        assert sorted(c.id for c in page.papers) == ["2406.00005", "2406.00006"]
        assert page.summary.paper_count == 2 and page.is_owner
        assert collections.remove_paper(session, ada, reading.id, "2406.00005")
        assert not collections.remove_paper(session, ada, reading.id, "2406.00005")
        held = collections.memberships(session, ada, "2406.00006")
        assert sorted((m.slug, m.contains) for m in held) == [
            ("reading-group", True),
            ("reading-group-2", False),
        ]
        renamed = collections.update_collection(session, ada, reading.id, name="Journal club")
        assert renamed.slug == "journal-club"
        collections.delete_collection(session, ada, again.id)
        session.commit()
        assert [c.slug for c in collections.member_collections(session, "ada", ada)] == [
            "journal-club"
        ]


def test_private_collections_are_invisible_and_others_cannot_change_them(engine: Engine) -> None:
    load_sample(engine)
    with Session(engine, expire_on_commit=False) as session:
        ada, bob = _members(session)
        secret = collections.create_collection(session, ada, "Secret")
        shared = collections.create_collection(session, ada, "Shared", is_public=True)
        session.commit()
        for viewer in (None, bob):
            with pytest.raises(CollectionNotFound):
                collections.collection_page(session, "ada", "secret", viewer)
            assert [c.slug for c in collections.member_collections(session, "ada", viewer)] == [
                "shared"
            ]
        assert collections.collection_page(session, "ada", "shared", None).is_owner is False
        for change in (
            lambda: collections.add_paper(session, bob, shared.id, "2406.00001"),
            lambda: collections.remove_paper(session, bob, shared.id, "2406.00001"),
            lambda: collections.update_collection(session, bob, secret.id, is_public=True),
            lambda: collections.delete_collection(session, bob, shared.id),
        ):
            with pytest.raises(CollectionNotFound):
                change()
        collections.update_collection(session, ada, secret.id, is_public=True)
        assert collections.collection_page(session, "ada", "secret", bob).summary.is_public
        with pytest.raises(CollectionNotFound):
            collections.member_collections(session, "nobody", None)


def test_bad_names_and_hidden_or_unknown_papers_are_refused(engine: Engine) -> None:
    load_sample(engine)
    with Session(engine, expire_on_commit=False) as session:
        ada, _ = _members(session)
        for name in ("   ", "x" * 201):
            with pytest.raises(UsageError):
                collections.create_collection(session, ada, name)
        box = collections.create_collection(session, ada, "Σ-algebras ∞")
        assert box.slug == "algebras"
        session.execute(update(Paper).where(Paper.id == "2406.00001").values(hidden=True))
        for paper in ("2406.00001", "2406.99999"):
            with pytest.raises(PaperNotFound):
                collections.add_paper(session, ada, box.id, paper)
