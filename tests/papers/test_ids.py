"""Every spelling of an arXiv id people paste comes out canonical; anything else is refused by name."""

from __future__ import annotations

import pytest

from paperwire.errors import InvalidPaperId
from paperwire.papers.ids import ArxivId, local_paper_id, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2403.04640", ArxivId("2403.04640")),
        ("2403.04640v2", ArxivId("2403.04640", 2)),
        ("arXiv:2403.04640", ArxivId("2403.04640")),
        ("ARXIV:2403.04640v3", ArxivId("2403.04640", 3)),
        ("https://arxiv.org/abs/2403.04640", ArxivId("2403.04640")),
        ("http://arxiv.org/abs/2403.04640v1", ArxivId("2403.04640", 1)),
        ("https://arxiv.org/pdf/2403.04640v2.pdf", ArxivId("2403.04640", 2)),
        ("https://arxiv.org/pdf/2403.04640", ArxivId("2403.04640")),
        ("arxiv.org/abs/2403.04640?context=cs", ArxivId("2403.04640")),
        ("https://export.arxiv.org/abs/0704.0001", ArxivId("0704.0001")),
        ("https://huggingface.co/papers/2403.04640", ArxivId("2403.04640")),
        ("  1111.2011v2 ", ArxivId("1111.2011", 2)),
        ("hep-th/9901001", ArxivId("hep-th/9901001")),
        ("hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("https://arxiv.org/abs/astro-ph/0601001", ArxivId("astro-ph/0601001")),
        ("quant-ph/0201082v1", ArxivId("quant-ph/0201082", 1)),
        ("math.AG/0601001", ArxivId("math.AG/0601001")),
        ("http://arxiv.org/api/1111.2011v2", None),
    ],
)
def test_forms(text: str, expected: ArxivId | None) -> None:
    if expected is None:
        with pytest.raises(InvalidPaperId):
            parse_arxiv_id(text)
    else:
        assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "2403",
        "2403.046",
        "12345.67890",
        "https://example.org/abs/2403.04640",
        "hep-th/99",
    ],
)
def test_rejects_with_the_input_named(text: str) -> None:
    with pytest.raises(InvalidPaperId, match="not an arXiv id"):
        parse_arxiv_id(text)


def test_str_round_trips() -> None:
    assert str(parse_arxiv_id("arXiv:2403.04640v2")) == "2403.04640v2"


def test_local_ids_are_stable_and_distinct() -> None:
    assert local_paper_id("import", "a") == local_paper_id("import", "a")
    assert local_paper_id("import", "a") != local_paper_id("import", "b")
    assert local_paper_id("import", "a").startswith("pw-")
