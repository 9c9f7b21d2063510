"""The secret that signs links (admin, subscription confirm and manage) and anonymous CSRF tokens.

It comes from ``PAPERWIRE_SECRET_KEY`` (or the config file), else from ``PAPERWIRE_HOME/secret_key``,
which the first command that needs it writes with a fresh random key (mode 0600). A placeholder or
short secret never signs or checks anything: every command that does refuses to start with one, and
``signing_key`` refuses it again at the point of use.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import replace
from pathlib import Path

from paperwire.config import Settings
from paperwire.db.files import private_folder
from paperwire.errors import WeakSecret

MIN_LENGTH = 32
MIN_DISTINCT = 10
FILE_NAME = "secret_key"
# Values seen in examples and templates; compared in lower case.
PLACEHOLDERS = frozenset(
    {"change-me", "changeme", "change_me", "secret", "secret-key", "secret_key", "test-secret"}
)
HOW = (
    "run `paperwire secret` and set PAPERWIRE_SECRET_KEY to what it prints, or unset it to let"
    " paperwire keep a generated one in PAPERWIRE_HOME/secret_key"
)


def new_key() -> str:
    """A fresh random secret (64 URL-safe characters)."""
    return secrets.token_urlsafe(48)


def key_file(home: Path) -> Path:
    return home / FILE_NAME


def weakness(key: str) -> str | None:
    """Why ``key`` must not sign anything, or None when it is strong enough."""
    if not key:
        return "no secret is set"
    if key.strip().lower() in PLACEHOLDERS:
        return "it is a placeholder"
    if len(key) < MIN_LENGTH:
        return f"it has {len(key)} characters, fewer than {MIN_LENGTH}"
    if len(set(key)) < MIN_DISTINCT:
        return f"it uses fewer than {MIN_DISTINCT} different characters"
    return None


def signing_key(settings: Settings) -> bytes:
    """The key to sign or check with; ``WeakSecret`` for a placeholder or weak one."""
    problem = weakness(settings.secret_key)
    if problem is not None:
        raise WeakSecret(f"refusing to sign or check links: {problem}; {HOW}")
    return settings.secret_key.encode()


def read_key_file(path: Path) -> str:
    """The key stored at ``path``; ``WeakSecret`` if others may read it or it cannot be read."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise WeakSecret(f"cannot read the secret key file {path}: {exc}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise WeakSecret(
            f"the secret key file {path} may be read by other users; run chmod 600 {path}"
        )
    return text


def write_key_file(path: Path) -> bool:
    """Create ``path`` with a fresh key, readable by its owner only; False if it already exists
    (another process may have just made it, and its key is the one to use)."""
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(new_key() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return True


def resolve(settings: Settings, *, create: bool = True) -> Settings:
    """``settings`` with a secret fit to sign: the configured one, else the home's key file
    (written first when ``create`` and it is absent). ``WeakSecret`` says what is wrong and how to
    fix it. Every command that signs or checks links calls this before it starts."""
    if settings.secret_source == "unset":
        path = key_file(settings.home)
        if create and not path.exists():
            write_key_file(path)
        if path.exists():
            settings = replace(settings, secret_key=read_key_file(path), secret_source=str(path))
    problem = weakness(settings.secret_key)
    if problem is not None:
        where = "PAPERWIRE_SECRET_KEY" if settings.secret_source == "unset" else None
        raise WeakSecret(
            f"the secret key ({where or settings.secret_source}) cannot sign links: {problem};"
            f" {HOW}"
        )
    return settings
