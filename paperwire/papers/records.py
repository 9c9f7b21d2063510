"""The ingest-neutral description of a paper, and the text clean-up every source shares.

Characters that XML 1.0 and PostgreSQL text cannot hold (NUL and the other C0 controls except tab,
line feed and carriage return, lone surrogates, U+FFFE and U+FFFF) are never stored. Control
characters that Python counts as white space (vertical tab, form feed, U+001C..U+001F) become spaces
like any other white space when a field is cleaned. Any other such character, in any field of a
record, rejects the whole record, naming the field and the character: none occurs in well-formed
metadata (arXiv's XML cannot even carry one), so one signals a corrupt or hostile record, and
stripping it would store a silently altered title or author list. ``unstorable`` finds them;
``storable_text`` removes them where text is written out (feeds, exports), as a last line of
defence for data stored before this rule.

The same characters are the one rule for every text paperwire stores, whatever brought it in:
``check_text`` refuses them with ``InvalidText`` naming the field (the web and API boundary, see
``web.inputs``, and imported libraries), ``unstorable`` names them in a harvested record.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import orjson

from paperwire.errors import InvalidText

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n|\n[ \t]+")
# The complement of XML 1.0's Char production, minus tab, LF and CR: no stored text holds one.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f"
_NEVER = "\ud800-\udfff\ufffe\uffff"
# U+10FFFF stands in for a control character that an XML source held (see ``ingest.xmltext``).
XML_CONTROL_MARK = "\U0010ffff"
_UNSTORABLE = re.compile(f"[{_CONTROLS}{_NEVER}{XML_CONTROL_MARK}]")
_BAD_IN_LINES = re.compile(f"[{_CONTROLS}{_NEVER}]")
_BAD_IN_LINE = re.compile(f"[{_CONTROLS}\t\n\r{_NEVER}]")
_NAMES = {0: "NUL"}


def clean_line(text: str | None) -> str:
    """Collapse all white space (arXiv wraps titles and author lists) into single spaces."""
    # str.split() splits at exactly the characters \s matches, several times faster than re.sub.
    return " ".join((text or "").split())


def clean_abstract(text: str | None) -> str:
    """Join arXiv's hard-wrapped lines but keep its paragraph breaks (a blank or indented line)."""
    stripped = (text or "").strip()
    if not stripped:
        return ""
    paragraphs = (clean_line(p) for p in _PARAGRAPH_BREAK.split(stripped))
    return "\n\n".join(p for p in paragraphs if p)


def storable_text(text: str) -> str:
    """``text`` without the characters XML 1.0 and PostgreSQL text cannot hold."""
    return _UNSTORABLE.sub("", text) if _UNSTORABLE.search(text) else text


def describe(char: str) -> str:
    """``U+0000 (a control character)``: how a refused character is named in messages."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        kind = "half of a surrogate pair"
    elif code in (0xFFFE, 0xFFFF):
        kind = "a noncharacter"
    elif char in "\t\n\r":
        kind = "a tab or line break, in a one-line field"
    else:
        kind = "a control character"
    return f"U+{code:04X} ({kind})"


def refused_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character of ``value`` that a field may not hold, or None (tab and line breaks
    only where ``multiline``)."""
    found = (_BAD_IN_LINES if multiline else _BAD_IN_LINE).search(value)
    return found.group() if found else None


def check_text(value: str, field: str, *, multiline: bool = False) -> str:
    """``value`` unchanged, or ``InvalidText`` naming ``field`` and the character refused."""
    char = refused_character(value, multiline=multiline)
    if char is not None:
        raise InvalidText(
            f"{field}: holds {describe(char)}, which paperwire cannot store or show;"
            " remove it and try again."
        )
    return value


def _describe(char: str) -> str:
    if char == XML_CONTROL_MARK:
        return "a control character (in the XML source)"
    code = ord(char)
    name = f" ({_NAMES[code]})" if code in _NAMES else ""
    return f"the character U+{code:04X}{name}"


def _first_unstorable(value: Any) -> str | None:
    """The first unstorable character anywhere in ``value`` (strings, lists, dict keys and values)."""
    if isinstance(value, str):
        found = _UNSTORABLE.search(value)
        return found.group(0) if found else None
    if isinstance(value, list | tuple):
        for item in value:
            char = _first_unstorable(item)
            if char:
                return char
    elif isinstance(value, dict):
        for key, item in value.items():
            char = _first_unstorable(key) or _first_unstorable(item)
            if char:
                return char
    return None


def utc_naive(value: datetime | None) -> datetime | None:
    """Store every time as naive UTC: SQLite has no time zones, and PostgreSQL must match it."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=0)


def parse_time(text: str | None) -> datetime | None:
    """Parse ISO-8601 (``2024-03-07T18:59:52Z``, ``...+00:00``, ``2024-03-07``); None when empty."""
    if not text:
        return None
    raw = text.strip().replace("Z", "+00:00")
    try:
        return utc_naive(datetime.fromisoformat(raw))
    except ValueError:
        return None


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


@dataclass
class EntryRecord:
    """A request to put the paper in the daily list of ``list_date``."""

    list_date: date
    source: str
    submitted_at: datetime | None = None
    submitter_name: str | None = None
    submitter_info: dict[str, Any] = field(default_factory=dict)
    submitted_by_id: int | None = None
    imported_comments: int = 0


@dataclass
class PaperRecord:
    """One paper as a source describes it; ``papers.store`` merges it into the database."""

    id: str
    title: str
    source: str
    arxiv_id: str | None = None
    version: int | None = None
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    published_at: datetime | None = None
    updated_at: datetime | None = None
    doi: str | None = None
    journal_ref: str | None = None
    comments: str | None = None
    links: list[dict[str, str]] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    upvotes_baseline: int | None = None
    entry: EntryRecord | None = None
    # Where the record was read (``FILE:LINE``, a URL, an item index), for rejection messages.
    origin: str | None = field(default=None, compare=False)

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None


_SCREENED = (
    "id",
    "title",
    "authors",
    "categories",
    "abstract",
    "doi",
    "journal_ref",
    "comments",
    "links",
    "extras",
)


# In the JSON that orjson writes (with its escaped backslashes taken out, since TeX's \beta and
# \frac would look like \b and \f), every unstorable character shows as an escape below or as the
# UTF-8 of U+FFFE, U+FFFF or U+10FFFF (each ending in 0xBF); a hit means "walk the fields". Each
# search starts from a single byte found at memory speed, so the screen costs a few microseconds.
_JSON_ESCAPES = re.compile(rb"\\(?:u00|[bf])")
_JSON_NONCHARACTERS = re.compile(rb"\xef\xbf[\xbe\xbf]|\xf4\x8f\xbf\xbf")


def _suspect(record: PaperRecord) -> bool:
    """A fast screen: one C-level serialisation and search instead of a walk through every field."""
    entry = record.entry
    try:
        blob = orjson.dumps(
            [
                [getattr(record, name) for name in _SCREENED],
                entry.submitter_name if entry else None,
                entry.submitter_info if entry else None,
            ],
            default=str,
            option=orjson.OPT_NON_STR_KEYS,
        )
    except (orjson.JSONEncodeError, TypeError):
        return True  # lone surrogates cannot be encoded: walk the fields to name the bad one
    if b"\\" in blob and _JSON_ESCAPES.search(blob.replace(b"\\\\", b"")):
        return True
    return b"\xbf" in blob and _JSON_NONCHARACTERS.search(blob) is not None


def unstorable(record: PaperRecord) -> str | None:
    """Why ``record`` cannot be stored (a field holding a character XML 1.0 or PostgreSQL text
    cannot hold, see the module docstring), or None when it can."""
    if not _suspect(record):
        return None
    for name in _SCREENED:
        char = _first_unstorable(getattr(record, name))
        if char:
            return f"{name} holds {_describe(char)}, which XML 1.0 and PostgreSQL text cannot hold"
    if record.entry is not None:
        entry = record.entry
        char = _first_unstorable(entry.submitter_name) or _first_unstorable(entry.submitter_info)
        if char:
            return (
                f"submitter holds {_describe(char)}, which XML 1.0 and PostgreSQL text cannot hold"
            )
    return None


CONTENT_FIELDS = (
    "arxiv_id",
    "version",
    "title",
    "abstract",
    "authors",
    "primary_category",
    "categories",
    "published_at",
    "updated_at",
    "doi",
    "journal_ref",
    "comments",
    "links",
    "extras",
    "sources",
    "upvotes_baseline",
)


def content_hash(row: dict[str, Any]) -> str:
    """A fingerprint of the stored content, so re-ingesting the same input is recognised as unchanged."""
    payload = orjson.dumps(
        [row.get(k) for k in CONTENT_FIELDS],
        default=str,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha1(payload).hexdigest()
