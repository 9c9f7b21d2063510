"""Control characters in XML sources: marked, so the one record holding them is rejected instead of
the whole document failing to parse.

XML 1.0 forbids most C0 control characters, U+FFFE, U+FFFF and surrogates, raw or as character
references (``&#1;``), so a single
one makes lxml give up on the whole response, losing every record after it. Each is replaced here,
before parsing, by ``&#x10FFFF;``: a legal XML reference to a noncharacter that no real metadata
holds. ``records.unstorable`` then rejects the one record that carries it, naming the field. Line
numbers do not change (line breaks are never replaced). UTF-16 documents are passed through as they
are (their NUL bytes are part of every character).
"""

from __future__ import annotations

import re
from typing import IO

MARK = b"&#x10FFFF;"
# Raw C0 controls, U+FFFE/U+FFFF and encoded surrogates (as UTF-8), and character references.
_FORBIDDEN = re.compile(
    rb"[\x00-\x08\x0b\x0c\x0e-\x1f]|\xef\xbf[\xbe\xbf]|\xed[\xa0-\xbf][\x80-\xbf]"
    rb"|&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));"
)
_LONGEST_REFERENCE = 24
_SEQUENCE_START = re.compile(rb"(?:\xef\xbf?|\xed[\xa0-\xbf]?)\Z")


def _allowed(code: int) -> bool:
    if code < 0x20:
        return code in (0x09, 0x0A, 0x0D)
    return not (0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF) or code > 0x10FFFF)


def _replace(match: re.Match[bytes]) -> bytes:
    hexa, decimal = match.group(1), match.group(2)
    if hexa is None and decimal is None:
        return MARK
    code = int(hexa, 16) if hexa is not None else int(decimal)
    return match.group(0) if _allowed(code) else MARK


def _partial_sequence(data: bytes) -> int:
    """How many bytes at the end of ``data`` may begin a forbidden three-byte sequence."""
    found = _SEQUENCE_START.search(data, max(0, len(data) - 2))
    return len(found.group(0)) if found else 0


def _utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00"))


def mark_controls(data: bytes) -> bytes:
    """``data`` with every control character XML 1.0 forbids (raw or referenced) marked."""
    return data if _utf16(data[:2]) else _mark(data)


def _mark(data: bytes) -> bytes:
    return _FORBIDDEN.sub(_replace, data) if _FORBIDDEN.search(data) else data


class MarkedReader:
    """A binary stream read through ``mark_controls``, chunk by chunk (for ``iterparse``).

    A character reference cut by a chunk boundary is held back and read with the next chunk.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.tail = b""
        self.checked = False
        self.passthrough = False

    def read(self, size: int = -1) -> bytes:
        while True:
            chunk = self.raw.read(size if size and size > 0 else -1)
            if not self.checked:
                while 0 < len(chunk) < 2:  # the encoding check needs two bytes
                    more = self.raw.read(size if size and size > 0 else -1)
                    if not more:
                        break
                    chunk += more
                self.checked = True
                self.passthrough = _utf16(chunk[:2])
            if self.passthrough:
                return chunk
            data = self.tail + chunk
            self.tail = b""
            if chunk:
                cut = len(data) - _partial_sequence(data)
                amp = data.rfind(b"&", max(0, len(data) - _LONGEST_REFERENCE))
                if amp != -1 and b";" not in data[amp:]:
                    cut = min(cut, amp)
                data, self.tail = data[:cut], data[cut:]
                if not data:
                    continue
            return _mark(data)
