"""One served instance per database, loaded with recorded Hugging Face lists, shared by every test
of this folder (ingest and indexing take most of the time)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from paperwire.accounts.tokens import create_token
from paperwire.db.engine import make_engine, session_scope
from paperwire.db.migrate import upgrade
from paperwire.db.models import User
from paperwire.papers.votes import all_voted, retract_vote
from tests.api.hf_data import Recorded, environment, hf_site, recorded_items
from tests.conftest import fresh_pg_database
from tests.web.members import add_member
from tests.web.served import Site

DATABASES: dict[str, str] = {}  # a loaded site's address -> its database URL


class _Sites:
    """The loaded sites of this test process, one per database engine, each built on first use
    and kept until the session ends. (A package fixture with the engine as its parameter was torn
    down and built again whenever the engine changed between two files xdist handed this process:
    each build ingests and embeds, ~10 s.) Its PostgreSQL database is its own, so the tests of other
    folders, which empty theirs, never touch it."""

    def __init__(self, stack: ExitStack, folder: Path, data: Path) -> None:
        self.stack, self.folder, self.data = stack, folder, data
        self.built: dict[str, Site] = {}

    def get(self, engine_name: str) -> Site:
        if engine_name not in self.built:
            folder = self.folder / engine_name
            folder.mkdir()
            if engine_name == "sqlite":
                url = f"sqlite:///{folder / 'paperwire.db'}"
                engine = make_engine(url)
                upgrade(engine)
                engine.dispose()
            else:
                url = self.stack.enter_context(fresh_pg_database())
            env = environment(url, folder / "home", PAPERWIRE_API_RATE_LIMIT="0")
            site = self.stack.enter_context(hf_site(env, self.data, folder))
            DATABASES[site.url] = url
            self.built[engine_name] = site
        return self.built[engine_name]


@pytest.fixture(scope="session")
def loaded_sites(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Iterator[_Sites]:
    with ExitStack() as stack:
        yield _Sites(stack, tmp_path_factory.mktemp("hf-sites"), shared_data)


@pytest.fixture(params=["sqlite", "postgresql"])
def loaded_site(request: pytest.FixtureRequest, loaded_sites: _Sites) -> Site:
    """A served instance loaded with recorded Hugging Face lists (read only: tests that add
    anything take it back)."""
    return loaded_sites.get(request.param)


@pytest.fixture
def member_token(loaded_site: Site) -> Iterator[str]:
    """An API token of a new member of the loaded site, made in its database as the settings page
    would. Afterwards their votes are taken back and the member goes with all else they did
    (comments, collections: the foreign keys cascade), so the site stays as recorded for the
    other tests of this folder."""
    engine = make_engine(DATABASES[loaded_site.url])
    add_member(engine, "fuzzer")
    with session_scope(engine) as session:
        member = session.scalars(select(User).where(User.username == "fuzzer")).one()
        secret = create_token(session, member, "schemathesis").secret
    try:
        yield secret
    finally:
        with session_scope(engine) as session:
            member = session.scalars(select(User).where(User.username == "fuzzer")).one()
            # Through the service: a paper keeps its vote count, which a cascade would not lower.
            for paper_id in all_voted(session, member.id):
                retract_vote(session, member.id, paper_id)
            session.execute(delete(User).where(User.id == member.id))
        engine.dispose()


@pytest.fixture(scope="package")
def recording(shared_data: Path) -> dict[str, Recorded]:
    return recorded_items(shared_data)
