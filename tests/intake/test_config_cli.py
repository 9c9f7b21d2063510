"""``[[sources]]`` refused at start-up with the file, the source and the key; ``paperwire sources
list --json`` and ``sources run`` against a replayed OAI-PMH endpoint (exit status 1 when one
source failed), reading the live configuration from the database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from paperwire.cli.app import app
from paperwire.config import load_settings
from paperwire.db.engine import make_engine, session_scope
from paperwire.errors import ConfigError
from paperwire.intake import sources
from paperwire.intake.config import load_sources
from tests.intake.replay import OaiEndpoint, OaiRecord
from tests.recording import ALLOW_LOCAL

CLI = [sys.executable, "-c", "from paperwire.cli import main; main()"]

GOOD = """
[[sources]]
name = "arxiv-cs"
kind = "oai"
set = "cs"
since = 2026-06-29
at = "01:30"
min_interval = "3s"
list = "match"
match = ["cat:cs.CL", "\\"language model\\""]
max_per_day = 50

[[sources]]
name = "hf"
kind = "hf"
every = "6h"
"""


def _load(tmp_path: Path, text: str) -> list[Any]:
    path = tmp_path / "paperwire.toml"
    path.write_text(text)
    return load_sources(load_settings({"PAPERWIRE_CONFIG": str(path)}))


def test_a_good_file_is_read(tmp_path: Path) -> None:
    cs, hf = _load(tmp_path, GOOD)
    assert (cs.name, cs.kind, cs.set_spec, cs.min_interval, cs.max_per_day) == (
        "arxiv-cs",
        "oai",
        "cs",
        3.0,
        50,
    )
    assert cs.schedule == "daily at 01:30 UTC" and hf.schedule == "every 6h"
    assert hf.base_url == "https://huggingface.co" and hf.min_interval == 1.0


@pytest.mark.parametrize(
    ("line", "key", "says"),
    [
        ("colour = 'red'", "colour", "unknown key"),
        ("every = 'soon'", "every", "not a duration"),
        ("min_interval = '3 parsecs'", "min_interval", "not a duration"),
        ("match = ['\"unbalanced']", "match", "does not parse"),
        ("since = 'yesterday'", "since", "not a date"),
        ("max_per_day = 0", "max_per_day", "whole number"),
        ("base_url = 'file:///etc/passwd'", "base_url", "must be an http:// or https:// address"),
        ("base_url = 'javascript:alert(1)'", "base_url", "must be an http:// or https:// address"),
        ("base_url = 'ftp://example.org/oai'", "base_url", "must be an http:// or https://"),
        ("base_url = 'http:///oai'", "base_url", "must be an http:// or https://"),
    ],
)
def test_bad_keys_are_refused_naming_file_source_and_key(
    tmp_path: Path, line: str, key: str, says: str
) -> None:
    text = f'[[sources]]\nname = "mine"\nkind = "oai"\nlist = "match"\nmatch = ["llm"]\n{line}\n'
    text = text.replace('match = ["llm"]\nmatch', "match")
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert str(tmp_path / "paperwire.toml") in message
    assert "'mine'" in message and f"{key}:" in message and says in message


def test_the_cli_refuses_a_file_or_javascript_base_url(tmp_path: Path) -> None:
    for url in ("file:///etc/passwd", "javascript:alert(1)"):
        config = tmp_path / "paperwire.toml"
        config.write_text(f'[[sources]]\nname = "x"\nkind = "oai"\nbase_url = "{url}"\n')
        env = {**os.environ, "PAPERWIRE_CONFIG": str(config), "PAPERWIRE_HOME": str(tmp_path)}
        result = subprocess.run(
            [*CLI, "sources", "list"], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2, result.stderr
        said = " ".join(result.stderr.split())
        assert (
            f"source 'x': base_url: must be an http:// or https:// address with a host, not '{url}'"
            in said
        )
        assert "Traceback" not in result.stderr


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"source 'x': kind: must be one of oai, arxiv, hf"):
        _load(tmp_path, '[[sources]]\nname = "x"\nkind = "rss"\n')


# The CLI is a thin client of what test_harvest.py checks on both engines; once is enough here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sources_run_and_list(
    env: dict[str, str],
    tmp_path: Path,
    recording_server: Any,
    records: list[OaiRecord],
    reply: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    recording_server.route("/oai", OaiEndpoint(records, reply))
    config = tmp_path / "paperwire.toml"
    config.write_text(
        "[[sources]]\n"
        f'name = "hep"\nkind = "oai"\nbase_url = "{recording_server.url}/oai"\n'
        'since = "2018-12-01"\nmin_interval = "0s"\nlist = "all"\n'
        "[[sources]]\n"
        f'name = "gone"\nkind = "oai"\nbase_url = "{recording_server.url}/gone"\n'
        'min_interval = "0s"\nretries = 0\n'
    )
    monkeypatch.setenv("PAPERWIRE_CONFIG", str(config))
    monkeypatch.setenv(*next(iter(ALLOW_LOCAL.items())))
    # The index refresh after a run is covered by tests/search; a model that cannot load keeps
    # it to the keyword index here (the refresh says so and the papers stand).
    monkeypatch.setenv("PAPERWIRE_EMBEDDING_MODEL", str(tmp_path / "no-model"))
    runner = CliRunner()
    result = runner.invoke(app, ["sources", "run", "hep"])
    assert result.exit_code == 0, result.output
    assert "hep: 1 added" in result.output and "1 listed" in result.output
    result = runner.invoke(app, ["sources", "run", "--all"])
    assert result.exit_code == 1
    assert "gone: 0 added" in result.output and "HTTP 404" in result.output
    result = runner.invoke(app, ["sources", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in map(json.loads, result.output.splitlines())}
    assert rows["hep"]["cursor"] == "2018-12-10" and rows["hep"]["last_status"] == "ok"
    assert rows["hep"]["runs"] == 2 and rows["hep"]["listed"] == 1
    assert rows["gone"]["last_status"] == "failed" and "/gone" in rows["gone"]["last_error_url"]
    result = runner.invoke(app, ["sources", "run", "nope"])
    assert result.exit_code != 0
    # The CLI reads the live configuration from the database: an admin's edit and pause show.
    engine = make_engine(env["PAPERWIRE_DATABASE_URL"])
    try:
        with session_scope(engine) as session:
            table = sources.table(session, load_settings(), "hep")
            sources.edit(session, "hep", {**table, "match": ["cat:hep-ex"], "list": "match"})
            sources.set_paused(session, "gone", True)
    finally:
        engine.dispose()
    result = runner.invoke(app, ["sources", "list", "--json"])
    rows = {row["name"]: row for row in map(json.loads, result.output.splitlines())}
    assert rows["hep"]["listing"] == "match cat:hep-ex" and rows["gone"]["paused"] is True
    result = runner.invoke(app, ["sources", "run", "--all"])  # a paused source is left out
    assert result.exit_code == 0 and "gone" not in result.output, result.output


def test_the_readme_example_is_a_valid_configuration(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### Run it for your community", 1)[1]
    example = section.split("```toml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "paperwire.toml"
    path.write_text(example)
    settings = load_settings({"PAPERWIRE_CONFIG": str(path)})
    assert settings.contact == "papers-admin@lab.example.org"
    names = [(s.name, s.kind, s.list_rule) for s in load_sources(settings)]
    assert names == [
        ("arxiv-cs", "oai", "match"),
        ("arxiv-retrieval", "arxiv", "none"),
        ("hf-daily", "hf", "all"),
    ]
