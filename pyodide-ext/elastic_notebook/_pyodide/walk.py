"""Pyodide's native reach walk: builtin containers read straight from the wasm heap.

Imported only inside Pyodide (``sys.platform == "emscripten"``), by ``core``. On the
desktop the native module's ``ObjectWalk`` walks a value's builtin containers; Pyodide
has no native module of ours (an extension would need Pyodide's own Emscripten), and the
Python walk of 100k dicts takes a quarter of a second there. But Pyodide's CPython lives
in one ``WebAssembly.Memory`` that another module can import: the heap walk
(``_wasm/heap_walk.wasm``, built from ``heap-walk/``, instantiated by `_HEAP_WALK_JS` and
driven by `HeapObjectWalk`) reads exact lists, tuples, dicts, sets and frozensets from
their C structs in that memory (CPython 3.14, 32-bit pointers) and hands every other
object back to Python, which decides what it reaches as the Python walk does. It only
reads objects: no reference count is touched, and it writes only its own buffers (its id
tables, its stack, the addresses it hands back), which it takes from Pyodide's
``malloc``.

The structs are CPython's private layout, so nothing here is trusted until checked:
`heap_walk_class` runs the heap walk and the Python walk on a set of probe values
(`_probes`: every container kind and dict table kind, deleted entries, subclasses,
instances, shared and opaque objects) and uses the heap walk only if both count exactly
the same objects; otherwise (another CPython, another layout) every reach is walked in
Python, with one warning. A walk that meets an address or a length outside the heap
traps, and the reach is walked in Python instead.

Invariant: no Python code runs during one call into the module, so nothing it reads can
change or be freed under it. Between calls (Python looks into the objects handed back),
only the walk's own code runs; the objects handed back are held until the walk ends, and
the containers it read are held by the value being walked.
"""

from __future__ import annotations

import array
import contextlib
import gc
import operator
import sys
from collections import Counter, OrderedDict, defaultdict, namedtuple
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import pyodide_js  # type: ignore[import-not-found]
from pyodide.code import run_js
from pyodide.ffi import JsException, JsProxy, to_js

from elastic_notebook import fingerprint
from elastic_notebook.core import WalkError

if TYPE_CHECKING:
    from elastic_notebook.core import IdSet, ObjectWalkHandle

#: Items up to which `fingerprint.reach` walks a value in Python before calling here: a
#: walk's calls into the module cost about as much as walking that many items in Python.
PYTHON_BUDGET = 1000
#: The module, in the package data (scripts/build-wasm).
_MODULE = Path(__file__).parent.parent / "_wasm" / "heap_walk.wasm"
#: Atom types the module's type block holds (heap-walk/src/walk.rs, `ATOM_SLOTS`).
_ATOM_SLOTS = 8
#: A set's `mask` and `table` (heap-walk/src/layout.rs), to find the removed-item marker.
_SET_MASK = 16
_SET_TABLE = 20

# Instantiates the module over Pyodide's memory, and wraps its exports in the interface
# `HeapObjectWalk` and `HeapIdSet` use: `IdTable` (a table of the module's, freed by
# `free` or, failing that, when the JavaScript object is collected), `walk` and `drain`
# (the addresses handed back, written into a Python array's buffer), and the comparisons.
_HEAP_WALK_JS = """
(M, bytes, typeWords) => {
  // A data segment would be written into Pyodide's memory when instantiated: refused
  // (scripts/build-wasm checks it too, with the stack the module must not have).
  let at = 8;
  const leb = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = bytes[at++];
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const section = bytes[at++];
    if (section === 11) throw new Error("heap walk: the module has a data segment");
    const size = leb();  // (not `at += leb()`: that adds to `at` as it was before)
    at += size;
  }
  const X = new WebAssembly.Instance(new WebAssembly.Module(bytes), {
    env: {
      memory: M.memory,
      alloc: (size) => M._malloc(size),
      free: (address) => M._free(address),
    },
  }).exports;
  const types = X.types_new();
  M.HEAPU32.set(typeWords, types >>> 2);
  const scratch = X.scratch_new();
  const registry = new FinalizationRegistry((block) => X.table_free(block));

  // A table of the module's. Its block is 0 once freed: a freed table is never passed
  // to the module again (it would write where the block was).
  class IdTable {
    constructor() {
      this.block = X.table_new();
      registry.register(this, this.block, this);
    }
    get live() {
      if (this.block === 0) throw new Error("heap walk: an id table used after it was freed");
      return this.block;
    }
    add(id) {
      return X.table_add(this.live, id) !== 0;
    }
    has(id) {
      return X.table_has(this.live, id) !== 0;
    }
    get size() {
      return X.table_size(this.live);
    }
    ids() {
      const first = X.table_slots(this.live) >>> 2;
      const slots = M.HEAPU32.subarray(first, first + X.table_slot_count(this.block));
      return slots.filter((id) => id !== 0);
    }
    free() {
      if (this.block !== 0) {
        registry.unregister(this);
        X.table_free(this.block);
        this.block = 0;
      }
    }
  }

  let handed = 0;
  // Walks from the `count` roots at `roots` (a Python array's buffer) into `seen`;
  // writes the addresses handed back into `out` if they fit; returns how many there are.
  const walk = (seen, roots, count, out, capacity) => {
    handed = X.walk(types, scratch, seen.live, roots, count);
    return drain(out, capacity);
  };
  // The last walk's addresses handed back, into `out` if they fit; how many.
  const drain = (out, capacity) => {
    if (handed <= capacity) {
      const first = X.handed_at(scratch) >>> 2;
      M.HEAPU32.copyWithin(out >>> 2, first, first + handed);
    }
    return handed;
  };
  const disjoint = (a, b) => X.tables_disjoint(a.live, b.live) !== 0;
  const same = (a, b) => X.tables_same(a.live, b.live) !== 0;
  const anyIn = (table, ids) => ids.some((id) => table.has(id));
  return { IdTable, walk, drain, anyIn, disjoint, same };
}
"""


class HeapIdSet:
    """The ids a heap walk counted, kept in the module's table (`IdTable`): `core.IdSet`.

    Building a Python set of 200k ids costs more than the walk that found them. It owns
    the table, in Pyodide's memory, and frees it when it goes.
    """

    __slots__ = ("_ids", "_js", "_size")

    def __init__(self, js: JsProxy, ids: JsProxy) -> None:
        self._js = js
        self._ids = ids
        #: Read once, at the first `len` (each read is a call into the module).
        self._size: int | None = None

    def __del__(self) -> None:
        """Frees the table now (the JavaScript object's finalizer would, later)."""
        _free(self._ids)

    def isdisjoint(self, other: Iterable[int]) -> bool:
        """Whether no id is in both (one call into the module)."""
        if isinstance(other, HeapIdSet):
            return bool(self._js.disjoint(self._ids, other._ids))
        return not self._js.anyIn(self._ids, to_js(list(other)))

    def __contains__(self, key: object) -> bool:
        """Whether `key` is one of the ids."""
        return isinstance(key, int) and 0 < key < 2**32 and bool(self._ids.has(key))

    def __iter__(self) -> Iterator[int]:
        """The ids (copied out of the module's table at once)."""
        return iter(self._ids.ids().to_memoryview().tolist())

    def __len__(self) -> int:
        """How many ids."""
        if self._size is None:
            self._size = int(self._ids.size)
        return self._size

    def __eq__(self, other: object) -> bool:
        """Whether both hold the same ids (`other`: any `core.IdSet`)."""
        if isinstance(other, HeapIdSet):
            return bool(self._js.same(self._ids, other._ids))
        if not isinstance(other, Collection):
            return NotImplemented
        # A small value's reach, walked in Python: a set as large is small too.
        return len(other) == len(self) and set(other) == set(self)


class HeapObjectWalk:
    """One reach walk through the heap: `core.ObjectWalkHandle` for Pyodide.

    Two calls into the module for most values (a new id table, one walk): each costs
    tens of microseconds.
    """

    def __init__(self, js: JsProxy) -> None:
        self._js = js
        self._table: JsProxy | None = None
        #: The objects handed back, held so their ids stay unique while the walk lives.
        self._kept: list[object] = []
        #: Where the walk writes the addresses of what it hands back (grown as needed).
        self._out = array.array("I", bytes(4 * 64))

    @property
    def _seen(self) -> JsProxy:
        """The walk's id table in the module, made at its first use."""
        if self._table is None:
            self._table = self._js.IdTable.new()
        return self._table

    def walk(self, roots: list[object]) -> tuple[list[object], list[object]]:
        """Walks from `roots`; returns the objects it did not enter, as the native walk.

        Container subclasses handed back are entered here (`gc.get_referents`), unless
        large and holding only atoms: those are returned for their attributes.
        """
        others: list[object] = []
        subclassed: list[object] = []
        frontier = roots
        while frontier:
            handed, flat = self._walk_from(frontier)
            self._kept += handed
            containers: list[object] = []
            large, flat_container = fingerprint._LARGE, fingerprint._flat_container
            for item, large_and_flat in zip(handed, flat, strict=True):
                if large_and_flat:  # checked in the walk: only its attributes reach more
                    subclassed.append(item)
                elif not isinstance(item, fingerprint._CONTAINERS):
                    others.append(item)
                elif len(item) < large or not flat_container(item):  # type: ignore[arg-type]
                    containers.append(item)
                else:
                    subclassed.append(item)
            frontier = gc.get_referents(*containers) if containers else []
        return others, subclassed

    def _walk_from(self, frontier: list[object]) -> tuple[list[object], list[int]]:
        """One walk in the module from `frontier`: the objects it hands back.

        With each, 1 if it is a container subclass the walk found large and flat.
        """
        return self._walk_from_addresses(array.array("I", map(id, frontier)))

    def _walk_from_addresses(self, roots: array.array[int]) -> tuple[list[object], list[int]]:
        """`_walk_from` the objects at `roots`; a trap of the module is a `WalkError`."""
        try:
            count = int(
                self._js.walk(
                    self._seen, roots.buffer_info()[0], len(roots), *self._out.buffer_info()
                )
            )
            if count > len(self._out):
                self._out = array.array("I", bytes(4 * count))
                self._js.drain(*self._out.buffer_info())
        except JsException as error:
            raise WalkError(str(error)) from error
        return _objects_at(self._out, count)

    def count(self, value: object) -> bool:
        """Counts `value` without entering it (a numpy view's base)."""
        fresh = bool(self._seen.add(id(value)))
        if fresh:
            self._kept.append(value)
        return fresh

    def objects(self) -> IdSet:
        """The ids of everything counted: the walk's last call (the set owns its table)."""
        self._kept = []
        table, self._table = self._seen, None
        return HeapIdSet(self._js, table)

    def __del__(self) -> None:
        """Frees the table of a walk left before its end (a `WalkError`)."""
        if self._table is not None:
            _free(self._table)


def _free(table: JsProxy) -> None:
    """Frees a table of the module; a failure (at exit) leaves it to its finalizer."""
    with contextlib.suppress(Exception):
        table.free()


def _objects_at(addresses: array.array[int], count: int) -> tuple[list[object], list[int]]:
    """The objects at the first `count` `addresses` (ids of live objects), and their marks.

    A mark is an address's low bit (objects are 4-byte aligned). `_ctypes.PyObj_FromPtr`
    (CPython's builtin module; ``import ctypes`` would cost about 90 ms in Pyodide) turns
    an address into a new reference.
    """
    if count == 0:
        return [], []
    import _ctypes

    marked = addresses[:count]
    marks = [address & 1 for address in marked]
    return list(map(_ctypes.PyObj_FromPtr, map(operator.sub, marked, marks))), marks


@cache
def heap_walk_class() -> Callable[[], ObjectWalkHandle] | None:
    """A factory of heap walks, or None if this CPython's layout is not the one known.

    Checked once per process: the heap walk must count exactly what the Python walk
    counts on every probe value.
    """
    if sys.version_info[:2] != (3, 14) or sys.maxsize != 2**31 - 1:
        return None
    try:
        js = _instantiate()
        factory = _Factory(js)
        mismatch = _first_mismatch(factory)
    except Exception as error:  # any failure means: walk in Python
        mismatch = f"{type(error).__name__}: {error}"
    if mismatch is None:
        _warm_up(factory)
        return factory
    print(
        f"elastic-notebook: the heap walk does not fit this Python ({mismatch}); "
        "values are walked in Python (slower recording)",
        file=sys.stderr,
    )
    return None


def _warm_up(factory: _Factory) -> None:
    """Walks a value of the common container kinds ten times (3-4 ms in Node, once).

    V8 compiles the module with its baseline compiler first and optimizes what runs
    hot in the background; these walks run every path of the walk before a cell's first
    one. It was worth 35 ms in Chromium when the walk was JavaScript; with the module, a
    first walk of 100k order dicts in Node takes 17.6-18 ms after it against 18.7-23
    without (then 9 ms): a first walk's extra is the first touch of its table and of the
    value, not compilation (as slow with V8's optimizing compiler from the start).
    """
    value = [
        {"key": [n, str(n)], "other": (n, [n]), n: {n: {n + 1}}} if n % 2 else [n, (n, str(n))]
        for n in range(1000)
    ]
    for _ in range(10):
        fingerprint._reach_natively(value, factory())


class _Factory:
    """Makes `HeapObjectWalk`s over one instantiated module."""

    def __init__(self, js: JsProxy) -> None:
        self._js = js

    def __call__(self) -> ObjectWalkHandle:
        return HeapObjectWalk(self._js)


def _instantiate() -> JsProxy:
    """The module's walk over Pyodide's memory, given this CPython's type addresses."""
    make = run_js(_HEAP_WALK_JS)
    return make(pyodide_js._module, to_js(_MODULE.read_bytes()), to_js(_type_words()))


def _type_words() -> list[int]:
    """The module's type block (heap-walk/src/walk.rs, `Types`): atoms, containers, more."""
    atoms = [id(kind) for kind in fingerprint.ATOMS]
    if len(atoms) > _ATOM_SLOTS:
        raise ValueError(f"{len(atoms)} atom types, the heap walk holds {_ATOM_SLOTS}")
    atoms += [0] * (_ATOM_SLOTS - len(atoms))  # no object's type is 0
    containers = [id(kind) for kind in (list, tuple, dict, set, frozenset)]
    return [*atoms, *containers, _set_dummy(), fingerprint._LARGE]


def _set_dummy() -> int:
    """The address of the marker CPython leaves in a set's table for a removed item."""
    probe = set(range(10**6, 10**6 + 8))
    live = set(map(id, probe))
    probe.discard(10**6 + 3)
    heap = pyodide_js._module.HEAPU32
    table = heap[(id(probe) + _SET_TABLE) >> 2]
    slots = heap[(id(probe) + _SET_MASK) >> 2] + 1
    keys = {heap[(table >> 2) + 2 * slot] for slot in range(slots)} - live - {0}
    if len(keys) != 1:
        raise ValueError(f"no single removed-item marker in a set's table: {len(keys)}")
    return int(keys.pop())


class _Slotted:
    __slots__ = ("left", "right")

    def __init__(self, left: object, right: object) -> None:
        self.left = left
        self.right = right


class _Listed(list[object]):
    """A list subclass with an attribute: its items and its attributes are walked."""

    def __init__(self, items: Iterable[object]) -> None:
        super().__init__(items)
        self.note = ["attribute"]


class _Plain:
    def __init__(self, **attributes: object) -> None:
        self.__dict__.update(attributes)


def _probes() -> list[object]:
    """Values of every shape the walks must agree on."""
    shared = [1, 2]
    instance = _Plain(a=shared, b={"k": shared})
    split = _Plain(x=[3], y=(4, [5]))
    deleted = {"a": [1], "b": [2], "c": [3]}
    del deleted["b"]
    general = {(1, 2): [1], 3: {4}, frozenset({5}): (6, [7]), _Slotted(1, 2): None}
    removed = {(1, 2), _Slotted(3, [4]), frozenset({(5, 6)}), frozenset({_Slotted(7, 8)})}
    removed.discard((1, 2))
    point = namedtuple("point", "x y")
    generator = (n for n in range(3))
    big = {str(n): [n] for n in range(300)}
    for n in range(0, 300, 3):
        del big[str(n)]
    return [
        [shared, shared, (shared,), "text", 1.5, None, b"bytes", 3j, True],
        (1, 2, "x"),
        ((1, 2), (3, [4]), frozenset({1, 2}), frozenset({_Slotted([1], 2)}), ((1,), (2, (3,)))),
        deleted,
        general,
        big,
        {frozenset({1}), (2, 3), 4, "five"},
        removed,
        instance,
        instance.__dict__,
        split.__dict__,
        [split, split.__dict__],
        Counter("abracadabra"),
        Counter({str(n): n for n in range(300)}),
        Counter({(n, str(n)): n for n in range(300)}),
        Counter({(n, n): n for n in range(299)} | {(1, 2, frozenset({3})): 1}),
        Counter({n: [n] for n in range(300)}),
        _Listed((n, "x") for n in range(300)),
        _Listed([*range(299), [1]]),
        defaultdict(list, {"a": [1], "b": shared}),
        OrderedDict(a=[1], b=shared),
        point([1], {"y": 2}),
        _Slotted([1], _Slotted(shared, None)),
        [generator, iter([1, 2]), open],
        [list, dict, _Plain, type(generator)],
        [[n, str(n)] for n in range(400)],
        list(range(1000)),
        {n: (n, str(n)) for n in range(500)},
    ]


def _first_mismatch(factory: _Factory) -> str | None:
    """The first probe both walks do not count alike, described; None if none."""
    for index, probe in enumerate(_probes()):
        expected = fingerprint._reach_in_python(probe)
        got = fingerprint._reach_natively(probe, factory())
        if set(expected.objects) != set(got.objects) or expected.opaque != got.opaque:
            return f"probe {index} ({type(probe).__name__})"
    return None
