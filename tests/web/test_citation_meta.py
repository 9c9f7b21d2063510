"""The citation tags of a paper page (what Zotero's connector reads) carry a hostile title and TeX
as text, escaped, never as markup, and name the paper's DOI and arXiv id; the paper's RIS and
CSL-JSON read back the same title."""

from __future__ import annotations

import orjson
import rispy
from lxml import html

from tests.web.served import Site

EPSILON = "2406.00005"
TITLE = "Epsilon: bounds on $x^2$ for <i>all</i> inputs"


def test_hostile_title_in_citation_tags(site: Site) -> None:
    text = site.get(f"/papers/{EPSILON}").text
    head = text.split("</head>")[0]
    assert (
        '<meta name="citation_title" content="Epsilon: bounds on $x^2$ for &lt;i&gt;all&lt;/i&gt; inputs">'
        in head
    )
    page = html.fromstring(text)

    def meta(name: str) -> list[str]:
        return [str(m.get("content")) for m in page.xpath(f'//head/meta[@name="{name}"]')]

    assert meta("citation_title") == [TITLE]
    assert meta("citation_author") == [f"Author {i}" for i in range(1, 13)]
    assert meta("citation_doi") == ["10.1234/epsilon.5"]
    assert meta("citation_arxiv_id") == [EPSILON]
    assert meta("citation_publication_date") == ["2026/06/01"]
    assert not page.xpath("//head//i")  # the title's tags are text

    [record] = rispy.loads(site.get(f"/papers/{EPSILON}.ris").text)
    assert record["title"] == TITLE and record["doi"] == "10.1234/epsilon.5"
    [item] = orjson.loads(site.get(f"/papers/{EPSILON}.csl.json").content)
    assert item["title"] == TITLE and item["note"] == "J. Test. Phys. 12 (2026) 34"
    # A paper in no list still has its tags and exports; a hidden one has neither.
    assert site.get("/papers/2406.00006.ris").status_code == 200
    assert site.get("/papers/2406.00004.ris").status_code == 404
