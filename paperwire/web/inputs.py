"""Text that comes in from the web and the API: what characters it may hold, checked once at the
boundary for every form field, query and path parameter and JSON string.

Refused: the characters XML 1.0 cannot carry and PostgreSQL ``text`` cannot store (NUL and the other
C0 controls, U+FFFE, U+FFFF and lone surrogates); tab, newline and carriage return only in fields that
hold several lines. A refusal is an ``InvalidText`` (422) naming the field, never a 500 from the
database or the feed writer further in.

- ``check_text`` is the rule (``papers.records`` owns it: imported libraries and harvested records
  pass the same one); ``form_fields`` (``web.forms``) applies it to every posted field.
- ``check_address`` is an app-wide dependency that applies it to every path and query parameter.
- ``Line`` and ``Lines`` are the annotated ``str`` types of the JSON schemas and API parameters; they
  document the rule as a ``pattern`` in the OpenAPI document.
- ``RowId`` is every id in an address (``/comments/{comment_id}/edit``, the API's too), 1 to
  ``numbers.MAX_ROW_ID`` (422 naming it beyond); ``form_number`` reads a whole number from a form
  or query field by the same rule (``paperwire.numbers``), an ``InvalidNumber`` (422) naming the
  field otherwise. No integer a visitor writes reaches the database unbounded.
- ``IsoDate`` is a date parameter written ``YYYY-MM-DD`` only (not ``0``, read by pydantic as 1970-01-01
  otherwise) and within ``papers.periods``' span, documented by its pattern.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from fastapi import Path, Request
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from paperwire.errors import InvalidNumber
from paperwire.numbers import MAX_ROW_ID, whole
from paperwire.papers.periods import (
    DATE_PATTERN,
    FIRST_DAY,
    LAST_DAY,
    MONTH_PATTERN,
    SPAN,
    WEEK_PATTERN,
)
from paperwire.papers.records import check_text, describe, refused_character

# The same sets, as JSON Schema patterns (ECMA 262 escapes) in the OpenAPI document. Without the
# surrogates: UTF-8 cannot carry a lone one, and schemathesis drops a pattern that names them.
LINE_PATTERN = r"^[^\u0000-\u001f\ufffe\uffff]*$"
LINES_PATTERN = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]*$"

# A search filters by at most this many categories (the API refuses more, the page uses the first).
MAX_CATEGORIES = 32
# Posted form fields where tab and line breaks pass: the textareas, and two fields whose service
# answers them better (``safe_next`` sends a ``next`` with a tab home; ``clean_address`` refuses an
# e-mail address with a line break as the header injection it is). Every other field is one line.
MULTILINE_FIELDS = frozenset(
    {"body", "description", "topics", "categories", "next", "email", "match"}
)


async def check_address(request: Request) -> None:
    """Every path and query parameter of the request (names too), before any route reads one.
    ``async`` though it awaits nothing: FastAPI runs a plain ``def`` dependency in the threadpool,
    a hop (two thread switches) per request for a few regular-expression scans of the address."""
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(value, f"the address's {name}")
    for name, value in request.query_params.multi_items():
        check_text(name, "a query parameter's name")
        check_text(value, f"query parameter {name}")


RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
"""An id in an address: a whole number from 1 to ``MAX_ROW_ID``."""


def form_number(value: str, field: str, *, low: int = 1, high: int = MAX_ROW_ID) -> int:
    """A form or query field's whole number (ASCII digits, ``low`` to ``high``), or
    ``InvalidNumber`` naming ``field``."""
    number = whole(value, low, high)
    if number is None:
        raise InvalidNumber(f"{field}: must be a whole number from {low} to {high}")
    return number


class _Refuse:
    """Pydantic metadata: validate ``str`` with ``refused_character`` and publish the pattern."""

    def __init__(self, multiline: bool) -> None:
        self.multiline = multiline

    def _validate(self, value: str) -> str:
        char = refused_character(value, multiline=self.multiline)
        if char is not None:
            raise PydanticCustomError(
                "refused_character",
                "holds {char}, which paperwire cannot store or show",
                {"char": describe(char)},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        if json_schema.get("type") == "string":
            json_schema["pattern"] = LINES_PATTERN if self.multiline else LINE_PATTERN
        return json_schema


Line = Annotated[str, _Refuse(multiline=False)]
"""One line of text: no control characters at all."""

Lines = Annotated[str, _Refuse(multiline=True)]
"""Text of several lines: tab, newline and carriage return allowed, other controls not."""


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class _IsoDate:
    """Pydantic metadata for ``date``: only ``YYYY-MM-DD`` text, only within the span."""

    def _before(self, value: Any) -> Any:
        if isinstance(value, str) and not _ISO_DATE.match(value):
            raise PydanticCustomError("date_format", "must be a date written YYYY-MM-DD")
        return value

    def _after(self, value: date) -> date:
        if not FIRST_DAY <= value <= LAST_DAY:
            raise PydanticCustomError(
                "date_range",
                "{day} is out of range: {span}",
                {"day": value.isoformat(), "span": SPAN},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        checked = core_schema.no_info_after_validator_function(self._after, handler(source))
        return core_schema.no_info_before_validator_function(self._before, checked)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = DATE_PATTERN
        return json_schema


IsoDate = Annotated[date, _IsoDate()]
"""A date written ``YYYY-MM-DD`` between ``papers.periods.FIRST_DAY`` and ``LAST_DAY``."""


class _Written:
    """Pydantic metadata for ``str``: text of one written form (``shape``) whose documented
    ``pattern`` also bounds the year; outside it, the span is named rather than the pattern."""

    def __init__(self, shape: str, pattern: str, form: str) -> None:
        self.shape, self.pattern, self.form = re.compile(shape), re.compile(pattern), form

    def _validate(self, value: str) -> str:
        if not self.shape.match(value):
            raise PydanticCustomError("written_form", "must be written {form}", {"form": self.form})
        if not self.pattern.match(value):
            raise PydanticCustomError(
                "written_range",
                "{value} is out of range (or not a real one): {span}",
                {"value": value, "span": SPAN},
            )
        return value

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self._validate, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["pattern"] = self.pattern.pattern
        return json_schema


IsoWeek = Annotated[str, _Written(r"^\d{4}-W\d{2}$", WEEK_PATTERN, "YYYY-Www")]
"""An ISO week, ``2026-W23``, within the span."""

Month = Annotated[str, _Written(r"^\d{4}-\d{2}$", MONTH_PATTERN, "YYYY-MM")]
"""A month, ``2026-06``, within the span."""
