"""The characters text inputs may hold (``web.inputs``): what XML 1.0 and PostgreSQL ``text`` can,
with tab and line breaks only in fields of several lines."""

from __future__ import annotations

import pytest

from paperwire.errors import InvalidText
from paperwire.web.inputs import check_text, refused_character


@pytest.mark.parametrize(
    ("value", "multiline", "refused"),
    [
        ("plain text, ünïcödé, 量子", False, None),
        ("tab\tand\nlines\r\n", True, None),
        ("tab\there", False, "\t"),
        ("line\nbreak", False, "\n"),
        ("bell\x07", True, "\x07"),
        ("escape\x1b[31m", True, "\x1b"),
        ("nul\x00", True, "\x00"),
        ("non\ufffecharacter", True, "\ufffe"),
        ("non\uffffcharacter", False, "\uffff"),
        ("lone\ud800surrogate", True, "\ud800"),
        ("kept\x7f\x85\u2028", False, None),  # XML 1.0 and PostgreSQL hold these
    ],
)
def test_the_rule_follows_what_xml_and_postgresql_can_hold(
    value: str, multiline: bool, refused: str | None
) -> None:
    assert refused_character(value, multiline=multiline) == refused
    if refused is None:
        assert check_text(value, "field", multiline=multiline) == value
    else:
        with pytest.raises(InvalidText, match=rf"^comment: holds U\+{ord(refused):04X} "):
            check_text(value, "comment", multiline=multiline)
