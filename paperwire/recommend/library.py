"""Import a reference library (BibTeX or CSL-JSON, as Zotero, Mendeley and JabRef export them) as
signals: each entry is matched to a paper by arXiv id, DOI or normalised title; an entry that
matches nothing but has an abstract is kept as a text seed (embedded once, here, for at most
``MAX_SEEDS`` entries of a file). The whole file is read and checked before anything is stored, and
``import_library`` only flushes: the caller's one commit stores all of it, and any error stores
none of it.

An upload is hostile until read, so every step is bounded and linear in the file's size:

- the size (``MAX_BYTES``, else ``LibraryTooLarge``, 413) before anything else;
- BibTeX: the ``@type{`` starts and the characters that structure a file (braces, quotes, commas,
  ``=`` and line breaks) are counted first (``MAX_BLOCKS``, ``MAX_MARKS``); only then does
  bibtexparser 2 split it, a linear splitter (measured in bench/README.md: the 1.x pyparsing
  grammar took 12 to 17 s on 250 KB files and overflowed the stack on nested braces; pybtex expands
  ``@string`` concatenations, 3.4 KB became a 90 MB title), and ``@string`` macros are not
  substituted at all (one big macro named by every entry would multiply it), so what is read is
  never larger than the file;
- CSL-JSON: its objects and arrays counted first (``MAX_CONTAINERS``), then orjson (nesting
  capped at 1,024 by the parser, integers past 64 bits read as floats or refused, never Python's
  unbounded ints), then a walk without recursion refusing more than ``MAX_DEPTH`` levels, so
  nothing later recurses through a hostile structure; only strings are read as text;
- every title and abstract passes ``papers.records.check_text``, the rule every stored text
  passes (a NUL or another control character refuses the file, naming the entry).

Refusals are ``LibraryRefused`` (422) naming the limit or the line of the entry.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

import bibtexparser
import orjson
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.model import Entry as BibEntry
from bibtexparser.model import ParsingFailedBlock
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper, Signal, User
from paperwire.errors import LibraryRefused, LibraryTooLarge
from paperwire.papers.ids import try_parse_arxiv_id
from paperwire.papers.records import check_text, now_utc
from paperwire.recommend.signals import IMPORTED
from paperwire.recommend.vectors import stored_embeddings

__all__ = ["LibraryRefused", "LibraryTooLarge", "import_library", "parse_library"]

MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 5_000
# ``@type{`` starts a BibTeX file may hold: its entries plus as many @string, @comment and ``@ {``
# in values. Counted before parsing: the splitter's cost and memory grow with its blocks.
MAX_BLOCKS = 2 * MAX_ENTRIES
# Braces, quotes, commas, ``=`` and line breaks: what the splitter stops at. A Zotero export of
# 5,000 entries with abstracts holds about a fifth of this; 1,000,000 of them parse in under 1 s.
MAX_MARKS = 1_000_000
# CSL-JSON nests five levels (the list, an item, ``issued``, ``date-parts`` and a date).
MAX_DEPTH = 10
# Objects and arrays (``{`` and ``[``, counted before parsing, in strings too): a CSL item holds
# about ten (its authors, ``issued``...). 5 MB of ``[],`` is 1.7 million lists: 300 MB and 3 s.
MAX_CONTAINERS = 200_000
# Unmatched entries embedded as seeds, the first ones of the file, in the request: 30 ms of CPU
# each with the shipped model, so at most ~1.5 s; the rest are counted as not used.
MAX_SEEDS = 50
MAX_SEED_TEXT = 4_000

# bibtexparser logs each block it cannot read (and a hostile file may hold thousands): the member is
# told about the first one instead.
logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)


@dataclass
class Entry:
    title: str = ""
    abstract: str = ""
    doi: str | None = None
    arxiv_id: str | None = None


@dataclass
class ImportReport:
    format: str
    entries: int = 0
    by_arxiv_id: int = 0
    by_doi: int = 0
    by_title: int = 0
    seeds: int = 0
    unused: int = 0  # neither matched nor with an abstract (or past the seed cap)
    already: int = 0
    matched_ids: list[str] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return self.by_arxiv_id + self.by_doi + self.by_title

    def summary(self) -> str:
        return (
            f"{self.entries} entries read ({self.format}): {self.matched} matched papers"
            f" ({self.by_arxiv_id} by arXiv id, {self.by_doi} by DOI, {self.by_title} by title),"
            f" {self.seeds} kept as text seeds, {self.unused} not used"
        )


# --- parsing ---------------------------------------------------------------------------------

_ARXIV_IN_TEXT = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:\s]\s*)([a-z\-.]+/\d{7}|\d{4}\.\d{4,5})(?:v\d+)?",
    re.IGNORECASE,
)
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
# What bibtexparser's splitter takes for the start of a block (``@`` a type, ``{`` or ``(``).
_BLOCK_START = re.compile(r"@\w*[ \t]*[{(]")
_MARKS = '{}",=\n'


def _arxiv_from(*values: str) -> str | None:
    for value in values:
        if not value:
            continue
        parsed = try_parse_arxiv_id(value.strip())
        if parsed is not None:
            return parsed.id
        found = _ARXIV_IN_TEXT.search(value)
        if found:
            parsed = try_parse_arxiv_id(found.group(1))
            if parsed is not None:
                return parsed.id
    return None


def _doi_from(*values: str) -> str | None:
    for value in values:
        found = _DOI.search(value or "")
        if found:
            return found.group(0).rstrip(".,;}").lower()
    return None


def _tex_plain(text: str) -> str:
    text = re.sub(r"\\[a-zA-Z]+\s*", " ", text)
    return " ".join(text.replace("{", "").replace("}", "").replace("\\", "").split())


def normalised_title(title: str) -> str:
    """Lower case letters and digits only, accents dropped: how titles are compared."""
    text = unicodedata.normalize("NFKD", _tex_plain(title))
    return "".join(c for c in text.lower() if c.isalnum())


def _checked(entry: Entry, where: str) -> Entry:
    """``entry`` once its stored texts pass the rule every stored text passes."""
    check_text(entry.title, f"{where}: the title")
    check_text(entry.abstract, f"{where}: the abstract")
    return entry


def _bibtex_limits(text: str) -> None:
    blocks = sum(1 for _ in zip(range(MAX_BLOCKS + 1), _BLOCK_START.finditer(text), strict=False))
    if blocks > MAX_BLOCKS:
        raise LibraryRefused(
            f"the file starts more than {MAX_BLOCKS:,} BibTeX blocks (@type{{); an import reads"
            f" at most {MAX_ENTRIES:,} entries: split it"
        )
    marks = sum(text.count(char) for char in _MARKS)
    if marks > MAX_MARKS:
        raise LibraryRefused(
            f"the file holds {marks:,} braces, quotes, commas, = signs and line breaks; an import"
            f" reads at most {MAX_MARKS:,}: split it"
        )


def _bib_entry(block: BibEntry) -> Entry:
    fields = {f.key.lower(): " ".join(str(f.value).split()) for f in block.fields}
    return _checked(
        Entry(
            title=_tex_plain(fields.get("title", "")),
            abstract=_tex_plain(fields.get("abstract", "")),
            doi=_doi_from(fields.get("doi", "")),
            arxiv_id=_arxiv_from(
                fields.get("eprint", "")
                if "arxiv" in fields.get("archiveprefix", "arxiv").lower()
                else "",
                fields.get("arxivid", ""),
                fields.get("url", ""),
                fields.get("journal", ""),
                fields.get("note", ""),
                fields.get("doi", ""),
            ),
        ),
        f"line {(block.start_line or 0) + 1} (@{block.entry_type})",
    )


def parse_bibtex(text: str) -> list[Entry]:
    """Entries of a BibTeX file; ``LibraryRefused`` naming a limit or the line of a malformed
    entry. Duplicate keys and fields are read as written (the last field of a name wins)."""
    _bibtex_limits(text)
    # Without the default stack's @string resolution: a 1 MB @string named by 2,000 entries made
    # 2,000 titles of 1 MB each (no end in 60 s). A title naming a macro keeps the macro's name.
    stack = [RemoveEnclosingMiddleware(allow_inplace_modification=True)]
    parsed = bibtexparser.parse_string(text, parse_stack=stack)
    blocks = []
    for block in parsed.blocks:
        if isinstance(block, ParsingFailedBlock):
            if not isinstance(block.ignore_error_block, BibEntry):
                kind = (block.raw or "").lstrip()[:40].split("{")[0].split("(")[0]
                line = (block.start_line or 0) + 1
                why = getattr(block.error, "abort_reason", "") or type(block.error).__name__
                raise LibraryRefused(f"line {line} ({kind}): cannot be read: {why.rstrip('.')}")
            block = block.ignore_error_block
        if isinstance(block, BibEntry):
            blocks.append(block)
    if len(blocks) > MAX_ENTRIES:
        raise LibraryRefused(f"the file has more than {MAX_ENTRIES:,} entries; split it")
    return [_bib_entry(block) for block in blocks]


def _depth(data: object) -> int:
    """How deep ``data`` nests (1 for a scalar), walked without recursion and stopping past
    ``MAX_DEPTH``."""
    deepest = 0
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)
    return deepest


def _text(value: object) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def parse_csl_json(data: object) -> list[Entry]:
    """Entries of a CSL-JSON array (Zotero's "CSL JSON" export), as orjson read it."""
    if _depth(data) > MAX_DEPTH:
        raise LibraryRefused(f"the JSON nests more than {MAX_DEPTH} levels deep; CSL-JSON needs 5")
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LibraryRefused("not CSL-JSON: expected a JSON array of objects")
    if len(data) > MAX_ENTRIES:
        raise LibraryRefused(f"the file has more than {MAX_ENTRIES:,} entries; split it")
    entries = []
    for number, item in enumerate(data, start=1):
        texts = [v for v in item.values() if isinstance(v, str)]
        number_field = item.get("number")
        entry = Entry(
            title=_text(item.get("title")),
            abstract=_text(item.get("abstract")),
            doi=_doi_from(_text(item.get("DOI"))),
            arxiv_id=_arxiv_from(
                str(number_field) if isinstance(number_field, str | int) else "", *texts
            ),
        )
        entries.append(_checked(entry, f"item {number}"))
    return entries


def parse_library(content: bytes) -> tuple[str, list[Entry]]:
    """The format and entries of an uploaded file; ``LibraryRefused`` (``LibraryTooLarge`` for the
    size) for anything else."""
    if len(content) > MAX_BYTES:
        raise LibraryTooLarge(
            f"the file is {len(content) / 1e6:.1f} MB; at most {MAX_BYTES // (1024 * 1024)} MB"
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LibraryRefused("the file is not text (UTF-8): expected BibTeX or CSL-JSON") from exc
    stripped = text.lstrip()
    if stripped[:1] in "[{" and stripped:
        containers = text.count("{") + text.count("[")
        if containers > MAX_CONTAINERS:
            raise LibraryRefused(
                f"the JSON holds {containers:,} objects and arrays; an import reads at most"
                f" {MAX_CONTAINERS:,}: split it"
            )
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            if "depth limit" in str(exc):
                raise LibraryRefused(
                    f"the JSON nests more than {MAX_DEPTH} levels deep; CSL-JSON needs 5"
                ) from exc
            raise LibraryRefused(f"not CSL-JSON: {exc.msg} at line {exc.lineno}") from exc
        fmt, entries = "CSL-JSON", parse_csl_json(data)
    elif _BLOCK_START.search(text):
        fmt, entries = "BibTeX", parse_bibtex(text)
    else:
        raise LibraryRefused("the file is neither BibTeX nor CSL-JSON")
    if not entries:
        raise LibraryRefused(f"the {fmt} file holds no entries")
    return fmt, entries


# --- matching and storing --------------------------------------------------------------------


def _match(session: Session, entries: list[Entry], report: ImportReport) -> list[str | None]:
    arxiv_ids = {e.arxiv_id for e in entries if e.arxiv_id}
    dois = {e.doi for e in entries if e.doi}
    by_arxiv: dict[str, str] = {}
    by_doi: dict[str, str] = {}
    visible = Paper.hidden.is_(False)
    for chunk in _chunks(sorted(arxiv_ids)):
        rows = session.execute(
            select(Paper.id, Paper.arxiv_id).where(
                visible, (Paper.arxiv_id.in_(chunk)) | (Paper.id.in_(chunk))
            )
        )
        for row_id, aid in rows:
            by_arxiv[aid or row_id] = row_id
            by_arxiv[row_id] = row_id
    for chunk in _chunks(sorted(dois)):
        doi_rows = session.execute(
            select(Paper.id, func.lower(Paper.doi)).where(visible, func.lower(Paper.doi).in_(chunk))
        )
        by_doi.update({str(doi): str(pid) for pid, doi in doi_rows})
    lowered = {" ".join(e.title.lower().split()) for e in entries if e.title}
    by_title: dict[str, str] = {}
    for chunk in _chunks(sorted(lowered)):
        title_rows = session.execute(
            select(Paper.id, Paper.title).where(visible, func.lower(Paper.title).in_(chunk))
        )
        by_title.update({normalised_title(str(title)): str(pid) for pid, title in title_rows})
    matched: list[str | None] = []
    for entry in entries:
        found = by_arxiv.get(entry.arxiv_id or "")
        if found:
            report.by_arxiv_id += 1
        elif (found := by_doi.get(entry.doi or "")) is not None:
            report.by_doi += 1
        elif (found := by_title.get(normalised_title(entry.title))) and entry.title:
            report.by_title += 1
        else:
            found = None
        matched.append(found)
    return matched


def _seed_text(entry: Entry) -> str:
    return f"{entry.title}. {entry.abstract}"[:MAX_SEED_TEXT]


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


def import_library(
    settings: Settings, session: Session, user: User, content: bytes
) -> ImportReport:
    """Read, match and store a library file as the member's ``imported`` signals (flushed)."""
    from paperwire.recommend.feedback import MAX_SIGNALS, room_left

    fmt, entries = parse_library(content)
    report = ImportReport(format=fmt, entries=len(entries))
    matched = _match(session, entries, report)
    known = set(
        session.scalars(
            select(Signal.paper_id).where(Signal.user_id == user.id, Signal.kind == IMPORTED)
        )
    )
    papers = list(dict.fromkeys(pid for pid in matched if pid))
    report.already = sum(1 for pid in papers if pid in known)
    new_papers = [pid for pid in papers if pid not in known]
    known_seeds = set(
        session.scalars(
            select(Signal.text).where(
                Signal.user_id == user.id, Signal.kind == IMPORTED, Signal.paper_id.is_(None)
            )
        )
    )
    seeds = [
        e
        for e, pid in zip(entries, matched, strict=True)
        if pid is None and e.abstract and _seed_text(e) not in known_seeds
    ]
    report.seeds = min(len(seeds), MAX_SEEDS)
    repeated = sum(
        1
        for e, pid in zip(entries, matched, strict=True)
        if pid is None and e.abstract and _seed_text(e) in known_seeds
    )
    report.already += repeated
    report.unused = len(entries) - report.matched - report.seeds - repeated
    if len(new_papers) + report.seeds > room_left(session, user):
        raise LibraryRefused(
            f"this import would pass the {MAX_SIGNALS:,} signals a member keeps; remove some first"
        )
    now = now_utc()
    for pid in new_papers:
        session.add(Signal(user_id=user.id, kind=IMPORTED, paper_id=pid, text="", created_at=now))
    kept = seeds[:MAX_SEEDS]
    texts = [_seed_text(e) for e in kept]
    for entry, text, embedding in zip(kept, texts, stored_embeddings(settings, texts), strict=True):
        session.add(
            Signal(
                user_id=user.id,
                kind=IMPORTED,
                text=text,
                ref=entry.title[:300] or None,
                embedding=embedding,
                created_at=now,
            )
        )
    session.flush()
    report.matched_ids = papers
    return report
