"""Sources live in the database, seeded from the ``PAPERWIRE_CONFIG`` file, and admins edit them at
``/admin/sources`` (add, edit every key, pause, resume, delete) with the file's parser judging every
change; on both databases, against a replayed OAI-PMH endpoint."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from paperwire.config import Settings, load_settings
from paperwire.db.engine import dispose_engines, session_scope
from paperwire.db.models import DailyEntry, IntakeSource, Paper
from paperwire.errors import SourceBusy
from paperwire.intake import harvest, sources, state
from paperwire.intake.config import load_sources
from paperwire.web.app import create_app
from tests.conftest import TEST_SECRET
from tests.intake.replay import OaiEndpoint, OaiRecord
from tests.recording import ALLOW_LOCAL
from tests.web.members import PASSWORD, add_member, csrf_token

OAI_TODAY = date(2018, 12, 31)


def _write_config(tmp_path: Path, server_url: str, match: str = '"cat:hep-th"') -> Path:
    config = tmp_path / "paperwire.toml"
    config.write_text(
        "[[sources]]\n"
        f'name = "arxiv-hep"\nkind = "oai"\nbase_url = "{server_url}/oai"\n'
        f'since = 2017-12-01\nmin_interval = "0s"\nlist = "match"\nmatch = [{match}]\n'
    )
    return config


def _settings(database_url: str, tmp_path: Path, config: Path) -> Settings:
    """What a process reads at start-up: each call is a restart."""
    return load_settings(
        {
            "PAPERWIRE_HOME": str(tmp_path / "home"),
            "PAPERWIRE_DATABASE_URL": database_url,
            "PAPERWIRE_SECRET_KEY": TEST_SECRET,
            "PAPERWIRE_CONFIG": str(config),
            **ALLOW_LOCAL,
        }
    )


@pytest.fixture
def site(
    engine: Engine,
    database_url: str,
    tmp_path: Path,
    recording_server: Any,
    reply: Any,
    records: list[OaiRecord],
) -> Iterator[tuple[TestClient, Settings]]:
    recording_server.route("/oai", OaiEndpoint(records, reply))
    settings = _settings(database_url, tmp_path, _write_config(tmp_path, recording_server.url))
    add_member(engine, "ada", role="admin")
    add_member(engine, "bob")
    with TestClient(create_app(settings), raise_server_exceptions=False) as http:
        yield http, settings
    dispose_engines()


def _sign_in(http: TestClient, name: str) -> None:
    token = csrf_token(http.get("/login").text)
    answer = http.post(
        "/login",
        data={"username": name, "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def _stored(engine: Engine, name: str) -> dict[str, Any] | None:
    with session_scope(engine) as session:
        row = session.get(IntakeSource, name)
        return None if row is None else row.config


def _form(http: TestClient, name: str) -> dict[str, str]:
    """The edit form of ``name`` as the browser would post it back."""
    page = http.get(f"/admin/sources/{name}")
    assert page.status_code == 200, page.text
    with_name = {"name": name, **_stored_fields(page.text)}
    return {**with_name, "csrf_token": csrf_token(page.text)}


def _stored_fields(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'<input name="(\w+)" value="([^"]*)"', page))
    fields.update(re.findall(r'<select name="(\w+)"[^>]*>.*?<option selected>(\w+)<', page))
    fields.update(re.findall(r'<textarea name="(\w+)"[^>]*>([^<]*)</textarea>', page))
    return {k: html.unescape(v) for k, v in fields.items()}


def _categories(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        return dict(conn.execute(select(Paper.id, Paper.categories)).all())


def _listed(engine: Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(DailyEntry.paper_id)).scalars())


def _in(category: str, categories: list[str]) -> bool:
    return any(c == category or c.startswith(category + ".") for c in categories)


def test_an_admin_edits_match_and_the_next_run_lists_by_the_new_rule(
    site: tuple[TestClient, Settings], engine: Engine
) -> None:
    http, settings = site
    _sign_in(http, "ada")
    form = _form(http, "arxiv-hep")
    assert form["match"] == "cat:hep-th" and form["since"] == "2017-12-01"
    assert form["kind"] == "oai" and form["list"] == "match"
    answer = http.post(
        "/admin/sources/arxiv-hep",
        data={**form, "match": "cat:hep-ex\n", "max_per_day": "40"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    assert _stored(engine, "arxiv-hep") == {
        "kind": "oai",
        "base_url": form["base_url"],
        "since": "2017-12-01",
        "min_interval": "0s",
        "list": "match",
        "match": ["cat:hep-ex"],
        "max_per_day": 40,
    }
    assert "match cat:hep-ex, at most 40 a day" in http.get("/admin/sources").text
    # The worker's round reads the stored configuration, not the file.
    reports = harvest.run_due(settings, engine, today=OAI_TODAY)
    assert [r.source for r in reports] == ["arxiv-hep"] and reports[0].ok
    categories = _categories(engine)
    wanted = {pid for pid, cats in categories.items() if _in("hep-ex", cats)}
    assert wanted and wanted != {pid for pid, cats in categories.items() if _in("hep-th", cats)}
    assert _listed(engine) == wanted


def test_a_bad_value_is_refused_naming_source_and_key_and_nothing_changes(
    site: tuple[TestClient, Settings], engine: Engine
) -> None:
    http = site[0]
    _sign_in(http, "ada")
    form = _form(http, "arxiv-hep")
    before = _stored(engine, "arxiv-hep")
    answer = http.post(
        "/admin/sources/arxiv-hep", data={**form, "every": "soon", "match": "cat:hep-ex"}
    )
    assert answer.status_code == 400
    assert "source &#39;arxiv-hep&#39;: every: not a duration" in answer.text
    # Shown again as typed, the field to fix marked.
    assert re.search(r'name="every" value="soon"[^>]* aria-invalid="true"', answer.text)
    assert _stored(engine, "arxiv-hep") == before
    # Adding one is judged the same way, and nothing is stored.
    token = csrf_token(answer.text)
    added = http.post(
        "/admin/sources",
        data={"name": "hf", "kind": "hf", "min_interval": "3 parsecs", "csrf_token": token},
    )
    assert added.status_code == 400
    assert "source &#39;hf&#39;: min_interval: not a duration" in added.text
    assert _stored(engine, "hf") is None
    taken = http.post(
        "/admin/sources", data={"name": "arxiv-hep", "kind": "hf", "csrf_token": token}
    )
    assert taken.status_code == 400 and "name: already used" in taken.text
    assert _stored(engine, "arxiv-hep") == before


@pytest.mark.parametrize("url", ["file:///etc/passwd", "javascript:alert(1)"])
def test_a_base_url_that_is_not_http_is_refused_by_the_form(
    site: tuple[TestClient, Settings], engine: Engine, url: str
) -> None:
    http = site[0]
    _sign_in(http, "ada")
    form = _form(http, "arxiv-hep")
    before = _stored(engine, "arxiv-hep")
    answer = http.post("/admin/sources/arxiv-hep", data={**form, "base_url": url})
    assert answer.status_code == 400
    said = html.unescape(answer.text)
    assert f"base_url: must be an http:// or https:// address with a host, not '{url}'" in said
    assert re.search(r'name="base_url" value="[^"]*"[^>]* aria-invalid="true"', answer.text)
    assert _stored(engine, "arxiv-hep") == before
    added = http.post(
        "/admin/sources",
        data={"name": "x", "kind": "oai", "base_url": url, "csrf_token": csrf_token(answer.text)},
    )
    assert added.status_code == 400 and "base_url: must be an http://" in added.text
    assert _stored(engine, "x") is None


def test_a_member_who_is_not_an_admin_gets_403(
    site: tuple[TestClient, Settings], engine: Engine
) -> None:
    http = site[0]
    _sign_in(http, "bob")
    assert http.get("/admin/sources").status_code == 403
    assert http.get("/admin/sources/arxiv-hep").status_code == 403
    token = csrf_token(http.get("/submit").text)
    before = _stored(engine, "arxiv-hep")
    for path in ("/admin/sources/arxiv-hep", "/admin/sources/arxiv-hep/delete", "/admin/sources"):
        answer = http.post(path, data={"name": "x", "kind": "hf", "csrf_token": token})
        assert answer.status_code == 403, path
    assert _stored(engine, "arxiv-hep") == before and _stored(engine, "x") is None


def test_pause_resume_add_delete(site: tuple[TestClient, Settings], engine: Engine) -> None:
    http, settings = site
    _sign_in(http, "ada")
    token = csrf_token(http.get("/admin/sources").text)
    http.post("/admin/sources/arxiv-hep/pause", data={"csrf_token": token})
    assert "paused" in http.get("/admin/sources").text
    assert [s.paused for s in sources.live_sources(settings, engine)] == [True]
    # The worker leaves a paused source alone; "run now" still runs it.
    assert harvest.run_due(settings, engine, today=OAI_TODAY) == []
    http.post("/admin/sources/arxiv-hep/run", data={"csrf_token": token})
    assert [r.source for r in harvest.run_due(settings, engine, today=OAI_TODAY)] == ["arxiv-hep"]
    http.post("/admin/sources/arxiv-hep/resume", data={"csrf_token": token})
    assert [s.paused for s in sources.live_sources(settings, engine)] == [False]
    added = http.post(
        "/admin/sources",
        data={
            "name": "arxiv-ir",
            "kind": "arxiv",
            "at": "01:30",
            "list": "all",
            "categories": "cs.CL, cs.IR",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert added.status_code == 303, added.text
    assert _stored(engine, "arxiv-ir") == {
        "kind": "arxiv",
        "categories": ["cs.CL", "cs.IR"],
        "at": "01:30",
        "list": "all",
    }
    assert "daily at 01:30 UTC" in http.get("/admin/sources").text
    listed = _listed(engine)
    assert listed
    deleted = http.post(
        "/admin/sources/arxiv-hep/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303
    assert [s.config.name for s in sources.live_sources(settings, engine)] == ["arxiv-ir"]
    assert _listed(engine) == listed  # what it listed stays listed
    assert http.get("/admin/sources/arxiv-hep").status_code == 404


def test_the_file_seeds_once_and_an_edit_survives_a_restart(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    config = _write_config(tmp_path, "http://127.0.0.1:9")
    first = _settings(database_url, tmp_path, config)
    # A source harvested before tables were stored (0010) has a state row only: it keeps it.
    state.ensure_rows(engine, load_sources(first))
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "arxiv-hep")
        assert row is not None and row.config is None
        row.cursor = "2018-12-10"
    assert [s.match for s in sources.configs(first, engine)] == [("cat:hep-th",)]
    with session_scope(engine) as session:
        row = session.get(IntakeSource, "arxiv-hep")
        assert row is not None and row.cursor == "2018-12-10" and row.config is not None
    with session_scope(engine) as session:
        table = sources.table(session, first, "arxiv-hep")
        sources.edit(session, "arxiv-hep", {**table, "match": ["cat:hep-ex"], "every": "1h"})
    # A restart reads the file again, changed meanwhile: the database keeps the admin's edit.
    _write_config(tmp_path, "http://127.0.0.1:9", match='"cat:astro-ph"')
    config.write_text(config.read_text() + '[[sources]]\nname = "hf"\nkind = "hf"\nevery = "6h"\n')
    again = _settings(database_url, tmp_path, config)
    live = {s.name: s for s in sources.configs(again, engine)}
    assert live["arxiv-hep"].match == ("cat:hep-ex",)
    assert live["arxiv-hep"].schedule == "every 1h"
    assert live["hf"].schedule == "every 6h"  # a table new in the file is seeded
    # A source an admin deleted is not brought back by the file.
    with session_scope(engine) as session:
        sources.remove(session, "arxiv-hep")
    restarted = _settings(database_url, tmp_path, config)
    assert [s.name for s in sources.configs(restarted, engine)] == ["hf"]


def test_a_source_being_harvested_is_not_deleted(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = _settings(database_url, tmp_path, _write_config(tmp_path, "http://127.0.0.1:9"))
    sources.configs(settings, engine)
    assert state.take_lease(engine, "arxiv-hep", "another-worker")
    with session_scope(engine) as session, pytest.raises(SourceBusy, match="being harvested"):
        sources.remove(session, "arxiv-hep")
    assert [s.name for s in sources.configs(settings, engine)] == ["arxiv-hep"]
