"""The checkpoint format from CPython: golden files, a real pickled session, damage."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

import elastic_notebook
from elastic_notebook import _core

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def record(code: str, reads: list[str], writes: list[str]) -> _core.CellRecordDict:
    return {
        "code": code,
        "runtimeNs": 2_000_000,
        "success": True,
        "reads": reads,
        "readsEverything": False,
        "writes": writes,
        "mutates": [],
        "deletes": [],
    }


def test_golden_files_verify_through_the_facade() -> None:
    report = elastic_notebook.verify_checkpoint(GOLDEN / "sample-store-all.ckpt")
    assert report.chunks == 19
    assert report.file_len == (GOLDEN / "sample-store-all.ckpt").stat().st_size
    assert len(report.root) == 64
    summary = elastic_notebook.inspect_checkpoint(GOLDEN / "sample-optimal.ckpt")
    assert [c["code"] for c in summary["cells"] if c["rerun"]] == [
        "gen = (x * 2 for x in data)",
        "import time",
        "blob = bytearray(bytes(range(256)) * 4)",
    ]
    assert summary["producer"]["platform"] == "emscripten"


def test_golden_pickles_load_with_shared_objects_and_out_of_band_buffers() -> None:
    reader = _core.CheckpointReader(GOLDEN / "sample-store-all.ckpt")
    loads = {}
    for step in reader.restore_steps():
        if step["kind"] == "load":
            blobs = [reader.read_blob(step["group"], i) for i in range(step["blobs"])]
            loads.update(pickle.loads(blobs[0], buffers=blobs[1:]))
    assert loads["data"] == [1, 2, 3, 4]
    assert loads["alias"] is loads["data"], "co-variables stay one object"
    assert loads["total"] == 10
    assert bytes(loads["blob"]) == bytes(range(256)) * 4


def write_session(path: Path, history: _core.History, values: dict[str, object]) -> str:
    """Stores every group of a store-all plan of `history` with real pickles."""
    plan = history.plan("storeAll")
    writer = _core.CheckpointWriter(path, chunk_size=4096)
    names = sorted(values)
    for group in plan["store"]:
        members = {names[group]: values[names[group]]}
        buffers: list[pickle.PickleBuffer] = []
        stream = pickle.dumps(members, protocol=5, buffer_callback=buffers.append)
        writer.begin_group(group, "pickle")
        blobs: list[bytes | memoryview] = [stream, *(b.raw() for b in buffers)]
        for blob in blobs:
            writer.begin_blob()
            view = memoryview(blob)
            for at in range(0, len(view), 1000):
                writer.write(view[at : at + 1000])
            writer.end_blob()
        writer.end_group()
    return writer.finish(history, {"plan": plan})["root"]


def test_a_real_session_round_trips_through_a_file(tmp_path: Path) -> None:
    history = _core.History()
    history.record_cell(record("a = bytearray(range(256)) * 100", [], ["a"]))
    history.record_cell(record("b = {'k': [1, 2]}", [], ["b"]))
    history.set_groups(
        [
            {"names": ["a"], "size": 25_600, "serializable": True},
            {"names": ["b"], "size": 40, "serializable": True},
        ]
    )
    values: dict[str, object] = {
        "a": pickle.PickleBuffer(bytearray(range(256)) * 100),
        "b": {"k": [1, 2]},
    }
    path = tmp_path / "session.ckpt"
    root = write_session(path, history, values)

    reader = _core.CheckpointReader(path)
    assert reader.root == root
    assert reader.verify()["chunks"] == 9  # 25,600 bytes in 4 KiB chunks, plus 2 pickles
    restored = {}
    for step in reader.restore_steps():
        blobs = [reader.read_blob(step["group"], i) for i in range(step["blobs"])]
        restored.update(pickle.loads(blobs[0], buffers=blobs[1:]))
    assert bytes(restored["a"]) == bytes(range(256)) * 100
    assert restored["b"] == {"k": [1, 2]}
    assert reader.history().live_names() == ["a", "b"]
    assert _core.History.from_bytes(history.to_bytes()).cell_count == 2


def test_a_failed_or_abandoned_save_keeps_the_previous_checkpoint(tmp_path: Path) -> None:
    path = tmp_path / "session.ckpt"
    shutil.copy(GOLDEN / "sample-optimal.ckpt", path)
    before = path.read_bytes()

    history = _core.History()
    history.record_cell(record("x = 1", [], ["x"]))
    history.set_groups([{"names": ["x"], "size": 10, "serializable": True}])
    abandoned = _core.CheckpointWriter(path)
    abandoned.begin_group(0, "pickle")
    abandoned.abort()
    with pytest.raises(ValueError, match="finished or aborted"):
        abandoned.end_group()

    inconsistent = _core.CheckpointWriter(path)  # stores nothing, but the plan stores x
    with pytest.raises(ValueError, match="inconsistent"):
        inconsistent.finish(history, {"plan": history.plan("storeAll")})

    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.ckpt"], "no temp files"


def test_damage_is_named(tmp_path: Path) -> None:
    data = bytearray((GOLDEN / "sample-store-all.ckpt").read_bytes())
    damaged = tmp_path / "damaged.ckpt"
    data[100] ^= 0xFF
    damaged.write_bytes(data)
    with pytest.raises(ValueError, match="checksum mismatch in the blob chunk"):
        elastic_notebook.verify_checkpoint(damaged)
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="truncated"):
        elastic_notebook.inspect_checkpoint(truncated)
    with pytest.raises(ValueError, match="No such file"):
        elastic_notebook.verify_checkpoint(tmp_path / "missing.ckpt")
