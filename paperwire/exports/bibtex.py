"""BibTeX for papers: one ``@misc`` entry per paper in arXiv's style (eprint, archivePrefix,
primaryClass), with unique citation keys across a list (``cheng2024breaking``, ``...a``).

Every field value goes through ``latex``, whatever its origin (an arXiv id and a category are as
untrusted as a title: a category ``cs.CL}}, note = {{x`` must not close its field and open another):
specials are escaped outside ``$...$`` (where TeX from titles is kept as written), characters XML
1.0 and PostgreSQL text cannot hold are dropped, and braces are kept only when they balance, so a
value can never end its field early. The citation key is made of letters and digits only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from paperwire.papers.ids import abs_url
from paperwire.papers.readmodel import PaperView
from paperwire.papers.records import storable_text

_SPECIAL = re.compile(r"([&%#_])")
_MATH = re.compile(r"(\$[^$]*\$)")
_WORD = re.compile(r"[A-Za-z]+")
SKIP_WORDS = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "toward"}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def latex(text: str) -> str:
    """``text`` safe inside a BibTeX field: specials escaped outside maths, braces balanced."""
    parts = _MATH.split(" ".join(storable_text(text).split()))
    out = "".join(
        p if p.startswith("$") and p.endswith("$") else _SPECIAL.sub(r"\\\1", p) for p in parts
    )
    depth = 0
    for char in out:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    out = out if depth == 0 else out.replace("{", "").replace("}", "")
    # A trailing backslash would escape the brace that closes the field in LaTeX.
    return out.rstrip("\\")


def bib_name(name: str) -> str:
    """``Zesen Cheng`` → ``Cheng, Zesen`` (one-word and already inverted names stay)."""
    name = " ".join(name.split())
    if "," in name or " " not in name:
        return latex(name)
    first, last = name.rsplit(" ", 1)
    return latex(f"{last}, {first}")


def citation_key(item: PaperView) -> str:
    paper = item
    names = list(paper.authors)
    # A stored name may be only white space or start with a comma: no surname then.
    surname = names[0].split(",")[0].split() if names else []
    last = _WORD.findall(_ascii(surname[-1])) if surname else []
    year = paper.published_at.year if paper.published_at else ""
    word = next(
        (w.lower() for w in _WORD.findall(_ascii(paper.title)) if w.lower() not in SKIP_WORDS),
        "",
    )
    key = f"{(last[0] if last else 'paper').lower()}{year}{word}"
    return key or re.sub(r"[^A-Za-z0-9]", "", paper.id) or "paper"


def bibtex_fields(item: PaperView) -> list[tuple[str, str]]:
    """The fields of ``item``'s entry, in order, each value escaped (empty ones left out)."""
    paper = item
    fields: list[tuple[str, str]] = [
        ("title", "{" + latex(paper.title) + "}"),
        ("author", " and ".join(bib_name(n) for n in list(paper.authors))),
    ]
    if paper.published_at:
        fields.append(("year", str(paper.published_at.year)))
        fields.append(("month", paper.published_at.strftime("%b").lower()))
    if paper.arxiv_id:
        fields += [
            ("eprint", latex(paper.arxiv_id)),
            ("archivePrefix", "arXiv"),
            ("url", latex(abs_url(paper.arxiv_id))),
        ]
        if paper.primary_category:
            fields.append(("primaryClass", latex(paper.primary_category)))
    if paper.doi:
        fields.append(("doi", latex(paper.doi)))
    if paper.journal_ref:
        fields.append(("note", latex(paper.journal_ref)))
    return [(name, value) for name, value in fields if value]


def bibtex_entry(item: PaperView, key: str | None = None) -> str:
    """One ``@misc`` entry."""
    lines = [f"@misc{{{key or citation_key(item)},"]
    lines += [f"  {name} = {{{value}}}," for name, value in bibtex_fields(item)]
    return "\n".join(lines) + "\n}\n"


def citation_keys(items: Sequence[PaperView]) -> list[str]:
    """The citation keys of ``items`` in order, made unique with a, b, c... (every export of a
    list names its entries alike: BibTeX keys, RIS ``ID``, CSL-JSON ``id``)."""
    seen: dict[str, int] = {}
    keys = []
    for item in items:
        key = citation_key(item)
        count = seen.get(key, 0)
        seen[key] = count + 1
        keys.append(key + ("" if count == 0 else _suffix(count)))
    return keys


def bibtex(items: Sequence[PaperView]) -> str:
    """Entries for ``items`` in order, their keys made unique with a, b, c..."""
    return "\n".join(
        bibtex_entry(item, key) for item, key in zip(items, citation_keys(items), strict=True)
    )


def _suffix(count: int) -> str:
    letters = ""
    while count > 0:
        count, rest = divmod(count - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters
