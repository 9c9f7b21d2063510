"""The daily-list and paper queries behind the pages, read directly (both databases)."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from paperwire.db.models import Paper
from paperwire.papers.daily import daily_list, latest_list_date
from paperwire.papers.readmodel import load_paper
from tests.web.served import FRIDAY, MONDAY, SATURDAY, SUNDAY, load_sample


def test_an_empty_database_has_no_latest_list(engine: Engine) -> None:
    with Session(engine) as session:
        assert latest_list_date(session) is None
        listing = daily_list(session, SUNDAY)
    assert listing.is_empty and listing.previous_day is None and listing.next_day is None


def test_daily_list_data_is_ready_for_json(engine: Engine) -> None:
    load_sample(engine)
    with Session(engine) as session:
        assert latest_list_date(session) == MONDAY
        data = daily_list(session, FRIDAY).to_dict()
        saturday = daily_list(session, SATURDAY)
    assert [p["id"] for p in data["papers"]] == ["2406.00002", "hep-th/9901001", "2406.00001"]
    assert [p["upvotes"] for p in data["papers"]] == [13, 5, 5]
    assert data["day"] == "2026-06-05" and data["next_day"] == "2026-06-08"
    assert data["previous_day"] is None and data["is_empty"] is False
    assert data["papers"][0]["submitter"]["name"] == "alice"
    assert saturday.is_empty and saturday.previous_day == FRIDAY and saturday.next_day == MONDAY


def test_hidden_papers_leave_lists_and_pages(engine: Engine) -> None:
    load_sample(engine)
    with Session(engine) as session:
        session.execute(update(Paper).where(Paper.id == "2406.00005").values(hidden=True))
        session.commit()
        assert latest_list_date(session) == FRIDAY
        assert load_paper(session, "2406.00005") is None
        assert daily_list(session, FRIDAY).next_day is None
        detail = load_paper(session, "hep-th/9901001")
    assert detail is not None and detail.entry is not None
    assert detail.entry.list_date == FRIDAY
    assert detail.abs_url == "https://arxiv.org/abs/hep-th/9901001"
    assert detail.to_dict()["entry"]["list_date"] == "2026-06-05"
