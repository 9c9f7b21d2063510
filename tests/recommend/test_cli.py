"""``paperwire recommend eval`` on the small real set in tests/fixtures/data/recommend (every figure
for every method, the number of users, bad input named by file and line), and ``paperwire user
token`` (a token printed once that opens the API for its member)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from paperwire.accounts.tokens import user_for_token
from paperwire.db.engine import session_scope
from paperwire.db.models import ApiToken
from tests.search.test_cli import paperwire
from tests.web.members import add_member

DATA = Path(__file__).resolve().parent.parent / "fixtures" / "data" / "recommend"


@pytest.fixture
def eval_env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PAPERWIRE_HOME": str(tmp_path / "home"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }


def test_eval_prints_every_figure_for_every_method(eval_env: dict[str, str]) -> None:
    done = paperwire(
        eval_env, "recommend", "eval", str(DATA), "--split-date", "2026-06-15", "--json"
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert list(result) == ["paperwire", "centroid", "popularity", "random"]
    for method, figures in result.items():
        assert set(figures) == {"ndcg@10", "recall@100", "mrr", "users"}, method
        assert figures["users"] == 6
        assert 0.0 <= figures["ndcg@10"] <= 1.0 and 0.0 < figures["recall@100"] <= 1.0
    assert result["paperwire"]["ndcg@10"] > result["random"]["ndcg@10"]
    table = paperwire(
        eval_env, "recommend", "eval", str(DATA), "--split-date", "2026-06-15", "--method", "random"
    )
    assert table.returncode == 0 and "6 users" in table.stdout and "centroid" not in table.stdout


def test_eval_names_what_is_wrong(tmp_path: Path, eval_env: dict[str, str]) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(DATA, broken)
    missing = paperwire(eval_env, "recommend", "eval", str(tmp_path), "--split-date", "2026-06-15")
    assert missing.returncode == 2 and "papers.jsonl is missing" in missing.stderr
    with open(broken / "interactions.jsonl", "a") as fh:
        fh.write('{"user": "u", "paper": "2606.11180", "date": "2026-06-20", "signal": "meh"}\n')
    bad = paperwire(eval_env, "recommend", "eval", str(broken), "--split-date", "2026-06-15")
    lines = len((broken / "interactions.jsonl").read_text().splitlines())
    assert bad.returncode == 2
    assert f'interactions.jsonl:{lines}: "signal" must be "up" or "down"' in bad.stderr
    date = paperwire(eval_env, "recommend", "eval", str(DATA), "--split-date", "June")
    assert date.returncode == 2 and "--split-date: not a date" in date.stderr


def test_user_token_prints_a_token_once(engine: Engine, env: dict[str, str]) -> None:
    add_member(engine, "operator")
    done = paperwire(env, "user", "token", "operator", "--label", "nightly export")
    assert done.returncode == 0, done.stderr
    secret = done.stdout.strip().splitlines()[-1]
    assert secret.startswith("pw_") and "shown only this once" in done.stdout
    with session_scope(engine) as session:
        user = user_for_token(session, secret)
        assert user is not None and user.username == "operator"
        assert session.scalars(select(ApiToken.name)).one() == "nightly export"
    unknown = paperwire(env, "user", "token", "nobody")
    assert unknown.returncode != 0 and "no member 'nobody'" in unknown.stderr
