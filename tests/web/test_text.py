"""How text from papers reaches a page: escaped, TeX kept whole, web addresses linked."""

from __future__ import annotations

from datetime import date

from paperwire.papers.views import abstract_paragraphs, author_names, summarise
from paperwire.web.templating import long_date, rich_text, tex


def test_tex_is_escaped_and_marked_but_keeps_its_dollars() -> None:
    out = str(tex("If $a<b$ then <script>x()</script> & $$\\sum_i x_i$$"))
    assert '<span class="tex">$a&lt;b$</span>' in out
    assert '<span class="tex">$$\\sum_i x_i$$</span>' in out
    assert "&lt;script&gt;x()&lt;/script&gt; &amp;" in out
    assert "<script>" not in out


def test_rich_text_links_web_addresses_only() -> None:
    out = str(
        rich_text(
            "Code: https://github.com/a/b\\_c. See (https://x.org/p?q=1&r=2), "
            'not javascript:alert(1) nor https://e.org/"onmouseover="x or https://g.com/r{GitHub}'
        )
    )
    assert (
        '<a href="https://github.com/a/b_c" rel="nofollow noopener">https://github.com/a/b\\_c</a>.'
        in out
    )
    assert '<a href="https://x.org/p?q=1&amp;r=2" rel="nofollow noopener">' in out
    assert 'href="javascript' not in out
    assert (
        '<a href="https://e.org/" rel="nofollow noopener">https://e.org/</a>&#34;onmouseover' in out
    )
    assert 'href="https://g.com/r"' in out


def test_summary_never_cuts_a_formula_in_half() -> None:
    text = "word " * 55 + "$\\mathcal{O}(n \\log n)$ and more words after the formula " * 5
    summary = summarise(text, limit=290)
    assert summary.endswith("…")
    assert summary.count("$") % 2 == 0
    assert summarise("short $x$") == "short $x$"


def test_paragraphs_authors_and_dates() -> None:
    assert abstract_paragraphs("One.\n\nTwo.\n\n") == ["One.", "Two."]
    assert author_names(["A", {"name": "B"}, {"other": 1}, ""]) == ["A", "B"]
    assert long_date(date(2026, 6, 7)) == "Sunday 7 June 2026"
