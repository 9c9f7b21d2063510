"""The real ``huggingface_hub`` client against a served paperwire loaded from recorded Hugging Face
lists: every call it makes for papers works unchanged, and gives back the recorded papers, dates
and upvote counts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import httpx
import pytest
from huggingface_hub import HfApi
from huggingface_hub.errors import HfHubHTTPError

from paperwire.papers.trending import trending_score
from tests.api.hf_data import WEEK, Recorded
from tests.web.served import Site


@pytest.fixture
def api(loaded_site: Site) -> HfApi:
    return HfApi(endpoint=loaded_site.url, token=False)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _check(found: list, recording: dict[str, Recorded]) -> None:
    """Each paper the client read is the recorded one: title, upvotes, dates, authors."""
    for info in found:
        want = recording[info.id]
        assert " ".join(info.title.split()) == want.title
        assert info.upvotes == (want.upvotes or None)  # the client reads 0 as None
        assert info.published_at == _time(want.published_at)
        assert info.submitted_at is not None
        assert info.submitted_at.date().isoformat() == want.list_date
        assert [a.name for a in info.authors] == want.authors


def _by_day_then_votes(items: list[Recorded]) -> list[str]:
    ordered = sorted(items, key=lambda r: r.upvotes, reverse=True)
    return [r.id for r in sorted(ordered, key=lambda r: r.list_date, reverse=True)]


def test_list_by_date(api: HfApi, recording: dict[str, Recorded]) -> None:
    found = list(api.list_daily_papers(date="2024-10-25"))
    want = [r for r in recording.values() if r.list_date == "2024-10-25"]
    assert len(found) == len(want) == 29
    assert {p.id for p in found} == {r.id for r in want}
    assert [p.upvotes for p in found] == sorted((r.upvotes for r in want), reverse=True)
    assert found[0].id == "2410.17243" and found[0].upvotes == 64
    assert found[0].submitted_by is not None and found[0].comments == 3
    _check(found, recording)


def test_list_by_week_month_and_pages(api: HfApi, recording: dict[str, Recorded]) -> None:
    week = [r for r in recording.values() if "2026-06-08" <= r.list_date <= "2026-06-14"]
    found = [p for n in (0, 1, 2) for p in api.list_daily_papers(week=WEEK, limit=100, p=n)]
    assert len(week) == 168
    assert [p.upvotes for p in found] == [
        recording[i].upvotes or None for i in _by_day_then_votes(week)
    ]
    assert {p.id for p in found} == {r.id for r in week}
    _check(found, recording)

    pages = [list(api.list_daily_papers(week=WEEK, limit=20, p=n)) for n in range(3)]
    assert [p.id for page in pages for p in page] == [p.id for p in found][:60]
    assert all(len(page) == 20 for page in pages)

    october = list(api.list_daily_papers(month="2024-10"))
    assert {p.id for p in october} == {
        r.id for r in recording.values() if r.list_date[:7] == "2024-10"
    }
    assert list(api.list_daily_papers(month="2024-11")) == []


def test_list_by_submitter(api: HfApi, recording: dict[str, Recorded]) -> None:
    name = "taesiri"
    want = {r.id for r in recording.values() if r.submitter == name}
    found = [
        p for n in (0, 1) for p in api.list_daily_papers(week=WEEK, submitter=name, limit=100, p=n)
    ]
    assert want and {p.id for p in found} == {
        r.id for r in recording.values() if r.submitter == name and r.list_date >= "2026-06-08"
    }
    assert all(p.submitted_by.fullname for p in found)
    everywhere = [p for n in (0, 1) for p in api.list_daily_papers(submitter=name, limit=100, p=n)]
    assert {p.id for p in everywhere} == want


def test_list_sorted_by_trending(api: HfApi, recording: dict[str, Recorded]) -> None:
    found = [
        p for n in (0, 1) for p in api.list_daily_papers(week=WEEK, sort="trending", limit=100, p=n)
    ]
    assert {p.id for p in found} == {
        r.id for r in recording.values() if "2026-06-08" <= r.list_date <= "2026-06-14"
    }
    now = datetime.now(UTC).replace(tzinfo=None)
    scores = [
        trending_score(p.upvotes or 0, p.submitted_at.replace(tzinfo=None), now) for p in found
    ]
    assert all(a >= b * 0.999 for a, b in itertools.pairwise(scores))
    by_date = [p.id for p in api.list_daily_papers(week=WEEK, limit=100)]
    assert [p.id for p in found][:100] != by_date


def test_search_info_and_markdown(api: HfApi, recording: dict[str, Recorded]) -> None:
    found = list(api.list_papers(query="near infinite batch size scaling for contrastive loss"))
    assert found and found[0].id == "2410.17243"
    _check(found, recording)
    assert len(list(api.list_papers(query="diffusion", limit=3))) == 3

    info = api.paper_info("2410.17243")
    _check([info], recording)
    assert info.upvotes == 64 and info.comments == 3
    assert " ".join(info.summary.split()) == " ".join(recording["2410.17243"].summary.split())
    assert api.paper_info("2410.17243v2").id == "2410.17243"

    text = api.read_paper("2410.17243")
    assert text.startswith("# Breaking the Memory Barrier")
    assert "Zesen Cheng" in text and "tile-based computation strategy" in text


def test_errors_are_json_and_clear(api: HfApi, loaded_site: Site) -> None:
    with pytest.raises(HfHubHTTPError) as missing:
        api.paper_info("2401.00001")
    assert missing.value.response.status_code == 404
    with pytest.raises(HfHubHTTPError) as too_many:
        list(api.list_daily_papers(limit=101))
    assert too_many.value.response.status_code == 422
    for query, status, words in [
        ("limit=0", 422, "limit"),
        ("p=-1", 422, "p"),
        # The document states these forms (and the years 1900 to 2999), so they are 422 like limit.
        ("week=2026-W60", 422, "week"),
        ("month=2026-13", 422, "month"),
        ("date=2026-02-30", 422, "date"),
        ("date=9999-12-31", 422, "out of range"),
        ("date=2026-06-08&week=2026-W24", 400, "only one"),
        ("sort=votes", 422, "sort"),
    ]:
        response = loaded_site.get(f"/api/daily_papers?{query}")
        assert response.status_code == status, query
        assert words in response.json()["error"], query
    long = loaded_site.get("/api/papers/search", params={"q": "x" * 251})
    assert long.status_code == 422 and "q" in long.json()["error"]
    assert loaded_site.get("/api/papers/search?q=a&limit=121").status_code == 422
    assert loaded_site.get("/papers/2401.00001.md").status_code == 404
    assert httpx.get(loaded_site.url + "/api/papers/not-an-id").json()["error"]
