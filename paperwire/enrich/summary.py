"""A one-sentence summary: the abstract's most central sentence (the one most similar, on average,
to the abstract's other sentences and to the paper as a whole), or, when an OpenAI-compatible chat
endpoint is configured (``PAPERWIRE_SUMMARY_URL``), that model's sentence. The endpoint is never
needed: any failure of it falls back to the extracted sentence."""

from __future__ import annotations

import logging
import re

import httpx
import numpy as np

from paperwire.config import Settings

log = logging.getLogger(__name__)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[$\"'])")
MIN_WORDS = 5
MAX_SUMMARY = 600
TIMEOUT = 30.0


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
    try:
        response = httpx.post(
            url.rstrip("/") + "/chat/completions", json=body, headers=headers, timeout=TIMEOUT
        )
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"]
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        log.warning("summariser at %s failed, the extracted sentence stays: %s", url, exc)
        return None
    text = " ".join(str(text).split())
    return text[:MAX_SUMMARY] if text else None
