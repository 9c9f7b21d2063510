"""Squatting author pages, both engines: a member's claims are capped and rate limited (one member
once claimed 115 pages in 22 s), and a moderator refuses all of a member's claims at once, which
frees those authors for their real owners and unmarks the papers of approved ones."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from paperwire.accounts.users import create_user
from paperwire.authors import claims
from paperwire.authors.identities import find_author
from paperwire.authors.index import sync_authors
from paperwire.authors.names import name_slug
from paperwire.config import Settings, load_settings
from paperwire.db.models import AuthorClaim, PaperAuthor, User
from paperwire.errors import ClaimRefused, Forbidden, RateLimited, UsageError
from tests.web.members import add_member, post_form, signed_in
from tests.web.served import load_sample, start_site


def _member(session: Session, name: str, role: str = "member") -> User:
    return create_user(session, name, f"{name}@example.org", "a long password 123", role)


def _claimable(session: Session, count: int) -> list[str]:
    """``count`` author slugs of the real lists, each one person (claimable)."""
    found: list[str] = []
    names = session.scalars(select(PaperAuthor.name).distinct().order_by(PaperAuthor.name))
    for name in names:
        slug = name_slug(name)
        author = find_author(session, slug) if slug else None
        if author and not author.several and author.slug not in found:
            found.append(author.slug)
            if len(found) == count:
                return found
    raise AssertionError("the fixture has too few authors")


def _settings(loaded: Engine, **values: int) -> Settings:
    return replace(load_settings({"PAPERWIRE_DATABASE_URL": str(loaded.url)}), **values)


def test_a_member_holds_at_most_the_cap_of_claims(loaded: Engine) -> None:
    settings = _settings(loaded, claims_per_member=5, claim_rate_limit=0)
    with Session(loaded) as session:
        squatter, author = _member(session, "squatter"), _member(session, "real")
        slugs = _claimable(session, 7)
        for slug in slugs[:5]:
            claims.request_claim(session, settings, squatter, slug)
        with pytest.raises(ClaimRefused, match="already hold 5 authorship claims"):
            claims.request_claim(session, settings, squatter, slugs[5])
        # a refused claim no longer counts against the cap
        mod = _member(session, "mod", "moderator")
        first = session.scalars(select(AuthorClaim).where(AuthorClaim.slug == slugs[0])).one()
        claims.decide_claim(session, mod, first.id, False)
        claims.request_claim(session, settings, squatter, slugs[5])
        # other members are not held by the squatter's cap
        claims.request_claim(session, settings, author, slugs[6])
        session.rollback()


def test_a_member_makes_at_most_the_rate_of_claims_an_hour(loaded: Engine) -> None:
    settings = _settings(loaded, claims_per_member=0, claim_rate_limit=3)
    with Session(loaded) as session:
        squatter, other = _member(session, "squatter"), _member(session, "other")
        slugs = _claimable(session, 5)
        for slug in slugs[:3]:
            claims.request_claim(session, settings, squatter, slug)
        with pytest.raises(RateLimited) as refused:
            claims.request_claim(session, settings, squatter, slugs[3])
        assert refused.value.limit == 3 and 0 < refused.value.retry_after <= 3600
        claims.request_claim(session, settings, other, slugs[4])
        session.rollback()


def test_the_defaults_stop_a_squatter_at_five(loaded: Engine) -> None:
    settings = _settings(loaded)
    assert (settings.claims_per_member, settings.claim_rate_limit) == (5, 5)
    with Session(loaded) as session:
        squatter = _member(session, "squatter")
        made = 0
        for slug in _claimable(session, 20):
            try:
                claims.request_claim(session, settings, squatter, slug)
                made += 1
            except (ClaimRefused, RateLimited):
                pass
        assert made == 5
        session.rollback()


def test_a_moderator_clears_a_member_s_claims_at_once(loaded: Engine) -> None:
    settings = _settings(loaded, claims_per_member=0, claim_rate_limit=0)
    with Session(loaded) as session:
        squatter, real = _member(session, "squatter"), _member(session, "real")
        mod = _member(session, "mod", "moderator")
        slugs = _claimable(session, 4)
        made = [claims.request_claim(session, settings, squatter, slug) for slug in slugs[:3]]
        claims.request_claim(session, settings, real, slugs[3])
        claims.decide_claim(session, mod, made[0].id, True)  # approved by mistake
        marked = select(func.count()).where(PaperAuthor.claimed_by_id == squatter.id)
        assert session.scalar(marked)
        assert claims.claimants(session) == [("squatter", 3), ("real", 1)]
        with pytest.raises(Forbidden):
            claims.clear_claims(session, real, "squatter")
        with pytest.raises(UsageError, match="no member nobody"):
            claims.clear_claims(session, mod, "nobody")
        assert claims.clear_claims(session, mod, "SQUATTER") == 3
        assert session.scalar(marked) == 0
        assert [c.user_id for c, _ in claims.pending_claims(session)] == [real.id]
        assert claims.claimants(session) == [("real", 1)]
        # the freed authors can be claimed by their owners
        for slug in slugs[:3]:
            claims.request_claim(session, settings, real, slug)
        assert claims.clear_claims(session, mod, "squatter") == 0
        session.rollback()


def test_squatting_over_http_and_clearing_from_the_moderation_page(
    engine: Engine, env: dict[str, str], tmp_path: Path
) -> None:
    load_sample(engine)
    sync_authors(engine)
    add_member(engine, "squatter")
    add_member(engine, "mod", "moderator")
    env = {**env, "PAPERWIRE_CLAIMS_PER_MEMBER": "3"}
    with start_site(env, tmp_path / "serve.log") as site:
        squatter = signed_in(site, "squatter")
        answers = [
            post_form(squatter, f"/authors/author-{i}", f"/authors/author-{i}/claim", {})
            for i in range(1, 6)
        ]
        assert [a.status_code for a in answers] == [303, 303, 303, 409, 409]
        assert "already hold 3 authorship claims" in answers[3].text
        mod = signed_in(site, "mod")
        page = mod.get("/moderation").text
        assert "<strong>squatter</strong> holds 3 claims" in page
        cleared = post_form(mod, "/moderation", "/moderation/claims/clear", {"member": "squatter"})
        assert cleared.status_code == 303, cleared.text
        assert "No claim waits" in mod.get("/moderation").text
        refused = post_form(squatter, "/settings", "/moderation/claims/clear", {"member": "mod"})
        assert refused.status_code == 403
    with Session(engine) as session:
        statuses = session.scalars(select(AuthorClaim.status)).all()
        assert statuses == ["refused"] * 3
