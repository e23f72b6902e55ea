"""What changed in a namespace between a copy of it and now (the recorder's diff).

IPython's namespace holds two of its own names for every cell run (`_i<N>`, `_<N>`), so
it grows all session long and the diff runs over all of it twice per cell. On CPython
the native module compares the two dicts by pointers (about 20 us for 600 names,
against 50-100 us for the comprehension below, which calls Python's `dict.get` per
name); Pyodide has no native module of ours and takes the comprehension.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import cache
from typing import NamedTuple

from elastic_notebook.core import backend

#: Stands for "no such name" where None could be a value.
_MISSING = object()


class Changes(NamedTuple):
    """What changed from one copy of a namespace to another."""

    #: Names bound to another object than before, or new, in the new copy's order.
    changed: list[str]
    #: Names gone, in the old copy's order.
    deleted: list[str]
    #: Whether the old copy's names are in the new one's order (none deleted, none
    #: deleted and bound again): then it can be brought up to the new one in place and
    #: stay in order. Always true from `changes_in_python`, which does not use the order.
    in_order: bool


#: (before, now) -> (changed, deleted, in order).
Differ = Callable[[dict[str, object], dict[str, object]], tuple[list[str], list[str], bool]]


def changes(before: dict[str, object], now: dict[str, object]) -> Changes:
    """What changed from the namespace `before` to `now`.

    Names `now` binds to another object than `before` does (or `before` lacks), and
    names of `before` that `now` lacks, each in its dict's order.

    Compares identities, never values: a rebinding to an equal object is a change.

    >>> changes({"a": 1, "b": [], "c": 3}, {"a": 1, "b": [], "d": 4})[:2]
    (['b', 'd'], ['c'])
    """
    return Changes(*_differ()(before, now))


def changes_in_python(
    before: dict[str, object], now: dict[str, object]
) -> tuple[list[str], list[str], bool]:
    """`changes` in Python (Pyodide's, and the reference): one comprehension over `now`.

    A comprehension, not `map`/`compress` passes: 50 against 65 us for 600 names on
    CPython 3.11, and comprehensions are inlined since 3.12 (Pyodide runs 3.14).
    """
    get = before.get
    changed = [name for name, value in now.items() if get(name, _MISSING) is not value]
    # Every name of `before` is in `now` when `now` has only added the new ones to it.
    added = sum(1 for name in changed if name not in before)
    if len(now) - added == len(before):
        return changed, [], True
    return changed, [name for name in before if name not in now], True


@cache
def _differ() -> Differ:
    if sys.platform == "emscripten":
        return changes_in_python
    native: Differ = backend().namespace_changes  # type: ignore[attr-defined]
    return native
