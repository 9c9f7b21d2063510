"""arXiv identifiers: parse every form people paste (ids, versions, ``arXiv:`` prefixes, abs/pdf URLs)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from paperwire.errors import InvalidPaperId

# New style (0704.0001 .. 2403.04640) and old style (hep-th/9901001, math.AG/0601001).
_NEW = r"(?P<new>\d{4}\.\d{4,5})"
_OLD = r"(?P<old>[a-z][a-z\-]*(?:\.[A-Za-z\-]{2,})?/\d{7})"
_ID_RE = re.compile(rf"^(?:{_NEW}|{_OLD})(?:v(?P<version>\d+))?$", re.IGNORECASE)
_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/(?P<rest>.+?)(?:\.pdf)?/?(?:[?#].*)?$",
    re.IGNORECASE,
)
_HF_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.)?huggingface\.co/papers/(?P<rest>[^?#/]+(?:/\d{7})?)", re.IGNORECASE
)


@dataclass(frozen=True)
class ArxivId:
    id: str
    version: int | None = None

    def __str__(self) -> str:
        return self.id if self.version is None else f"{self.id}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse any common spelling of an arXiv id or URL; raise ``InvalidPaperId`` naming the input."""
    raw = (text or "").strip()
    candidate = raw
    for pattern in (_URL_RE, _HF_URL_RE):
        m = pattern.match(candidate)
        if m:
            candidate = m.group("rest")
            break
    if candidate.lower().startswith("arxiv:"):
        candidate = candidate[6:]
    candidate = candidate.strip().strip("/")
    if candidate.lower().startswith("http://arxiv.org/abs/"):
        candidate = candidate[len("http://arxiv.org/abs/") :]
    m = _ID_RE.match(candidate)
    if not m:
        raise InvalidPaperId(f"not an arXiv id or URL: {raw!r}")
    version = int(m.group("version")) if m.group("version") else None
    if m.group("new"):
        return ArxivId(m.group("new"), version)
    archive, number = m.group("old").split("/")
    return ArxivId(
        f"{archive.lower() if '.' not in archive else _fix_subject(archive)}/{number}", version
    )


def _fix_subject(archive: str) -> str:
    # math.AG keeps its upper-case subject class; the archive part is lower case.
    head, _, tail = archive.partition(".")
    return f"{head.lower()}.{tail.upper()}"


def try_parse_arxiv_id(text: str | None) -> ArxivId | None:
    if not text:
        return None
    try:
        return parse_arxiv_id(text)
    except InvalidPaperId:
        return None


def local_paper_id(source: str, key: str) -> str:
    """A stable id for a paper with no arXiv id, derived from where it came from."""
    digest = hashlib.sha1(f"{source}\0{key}".encode()).hexdigest()[:16]
    return f"pw-{digest}"


def abs_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def pdf_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/pdf/{arxiv_id}"


def canonical_id(paper_id: str) -> str:
    """The id without its version (``2403.04640v2`` → ``2403.04640``); other ids as given."""
    parsed = try_parse_arxiv_id(paper_id)
    return parsed.id if parsed is not None else paper_id
