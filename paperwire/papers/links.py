"""Find code repositories and project pages mentioned in an abstract or the comments field."""

from __future__ import annotations

import re

_URL_RE = re.compile(r"(?:https?://|www\.)(?:[^\s<>\"'{}\\]|\\[_~%&#])+", re.IGNORECASE)
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co")
_TRAILING = ".,;:)]}>'\""


def _clean(url: str) -> str:
    url = url.rstrip(_TRAILING)
    # LaTeX escapes survive in arXiv metadata: \_ and \~ inside URLs.
    url = re.sub(r"\\([_~%&#])", r"\1", url)
    if url.lower().startswith("www."):
        url = "https://" + url
    return url


def _kind(url: str) -> str | None:
    host = re.sub(r"^https?://", "", url.lower()).split("/", 1)[0].removeprefix("www.")
    if host.endswith(("arxiv.org", "doi.org")):
        return None
    if host in _CODE_HOSTS:
        # A bare host or a single path segment (a user page) is not a repository.
        path = re.sub(r"^https?://[^/]+", "", url).strip("/")
        return "code" if "/" in path else None
    return "project"


def extract_links(*texts: str | None) -> list[dict[str, str]]:
    """Ordered, de-duplicated code (``kind="code"``) and project links found in the texts."""
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for text in texts:
        # Most texts hold no address; this check is far cheaper than scanning with the pattern.
        if not text or ("://" not in text and "www." not in text.lower()):
            continue
        for match in _URL_RE.finditer(text):
            url = _clean(match.group(0))
            kind = _kind(url)
            key = url.lower().rstrip("/").removesuffix(".git")
            if kind is None or key in seen:
                continue
            seen.add(key)
            found.append({"kind": kind, "url": url})
    return found
