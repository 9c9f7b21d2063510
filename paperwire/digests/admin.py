"""The digest admin view's access without signing in: a signed link, valid for a day, printed by
``paperwire digest admin-link`` (a signed-in admin opens ``/admin/digests`` directly)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from paperwire.config import Settings
from paperwire.errors import InvalidLink
from paperwire.secret import signing_key

MAX_AGE = 24 * 3600
_SALT = "paperwire-digest-admin"


def admin_link(settings: Settings) -> str:
    token = URLSafeTimedSerializer(signing_key(settings), salt=_SALT).dumps({"admin": True})
    return f"{settings.base_url}/admin/digests/{token}"


def check_admin_token(settings: Settings, token: str) -> None:
    """``InvalidLink`` unless ``token`` is a current admin link (expired ones say so)."""
    try:
        URLSafeTimedSerializer(signing_key(settings), salt=_SALT).loads(token, max_age=MAX_AGE)
    except BadSignature as exc:
        raise InvalidLink(
            "this admin link is not valid or has expired; run `paperwire digest admin-link`"
        ) from exc
