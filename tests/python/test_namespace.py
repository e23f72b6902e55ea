"""The recorder's namespace diff: against the truth, over chains of random cells, and the
work it does in a long session (the user's names and what was bound since, not IPython's
history names)."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator

import pytest

from elastic_notebook import _core
from elastic_notebook.namespace import (
    VersionTag,
    changes,
    changes_in_python,
    is_ipython_name,
    kept_copy,
)

#: What a cell (or IPython around it) can do to a namespace.
EDITS = (
    "rebind",
    "rebind to the same",
    "delete",
    "add",
    "delete and add again",
    "IPython stores an input",
    "IPython stores an output",
    "IPython flushes its outputs",
    "rebind _",
    "delete the newest input",
    "reset",
)


class Session:
    """A namespace edited as IPython and cells edit one, with its input counter."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.count = 0
        self.ns: dict[str, object] = {"__name__": "__main__", "In": [], "Out": {}}
        for _ in range(rng.randint(0, 30)):
            self.edit("add")
            self.edit("IPython stores an input")

    def edit(self, edit: str) -> None:
        ns, rng = self.ns, self.rng
        names = [name for name in ns if not is_ipython_name(name)]
        name = rng.choice(names) if names else None
        if edit == "rebind" and name is not None:
            ns[name] = [name]
        elif edit == "rebind to the same" and name is not None:
            ns[name] = ns[name]
        elif edit == "delete" and name is not None:
            del ns[name]
        elif edit == "add":
            ns[f"v{rng.randint(0, 60)}"] = object()
        elif edit == "delete and add again" and name is not None:
            value = ns.pop(name)
            ns[name] = value if rng.random() < 0.5 else [value]
        elif edit == "IPython stores an input":
            self.count += 1
            # A key string of its own, as IPython makes it.
            ns.update({"_i": "...", f"_i{self.count}": f"cell {self.count}"})
        elif edit == "IPython stores an output":
            ns.update({"_": self.count, f"_{self.count}": self.count})
        elif edit == "IPython flushes its outputs":
            for key in [key for key in ns if key[1:].isdigit()]:
                del ns[key]
        elif edit == "rebind _":
            ns["_"] = object()
        elif edit == "delete the newest input" and self.count:
            ns.pop(f"_i{self.count}", None)
        elif edit == "reset" and self.rng.random() < 0.2:
            ns.clear()

    def cell(self) -> None:
        self.edit("IPython stores an input")
        for _ in range(self.rng.randint(0, 6)):
            self.edit(self.rng.choice(EDITS))


@pytest.mark.parametrize("seed", range(300))
def test_chained_diffs_find_exactly_what_each_cell_changed(seed: int) -> None:
    """Each diff starts from the copy and anchor the one before left, as in the recorder;
    each must find exactly the names that are not IPython's and changed."""
    rng = random.Random(seed)
    session = Session(rng)
    # IPython's hidden names: a user's rebinding of one (an edit may) makes it the user's.
    hidden = {"In": session.ns["In"], "Out": session.ns["Out"]}
    copy, anchor = kept_copy(session.ns)
    assert copy == {k: v for k, v in session.ns.items() if not is_ipython_name(k)}
    for _ in range(8):
        before = dict(copy)
        session.cell()
        now = session.ns
        # The native steps and their Python twin (Pyodide's) read the same.
        assert _core.namespace_changes(copy, anchor, now, hidden) == tuple(
            changes_in_python(copy, anchor, now, hidden)
        )
        diff = changes(copy, anchor, now, hidden)
        expected_changed = {
            name
            for name, value in now.items()
            if not is_ipython_name(name) and before.get(name, before) is not value
        }
        expected_deleted = set(before) - set(now)
        assert set(diff.changed) == expected_changed and len(diff.changed) == len(expected_changed)
        assert set(diff.deleted) == expected_deleted and len(diff.deleted) == len(expected_deleted)
        assert diff.bound == sorted(n for n in expected_changed if hidden.get(n) is not now[n])
        assert diff.gone == sorted(n for n in expected_deleted if hidden.get(n) is not before[n])
        # Brought up as the recorder brings its copy up.
        for name in diff.deleted:
            del copy[name]
        for name in diff.changed:
            copy[name] = now[name]
        assert copy == {k: v for k, v in now.items() if not is_ipython_name(k)}
        anchor = diff.anchor


@pytest.mark.parametrize("seed", range(50))
def test_the_version_tag_moves_with_every_change_of_a_name(seed: int) -> None:
    """An equal tag lets the recorder skip its diff before a cell: it must never be equal
    across an edit that binds, rebinds or deletes a name (in-place changes of values are
    no change of the namespace, for the diff as for the tag)."""
    tag = VersionTag()
    if sys.implementation.name == "cpython" and sys.version_info < (3, 14):
        assert tag.read({}) is not None, "CPython 3.11-3.13 keep a tag: it must be read"
    session = Session(random.Random(seed))
    for _ in range(40):
        before = dict(session.ns)
        read_before = tag.read(session.ns)
        session.edit(session.rng.choice(EDITS))
        if session.rng.random() < 0.3 and session.ns:
            value = next(iter(session.ns.values()))
            if isinstance(value, list):
                value.append(1)  # in place: not a change of the namespace
        changed = before.keys() != session.ns.keys() or any(
            session.ns[name] is not value for name, value in before.items()
        )
        if read_before is not None and changed:
            assert tag.read(session.ns) != read_before


class CountingNamespace(dict[str, object]):
    """A namespace that counts the names read from it in order, from either end."""

    read = 0
    #: Set once the copy is taken: from then on, no walk of every item.
    strict = False

    def __iter__(self) -> Iterator[str]:
        for name in super().__iter__():
            self.read += 1
            yield name

    def __reversed__(self) -> Iterator[str]:
        for name in reversed(list(super().__iter__())):
            self.read += 1
            yield name

    def items(self):  # type: ignore[no-untyped-def]  # noqa: ANN201 - dict's own
        if self.strict:
            raise AssertionError("the diff walked every item of the namespace")
        return super().items()


def test_a_long_session_diff_reads_only_what_was_bound_since() -> None:
    """After 5,000 cells IPython's history names are most of the namespace: a diff must
    look at the user's names and the few names bound since the last one, not at them."""
    ns = CountingNamespace({"__name__": "__main__", "data": [1], "model": {}})
    for n in range(1, 5001):
        ns[f"_i{n}"] = f"cell {n}"
        ns[f"_{n}"] = n
    copy, anchor = kept_copy(ns)
    assert copy == {"data": [1], "model": {}} and anchor == "_i5000"
    ns.read, ns.strict = 0, True
    # One cell: IPython stores its input, the cell binds and rebinds, an output.
    ns["_i5001"] = "cell 5001"
    ns["result"] = 42
    ns["data"] = [2]
    ns["_5001"] = 42
    diff = changes(copy, anchor, ns, {})
    assert sorted(diff.changed) == ["data", "result"] and diff.deleted == []
    assert diff.anchor == "_i5001"
    # From the end back to the anchor: `_5001`, `result`, `_i5001`, the last cell's output
    # `_5000` (bound after its input name) and the anchor `_i5000`.
    assert ns.read == 5, f"read {ns.read} names for 4 bound since the anchor"


def test_the_name_test_keeps_a_bounded_memory_over_a_long_session() -> None:
    """IPython binds two new names a cell: the answers kept for them must not grow with
    the session."""
    before = is_ipython_name.cache_info().currsize
    for n in range(20_000):
        assert is_ipython_name(f"_i{n}") and is_ipython_name(f"_{n}")
        assert not is_ipython_name(f"user_{n % 50}")
    kept = is_ipython_name.cache_info().currsize
    assert kept <= max(before, 4096), f"{kept} answers kept after 40,000 names"


def test_a_gone_anchor_falls_back_to_every_name() -> None:
    """``%reset in`` (or ``del _i5``) deletes the anchor: every name is looked at."""
    ns: dict[str, object] = {"a": 1, "_i1": "a = 1"}
    copy, anchor = kept_copy(ns)
    del ns["_i1"]
    ns["b"] = 2
    diff = changes(copy, anchor, ns, {})
    assert diff.changed == ["b"] and diff.deleted == [] and diff.anchor is None


@pytest.mark.parametrize(
    ("name", "ipythons"),
    [
        ("_", True),
        ("___", True),
        ("_iii", True),
        ("_i12", True),
        ("_12", True),
        ("__name__", True),
        ("____", True),
        ("_x", False),
        ("_iiii", False),
        ("_i12x", False),
        ("_i", True),
        ("_\u0661", False),  # an Arabic-Indic digit: a name of the user's, not IPython's
        ("_i1\n", False),  # not a whole match
        ("x__", False),
    ],
)
def test_ipython_names_are_the_same_natively_and_in_python(name: str, ipythons: bool) -> None:
    assert is_ipython_name(name) is ipythons
    before, anchor = kept_copy({"a": 1, "_i1": "a = 1"})
    now = {"a": 1, "_i1": "a = 1", "_i2": "...", name: object()}
    native = _core.namespace_changes(before, anchor, now, {})
    assert native == tuple(changes_in_python(before, anchor, now, {}))
    assert native[0] == ([] if ipythons else [name])
    assert native[2] == ("_i2" if name != "_i12" else "_i12")
