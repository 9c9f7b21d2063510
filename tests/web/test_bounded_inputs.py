"""Numbers a visitor writes, on a served instance on both engines: every id in an address and every
whole number in a form or query is bounded (``paperwire.numbers``, ``web.inputs.RowId`` and
``form_number``), so a huge or superscript number is a 422 naming the field (or the first page, for
``?page=``), never a 500 from Python or the database; and an error page after a route's rollback
still renders for the signed-in member."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from tests.web.members import add_member, csrf_token, signed_in
from tests.web.served import Site

HUGE = "9" * 23
JUST_OVER = str(2**31)  # one past the largest id an INTEGER column holds


def _post(browser: httpx.Client, action: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_token(browser.get("/settings").text)
    return browser.post(action, data={**data, "csrf_token": token}, follow_redirects=False)


@pytest.mark.parametrize("number", [HUGE, JUST_OVER])
def test_ids_in_addresses_beyond_any_row_are_422_naming_the_field(
    site: Site, engine: Engine, number: str
) -> None:
    add_member(engine, "root", "admin")
    admin = signed_in(site, "root")
    for action, field in (
        (f"/settings/tokens/{number}/revoke", "token_id"),
        (f"/collections/{number}/edit", "collection_id"),
        (f"/collections/{number}/delete", "collection_id"),
        (f"/collections/{number}/remove", "collection_id"),
        (f"/comments/{number}/edit", "comment_id"),
        (f"/comments/{number}/delete", "comment_id"),
        (f"/comments/{number}/hide", "comment_id"),
        (f"/comments/{number}/unhide", "comment_id"),
        (f"/moderation/claims/{number}", "claim_id"),
    ):
        answer = _post(admin, action, {"body": "x", "paper": "2406.00001", "name": "n"})
        assert answer.status_code == 422, (action, answer.status_code)
        assert field in answer.text and "2147483647" in answer.text, action


def test_numbers_in_forms_are_whole_ascii_numbers_within_bounds(site: Site, engine: Engine) -> None:
    add_member(engine, "ada")
    ada = signed_in(site, "ada")
    for chosen in (HUGE, JUST_OVER, "²", "٣", "-1", "0"):
        answer = _post(ada, "/collections/add", {"collection": chosen, "paper": "2406.00001"})
        assert answer.status_code == 422, (chosen, answer.status_code)
        assert "collection: must be a whole number from 1 to 2147483647" in answer.text
    for key in (f"signal:{HUGE}", "signal:²", f"signal:{JUST_OVER}"):
        answer = _post(ada, "/for-you/signals/remove", {"key": key})
        assert answer.status_code == 404, (key, answer.status_code)


@pytest.mark.parametrize("page", ["²", "٣", HUGE, "-3", "1e3"])
def test_a_page_number_that_is_not_one_shows_the_first_page(site: Site, page: str) -> None:
    for path in (
        "/",
        "/papers/date/2026-06-05",
        "/papers/week/2026-W23",
        "/papers/month/2026-06",
        "/search?q=alpha",
    ):
        sep = "&" if "?" in path else "?"
        answer = site.get(f"{path}{sep}page={page}")
        assert answer.status_code == 200, (path, page, answer.status_code)


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("every", "9" * 400 + "d", "every: must be at most 366d"),
        ("min_interval", "99999999999999999999h", "min_interval: must be at most 366d"),
        ("timeout", "1" + "0" * 30 + "s", "timeout: must be at most 366d"),
        ("max_per_day", "9" * 30, "max_per_day: must be a whole number from 1 to 1000000"),
        ("max_per_day", "9" * 5000, "max_per_day: must be a whole number from 1 to 1000000"),
        ("retries", "9" * 19, "retries: must be a whole number from 0 to 10"),
        ("retries", "²", "retries: must be a whole number from 0 to 10"),
    ],
)
def test_the_admin_source_form_bounds_its_numbers(
    site: Site, engine: Engine, field: str, value: str, said: str
) -> None:
    add_member(engine, "root", "admin")
    admin = signed_in(site, "root")
    form = {"name": "big", "kind": "oai", field: value}
    answer = _post(admin, "/admin/sources", form)
    assert answer.status_code == 400, answer.text[:500]
    assert said in answer.text


def test_an_error_page_after_a_rollback_renders_for_the_signed_in_member(
    site: Site, engine: Engine
) -> None:
    add_member(engine, "root", "admin")
    admin = signed_in(site, "root")
    # The form is refused (rolled back), then the source turns out not to exist: a 404 page,
    # whose header reads the member after the route's session rolled back and closed.
    answer = _post(admin, "/admin/sources/no-such-source", {"kind": "bogus"})
    assert answer.status_code == 404, answer.text[:300]
    assert "Page not found" in answer.text or "no-such-source" in answer.text
    assert ">root</summary>" in answer.text
