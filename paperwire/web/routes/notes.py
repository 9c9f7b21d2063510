"""A member's note on a paper (the form on the paper page) and read marks (the toggle on each card):
plain form POSTs that redirect back, working without JavaScript; ``static/vote.js`` posts the read
toggle with ``Accept: application/json`` and updates it in place. All of it is ``community/notes.py``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from paperwire.community import notes
from paperwire.web.auth import CurrentUser
from paperwire.web.deps import SessionDep
from paperwire.web.forms import FormFields, back
from paperwire.web.templating import paper_url

router = APIRouter()


@router.post("/papers/{paper_id:paper_id}/note")
def save_note(paper_id: str, db: SessionDep, user: CurrentUser, form: FormFields) -> Response:
    """Write the note (an empty one, or ``action=delete``, deletes it)."""
    body = "" if form.get("action") == "delete" else form.get("body", "")
    notes.save_note(db, user, paper_id, body)
    return back(paper_url(paper_id) + "#note")


@router.post("/papers/{paper_id:paper_id}/read")
def toggle_read(
    request: Request, paper_id: str, db: SessionDep, user: CurrentUser, form: FormFields
) -> Response:
    """Mark read (``action=read``, the default) or unread (``action=unread``)."""
    if form.get("action") == "unread":
        state = notes.unmark_read(db, user, paper_id)
    else:
        state = notes.mark_read(db, user, paper_id)
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"paper_id": paper_id, "read": state})
    return back(paper_url(paper_id), form.get("next"))
