"""URL convertors. ``paper_id`` matches only real paper ids (new and old-style arXiv ids with an
optional version, and paperwire's own ``pw-`` ids), so ``/papers/{id}`` never swallows sibling pages
such as ``/papers/trending`` or ``/papers/{id}.md`` that other routers add."""

from __future__ import annotations

from starlette.convertors import Convertor, register_url_convertor

PAPER_ID_REGEX = (
    r"(?:\d{4}\.\d{4,5}(?:v\d+)?"
    r"|[a-zA-Z][a-zA-Z\-]*(?:\.[A-Za-z\-]{2,})?/\d{7}(?:v\d+)?"
    r"|pw-[0-9a-f]{16})"
)


class PaperIdConvertor(Convertor[str]):
    regex = PAPER_ID_REGEX

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("paper_id", PaperIdConvertor())
