"""Fingerprints of live values: in-place changes and shared objects (co-variables).

A fingerprint has two parts, computed separately because they cost very differently:

- **reach** (`reach`): the ids of the mutable objects a value reaches (containers,
  instances, numpy bases), which tell which variables share objects, and which of them
  are opaque (generators, files, locks: no visible state). A walk that treats tuples
  and frozensets of atoms as atoms: on CPython the core's native `ObjectWalk` walks the
  builtin containers, in Pyodide the heap walk of `_pyodide.walk` (a wasm module reading
  CPython's structs in Pyodide's memory); a breadth-first walk in Python, listing
  containers' items in C (`gc.get_referents`), is the fallback and the reference. The
  recorder takes it for a value a cell reads or may change.
- **digest** (`digest`): a blake3 (the core's ``Hasher``: native on CPython, wasm in
  Pyodide) of the value's structure and contents. Two digests of the same value differ
  exactly when something reachable changed in place, including through an alias. It is
  the pickle stream of the value (protocol 5, C speed, shared objects as back-references)
  with its out-of-band buffers (numpy, pandas, ``bytearray``) hashed in place; values
  that do not pickle (a generator inside, a lambda) fall back to a token walk. It costs
  a pass over the data, so the recorder takes it only for what a cell may change.

Atoms (numbers, strings, bytes, ``None``) never count as shared: two names holding
``5`` or the same interned string are not co-variables. Functions, classes, modules and
opaque objects count by identity and are not entered.
"""

from __future__ import annotations

import array
import collections
import functools
import gc
import math
import operator
import pickle
import sys
import types
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain, compress, filterfalse
from operator import not_
from typing import Any, Protocol, cast

from elastic_notebook.core import (
    Hasher,
    IdSet,
    ObjectWalkHandle,
    WalkError,
    new_hasher,
    new_object_walk,
    python_walk_budget,
)

ATOMS: tuple[type, ...] = (int, float, complex, bool, str, bytes, type(None))
#: Exactly these types (not subclasses): a container holding only them is flat.
_ATOM_TYPES = frozenset(ATOMS)
#: Bytes hashed per copy into the core: bounds the memory a large buffer costs.
PIECE = 1 << 24


@dataclass(frozen=True, slots=True)
class Reach:
    """The objects one variable's value reaches."""

    #: ids of the mutable objects it reaches (numpy views count as their base's).
    objects: IdSet
    #: ids of the opaque objects among them (generators, locks, files, C objects): their
    #: state cannot be seen, so a cell that reads one is taken to change it.
    opaque: frozenset[int] = frozenset()


#: The reach of an atom.
_NOTHING = Reach(frozenset())


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The fingerprint of one variable's value: its digest and its reach."""

    #: blake3 of the value's structure and contents.
    digest: bytes
    #: ids of the mutable objects it reaches (numpy views count as their base's).
    objects: IdSet
    #: ids of the opaque objects among them.
    opaque: frozenset[int] = frozenset()


class HasObjects(Protocol):
    """Anything that knows the objects a value reaches (`Reach`, `Fingerprint`)."""

    @property
    def objects(self) -> IdSet:
        """The ids of the mutable objects reached."""
        ...


def _flat(value: Iterable[object]) -> bool:
    """Whether a container holds only atoms (one C-level pass over its items)."""
    return _ATOM_TYPES.issuperset(map(type, value))


class _Walker:
    """The digest walk of a value that does not pickle.

    A token stream of its structure and contents goes into `hasher`; each object is
    entered once, later visits are back-references.
    """

    def __init__(self, hasher: Hasher) -> None:
        self.hasher = hasher
        self.seen: dict[int, int] = {}
        # Keeps visited objects alive so their ids stay unique during the walk.
        self.keep: list[object] = []

    def token(self, *parts: object) -> None:
        self.hasher.update(repr(parts).encode())

    def buffer(self, view: memoryview) -> None:
        flat = view.cast("B") if view.contiguous else memoryview(view.tobytes())
        self.token("buf", flat.nbytes)
        _hash_pieces(self.hasher, flat)

    def flat_items(self, value: object, name: str, length: int) -> None:
        """Hashes a container holding only atoms in one piece (its pickle)."""
        self.token(name, length)
        self.hasher.update(pickle.dumps(value, protocol=5))

    def walk(self, root: object) -> None:
        stack: list[object] = [root]
        while stack:
            value = stack.pop()
            if isinstance(value, ATOMS):
                self.token(type(value).__name__, value)
                continue
            key = id(value)
            if key in self.seen:
                self.token("ref", self.seen[key])
                continue
            self.seen[key] = len(self.seen)
            self.keep.append(value)
            children = self.enter(value)
            stack.extend(reversed(list(children)))

    def enter(self, value: object) -> Iterable[object]:
        """Hashes `value`'s own tokens; returns the children to walk, in order."""
        kind = type(value)
        name = f"{kind.__module__}.{kind.__qualname__}"
        if isinstance(value, list | tuple):
            if _flat(value):
                self.flat_items(value, name, len(value))
                return ()
            self.token(name, len(value))
            return value
        if isinstance(value, dict):
            if _flat(value.keys()) and _flat(value.values()):
                self.flat_items(value, name, len(value))
                return ()
            self.token(name, len(value))
            return [item for pair in value.items() for item in pair]
        if isinstance(value, set | frozenset):
            if _flat(value):
                self.flat_items(sorted(value, key=repr), name, len(value))
                return ()
            self.token(name, len(value))
            return sorted(value, key=repr)
        if isinstance(value, bytearray | memoryview):
            self.token(name)
            try:
                view = memoryview(value)
            except ValueError:  # a released memoryview: no bytes, and none to come
                self.token("released")
                return ()
            self.buffer(view)
            return ()
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(value, numpy.ndarray):
            return self.ndarray(value, name)
        pandas = sys.modules.get("pandas")
        if pandas is not None and isinstance(value, pandas.DataFrame | pandas.Series):
            return self.pandas_object(value, name, pandas)
        held = _callable_data(value)
        if held:  # a method bound to data, a partial, a closure: what it holds is hashed
            self.token(name, "callable", len(held))
            return held
        if held is not None or _is_module(value):
            # Code and modules are hashed by identity: rebinding is a write, and their
            # contents are not the notebook's data.
            self.token(name, "id", id(value))
            return ()
        attributes = _attributes(value)
        if attributes is None:
            self.token(name, "opaque", id(value))
            return ()
        self.token(name, "attrs", len(attributes))
        return [item for pair in attributes.items() for item in pair]

    # numpy and pandas are optional (absent in offline Pyodide) and never imported by the
    # package, so their values are typed dynamically here.
    def ndarray(self, array: Any, name: str) -> Iterable[object]:  # noqa: ANN401
        self.token(name, str(array.dtype), array.shape)
        if array.dtype.hasobject:
            return list(array.ravel(order="K"))
        self.buffer(memoryview(array if array.flags.c_contiguous else array.copy(order="C")))
        return ()

    def pandas_object(self, value: Any, name: str, pandas: Any) -> Iterable[object]:  # noqa: ANN401
        columns = list(value.columns) if isinstance(value, pandas.DataFrame) else [value.name]
        self.token(name, value.shape, repr(columns), repr(list(map(str, _dtypes(value)))))
        hashes = pandas.util.hash_pandas_object(value, index=True)
        self.buffer(memoryview(hashes.to_numpy()))
        return ()


def _dtypes(value: Any) -> list[object]:  # noqa: ANN401
    dtypes = value.dtypes
    return list(dtypes) if hasattr(dtypes, "__iter__") else [dtypes]


_CODE_OR_MODULE = (
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
)


#: Bound methods: of an instance (`model.fit`) or of a builtin object (`bag.append`).
_BOUND_METHODS = (types.MethodType, types.BuiltinMethodType)


#: Builtin containers whose bound methods change them (``add = bag.append``).
_MUTABLE_OWNERS = (list, dict, set, bytearray, collections.deque)


def is_code_or_module(value: object) -> bool:
    """Whether `value` is a function, class or module, or a method of one: code, never data.

    A method bound to the notebook's data is data: calling ``add = bag.append`` changes
    `bag`. That is a method of a builtin container or of an instance of a notebook class;
    methods of library objects stay code (``from random import randint`` is a method of
    the `random` module's own generator, which is no variable's). A closure over data is
    data too (``add = make()``, whose cell holds a list).
    """
    if isinstance(value, _BOUND_METHODS):
        owner = value.__self__
        return not (
            isinstance(owner, _MUTABLE_OWNERS)
            or getattr(type(owner), "__module__", None) == "__main__"
        )
    if type(value) is types.FunctionType and _function_held(value):
        # A closure over data (`add = make()` changes its list when called), or a
        # notebook function with attributes (`step.calls += 1` in its body).
        return False
    if isinstance(value, type) and class_data(value) is not None:
        return False  # a notebook class's own state: `Dog.count += 1` in `__init__`
    return isinstance(value, _CODE_OR_MODULE)


#: What a class's namespace holds that is code or machinery, not its state.
_CLASS_MACHINERY = (classmethod, staticmethod, property, types.MemberDescriptorType)


def class_data(cls: type) -> dict[str, object] | None:
    """A notebook class's state: its own attributes but methods, properties and dunders.

    ``count = 0`` and ``registry = []`` in a class body, or set on it later: calling the
    class (an ``__init__`` doing ``Dog.count += 1``) or a cell (``Dog.registry.append``)
    changes them. A restore re-runs the class's cell, so the cells that changed its
    state must be recorded as changing it, and re-run after it. None for a class of a
    library, or one with no such attribute (most classes: then it is code).
    """
    if cls.__module__ != "__main__":
        return None
    # The notebook classes it inherits from too: `Puppy.registry.append(...)` changes
    # `Dog.registry`.
    data = {
        f"{owner.__qualname__}.{name}": value
        for owner in cls.__mro__
        if owner.__module__ == "__main__"
        for name, value in vars(owner).items()
        if not _is_dunder(name) and not callable(value) and not isinstance(value, _CLASS_MACHINERY)
    }
    return data or None


def function_data(function: types.FunctionType) -> dict[str, object] | None:
    """A notebook function's own attributes (``step.calls = 0``), but dunders.

    Pickled by name, such a function loads without them, and a restore re-runs its
    cell: the cells that set or changed them (through the function's own body too) must
    be recorded as changing it. None for a library's function, or one with none (most
    functions). Dunders are left out: a decorator's ``__wrapped__`` is code.
    """
    attributes = getattr(function, "__dict__", None)
    if not attributes or function.__module__ != "__main__":
        return None
    data = {name: value for name, value in attributes.items() if not _is_dunder(name)}
    return data or None


def _is_dunder(name: str) -> bool:
    """Whether `name` is Python's (``__module__``, a decorator's ``__wrapped__``)."""
    return name[:2] == "__" and name[-2:] == "__"


def _function_held(function: types.FunctionType) -> list[object]:
    """What a function holds that is data: its closure's, and its own attributes."""
    held = _closure_data(function)
    data = function_data(function)
    return held if data is None else [*held, *data.values()]


def _closure_data(function: types.FunctionType) -> list[object]:
    """What a function's closure holds that is data (not code, modules or atoms)."""
    held: list[object] = []
    for cell in function.__closure__ or ():
        try:
            content = cell.cell_contents
        except ValueError:  # a cell not filled yet
            continue
        # A function in a cell is code, whatever its own closure holds (no recursion: a
        # recursive inner function holds itself).
        plain_code = (
            is_code_or_module(content)
            if isinstance(content, _BOUND_METHODS)
            else isinstance(content, _CODE_OR_MODULE)
        )
        if type(content) not in _ATOM_TYPES and not plain_code:
            held.append(content)
    return held


def _callable_data(value: object) -> list[object] | None:
    """What a callable holds of the notebook's data; None if it holds none or is none.

    A method bound to data holds its object, a `functools.partial` its function and
    arguments, a closure the data in its cells: calling one may change them. A callable
    instance (``__call__``) is an instance like any other (None here: its attributes are
    looked at). Functions, classes, modules and C code (``len``, ``str.upper``,
    ``np.sin``, ``itemgetter(1)``) hold none (``[]``). Any other C callable is None: an
    object whose state lives in C (a ``sqlite3.Connection``, which is callable) is opaque.
    """
    if isinstance(value, _BOUND_METHODS):
        return [] if is_code_or_module(value) else [value.__self__]
    if isinstance(value, functools.partial):
        return [value.func, value.args, value.keywords]
    if type(value) is types.FunctionType:
        return _function_held(value)
    if callable(value) and (is_code_or_module(value) or _is_c_code(value)):
        return []
    return None


#: C callables that are code, with no state of their own: builtin functions and methods
#: of types, and the operator module's getters (made once, never changed).
_C_CODE = (
    types.BuiltinFunctionType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    operator.itemgetter,
    operator.attrgetter,
    operator.methodcaller,
)


def _is_c_code(value: object) -> bool:
    """Whether `value` is C code (`_C_CODE`, or a numpy ufunc such as ``np.sin``).

    In Pyodide a JavaScript function (``from js import fetch``) is code too: were it
    opaque, every cell calling it would count as changing it, and a restore would re-run
    them all (network requests included) to get it back.
    """
    if isinstance(value, _C_CODE):
        return True
    numpy: Any = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ufunc):
        return True
    ffi: Any = sys.modules.get("pyodide.ffi")
    return ffi is not None and isinstance(value, ffi.JsCallable)


def _is_module(value: object) -> bool:
    return type(value).__name__ == "module" and hasattr(value, "__spec__")


def _attributes(value: object) -> dict[str, object] | None:
    """Instance attributes (``__dict__`` and ``__slots__``), or None if it has neither."""
    attributes: dict[str, object] = {}
    instance_dict = getattr(value, "__dict__", None)
    if isinstance(instance_dict, Mapping):
        attributes.update(instance_dict)
    for cls in type(value).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if isinstance(slot, str) and slot not in ("__dict__", "__weakref__"):
                try:
                    attributes[slot] = getattr(value, slot)
                except AttributeError:
                    continue
    if not attributes and instance_dict is None and not hasattr(type(value), "__slots__"):
        return None
    return attributes


def _hash_pieces(hasher: Hasher, flat: memoryview) -> None:
    for start in range(0, flat.nbytes, PIECE):
        hasher.update(flat[start : start + PIECE])


#: Containers whose items `gc.get_referents` lists in C (subclasses too: `Counter`).
_CONTAINERS = (list, tuple, dict, set, frozenset)
#: Exactly these mutable containers: counted and entered, with no attributes to look at.
_PLAIN_MUTABLE = frozenset((list, dict, set))
#: Exactly these immutable containers: holding only atoms, they are atoms too (nothing in
#: them can change, so sharing one does not tie two variables together).
_PLAIN_FROZEN = frozenset((tuple, frozenset))


#: Since CPython 3.13 an instance's values live in the instance, and `gc.get_referents` of
#: its ``__dict__`` lists none of them.
_EMBEDDED_VALUES = sys.version_info >= (3, 13)

#: Up to this length, an exact list, dict or set of atoms is answered without a walk.
_SMALL = 32
#: From this length on, a container is first checked for holding only atoms (or tuples
#: of atoms), in C passes: then its items need not be listed and looked at one by one in
#: Python.
_LARGE = 256
#: The types of a flat container's items: atoms, and tuples or frozensets of atoms.
_ATOM_OR_FROZEN_TYPES = _ATOM_TYPES | _PLAIN_FROZEN


def _flat_container(value: list[object] | dict[object, object] | set[object]) -> bool:
    """Whether `value` holds only atoms and exact tuples and frozensets of atoms.

    Then nothing in it can be shared or opaque. C-level passes only (`_flat_items`).
    """
    if isinstance(value, dict):
        return _flat_items(value.keys()) and _flat_items(value.values())
    return _flat_items(value)


def _flat_items(items: Collection[object]) -> bool:
    """Whether `items` are atoms and exact tuples and frozensets of atoms.

    C-level passes, each stopping as soon as it can: all atoms (the common case: yes, in
    one pass); else the first item that is not one (a container or an instance: no); if
    that one is a tuple (a Counter of bigrams, a list of pairs), the types of all items,
    then of the tuples' items.
    """
    if _flat(items):  # 40 % faster than `filterfalse` here
        return True
    if next(filterfalse(_ATOM_TYPES.__contains__, map(type, items))) not in _PLAIN_FROZEN:
        return False
    kinds = set(map(type, items))
    if not kinds <= _ATOM_OR_FROZEN_TYPES:
        return False
    frozen: Iterable[object] = (
        items
        if kinds <= _PLAIN_FROZEN
        else compress(items, map(_PLAIN_FROZEN.__contains__, map(type, items)))
    )
    return _flat(chain.from_iterable(frozen))  # type: ignore[arg-type]


def reach(value: object, *, native: bool = True) -> Reach:
    """The objects `value` reaches, and which are opaque (no hashing).

    Builtin containers are walked natively unless `native` is false (the core's
    `ObjectWalk` on CPython, the heap walk of `_pyodide.walk` in Pyodide), in Python
    where there is none or it fails: all by the same rules (counted: exact lists, dicts,
    sets, tuples and frozensets not of atoms only, every other object but atoms and
    classes; entered: containers, instance attributes, numpy object arrays).

    >>> shared = [1]; len(reach([shared, {"k": shared}, (2, 3)]).objects)
    3
    """
    # The commonest values of small cells, answered without a walk, whose setting up
    # costs more than looking at them (a dict of one number took 12-18 us in place): the
    # walks give the same (a test holds them to it).
    kind = type(value)
    if kind in _ATOM_TYPES:
        return _NOTHING
    if kind is type:
        # A class reached as a root counts no object of its own: it is code, or a
        # notebook class whose state is what it reaches (`reg = Dog.registry` shares it).
        state = class_data(value)  # type: ignore[arg-type]
        if state is None:
            return _NOTHING
        parts = [reach(item, native=native) for item in state.values()]
        return Reach(
            frozenset(chain.from_iterable(part.objects for part in parts)),
            frozenset(chain.from_iterable(part.opaque for part in parts)),
        )
    if kind in _PLAIN_MUTABLE and len(value) <= _SMALL and _flat_container(value):  # type: ignore[arg-type]
        return Reach(frozenset((id(value),)))
    if (
        kind is types.FunctionType
        and not value.__closure__  # type: ignore[attr-defined]
        and not value.__dict__
    ) or (kind is types.ModuleType and _is_module(value)):
        return Reach(frozenset((id(value),)))  # counted, never entered
    numpy: Any = sys.modules.get("numpy")
    if numpy is not None and kind is numpy.ndarray and not value.dtype.hasobject:  # type: ignore[attr-defined]
        return Reach(frozenset((id(value), *map(id, _bases(value)))))
    walk = new_object_walk() if native else None
    if walk is None:
        return _reach_in_python(value)
    # In Pyodide a call into the heap walk costs as much as walking hundreds of items in
    # Python: small values are walked in Python, and a walk that outgrows the budget
    # starts over natively.
    budget = python_walk_budget()
    small = _walk_in_python(value, budget) if budget > 0 else None
    if small is not None:
        return small
    try:
        return _reach_natively(value, walk)
    except WalkError:  # Pyodide's heap walk met a layout it does not know
        return _reach_in_python(value)


def _reach_natively(value: object, walk: ObjectWalkHandle) -> Reach:
    """`reach` with the builtin containers walked by the native `walk`.

    What it hands back (instances, arrays, opaque objects; large container subclasses
    of atoms, for their attributes) is looked into here as `_reach_in_python` does.
    """
    opaque: set[int] = set()
    bases: dict[int, object] = {}
    frontier: list[object] = [value]
    # Every root handed to the walk is held until it ends: the walk holds only what it
    # hands back, and what a root reaches is held by the root (an attribute's value may
    # be made anew by each access, and freed once looked at).
    roots: list[list[object]] = []
    while frontier:
        roots.append(frontier)
        others, subclassed = walk.walk(frontier)
        frontier = _beyond_containers(others, subclassed, bases, opaque)
        for base in bases.values():
            walk.count(base)
        bases.clear()
    return Reach(walk.objects(), frozenset(opaque))


def _reach_in_python(value: object) -> Reach:
    """`reach` walked in Python (where no native walk fits): `_walk_in_python`."""
    return cast("Reach", _walk_in_python(value, budget=math.inf))


def _walk_in_python(value: object, budget: float) -> Reach | None:
    """`reach` walked in Python; None once it has looked at more than `budget` items.

    Breadth first, a level at a time: the items of every container of a level come from
    one `gc.get_referents` call, and only objects that are not atoms are looked at in
    Python; the tuples of a level are checked for holding only atoms together, and a
    container of `_LARGE` items or more holding only atoms and tuples of atoms is not
    entered (C-level passes). Classes reached through instances or containers are not
    entered or counted.

    Since CPython 3.13, `gc.get_referents` lists none of the values of an instance's
    ``__dict__`` held on its own (``cfg = vars(args)``: they live in the instance), so
    there dicts are listed one by one, and such a dict's values are taken from the dict.
    """
    objects: dict[int, object] = {}  # holds each object, so its id stays unique
    opaque: set[int] = set()
    frontier: list[object] = [value]
    while frontier:
        # The budget counts the items looked at in Python, and (weighed less) those of
        # the large containers checked in C passes.
        budget -= len(frontier)
        if budget < 0:
            return None
        containers: list[object] = []
        dicts: list[dict[object, object]] = []
        frozen: list[tuple[object, ...] | frozenset[object]] = []
        subclassed: list[object] = []
        others: list[object] = []
        # The common kinds first, by exact type (one set lookup each): this loop runs
        # once per item of every container, so every call saved counts (a third of the
        # walk's time for 100k dicts).
        for item in frontier:
            kind = type(item)
            if kind in _ATOM_TYPES:
                continue
            key = id(item)
            if key in objects:
                continue
            if kind in _PLAIN_MUTABLE:
                objects[key] = item
                if len(item) >= _LARGE:  # type: ignore[arg-type]
                    # Checked in C passes: a sixteenth of the loop's cost per item.
                    budget -= len(item) >> 4  # type: ignore[arg-type]
                    if budget < 0:
                        return None
                    if _flat_container(item):  # type: ignore[arg-type]
                        continue
                if kind is dict and _EMBEDDED_VALUES:
                    dicts.append(item)  # type: ignore[arg-type]
                else:
                    containers.append(item)
            elif kind in _PLAIN_FROZEN:
                frozen.append(item)  # type: ignore[arg-type]
            elif not isinstance(item, type):
                objects[key] = item
                if not isinstance(item, _CONTAINERS):
                    others.append(item)
                elif len(item) < _LARGE or not _flat_container(item):  # type: ignore[arg-type]
                    containers.append(item)
                else:  # a subclass's items are atoms: only its attributes can reach more
                    subclassed.append(item)
        # Tuples (a list of 100k pairs in small lists) are looked at together: when every
        # item of every one is an atom, one C pass says so, and none of them counts.
        if frozen and not _flat(chain.from_iterable(frozen)):
            for item in frozen:
                if id(item) not in objects and not _flat(item):
                    objects[id(item)] = item
                    containers.append(item)
        frontier = gc.get_referents(*containers) if containers else []
        if dicts:
            referents = list(map(gc.get_referents, dicts))
            frontier += chain.from_iterable(referents)
            # A dict that lists nothing but is not empty holds an instance's values.
            frontier += chain.from_iterable(map(dict.values, compress(dicts, map(not_, referents))))
        frontier += _beyond_containers(others, subclassed, objects, opaque)
    # The dict's keys, not a frozenset of them: building one of 200k ids took 23-37 ms, a
    # tenth of the walk. The dict holds the objects, so a cached reach keeps them alive;
    # they are all reachable from a value that has not changed anyway.
    return Reach(objects.keys(), frozenset(opaque))


def _beyond_containers(
    others: Iterable[object],
    subclassed: Iterable[object],
    objects: dict[int, object],
    opaque: set[int],
) -> list[object]:
    """What a level's objects that are not walked as containers reach next (both walks).

    `others`: instances, arrays, opaque objects (`_children`); `subclassed`: large
    container subclasses of atoms, of which only the attributes can reach more.
    """
    reached: list[object] = []
    for item in others:
        reached.extend(_children(item, objects, opaque))
    for item in subclassed:
        reached.extend((_attributes(item) or {}).values())
    return reached


def _children(value: object, objects: dict[int, object], opaque: set[int]) -> list[object]:
    """What a non-container `value` reaches; records numpy bases and opaque objects."""
    numpy: Any = sys.modules.get("numpy")
    if numpy is not None and isinstance(value, numpy.ndarray):
        array: Any = value
        for base in _bases(array):  # a view counts as its base's object
            objects[id(base)] = base
        return list(array.ravel(order="K")) if array.dtype.hasobject else []
    pandas: Any = sys.modules.get("pandas")
    if pandas is not None and isinstance(value, pandas.DataFrame | pandas.Series):
        return []
    if isinstance(value, memoryview):
        # A view shares its object's memory (a write through either shows in both): it
        # reaches that object, so a view and what it views are co-variables.
        viewed = viewed_object(value)
        return [] if viewed is None else [viewed]
    held = _callable_data(value)
    if held is not None:
        return held
    if _has_no_hidden_state(value) or _is_module(value):
        return []
    attributes = _attributes(value)
    if attributes is None:
        opaque.add(id(value))
        return []
    return list(attributes.values())


def _bases(array: Any) -> Iterator[object]:  # noqa: ANN401 - a numpy array
    """The chain of objects a numpy array's memory comes from (`base`, its `base`...).

    Through a memoryview to the object it views: ``np.frombuffer(raw)``'s base is a
    memoryview of `raw` (numpy 2), and the array shares `raw`'s memory.
    """
    base: Any = array.base
    while base is not None:
        yield base
        # A memoryview's object holds the memory; anything else may have a base of its own.
        base = viewed_object(base) if isinstance(base, memoryview) else getattr(base, "base", None)


def viewed_object(view: memoryview) -> object | None:
    """The object whose memory `view` views; None once the view is released."""
    try:
        return view.obj
    except ValueError:  # released: it views nothing any more
        return None


def _has_no_hidden_state(value: object) -> bool:
    """Whether a non-container `value` is all in its bytes or cannot change.

    That is a `bytearray`, `array.array`, a code object, `Ellipsis` (a `memoryview` is
    its object's bytes: `_children` gives that object).
    """
    return isinstance(value, bytearray | array.array | types.CodeType) or value is Ellipsis


def digest(value: object) -> bytes:
    """The blake3 of `value`'s structure and contents.

    >>> a = [1, 2]; before = digest(a); a.append(3)
    >>> digest(a) != before
    True
    """
    hidden = _state_behind_name(value)
    if hidden is not None:  # pickled by name, which hides that state: hashed itself
        hashed = new_hasher()
        _Walker(hashed).walk(hidden)
        return hashed.digest()
    buffers: list[pickle.PickleBuffer] = []
    try:
        stream = pickle.dumps(value, protocol=5, buffer_callback=buffers.append)
        views = [buffer.raw() for buffer in buffers]
    except Exception:  # does not pickle (a generator, a lambda inside): walk it
        walked = new_hasher()
        _Walker(walked).walk(value)
        return walked.digest()
    hasher = new_hasher()
    # Tagged, so a value that stops pickling (a generator added) reads as changed.
    hasher.update(b"pickle5\0")
    hasher.update(stream)
    for view in views:
        hasher.update(repr(("buf", view.nbytes)).encode())
        _hash_pieces(hasher, view)
    return hasher.digest()


def _state_behind_name(value: object) -> tuple[object, ...] | None:
    """What a notebook class or function holds that its pickle, its name, does not show.

    A class's state (`class_data`); a function's closure data and attributes
    (`_function_held`). None for any other value, or one that holds none.
    """
    if isinstance(value, type):
        state = class_data(value)
        return None if state is None else ("class", value.__qualname__, state)
    if type(value) is types.FunctionType:
        held = _function_held(value)
        return ("function", value.__qualname__, id(value), held) if held else None
    return None


def disjoint(first: IdSet, second: IdSet) -> bool:
    """Whether two reaches share no object.

    The larger set is asked: a small set never iterates a large one that keeps its ids
    elsewhere (Pyodide's heap walk keeps them in its module's tables).
    """
    if len(first) >= len(second):
        return first.isdisjoint(second)
    return second.isdisjoint(first)


def fingerprint(value: object) -> Fingerprint:
    """Both parts of `value`'s fingerprint.

    >>> a = [1, 2]; before = fingerprint(a); a.append(3)
    >>> fingerprint(a).digest != before.digest
    True
    """
    reached = reach(value)
    return Fingerprint(digest(value), reached.objects, reached.opaque)


def covariable_groups(fingerprints: Mapping[str, HasObjects]) -> list[list[str]]:
    """Partitions variable names into groups whose values share a mutable object.

    Each group is sorted, and groups are sorted by their first name.
    """
    parent = {name: name for name in fingerprints}

    def find(name: str) -> str:
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    owner: dict[int, str] = {}
    for name, print_ in fingerprints.items():
        for key in print_.objects:
            other = owner.setdefault(key, name)
            if other != name:
                parent[find(name)] = find(other)
    groups: dict[str, list[str]] = {}
    for name in fingerprints:
        groups.setdefault(find(name), []).append(name)
    return sorted((sorted(group) for group in groups.values()), key=lambda g: g[0])
