r"""BibTeX for papers: one ``@misc`` entry per paper in arXiv's style (eprint, archivePrefix,
primaryClass), with unique citation keys across a list (``cheng2024breaking``, ``...a``).

Every field value goes through ``latex``, whatever its origin (an arXiv id and a category are as
untrusted as a title: a category ``cs.CL}}, note = {{x`` must not close its field and open another):
characters XML 1.0 and PostgreSQL text cannot hold are dropped, braces are kept only when they
balance (so a value can never end its field early), and the TeX in it is neutralised, since the
export goes through somebody's LaTeX: a title holding ``\input{/etc/passwd}`` or
``\immediate\write18{...}`` must not read their files or run their shell.

- Outside ``$...$``, only the control sequences of ``TEXT_COMMANDS`` stay (accents such as
  ``\'e`` and ``{\"o}``, letters such as ``\ss``, ``\emph``...); any other becomes
  ``\textbackslash{}name``, shown as written and never run. ``& % # _ $ ^`` are escaped.
- Inside ``$...$`` the maths is kept as written but for its control sequences: those of
  ``MATH_COMMANDS`` (Greek letters, operators, fonts, accents, arrows...) stay, any other
  becomes ``\backslash{}name``; ``& % #`` are escaped.
- ``^^``, TeX's way of writing any character (``^^5c`` is a backslash), never survives: a run of
  carets becomes one in maths, and each is escaped outside.

The citation key is made of letters and digits only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from paperwire.papers.ids import abs_url
from paperwire.papers.readmodel import PaperView
from paperwire.papers.records import storable_text

_MATH = re.compile(r"((?<!\\)\$(?:[^$\\]|\\.)*\$)", re.DOTALL)
# A control sequence: a backslash and a name of letters (``@`` counts as one in LaTeX's internals),
# or a backslash and one other character, or a backslash that ends the text.
_TEXT_TOKEN = re.compile(r"\\([A-Za-z@]+|[^A-Za-z@])?|([&%#_$])|(\^)", re.DOTALL)
_MATH_TOKEN = re.compile(r"\\([A-Za-z@]+|[^A-Za-z@])?|([&%#])", re.DOTALL)
_CARETS = re.compile(r"\^{2,}")
_WORD = re.compile(r"[A-Za-z]+")
SKIP_WORDS = {"a", "an", "the", "on", "of", "for", "in", "to", "and", "with", "towards", "toward"}


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Control sequences kept outside maths: accents, letters and symbols, text styles. None reads or
# writes a file, defines anything or builds another control sequence's name.
TEXT_COMMANDS = frozenset("'`^\"~=.&%#_${} -,;:!/@") | _names(
    """u v H c d b t r k i j l L o O ss ae AE oe OE aa AA dh DH th TH ng NG dj DJ
    emph textit textbf textsc texttt textsf textrm textsl textup textmd textnormal
    textsuperscript textsubscript LaTeX TeX BibTeX ldots dots textendash textemdash
    textbackslash textasciicircum textasciitilde textquoteleft textquoteright
    textquotedblleft textquotedblright S P dag ddag copyright pounds euro textdegree"""
)
# Control sequences kept inside ``$...$``: the maths of paper titles.
MATH_COMMANDS = frozenset("{}|,;:!> %#&_$") | _names(
    """alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa varkappa
    lambda mu nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon phi varphi chi psi omega
    Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega digamma
    mathbf mathrm mathit mathsf mathtt mathcal mathbb mathfrak mathscr mathnormal boldsymbol bm
    rm bf it sf tt cal text textrm textbf textit textsf texttt mbox operatorname
    frac dfrac tfrac sqrt sum prod coprod int iint iiint oint lim limsup liminf sup inf max min
    arg det dim exp ker deg gcd hom log ln lg sin cos tan cot sec csc arcsin arccos arctan sinh
    cosh tanh coth Pr binom choose over stackrel overset underset boxed mathop mathbin mathrel
    limits nolimits displaystyle textstyle scriptstyle left right big Big bigg Bigg bigl bigr
    Bigl Bigr middle langle rangle lfloor rfloor lceil rceil lvert rvert lVert rVert vert Vert mid
    leq geq le ge neq ne approx sim simeq cong equiv propto ll gg prec succ preceq succeq subset
    subseteq supset supseteq subsetneq in notin ni cup cap bigcup bigcap setminus sqcup uplus
    times cdot cdots ldots dots vdots ddots pm mp div ast star circ bullet oplus ominus otimes
    odot oslash bigoplus bigotimes wedge vee land lor lnot neg forall exists nexists nabla partial
    infty emptyset varnothing top bot perp parallel angle ell hbar imath jmath Re Im aleph wp
    prime backslash to gets mapsto rightarrow leftarrow leftrightarrow Rightarrow Leftarrow
    Leftrightarrow longrightarrow longleftarrow longmapsto uparrow downarrow updownarrow
    hookrightarrow rightharpoonup iff implies impliedby nearrow searrow vdash dashv models
    hat widehat bar overline underline tilde widetilde vec dot ddot breve check acute grave
    overrightarrow overleftarrow overbrace underbrace not colon quad qquad dagger ddagger
    square Box triangle diamond lozenge clubsuit heartsuit spadesuit sharp flat natural
    checkmark star circledast dotsc dotsb dotsm cdotp lesssim gtrsim ll lll ggg"""
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _text_token(found: re.Match[str]) -> str:
    name, special, caret = found.group(1), found.group(2), found.group(3)
    if special:
        return "\\" + special
    if caret:
        return r"\^{}"
    if name is not None and name in TEXT_COMMANDS:
        return found.group(0)
    return r"\textbackslash{}" + _plain(name or "")


def _math_token(found: re.Match[str]) -> str:
    name, special = found.group(1), found.group(2)
    if special:
        return "\\" + special
    if name is not None and name in MATH_COMMANDS:
        return found.group(0)
    return r"\backslash{}" + _plain(name or "")


def _plain(name: str) -> str:
    """The name of a refused control sequence, as text (a name of letters stays as it is)."""
    return {"\\": r"\textbackslash{}", "^": r"\^{}", "{": r"\{", "}": r"\}"}.get(name, name)


def latex(text: str) -> str:
    """``text`` safe inside a BibTeX field and in LaTeX: braces balanced, TeX commands
    neutralised outside and inside maths (see the module docstring)."""
    text = " ".join(storable_text(text).split())
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        text = text.replace("{", "").replace("}", "")
    parts = _MATH.split(text)
    out = "".join(
        "$" + _MATH_TOKEN.sub(_math_token, _CARETS.sub("^", p[1:-1])) + "$"
        if n % 2
        else _TEXT_TOKEN.sub(_text_token, p)
        for n, p in enumerate(parts)
    )
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
