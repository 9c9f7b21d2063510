"""Author names: the normalised form two spellings of one name share, and the slug of a form.

``Zoë Müller``, ``Zoe Muller`` and ``Müller, Zoë`` have one form (``zoe muller``): accents folded,
case dropped, a ``Family, Given`` order turned round, punctuation between words dropped. ``Z. Müller``
has its own form (``z muller``) that only ``identities`` may join to a full one, with evidence. A
collaboration (``ATLAS Collaboration``), a single name and a name in a script without spaces between
given and family name (``张伟``) are kept whole: they only ever meet their exact form.

A slug is the form with ``-`` between words, so it is stable (it depends on the name alone) and two
forms never share one; non-Latin letters stay as they are (browsers show them in the address bar).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Letters NFKD does not split into a base letter and a mark.
_FOLD = str.maketrans(
    {"ß": "ss", "ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "æ": "ae", "Æ": "ae", "œ": "oe"}
    | {"Œ": "oe", "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)
_WORD = re.compile(r"[^\W_]+")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_GROUP_WORDS = frozenset(
    {
        "collaboration",
        "collaborations",
        "consortium",
        "team",
        "group",
        "collaborators",
        "project",
        "network",
        "alliance",
        "initiative",
        "authors",
        "others",
        "et",
    }
)
MAX_FORM = 255
MAX_FAMILY = 128


def fold(text: str) -> str:
    """Lower case without accents (``Zoë`` → ``zoe``); letters of other scripts kept."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _is_latin(token: str) -> bool:
    return all(c.isascii() for c in token)


@dataclass(frozen=True, slots=True)
class NameForm:
    """One name, normalised: ``given`` tokens, one ``family`` token, ``whole`` for names that
    only match themselves (collaborations, single names, non-Latin script names)."""

    given: tuple[str, ...]
    family: str
    whole: bool = False

    @property
    def form(self) -> str:
        return " ".join((*self.given, self.family))[:MAX_FORM]

    @property
    def slug(self) -> str:
        return self.form.replace(" ", "-")

    @property
    def initials_only(self) -> bool:
        return bool(self.given) and all(len(g) == 1 for g in self.given)

    @property
    def first(self) -> str:
        return self.given[0] if self.given else ""


@lru_cache(maxsize=65536)
def parse_name(name: str) -> NameForm | None:
    """The normalised form of an author's name, or None when it holds no letter or digit."""
    text = " ".join(str(name).split())
    if "," in text:  # "Müller, Zoë" (and "Müller, Zoë, Jr.")
        family_part, _, given_part = text.partition(",")
        if given_part.strip() and _WORD.search(family_part):
            text = f"{given_part} {family_part}"
    tokens = _WORD.findall(fold(text))
    tokens = [t for t in tokens if t not in _SUFFIXES] or tokens
    if not tokens:
        return None
    if len(tokens) == 1 or _GROUP_WORDS.intersection(tokens) or not all(map(_is_latin, tokens)):
        whole = " ".join(tokens)[:MAX_FORM]
        return NameForm(given=(), family=whole, whole=True)
    return NameForm(given=tuple(tokens[:-1]), family=tokens[-1][:MAX_FAMILY])


def name_slug(name: str) -> str | None:
    """The slug an author name links to (``Zoë Müller`` → ``zoe-muller``), or None."""
    parsed = parse_name(name)
    return parsed.slug if parsed else None


def parse_slug(slug: str) -> NameForm | None:
    """The form a slug stands for; a slug typed with capitals or accents finds the same form."""
    return parse_name(slug.replace("-", " "))


def compatible(a: NameForm, b: NameForm) -> bool:
    """Whether two forms may name one person: the same family name and given names that agree
    where both have them, an initial agreeing with a name starting with it; or the same two words
    in the other order (``Wei Zhang``, ``Zhang Wei``). Whole names match only themselves."""
    if a.whole or b.whole:
        return a.form == b.form
    if a.family != b.family:
        return len(a.given) == len(b.given) == 1 and (a.first, a.family) == (b.family, b.first)
    for x, y in zip(a.given, b.given, strict=False):
        if len(x) == 1 or len(y) == 1:
            if x[0] != y[0]:
                return False
        elif x != y:
            return False
    return True
