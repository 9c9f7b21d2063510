"""Claimed authorship and follows on the real author lists, both engines: a claim waits, a second
one is refused saying why, a moderator decides, and the HF-shaped API and the author page report
the member; follows of authors (any spelling), categories and keyphrases filter a day's list and
give the digest its "From authors you follow"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from paperwire.accounts.users import create_user
from paperwire.authors import claims
from paperwire.authors.pages import author_page
from paperwire.community import follows
from paperwire.config import load_settings
from paperwire.db.models import Subscription, User
from paperwire.digests.compose import FOLLOWED, PeriodContent, compose, period_for
from paperwire.errors import AuthorNotFound, ClaimRefused, Forbidden, UsageError
from paperwire.papers.readmodel import load_paper
from paperwire.papers.records import now_utc
from paperwire.web.api.schemas import AuthorPagePublic, PaperPublic
from tests.conftest import TEST_SECRET


def _member(session: Session, name: str, role: str = "member") -> User:
    return create_user(session, name, f"{name}@example.org", "a long password 123", role)


def test_a_claim_waits_is_approved_and_shows_in_the_hf_shape(loaded: Engine) -> None:
    settings = load_settings({"PAPERWIRE_DATABASE_URL": str(loaded.url)})
    with Session(loaded) as session:
        erick, other = _member(session, "erick"), _member(session, "impostor")
        mod = _member(session, "moderator1", "moderator")
        made = claims.request_claim(session, settings, erick, "e-o-rodrigues")  # any spelling
        assert made.slug == "erick-oliveira-rodrigues" and made.status == "pending"
        with pytest.raises(ClaimRefused, match="already claimed: a claim by another member is"):
            claims.request_claim(session, settings, other, "erick-oliveira-rodrigues")
        with pytest.raises(ClaimRefused, match="a claim by you is waiting"):
            claims.request_claim(session, settings, erick, "Erick-Oliveira-Rodrigues")
        with pytest.raises(ClaimRefused, match="may cover several people"):
            claims.request_claim(session, settings, other, "w-zhang")
        with pytest.raises(AuthorNotFound):
            claims.request_claim(session, settings, other, "nobody-at-all")
        with pytest.raises(Forbidden):
            claims.decide_claim(session, other, made.id, True)
        assert [c.id for c, name in claims.pending_claims(session)] == [made.id]
        claims.decide_claim(session, mod, made.id, True)
        with pytest.raises(ClaimRefused, match="already approved"):
            claims.decide_claim(session, mod, made.id, False)
        session.commit()
        page = author_page(session, "erick-oliveira-rodrigues", viewer_id=erick.id)
        assert page.author.claimed_by == "erick" and page.own_claim == "approved"
        shown = AuthorPagePublic.of(page)
        assert shown.status == "claimed_verified" and shown.user and shown.user.user == "erick"
        # an initials-only spelling on another paper is reported claimed too
        paper = load_paper(session, "2605.17673")
        assert paper is not None
        authors = PaperPublic.of(paper).model_dump(exclude_none=True)["authors"]
        claimed = [a for a in authors if a.get("status")]
        assert [a["name"] for a in claimed] in (["E. O. Rodrigues"], ["É. O. Rodrigues"])
        assert claimed[0]["user"]["user"] == "erick"
        with pytest.raises(ClaimRefused, match="already claimed: a claim by another member has"):
            claims.request_claim(session, settings, other, "erick-oliveira-rodrigues")
        refused = claims.request_claim(session, settings, other, "emil-bjornson")
        claims.decide_claim(session, mod, refused.id, False)
        assert author_page(session, "emil-bjornson").author.claimed_by is None
        session.rollback()


def test_follows_filter_a_day_and_feed_the_digest(loaded: Engine) -> None:
    with Session(loaded) as session:
        reader = _member(session, "reader")
        assert follows.follow(session, reader, "author", "Emil-Bjornson").value == "emil-bjornson"
        follows.follow(session, reader, "author", "emil-bjornson")  # twice is once
        follows.follow(session, reader, "category", "hep-ex")
        follows.follow(session, reader, "keyphrase", "  Speculative   Decoding ")
        assert [(f.kind, f.value) for f in follows.followed(session, reader.id)] == [
            ("author", "emil-bjornson"),
            ("category", "hep-ex"),
            ("keyphrase", "speculative decoding"),
        ]
        with pytest.raises(UsageError, match="kind: one of author, category, keyphrase"):
            follows.follow(session, reader, "institution", "CERN")
        with pytest.raises(UsageError, match="value: name the category"):
            follows.follow(session, reader, "category", "  ")
        with pytest.raises(AuthorNotFound):
            follows.follow(session, reader, "author", "nobody-at-all")
        day = follows.followed_daily(session, reader.id, date(2026, 5, 27))
        assert [p.id for p in day.papers] == ["2605.26719"] and day.total == 1
        physics = follows.followed_daily(session, reader.id, date(2026, 4, 23))
        assert [p.id for p in physics.papers] == ["2604.21670"]  # ATLAS, in hep-ex
        session.add(
            Subscription(
                email="reader@example.org",
                user_id=reader.id,
                frequency="weekly",
                status="active",
                created_at=now_utc(),
                updated_at=now_utc(),
            )
        )
        session.commit()
        sub = session.query(Subscription).filter_by(user_id=reader.id).one()
        settings = load_settings(
            {"PAPERWIRE_DATABASE_URL": str(loaded.url), "PAPERWIRE_SECRET_KEY": TEST_SECRET}
        )
        content = PeriodContent(settings, loaded, period_for("weekly", date(2026, 6, 3)))
        digest = compose(session, content, sub)
        assert digest.sections[0].title == FOLLOWED
        assert [p.id for p in digest.sections[0].papers] == ["2606.03912"]
        follows.unfollow(session, reader, "author", "emil-bjornson")
        assert follows.followed_daily(session, reader.id, date(2026, 5, 27)).papers == []
        assert compose(session, content, sub).sections[0].title != FOLLOWED
        session.rollback()
