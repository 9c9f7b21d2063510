"""Whole numbers written by people (form fields, query parameters, parts of an address): one rule
for every surface, so none of them meets Python's or the database's limits further in.

A number is ASCII digits only (``str.isdigit`` also accepts ``²`` and other digits ``int`` refuses
or reads as something else), at most 18 of them, and within the bounds its use allows. A row id is
at most ``MAX_ROW_ID``, the largest value of a 32-bit ``INTEGER`` column: beyond it PostgreSQL
raises an error for the query instead of finding nothing, and SQLite cannot bind a Python integer
past 64 bits at all.
"""

from __future__ import annotations

import re

MAX_ROW_ID = 2**31 - 1
_WHOLE = re.compile(r"-?[0-9]{1,18}")


def whole(text: str, low: int, high: int) -> int | None:
    """``text`` (surrounding blanks aside) as a whole number from ``low`` to ``high``, or None when
    it is not one written in ASCII digits or lies outside."""
    text = text.strip()
    if not _WHOLE.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def row_id(text: str) -> int | None:
    """``text`` as a row id (1 to ``MAX_ROW_ID``), or None."""
    return whole(text, 1, MAX_ROW_ID)
