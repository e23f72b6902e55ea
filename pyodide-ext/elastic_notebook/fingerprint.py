"""Fingerprints of live values: in-place changes and shared objects (co-variables).

A fingerprint walks everything a value reaches (containers, instance attributes, numpy
and pandas data) and hashes a token stream of its structure and contents with the core's
blake3 (``core.new_hasher``: native on CPython, wasm in Pyodide). Two fingerprints of the
same value differ exactly when something reachable changed in place, including through an
alias. The ids of the mutable objects it reached tell which variables share objects.

Atoms (numbers, strings, bytes, ``None``) are hashed by value and never count as shared:
two names holding ``5`` or the same interned string are not co-variables. Functions,
classes, modules and other opaque objects are hashed by identity and not entered.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from elastic_notebook.core import new_hasher

ATOMS: tuple[type, ...] = (int, float, complex, bool, str, bytes, type(None))
#: Bytes hashed per copy into the core: bounds the memory a large buffer costs.
PIECE = 1 << 24


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The fingerprint of one variable's value."""

    #: blake3 of the value's structure and contents.
    digest: bytes
    #: ids of the mutable objects it reaches (numpy views count as their base's).
    objects: frozenset[int]
    #: ids of the opaque objects among them (generators, locks, files, C objects): their
    #: state cannot be seen, so a cell that reads one is taken to change it.
    opaque: frozenset[int] = frozenset()


class _Walker:
    """One fingerprint walk: a token stream into the hasher, objects seen once."""

    def __init__(self) -> None:
        self.hasher = new_hasher()
        self.seen: dict[int, int] = {}
        self.objects: set[int] = set()
        self.opaque: set[int] = set()
        # Keeps visited objects alive so their ids stay unique during the walk.
        self.keep: list[object] = []

    def token(self, *parts: object) -> None:
        self.hasher.update(repr(parts).encode())

    def buffer(self, view: memoryview) -> None:
        flat = view.cast("B") if view.contiguous else memoryview(view.tobytes())
        self.token("buf", flat.nbytes)
        for start in range(0, flat.nbytes, PIECE):
            self.hasher.update(flat[start : start + PIECE])

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
            self.objects.add(key)
            children = self.enter(value)
            stack.extend(reversed(list(children)))

    def enter(self, value: object) -> Iterable[object]:
        """Hashes `value`'s own tokens; returns the children to walk, in order."""
        kind = type(value)
        name = f"{kind.__module__}.{kind.__qualname__}"
        if isinstance(value, list | tuple):
            self.token(name, len(value))
            return value
        if isinstance(value, dict):
            self.token(name, len(value))
            return [item for pair in value.items() for item in pair]
        if isinstance(value, set | frozenset):
            self.token(name, len(value))
            return sorted(value, key=repr)
        if isinstance(value, bytearray | memoryview):
            self.token(name)
            self.buffer(memoryview(value))
            return ()
        numpy = sys.modules.get("numpy")
        if numpy is not None and isinstance(value, numpy.ndarray):
            return self.ndarray(value, name)
        pandas = sys.modules.get("pandas")
        if pandas is not None and isinstance(value, pandas.DataFrame | pandas.Series):
            return self.pandas_object(value, name, pandas)
        if callable(value) or _is_module(value):
            # Code and modules are hashed by identity: rebinding is a write, and their
            # contents are not the notebook's data.
            self.token(name, "id", id(value))
            return ()
        attributes = _attributes(value)
        if attributes is None:
            self.token(name, "opaque", id(value))
            self.opaque.add(id(value))
            return ()
        self.token(name, "attrs", len(attributes))
        return [item for pair in attributes.items() for item in pair]

    # numpy and pandas are optional (absent in offline Pyodide) and never imported by the
    # package, so their values are typed dynamically here.
    def ndarray(self, array: Any, name: str) -> Iterable[object]:  # noqa: ANN401
        self.token(name, str(array.dtype), array.shape)
        base = array
        while getattr(base, "base", None) is not None:
            base = base.base
            self.objects.add(id(base))
            self.keep.append(base)
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


def fingerprint(value: object) -> Fingerprint:
    """The fingerprint of one value.

    >>> a = [1, 2]; before = fingerprint(a); a.append(3)
    >>> fingerprint(a).digest != before.digest
    True
    """
    walker = _Walker()
    walker.walk(value)
    return Fingerprint(walker.hasher.digest(), frozenset(walker.objects), frozenset(walker.opaque))


def covariable_groups(fingerprints: Mapping[str, Fingerprint]) -> list[list[str]]:
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
