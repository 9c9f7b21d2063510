"""The API token pages: ``/settings/tokens`` lists a member's tokens; a form creates one (shown
once) or revokes one. The tokens themselves live in ``paperwire.accounts.tokens``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from paperwire.accounts import tokens
from paperwire.db.models import User
from paperwire.errors import TooManyTokens, UsageError
from paperwire.web.auth import CurrentUser
from paperwire.web.deps import SessionDep, SettingsDep
from paperwire.web.forms import FormFields, back
from paperwire.web.inputs import RowId
from paperwire.web.templating import render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, db: SessionDep, user: User, status: int = 200, **extra: object
) -> Response:
    context = {"user": user, "tokens": tokens.list_tokens(db, user), "error": None, **extra}
    return render(request, "tokens.html", context, status_code=status)


@router.get("/settings/tokens", name="tokens")
def tokens_page(request: Request, db: SessionDep, user: CurrentUser) -> Response:
    return _page(request, db, user)


@router.post("/settings/tokens")
def create_token(
    request: Request, db: SessionDep, settings: SettingsDep, user: CurrentUser, form: FormFields
) -> Response:
    try:
        created = tokens.create_token(db, user, form.get("name", ""), limit=settings.max_api_tokens)
    except (UsageError, TooManyTokens) as exc:
        db.rollback()
        return _page(request, db, user, status=exc.http_status, error=str(exc))
    return _page(request, db, user, new_secret=created.secret, new_name=created.token.name)


@router.post("/settings/tokens/{token_id:int}/revoke")
def revoke_token(token_id: RowId, db: SessionDep, user: CurrentUser) -> Response:
    tokens.revoke_token(db, user, token_id)
    return back("/settings/tokens")
