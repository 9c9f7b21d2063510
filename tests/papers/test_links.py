"""Code repositories and project pages are found in abstracts and comments."""

from __future__ import annotations

from paperwire.papers.links import extract_links


def test_code_and_project_links() -> None:
    abstract = (
        "The codes are released at https://github.com/rikeilong/Bay-CAT. "
        "Project page: https://example.github.io/cat/ and data at www.gitlab.com/group/repo.git."
    )
    links = extract_links(abstract, "Code: https://github.com/rikeilong/Bay-CAT")
    assert links == [
        {"kind": "code", "url": "https://github.com/rikeilong/Bay-CAT"},
        {"kind": "project", "url": "https://example.github.io/cat/"},
        {"kind": "code", "url": "https://www.gitlab.com/group/repo.git"},
    ]


def test_arxiv_doi_and_bare_hosts_are_not_code() -> None:
    text = "See https://arxiv.org/abs/2401.00001, https://doi.org/10.1/x and https://github.com/."
    assert extract_links(text) == []


def test_latex_escapes_in_urls() -> None:
    assert extract_links(r"\url{https://github.com/a\_b/c\_d}") == [
        {"kind": "code", "url": "https://github.com/a_b/c_d"}
    ]


def test_nothing_in_nothing() -> None:
    assert extract_links(None, "", "no links here") == []
