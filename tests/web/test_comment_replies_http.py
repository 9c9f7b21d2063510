"""Replies through a real ``paperwire serve`` (issue 20): the form and the API answer a comment,
the page nests the reply under it, TeX in a comment is marked for KaTeX, and the card's count is
the number of comments the page lists, before and after a moderator hides one (both engines)."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Engine

from paperwire.accounts.tokens import create_token
from paperwire.db.engine import session_scope
from paperwire.db.models import User
from tests.web.members import add_member, client, post_form, signed_in
from tests.web.served import Site

PAPER = "/papers/2406.00001"
DAY = "/papers/date/2026-06-05"


def _card_count(day: str) -> int:
    found = re.search(r'href="/papers/2406\.00001#discussion">(\d+) comments?<', day)
    assert found, "the card shows no comment count"
    return int(found.group(1))


def _listed(page: str) -> int:
    return len(re.findall(r'<li class="comment[ "]', page))


def test_replies_by_form_and_api_nest_and_counts_agree(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    add_member(engine, "mod", "moderator")
    with session_scope(engine) as session:
        bob_id = add_member(engine, "bob")
        bob = session.get(User, bob_id)
        assert bob is not None
        token = create_token(session, bob, "replies").secret
    ada = signed_in(site, "ada")
    top = post_form(ada, PAPER, PAPER + "/comments", {"body": "Is $\\alpha_1 * \\beta_2$ tight?"})
    top_id = int(top.headers["location"].rsplit("#comment-", 1)[1])
    reply = post_form(ada, PAPER, PAPER + "/comments", {"body": "By form", "parent": str(top_id)})
    assert reply.status_code == 303, reply.text
    api = httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"})
    answered = api.post(f"/api/{PAPER[1:]}/comments", json={"body": "By API", "parentId": top_id})
    assert answered.status_code == 201, answered.text
    assert answered.json()["parentId"] == top_id
    listed = api.get(f"/api/{PAPER[1:]}/comments").json()
    assert [c.get("parentId") for c in listed] == [None, top_id, top_id]

    page = client(site).get(PAPER).text
    replies = re.search(r'<ol class="comment-replies".*?</ol>', page, re.S)
    assert replies and "By form" in replies.group(0) and "By API" in replies.group(0)
    assert '<span class="tex">$\\alpha_1 * \\beta_2$</span>' in page
    assert _listed(page) == 3 == _card_count(client(site).get(DAY).text)
    assert 'Discussion <span class="muted">(3)</span>' in page

    mod = signed_in(site, "mod")
    assert post_form(mod, PAPER, f"/comments/{top_id}/hide", {}).status_code == 303
    page = client(site).get(PAPER).text
    assert _listed(page) == 0 == _card_count(client(site).get(DAY).text)
    assert 'Discussion <span class="muted">(0)</span>' in page
    refused = api.post(f"/api/{PAPER[1:]}/comments", json={"body": "x", "parentId": top_id})
    assert refused.status_code == 404
