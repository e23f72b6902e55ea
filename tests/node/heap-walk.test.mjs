// Pyodide's heap walk (`elastic_notebook._pyodide.walk`): a wasm module reading CPython's
// containers from Pyodide's memory must count exactly what the Python walk counts, be the
// walk `reach` uses in Pyodide, and step aside when it does not fit.
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { installPythonPackage, loadPyodide } from "./helpers.mjs";

let pyodide;

/** Runs Python code whose last expression is JSON-serializable; returns it parsed. */
function py(code) {
  return JSON.parse(pyodide.runPython(`import json\n${code}\njson.dumps(_)`));
}

before(async () => {
  ({ pyodide } = await loadPyodide());
  installPythonPackage(pyodide);
});

test("reach walks the heap in Pyodide and counts what the Python walk counts, on 400 random values", () => {
  const r = py(`
import random
from collections import Counter, defaultdict, namedtuple
from elastic_notebook import core, fingerprint

random.seed(11)
Pair = namedtuple("Pair", "left right")

class Plain:
    def __init__(self, **attributes):
        self.__dict__.update(attributes)

class Listed(list):
    def __init__(self, items):
        super().__init__(items)
        self.note = [len(items)]

class Slotted:
    __slots__ = ("a", "b")
    def __init__(self, a, b):
        self.a, self.b = a, b

def atom():
    return random.choice([1, -5, 2**70, 1.5, "s", "t" * 40, b"b", None, True, 2j])

def value(depth, pool):
    """A random value; reuses objects from \`pool\` (aliases) and adds its own to it."""
    if depth == 0 or random.random() < 0.2:
        return random.choice(pool) if pool and random.random() < 0.3 else atom()
    kind = random.randrange(16)
    items = [value(depth - 1, pool) for _ in range(random.randrange(6))]
    if kind == 0:
        made = items
    elif kind == 1:
        made = tuple(items)
    elif kind == 2:
        made = {f"k{n}": item for n, item in enumerate(items)}
    elif kind == 3:  # a table of general keys, with deleted entries
        made = {(n, "x"): item for n, item in enumerate(items)}
        made[Slotted(1, 2)] = [0]
        for key in list(made)[::2]:
            del made[key]
    elif kind == 4:
        made = set(map(repr, items)) | {(1, 2), frozenset({3})}
        made.discard((1, 2))
    elif kind == 5:
        made = frozenset({(1, 2), Slotted(0, 0)} if random.random() < 0.5 else {1, "a"})
    elif kind == 6:
        made = Plain(**{f"a{n}": item for n, item in enumerate(items)})
    elif kind == 7:
        made = Slotted(items, random.choice(items) if items else None)
    elif kind == 8:
        made = Counter(map(repr, items * 100))
    elif kind == 9:
        made = defaultdict(list, {"d": items})
    elif kind == 10:
        made = Pair(items, tuple(items))
    elif kind == 11:  # large, flat: checked for atoms, not entered
        made = list(range(300)) + [(1, "a")] * 10
    elif kind == 12:
        made = (n for n in range(3))  # opaque
    elif kind == 13:  # a large container subclass: flat (tuples of atoms) or not
        made = Counter({(n, "x"): n for n in range(300)})
        if random.random() < 0.5:
            made[(0, frozenset({1}))] = 1 if random.random() < 0.5 else 2
            made[("y", (1,))] = 3
    elif kind == 14:
        made = Listed([(n, str(n)) for n in range(260)] + items)
    else:
        made = [list, Plain, items]  # classes are skipped
    pool.append(made)
    return made

mismatches = []
for index in range(400):
    pool = []
    probe = value(4, pool)
    expected = fingerprint._reach_in_python(probe)
    got = fingerprint._reach_natively(probe, core.new_object_walk())
    if set(got.objects) != set(expected.objects) or got.opaque != expected.opaque:
        mismatches.append(index)
big = [[n] for n in range(2000)]
# More objects handed back to Python in one walk than its first buffer holds.
instances = [Plain(a=[n], b=Slotted(n, [n])) for n in range(300)]
handed = fingerprint._reach_natively(instances, core.new_object_walk())
_ = {
    "many handed": set(handed.objects) == set(fingerprint._reach_in_python(instances).objects),
    "walk": type(core.new_object_walk()).__name__,
    "mismatches": mismatches,
    # reach() walks small values in Python (a call into JavaScript costs more), large
    # ones in the heap.
    "small": type(fingerprint.reach([[1], {"a": [2]}]).objects).__name__,
    "large": type(fingerprint.reach(big).objects).__name__,
    "large ids": set(fingerprint.reach(big).objects) == set(fingerprint._reach_in_python(big).objects),
}
`);
  assert.equal(r.walk, "HeapObjectWalk");
  assert.deepEqual(r.mismatches, []);
  assert.equal(r.small, "dict_keys");
  assert.equal(r.large, "HeapIdSet");
  assert.equal(r["large ids"], true);
  assert.equal(r["many handed"], true);
});

test("the heap walk's id sets answer the recorder's questions, against each other and Python's", () => {
  const r = py(`
from elastic_notebook import core, fingerprint
heap = lambda value: fingerprint._reach_natively(value, core.new_object_walk()).objects
python = lambda value: fingerprint._reach_in_python(value).objects
shared = [1]
a, b, c = [shared, {"x": [2]}], {"s": shared}, [[3]]
ra, rb, rc = heap(a), heap(b), heap(c)
walk = core.new_object_walk()
table = walk._seen
_ = {
    "kind": type(ra).__name__,
    "ab": fingerprint.disjoint(ra, rb), "ac": fingerprint.disjoint(ra, rc),
    "ab python": [fingerprint.disjoint(ra, python(b)), fingerprint.disjoint(python(b), ra)],
    "ac python": [fingerprint.disjoint(rc, python(a)), fingerprint.disjoint(python(a), rc)],
    "ints": ra.isdisjoint([id(shared)]),
    "equal": [ra == heap(a), ra == python(a), python(a) == ra, ra != python(a)],
    "unequal": [ra == rb, ra == python(c), python(c) == ra, ra != python(c)],
    "in": id(shared) in ra, "not in": id(c) in ra, "len": len(ra),
    "ids": sorted(ra) == sorted({id(a), id(shared), id(a[1]), id(a[1]["x"])}),
    # Addresses past 2 GiB (a heap that grew that far) are found again, not added twice.
    "high": [table.add(high) for high in (2**31 + 8, 2**32 - 8, 2**31 + 8)] + [table.has(2**32 - 8)],
}
del walk  # frees its table: no call may reach the module with it any more
try:
    table.add(8)
    _["freed"] = "used"
except Exception as error:
    _["freed"] = str(error)
`);
  assert.deepEqual(r, {
    kind: "HeapIdSet", ab: false, ac: true, "ab python": [false, false], "ac python": [true, true],
    ints: false, equal: [true, true, true, false], unequal: [false, false, false, true],
    in: true, "not in": false, len: 4, ids: true, high: [true, true, false, true],
    freed: "Error: heap walk: an id table used after it was freed",
  });
});

test("an instance's __dict__ held in a variable shares the instance's objects, in both walks", () => {
  // Since CPython 3.13 gc.get_referents lists none of such a dict's values (they live in
  // the instance): the Python walk takes them from the dict, the heap walk reads them.
  const r = py(`
from elastic_notebook import core, fingerprint
class Args: pass
args = Args()
args.items = [1]
cfg = vars(args)
groups = fingerprint.covariable_groups(
    {name: fingerprint.fingerprint(value) for name, value in {"args": args, "cfg": cfg}.items()}
)
_ = {
    "groups": groups,
    "python": id(args.items) in fingerprint._reach_in_python(cfg).objects,
    "heap": id(args.items) in fingerprint._reach_natively(cfg, core.new_object_walk()).objects,
}
`);
  assert.deepEqual(r, { groups: [["args", "cfg"]], python: true, heap: true });
});

test("a heap walk that does not fit is not used, and a walk that traps falls back", () => {
  const r = py(`
import array, contextlib, io
from elastic_notebook import core, fingerprint
from elastic_notebook._pyodide import walk as _pyodide_walk

value = [{"k": [1]}, {"j": ([2], 3)}] * 1000  # large: reach() takes the heap walk
expected = set(fingerprint._reach_in_python(value).objects)
right = _pyodide_walk._type_words
try:
    # str is no atom to the module: it hands strings back, the check against the Python
    # walk (which skips them) fails.
    _pyodide_walk._type_words = lambda: [w for w in right() if w != id(str)] + [0]
    _pyodide_walk.heap_walk_class.cache_clear()
    warning = io.StringIO()
    with contextlib.redirect_stderr(warning):
        unfit = _pyodide_walk.heap_walk_class()
finally:
    _pyodide_walk._type_words = right
    _pyodide_walk.heap_walk_class.cache_clear()
factory = _pyodide_walk.heap_walk_class()
# A list whose length is past the end of the heap, in a buffer of Python's memory.
fake = array.array("I", [1, id(list), 2**31, 0])
roots = array.array("I", [fake.buffer_info()[0]])

class Poisoned(_pyodide_walk.HeapObjectWalk):
    """A walk whose every step meets the fake list."""
    def _walk_from(self, frontier):
        return self._walk_from_addresses(roots)

try:
    fingerprint._reach_natively(value, Poisoned(factory._js))
    raised = None
except core.WalkError as error:
    raised = str(error)
original = fingerprint.new_object_walk
fingerprint.new_object_walk = lambda: Poisoned(factory._js)
try:
    fallback = set(fingerprint.reach(value).objects)
finally:
    fingerprint.new_object_walk = original
# The module's walks go on after a trap.
after = set(fingerprint._reach_natively(value, factory()).objects)
_ = {
    "unfit": unfit is None, "warning": warning.getvalue(), "raised": raised,
    "fallback": fallback == expected, "after": after == expected,
}
`);
  assert.equal(r.unfit, true);
  assert.match(r.warning, /the heap walk does not fit this Python \(.+\); values are walked in Python/);
  assert.match(r.raised, /RuntimeError|unreachable/);
  assert.equal(r.fallback, true);
  assert.equal(r.after, true);
});

test("a module with a data segment is refused before it can write into Pyodide's memory", () => {
  // A module importing the memory, with one data segment (one byte at address 0): its
  // instantiation would write Pyodide's memory.
  const r = py(`
import contextlib, io, pathlib
from elastic_notebook._pyodide import walk as _pyodide_walk
from pyodide_js import _module as M
module = bytes.fromhex(
    "0061736d01000000"
    "020f0103656e76066d656d6f7279020000"
    "0b07010041000b012a"
)
path = pathlib.Path("/tmp/data_segment.wasm")
path.write_bytes(module)
before = M.HEAPU8[0]
right = _pyodide_walk._MODULE
try:
    _pyodide_walk._MODULE = path
    _pyodide_walk.heap_walk_class.cache_clear()
    warning = io.StringIO()
    with contextlib.redirect_stderr(warning):
        refused = _pyodide_walk.heap_walk_class()
finally:
    _pyodide_walk._MODULE = right
    _pyodide_walk.heap_walk_class.cache_clear()
_ = {"refused": refused is None, "warning": warning.getvalue(), "untouched": M.HEAPU8[0] == before}
`);
  assert.equal(r.refused, true);
  assert.match(r.warning, /the module has a data segment/);
  assert.equal(r.untouched, true);
});

test("the heap walk frees its tables in Pyodide's memory", () => {
  const r = py(`
import gc
from elastic_notebook import core, fingerprint
from pyodide_js import _module as M
value = [[n] for n in range(3000)]
def walked():
    return fingerprint._reach_natively(value, core.new_object_walk()).objects
for _ in range(5):
    walked()
gc.collect()
def used():
    return M.HEAPU32.length * 4 - 0  # the memory's size bounds malloc's heap
before = used()
sizes = [len(walked()) for _ in range(2000)]
_ = {"sizes": sorted(set(sizes)), "grew": used() - before}
`);
  assert.deepEqual(r.sizes, [3001]);
  // 2,000 tables of 16 KB each, never freed, would take 32 MB.
  assert.ok(r.grew < 8 << 20, `the memory grew by ${r.grew} bytes`);
});
