"""Import a reference library (BibTeX or CSL-JSON, as Zotero, Mendeley and JabRef export them) as
signals: each entry is matched to a paper by arXiv id, DOI or normalised title; an entry that
matches nothing but has an abstract is kept as a text seed (embedded once, here). The whole file is
read and checked before anything is stored, and ``import_library`` only flushes: the caller's one
commit stores all of it, and any error stores none of it.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paperwire.config import Settings
from paperwire.db.models import Paper, Signal, User
from paperwire.errors import UsageError
from paperwire.papers.ids import try_parse_arxiv_id
from paperwire.papers.records import now_utc
from paperwire.recommend.signals import IMPORTED
from paperwire.recommend.vectors import stored_embeddings

MAX_BYTES = 5 * 1024 * 1024
MAX_ENTRIES = 5_000
# Unmatched entries embedded as seeds (the first ones of the file); the rest are counted.
MAX_SEEDS = 200
MAX_SEED_TEXT = 4_000


class LibraryRefused(UsageError):
    """The file cannot be imported: too big, too many entries, or neither BibTeX nor CSL-JSON."""

    http_status = 422


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


class _Where:
    """``line N (@kind)`` of an entry, counted only when an error names it."""

    def __init__(self, text: str, pos: int, kind: str) -> None:
        self.text, self.pos, self.kind = text, pos, kind

    def __str__(self) -> str:
        return f"line {self.text.count(chr(10), 0, self.pos) + 1} (@{self.kind})"

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


def _bibtex_value(text: str, pos: int, where: _Where) -> tuple[str, int]:
    """The value starting at ``pos`` (braces, quotes, a number or a macro, joined by ``#``)."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            raise LibraryRefused(f"{where}: the file ends inside a field")
        char = text[pos]
        if char == "{":
            depth, start = 0, pos
            while pos < len(text):
                if text[pos] == "{":
                    depth += 1
                elif text[pos] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                pos += 1
            if depth:
                raise LibraryRefused(f"{where}: an unbalanced brace")
            parts.append(text[start + 1 : pos])
            pos += 1
        elif char == '"':
            end = pos + 1
            depth = 0
            while end < len(text) and not (text[end] == '"' and depth == 0):
                depth += {"{": 1, "}": -1}.get(text[end], 0)
                end += 1
            parts.append(text[pos + 1 : end])
            pos = end + 1
        else:
            found = _BARE.match(text, pos)
            if not found:
                raise LibraryRefused(f"{where}: a field value is missing")
            parts.append(found.group(0))
            pos = found.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos < len(text) and text[pos] == "#":
            pos += 1
            continue
        return "".join(parts), pos


_ENTRY_START = re.compile(r"@\s*([a-zA-Z]+)\s*([{(])")
_FIELD = re.compile(r"\s*,?\s*([a-zA-Z][\w\-:.]*)\s*=\s*")
_SKIP = re.compile(r"[\s,]*")
_BARE = re.compile(r"[\w\-.:]+")


def parse_bibtex(text: str) -> list[Entry]:
    """Entries of a BibTeX file; ``LibraryRefused`` naming the line of a malformed one."""
    entries: list[Entry] = []
    for start in _ENTRY_START.finditer(text):
        kind = start.group(1).lower()
        if kind in {"comment", "preamble", "string"}:
            continue
        where = _Where(text, start.start(), kind)
        pos = start.end()
        comma = text.find(",", pos)
        if comma < 0:
            raise LibraryRefused(f"{where}: an entry without fields")
        pos = comma + 1
        fields: dict[str, str] = {}
        while True:
            ahead = _SKIP.match(text, pos).end()  # type: ignore[union-attr]
            if ahead >= len(text) or text[ahead] in "})":
                break
            found = _FIELD.match(text, pos)
            if not found:
                raise LibraryRefused(f"{where}: cannot read a field")
            value, pos = _bibtex_value(text, found.end(), where)
            fields[found.group(1).lower()] = " ".join(value.split())
            if len(entries) >= MAX_ENTRIES:
                break
        entries.append(
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
            )
        )
        if len(entries) > MAX_ENTRIES:
            break
    return entries


def parse_csl_json(data: object) -> list[Entry]:
    """Entries of a CSL-JSON array (Zotero's "CSL JSON" export)."""
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        data = data["items"]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise LibraryRefused("not CSL-JSON: expected a JSON array of objects")
    entries = []
    for item in data[: MAX_ENTRIES + 1]:
        texts = [str(v) for v in item.values() if isinstance(v, str)]
        entries.append(
            Entry(
                title=" ".join(str(item.get("title") or "").split()),
                abstract=" ".join(str(item.get("abstract") or "").split()),
                doi=_doi_from(str(item.get("DOI") or "")),
                arxiv_id=_arxiv_from(str(item.get("number") or ""), *texts),
            )
        )
    return entries


def parse_library(content: bytes) -> tuple[str, list[Entry]]:
    """The format and entries of an uploaded file; ``LibraryRefused`` for anything else."""
    if len(content) > MAX_BYTES:
        raise LibraryRefused(
            f"the file is {len(content) / 1e6:.1f} MB; at most {MAX_BYTES // (1024 * 1024)} MB"
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LibraryRefused("the file is not text (UTF-8): expected BibTeX or CSL-JSON") from exc
    stripped = text.lstrip()
    if stripped[:1] in "[{" and stripped:
        try:
            fmt, entries = "CSL-JSON", parse_csl_json(json.loads(text))
        except json.JSONDecodeError as exc:
            raise LibraryRefused(f"not CSL-JSON: {exc.msg} at line {exc.lineno}") from exc
    elif _ENTRY_START.search(text):
        fmt, entries = "BibTeX", parse_bibtex(text)
    else:
        raise LibraryRefused("the file is neither BibTeX nor CSL-JSON")
    if len(entries) > MAX_ENTRIES:
        raise LibraryRefused(f"the file has more than {MAX_ENTRIES:,} entries; split it")
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
