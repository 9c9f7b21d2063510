"""Property tests for every ingest parser (arXiv Atom, OAI-PMH XML, snapshot JSON lines, Hugging
Face JSON): whatever the bytes, no crash; each item is a record or a rejection naming the input, and
every record is either storable or rejected by the runner's screen with a reason.

Derandomised and bounded (``max_examples``), so CI is deterministic and the file runs in seconds.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperwire.ingest import arxiv_api, hf, oai, snapshot
from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import Item
from paperwire.ingest.xmltext import MarkedReader, mark_controls
from paperwire.papers.records import PaperRecord, storable_text, unstorable

FUZZ = settings(
    max_examples=40,
    database=None,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

# Text with the characters that broke things: controls, noncharacters, markup, TeX, addresses.
ALPHABET = st.sampled_from(
    [*list("ab Z0.,;:/$\\{}&%#_@\"'<>-()\n\t"), "\x00", "\x01", "\x0b", "\x1f", "\ufffe", "é", "∑"]
)
TEXT = st.text(ALPHABET, max_size=40) | st.text(max_size=20)
IDS = st.sampled_from(["2401.00001", "2401.00001v2", "hep-th/9901001", "math.AG/0601001v1"]) | TEXT


def check_items(items: list[Item], place: str) -> None:
    for item in items:
        if isinstance(item, Rejection):
            assert item.where.startswith(place) or item.where.startswith("--id")
            assert item.reason
        else:
            assert isinstance(item, PaperRecord)
            assert item.id and item.title
            reason = unstorable(item)
            if reason is None:
                assert storable_text(item.title) == item.title
            else:
                assert "cannot hold" in reason


def read_bytes(reader: Callable[[Path], Iterator[Item]], data: bytes, name: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        check_items(list(reader(path)), str(path))


# --- arXiv Atom --------------------------------------------------------------------------------


@st.composite
def atom_feeds(draw: st.DrawFn) -> bytes:
    entries = []
    for _ in range(draw(st.integers(0, 3))):
        parts = [f"<id>http://arxiv.org/abs/{escape(draw(IDS))}</id>"]
        for tag in ("title", "summary", "published", "arxiv:comment", "arxiv:doi"):
            if draw(st.booleans()):
                parts.append(f"<{tag}>{escape(draw(TEXT))}</{tag}>")
        for _ in range(draw(st.integers(0, 2))):
            parts.append(f"<author><name>{escape(draw(TEXT))}</name></author>")
        parts.append(f'<category term="{escape(draw(TEXT), {chr(34): "&quot;"})}"/>')
        entries.append("<entry>" + "".join(parts) + "</entry>")
    body = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns='http://www.w3.org/2005/Atom' "
        "xmlns:arxiv='http://arxiv.org/schemas/atom'>\n" + "\n".join(entries) + "\n</feed>\n"
    )
    data = body.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(data)))
        data = data[:cut]
    return data


@FUZZ
@given(atom_feeds() | st.binary(max_size=200))
def test_arxiv_atom_never_crashes(data: bytes) -> None:
    read_bytes(arxiv_api.read_file, data, "arxiv.xml")


# --- OAI-PMH -----------------------------------------------------------------------------------


@st.composite
def oai_documents(draw: st.DrawFn) -> bytes:
    records = []
    for _ in range(draw(st.integers(0, 3))):
        fmt = draw(st.sampled_from(["arXiv", "arXivRaw", "dc"]))
        ident = escape(draw(IDS))
        if fmt == "dc":
            meta = (
                '<oai_dc:dc xmlns:oai_dc="http://www.openarchives.org/OAI/2.0/oai_dc/" '
                'xmlns:dc="http://purl.org/dc/elements/1.1/">'
                f"<dc:identifier>http://arxiv.org/abs/{ident}</dc:identifier>"
                f"<dc:title>{escape(draw(TEXT))}</dc:title>"
                f"<dc:creator>{escape(draw(TEXT))}</dc:creator>"
                f"<dc:subject>{escape(draw(TEXT))}</dc:subject>"
                f"<dc:description>{escape(draw(TEXT))}</dc:description>"
                f"<dc:date>{escape(draw(TEXT))}</dc:date></oai_dc:dc>"
            )
        else:
            ns = "http://arxiv.org/OAI/" + fmt + "/"
            version = f'<version version="{escape(draw(TEXT))}"><date>{escape(draw(TEXT))}</date></version>'
            meta = (
                f'<{fmt} xmlns="{ns}"><id>{ident}</id><title>{escape(draw(TEXT))}</title>'
                f"<abstract>{escape(draw(TEXT))}</abstract><authors>{escape(draw(TEXT))}</authors>"
                f"<categories>{escape(draw(TEXT))}</categories><created>{escape(draw(TEXT))}</created>"
                f"{version if fmt == 'arXivRaw' else ''}</{fmt}>"
            )
        records.append(
            f"<record><header><identifier>oai:arXiv.org:{ident}</identifier>"
            f"<datestamp>{escape(draw(TEXT))}</datestamp></header><metadata>{meta}</metadata></record>"
        )
    token = (
        f"<resumptionToken>{escape(draw(TEXT))}</resumptionToken>" if draw(st.booleans()) else ""
    )
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/">'
        "\n<ListRecords>\n" + "\n".join(records) + token + "\n</ListRecords></OAI-PMH>\n"
    )
    data = body.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@FUZZ
@given(oai_documents() | st.binary(max_size=200))
def test_oai_pmh_never_crashes(data: bytes) -> None:
    read_bytes(oai.read_file, data, "oai.xml")
    page = oai.Page()
    check_items(list(oai.parse_response(io.BytesIO(data), "http://x/oai", page)), "http://x/oai")


# --- JSON sources ------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def snapshot_lines(draw: st.DrawFn) -> dict[str, Any]:
    line: dict[str, Any] = {"id": draw(IDS), "title": draw(TEXT)}
    for key in ("abstract", "comments", "authors", "categories", "doi", "journal-ref", "license"):
        if draw(st.booleans()):
            line[key] = draw(TEXT | JSON_VALUES)
    if draw(st.booleans()):
        line["versions"] = [{"version": draw(TEXT), "created": draw(TEXT)}]
    if draw(st.booleans()):
        line["authors_parsed"] = draw(
            st.lists(st.lists(TEXT | JSON_VALUES, max_size=3), max_size=2)
        )
    return line


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=True).encode()


@FUZZ
@given(st.lists(snapshot_lines().map(_json_bytes) | st.binary(max_size=40), max_size=4))
def test_snapshot_lines_never_crash(lines: list[bytes]) -> None:
    raw = [line + b"\n" for line in lines]
    check_items(list(snapshot.parse_lines(raw, "snap.jsonl")), "snap.jsonl")
    read_bytes(snapshot.read_file, b"".join(raw), "snap.jsonl")


@st.composite
def hf_items(draw: st.DrawFn) -> dict[str, Any]:
    paper: dict[str, Any] = {"id": draw(IDS), "title": draw(TEXT)}
    for key in (
        "summary", "authors", "publishedAt", "submittedOnDailyAt", "githubRepo", "projectPage",
        "ai_summary", "ai_keywords", "githubStars", "upvotes", "organization", "submittedOnDailyBy",
    ):  # fmt: skip
        if draw(st.booleans()):
            paper[key] = draw(TEXT | JSON_VALUES)
    if draw(st.booleans()):
        paper["authors"] = [{"name": draw(TEXT)}]
    item: dict[str, Any] = {"paper": paper}
    for key in ("publishedAt", "numComments", "submittedBy", "mediaUrls", "thumbnail"):
        if draw(st.booleans()):
            item[key] = draw(TEXT | JSON_VALUES)
    return item


@FUZZ
@given(st.lists(hf_items() | JSON_VALUES, max_size=4), st.booleans())
def test_hf_json_never_crashes(items: list[Any], dated: bool) -> None:
    name = "daily_papers_2024-05-27.json" if dated else "papers.json"
    read_bytes(hf.read_file, _json_bytes(items), name)
    for item in items:
        result = hf.parse_item(item, None)
        assert isinstance(result, str | PaperRecord)


@FUZZ
@given(st.binary(max_size=300))
def test_hf_bytes_never_crash(data: bytes) -> None:
    read_bytes(hf.read_file, data, "daily_papers_2024-05-27.json")


# --- marking control characters in XML, whole or chunk by chunk ----------------------------------

XML_BYTES = st.lists(
    st.sampled_from(
        [
            b"<a>",
            b"&#1;",
            b"&#x1F;",
            b"&#65;",
            b"&#xFFFE;",
            b"&amp;",
            b"\x00",
            b"\x01",
            b"\t",
            b"\n",
            b"\xef\xbf\xbe",
            b"\xef\xbf\xbd",
            b"\xf4\x8f\xbf\xbf",
            "é".encode(),
            b"x",
            b"&",
            b";",
        ]
    ),
    max_size=40,
).map(b"".join)


@FUZZ
@given(XML_BYTES, st.integers(1, 7))
def test_marking_in_chunks_is_marking_the_whole(data: bytes, size: int) -> None:
    reader = MarkedReader(io.BytesIO(data))
    chunks = iter(lambda: reader.read(size), b"")
    marked = b"".join(chunks)
    assert marked == mark_controls(data)
    assert b"\x00" not in marked and b"&#1;" not in marked and b"\xef\xbf\xbe" not in marked
    assert marked.count(b"\n") == data.count(b"\n")
