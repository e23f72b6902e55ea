"""The recorder's namespace diff: the native one against the Python one and the truth."""

from __future__ import annotations

import random

import pytest

from elastic_notebook import _core
from elastic_notebook.namespace import changes, changes_in_python

#: One round of edits of a namespace copy: what a cell (or IPython) can do to it.
EDITS = ("rebind", "rebind to the same", "delete", "add", "delete and add again", "nothing")


def edited(before: dict[str, object], rng: random.Random) -> dict[str, object]:
    """A new namespace: `before` copied, then edited at random."""
    now = dict(before)
    for _ in range(rng.randint(0, 6)):
        names = list(now)
        edit = rng.choice(EDITS)
        name = rng.choice(names) if names else "fresh"
        if edit == "rebind" and names:
            now[name] = [name]
        elif edit == "rebind to the same" and names:
            now[name] = now[name]
        elif edit == "delete" and names:
            del now[name]
        elif edit == "add":
            now[f"_i{rng.randint(0, 10**6)}"] = object()
        elif edit == "delete and add again" and names:
            value = now.pop(name)
            now[name] = value if rng.random() < 0.5 else [value]
    return now


def truth(before: dict[str, object], now: dict[str, object]) -> tuple[set[str], set[str]]:
    changed = {name for name in now if name not in before or before[name] is not now[name]}
    return changed, set(before) - set(now)


@pytest.mark.parametrize("seed", range(300))
def test_the_native_diff_and_the_python_diff_find_exactly_what_changed(seed: int) -> None:
    rng = random.Random(seed)
    before: dict[str, object] = {f"v{i}": [i] for i in range(rng.randint(0, 40))}
    before.update({f"_i{i}": f"cell {i}" for i in range(rng.randint(0, 40))})
    now = edited(before, rng)
    expected_changed, expected_deleted = truth(before, now)
    native_changed, native_deleted, in_order = _core.namespace_changes(before, now)
    python_changed, python_deleted, _ = changes_in_python(before, now)
    for changed, deleted in ((native_changed, native_deleted), (python_changed, python_deleted)):
        assert set(changed) == expected_changed and len(changed) == len(expected_changed)
        assert set(deleted) == expected_deleted and len(deleted) == len(expected_deleted)
    # In order: `before`'s names lead `now`'s, in the same order.
    assert in_order == (list(now)[: len(before)] == list(before))


def test_changes_are_given_in_dict_order() -> None:
    before = {"a": 1, "b": [], "c": 3, "d": 4}
    now = {"a": 1, "b": [], "d": 4, "e": 5}
    assert changes(before, now) == (["b", "e"], ["c"], False)
    grown = dict(before, e=5, f=6)
    assert changes(before, grown) == (["e", "f"], [], True)
