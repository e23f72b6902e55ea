"""Large bytes-likes out of band: shared values stay shared, bytearrays load with no copy,
arrays keep their typecode and byte order, and groups without them pickle as before."""

from __future__ import annotations

import array
import pickle
import sys

import pytest

from elastic_notebook import buffers
from elastic_notebook.serialize import SerializedGroup, load_group, serialize_group

BIG = buffers.OUT_OF_BAND_BYTES


def round_trip(
    members: dict[str, object],
) -> tuple[SerializedGroup, dict[str, object], list[bytearray]]:
    group = serialize_group(members)
    assert isinstance(group, SerializedGroup)
    blobs = [bytearray(blob) for blob in group.blobs()]
    return group, load_group(blobs, {}), blobs


def test_large_bytes_likes_leave_the_stream_and_shared_ones_stay_shared() -> None:
    frame = bytearray(range(256)) * (BIG // 256)
    other = bytearray(b"o" * BIG)
    raw = bytes(reversed(frame))
    series = array.array("d", range(BIG // 8))
    members: dict[str, object] = {
        "frame": frame,
        "frames": [frame, other, frame],
        "raw": raw,
        "series": series,
        "small": bytearray(b"tiny"),
    }
    group, loaded, blobs = round_trip(members)
    assert len(group.stream) < 1024, "the values' bytes are not in the stream"
    assert [memoryview(b).nbytes for b in group.buffers] == [BIG, BIG, BIG, BIG]
    assert loaded == members
    frames = loaded["frames"]
    assert isinstance(frames, list)
    assert frames[0] is loaded["frame"] and frames[2] is loaded["frame"]
    # A loaded bytearray is its blob, not a copy of it.
    assert loaded["frame"] is blobs[1]
    assert type(loaded["raw"]) is bytes
    assert type(loaded["series"]) is array.array


def test_groups_without_large_bytes_likes_pickle_in_the_stream_as_before() -> None:
    members: dict[str, object] = {"numbers": list(range(1000)), "small": bytearray(100)}
    group, loaded, _ = round_trip(members)
    assert group.buffers == []
    assert loaded == members
    assert b"elastic-notebook/buffer" not in group.stream


def test_arrays_of_platform_sized_items_go_through_their_own_pickling() -> None:
    # 'l' is 4 bytes on wasm32 and 8 on 64-bit Linux: array's own reduction (a machine
    # format code) carries it across; its bytes still leave the stream.
    wide = array.array("l", range(BIG))
    group, loaded, _ = round_trip({"wide": wide, "frame": bytearray(BIG)})
    assert loaded["wide"] == wide
    assert b"elastic-notebook/buffer" in group.stream


def test_an_array_from_the_other_byte_order_is_swapped() -> None:
    values = array.array("i", range(BIG))
    other = "big" if sys.byteorder == "little" else "little"
    swapped = array.array("i", values)
    swapped.byteswap()
    loads = buffers.BufferLoads([bytearray(swapped.tobytes())])
    loaded = loads.persistent_load(("elastic-notebook/buffer", 0, "array", "i", other))
    assert loaded == values


def test_foreign_or_damaged_persistent_ids_are_load_errors() -> None:
    loads = buffers.BufferLoads([bytearray(b"x")])
    for pid in (
        "other",
        ("elastic-notebook/buffer", 0, "set"),
        ("elastic-notebook/buffer", 1, "bytes"),
    ):
        with pytest.raises(pickle.UnpicklingError):
            loads.persistent_load(pid)
    with pytest.raises(pickle.UnpicklingError, match="more buffers"):
        next(buffers.BufferLoads([]))
