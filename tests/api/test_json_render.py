"""The API's JSON is written straight from the read model with orjson; it must be what the
pydantic models (which the OpenAPI document describes) would write, byte for byte, on every
recorded paper (thumbnails, media, organisations, AI keywords, submitters and all)."""

from __future__ import annotations

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from paperwire.db.engine import make_engine
from paperwire.db.models import Paper
from paperwire.papers.readmodel import load_papers
from paperwire.web.api.jsonl import json_lines
from paperwire.web.api.schemas import DailyPaperPublic, PaperPublic, daily_bytes
from tests.api.conftest import DATABASES
from tests.web.served import Site


def test_orjson_renderers_write_the_models_bytes(loaded_site: Site) -> None:
    engine = make_engine(DATABASES[loaded_site.url])
    try:
        with Session(engine) as session:
            items = load_papers(session, list(session.scalars(select(Paper.id))))
    finally:
        engine.dispose()
    assert len(items) > 100
    assert any(item.extras.get("thumbnail") for item in items)
    assert any(item.organization for item in items) and any(item.ai_keywords for item in items)
    models = TypeAdapter(list[DailyPaperPublic])
    want = models.dump_json([DailyPaperPublic.of(item) for item in items], exclude_none=True)
    assert daily_bytes(items) == want
    lines = b"".join(
        PaperPublic.of(item).model_dump_json(exclude_none=True).encode() + b"\n" for item in items
    )
    assert json_lines(items) == lines
