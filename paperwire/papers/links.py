"""Links from ingested data: the code repositories and project pages an abstract or the comments
field mentions, and ``safe_url``, the one test every stored address passes before it is stored or
written out as a link (cards, paper pages, Markdown, the API)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_URL_RE = re.compile(r"(?:https?://|www\.)(?:[^\s<>\"'{}\\]|\\[_~%&#])+", re.IGNORECASE)
_CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "huggingface.co")
_TRAILING = ".,;:)]}>'\""


MAX_URL_CHARS = 2048
_SAFE_SCHEMES = ("http", "https")
# White space, controls and characters that never appear unescaped in a real address.
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f-\x9f<>\"\\`\ufffe\uffff\ud800-\udfff]")


def safe_url(value: object, *, site_path: bool = False) -> str | None:
    """``value`` when it is an absolute http(s) address with a host; None otherwise.

    Ingested data is untrusted: a ``javascript:`` or ``data:`` address (any other scheme too, or a
    relative one) must never become a live link, whatever page or format shows it. With
    ``site_path``, a path on the source's own site (``/avatars/x.svg``, as Hugging Face gives its
    avatars) is kept too: it cannot name a scheme.
    """
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or _UNSAFE_CHARS.search(url):
        return None
    if site_path and url.startswith("/") and not url.startswith("//"):
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in _SAFE_SCHEMES or not host:
        return None
    return url


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
            url = safe_url(_clean(match.group(0)))
            if url is None:
                continue
            kind = _kind(url)
            key = url.lower().rstrip("/").removesuffix(".git")
            if kind is None or key in seen:
                continue
            seen.add(key)
            found.append({"kind": kind, "url": url})
    return found
