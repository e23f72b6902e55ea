"""Pyodide's native reach walk: builtin containers read straight from the wasm heap.

Imported only inside Pyodide (``sys.platform == "emscripten"``), by ``core``. On the
desktop the native module's ``ObjectWalk`` walks a value's builtin containers; Pyodide
has no native module of ours (an extension would need Pyodide's own Emscripten), and the
Python walk of 100k dicts takes a quarter of a second there. But Pyodide's CPython lives
in one ``WebAssembly.Memory`` that JavaScript can read: the heap walk (`_HEAP_WALK_JS`,
driven by `HeapObjectWalk`) reads exact lists, tuples, dicts, sets and frozensets from
their C structs in that memory (CPython 3.14, 32-bit pointers) and hands every other
object back to Python, which decides what it reaches as the Python walk does. It only
reads objects: no reference count is touched, and the only memory of Python's it writes
is the buffer of an ``array`` that receives the addresses it hands back.

The structs are CPython's private layout, so nothing here is trusted until checked:
`heap_walk_class` runs the heap walk and the Python walk on a set of probe values
(`_probes`: every container kind and dict table kind, deleted entries, subclasses,
instances, shared and opaque objects) and uses the heap walk only if both count exactly
the same objects; otherwise (another CPython, another layout) every reach is walked in
Python, with one warning. A walk that meets an address or a length outside the heap
raises, and the reach is walked in Python instead.

Invariant: no Python code runs during one JavaScript call, so nothing it reads can change
or be freed under it. Between calls (Python looks into the objects handed back), only the
walk's own code runs; the objects handed back are held until the walk ends, and the
containers it read are held by the value being walked.
"""

from __future__ import annotations

import array
import gc
import operator
import sys
from collections import Counter, OrderedDict, defaultdict, namedtuple
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import cache
from typing import TYPE_CHECKING

import pyodide_js  # type: ignore[import-not-found]
from pyodide.code import run_js
from pyodide.ffi import JsException, JsProxy, to_js

from elastic_notebook import fingerprint
from elastic_notebook.core import WalkError
from js import Object  # type: ignore[attr-defined]

if TYPE_CHECKING:
    from elastic_notebook.core import IdSet, ObjectWalkHandle

#: Items up to which `fingerprint.reach` walks a value in Python before calling here: a
#: walk's calls into JavaScript cost about as much as walking that many items in Python.
PYTHON_BUDGET = 1000

# CPython 3.14's structs on wasm32 (4-byte pointers and Py_ssize_t), as byte offsets.
# Checked against the Python walk before use (`heap_walk_class`).
_LAYOUT = {
    # PyObject: ob_refcnt, ob_type. PyVarObject adds ob_size.
    "type": 4,
    "size": 8,
    # PyListObject: ob_item (a pointer to the items).
    "listItems": 12,
    # PyTupleObject: ob_hash (3.14), then the items inline.
    "tupleItems": 16,
    # PySetObject: fill, used, mask, table (entries of key and hash).
    "setMask": 16,
    "setTable": 20,
    # PyDictObject: ma_used, _ma_watcher_tag (8-byte aligned), ma_keys, ma_values.
    "dictKeys": 24,
    "dictValues": 28,
    # PyDictKeysObject: dk_refcnt, dk_log2_size, dk_log2_index_bytes, dk_kind,
    # dk_version, dk_usable, dk_nentries, dk_indices (then the entries).
    "keysLog2IndexBytes": 5,
    "keysKind": 6,
    "keysEntries": 16,
    "keysIndices": 20,
    # PyDictValues: capacity, size, embedded, valid (one byte each), then the values.
    "valuesItems": 4,
    # PyTypeObject: tp_flags.
    "typeFlags": 84,
}

# The walk itself. `walk` reads the addresses of its roots from one Python array and
# writes those of the objects it counted but did not enter (Python looks into those) to
# another; its `IdTable` holds the addresses of everything counted. Rules as
# `fingerprint._reach_in_python`: atoms are skipped; exact lists, dicts and sets are
# counted and entered; exact tuples and frozensets only if they hold something other than
# atoms; classes are skipped; anything else is counted and handed back, a large container
# subclass holding only atoms and tuples of atoms marked as such.
_HEAP_WALK_JS = """
(M, layout, atomTypes, containerTypes, LARGE) => {
  const L = layout;
  // Word offsets of the fields read on every object (hoisted: a property load each).
  const TYPE_WORD = L.type >>> 2;
  const SIZE_WORD = L.size >>> 2;
  const LIST_ITEMS_WORD = L.listItems >>> 2;
  const [A0, A1, A2, A3, A4, A5, A6] = Array.from(atomTypes);
  const [LIST, TUPLE, DICT, SET, FROZENSET, DUMMY] = Array.from(containerTypes);
  // Py_TPFLAGS_*: what a type object's flags say of its instances.
  const TYPE_SUBCLASS = 1 << 31;
  const DICT_SUBCLASS = 1 << 29;
  const TUPLE_SUBCLASS = 1 << 26;
  const LIST_SUBCLASS = 1 << 25;
  const GENERAL = 0;  // DICT_KEYS_GENERAL: entries of hash, key, value
  const isAtom = (t) =>
    t === A0 || t === A1 || t === A2 || t === A3 || t === A4 || t === A5 || t === A6;

  // A set of object addresses: open addressing over a Uint32Array (addresses are 32-bit,
  // 4-byte aligned and never 0; unsigned, so those past 2 GiB compare equal to what
  // HEAPU32 reads). Several times faster than a `Set` of numbers. A slot is the top bits
  // of the product of the address and 2^32 / phi (`shift` = 32 - log2 of the slots): its
  // low bits, taken before, repeat the address's own low bits, which allocators align,
  // so objects crowded into a fraction of the slots.
  class IdTable {
    constructor() {
      this.slots = new Uint32Array(256);
      this.shift = 24;  // 256 slots
      this.size = 0;
      // What the last walk into this table left for Python to look into (`drain`).
      this.handed = [];
    }

    slot(id) {
      const mask = this.slots.length - 1;
      let i = Math.imul(id, 0x9e3779b1) >>> this.shift;
      while (this.slots[i] !== 0 && this.slots[i] !== id) i = (i + 1) & mask;
      return i;
    }

    has(id) {
      return this.slots[this.slot(id)] === id;
    }

    add(id) {
      const i = this.slot(id);
      if (this.slots[i] === id) return false;
      this.slots[i] = id;
      if (++this.size * 2 > this.slots.length) this.grow();
      return true;
    }

    grow() {
      const old = this.slots;
      this.slots = new Uint32Array(old.length * 4);
      this.shift -= 2;
      for (const id of old) if (id !== 0) this.slots[this.slot(id)] = id;
    }

    ids() {
      return Uint32Array.from(this.slots.filter((id) => id !== 0));
    }
  }

  // The walk's state, set at the start of each `walk` (never re-entered: no Python code
  // runs during one). The helpers below are made once, so the JIT can inline them: made
  // anew by each walk, as they were, every call site met another closure and none was
  // inlined (the walk of 100k dicts took twice as long).
  let H = M.HEAPU32;
  let B = M.HEAPU8;
  let words = H.length;
  let handed = [];
  let stack = [];
  const word = (address) => {
    if (address === 0 || address % 4 !== 0 || address >>> 2 >= words) {
      throw new Error(`heap walk: address ${address} is outside the heap`);
    }
    return address >>> 2;
  };
  const typeOf = (address) => H[word(address) + TYPE_WORD];
  const length = (address, limit) => {
    const n = H[word(address) + SIZE_WORD];
    if (n > limit) throw new Error(`heap walk: length ${n} at ${address}`);
    return n;
  };
  const tableSlots = (address) => {
    const slots = H[word(address) + (L.setMask >>> 2)] + 1;
    if (slots > words) throw new Error(`heap walk: ${slots} slots at ${address}`);
    return slots;
  };
  const push = (address) => {
    if (!isAtom(typeOf(address))) stack.push(address);
  };
  // Where a dict's entries are (set by `dictTable`; plain variables, not an object per
  // dict): the word of the first key (of the first value in a split table), how many,
  // words apart, whether there are keys (a split table's keys are shared strings,
  // atoms), and whether they may be anything (a table of the general kind; the other
  // kind holds exact strings only, atoms).
  let tableFirst = 0;
  let tableCount = 0;
  let tableStride = 0;
  let tableKeys = false;
  let tableGeneral = false;
  const dictTable = (address) => {
    const keys = H[word(address) + (L.dictKeys >>> 2)];
    const values = H[word(address) + (L.dictValues >>> 2)];
    const entries = H[word(keys) + (L.keysEntries >>> 2)];
    if (entries > words) throw new Error(`heap walk: ${entries} entries at ${address}`);
    if (values !== 0) {
      // A split table: the values are the dict's own; `capacity` bounds them.
      tableFirst = word(values + L.valuesItems);
      tableCount = Math.min(entries, B[values]);
      tableStride = 1;
      tableKeys = false;
      tableGeneral = false;
    } else {
      const general = B[keys + L.keysKind] === GENERAL;
      const first = keys + L.keysIndices + (1 << B[keys + L.keysLog2IndexBytes]);
      tableFirst = word(first) + (general ? 1 : 0);
      tableCount = entries;
      tableStride = general ? 3 : 2;
      tableKeys = true;
      tableGeneral = general;
    }
  };
  // An atom, or an exact tuple or frozenset of atoms: it can reach nothing.
  const flatItem = (address) => {
    const type = typeOf(address);
    if (isAtom(type)) return true;
    if (type === TUPLE) {
      return allAtoms(word(address) + (L.tupleItems >>> 2), length(address, words), 1);
    }
    if (type === FROZENSET) {
      return allAtoms(word(H[word(address) + (L.setTable >>> 2)]), tableSlots(address), 2);
    }
    return false;
  };
  // Whether a subclass of list, tuple or dict (a `Counter`) has `LARGE` items or more,
  // all flat: then Python walks only its attributes (`fingerprint._flat_container`).
  const largeAndFlat = (address, flags) => {
    if ((flags & (LIST_SUBCLASS | TUPLE_SUBCLASS)) !== 0) {
      const n = length(address, words);
      if (n < LARGE) return false;
      const first = (flags & LIST_SUBCLASS) !== 0
        ? word(H[word(address) + (L.listItems >>> 2)])
        : word(address) + (L.tupleItems >>> 2);
      for (let i = 0; i < n; i++) if (!flatItem(H[first + i])) return false;
      return true;
    }
    // A dict's `ma_used` is where a sized object's `ob_size` is.
    if ((flags & DICT_SUBCLASS) === 0 || H[word(address) + (L.size >>> 2)] < LARGE) {
      return false;
    }
    dictTable(address);
    for (let i = 0; i < tableCount; i++) {
      const entry = tableFirst + i * tableStride;
      const value = H[entry + (tableKeys ? 1 : 0)];
      if (value === 0) continue;  // a deleted entry
      if (!flatItem(value) || (tableKeys && !flatItem(H[entry]))) return false;
    }
    return true;
  };
  const allAtoms = (first, count, stride) => {
    for (let i = 0; i < count; i++) {
      const item = H[first + i * stride];
      if (item !== 0 && item !== DUMMY && !isAtom(typeOf(item))) return false;
    }
    return true;
  };
  const pushAll = (first, count, stride) => {
    for (let i = 0; i < count; i++) {
      const item = H[first + i * stride];
      if (item !== 0 && item !== DUMMY) push(item);
    }
  };
  // Walks from the `count` roots whose addresses are at `roots` (a Python array's
  // buffer), counting into `seen` (an IdTable); the objects to hand back to Python are
  // left in `seen.handed`, and written to `out` (another array's buffer, `capacity`
  // addresses) if they fit. Returns how many there are. Each call into JavaScript costs
  // as much as a small walk, so all of it is one call.
  const walk = (seen, roots, count, out, capacity) => {
    // Fetched per call: the heap's buffer changes when the memory grows, which only
    // Python's allocations do, never this loop.
    H = M.HEAPU32;
    B = M.HEAPU8;
    words = H.length;
    handed = [];
    stack = [];
    for (let i = 0; i < count; i++) push(H[word(roots) + i]);
    while (stack.length > 0) {
      const address = stack.pop();
      const type = typeOf(address);
      if (type === LIST) {
        if (!seen.add(address)) continue;
        const n = length(address, words);
        if (n > 0) pushAll(word(H[word(address) + LIST_ITEMS_WORD]), n, 1);
      } else if (type === DICT) {
        if (!seen.add(address)) continue;
        dictTable(address);
        if (!tableKeys) {
          pushAll(tableFirst, tableCount, 1);
        } else if (!tableGeneral) {
          pushAll(tableFirst + 1, tableCount, 2);  // the values; the keys are strings
        } else {
          for (let i = 0; i < tableCount; i++) {
            const key = tableFirst + i * tableStride;
            const value = H[key + 1];
            if (value === 0) continue;  // a deleted entry
            push(H[key]);
            push(value);
          }
        }
      } else if (type === SET) {
        if (!seen.add(address)) continue;
        const slots = tableSlots(address);
        pushAll(word(H[word(address) + (L.setTable >>> 2)]), slots, 2);
      } else if (type === TUPLE) {
        const n = length(address, words);
        const first = word(address) + (L.tupleItems >>> 2);
        if (!allAtoms(first, n, 1)) {
          if (!seen.add(address)) continue;
          pushAll(first, n, 1);
        }
      } else if (type === FROZENSET) {
        const slots = tableSlots(address);
        const first = word(H[word(address) + (L.setTable >>> 2)]);
        if (!allAtoms(first, slots, 2)) {
          if (!seen.add(address)) continue;
          pushAll(first, slots, 2);
        }
      } else {
        const flags = H[word(type) + (L.typeFlags >>> 2)];
        if ((flags & TYPE_SUBCLASS) !== 0) continue;  // a class: code, not data
        // Counted, and Python looks into it; a large flat container subclass is marked
        // by its address's low bit (addresses are 4-byte aligned).
        if (!seen.add(address)) continue;
        handed.push(largeAndFlat(address, flags) ? address + 1 : address);
      }
    }
    seen.handed = handed;
    return drain(seen, out, capacity);
  };

  // Writes the objects a walk left to hand back into `out` if they fit; returns how many.
  const drain = (seen, out, capacity) => {
    const handed = seen.handed;
    if (handed.length <= capacity) {
      M.HEAPU32.set(handed, out >>> 2);
      seen.handed = [];
    }
    return handed.length;
  };

  const disjoint = (a, b) => {
    if (a.size > b.size) [a, b] = [b, a];
    for (const id of a.slots) if (id !== 0 && b.has(id)) return false;
    return true;
  };
  const anyIn = (table, ids) => ids.some((id) => table.has(id));
  const same = (a, b) => {
    if (a.size !== b.size) return false;
    for (const id of a.slots) if (id !== 0 && !b.has(id)) return false;
    return true;
  };
  return { IdTable, walk, drain, anyIn, disjoint, same };
}
"""


class HeapIdSet:
    """The ids a heap walk counted, kept in JavaScript (its `IdTable`): `core.IdSet`.

    Building a Python set of 200k ids costs more than the walk that found them.
    """

    __slots__ = ("_ids", "_js", "_size")

    def __init__(self, js: JsProxy, ids: JsProxy) -> None:
        self._js = js
        self._ids = ids
        #: Read once, at the first `len` (each read is a call into JavaScript).
        self._size: int | None = None

    def isdisjoint(self, other: Iterable[int]) -> bool:
        """Whether no id is in both (one call into JavaScript)."""
        if isinstance(other, HeapIdSet):
            return bool(self._js.disjoint(self._ids, other._ids))
        return not self._js.anyIn(self._ids, to_js(list(other)))

    def __contains__(self, key: object) -> bool:
        """Whether `key` is one of the ids."""
        return isinstance(key, int) and 0 < key < 2**32 and bool(self._ids.has(key))

    def __iter__(self) -> Iterator[int]:
        """The ids (copied out of JavaScript at once)."""
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

    Two calls into JavaScript for most values (a new id table, one walk): each costs
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
        """The walk's id table in JavaScript, made at its first use."""
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
        """One walk in JavaScript from `frontier`: the objects it hands back.

        With each, 1 if it is a container subclass the walk found large and flat.
        """
        roots = array.array("I", map(id, frontier))
        try:
            count = int(
                self._js.walk(
                    self._seen, roots.buffer_info()[0], len(roots), *self._out.buffer_info()
                )
            )
            if count > len(self._out):
                self._out = array.array("I", bytes(4 * count))
                self._js.drain(self._seen, *self._out.buffer_info())
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
        """The ids of everything counted: the walk's last call."""
        self._kept = []
        return HeapIdSet(self._js, self._seen)


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
    """Walks a value of the common container kinds ten times, so the JIT compiles the walk.

    A session walks a few values, each of up to millions of objects; the JIT compiles
    the walk with its helpers inlined only after enough calls, in the background. In
    Chromium (bench/browser.mjs, python_loops) the first walk of 100k order dicts took
    66 ms after two warm-up walks and 31 ms after ten, which take 11-26 ms in Node,
    once, when the recorder starts.
    """
    value = [
        {"key": [n, str(n)], "other": (n, [n]), n: {n: {n + 1}}} if n % 2 else [n, (n, str(n))]
        for n in range(1000)
    ]
    for _ in range(10):
        fingerprint._reach_natively(value, factory())


class _Factory:
    """Makes `HeapObjectWalk`s over one instantiated JavaScript walker."""

    def __init__(self, js: JsProxy) -> None:
        self._js = js

    def __call__(self) -> ObjectWalkHandle:
        return HeapObjectWalk(self._js)


def _instantiate() -> JsProxy:
    """The JavaScript walk, given this CPython's type addresses and the layout."""
    atoms = fingerprint.ATOMS
    containers = [list, tuple, dict, set, frozenset]
    make = run_js(_HEAP_WALK_JS)
    return make(
        pyodide_js._module,
        to_js(_LAYOUT, dict_converter=Object.fromEntries),
        to_js([id(kind) for kind in atoms]),
        to_js([*map(id, containers), _set_dummy()]),
        fingerprint._LARGE,
    )


def _set_dummy() -> int:
    """The address of the marker CPython leaves in a set's table for a removed item."""
    probe = set(range(10**6, 10**6 + 8))
    live = set(map(id, probe))
    probe.discard(10**6 + 3)
    heap = pyodide_js._module.HEAPU32
    table = heap[(id(probe) + _LAYOUT["setTable"]) >> 2]
    slots = heap[(id(probe) + _LAYOUT["setMask"]) >> 2] + 1
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
