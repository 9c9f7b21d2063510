"""A one-sentence summary: the abstract's most central sentence (the one most similar, on average,
to the abstract's other sentences and to the paper as a whole), or, when an OpenAI-compatible chat
endpoint is configured (``PAPERWIRE_SUMMARY_URL``), that model's sentence. The endpoint is never
needed: any failure of it falls back to the extracted sentence.

The endpoint is asked under the fetch rules (``ingest.outbound``): http(s) only, a total deadline
(``TIMEOUT``), a reply cap (``MAX_REPLY``) applied while it streams in, and no redirect followed.
Its address may be private (it is the operator's own setting, often a model on the same machine).
Whatever it answers, only a string at ``choices[0].message.content`` that holds no character a
stored text may not (``papers.records.storable_text``) becomes the summary."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import numpy as np
import orjson

from paperwire.config import Settings
from paperwire.ingest.outbound import (
    AddressPolicy,
    FetchRefused,
    deadline,
    guarded_client,
    read_capped,
)
from paperwire.papers.records import storable_text

log = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[$\"'])")
MIN_WORDS = 5
MAX_SUMMARY = 600
# The whole exchange, from resolving the host to the last byte of the reply (seconds).
TIMEOUT = 30.0
# A chat completion of one sentence is a few KB; anything past 1 MiB is not one.
MAX_REPLY = 1024 * 1024
_ANY_ADDRESS = AddressPolicy.from_setting("0.0.0.0/0,::/0")


def sentences(abstract: str) -> list[str]:
    """The abstract's sentences (splitting after . ! ? before a capital), very short ones left out."""
    text = " ".join((abstract or "").split())
    found = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    kept = [s for s in found if len(s.split()) >= MIN_WORDS]
    return kept or found


def central(doc: np.ndarray, vectors: np.ndarray) -> int:
    """Index of the most central sentence among unit ``vectors``."""
    if len(vectors) == 1:
        return 0
    between = vectors @ vectors.T
    np.fill_diagonal(between, 0.0)
    score = between.sum(axis=1) / (len(vectors) - 1) + vectors @ doc
    return int(np.argmax(score))


def llm_summary(settings: Settings, title: str, abstract: str) -> str | None:
    """One sentence from the configured chat endpoint, or None (not configured, or it failed:
    logged, never raised)."""
    url = settings.summary_url
    if not url:
        return None
    key = settings.summary_api_key
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    body = {
        "model": settings.summary_model,
        "messages": [
            {
                "role": "system",
                "content": "Summarise the paper in one plain sentence of at most 40 words.",
            },
            {"role": "user", "content": f"Title: {title}\n\nAbstract: {abstract}"},
        ],
        "temperature": 0,
    }
    endpoint = url.rstrip("/") + "/chat/completions"
    try:
        client = guarded_client(
            _ANY_ADDRESS, timeout=TIMEOUT, headers=headers, follow_redirects=False
        )
        with client, deadline(TIMEOUT):
            response = read_capped(client, "POST", endpoint, json=body, max_bytes=MAX_REPLY)
        response.raise_for_status()
        text = _message(orjson.loads(response.content))
    except (httpx.HTTPError, httpx.InvalidURL, FetchRefused, orjson.JSONDecodeError) as exc:
        log.warning("summariser at %s failed, the extracted sentence stays: %s", url, exc)
        return None
    if text is None:
        log.warning("summariser at %s answered no chat message, the extracted sentence stays", url)
        return None
    text = " ".join(text.split())
    if storable_text(text) != text:
        log.warning(
            "summariser at %s answered a control character, the extracted sentence stays", url
        )
        return None
    return text[:MAX_SUMMARY] or None


def _message(reply: Any) -> str | None:
    """``reply["choices"][0]["message"]["content"]`` when every step is what the API documents."""
    choices = reply.get("choices") if isinstance(reply, dict) else None
    first = choices[0] if isinstance(choices, list) and choices else None
    message = first.get("message") if isinstance(first, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else None
