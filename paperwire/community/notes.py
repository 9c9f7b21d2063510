"""A member's private notes and read marks: one Markdown note per member and paper (rendered and
sanitised once at write time, as comments are: ``comments.render_markdown``), and the papers they
marked read. Nobody but their owner ever reads either: every function here takes the member and
answers for them alone.

The web pages, the JSON API and the MCP ``note`` tool all call these functions; services flush,
never commit. Hiding read papers from a list (``unread_papers``) happens here, so every surface
hides the same ones. ``notes_markdown`` is the member's notes as one Markdown file, each under its
paper's title and link; ``notes_by_paper`` gives CSL-JSON its ``note`` field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from paperwire.community.comments import render_markdown
from paperwire.db.models import Note, Paper, ReadMark, User
from paperwire.errors import PaperNotFound, PaperwireError, UsageError
from paperwire.papers.readmodel import PaperView, load_papers
from paperwire.papers.records import now_utc, storable_text

MAX_NOTE = 20_000
MAX_NOTES_EXPORT = 5_000  # the notes one export holds, newest first


class InvalidNote(UsageError):
    """An overlong note."""

    http_status = 400


class NoteNotFound(PaperwireError):
    http_status = 404


@dataclass(frozen=True)
class NoteView:
    """A member's note as they see it."""

    paper_id: str
    body: str  # the Markdown source, for the edit form
    html: str  # sanitised HTML
    updated_at: datetime


def _view(note: Note) -> NoteView:
    return NoteView(note.paper_id, note.body, note.body_html, note.updated_at)


def _visible_paper(session: Session, paper_id: str) -> None:
    found = session.scalar(select(Paper.id).where(Paper.id == paper_id, Paper.hidden.is_(False)))
    if found is None:
        raise PaperNotFound(f"There is no paper {paper_id} here (yet).")


def get_note(session: Session, user: User, paper_id: str) -> NoteView | None:
    """The member's note on a visible paper, or None (``PaperNotFound`` for no such paper)."""
    _visible_paper(session, paper_id)
    note = session.get(Note, (user.id, paper_id))
    return _view(note) if note is not None else None


def save_note(session: Session, user: User, paper_id: str, body: str) -> NoteView | None:
    """Write (or replace) the member's note on a visible paper; an empty body deletes it and
    answers None (flushed, not committed)."""
    text = storable_text((body or "").replace("\r\n", "\n")).strip()
    if len(text) > MAX_NOTE:
        raise InvalidNote(f"a note can have at most {MAX_NOTE:,} characters")
    _visible_paper(session, paper_id)
    if not text:
        delete_note(session, user, paper_id)
        return None
    note = session.get(Note, (user.id, paper_id))
    if note is None:
        note = Note(user_id=user.id, paper_id=paper_id)
        session.add(note)
    note.body = text
    note.body_html = render_markdown(text)
    note.updated_at = now_utc()
    session.flush()
    return _view(note)


def delete_note(session: Session, user: User, paper_id: str) -> bool:
    """Delete the member's note on a paper; whether there was one (flushed, not committed)."""
    gone = session.execute(delete(Note).where(Note.user_id == user.id, Note.paper_id == paper_id))
    session.flush()
    return bool(getattr(gone, "rowcount", 0))


@dataclass(frozen=True)
class NotedPaper:
    paper: PaperView
    note: NoteView


def member_notes(session: Session, user: User, limit: int = MAX_NOTES_EXPORT) -> list[NotedPaper]:
    """The member's notes on visible papers, the latest written first, each with its paper."""
    notes = session.scalars(
        select(Note).where(Note.user_id == user.id).order_by(Note.updated_at.desc()).limit(limit)
    ).all()
    papers = {p.id: p for p in load_papers(session, [n.paper_id for n in notes])}
    return [NotedPaper(papers[n.paper_id], _view(n)) for n in notes if n.paper_id in papers]


_NOTES_AMONG = select(Note.paper_id, Note.body).where(
    Note.user_id == bindparam("user"), Note.paper_id.in_(bindparam("ids", expanding=True))
)


def notes_by_paper(session: Session, user: User, paper_ids: Sequence[str]) -> dict[str, str]:
    """The member's notes (Markdown) on these papers, by paper id."""
    if not paper_ids:
        return {}
    rows = session.execute(_NOTES_AMONG, {"user": user.id, "ids": list(paper_ids)})
    return {pid: body for pid, body in rows}


def notes_markdown(noted: Iterable[NotedPaper], paper_url: str) -> str:
    """The notes as one Markdown file: each under a heading with its paper's title, linked to
    ``paper_url`` (``{id}`` replaced by the paper's id)."""
    parts = ["# My notes\n"]
    for item in noted:
        title = " ".join(item.paper.title.split()).replace("[", "\\[").replace("]", "\\]")
        url = paper_url.replace("{id}", item.paper.id)
        day = item.note.updated_at.date().isoformat()
        parts.append(f"## [{title}](<{url}>)\n\n*{item.paper.id}, noted {day}*\n\n")
        parts.append(item.note.body.strip() + "\n")
    return "\n".join(parts)


# --- read marks -----------------------------------------------------------------------------


def mark_read(session: Session, user: User, paper_id: str) -> bool:
    """Mark a visible paper read for the member (twice changes nothing); answers True (flushed,
    not committed)."""
    _visible_paper(session, paper_id)
    if session.get(ReadMark, (user.id, paper_id)) is None:
        session.add(ReadMark(user_id=user.id, paper_id=paper_id, read_at=now_utc()))
        session.flush()
    return True


def unmark_read(session: Session, user: User, paper_id: str) -> bool:
    """Take the member's read mark off a paper; answers False, its new state (flushed)."""
    session.execute(
        delete(ReadMark).where(ReadMark.user_id == user.id, ReadMark.paper_id == paper_id)
    )
    session.flush()
    return False


_READ_AMONG = select(ReadMark.paper_id).where(
    ReadMark.user_id == bindparam("user"), ReadMark.paper_id.in_(bindparam("ids", expanding=True))
)


def read_among(session: Session, user_id: int, paper_ids: Sequence[str]) -> set[str]:
    """Which of these papers the member marked read (one statement)."""
    if not paper_ids:
        return set()
    return set(session.scalars(_READ_AMONG, {"user": user_id, "ids": list(paper_ids)}))


def all_read(session: Session, user_id: int) -> set[str]:
    """Every paper the member marked read."""
    return set(session.scalars(select(ReadMark.paper_id).where(ReadMark.user_id == user_id)))


P = TypeVar("P", bound=PaperView)


def unread_papers(session: Session, user_id: int, papers: Sequence[P]) -> list[P]:
    """``papers`` less those the member marked read, in order."""
    read = read_among(session, user_id, [p.id for p in papers])
    return [p for p in papers if p.id not in read]


L = TypeVar("L")


def unread_listing(session: Session, user_id: int, listing: L) -> L:
    """A day's or a period's list (``papers.views.DailyList`` / ``PeriodList``) with the papers the
    member marked read left out of its page."""
    papers = getattr(listing, "papers", None)
    if not papers:
        return listing
    return replace(listing, papers=unread_papers(session, user_id, papers))  # type: ignore[type-var]  # a dataclass with ``papers``
