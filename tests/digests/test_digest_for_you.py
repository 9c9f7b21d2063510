"""A subscriber who is a member gets a "For you" section ranked from their own signals (the
recorded Hugging Face list of ``data/``, embedded by the shipped model); a subscriber who is not
a member, or a member who gave no signal, gets none (SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from paperwire.config import load_settings
from paperwire.db.engine import session_scope
from paperwire.db.models import Subscription, User
from paperwire.digests import compose
from paperwire.papers.records import PaperRecord
from paperwire.papers.votes import cast_vote
from paperwire.recommend.feedback import give_feedback
from tests.digests.support import add_subscribers
from tests.digests.test_digest_content import DAY, recorded_day  # noqa: F401  (a fixture)
from tests.web.members import add_member


def test_a_members_digest_has_a_for_you_section(
    engine: Engine,
    recorded_day: dict[str, PaperRecord],  # noqa: F811
) -> None:
    settings = load_settings()
    member, stranger = add_subscribers(engine, 2)
    user_id = add_member(engine, "reader")
    with session_scope(engine) as session:
        session.execute(
            update(Subscription).where(Subscription.email == member).values(user_id=user_id)
        )
    content = compose.PeriodContent(settings, engine, compose.period_for("daily", DAY))
    with session_scope(engine) as session:
        sub = session.scalars(select(Subscription).where(Subscription.email == member)).one()
        assert "For you" not in [s.title for s in compose.compose(session, content, sub).sections]
        liked = content.new_ids[-1]  # the day's least upvoted: in no trending section
        user = session.get(User, user_id)
        assert user is not None
        give_feedback(session, user, liked, "more_like_this")
        session.flush()
        digest = compose.compose(session, content, sub)
        sections = {s.title: s for s in digest.sections}
        assert [t for t in sections if t in ("Trending", "For you")][-1] == "For you"
        section = sections["For you"]
        assert section.papers[0].id == liked and len(section.papers) > 1
        trending = {p.id for p in sections["Trending"].papers} if "Trending" in sections else set()
        assert not trending & {p.id for p in section.papers}
        # Upvoted, it is the member's own pick: never recommended back to them (issue 20).
        cast_vote(session, user_id, liked)
        session.flush()
        again = {s.title: s for s in compose.compose(session, content, sub).sections}
        assert liked not in {p.id for p in again["For you"].papers}
        other = session.scalars(select(Subscription).where(Subscription.email == stranger)).one()
        assert "For you" not in [s.title for s in compose.compose(session, content, other).sections]
