"""Who holds a lease or a claim (a digest row, a job lock, a source's harvest), and whether that
holder is provably gone.

A holder id carries the host and PID for people reading the tables, this kernel boot and PID
namespace, and a random id of the process (a new one after a fork). A holder is dead only when it
ran in this very boot and PID namespace and its process is gone: two containers or two cloned VMs
never share the namespace, though their host names and PIDs may well be the same.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from pathlib import Path

__all__ = ["holder_id", "holder_is_dead", "holder_pid"]

_tokens: dict[int, str] = {}


def _machine() -> str:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return ""
    return hashlib.sha1(f"{boot}|{namespace}".encode()).hexdigest()[:12]


def holder_id(pid: int | None = None) -> str:
    """This process's holder id (``pid`` names another process of this machine, as its parent
    would: the random part is then its own)."""
    pid = os.getpid() if pid is None else pid
    token = _tokens.setdefault(pid, secrets.token_hex(8))
    return f"{socket.gethostname()[:64]}:{pid}:{_machine()}:{token}"


def holder_pid(holder: str | None) -> int | None:
    parts = (holder or "").rsplit(":", 3)
    return int(parts[1]) if len(parts) == 4 and parts[1].isdigit() else None


def holder_is_dead(holder: str | None) -> bool:
    """Whether the holder is a process gone from this very machine and PID namespace; any doubt
    answers no."""
    parts = (holder or "").rsplit(":", 3)
    pid = holder_pid(holder)
    if pid is None or not parts[2] or parts[2] != _machine():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
