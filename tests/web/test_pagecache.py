"""List pages cached for cookieless visitors are never stale: any commit, from any process on any
node, drops them (at once on SQLite, through NOTIFY within a second on PostgreSQL)."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from paperwire.config import Settings
from paperwire.db import signals
from paperwire.db.engine import make_engine
from paperwire.db.migrate import upgrade
from paperwire.db.models import Paper
from paperwire.search import index
from paperwire.search.index import open_lexical
from paperwire.search.service import index_version
from paperwire.web.pagecache import PageCache
from tests.conftest import TEST_SECRET
from tests.web.served import Site, load_sample


def soon(check: Callable[[], bool], seconds: float = 1.0) -> bool:
    """Whether ``check()`` holds within ``seconds`` (a NOTIFY travels between processes)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_commit_elsewhere_changes_the_version(tmp_path: Path) -> None:
    path = tmp_path / "paperwire.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    cache = PageCache(signals.DataVersion(str(path)).read)
    before = cache.version()
    cache.put("/x?", before, b"old page")
    assert cache.get("/x?", cache.version()) == b"old page"
    load_sample(engine)
    after = cache.version()
    assert after != before and cache.get("/x?", after) is None
    engine.dispose()


def test_a_commit_on_another_node_notifies_postgresql_listeners(pg_server_url: str) -> None:
    listener = signals.listener(pg_server_url)
    assert listener is not None and listener.wait_connected(10)
    before = listener.count(signals.DATA)
    engine = make_engine(pg_server_url)
    with engine.begin() as conn:
        conn.execute(update(Paper).values(vote_count=Paper.vote_count + 1))
    assert listener.wait(signals.DATA, before, 5) != before
    engine.dispose()


def test_list_pages_show_every_change_at_once(site: Site, engine: Engine) -> None:
    pages = ("/papers/date/2026-06-05", "/papers/week/2026-W23", "/papers/trending", "/")
    for path in (*pages, "/papers/2406.00005"):
        first = site.get(path).text
        assert site.get(path).text == first, path
    with engine.begin() as conn:
        conn.execute(update(Paper).where(Paper.id == "2406.00001").values(vote_count=100))
        conn.execute(update(Paper).where(Paper.id == "2406.00005").values(title="Epsilon renamed"))
    assert soon(lambda: "Epsilon renamed" in site.get("/").text)
    day = site.get("/papers/date/2026-06-05").text
    assert 'class="votes-count">105<' in day
    assert day.find("Alpha: a paper") < day.find("Beta: three")
    assert "Epsilon renamed" in site.get("/").text
    assert "Epsilon renamed" in site.get("/papers/trending").text
    assert "Epsilon renamed" in site.get("/papers/2406.00005").text
    with engine.begin() as conn:
        conn.execute(update(Paper).where(Paper.id == "2406.00001").values(hidden=True))
    assert soon(lambda: "Alpha: a paper" not in site.get("/papers/week/2026-W23").text)
    # Visitors with cookies are never served a shared page.
    with_cookie = site.get("/papers/date/2026-06-05", cookies={"pw_csrf": "x"})
    assert with_cookie.status_code == 200 and "Beta: three" in with_cookie.text


def test_lists_built_for_visitors_with_cookies_show_every_change_at_once(
    site: Site, engine: Engine
) -> None:
    """Pages for visitors with cookies are built each time, on list data that any commit drops."""
    cookies = {"pw_csrf": "x"}
    path = "/papers/date/2026-06-05"
    first = site.get(path, cookies=cookies).text
    assert "Alpha: a paper" in first
    with engine.begin() as conn:
        conn.execute(update(Paper).where(Paper.id == "2406.00001").values(title="Alpha renamed"))
    assert "Alpha renamed" in site.get(path, cookies=cookies).text
    with engine.begin() as conn:
        conn.execute(update(Paper).where(Paper.id == "2406.00001").values(hidden=True))
    assert "Alpha renamed" not in site.get(path, cookies=cookies).text


API_AND_FEEDS = (
    "/api/daily_papers?date=2026-06-05",
    "/api/daily_papers?week=2026-W23&sort=trending",
    "/api/papers/search",
    "/api/papers/search?q=alpha",
    "/daily.atom?date=2026-06-05",
    "/daily.jsonl",
    "/daily.bib?date=2026-06-05",
)


def test_api_answers_and_feeds_show_every_change_at_once(site: Site, engine: Engine) -> None:
    """API answers and feeds are kept like pages (on SQLite) and dropped by any commit."""
    for path in API_AND_FEEDS:
        first = site.get(path)
        assert first.status_code == 200 and "Alpha: a paper" in first.text, path
        assert site.get(path).content == first.content, path
    with engine.begin() as conn:
        conn.execute(update(Paper).where(Paper.id == "2406.00001").values(title="Alpha renamed"))
    for path in API_AND_FEEDS:
        assert "Alpha renamed" in site.get(path).text, path
    with engine.begin() as conn:
        conn.execute(update(Paper).where(Paper.id == "2406.00001").values(hidden=True))
    for path in API_AND_FEEDS:
        assert "Alpha" not in site.get(path).text, path


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_counting_api_requests_is_not_a_change_of_the_data(
    site: Site, database_url: str, tmp_path: Path
) -> None:
    """The API's rate-limit counts go to a file beside an SQLite database: were they written into
    it, every API request would change ``data_version`` and empty every process's cache."""
    database = database_url.removeprefix("sqlite:///")
    version = signals.DataVersion(database).read
    before = version()
    remaining = []
    for _ in range(3):
        answer = site.get("/api/daily_papers")
        assert answer.status_code == 200
        remaining.append(int(answer.headers["RateLimit-Remaining"]))
    assert remaining == sorted(remaining, reverse=True) and remaining[0] > remaining[-1]
    assert version() == before
    assert Path(database + ".counters").is_file()


def test_the_index_version_follows_the_keyword_index(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", database_url="sqlite://", secret_key=TEST_SECRET)
    empty = index_version(settings)
    lexical = open_lexical(settings)
    lexical.set_state("synced", "1")
    written = index_version(settings)
    assert written != empty
    lexical.set_state("synced", "2")
    assert index_version(settings) != written
    lexical.close()


def test_a_page_read_twice_is_built_once_until_something_is_written(
    engine: Engine, env: dict[str, str]
) -> None:
    """The second anonymous request of a list page or an API answer runs no statement, on both
    engines; a request's own commit after its reads, and the API's rate-limit count, are not
    changes (on PostgreSQL they once emptied the cache at every request); a vote is."""
    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from paperwire.web.app import create_app

    load_sample(engine)
    app = create_app()
    statements = [0]

    def count(*_args: object) -> None:
        statements[0] += 1

    event.listen(app.state.engine, "before_cursor_execute", count)
    with TestClient(app) as client:
        for path in ("/papers/date/2026-06-05", "/api/daily_papers?date=2026-06-05"):
            deadline = time.monotonic() + 5
            while True:  # on PostgreSQL nothing is cached until the listener is connected
                statements[0] = 0
                assert client.get(path).status_code == 200
                client.cookies.clear()
                if statements[0] == 0 or time.monotonic() > deadline:
                    break
            assert statements[0] == 0, path
        with engine.begin() as conn:
            conn.execute(update(Paper).where(Paper.id == "2406.00001").values(vote_count=99))
        deadline = time.monotonic() + 5
        while True:  # another process's write: seen through data_version or NOTIFY
            statements[0] = 0
            page = client.get("/papers/date/2026-06-05")
            client.cookies.clear()
            if statements[0] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert statements[0] > 0 and "104" in page.text


def test_a_stored_api_answer_is_served_before_routing_as_the_route_sent_it(
    engine: Engine, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second ask of a list or search address is answered by ``CachedAnswers`` without
    reaching its route, with the route's body and headers (type, security, CORS, rate limit) and
    timed under its template; a write sends the next ask to the route again."""
    from fastapi.testclient import TestClient
    from starlette.types import Receive, Scope, Send

    from paperwire.web.app import create_app

    monkeypatch.setenv("PAPERWIRE_API_RATE_LIMIT", "1000")
    monkeypatch.setenv("PAPERWIRE_METRICS_TOKEN", "metrics-token-0123456789abcdef")
    load_sample(engine)
    app = create_app()
    index.sync(app.state.settings, app.state.engine, embed=False)
    routed: list[str] = []
    inner = app.router.middleware_stack

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            routed.append(scope["path"] + "?" + scope["query_string"].decode())
        await inner(scope, receive, send)

    app.router.middleware_stack = counted
    origin = {"Origin": "https://elsewhere.example"}
    ignored = {"ratelimit-remaining", "ratelimit-reset"}
    asked: dict[str, int] = {"/api/daily_papers": 0, "/api/papers/search": 0}
    with TestClient(app) as client:
        for address in ("/api/daily_papers?date=2026-06-05", "/api/papers/search?q=alpha"):
            deadline = time.monotonic() + 5
            for limit in itertools.count(10):
                # A new address each time: on PostgreSQL nothing is cached until the listener is
                # connected, and a first search may build the keyword index (a new version).
                path = f"{address}&limit={limit}"
                routed.clear()
                built = client.get(path, headers=origin)
                again = client.get(path, headers=origin)
                asked[address.split("?")[0]] += 2
                if routed == [path] or time.monotonic() > deadline:
                    break
            assert routed == [path], path
            assert built.status_code == again.status_code == 200
            assert again.content == built.content and "Alpha: a paper" in again.text
            assert {k: v for k, v in again.headers.items() if k not in ignored} == {
                k: v for k, v in built.headers.items() if k not in ignored
            }
            assert again.headers["access-control-allow-origin"] == "*"
            assert again.headers["content-type"] == "application/json"
            assert "content-security-policy" in again.headers
            assert int(again.headers["ratelimit-remaining"]) < int(
                built.headers["ratelimit-remaining"]
            )
        # each answer, stored or built, timed under its route's template
        scrape = {"Authorization": "Bearer metrics-token-0123456789abcdef"}
        timed = client.get("/metrics", headers=scrape).text
        for route, count in asked.items():
            assert f'{{method="GET",route="{route}"}} {count}.0' in timed, route
        with engine.begin() as conn:
            conn.execute(
                update(Paper).where(Paper.id == "2406.00001").values(title="Alpha renamed")
            )
        path = "/api/daily_papers?date=2026-06-05"
        assert soon(lambda: "Alpha renamed" in client.get(path).text, 5)
        # A bad address is never stored, so never served past its check.
        assert client.get("/api/daily_papers?limit=0").status_code == 422
        assert client.get("/api/daily_papers?limit=0").status_code == 422
