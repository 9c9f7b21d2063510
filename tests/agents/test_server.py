"""The MCP server's shape: every tool publishes its argument schema and is a plain function, which
the SDK runs in a worker thread (tools read the database: none may hold up the event loop that
serves the site); papers are a resource template."""

from __future__ import annotations

from pathlib import Path

import anyio

from paperwire.agents.server import bearer, build_server
from paperwire.agents.tools import Backend
from paperwire.config import load_settings
from paperwire.db.engine import make_engine


def test_tools_run_in_threads_and_publish_schemas(tmp_path: Path) -> None:
    # Nothing is read: building the server touches no database.
    engine = make_engine(f"sqlite:///{tmp_path / 'unused.db'}")
    server = build_server(Backend(load_settings({"PAPERWIRE_HOME": str(tmp_path)}), engine))
    registered = server._tool_manager.list_tools()
    assert len(registered) == 11
    for tool in registered:
        assert not tool.is_async, f"{tool.name} would run on the event loop"
        assert tool.parameters["type"] == "object" and tool.description
    templates = anyio.run(server.list_resource_templates)
    assert [t.uri_template for t in templates] == ["paperwire://papers/{+paper_id}"]


def test_bearer_header() -> None:
    assert bearer("Bearer pw_abc ") == "pw_abc"
    assert bearer("bearer pw_abc") == "pw_abc"
    assert bearer("Basic dXNlcjpwYXNz") is None
    assert bearer("Bearer ") is None and bearer(None) is None
