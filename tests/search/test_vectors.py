"""The vector store: persistence, crash-safe generations, invalidation, filters and HNSW recall."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from paperwire.search.vectors import VectorStore

DIM = 16


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_upsert_search_and_get_survive_reopen(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng, 50)
    ids = [f"p{i}" for i in range(50)]
    store = VectorStore.open(tmp_path / "v", DIM, "model-a")
    store.upsert(ids, vectors * 3.0)  # stored normalised whatever the caller passes
    store.flush()

    again = VectorStore.open(tmp_path / "v", DIM, "model-a")
    assert not again.invalidated
    assert again.ids() == set(ids)
    got = again.get("p7")
    assert got is not None
    np.testing.assert_allclose(got, vectors[7], atol=1e-6)
    hits = again.search(vectors[7], 3)
    assert hits[0][0] == "p7"
    assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
    assert hits[0][1] >= hits[1][1] >= hits[2][1]
    assert again.get("nope") is None


def test_update_and_remove(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    vectors = unit(rng, 10)
    store = VectorStore.open(tmp_path, DIM, "m")
    store.upsert([f"p{i}" for i in range(10)], vectors)
    store.remove(["p0", "p5", "unknown"])
    store.upsert(["p3"], vectors[9:10])  # p3 now points where p9 does
    store.flush()

    store = VectorStore.open(tmp_path, DIM, "m")
    assert store.ids() == {f"p{i}" for i in range(10)} - {"p0", "p5"}
    assert len(store) == 8
    top_two = {pid for pid, _ in store.search(vectors[9], 2)}
    assert top_two == {"p3", "p9"}
    assert all(pid != "p0" for pid, _ in store.search(vectors[0], 10))
    for i in (1, 2, 4, 6, 7, 8):
        got = store.get(f"p{i}")
        assert got is not None
        np.testing.assert_allclose(got, vectors[i], atol=1e-6)


def test_allowed_restricts_results(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    vectors = unit(rng, 100)
    store = VectorStore.open(tmp_path, DIM, "m")
    store.upsert([f"p{i}" for i in range(100)], vectors)
    allowed = {"p10", "p20", "p30", "ghost"}
    hits = store.search(vectors[0], 10, allowed=allowed)
    assert {pid for pid, _ in hits} == {"p10", "p20", "p30"}
    assert store.search(vectors[0], 5, allowed=set()) == []


def test_model_change_invalidates(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    store = VectorStore.open(tmp_path, DIM, "model-a")
    store.upsert(["a", "b"], unit(rng, 2))
    store.flush()
    other = VectorStore.open(tmp_path, DIM, "model-b")
    assert other.invalidated
    assert other.ids() == set()
    wider = VectorStore.open(tmp_path, DIM * 2, "model-b")
    assert wider.invalidated
    assert not VectorStore.open(tmp_path, DIM * 2, "model-b").invalidated


def test_crash_before_meta_keeps_previous_generation(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    store = VectorStore.open(tmp_path, DIM, "m")
    store.upsert(["a"], unit(rng, 1))
    store.flush()
    meta_before = (tmp_path / "meta.json").read_text()
    # A half-written next generation (as a crash mid-flush would leave) is ignored on open.
    (tmp_path / "vectors-99.npy").write_bytes(b"garbage")
    (tmp_path / ".meta.json.tmp").write_text("{not json")
    reopened = VectorStore.open(tmp_path, DIM, "m")
    assert reopened.ids() == {"a"}
    assert (tmp_path / "meta.json").read_text() == meta_before
    assert json.loads(meta_before)["count"] == 1


def test_bad_shapes_are_refused(tmp_path: Path) -> None:
    store = VectorStore.open(tmp_path, DIM, "m")
    with pytest.raises(ValueError, match="expected 2 vectors of 16"):
        store.upsert(["a", "b"], np.zeros((3, DIM), dtype=np.float32))
    with pytest.raises(ValueError, match="query of 16"):
        store.search(np.zeros(DIM + 1, dtype=np.float32), 3)
    assert store.search(np.ones(DIM, dtype=np.float32), 3) == []


def embedding_like(rng: np.random.Generator, basis: np.ndarray, n: int) -> np.ndarray:
    """Points of a low-dimensional latent space spread over ``basis`` plus noise: like real sentence
    embeddings, and unlike uniform noise, they have a few true nearest neighbours."""
    v = rng.standard_normal((n, basis.shape[0])) @ basis
    v += 0.3 * rng.standard_normal(v.shape)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.slow
def test_hnsw_recall_against_exact(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    dim, n = 384, 25_000
    basis = rng.standard_normal((48, dim))
    vectors = embedding_like(rng, basis, n)
    store = VectorStore.open(tmp_path, dim, "m", hnsw_threshold=20_000)
    store.upsert([f"p{i}" for i in range(n)], vectors)
    store.flush()  # builds the graph: the store is above the threshold
    store = VectorStore.open(tmp_path, dim, "m", hnsw_threshold=20_000)
    assert store.uses_hnsw
    queries = embedding_like(rng, basis, 200)
    found = 0
    for q in queries:
        exact = {pid for pid, _ in store.search_exact(q, 10)}
        approx = {pid for pid, _ in store.search(q, 10)}
        found += len(exact & approx)
    recall = found / (10 * len(queries))
    assert recall >= 0.98, recall

    # The graph follows removals and updates without a rebuild.
    store.remove([f"p{i}" for i in range(100)])
    store.upsert(["p100"], queries[:1])
    hits = store.search(queries[0], 5)
    assert hits[0][0] == "p100"
    assert all(int(pid[1:]) >= 100 for pid, _ in hits)
    allowed = {f"p{i}" for i in range(100, 3_000)}
    assert all(pid in allowed for pid, _ in store.search(queries[1], 10, allowed=allowed))
