"""Reading posted forms: their text fields, and where a form may send the browser next."""

from __future__ import annotations

from fastapi import Request


async def form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (file uploads are left out)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def safe_next(target: str | None) -> str:
    """Where to go after a form: a path on this site only. Browsers drop tabs and newlines from
    URLs and read a backslash as a slash, so ``/<tab>/evil.example`` would leave the site too."""
    target = (target or "").strip()
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in target):
        return "/"
    if not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
