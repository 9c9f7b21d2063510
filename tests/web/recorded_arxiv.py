"""The arXiv API played by the local recording server, for pages that submit papers."""

from __future__ import annotations

from pathlib import Path

from tests import recording
from tests.ingest.test_submit import ATOM, ERROR_FEED, PATH, RECORDED


def serve_recorded_arxiv(server: recording.RecordingServer, shared_data: Path) -> str:
    """Answer id lookups from the recordings (unknown ids get arXiv's error feed); the API URL."""
    folder = shared_data / "arxiv_api" / "recorded_2026"

    def respond(_path: str, query: dict[str, list[str]]) -> recording.Reply:
        prefix = RECORDED.get(query.get("id_list", [""])[0], ERROR_FEED)
        body = next(folder.glob(f"{prefix}*.xml")).read_bytes()
        return recording.Reply(400 if prefix == ERROR_FEED else 200, body, ATOM)

    server.route(PATH, respond)
    return server.url + PATH
