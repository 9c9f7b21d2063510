"""JSON lines of any list: one paper per line, in the API's ``PaperPublic`` shape."""

from __future__ import annotations

from collections.abc import Sequence

from paperwire.papers.readmodel import PaperView
from paperwire.web.api.schemas import PaperPublic


def json_lines(items: Sequence[PaperView]) -> str:
    """``items`` as JSON lines (UTF-8, one object per line, a final newline)."""
    return "".join(PaperPublic.of(item).model_dump_json(exclude_none=True) + "\n" for item in items)
