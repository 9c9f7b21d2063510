"""JSON lines of any list: one paper per line, in the API's ``PaperPublic`` shape."""

from __future__ import annotations

from collections.abc import Sequence

import orjson

from paperwire.papers.readmodel import PaperView
from paperwire.web.api.schemas import paper_dict


def json_lines(items: Sequence[PaperView]) -> bytes:
    """``items`` as JSON lines (UTF-8, one ``PaperPublic`` object per line, a final newline)."""
    return b"".join(orjson.dumps(paper_dict(item)) + b"\n" for item in items)
