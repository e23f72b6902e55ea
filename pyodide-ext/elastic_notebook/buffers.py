"""Large ``bytes``, ``bytearray`` and ``array.array`` values out of band.

Pickle protocol 5 sends a buffer out of band only when an object reduces to a
``PickleBuffer`` (numpy does); it writes ``bytes`` and ``bytearray`` into the stream
itself, before it would ask ``reducer_override``, and ``array.array`` as a copy of its
bytes. In the browser, where numpy is absent, those are the large values, and in the
stream each costs a copy on save and two on load. So a group that holds one is pickled
with persistent ids for them: each becomes a blob of its own, written straight from the
value's memory, and a loaded ``bytearray`` *is* its blob (no copy).

The blobs of a group stay in stream order: numpy's buffers (``NEXT_BUFFER``) and these
(persistent ids) are appended to one list as the pickler meets them, and loading takes
them from one cursor in the same order. A value met twice gets one persistent id, so
shared values stay shared.

Persistent ids cost a Python call per pickled object, so they are used only for groups
whose variables are, or directly hold, a large bytes-like (`holds_large_bytes`).
"""

from __future__ import annotations

import array
import pickle
import sys
from collections.abc import Iterable, Iterator
from itertools import islice

#: Below this, a bytes-like stays in the stream: a blob of its own costs more.
OUT_OF_BAND_BYTES = 64 * 1024
#: The persistent ids' tag: anything else is not ours.
_TAG = "elastic-notebook/buffer"
#: `array.array` typecodes with the same item size on every platform the package runs
#: on (``l``, ``L``, ``u`` and ``w`` differ between wasm32 and 64-bit Linux).
_PORTABLE_TYPECODES = frozenset("bBhHiIqQfd")
#: How many items of a list, tuple or dict `holds_large_bytes` looks at.
_LOOK_AHEAD = 64


def _out_of_band(value: object) -> bool:
    kind = type(value)
    if kind is bytes or kind is bytearray:
        return len(value) >= OUT_OF_BAND_BYTES  # type: ignore[arg-type]
    if kind is array.array:
        values: array.array[int] = value  # type: ignore[assignment]
        return (
            values.typecode in _PORTABLE_TYPECODES
            and len(values) * values.itemsize >= OUT_OF_BAND_BYTES
        )
    return False


def _with_first_items(values: Iterable[object]) -> Iterator[object]:
    """Each of `values`, each followed by its first items if it is a list, tuple or dict."""
    for value in values:
        yield value
        kind = type(value)
        if kind is list or kind is tuple:
            yield from islice(value, _LOOK_AHEAD)  # type: ignore[call-overload]
        elif kind is dict:
            yield from islice(value.values(), _LOOK_AHEAD)  # type: ignore[attr-defined]


def holds_large_bytes(values: Iterable[object]) -> bool:
    """Whether one of `values` is, or holds among its first items, a large bytes-like."""
    return any(map(_out_of_band, _with_first_items(values)))


def shared_bytearrays(values: Iterable[object]) -> frozenset[int]:
    """The ids of the `bytearray`s among `values` and their first items.

    A numpy array viewing one of them is pickled as a view of it (`serialize`), so the
    two share memory after a load too.
    """
    return frozenset(id(item) for item in _with_first_items(values) if type(item) is bytearray)


class BufferIds:
    """The pickling side: persistent ids for large bytes-likes.

    Their buffers join the group's out-of-band buffers, in stream order.
    """

    def __init__(self, buffers: list[pickle.PickleBuffer]) -> None:
        """Appends to `buffers`, the list numpy's out-of-band buffers go to as well."""
        self._buffers = buffers
        self._ids: dict[int, tuple[object, ...]] = {}

    def persistent_id(self, value: object) -> tuple[object, ...] | None:
        """The persistent id of `value` if it goes out of band here, else None."""
        if not _out_of_band(value):
            return None
        known = self._ids.get(id(value))
        if known is not None:
            return known
        index = len(self._buffers)
        self._buffers.append(pickle.PickleBuffer(value))  # type: ignore[arg-type]
        if type(value) is array.array:
            pid: tuple[object, ...] = (_TAG, index, "array", value.typecode, sys.byteorder)
        else:
            pid = (_TAG, index, type(value).__name__)
        # `value` is alive while pickling (the group holds it), so its id is unique.
        self._ids[id(value)] = pid
        return pid


class BufferLoads:
    """The loading side: one cursor over a group's buffers, in stream order.

    It is the unpickler's ``buffers`` and serves `persistent_load`.
    """

    def __init__(self, buffers: list[bytearray]) -> None:
        """Reads `buffers` (blobs 1.. of a group) in order."""
        self._buffers = buffers
        self._next = 0
        self._loaded: dict[int, object] = {}

    def __iter__(self) -> Iterator[bytearray]:
        """The unpickler's out-of-band buffers: the next one at each ``NEXT_BUFFER``."""
        return self

    def __next__(self) -> bytearray:
        """The next buffer in stream order."""
        if self._next >= len(self._buffers):
            raise pickle.UnpicklingError("the stream asks for more buffers than were stored")
        buffer = self._buffers[self._next]
        self._next += 1
        return buffer

    def persistent_load(self, pid: object) -> object:
        """The value a persistent id of `BufferIds` names."""
        if not (isinstance(pid, tuple) and len(pid) >= 3 and pid[0] == _TAG):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        index = pid[1]
        if index in self._loaded:
            return self._loaded[index]
        if index != self._next:
            raise pickle.UnpicklingError("out-of-band buffers are out of order")
        value = _rebuild(pid[2:], next(self))
        self._loaded[index] = value
        return value


def _rebuild(kind: tuple[object, ...], buffer: bytearray) -> object:
    if kind == ("bytearray",):
        # The blob was read for this value alone: it becomes the value, with no copy.
        return buffer if type(buffer) is bytearray else bytearray(buffer)
    if kind == ("bytes",):
        return bytes(buffer)
    if len(kind) == 3 and kind[0] == "array" and kind[1] in _PORTABLE_TYPECODES:
        values = array.array(str(kind[1]))
        values.frombytes(buffer)
        if kind[2] != sys.byteorder:
            values.byteswap()
        return values
    raise pickle.UnpicklingError(f"unknown out-of-band value {kind!r}")
