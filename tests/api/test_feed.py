"""The "For you" feed in the API and its private Atom feed, on the served instance loaded from
recorded Hugging Face lists (real papers, really embedded), on both engines: feedback reorders the
feed with reasons, takes effect at once, stays the member's own, and the private feed URL works
without a cookie until it is revoked."""

from __future__ import annotations

import re

import feedparser
import httpx
from sqlalchemy import delete

from paperwire.db.engine import make_engine, session_scope
from paperwire.db.models import User
from tests.api.conftest import DATABASES
from tests.web.members import add_member, post_form, signed_in
from tests.web.served import Site

WEEK_DAY = "2026-06-10"  # in the recorded week 2026-W24


def _api(site: Site, token: str) -> httpx.Client:
    return httpx.Client(base_url=site.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _feed(api: httpx.Client, **params: str) -> list[dict[str, object]]:
    answer = api.get("/api/me/feed", params={"period": "week", "date": WEEK_DAY, **params})
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()
    return items


def _ids(items: list[dict[str, object]]) -> list[str]:
    return [item["paper"]["id"] for item in items]  # type: ignore[index]


def test_feedback_reorders_the_feed_with_reasons(loaded_site: Site, member_token: str) -> None:
    assert loaded_site.get("/api/me/feed").status_code == 401
    api = _api(loaded_site, member_token)
    cold = _feed(api, limit="200")
    assert len(cold) > 20
    first = cold[0]
    assert set(first) >= {"paper", "title", "summary", "publishedAt", "numComments", "reason"}
    assert str(first["reason"]).startswith("popular")
    upvotes = [item["paper"]["upvotes"] for item in cold]  # type: ignore[index]
    assert upvotes == sorted(upvotes, reverse=True)  # no signal yet: the week's own order

    liked, disliked = _ids(cold)[-1], _ids(cold)[0]
    given = api.post("/api/me/feedback", json={"paper": liked, "signal": "more_like_this"})
    assert given.status_code == 200, given.text
    assert given.json() == {"paper": liked, "signal": "more_like_this", "given": True}
    assert (
        api.post(
            "/api/me/feedback", json={"paper": disliked, "signal": "not_interested"}
        ).status_code
        == 200
    )

    ranked = _feed(api, limit="200")
    assert _ids(ranked)[0] == liked  # the paper itself is the closest match of its own signal
    assert disliked not in _ids(ranked)
    title = next(item["title"] for item in cold if item["paper"]["id"] == liked)  # type: ignore[index]
    assert ranked[0]["reason"] == f"because you asked for more like \u201c{title}\u201d"
    scores = [item["score"] for item in ranked if "score" in item]
    assert scores == sorted(scores, reverse=True) and len(scores) > 20

    taken = api.request(
        "DELETE", "/api/me/feedback", json={"paper": disliked, "signal": "not_interested"}
    )
    assert taken.status_code == 200 and taken.json()["given"] is False
    assert disliked in _ids(_feed(api, limit="200"))

    assert (
        api.post(
            "/api/me/feedback", json={"paper": "2101.99999", "signal": "more_like_this"}
        ).status_code
        == 404
    )
    assert api.post("/api/me/feedback", json={"paper": liked, "signal": "love"}).status_code == 422
    assert len(_feed(api, limit="3")) == 3
    assert api.get("/api/me/feed", params={"period": "year"}).status_code == 422


def test_the_feed_is_the_members_own(loaded_site: Site, member_token: str) -> None:
    api = _api(loaded_site, member_token)
    liked = _ids(_feed(api))[-1]
    api.post("/api/me/feedback", json={"paper": liked, "signal": "more_like_this"})
    owner = signed_in(loaded_site, "fuzzer")  # the same member by cookie sees it
    assert "asked for more like" in owner.get(f"/for-you?period=week&date={WEEK_DAY}").text
    key = re.search(r'name="key" value="(signal:\d+)"', owner.get("/for-you/signals").text)
    assert key

    engine = make_engine(DATABASES[loaded_site.url])
    add_member(engine, "stranger")
    try:
        stranger = signed_in(loaded_site, "stranger")
        page = stranger.get(f"/for-you?period=week&date={WEEK_DAY}").text
        assert "asked for more like" not in page and "popular:" in page
        assert "signal:" not in stranger.get("/for-you/signals").text
        taken = post_form(stranger, "/for-you/signals", "/for-you/signals/remove", {"key": key[1]})
        assert taken.status_code == 404
        assert key[1] in owner.get("/for-you/signals").text  # still the owner's
        assert httpx.get(f"{loaded_site.url}/for-you", follow_redirects=False).status_code in (
            303,
            401,
        )
    finally:
        with session_scope(engine) as session:
            session.execute(delete(User).where(User.username == "stranger"))
        engine.dispose()


def test_private_feed_works_without_a_cookie_until_revoked(
    loaded_site: Site, member_token: str
) -> None:
    browser = signed_in(loaded_site, "fuzzer")
    made = post_form(browser, "/for-you/signals", "/for-you/private-feed", {})
    assert made.status_code == 200, made.text
    found = re.search(r'<code id="private-feed-url">([^<]+)</code>', made.text)
    assert found
    path = httpx.URL(found.group(1)).path
    anonymous = httpx.Client(base_url=loaded_site.url, timeout=60)
    answer = anonymous.get(path)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "private, no-store"
    feed = feedparser.parse(answer.content)
    assert not feed.bozo and feed.entries and "fuzzer" in feed.feed.title
    assert anonymous.get(path.replace("pwf_", "pwf_x")).status_code == 404
    revoked = post_form(browser, "/for-you/signals", "/for-you/private-feed/revoke", {})
    assert revoked.status_code == 303
    assert anonymous.get(path).status_code == 404


def test_an_import_that_is_no_library_is_refused_with_nothing_stored(
    loaded_site: Site, member_token: str
) -> None:
    browser = signed_in(loaded_site, "fuzzer")
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/for-you/import").text)
    assert token
    refused = browser.post(
        "/for-you/import",
        data={"csrf_token": token[1]},
        files={"library": ("notes.txt", b"Just some notes, no references.", "text/plain")},
    )
    assert refused.status_code == 422
    assert "the file is neither BibTeX nor CSL-JSON" in refused.text
    huge = browser.post(
        "/for-you/import",
        data={"csrf_token": token[1]},
        files={"library": ("big.bib", b"%" * (6 * 1024 * 1024), "text/plain")},
    )
    assert huge.status_code == 413 and "bytes, the most this site accepts here" in huge.text
    assert "signal:" not in browser.get("/for-you/signals").text
