"""A member's private notes and read marks under ``/api`` (session cookie or API token): read,
write and delete the note on a paper, list every note, export them (Markdown, CSL-JSON with each
note in its item's ``note``), and mark papers read or unread. Each answer is the asking member's
alone and is sent ``Cache-Control: private, no-store``; all of it is ``community/notes.py``."""

from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from paperwire.community import notes
from paperwire.exports import csl
from paperwire.papers.ids import canonical_id
from paperwire.web.api.hf import PaperId
from paperwire.web.api.own import MEMBER_ERRORS
from paperwire.web.api.schemas import hf_time
from paperwire.web.auth import CurrentUser
from paperwire.web.deps import SessionDep, SettingsDep

router = APIRouter(prefix="/api", tags=["members"], responses=MEMBER_ERRORS)
PRIVATE = "private, no-store"


class NoteUpdate(BaseModel):
    body: str = Field(max_length=notes.MAX_NOTE, description="Markdown; empty deletes the note")


class NotePublic(BaseModel):
    paperId: str
    body: str = Field(description="the Markdown you wrote")
    html: str = Field(description="sanitised HTML, as the paper page shows it")
    updatedAt: str = Field(description="when you last wrote it (UTC, ISO 8601 with a Z)")

    @classmethod
    def of(cls, note: notes.NoteView) -> NotePublic:
        return cls(
            paperId=note.paper_id,
            body=note.body,
            html=note.html,
            updatedAt=hf_time(note.updated_at) or "",
        )


class NotedPaperPublic(NotePublic):
    title: str


class ReadPublic(BaseModel):
    paperId: str
    read: bool = Field(description="whether the paper is marked read after the call")


@router.get("/papers/{paper_id:paper_id}/note", response_model=NotePublic, summary="Your note")
def get_note(
    paper_id: PaperId, session: SessionDep, user: CurrentUser, response: Response
) -> NotePublic:
    response.headers["Cache-Control"] = PRIVATE
    found = notes.get_note(session, user, canonical_id(paper_id))
    if found is None:
        raise notes.NoteNotFound(f"You have no note on {paper_id}.")
    return NotePublic.of(found)


@router.put(
    "/papers/{paper_id:paper_id}/note",
    response_model=NotePublic | None,
    summary="Write your note (an empty body deletes it)",
)
def put_note(
    paper_id: PaperId, note: NoteUpdate, session: SessionDep, user: CurrentUser, response: Response
) -> NotePublic | None:
    response.headers["Cache-Control"] = PRIVATE
    saved = notes.save_note(session, user, canonical_id(paper_id), note.body)
    return NotePublic.of(saved) if saved is not None else None


@router.delete("/papers/{paper_id:paper_id}/note", status_code=204, summary="Delete your note")
def delete_note(paper_id: PaperId, session: SessionDep, user: CurrentUser) -> Response:
    notes.delete_note(session, user, canonical_id(paper_id))
    return Response(status_code=204, headers={"Cache-Control": PRIVATE})


@router.get("/me/notes", response_model=list[NotedPaperPublic], summary="All your notes")
def my_notes(session: SessionDep, user: CurrentUser, response: Response) -> list[NotedPaperPublic]:
    """The latest written first."""
    response.headers["Cache-Control"] = PRIVATE
    return [
        NotedPaperPublic(**NotePublic.of(n.note).model_dump(), title=n.paper.title)
        for n in notes.member_notes(session, user)
    ]


@router.get("/me/notes.md", summary="Your notes as Markdown", response_class=Response)
def notes_markdown(session: SessionDep, settings: SettingsDep, user: CurrentUser) -> Response:
    body = notes.notes_markdown(
        notes.member_notes(session, user), f"{settings.base_url}/papers/{{id}}"
    )
    return Response(
        body,
        media_type="text/markdown; charset=utf-8",
        headers={"Cache-Control": PRIVATE, "Content-Disposition": 'inline; filename="notes.md"'},
    )


@router.get("/me/notes.csl.json", summary="Your notes as CSL-JSON", response_class=Response)
def notes_csl(session: SessionDep, user: CurrentUser) -> Response:
    """The papers you noted, each item's ``note`` holding your note."""
    noted = notes.member_notes(session, user)
    body = csl.csl_json([n.paper for n in noted], {n.paper.id: n.note.body for n in noted})
    return Response(body, media_type=csl.MEDIA_TYPE, headers={"Cache-Control": PRIVATE})


def _read(paper_id: str, state: bool) -> ReadPublic:
    return ReadPublic(paperId=paper_id, read=state)


@router.post("/papers/{paper_id:paper_id}/read", response_model=ReadPublic, summary="Mark read")
def mark_read(paper_id: PaperId, session: SessionDep, user: CurrentUser) -> ReadPublic:
    """Idempotent."""
    pid = canonical_id(paper_id)
    return _read(pid, notes.mark_read(session, user, pid))


@router.delete("/papers/{paper_id:paper_id}/read", response_model=ReadPublic, summary="Mark unread")
def mark_unread(paper_id: PaperId, session: SessionDep, user: CurrentUser) -> ReadPublic:
    pid = canonical_id(paper_id)
    return _read(pid, notes.unmark_read(session, user, pid))
