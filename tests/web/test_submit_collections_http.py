"""Submitting papers and keeping collections over HTTP against a real ``paperwire serve`` (SQLite and
PostgreSQL), with arXiv played by the local recording server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, select

from paperwire.db.models import DailyEntry
from tests import recording
from tests.recording import ALLOW_LOCAL
from tests.web.members import add_member, client, post_form, signed_in
from tests.web.recorded_arxiv import serve_recorded_arxiv
from tests.web.served import Site, load_sample, start_site


@pytest.fixture
def arxiv_url(recording_server: recording.RecordingServer, shared_data: Path) -> str:
    return serve_recorded_arxiv(recording_server, shared_data)


def _site(engine: Engine, env: dict[str, str], tmp_path: Path, **extra: str) -> Iterator[Site]:
    load_sample(engine)
    add_member(engine, "ada")
    add_member(engine, "bob")
    with start_site({**env, **ALLOW_LOCAL, **extra}, tmp_path / "serve.log") as running:
        yield running


@pytest.fixture
def member_site(
    engine: Engine, env: dict[str, str], tmp_path: Path, arxiv_url: str
) -> Iterator[Site]:
    yield from _site(engine, env, tmp_path, PAPERWIRE_ARXIV_API_URL=arxiv_url)


def _submit(browser: httpx.Client, value: str) -> httpx.Response:
    return post_form(browser, "/submit", "/submit", {"paper": value})


def test_a_member_submits_by_link_and_a_duplicate_points_to_the_entry(
    member_site: Site, engine: Engine, recording_server: recording.RecordingServer
) -> None:
    ada = signed_in(member_site, "ada")
    page = ada.get("/submit")
    assert page.status_code == 200 and 'for="submit-paper"' in page.text
    added = _submit(ada, "https://arxiv.org/abs/1707.08567v2")
    assert added.status_code == 200, added.text
    assert "is now in the daily list of" in added.text
    assert 'href="/papers/1707.08567"' in added.text
    with engine.connect() as conn:
        entry = conn.execute(select(DailyEntry).where(DailyEntry.paper_id == "1707.08567")).one()
    assert entry.submitter_name == "ada" and entry.submitted_by_id is not None
    bob = signed_in(member_site, "bob")
    again = _submit(bob, "arXiv:1707.08567")
    assert again.status_code == 200 and "Already submitted" in again.text
    assert 'href="/papers/1707.08567"' in again.text
    assert [q["id_list"][0] for _p, q in recording_server.requests] == ["1707.08567"]
    # It is listed today with its submitter.
    today = member_site.get("/").text
    assert 'href="/papers/1707.08567"' in today and '<span class="submitter">ada</span>' in today


def test_bad_and_unknown_ids_get_a_clear_message(member_site: Site) -> None:
    ada = signed_in(member_site, "ada")
    for value, status, words in (
        ("not a paper", 400, "not"),
        ("0000.0000", 404, "arXiv has no paper 0000.0000"),
        ("", 400, "Paste an arXiv id"),
    ):
        answer = _submit(ada, value)
        assert answer.status_code == status, (value, answer.text[-500:])
        assert words in answer.text and "Traceback" not in answer.text
        assert 'id="submit-error"' in answer.text


def test_visitors_must_sign_in_and_forms_need_their_token(member_site: Site) -> None:
    visitor = client(member_site)
    answer = visitor.get("/submit", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    ada = signed_in(member_site, "ada")
    forged = ada.post("/submit", data={"paper": "1605.08386"})
    assert forged.status_code == 403
    assert ada.get("/collections").status_code == 200
    assert visitor.get("/collections", follow_redirects=False).status_code == 303


@pytest.fixture
def strict_site(
    engine: Engine, env: dict[str, str], tmp_path: Path, arxiv_url: str
) -> Iterator[Site]:
    yield from _site(
        engine,
        env,
        tmp_path,
        PAPERWIRE_ARXIV_API_URL=arxiv_url,
        PAPERWIRE_SUBMIT_MAX_AGE_DAYS="30",
    )


def test_the_age_rule_refuses_old_papers_and_submissions_are_rate_limited(
    strict_site: Site,
) -> None:
    ada = signed_in(strict_site, "ada")
    assert "first published in the last 30 days" in ada.get("/submit").text
    old = _submit(ada, "1605.08386")
    assert old.status_code == 422
    assert "1605.08386 was first published on 2016-05-2" in old.text
    # A paper already listed is still pointed to, whatever its age.
    listed = _submit(ada, "2406.00001")
    assert listed.status_code == 200 and "Already submitted" in listed.text
    statuses = [_submit(ada, "2406.00001").status_code for _ in range(19)]
    assert statuses[-1] == 429 and 200 in statuses
    limited = _submit(ada, "2406.00001")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0


def test_collections_over_http_private_until_made_public(member_site: Site) -> None:
    ada = signed_in(member_site, "ada")
    created = post_form(
        ada, "/collections", "/collections", {"name": "Reading group", "description": "Weekly"}
    )
    assert created.status_code == 303
    assert created.headers["location"] == "/collections/ada/reading-group"
    paper = ada.get("/papers/2406.00005").text
    assert 'id="add-collection"' in paper and ">Reading group</option>" in paper
    collection_id = paper.split('<option value="')[1].split('"')[0]
    add = post_form(
        ada,
        "/papers/2406.00005",
        "/collections/add",
        {"collection": collection_id, "paper": "2406.00005"},
    )
    assert add.status_code == 303 and add.headers["location"] == "/papers/2406.00005#collections"
    mine = ada.get("/collections/ada/reading-group").text
    assert "Epsilon: bounds on" in mine and "1 paper" in mine and "private" in mine
    assert "In your collection: " in ada.get("/papers/2406.00005").text
    bob = signed_in(member_site, "bob")
    for who in (bob, client(member_site)):
        assert who.get("/collections/ada/reading-group").status_code == 404
        assert "Reading group" not in who.get("/collections/ada").text
    # Bob cannot add to, rename or delete Ada's collection.
    for action, data in (
        ("/collections/add", {"collection": collection_id, "paper": "2406.00001"}),
        (f"/collections/{collection_id}/edit", {"name": "Mine now", "public": "on"}),
        (f"/collections/{collection_id}/delete", {}),
    ):
        assert post_form(bob, "/collections", action, data).status_code == 404
    shared = post_form(
        ada,
        "/collections/ada/reading-group",
        f"/collections/{collection_id}/edit",
        {"name": "Journal club", "description": "Weekly", "public": "on"},
    )
    assert shared.headers["location"] == "/collections/ada/journal-club"
    public = bob.get("/collections/ada/journal-club")
    assert public.status_code == 200 and "Epsilon: bounds on" in public.text
    assert "Remove" not in public.text and "Manage this collection" not in public.text
    removed = post_form(
        ada,
        "/collections/ada/journal-club",
        f"/collections/{collection_id}/remove",
        {"paper": "2406.00005", "next": "/collections/ada/journal-club"},
    )
    assert removed.status_code == 303
    assert "No papers in this collection yet" in ada.get("/collections/ada/journal-club").text
    gone = post_form(
        ada, "/collections/ada/journal-club", f"/collections/{collection_id}/delete", {}
    )
    assert gone.headers["location"] == "/collections"
    assert ada.get("/collections/ada/journal-club").status_code == 404
