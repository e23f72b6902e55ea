"""What changed in IPython's namespace since the recorder last looked (its diff).

IPython binds names of its own for every cell run (`_i<N>` for the input, `_<N>` for an
output), so the namespace grows all session long: after 4,000 cells it held 4,825 names,
and a diff over all of them (natively, about 20 ns a name and dict) had made the
recorder's hooks 544 us per small cell over the last 500 cells, against 119 us over the
first 500. The recorder keeps a copy of only the other names (`kept_copy`); a look compares
those one by one and finds the names added since the last look from the end of the
namespace (a dict keeps insertion order, and IPython's newest input name marks where the
last look ended). The work is the size of the user's namespace and of what was bound
since, not the length of the session: 84 and 85 us per cell over the same slices.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Reversible
from functools import cache, lru_cache
from typing import NamedTuple

from elastic_notebook.core import backend
from elastic_notebook.structs import views

#: IPython's own output and input history names: `_`, `__`, `___`, `_i`, `_ii`, `_iii`,
#: `_i<N>`, `_<N>` (whole names, ASCII digits: the native diff's rule too).
_IPYTHON_NAME = re.compile(r"_{1,3}|_i{1,3}|_i[0-9]+|_[0-9]+")
#: An input history name (`_i<N>`): IPython binds a new one before every cell it stores,
#: under a key string of its own, and never binds it again.
_INPUT_NAME = re.compile(r"_i[0-9]+")
#: The shell's entries holding its whole input and output history (`In[3]`, `Out[3]`).
_HISTORY_ENTRIES = frozenset(("In", "Out", "_ih", "_oh", "_dh"))
#: Stands for "no such name" where None could be a value.
_MISSING = object()


#: Answers `is_ipython_name` keeps, the least recently asked going first: the user's names,
#: asked every cell, stay; IPython's history names, two new ones a cell, pass through (an
#: unbounded cache grew all session long).
_NAMES_KEPT = 4096


@lru_cache(maxsize=_NAMES_KEPT)
def is_ipython_name(name: str) -> bool:
    """Whether `name` is one IPython binds itself (`_`, `_i3`, `__name__`, ...)."""
    return name[:1] == "_" and bool(
        _IPYTHON_NAME.fullmatch(name) or (name[:2] == "__" and name[-2:] == "__")
    )


def history_read(
    reads: Iterable[str], namespace: dict[str, object], hidden: dict[str, object]
) -> str | None:
    """The least of `reads` (a cell's) that is IPython's input or output history, if any.

    `_`, `_5`, `_i3` and the like, and the shell's `In`, `Out`, `_oh`... while they hold
    its own values (`hidden`: `user_ns_hidden`). They hold what earlier cells showed or
    were, which a restore does not bring back: a cell reading them must not re-run.
    """
    found = [
        name
        for name in reads
        if (name[:1] == "_" and _IPYTHON_NAME.fullmatch(name))
        or (name in _HISTORY_ENTRIES and name in hidden and hidden[name] is namespace.get(name))
    ]
    return min(found) if found else None


class Changes(NamedTuple):
    """What changed from a kept copy of a namespace to the namespace now."""

    #: Kept names bound to another object than before, or new, in no particular order.
    changed: list[str]
    #: Kept names gone.
    deleted: list[str]
    #: The newest input name in the namespace now (None if it has none): where the next
    #: look, from the copy brought up to now, starts from.
    anchor: str | None
    #: The user's names among `changed`, sorted: those IPython's hidden names
    #: (`user_ns_hidden`) do not hold with the value they have now.
    bound: list[str]
    #: The user's names among `deleted`, sorted (by the value they had before).
    gone: list[str]


def kept_copy(now: dict[str, object]) -> tuple[dict[str, object], str | None]:
    """A copy of `now`'s names that are not IPython's own, and the anchor of the next look."""
    return {name: value for name, value in now.items() if not is_ipython_name(name)}, (
        _newest_input_name(now)
    )


def changes(
    before: dict[str, object],
    anchor: str | None,
    now: dict[str, object],
    hidden: dict[str, object],
) -> Changes:
    """What changed from `before` (a kept copy, taken when `anchor` was newest) to `now`.

    Kept names that `now` binds to another object (or lacks), and names that are new
    since: those after `anchor` in `now` that `before` lacks. Compares identities, never
    values: a rebinding to an equal object is a change. If `anchor` is gone (``%reset``,
    ``del _i5``), every name of `now` is looked at. The user's names among them are those
    `hidden` (IPython's `user_ns_hidden`) does not hold with the same value.

    >>> before, anchor = kept_copy({"a": 1, "b": [], "_i1": "b = []", "c": 3})
    >>> now = {"a": 1, "b": [], "_i1": "b = []", "_i2": "...", "d": 4}
    >>> changes(before, anchor, now, {"d": 4})
    Changes(changed=['b', 'd'], deleted=['c'], anchor='_i2', bound=['b'], gone=['c'])
    """
    return _differ()(before, anchor, now, hidden)


def changes_in_python(
    before: dict[str, object],
    anchor: str | None,
    now: dict[str, object],
    hidden: dict[str, object],
) -> Changes:
    """`changes` in Python: Pyodide's.

    The reference for the native module's `namespace_changes`, which does all of it on
    CPython (tests hold the two to each other).
    """
    get = now.get
    changed = [name for name, value in before.items() if get(name, _MISSING) is not value]
    deleted = [name for name in changed if name not in now]
    if deleted:
        changed = [name for name in changed if name in now]
    added = None if anchor is None else _added_since(before, anchor, now)
    if added is None:  # no anchor, or it is gone: every name of `now` is looked at
        added = [name for name in now if name not in before]
        anchor = _newest_input_name(added)
    else:
        # Input names are never kept, so a newer one is among those added.
        anchor = _newest_input_name(added) or anchor
    changed += [name for name in added if not is_ipython_name(name)]
    kept = hidden.get
    bound = sorted(name for name in changed if kept(name, _MISSING) is not now[name])
    gone = sorted(name for name in deleted if kept(name, _MISSING) is not before[name])
    return Changes(changed, deleted, anchor, bound, gone)


def _added_since(
    before: dict[str, object], anchor: str, now: dict[str, object]
) -> list[str] | None:
    """The names after `anchor` in `now` that `before` lacks, oldest first.

    None if `anchor` is not in `now`.
    """
    since: list[str] = []
    # From the end: a name bound since is after every name bound before it (a dict puts
    # a new key last and keeps a rebound one where it was), and the anchor, an input
    # name, is never bound again once deleted.
    for name in reversed(now):
        if name is anchor:
            since.reverse()
            return [name for name in since if name not in before]
        since.append(name)
    return None


def _newest_input_name(names: Reversible[str]) -> str | None:
    """The last input name (`_i<N>`) of `names` (a list, or a dict's keys), if any."""
    for name in reversed(names):
        if name[:2] == "_i" and _INPUT_NAME.fullmatch(name):
            return name
    return None


#: `changes`' signature: before, anchor, now, hidden.
_Differ = Callable[[dict[str, object], str | None, dict[str, object], dict[str, object]], Changes]


@cache
def _differ() -> _Differ:
    if sys.platform == "emscripten":
        return changes_in_python
    native = backend().namespace_changes  # type: ignore[attr-defined]

    def changes_natively(
        before: dict[str, object],
        anchor: str | None,
        now: dict[str, object],
        hidden: dict[str, object],
    ) -> Changes:
        return Changes._make(native(before, anchor, now, hidden))

    return changes_natively


class VersionTag:
    """Whether a dict may have changed since a reading: its version tag (PEP 509).

    CPython 3.11 (measured here) to 3.13 give every dict a 64-bit tag, set anew from a
    global counter at each change to it (a name bound, rebound or deleted): an equal tag
    means the dict is unchanged, so the recorder's diff before a cell can be skipped when
    nothing ran between cells. The diff costs 5-7 us in the hooks, but the net gain
    measured is 2-3 us a small cell: the diff after the cell then meets the namespace in
    a colder cache (docs/benchmarks.md). Read from the struct
    (`structs`): the tag sits after the object header and the count of items. Where the
    layout check fails (CPython 3.14 keeps no such tag, as in Pyodide), `read` gives None:
    no answer.
    """

    def __init__(self) -> None:
        """No dict read yet; the layout is checked at the first reading."""
        self._usable: bool | None = None
        #: The dict read, held so the view never outlives it, and the view of its tag.
        self._read: tuple[dict[str, object], memoryview] | None = None

    def read(self, namespace: dict[str, object]) -> bytes | None:
        """`namespace`'s tag now, or None where tags cannot be read."""
        if self._usable is None:
            self._usable = _tag_is_read_right()
        if not self._usable:
            return None
        if self._read is None or self._read[0] is not namespace:
            self._read = (namespace, _tag_view(namespace))
        return self._read[1].tobytes()


def _tag_view(namespace: dict[str, object]) -> memoryview:
    """A view of `namespace`'s version tag: after the header and `ma_used`."""
    address = id(namespace) + object.__basicsize__ + 8
    return views([(address, 8)])[0]


def _tag_is_read_right() -> bool:
    """Whether `_tag_view` sees a private dict's changes, and nothing else moves it."""
    probe: dict[str, object] = {"a": 1, "b": 2}
    try:
        view = _tag_view(probe)
    except (ImportError, ValueError, TypeError):
        return False
    first = view.tobytes()
    again = view.tobytes()
    probe["a"] = 3  # the same keys and size: only the tag can tell
    rebound = view.tobytes()
    del probe["b"]
    deleted = view.tobytes()
    return first == again and rebound != again and deleted != rebound
