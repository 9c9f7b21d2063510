"""Reading posted forms: their text fields, and where a form may send the browser next."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from paperwire.web.inputs import MULTILINE_FIELDS, check_text


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (file uploads are left out), each checked by ``check_text``
    (several lines only in ``MULTILINE_FIELDS``): ``InvalidText`` names the first bad field."""
    form = await request.form()
    for name, value in form.multi_items():
        if not isinstance(value, str):
            continue
        check_text(name, "a form field's name")
        check_text(value, f"the field {name}", multiline=name in MULTILINE_FIELDS)
    return {k: v for k, v in form.items() if isinstance(v, str)}


# A route's posted fields: the body is read on the event loop (``async`` dependency), so the route
# itself can be a plain ``def`` that FastAPI runs in the threadpool.
FormFields = Annotated[dict[str, str], Depends(form_fields)]


def safe_next(target: str | None) -> str:
    """Where to go after a form: a path on this site only. Browsers drop tabs and newlines from
    URLs and read a backslash as a slash, so ``/<tab>/evil.example`` would leave the site too."""
    target = (target or "").strip()
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target):
        return "/"
    if not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def back(default: str, requested: str | None = None) -> RedirectResponse:
    """The answer to a form that changed something (303, so a reload does not post again): to
    the form's ``next`` (``requested``, through ``safe_next``) when it sent one, else ``default``."""
    return RedirectResponse(safe_next(requested) if requested else default, status_code=303)
