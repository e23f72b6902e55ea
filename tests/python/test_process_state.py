"""`process_state`: what a checkpoint carries besides variables, read and put back.

The end-to-end tests (a restore in a new process, a Jupyter kernel, Pyodide) are in
test_restore_scenarios.py, test_kernel.py and tests/node; these check the pieces.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator

import numpy as np
import pytest

from elastic_notebook.process_state import (
    NUMPY_RANDOM_KEY,
    RANDOM_KEY,
    SYS_PATH_KEY,
    capture,
    set_random_states,
    with_sys_path_entries,
)


@pytest.fixture
def own_sys_path() -> Iterator[list[str]]:
    """sys.path as the test found it, put back after."""
    saved = list(sys.path)
    yield saved
    sys.path[:] = saved


def test_only_entries_added_since_recording_started_are_carried(own_sys_path: list[str]) -> None:
    sys.path.insert(0, "first")
    sys.path.append("lib")
    sys.path.append("lib")  # twice: carried once
    sys.path.append(42)  # type: ignore[arg-type] # not a path: the import system skips it
    carried = capture(own_sys_path)
    assert json.loads(carried[SYS_PATH_KEY]) == {"front": ["first"], "back": ["lib"]}
    # Nothing added: no entry at all.
    sys.path[:] = own_sys_path
    assert SYS_PATH_KEY not in capture(own_sys_path)


def test_entries_go_where_they_were_and_are_not_added_twice() -> None:
    extra = {SYS_PATH_KEY: json.dumps({"front": ["first", "here"], "back": ["lib", "there"]})}
    path = ["here", "/usr/lib/python3", "there"]
    assert with_sys_path_entries(path, extra) == ["first", *path, "lib"]
    assert with_sys_path_entries(path, {}) == path


@pytest.mark.parametrize(
    "text", ["not json", "[]", json.dumps({"front": [1], "back": []}), json.dumps({"front": []})]
)
def test_an_entry_that_is_not_a_list_of_paths_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):  # JSON's error or ours
        with_sys_path_entries(["here"], {SYS_PATH_KEY: text})


def test_the_generators_continue_from_the_captured_states() -> None:
    random.seed(11)
    np.random.seed(12)
    random.gauss(0, 1)  # keeps a normal for the next call
    np.random.randn()
    carried = capture(list(sys.path))
    expected = (random.gauss(0, 1), random.random(), np.random.randn(), np.random.rand())
    random.seed(0)
    np.random.seed(0)
    assert set_random_states(carried) == []
    assert (random.gauss(0, 1), random.random(), np.random.randn(), np.random.rand()) == expected


def test_a_state_that_does_not_read_is_named_and_the_other_is_still_set() -> None:
    random.seed(3)
    carried = capture(list(sys.path))
    expected = random.random()
    random.seed(0)
    not_set = set_random_states({**carried, NUMPY_RANDOM_KEY: json.dumps({"key": []})})
    assert len(not_set) == 1
    assert not_set[0].startswith("numpy's global generator (its state does not read:")
    assert random.random() == expected
    assert set_random_states({RANDOM_KEY: "[3, [1, 2], null]"})[0].startswith(
        "random's global generator ("
    )


def test_numpys_generator_is_carried_only_once_numpy_random_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(sys.modules, "numpy.random")
    assert NUMPY_RANDOM_KEY not in capture(list(sys.path))
    assert RANDOM_KEY in capture(list(sys.path))


def test_numpys_generator_with_another_bit_generator_is_not_carried() -> None:
    """`np.random.set_bit_generator(PCG64(...))`: `get_state` gives a dict, not the
    Mersenne Twister's tuple; the checkpoint carries `random`'s state alone."""
    from numpy.random.mtrand import get_bit_generator, set_bit_generator

    kept = get_bit_generator()
    set_bit_generator(np.random.PCG64(1))
    try:
        carried = capture(list(sys.path))
    finally:
        set_bit_generator(kept)
    assert NUMPY_RANDOM_KEY not in carried
    assert RANDOM_KEY in carried
