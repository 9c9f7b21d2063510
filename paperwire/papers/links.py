"""Find code repositories and project pages mentioned in an abstract or the comments field."""

from __future__ import annotations

import re

_URL_RE = re.compile(r"(?:https?://|www\.)[^\s<>\"'{}\\]+", re.IGNORECASE)
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co")
_TRAILING = ".,;:)]}>'\""


def _clean(url: str) -> str:
    url = url.rstrip(_TRAILING)
    # LaTeX escapes survive in arXiv metadata: \_ and \~ inside URLs.
    url = url.replace("\\_", "_").replace("\\~", "~")
    if url.lower().startswith("www."):
        url = "https://" + url
    return url


def _kind(url: str) -> str | None:
    host = re.sub(r"^https?://", "", url.lower()).split("/", 1)[0]
    host = host.removeprefix("www.")
    if host.endswith("arxiv.org") or host.endswith("doi.org"):
        return None
    path = re.sub(r"^https?://[^/]+", "", url).strip("/")
    if any(host == h for h in _CODE_HOSTS):
        # A bare host or a single path segment (a user page) is not a repository.
        if host == "huggingface.co":
            return "code" if path.count("/") >= 1 else None
        return "code" if path.count("/") >= 1 else None
    if host.endswith("github.io") or host.endswith("gitlab.io"):
        return "project"
    return "project"


def extract_links(*texts: str | None) -> list[dict[str, str]]:
    """Ordered, de-duplicated code (``kind="code"``) and project links found in the texts."""
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for text in texts:
        if not text:
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
