"""The files paperwire keeps in its home are private: the database holds password and token hashes
and e-mail addresses, the key file signs every link. Folders it makes are 0700 and files 0600,
whatever the umask, like the key file (``paperwire.secret``) that is refused when others may read
it. SQLite gives a database's ``-wal`` and ``-shm`` files the mode of the database file itself, so
making that one 0600 before SQLite opens it covers them.

Only what paperwire creates is made private: an existing file or folder keeps the mode its owner
gave it (``chmod 600``/``700`` tightens an older installation).
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_folder(path: Path) -> Path:
    """``path`` and any missing parent, each made readable by this user only (0700)."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:  # another process made it meanwhile
            continue
        os.chmod(folder, FOLDER_MODE)  # mkdir's mode passes through the umask
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty and 0600 (in a private folder) unless it exists; an empty file is an
    empty SQLite database, so SQLite opens it as it would have created it."""
    private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    os.fchmod(fd, FILE_MODE)
    os.close(fd)
    return path
