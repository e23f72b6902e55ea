"""Imported modules pickle by name with plain pickle; others still go through cloudpickle."""

from __future__ import annotations

import collections
import functools
import os.path
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from elastic_notebook.serialize import (
    LoadError,
    SerializedGroup,
    Unserializable,
    load_group,
    notebook_definition,
    serialize_group,
)


def serialized(members: dict[str, object]) -> SerializedGroup:
    group = serialize_group(members)
    assert isinstance(group, SerializedGroup), group
    return group


def loaded(group: SerializedGroup) -> dict[str, object]:
    return load_group([bytearray(blob) for blob in group.blobs()], {})


def test_imported_modules_pickle_by_name_without_cloudpickle() -> None:
    members: dict[str, object] = {"c": collections, "osp": os.path, "data": [collections, 1]}
    group = serialized(members)
    assert group.serializer == "pickle"
    assert b"cloudpickle" not in group.stream
    back = loaded(group)
    assert back["c"] is collections
    assert back["osp"] is os.path  # posixpath (or ntpath), under its own name
    data = back["data"]
    assert isinstance(data, list) and data[0] is collections


def test_a_memoryview_is_not_stored_as_a_copy_of_its_bytes() -> None:
    """Plain pickle refuses a memoryview, and cloudpickle would store its bytes: it would
    load as `bytes`, a view of nothing. Its group is not stored (its cells re-run)."""
    raw = bytearray(b"abc")
    group = serialize_group({"raw": raw, "window": memoryview(raw)[1:]})
    assert isinstance(group, Unserializable), group
    assert "memoryview cannot be stored" in group.reason


def test_a_cached_notebook_function_is_a_notebook_definition() -> None:
    notebook: dict[str, object] = {"__name__": "__main__"}
    exec("import functools\n@functools.cache\ndef square(n):\n    return n * n", notebook)
    group = serialize_group({"square": notebook["square"]})
    assert isinstance(group, Unserializable), group
    assert "`square` is defined in the notebook" in group.reason
    # Not a wrapper of another module's function, nor a notebook object without one.
    assert not notebook_definition(functools.cache(len))
    exec("class Model:\n    def __call__(self):\n        return 1\nmodel = Model()", notebook)
    assert not notebook_definition(notebook["model"])


def test_an_array_over_a_bytearray_of_the_group_loads_as_a_view_of_it() -> None:
    raw = bytearray(200_000)
    words = np.frombuffer(raw, dtype=np.uint32)[10:]
    group = serialized({"raw": raw, "words": words})
    assert [buffer.raw().nbytes for buffer in group.buffers] == [200_000]  # raw, once
    back = loaded(group)
    back_raw = back["raw"]
    assert isinstance(back_raw, bytearray)
    back_words = back["words"]
    assert isinstance(back_words, np.ndarray)
    back_raw[40] = 3
    assert back_words[0] == 3  # words[0] is raw[40:44]


def test_an_array_over_a_bytearray_no_variable_holds_is_pickled_as_numpy_does() -> None:
    words = np.frombuffer(bytearray(200_000), dtype=np.uint32)
    group = serialized({"words": words})
    assert [buffer.raw().nbytes for buffer in group.buffers] == [200_000]
    assert len(group.stream) < 1_000  # out of band, not the bytearray in the stream


def test_a_module_made_at_run_time_still_goes_through_cloudpickle() -> None:
    made = types.ModuleType("made_here")
    made.answer = 42  # type: ignore[attr-defined]
    group = serialized({"made": made})
    assert group.serializer == "cloudPickle"
    back = loaded(group)["made"]
    assert isinstance(back, types.ModuleType) and back.answer == 42


def test_a_module_missing_where_it_loads_is_a_load_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "only_here.py").write_text("value = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import only_here  # type: ignore[import-not-found]

    group = serialized({"m": only_here})
    assert group.serializer == "pickle"
    monkeypatch.delitem(sys.modules, "only_here")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path)])
    with pytest.raises(LoadError, match="only_here"):
        loaded(group)
