"""The vector store: persistence, crash-safe generations, invalidation, filters and HNSW recall."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from paperwire.search.vectors import VectorStore

DIM = 16
# Rows are stored as float16: 11 significant bits, so a unit vector's numbers come back within 2.5e-4.
F16 = 5e-4


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
    np.testing.assert_allclose(got, vectors[7], atol=F16)
    hits = again.search(vectors[7], 3)
    assert hits[0][0] == "p7"
    assert hits[0][1] == pytest.approx(1.0, abs=F16)
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
        np.testing.assert_allclose(got, vectors[i], atol=F16)


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


def test_rows_are_stored_as_float16_and_mapped_on_open(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    vectors = unit(rng, 40)
    store = VectorStore.open(tmp_path, DIM, "m")
    store.upsert([f"p{i}" for i in range(40)], vectors)
    store.flush()
    meta = json.loads((tmp_path / "meta.json").read_text())
    on_disk = np.load(tmp_path / f"vectors-{meta['generation']}.npy")
    assert on_disk.dtype == np.float16
    np.testing.assert_allclose(on_disk.astype(np.float32), vectors, atol=F16)

    again = VectorStore.open(tmp_path, DIM, "m")
    assert isinstance(again._vectors, np.memmap)  # read from disk page by page, not loaded
    got = again.get("p3")
    assert got is not None and got.dtype == np.float32 and not isinstance(got, np.memmap)
    np.testing.assert_allclose(got, vectors[3], atol=F16)
    # Exact scores come from the float16 rows upcast: within float16's precision of float32's.
    query = unit(rng, 1)[0]
    hits = again.search(query, 40)
    expected = vectors @ query
    for pid, score in hits:
        assert score == pytest.approx(float(expected[int(pid[1:])]), abs=2e-3)
    assert [pid for pid, _ in hits[:5]] == [f"p{i}" for i in np.argsort(-expected)[:5]]
    many = again.search_exact_many(np.stack([query, vectors[9]]), 5)
    for got_hits, q in zip(many, [query, vectors[9]], strict=True):
        one = again.search_exact(q, 5)
        assert [pid for pid, _ in got_hits] == [pid for pid, _ in one]
        assert [s for _, s in got_hits] == pytest.approx([s for _, s in one], abs=1e-6)


def test_changes_after_reopening_a_mapped_store(tmp_path: Path) -> None:
    """Rows and graph are mapped read-only on open: the first change copies them, the files of the
    generation that was opened stay as they were, and the next flush writes the change."""
    rng = np.random.default_rng(8)
    basis = rng.standard_normal((8, DIM))
    vectors = embedding_like(rng, basis, 600)
    store = VectorStore.open(tmp_path, DIM, "m", hnsw_threshold=300)
    store.upsert([f"p{i}" for i in range(600)], vectors)
    store.flush()
    gen = json.loads((tmp_path / "meta.json").read_text())["generation"]
    files = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.endswith(f"-{gen}.npy")}
    graph = (tmp_path / f"hnsw-{gen}.usearch").read_bytes()

    mapped = VectorStore.open(tmp_path, DIM, "m", hnsw_threshold=300)
    assert mapped.uses_hnsw
    mapped.set_search_effort(128)
    assert mapped.search(vectors[5], 1)[0][0] == "p5"
    fresh = embedding_like(rng, basis, 3)
    mapped.upsert(["new", "p7"], fresh[:2])  # one added, one replaced
    mapped.remove(["p5", "p6"])
    assert mapped.search(fresh[0], 1)[0][0] == "new"
    assert mapped.search(fresh[1], 1)[0][0] == "p7"
    assert all(pid not in {"p5", "p6"} for pid, _ in mapped.search(vectors[5], 20))
    allowed = {f"p{i}" for i in range(100, 400)}
    assert all(pid in allowed for pid, _ in mapped.search(fresh[2], 10, allowed=allowed))
    for name, data in files.items():
        assert (tmp_path / name).read_bytes() == data
    assert (tmp_path / f"hnsw-{gen}.usearch").read_bytes() == graph

    mapped.flush()
    reopened = VectorStore.open(tmp_path, DIM, "m", hnsw_threshold=300)
    assert len(reopened) == 599
    assert reopened.search(fresh[0], 1)[0][0] == "new"
    assert reopened.search(fresh[1], 1)[0][0] == "p7"
    assert reopened.get("p5") is None
    p7 = reopened.get("p7")
    assert p7 is not None  # read from the graph: the store is above the threshold
    np.testing.assert_allclose(p7, fresh[1], atol=F16)
    for i in (0, 8, 599):
        got = reopened.get(f"p{i}")
        assert got is not None and got.dtype == np.float32
        np.testing.assert_allclose(got, vectors[i], atol=F16)
    # And a second round of changes on the newly mapped generation.
    reopened.remove(["new"])
    reopened.flush()
    assert VectorStore.open(tmp_path, DIM, "m", hnsw_threshold=300).get("new") is None


def write_format_1(folder: Path, ids: list[str], vectors: np.ndarray, graph: bool) -> None:
    """A folder as format 1 wrote it: float32 rows, the same ids, keys and float16 graph files."""
    from usearch.index import Index

    folder.mkdir(parents=True)
    gen = 4
    keys = np.arange(len(ids), dtype=np.uint64)
    (folder / f"ids-{gen}.json").write_text(json.dumps(ids))
    np.save(folder / f"vectors-{gen}.npy", vectors.astype(np.float32))
    np.save(folder / f"keys-{gen}.npy", keys)
    if graph:
        index = Index(ndim=vectors.shape[1], metric="ip", dtype="f16", connectivity=32)
        index.add(keys, vectors)
        index.save(str(folder / f"hnsw-{gen}.usearch"))
    meta = {
        "format": 1,
        "model_name": "m",
        "dim": vectors.shape[1],
        "generation": gen,
        "count": len(ids),
        "next_key": len(ids),
        "hnsw": graph,
    }
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("graph", [False, True])
def test_format_1_folder_is_converted_without_re_embedding(tmp_path: Path, graph: bool) -> None:
    rng = np.random.default_rng(9)
    vectors = unit(rng, 300)
    ids = [f"p{i}" for i in range(300)]
    folder = tmp_path / "v"
    write_format_1(folder, ids, vectors, graph)

    store = VectorStore.open(folder, DIM, "m", hnsw_threshold=200 if graph else 1000)
    assert store.converted and not store.invalidated
    assert store.ids() == set(ids)
    assert store.uses_hnsw == graph
    got = store.get("p11")
    assert got is not None
    np.testing.assert_allclose(got, vectors[11], atol=F16)
    assert store.search(vectors[11], 1)[0][0] == "p11"
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["format"] == 2 and meta["generation"] == 5
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(
        ["meta.json", "ids-5.json", "keys-5.npy", "vectors-5.npy"]
        + (["hnsw-5.usearch"] if graph else [])
    )
    assert np.load(folder / "vectors-5.npy").dtype == np.float16

    again = VectorStore.open(folder, DIM, "m", hnsw_threshold=200 if graph else 1000)
    assert not again.converted and not again.invalidated
    again.upsert(["p11"], vectors[12:13])
    assert {pid for pid, _ in again.search(vectors[12], 2)} == {"p11", "p12"}


def test_unknown_format_is_discarded(tmp_path: Path) -> None:
    rng = np.random.default_rng(10)
    store = VectorStore.open(tmp_path, DIM, "m")
    store.upsert(["a"], unit(rng, 1))
    store.flush()
    meta = json.loads((tmp_path / "meta.json").read_text())
    (tmp_path / "meta.json").write_text(json.dumps({**meta, "format": 99}))
    reopened = VectorStore.open(tmp_path, DIM, "m")
    assert reopened.invalidated and not reopened.converted
    assert len(reopened) == 0
