"""Votes, comments, moderation, settings and the admin digest page through a real ``paperwire
serve`` process, as forms post them (and as static/vote.js posts a vote)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine, select, update

from paperwire.db.engine import session_scope
from paperwire.db.models import Comment, DailyEntry, Subscription
from paperwire.papers.records import now_utc
from paperwire.ratelimit import LIMITS
from tests.web.members import add_member, client, csrf_token, post_form, signed_in
from tests.web.served import Site

PAPER = "/papers/2406.00001"  # five imported upvotes


def _count(page: httpx.Response, paper: str = PAPER) -> int:
    form = re.search(rf'action="{re.escape(paper)}/vote".*?votes-count">(\d+)<', page.text, re.S)
    assert form, "no vote form for the paper"
    return int(form.group(1))


def _vote(browser: httpx.Client, action: str, **headers: str) -> httpx.Response:
    token = csrf_token(browser.get(PAPER).text)
    data = {"action": action, "csrf_token": token, "next": "/papers/date/2026-06-05"}
    return browser.post(PAPER + "/vote", data=data, headers=headers)


def test_a_vote_counts_once_and_can_be_taken_back(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    ada = signed_in(site, "ada")
    assert _count(ada.get(PAPER)) == 5
    first = _vote(ada, "vote")
    assert first.status_code == 303 and first.headers["location"] == "/papers/date/2026-06-05"
    again = _vote(ada, "vote", accept="application/json")
    assert again.json() == {"paper_id": "2406.00001", "voted": True, "upvotes": 6}
    page = ada.get(PAPER)
    assert _count(page) == 6 and 'aria-pressed="true"' in page.text
    assert _count(ada.get("/papers/date/2026-06-05")) == 6
    assert _vote(ada, "unvote", accept="application/json").json()["upvotes"] == 5
    assert _vote(ada, "unvote", accept="application/json").json()["voted"] is False
    assert _count(ada.get(PAPER)) == 5


def test_visitors_cannot_vote_and_votes_need_the_csrf_token(site: Site, engine: Engine) -> None:
    anonymous = client(site)
    page = anonymous.get(PAPER)
    assert 'href="/login?next=/papers/2406.00001"' in page.text and "data-vote" not in page.text
    refused = post_form(anonymous, "/login", PAPER + "/vote", {"action": "vote"})
    assert refused.status_code == 401 and "Please sign in" in refused.text
    add_member(engine, "ada")
    ada = signed_in(site, "ada")
    assert ada.post(PAPER + "/vote", data={"action": "vote"}).status_code == 403
    assert post_form(ada, PAPER, "/papers/2406.00004/vote", {}).status_code == 404  # hidden
    assert _count(ada.get(PAPER)) == 5


def _comment(browser: httpx.Client, body: str) -> int:
    answer = post_form(browser, PAPER, PAPER + "/comments", {"body": body})
    assert answer.status_code == 303, answer.text
    return int(answer.headers["location"].rsplit("#comment-", 1)[1])


def test_only_the_author_edits_or_deletes_a_comment(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    add_member(engine, "bob")
    ada, bob = signed_in(site, "ada"), signed_in(site, "bob")
    cid = _comment(ada, "Looks **solid**")
    page = client(site).get(PAPER)
    assert "Looks <strong>solid</strong>" in page.text
    assert "1 comment<" in client(site).get("/papers/date/2026-06-05").text
    for action in ("edit", "delete"):
        answer = post_form(bob, PAPER, f"/comments/{cid}/{action}", {"body": "defaced"})
        assert answer.status_code == 403 and "Only its author" in answer.text
    assert post_form(ada, PAPER, f"/comments/{cid}/edit", {"body": "Looks fine"}).status_code == 303
    assert "Looks fine" in client(site).get(PAPER).text
    assert post_form(ada, PAPER, f"/comments/{cid}/delete", {}).status_code == 303
    assert "Looks fine" not in client(site).get(PAPER).text
    empty = post_form(ada, PAPER, PAPER + "/comments", {"body": "  "})
    assert empty.status_code == 400 and "the comment is empty" in empty.text


def test_a_moderator_hides_a_comment_and_a_paper(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    add_member(engine, "mod", "moderator")
    ada, mod = signed_in(site, "ada"), signed_in(site, "mod")
    cid = _comment(ada, "spam spam spam")
    assert post_form(ada, PAPER, f"/comments/{cid}/hide", {}).status_code == 403
    assert post_form(mod, PAPER, f"/comments/{cid}/hide", {}).status_code == 303
    assert "spam spam spam" not in client(site).get(PAPER).text
    assert "Hidden by a moderator" in ada.get(PAPER).text  # the author sees what happened
    assert "spam spam spam" in mod.get("/moderation").text
    assert ada.get("/moderation").status_code == 403

    hidden = post_form(mod, PAPER, PAPER + "/hide", {})
    assert hidden.status_code == 303 and hidden.headers["location"] == "/moderation"
    assert client(site).get(PAPER).status_code == 404
    assert "Alpha: a paper" not in client(site).get("/papers/date/2026-06-05").text
    assert "Alpha: a paper" in mod.get("/moderation").text
    assert post_form(mod, "/moderation", PAPER + "/unhide", {}).status_code == 303
    assert client(site).get(PAPER).status_code == 200


def test_comments_are_rate_limited_per_member(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    ada = signed_in(site, "ada")
    token = csrf_token(ada.get(PAPER).text)
    codes = [
        ada.post(PAPER + "/comments", data={"body": f"note {i}", "csrf_token": token}).status_code
        for i in range(LIMITS["comment"].count + 1)
    ]
    assert codes == [303] * LIMITS["comment"].count + [429]


def test_settings_show_the_members_digest_and_admins_open_the_digest_page(
    site: Site, engine: Engine
) -> None:
    ada_id = add_member(engine, "ada")
    add_member(engine, "root", "admin")
    with session_scope(engine) as session:
        now = now_utc()
        session.add(
            Subscription(
                email="ada@example.org", user_id=ada_id, frequency="weekly", topics=["graphs"],
                categories=[], status="active", created_at=now, updated_at=now,
            )
        )  # fmt: skip
    ada = signed_in(site, "ada")
    settings = ada.get("/settings")
    assert "weekly digest, active, topics: graphs" in settings.text
    assert "/subscribe/manage/" in settings.text
    assert ada.get("/admin/digests").status_code == 403
    anonymous = client(site).get("/admin/digests")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    admin = signed_in(site, "root").get("/admin/digests")
    assert admin.status_code == 200 and "Digest deliveries" in admin.text
    assert 'action="/admin/digests/preview"' in admin.text


def test_stored_comment_html_is_what_the_page_shows(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    cid = _comment(signed_in(site, "ada"), "<script>alert('x')</script> [a](javascript:alert(1))")
    with session_scope(engine) as session:
        stored = session.scalars(select(Comment.body_html).where(Comment.id == cid)).one()
    page = client(site).get(PAPER).text
    assert stored in page
    assert "<script>alert" not in page and 'href="javascript' not in page


def test_a_member_subscribing_their_own_address_sees_it_in_settings(
    site: Site, engine: Engine
) -> None:
    add_member(engine, "ada")
    ada = signed_in(site, "ada")
    assert 'value="ada@example.org"' in ada.get("/subscribe").text
    done = post_form(
        ada, "/subscribe", "/subscribe", {"email": "ada@example.org", "frequency": "daily"}
    )
    assert done.status_code == 200 and "Check your inbox" in done.text
    assert "daily digest, pending" in ada.get("/settings").text
    # Another address typed by the member is not theirs to manage from settings.
    add_member(engine, "bob")
    bob = signed_in(site, "bob")
    post_form(
        bob, "/subscribe", "/subscribe", {"email": "someone@example.org", "frequency": "daily"}
    )
    assert "You get no digest" in bob.get("/settings").text


def test_the_discussion_counts_the_comments_it_lists_and_links_the_imported_ones(
    site: Site, engine: Engine
) -> None:
    with session_scope(engine) as session:
        session.execute(
            update(DailyEntry)
            .where(DailyEntry.paper_id == "2406.00001")
            .values(source="hf", imported_comments=2)
        )
    page = client(site).get(PAPER).text
    heading = re.search(r'<h2 id="discussion-title">(.*?)</h2>', page, re.S)
    assert heading and " ".join(re.sub(r"<[^>]+>", " ", heading.group(1)).split()) == (
        "Discussion (0)"
    )
    assert "No comments here yet" in page
    assert (
        '2 comments on <a href="https://huggingface.co/papers/2406.00001" rel="noopener">'
        "Hugging Face</a>" in page
    )
    add_member(engine, "ada")
    _comment(signed_in(site, "ada"), "A local comment")
    page = client(site).get(PAPER).text
    assert 'Discussion <span class="muted">(1)</span>' in page
    # A paper from a source without a discussion of its own links nowhere.
    assert "huggingface.co/papers" not in client(site).get("/papers/2406.00002").text
