"""arXiv's OAI-PMH interface: recorded responses and live ``ListRecords`` harvests.

Reads the ``arXiv``, ``arXivRaw`` and ``oai_dc`` metadata formats into ``PaperRecord``s, follows
resumption tokens, and turns OAI-PMH error responses, HTML pages and malformed XML into messages
that name the file line or URL. ``noRecordsMatch`` is an empty harvest, not a failure.
"""

from __future__ import annotations

import email.utils
import hashlib
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlencode

from lxml import etree
from sqlalchemy import Engine, delete, select

from paperwire.db.engine import session_scope
from paperwire.db.models import IngestCursor
from paperwire.errors import SourceError, UsageError
from paperwire.ingest.http import Fetcher
from paperwire.ingest.report import Rejection
from paperwire.ingest.runner import DEFAULT_BATCH, Item
from paperwire.ingest.xmltext import MarkedReader
from paperwire.papers.ids import try_parse_arxiv_id
from paperwire.papers.links import extract_links
from paperwire.papers.records import (
    EntryRecord,
    PaperRecord,
    clean_abstract,
    clean_line,
    now_utc,
    parse_time,
    utc_naive,
)

log = logging.getLogger(__name__)

SOURCE = "oai"
DEFAULT_BASE_URL = "https://oaipmh.arxiv.org/oai"
FORMATS = ("arXiv", "arXivRaw", "oai_dc")

_OAI = "{http://www.openarchives.org/OAI/2.0/}"
_ARXIV = "{http://arxiv.org/OAI/arXiv/}"
_RAW = "{http://arxiv.org/OAI/arXivRaw/}"
_OAI_DC = "{http://www.openarchives.org/OAI/2.0/oai_dc/}"
_DC = "{http://purl.org/dc/elements/1.1/}"

_ROOT = f"{_OAI}OAI-PMH"
_RECORD = f"{_OAI}record"
_ERROR = f"{_OAI}error"
_TOKEN = f"{_OAI}resumptionToken"

_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html)\b", re.IGNORECASE)
_HTML_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)?(?:\.[A-Za-z]+(?:-[a-z]+)?)?$")
_RAW_VERSION = re.compile(r"^v(\d+)$")

# --- oai_dc subjects ---------------------------------------------------------------------------
# arXiv's oai_dc gives subjects as names ("Computer Science - Computation and Language"), not
# codes; this table maps the names back to the category codes every other source uses.

_ARCHIVE_SUBJECTS: dict[str, tuple[str, str]] = {
    "Computer Science": (
        "cs",
        "AI Artificial Intelligence|AR Hardware Architecture|CC Computational Complexity|"
        "CE Computational Engineering, Finance, and Science|CG Computational Geometry|"
        "CL Computation and Language|CR Cryptography and Security|"
        "CV Computer Vision and Pattern Recognition|CY Computers and Society|DB Databases|"
        "DC Distributed, Parallel, and Cluster Computing|DL Digital Libraries|"
        "DM Discrete Mathematics|DS Data Structures and Algorithms|ET Emerging Technologies|"
        "FL Formal Languages and Automata Theory|GL General Literature|GR Graphics|"
        "GT Computer Science and Game Theory|HC Human-Computer Interaction|"
        "IR Information Retrieval|IT Information Theory|LG Machine Learning|LG Learning|"
        "LO Logic in Computer Science|MA Multiagent Systems|MM Multimedia|"
        "MS Mathematical Software|NA Numerical Analysis|NE Neural and Evolutionary Computing|"
        "NI Networking and Internet Architecture|OH Other Computer Science|"
        "OS Operating Systems|PF Performance|PL Programming Languages|RO Robotics|"
        "SC Symbolic Computation|SD Sound|SE Software Engineering|"
        "SI Social and Information Networks|SY Systems and Control",
    ),
    "Mathematics": (
        "math",
        "AC Commutative Algebra|AG Algebraic Geometry|AP Analysis of PDEs|"
        "AT Algebraic Topology|CA Classical Analysis and ODEs|CO Combinatorics|"
        "CT Category Theory|CV Complex Variables|DG Differential Geometry|"
        "DS Dynamical Systems|FA Functional Analysis|GM General Mathematics|"
        "GN General Topology|GR Group Theory|GT Geometric Topology|HO History and Overview|"
        "IT Information Theory|KT K-Theory and Homology|LO Logic|MG Metric Geometry|"
        "MP Mathematical Physics|NA Numerical Analysis|NT Number Theory|OA Operator Algebras|"
        "OC Optimization and Control|PR Probability|QA Quantum Algebra|RA Rings and Algebras|"
        "RT Representation Theory|SG Symplectic Geometry|SP Spectral Theory|"
        "ST Statistics Theory",
    ),
    "Statistics": (
        "stat",
        "AP Applications|CO Computation|ME Methodology|ML Machine Learning|"
        "OT Other Statistics|TH Statistics Theory",
    ),
    "Electrical Engineering and Systems Science": (
        "eess",
        "AS Audio and Speech Processing|IV Image and Video Processing|SP Signal Processing|"
        "SY Systems and Control",
    ),
    "Economics": ("econ", "EM Econometrics|GN General Economics|TH Theoretical Economics"),
    "Quantitative Biology": (
        "q-bio",
        "BM Biomolecules|CB Cell Behavior|GN Genomics|MN Molecular Networks|"
        "NC Neurons and Cognition|OT Other Quantitative Biology|PE Populations and Evolution|"
        "QM Quantitative Methods|SC Subcellular Processes|TO Tissues and Organs",
    ),
    "Quantitative Finance": (
        "q-fin",
        "CP Computational Finance|EC Economics|GN General Finance|MF Mathematical Finance|"
        "PM Portfolio Management|PR Pricing of Securities|RM Risk Management|"
        "ST Statistical Finance|TR Trading and Market Microstructure",
    ),
    "Physics": (
        "physics",
        "acc-ph Accelerator Physics|app-ph Applied Physics|"
        "ao-ph Atmospheric and Oceanic Physics|atom-ph Atomic Physics|"
        "atm-clus Atomic and Molecular Clusters|bio-ph Biological Physics|"
        "chem-ph Chemical Physics|class-ph Classical Physics|comp-ph Computational Physics|"
        "data-an Data Analysis, Statistics and Probability|flu-dyn Fluid Dynamics|"
        "gen-ph General Physics|geo-ph Geophysics|hist-ph History and Philosophy of Physics|"
        "ins-det Instrumentation and Detectors|med-ph Medical Physics|optics Optics|"
        "ed-ph Physics Education|soc-ph Physics and Society|plasm-ph Plasma Physics|"
        "pop-ph Popular Physics|space-ph Space Physics",
    ),
    "Astrophysics": (
        "astro-ph",
        "CO Cosmology and Nongalactic Astrophysics|EP Earth and Planetary Astrophysics|"
        "GA Astrophysics of Galaxies|HE High Energy Astrophysical Phenomena|"
        "IM Instrumentation and Methods for Astrophysics|SR Solar and Stellar Astrophysics",
    ),
    "Condensed Matter": (
        "cond-mat",
        "dis-nn Disordered Systems and Neural Networks|mtrl-sci Materials Science|"
        "mes-hall Mesoscale and Nanoscale Physics|other Other Condensed Matter|"
        "quant-gas Quantum Gases|soft Soft Condensed Matter|stat-mech Statistical Mechanics|"
        "str-el Strongly Correlated Electrons|supr-con Superconductivity",
    ),
    "Nonlinear Sciences": (
        "nlin",
        "AO Adaptation and Self-Organizing Systems|CG Cellular Automata and Lattice Gases|"
        "CD Chaotic Dynamics|SI Exactly Solvable and Integrable Systems|"
        "PS Pattern Formation and Solitons",
    ),
}
_WHOLE_ARCHIVE_SUBJECTS = {
    "Astrophysics": "astro-ph",
    "Condensed Matter": "cond-mat",
    "General Relativity and Quantum Cosmology": "gr-qc",
    "High Energy Physics - Experiment": "hep-ex",
    "High Energy Physics - Lattice": "hep-lat",
    "High Energy Physics - Phenomenology": "hep-ph",
    "High Energy Physics - Theory": "hep-th",
    "Mathematical Physics": "math-ph",
    "Nuclear Experiment": "nucl-ex",
    "Nuclear Theory": "nucl-th",
    "Quantum Physics": "quant-ph",
}


def _subject_table() -> dict[str, str]:
    table = {name.lower(): code for name, code in _WHOLE_ARCHIVE_SUBJECTS.items()}
    for archive_name, (archive, entries) in _ARCHIVE_SUBJECTS.items():
        for entry in entries.split("|"):
            short, name = entry.split(" ", 1)
            table[f"{archive_name} - {name}".lower()] = f"{archive}.{short}"
    return table


_SUBJECTS = _subject_table()
_ARCHIVES = {code.split(".")[0] for code in _SUBJECTS.values()}


def subject_category(subject: str) -> str | None:
    """The arXiv category a ``dc:subject`` names (a code or a full name), or None."""
    text = clean_line(subject)
    if _CATEGORY.match(text) and text.split(".")[0] in _ARCHIVES:
        return text
    return _SUBJECTS.get(text.lower())


# --- parsing one response ----------------------------------------------------------------------


@dataclass
class Page:
    """What a response said besides its records: errors, the resumption token, a fatal problem."""

    errors: list[tuple[str, str]] = field(default_factory=list)
    token: str | None = None
    complete_list_size: int | None = None
    problem: str | None = None
    problem_line: int | None = None


def _text(el: Any | None) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _children(el: Any) -> dict[str, Any]:
    """The first child of each tag: one pass instead of a path search per field."""
    found: dict[str, Any] = {}
    for child in el:
        found.setdefault(child.tag, child)
    return found


def _value(children: dict[str, Any], tag: str) -> str | None:
    return clean_line(_text(children.get(tag))) or None


def _child_text(parent: Any, tag: str) -> str | None:
    return _value(_children(parent), tag)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1]


def _shown(el: Any) -> str:
    namespace = etree.QName(el).namespace
    return f"<{_local(el.tag)}>" + (f" in namespace {namespace}" if namespace else "")


def _sniff(head: bytes) -> str | None:
    """Why the first bytes of a response cannot be OAI-PMH (empty, or an HTML page), or None."""
    if not head.strip():
        return "empty response"
    if not _HTML_START.match(head):
        return None
    title = _HTML_TITLE.search(head)
    shown = clean_line(title.group(1).decode("utf-8", "replace")) if title else ""
    return "an HTML page, not an OAI-PMH response" + (f" (title: {shown!r})" if shown else "")


def _date_only(text: str | None) -> date | None:
    value = parse_time(text)
    return value.date() if value else None


def _raw_time(text: str | None) -> datetime | None:
    """arXivRaw version dates are RFC 2822 (``Mon, 2 Apr 2007 19:18:42 GMT``)."""
    if not text:
        return None
    try:
        return utc_naive(email.utils.parsedate_to_datetime(text.strip()))
    except (TypeError, ValueError):
        return parse_time(text)


def _author(el: Any) -> str:
    children = _children(el)
    parts = (_value(children, f"{_ARXIV}{tag}") for tag in ("forenames", "keyname", "suffix"))
    return " ".join(p for p in parts if p)


def split_authors(text: str) -> list[str]:
    """Split arXivRaw's author line (``A, B and C (Affiliation)``) at commas and ``and``,
    but never inside parentheses, and drop the affiliations."""
    names: list[str] = []
    depth = 0
    current: list[str] = []
    line = re.sub(r"\s+and\s+", ", ", clean_line(text))
    for ch in line:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            names.append("".join(current))
            current = []
            continue
        elif depth == 0:
            current.append(ch)
    names.append("".join(current))
    return [n for n in (clean_line(x) for x in names) if n]


def _dc_name(text: str) -> str:
    """``Last, First`` (or ``Last, Jr., First``) to ``First Last``."""
    parts = [p.strip() for p in clean_line(text).split(",")]
    if len(parts) == 2:
        return f"{parts[1]} {parts[0]}".strip()
    if len(parts) == 3:
        return f"{parts[2]} {parts[0]} {parts[1]}".strip()
    return clean_line(text)


@dataclass
class _Fields:
    arxiv_id: str | None = None
    title: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    abstract: str = ""
    comments: str | None = None
    journal_ref: str | None = None
    doi: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    version: int | None = None
    extras: dict[str, Any] = field(default_factory=dict)


def _common(children: dict[str, Any], ns: str) -> _Fields:
    out = _Fields(
        arxiv_id=_value(children, f"{ns}id"),
        title=_value(children, f"{ns}title") or "",
        categories=(_value(children, f"{ns}categories") or "").split(),
        abstract=clean_abstract(_text(children.get(f"{ns}abstract"))),
        comments=_value(children, f"{ns}comments"),
        journal_ref=_value(children, f"{ns}journal-ref"),
        doi=_value(children, f"{ns}doi"),
    )
    for tag in ("license", "report-no", "msc-class", "acm-class"):
        value = _value(children, f"{ns}{tag}")
        if value:
            out.extras[tag.replace("-", "_")] = value
    return out


def _from_arxiv(meta: Any) -> _Fields:
    children = _children(meta)
    out = _common(children, _ARXIV)
    authors = children.get(f"{_ARXIV}authors")
    out.authors = [a for a in map(_author, authors if authors is not None else []) if a]
    out.published_at = parse_time(_value(children, f"{_ARXIV}created"))
    out.updated_at = parse_time(_value(children, f"{_ARXIV}updated"))
    return out


def _from_raw(meta: Any) -> _Fields:
    children = _children(meta)
    out = _common(children, _RAW)
    out.authors = split_authors(_text(children.get(f"{_RAW}authors")))
    versions: list[tuple[int, datetime | None]] = []
    for el in meta.iterfind(f"{_RAW}version"):
        m = _RAW_VERSION.match((el.get("version") or "").strip())
        if m:
            versions.append((int(m.group(1)), _raw_time(_child_text(el, f"{_RAW}date"))))
    if versions:
        versions.sort(key=lambda v: v[0])
        out.version = versions[-1][0]
        out.published_at = versions[0][1]
        if len(versions) > 1:
            out.updated_at = versions[-1][1]
    return out


def _from_dc(meta: Any) -> _Fields:
    out = _Fields()
    for el in meta.iterfind(f"{_DC}identifier"):
        value = clean_line(_text(el))
        if value.lower().startswith("doi:"):
            out.doi = out.doi or value[4:].strip()
        elif out.arxiv_id is None and "arxiv.org/abs/" in value.lower():
            parsed = try_parse_arxiv_id(value)
            out.arxiv_id = str(parsed) if parsed else None
    out.title = _child_text(meta, f"{_DC}title") or ""
    out.authors = [_dc_name(_text(el)) for el in meta.iterfind(f"{_DC}creator")]
    out.authors = [a for a in out.authors if a]
    for el in meta.iterfind(f"{_DC}subject"):
        category = subject_category(_text(el))
        if category and category not in out.categories:
            out.categories.append(category)
    for el in meta.iterfind(f"{_DC}description"):
        text = _text(el)
        if clean_line(text).startswith("Comment:"):
            out.comments = out.comments or clean_line(text)[len("Comment:") :].strip() or None
        elif not out.abstract:
            out.abstract = clean_abstract(text)
    dates = [parse_time(_text(el)) for el in meta.iterfind(f"{_DC}date")]
    known = [d for d in dates if d is not None]
    if known:
        out.published_at = known[0]
        if len(known) > 1:
            out.updated_at = known[-1]
    return out


_READERS = {
    f"{_ARXIV}arXiv": _from_arxiv,
    f"{_RAW}arXivRaw": _from_raw,
    f"{_OAI_DC}dc": _from_dc,
}


def _record(el: Any, place: str, submit: bool) -> Item | None:
    """One ``<record>`` as a ``PaperRecord``, a ``Rejection``, or None when it is deleted."""
    where = f"{place}:{el.sourceline}"
    header = el.find(f"{_OAI}header")
    if header is None:
        return Rejection(SOURCE, where, "record without a header")
    if header.get("status") == "deleted":
        return None
    identifier = _child_text(header, f"{_OAI}identifier") or ""
    datestamp = _child_text(header, f"{_OAI}datestamp")
    metadata = el.find(f"{_OAI}metadata")
    meta = metadata[0] if metadata is not None and len(metadata) else None
    if meta is None:
        return Rejection(SOURCE, where, f"record {identifier or '?'} has no metadata")
    reader = _READERS.get(meta.tag)
    if reader is None:
        return Rejection(
            SOURCE,
            where,
            f"record {identifier or '?'}: unknown metadata format <{_local(meta.tag)}>",
        )
    fields = reader(meta)
    parsed = try_parse_arxiv_id(fields.arxiv_id) or try_parse_arxiv_id(
        identifier.removeprefix("oai:arXiv.org:")
    )
    if parsed is None:
        shown = fields.arxiv_id or identifier or "no identifier"
        return Rejection(SOURCE, where, f"not an arXiv id: {shown!r}")
    if not fields.title:
        return Rejection(SOURCE, where, f"record {parsed.id} has no title")
    entry = None
    if submit:
        list_date = _date_only(datestamp) or (
            fields.published_at.date() if fields.published_at else None
        )
        if list_date is None:
            return Rejection(SOURCE, where, f"record {parsed.id}: no datestamp for the daily list")
        entry = EntryRecord(
            list_date=list_date, source="rule", submitted_at=datetime.combine(list_date, time())
        )
    return PaperRecord(
        id=parsed.id,
        arxiv_id=parsed.id,
        version=fields.version or parsed.version,
        title=fields.title,
        source=SOURCE,
        abstract=fields.abstract,
        authors=fields.authors,
        categories=fields.categories,
        published_at=fields.published_at,
        updated_at=fields.updated_at,
        doi=fields.doi,
        journal_ref=fields.journal_ref,
        comments=fields.comments,
        links=extract_links(fields.abstract, fields.comments),
        extras=fields.extras,
        entry=entry,
        origin=where,
    )


def parse_response(
    stream: IO[bytes], place: str, page: Page, *, submit: bool = False
) -> Iterator[Item]:
    """Stream the records of one OAI-PMH response; errors, the token and problems go to ``page``.

    ``place`` names the input in messages (a file path or a URL). Records before a syntax error
    are still yielded; the error becomes ``page.problem``.
    """
    context = etree.iterparse(
        MarkedReader(stream),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
    )
    root_seen = False
    try:
        for event, el in context:
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if el.tag != _ROOT:
                        page.problem = f"not an OAI-PMH 2.0 response (the document is {_shown(el)})"
                        return
                continue
            if el.tag == _RECORD:
                item = _record(el, place, submit)
                if item is not None:
                    yield item
                # Keep memory flat on large pages: drop records already read.
                el.clear()
                parent = el.getparent()
                while parent is not None and el.getprevious() is not None:
                    del parent[0]
            elif el.tag == _ERROR:
                page.errors.append((el.get("code") or "unknown", clean_line(_text(el))))
            elif el.tag == _TOKEN:
                page.token = clean_line(el.text) or None
                size = el.get("completeListSize")
                page.complete_list_size = int(size) if size and size.isdigit() else None
    except etree.XMLSyntaxError as exc:
        page.problem_line = exc.lineno or (exc.position[0] if exc.position else None)
        page.problem = f"malformed XML at line {page.problem_line or '?'}: {exc.msg}"


def _error_text(errors: list[tuple[str, str]]) -> str:
    return "; ".join(
        f"OAI-PMH error {code}: {message or '(no message)'}" for code, message in errors
    )


def _real_errors(page: Page) -> list[tuple[str, str]]:
    return [(code, msg) for code, msg in page.errors if code != "noRecordsMatch"]


# --- recorded files ----------------------------------------------------------------------------


def read_file(path: Path, *, submit: bool = False) -> Iterator[Item]:
    """Records of one recorded OAI-PMH response (``ListRecords`` or ``GetRecord``).

    Bad records, OAI-PMH errors, HTML pages and malformed XML become ``Rejection``s naming
    ``path:line``; valid records are kept.
    """
    place = str(path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below; the generator owns it
    except OSError as exc:
        yield Rejection(SOURCE, place, f"cannot read file: {exc.strerror or exc}")
        return
    with fh:
        unusable = _sniff(fh.read(4096))
        if unusable:
            yield Rejection(SOURCE, place, unusable)
            return
        fh.seek(0)
        page = Page()
        yield from parse_response(fh, place, page, submit=submit)
    if page.problem:
        where = f"{place}:{page.problem_line}" if page.problem_line else place
        yield Rejection(SOURCE, where, page.problem)
    errors = _real_errors(page)
    if errors:
        yield Rejection(SOURCE, place, _error_text(errors))


# --- live harvest ------------------------------------------------------------------------------


def list_records_params(
    metadata_prefix: str,
    set_spec: str | None = None,
    date_from: date | None = None,
    date_until: date | None = None,
) -> dict[str, str]:
    """The query of the first ``ListRecords`` request."""
    if metadata_prefix not in FORMATS:
        raise UsageError(f"OAI-PMH format must be one of {', '.join(FORMATS)}: {metadata_prefix!r}")
    params = {"verb": "ListRecords", "metadataPrefix": metadata_prefix}
    if set_spec:
        params["set"] = set_spec
    if date_from:
        params["from"] = date_from.isoformat()
    if date_until:
        params["until"] = date_until.isoformat()
    return params


class HarvestCursors:
    """Resumption tokens kept in ``ingest_cursors``, so a harvest killed midway continues from
    where its stored records end instead of from the first page."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, key: str) -> str | None:
        with session_scope(self.engine) as session:
            state = session.execute(
                select(IngestCursor.state).where(
                    IngestCursor.source == SOURCE, IngestCursor.key == key
                )
            ).scalar_one_or_none()
        token = (state or {}).get("token")
        return str(token) if token else None

    def save(self, key: str, token: str, yielded: int) -> None:
        state = {"token": token, "records_before": yielded}
        with session_scope(self.engine) as session:
            row = session.execute(
                select(IngestCursor).where(IngestCursor.source == SOURCE, IngestCursor.key == key)
            ).scalar_one_or_none()
            if row is None:
                session.add(IngestCursor(source=SOURCE, key=key, state=state, updated_at=now_utc()))
            else:
                row.state = state
                row.updated_at = now_utc()

    def clear(self, key: str) -> None:
        with session_scope(self.engine) as session:
            session.execute(
                delete(IngestCursor).where(IngestCursor.source == SOURCE, IngestCursor.key == key)
            )


def cursor_key(base_url: str, params: dict[str, str]) -> str:
    """One harvest: the endpoint and its first request (format, set, from, until)."""
    key = f"{base_url}?{urlencode(sorted(params.items()))}"
    return key if len(key) <= 512 else hashlib.sha1(key.encode()).hexdigest()


def fetch(
    fetcher: Fetcher,
    base_url: str = DEFAULT_BASE_URL,
    *,
    metadata_prefix: str = "arXiv",
    set_spec: str | None = None,
    date_from: date | None = None,
    date_until: date | None = None,
    submit: bool = False,
    cursors: HarvestCursors | None = None,
    commit_every: int = DEFAULT_BATCH,
) -> Iterator[Item]:
    """Harvest ``ListRecords`` page by page, following resumption tokens until one is empty.

    ``noRecordsMatch`` ends the harvest cleanly. Any other OAI-PMH error, an HTML page, malformed
    XML or an HTTP error raises ``SourceError`` naming the URL; records already yielded stand
    (the runner has stored or will store them).

    With ``cursors``, a rerun of the same harvest resumes from the last token whose records are
    surely stored: the runner commits every ``commit_every`` items (or more often) before asking
    for the next one, so a page's token is saved only once ``commit_every`` more items have been
    taken after it. Rerunning is always safe since upserts are idempotent; an expired stored
    token starts the harvest again from the beginning.
    """
    first = list_records_params(metadata_prefix, set_spec, date_from, date_until)
    key = cursor_key(base_url, first)
    resumed = cursors.load(key) if cursors else None
    params = {"verb": "ListRecords", "resumptionToken": resumed} if resumed else first
    if resumed:
        log.info("%s: resuming %s at resumption token %s", SOURCE, key, resumed)
    seen_tokens: set[str] = set()
    pending: list[tuple[int, str]] = []  # (items taken when a page ended, the token after it)
    yielded = 0
    while True:
        response = fetcher.get(base_url, params=params)
        url = str(response.url)
        body = response.content
        unusable = _sniff(body[:4096])
        if unusable:
            raise SourceError(f"{SOURCE}: {url}: HTTP {response.status_code}, {unusable}")
        page = Page()
        for item in parse_response(io.BytesIO(body), url, page, submit=submit):
            yield item
            yielded += 1
            if cursors and pending and yielded - pending[0][0] >= commit_every:
                pending = _save_stored(cursors, key, pending, yielded, commit_every)
        errors = _real_errors(page)
        if (
            cursors
            and resumed
            and params.get("resumptionToken") == resumed
            and any(code == "badResumptionToken" for code, _ in errors)
        ):
            log.warning("%s: stored token %s expired; starting %s again", SOURCE, resumed, key)
            cursors.clear(key)
            resumed, params = None, first
            continue
        if errors:
            raise SourceError(f"{SOURCE}: {url}: {_error_text(errors)}")
        if response.status_code != 200 and not page.errors:
            detail = f" ({page.problem})" if page.problem else ""
            raise SourceError(f"{SOURCE}: {url}: HTTP {response.status_code}{detail}")
        if page.problem:
            raise SourceError(f"{SOURCE}: {url}: {page.problem}")
        if not page.token:
            if cursors:
                # The last records may still be uncommitted, but a rerun from scratch is safe.
                cursors.clear(key)
            return
        if page.token in seen_tokens:
            raise SourceError(
                f"{SOURCE}: {url}: the server repeated resumption token {page.token!r}"
            )
        seen_tokens.add(page.token)
        pending.append((yielded, page.token))
        params = {"verb": "ListRecords", "resumptionToken": page.token}


def _save_stored(
    cursors: HarvestCursors, key: str, pending: list[tuple[int, str]], yielded: int, every: int
) -> list[tuple[int, str]]:
    """Save the newest token whose records are committed; return the tokens still pending."""
    stored = [p for p in pending if yielded - p[0] >= every]
    cursors.save(key, stored[-1][1], stored[-1][0])
    return pending[len(stored) :]
