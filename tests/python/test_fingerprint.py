"""Fingerprints catch in-place changes (also through aliases) and find co-variables,
on real numpy and pandas values."""

from __future__ import annotations

import collections
import functools
import json
import operator
import random
import sqlite3
import sys
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from elastic_notebook.core import new_object_walk
from elastic_notebook.fingerprint import (
    Reach,
    _reach_in_python,
    _reach_natively,
    class_data,
    covariable_groups,
    digest,
    fingerprint,
    function_data,
    is_code_or_module,
    reach,
)


class Point:
    def __init__(self, x: int) -> None:
        self.x = x


class Slotted:
    __slots__ = ("value",)

    def __init__(self, value: list[int]) -> None:
        self.value = value


def changed(value: object, mutate: Callable[[], object]) -> bool:
    before = fingerprint(value)
    mutate()
    return fingerprint(value).digest != before.digest


def test_list_append_is_caught() -> None:
    lst = [1, 2]
    assert changed(lst, lambda: lst.append(3))


def test_numpy_item_assignment_is_caught() -> None:
    arr = np.zeros(1000)

    def set_item() -> None:
        arr[0] = 1

    assert changed(arr, set_item)


def test_pandas_column_assignment_is_caught() -> None:
    df = pd.DataFrame({"a": [1, 2, 3]})

    def scale() -> None:
        df["a"] = df["a"] * 10

    assert changed(df, scale)


def test_pandas_loc_edit_is_caught() -> None:
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})

    def edit() -> None:
        df.loc[0, "a"] = 5

    assert changed(df, edit)


def test_attribute_assignment_is_caught() -> None:
    obj = Point(0)

    def set_attr() -> None:
        obj.x = 1

    assert changed(obj, set_attr)
    slotted = Slotted([1])
    assert changed(slotted, lambda: slotted.value.append(2))


def test_nested_append_is_caught() -> None:
    d = {"k": [1]}
    assert changed(d, lambda: d["k"].append(1))


def test_a_mutation_through_an_alias_changes_both_names() -> None:
    l1 = [1, 2]
    holder = {"list": l1}
    before = (fingerprint(l1), fingerprint(holder))
    alias = l1
    alias.append(3)
    assert fingerprint(l1).digest != before[0].digest
    assert fingerprint(holder).digest != before[1].digest


@pytest.mark.parametrize(
    "make",
    [
        lambda: [1, "a", 2.5, None, (1, 2)],
        lambda: {"a": {"b": [float("nan")]}},
        lambda: np.arange(12).reshape(3, 4)[:, ::2],
        lambda: pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]}),
        lambda: Point(3),
    ],
)
def test_an_unchanged_value_keeps_its_fingerprint(make: Callable[[], object]) -> None:
    value = make()
    assert fingerprint(value).digest == fingerprint(value).digest


def test_equal_values_in_other_shapes_differ() -> None:
    assert fingerprint([1, [2]]).digest != fingerprint([[1], 2]).digest
    shared = [0]
    assert fingerprint([shared, shared]).digest != fingerprint([[0], [0]]).digest


def test_a_released_memoryview_has_a_fingerprint_and_reaches_nothing() -> None:
    data = bytearray(b"abc")
    view = memoryview(data)
    before = fingerprint([view])
    assert id(data) in before.objects  # a view reaches what it views
    view.release()
    after = fingerprint([view])  # memoryview() of a released view raises ValueError
    assert after.digest != before.digest
    assert id(data) not in after.objects


def test_callables_that_hold_data_reach_it_and_code_reaches_nothing() -> None:
    """Calling `bag.append`, a partial of it, or an instance with `__call__` changes what
    it holds: they reach it. Functions, classes, modules and C callables reach nothing
    and are not opaque; a method bound to a class or module is code."""

    notebook: dict[str, Any] = {"__name__": "__main__"}  # a class of the notebook's
    exec(
        "class Counter:\n"
        "    def __init__(self):\n        self.counts = []\n"
        "    def __call__(self):\n        self.counts.append(1)\n"
        "    @classmethod\n    def make(cls):\n        return cls()\n",
        notebook,
    )
    Counter = notebook["Counter"]
    bag: list[int] = []
    counter = Counter()
    held = {
        "bound builtin method": (bag.append, bag),
        "partial": (functools.partial(max, bag), bag),
        "callable instance": (counter, counter.counts),
        "bound method": (counter.__call__, counter.counts),
    }
    for what, (value, inner) in held.items():
        assert id(inner) in reach(value).objects, what
        assert not is_code_or_module(value) or what == "callable instance", what
    code_values = (len, Counter, Counter.make, np.sin, functools.partial, types, changed)
    c_code = (str.upper, dict.fromkeys, int.__add__, (1).__add__, operator.itemgetter(1))
    for code in (*code_values, *c_code):
        found = reach(code)
        assert not found.opaque, code
        assert set(found.objects) <= {id(code)}, code
    # A callable whose state lives in C is opaque, not code: a cell reading it may
    # change it (`conn.execute('create table ...')`).
    connection = sqlite3.connect(":memory:")
    assert id(connection) in reach(connection).opaque
    assert id(connection) in reach({"db": connection}).opaque
    connection.close()
    # A closure over data reaches it; one over code (a decorator's wrapper) is code, and
    # a recursive inner function (its cell holds itself) is looked at once.
    notes: list[str] = []

    def note(text: str) -> None:
        notes.append(text)

    def wrapper() -> None:
        return note(text="")

    def recurse(n: int) -> int:
        return n if n < 1 else recurse(n - 1)

    assert id(notes) in reach(note).objects
    assert not is_code_or_module(note)
    assert is_code_or_module(wrapper) and is_code_or_module(recurse)
    # Methods of library objects stay code: `randint` is bound to the `random` module's
    # own generator, `np.random.rand` to numpy's.
    for code_method in (Counter.make, random.randint, np.random.rand, "text".upper):
        assert is_code_or_module(code_method), code_method
    assert not is_code_or_module(bag.append)
    before = fingerprint(bag.append).digest
    bag.append(1)
    assert fingerprint(bag.append).digest != before


def defined_in_a_notebook(monkeypatch: pytest.MonkeyPatch, source: str, *names: str) -> list[Any]:
    """The values `names` that `source` binds, run as a notebook's cell (``__main__``).

    They are bound in ``sys.modules["__main__"]`` too, as IPython's user namespace is,
    so pickle finds them by name: their pickle hides their state, as in a notebook.
    """
    notebook: dict[str, Any] = {"__name__": "__main__"}
    exec(source, notebook)
    for name in names:
        monkeypatch.setattr(sys.modules["__main__"], name, notebook[name], raising=False)
    return [notebook[name] for name in names]


def test_a_notebook_classs_state_is_data_and_its_digest_follows_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`Dog.count += 1` in `__init__` changes the class: a notebook class with state is
    data (calling it is fingerprinted), and its digest (not its pickle, which is its
    name) changes with that state. Classes with no state, and library classes, are code."""
    dog, plain, puppy = defined_in_a_notebook(
        monkeypatch,
        "class Dog:\n    count = 0\n    registry = []\n"
        "    def __init__(self):\n        Dog.count += 1\n"
        "    @property\n    def name(self):\n        return 'dog'\n"
        "class Plain:\n    def method(self):\n        return 1\n"
        "class Puppy(Dog):\n    pass\n",
        "Dog",
        "Plain",
        "Puppy",
    )
    assert class_data(dog) == {"Dog.count": 0, "Dog.registry": []}
    assert class_data(puppy) == class_data(dog)  # what it inherits from Dog
    registry = dog.registry
    assert set(reach(dog).objects) == {id(registry)}  # `reg = Dog.registry` shares it
    assert not set(reach(plain).objects)
    assert class_data(plain) is None and class_data(collections.Counter) is None
    assert not is_code_or_module(dog)
    assert is_code_or_module(plain) and is_code_or_module(collections.Counter)
    before = digest(dog)
    dog()
    after = digest(dog)
    assert after != before
    dog.registry.append("x")
    assert digest(dog) != after


def test_a_notebook_functions_attributes_are_data_and_its_digest_follows_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`step.calls += 1` in its body changes the function: a notebook function with
    attributes is data (calling it is fingerprinted), and its digest (not its pickle,
    which is its name) changes with them. A decorator's `__wrapped__` is not data, nor
    a library's function's attributes."""
    step, plain, wrapper = defined_in_a_notebook(
        monkeypatch,
        "import functools\n"
        "def step():\n    step.calls += 1\n    step.seen.append(step.calls)\n"
        "step.calls = 0\nstep.seen = []\n"
        "def plain():\n    return 1\n"
        "@functools.wraps(plain)\ndef wrapper():\n    return plain()\n",
        "step",
        "plain",
        "wrapper",
    )
    assert function_data(step) == {"calls": 0, "seen": []}
    assert function_data(plain) is None and function_data(wrapper) is None
    library_function = json.dumps
    assert isinstance(library_function, types.FunctionType)
    assert function_data(library_function) is None
    assert not is_code_or_module(step)
    assert is_code_or_module(plain) and is_code_or_module(wrapper)
    # Itself, and what `log = step.seen` shares with it.
    assert set(reach(step).objects) == {id(step), id(step.seen)}
    before = digest(step)
    step()
    assert digest(step) != before


def test_cycles_terminate() -> None:
    a: list[object] = [1]
    a.append(a)
    assert fingerprint(a).digest == fingerprint(a).digest


def test_covariables_share_objects_and_atoms_do_not() -> None:
    l1 = [1, 2]
    l2 = l1
    arr = np.arange(10)
    view = arr[::2]
    inner = [5]
    holder = {"x": inner}
    x = 5
    y = 5
    s1 = "shared"
    s2 = "shared"
    raw = bytearray(b"abc")
    window = memoryview(raw)[1:]  # writes through it change `raw`
    as_array = np.frombuffer(raw, dtype=np.uint8)  # its base: a memoryview of `raw`
    namespace = {
        "l1": l1,
        "l2": l2,
        "arr": arr,
        "view": view,
        "inner": inner,
        "holder": holder,
        "x": x,
        "y": y,
        "s1": s1,
        "s2": s2,
        "raw": raw,
        "window": window,
        "as_array": as_array,
    }
    groups = covariable_groups({name: fingerprint(v) for name, v in namespace.items()})
    assert groups == [
        ["arr", "view"],
        ["as_array", "raw", "window"],
        ["holder", "inner"],
        ["l1", "l2"],
        ["s1"],
        ["s2"],
        ["x"],
        ["y"],
    ]


def test_large_buffers_are_hashed_in_bounded_pieces() -> None:
    big = np.ones(5_000_000)  # 40 MB: three pieces of 16 MiB
    before = fingerprint(big)
    big[-1] = 2.0
    assert fingerprint(big).digest != before.digest


ATOM_TYPES = (int, float, complex, bool, str, bytes, type(None))


def reference_reach(value: object) -> tuple[set[int], set[int]]:
    """The reach as `fingerprint`'s docstring defines it, by plain recursion: mutable
    containers and instances count, flat tuples and frozensets are atoms, classes are
    neither counted nor entered, instances without attributes are opaque."""
    objects: dict[int, object] = {}
    opaque: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in ATOM_TYPES or isinstance(item, type):
            continue
        if (
            isinstance(item, tuple | frozenset)
            and kind in (tuple, frozenset)
            and all(type(x) in ATOM_TYPES for x in item)
        ):
            continue
        if id(item) in objects:
            continue
        objects[id(item)] = item
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
        elif isinstance(item, Slotted):
            stack.append(item.value)
        elif not callable(item):
            opaque.add(id(item))
    return set(objects), opaque


def random_value(rng: random.Random, pool: list[object], depth: int) -> object:
    """A random nest of lists, dicts, sets, tuples, instances, generators and atoms,
    reusing objects from `pool` (shared objects, and cycles through lists)."""
    choice = rng.randrange(13 if depth < 4 else 4)
    made: object
    if choice == 0:
        made = rng.choice([1, 2.5, "s", b"b", None, True, 10**30])
    elif choice == 1 and pool:
        made = rng.choice(pool)
    elif choice == 2:
        made = tuple(rng.choice([1, "t", None]) for _ in range(rng.randrange(3)))
    elif choice == 3:
        made = (x for x in range(3))
    elif choice in (4, 5):
        made = [random_value(rng, pool, depth + 1) for _ in range(rng.randrange(5))]
        if pool and rng.random() < 0.2:
            made.append(made)  # a cycle
    elif choice == 6:
        made = {rng.randrange(9): random_value(rng, pool, depth + 1) for _ in range(3)}
    elif choice == 7:
        made = {rng.randrange(9) for _ in range(3)} | {("k", rng.randrange(3))}
    elif choice == 8:
        made = (random_value(rng, pool, depth + 1), [rng.randrange(5)])
    elif choice == 9:
        made = Point(random_value(rng, pool, depth + 1))  # type: ignore[arg-type]
    elif choice == 10:
        made = Slotted([rng.randrange(5)])
    elif choice == 11:
        made = [Point, len, frozenset({1, 2}), frozenset({(1, 2)})]
    else:  # large: past the walk's shortcut for containers of atoms and tuples of atoms
        pairs: list[object] = [(i, str(i)) for i in range(300)]
        if rng.random() < 0.5:
            pairs.append(rng.choice([([1],), (x for x in range(0)), frozenset({1})]))
        made = rng.choice([pairs, dict.fromkeys(pairs[:-1], 0) | {"last": pairs[-1]}])
    pool.append(made)
    return made


def python_reach(value: object) -> Reach:
    """The walk Pyodide takes (no native walk): the desktop must agree with it."""
    return reach(value, native=False)


WALKS = {"native": reach, "python": python_reach}


def test_the_desktop_walks_natively() -> None:
    assert new_object_walk() is not None


@pytest.mark.parametrize("walk", WALKS)
def test_the_walk_reaches_what_plain_recursion_reaches(walk: str) -> None:
    rng = random.Random(7)
    for _ in range(300):
        pool: list[object] = []
        value = random_value(rng, pool, 0)
        walked = WALKS[walk](value)
        objects, opaque = reference_reach(value)
        assert (set(walked.objects), set(walked.opaque)) == (objects, opaque)


Pair = collections.namedtuple("Pair", "key value")


class Job:
    """An instance holding a numpy view, a dataframe and an open generator."""

    def __init__(self, data: np.ndarray, frame: pd.DataFrame) -> None:
        self.window = data[2:5]
        self.frame = frame
        self.source = (x for x in range(3))


def test_the_native_and_the_python_walk_agree_on_arrays_frames_and_subclasses() -> None:
    data = np.arange(10)
    frame = pd.DataFrame({"a": [1, 2]})
    shared = ["shared"]
    big_tagged = Tagged(range(1000))
    big_tagged.source = (x for x in range(3))  # type: ignore[attr-defined]
    big_tagged.notes = shared  # type: ignore[attr-defined]
    values: list[object] = [
        [data[1:], data[::2], Job(data, frame)],
        {"frame": frame, "counts": collections.Counter("abracadabra"), "s": shared},
        collections.OrderedDict((i, (i, [i])) for i in range(300)),
        Tagged([shared, (1, (2, [3]))]),
        np.array([shared, {"k": shared}, None], dtype=object),
        [frozenset({1, (2, 3)}), (data,), {1, "x", (4, 5)}, len, Job],
        [Pair(i, [i]) for i in range(300)] + [Pair(1, 2)],
        [big_tagged, collections.Counter({(i, i + 1): i for i in range(1000)})],
        collections.defaultdict(lambda: shared, {i: shared for i in range(300)}),
    ]
    for value in values:
        native, in_python = reach(value), python_reach(value)
        assert set(native.objects) == set(in_python.objects)
        assert native.opaque == in_python.opaque


class Tagged(list[object]):
    """A list subclass: its attributes are part of what it reaches."""


def test_a_large_subclassed_container_of_atoms_still_reaches_its_attributes() -> None:
    tagged = Tagged(range(1000))
    tagged.source = (x for x in range(3))  # type: ignore[attr-defined]
    tagged.notes = ["shared"]  # type: ignore[attr-defined]
    counts = collections.Counter({(i, i + 1): i for i in range(1000)})
    counts.owner = tagged.notes  # type: ignore[attr-defined]
    walked = reach(tagged)
    assert id(tagged.source) in walked.opaque  # type: ignore[attr-defined]
    assert id(tagged.notes) in walked.objects  # type: ignore[attr-defined]
    assert id(tagged.notes) in reach(counts).objects  # type: ignore[attr-defined]
    by_default: collections.defaultdict[int, object] = collections.defaultdict(list)
    by_default.update({i: i for i in range(1000)})
    assert reach(by_default).opaque == frozenset(), "a C subclass without attributes"


class FreshAttributes:
    """An object whose ``__dict__`` is made anew at each access, with new lists in it."""

    def __init__(self, inner: object = None) -> None:
        self._inner = inner

    @property
    def __dict__(self) -> dict[str, object]:  # type: ignore[override]
        return {"items": [1, [2]], "inner": self._inner}


def test_values_made_anew_by_attribute_access_are_all_counted() -> None:
    # Each access makes new lists, freed once looked at unless the walk's caller holds
    # them: a list freed between two calls of the native walk lent its address to the
    # next one made, which the walk then took as seen.
    value = FreshAttributes(FreshAttributes(FreshAttributes()))
    expected = len(_reach_in_python(value).objects)
    assert expected == 3 + 3 * 2  # three objects, and two new lists for each
    walk = new_object_walk()
    assert walk is not None
    for _ in range(20):
        assert len(_reach_natively(value, walk).objects) == expected


def test_native_id_sets_answer_what_the_recorder_asks() -> None:
    shared, alone = [1], {"k": 2}
    both, one, other = reach([shared, alone]), reach({"s": shared}), reach([alone])
    assert len(both.objects) == 3 and set(both.objects) >= {id(shared), id(alone)}
    assert id(shared) in one.objects and id(alone) not in one.objects
    assert not both.objects.isdisjoint(one.objects)
    assert one.objects.isdisjoint(other.objects)
    assert not one.objects.isdisjoint([id(shared)]) and one.objects.isdisjoint([1, 2])
    assert reach({"s": shared}).objects == one.objects != other.objects


def _a_function() -> int:
    return 1


def _module_without_spec() -> types.ModuleType:
    """A module whose ``__spec__`` is gone: the walks enter it like an instance."""
    module = types.ModuleType("made_here")
    module.items = [1]  # type: ignore[attr-defined]
    del module.__spec__
    return module


def test_atoms_and_plain_arrays_are_answered_as_the_walks_answer() -> None:
    """`reach` answers atoms, arrays of numbers, small containers of atoms, functions,
    classes and modules without a walk: as the walks would."""
    base = np.arange(12.0)
    raw = bytearray(16)
    values: list[object] = [
        3, 2.5, 1j, "s", b"b", None, True,
        base, base[2:8], base.reshape(3, 4)[1:], base.reshape(3, 4)[1:].T,
        np.frombuffer(raw, dtype=np.uint8), np.frombuffer(raw, dtype=np.uint8)[1:],
        np.array([[1], "x"], dtype=object),
        {}, [], set(), {"step": 3}, [1, "a", (2, 3)], {1, 2.5}, {"t": (1, 2), (3,): "k"},
        {i: i for i in range(32)}, {i: i for i in range(33)}, list(range(33)),
        [[1]], {"k": [1]}, [(1, [2])], {"g": iter(range(3))}, [frozenset({1}), ()],
        _a_function, lambda: 2, np, collections, collections.Counter, int,
        collections.Counter("ab"), _module_without_spec(),
    ]  # fmt: skip
    walk = new_object_walk()
    assert walk is not None
    for value in values:
        answered = reach(value)
        for walked in (_reach_in_python(value), _reach_natively(value, walk)):
            assert set(answered.objects) == set(walked.objects), value
            assert set(answered.opaque) == set(walked.opaque), value
    assert reach(3).objects == frozenset() and len(reach(base[2:8]).objects) == 2
    small = {"step": 3}
    assert set(reach(small).objects) == {id(small)} and not reach(small).opaque
    assert set(reach(_a_function).objects) == {id(_a_function)}
    assert len(reach(collections.Counter).objects) == 0
