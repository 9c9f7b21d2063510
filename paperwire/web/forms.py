"""Reading posted forms: their text fields, and where a form may send the browser next."""

from __future__ import annotations

from fastapi import Request


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (file uploads are left out)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def safe_next(target: str | None) -> str:
    """Where to go after a form: a path on this site only (never ``//elsewhere``)."""
    target = (target or "").strip()
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target
