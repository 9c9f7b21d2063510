"""Personal API tokens and the member endpoints, over a served instance: tokens made and revoked in
the settings pages, a revoked token refused, and a token acting only for its own member."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import feedparser
import httpx
import pytest
from sqlalchemy import Engine, select

from paperwire.db.engine import session_scope
from paperwire.db.models import ApiToken, DailyEntry, User, Vote
from tests.web.members import add_member, post_form, signed_in
from tests.web.served import Site, load_sample, start_site

_SECRET = re.compile(r'<code class="token-secret" id="new-token">(pw_[^<]+)</code>')


@pytest.fixture
def member_site(engine: Engine, env: dict[str, str], tmp_path: Path) -> Iterator[Site]:
    load_sample(engine)
    add_member(engine, "alice")
    add_member(engine, "bob")
    with start_site(env, tmp_path / "serve.log") as site:
        yield site


def new_token(browser: httpx.Client, name: str) -> str:
    """Create a token through the settings page, as a member would, and read it off the page."""
    answer = post_form(browser, "/settings", "/settings/tokens", {"name": name})
    assert answer.status_code == 200, answer.text
    found = _SECRET.search(answer.text)
    assert found, "the new token is not shown"
    return found.group(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_token_made_in_settings_acts_for_its_member(member_site: Site, engine: Engine) -> None:
    alice = signed_in(member_site, "alice")
    assert 'action="/settings/tokens"' in alice.get("/settings").text
    token = new_token(alice, "my script")
    api = httpx.Client(base_url=member_site.url, headers=bearer(token), timeout=30)

    assert api.get("/api/me").json() == {"username": "alice", "role": "member"}
    voted = api.post("/api/papers/2406.00001/vote")
    assert voted.status_code == 200
    assert voted.json() == {"paperId": "2406.00001", "voted": True, "upvotes": 6}
    assert api.post("/api/papers/2406.00001/vote").json()["upvotes"] == 6  # idempotent
    with session_scope(engine) as db:
        assert [v.paper_id for v in db.scalars(select(Vote))] == ["2406.00001"]
        stored = db.scalars(select(ApiToken)).one()
        assert stored.token_hash != token and token not in stored.token_hash
        assert stored.prefix == token[:10] and stored.last_used_at is not None
    assert api.delete("/api/papers/2406.00001/vote").json()["upvotes"] == 5

    # The token page lists it without its secret.
    page = alice.get("/settings/tokens").text
    assert "my script" in page and token[:10] in page and token not in page


def test_revoked_token_is_refused(member_site: Site) -> None:
    alice = signed_in(member_site, "alice")
    token = new_token(alice, "old laptop")
    assert member_site.get("/api/me", headers=bearer(token)).status_code == 200
    token_id = re.search(r"/settings/tokens/(\d+)/revoke", alice.get("/settings/tokens").text)
    assert token_id
    revoked = post_form(
        alice, "/settings/tokens", f"/settings/tokens/{token_id.group(1)}/revoke", {}
    )
    assert revoked.status_code == 303
    refused = member_site.get("/api/me", headers=bearer(token))
    assert refused.status_code == 401 and "revoked" in refused.json()["error"]
    assert (
        httpx.post(
            member_site.url + "/api/papers/2406.00001/vote", headers=bearer(token)
        ).status_code
        == 401
    )
    assert "revoked" in alice.get("/settings/tokens").text
    for wrong in ("pw_" + "x" * 43, "not-a-token", token[:-1]):
        assert member_site.get("/api/me", headers=bearer(wrong)).status_code == 401


def test_token_cannot_act_for_another_member(member_site: Site, engine: Engine) -> None:
    alice_token = new_token(signed_in(member_site, "alice"), "alice's")
    bob = signed_in(member_site, "bob")
    bob_token = new_token(bob, "bob's")
    as_alice = httpx.Client(base_url=member_site.url, headers=bearer(alice_token), timeout=30)
    as_bob = httpx.Client(base_url=member_site.url, headers=bearer(bob_token), timeout=30)

    saved = as_bob.post("/api/saved_searches", json={"name": "robots", "query": "robot arms"})
    assert saved.status_code == 201 and saved.json()["feed"] == "/search.atom?q=robot+arms"
    bob_search = saved.json()["id"]
    assert as_alice.get("/api/saved_searches").json() == []
    assert as_alice.delete(f"/api/saved_searches/{bob_search}").status_code == 404
    assert [s["name"] for s in as_bob.get("/api/saved_searches").json()] == ["robots"]

    # Alice's token cannot revoke Bob's token, even through her signed-in pages.
    with session_scope(engine) as db:
        bob_token_id = db.scalars(select(ApiToken.id).where(ApiToken.name == "bob's")).one()
    alice = signed_in(member_site, "alice")
    refused = post_form(alice, "/settings/tokens", f"/settings/tokens/{bob_token_id}/revoke", {})
    assert refused.status_code == 404
    assert as_bob.get("/api/me").json()["username"] == "bob"

    # A vote with Alice's token is Alice's, whatever the request says.
    as_alice.post("/api/papers/2406.00002/vote", json={"user": "bob", "user_id": 2})
    with session_scope(engine) as db:
        voters = db.execute(select(User.username).join(Vote, Vote.user_id == User.id)).scalars()
        assert list(voters) == ["alice"]
    assert as_bob.delete("/api/papers/2406.00002/vote").json()["voted"] is False
    assert as_alice.post("/api/papers/2406.00002/vote").json() == {
        "paperId": "2406.00002",
        "voted": True,
        "upvotes": 4,  # three imported and Alice's (the sample's counter is recounted)
    }


def test_submission_and_anonymous_calls(member_site: Site, engine: Engine) -> None:
    token = new_token(signed_in(member_site, "alice"), "submitter")
    answer = httpx.post(
        member_site.url + "/api/submissions",
        json={"id": "arXiv:2406.00006v1"},
        headers=bearer(token),
    )
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] == "2406.00006" and answer.json()["added"] is True
    with session_scope(engine) as db:
        entry = db.get(DailyEntry, "2406.00006")
        assert entry is not None and entry.submitter_name == "alice"
    again = httpx.post(
        member_site.url + "/api/submissions", json={"id": "2406.00006"}, headers=bearer(token)
    )
    assert again.json()["added"] is False

    # Without a token or session, member endpoints say so; reads stay open.
    assert member_site.get("/api/me").status_code == 401
    assert httpx.post(member_site.url + "/api/papers/2406.00001/vote").status_code in (401, 403)
    assert member_site.get("/api/saved_searches").status_code == 401
    bad = httpx.post(
        member_site.url + "/api/submissions", json={"id": "nonsense"}, headers=bearer(token)
    )
    assert bad.status_code == 400 and bad.json()["error"]
    similar = member_site.get("/api/papers/2406.00001/similar?limit=3")
    assert similar.status_code == 200 and len(similar.json()) <= 3
    found = member_site.get("/api/search?q=alpha&sort=votes&cat=cs.CL&limit=5")
    assert found.status_code == 200 and set(found.json()) >= {"results", "total", "notes"}


def test_comments_through_the_api(member_site: Site) -> None:
    as_alice = httpx.Client(
        base_url=member_site.url,
        headers=bearer(new_token(signed_in(member_site, "alice"), "a")),
        timeout=30,
    )
    as_bob = httpx.Client(
        base_url=member_site.url,
        headers=bearer(new_token(signed_in(member_site, "bob"), "b")),
        timeout=30,
    )
    written = as_alice.post(
        "/api/papers/2406.00001/comments", json={"body": "Nice *bounds* <script>x</script>"}
    )
    assert written.status_code == 201, written.text
    comment = written.json()
    assert comment["author"] == "alice" and "<em>bounds</em>" in comment["html"]
    assert "<script>" not in comment["html"]

    seen = member_site.get("/api/papers/2406.00001/comments").json()
    assert [(c["id"], c["author"]) for c in seen] == [(comment["id"], "alice")]
    assert "body" not in seen[0]  # the Markdown source is for its author only

    # Bob can neither edit nor delete Alice's comment with his token.
    assert as_bob.patch(f"/api/comments/{comment['id']}", json={"body": "mine"}).status_code == 403
    assert as_bob.delete(f"/api/comments/{comment['id']}").status_code == 403
    edited = as_alice.patch(f"/api/comments/{comment['id']}", json={"body": "Edited"})
    assert edited.json()["body"] == "Edited" and edited.json()["editedAt"]
    assert as_alice.delete(f"/api/comments/{comment['id']}").status_code == 204
    assert member_site.get("/api/papers/2406.00001/comments").json() == []
    assert as_alice.post("/api/papers/2406.00001/comments", json={"body": ""}).status_code == 422


def test_a_hidden_papers_comments_answer_404_like_the_paper(
    member_site: Site, engine: Engine
) -> None:
    add_member(engine, "mod", "moderator")
    as_alice = httpx.Client(
        base_url=member_site.url,
        headers=bearer(new_token(signed_in(member_site, "alice"), "a")),
        timeout=30,
    )
    url = "/api/papers/2406.00001/comments"
    comment = as_alice.post(url, json={"body": "Before hiding"}).json()
    moderator = signed_in(member_site, "mod")
    assert post_form(moderator, "/papers/2406.00001", "/papers/2406.00001/hide", {}).is_redirect
    assert member_site.get("/papers/2406.00001").status_code == 404
    assert member_site.get(url).status_code == 404
    assert as_alice.get(url).status_code == 404
    edit = as_alice.patch(f"/api/comments/{comment['id']}", json={"body": "After hiding"})
    assert edit.status_code == 404
    assert as_alice.delete(f"/api/comments/{comment['id']}").status_code == 404
    assert [c["html"] for c in moderator.get(url).json()] == ["<p>Before hiding</p>\n"]
    assert member_site.get("/api/papers/2406.99999/comments").status_code == 404


def test_collections_api_feed_and_bibtex(member_site: Site) -> None:
    alice = signed_in(member_site, "alice")
    as_alice = httpx.Client(
        base_url=member_site.url, headers=bearer(new_token(alice, "a")), timeout=30
    )
    as_bob = httpx.Client(
        base_url=member_site.url,
        headers=bearer(new_token(signed_in(member_site, "bob"), "b")),
        timeout=30,
    )
    made = as_alice.post("/api/collections", json={"name": "Reading list", "isPublic": True})
    assert made.status_code == 201, made.text
    shelf = made.json()
    assert shelf["owner"] == "alice" and shelf["numPapers"] == 0
    for pid in ("2406.00001", "hep-th/9901001"):
        assert as_alice.put(f"/api/collections/{shelf['id']}/papers/{pid}").status_code == 204
    assert as_bob.put(f"/api/collections/{shelf['id']}/papers/2406.00002").status_code == 404

    papers = member_site.get(f"/api/members/alice/collections/{shelf['slug']}").json()
    assert {p["paper"]["id"] for p in papers} == {"2406.00001", "hep-th/9901001"}
    feed_path = shelf["feed"]
    feed = feedparser.parse(member_site.get(feed_path).content)
    assert not feed.bozo and len(feed.entries) == 2
    assert "Reading list" in feed.feed.title
    page = member_site.get(f"/collections/alice/{shelf['slug']}").text.split("</head>")[0]
    assert f'href="{feed_path}"' in page
    bib = member_site.get(feed_path.replace(".atom", ".bib")).text
    assert bib.count("@misc{") == 2 and "eprint = {hep-th/9901001}" in bib

    hidden = as_alice.patch(f"/api/collections/{shelf['id']}", json={"isPublic": False})
    assert hidden.status_code == 200 and hidden.json()["isPublic"] is False
    assert member_site.get(f"/api/members/alice/collections/{shelf['slug']}").status_code == 404
    assert as_bob.get(f"/api/members/alice/collections/{shelf['slug']}").status_code == 404
    assert member_site.get(feed_path).status_code == 404
    assert len(as_alice.get(f"/api/members/alice/collections/{shelf['slug']}").json()) == 2
    assert as_bob.delete(f"/api/collections/{shelf['id']}").status_code == 404
    assert as_alice.delete(f"/api/collections/{shelf['id']}").status_code == 204
