"""Serializing co-variable groups into blobs, and loading them back.

A group is pickled as one dict from member name to value, so objects its members share
stay shared (``l2 = l1`` gives ``l1 is l2`` after a load). Pickle protocol 5 puts large
buffers (numpy, pandas through numpy, ``PickleBuffer``) out of band: blob 0 is the pickle
stream, blobs 1.. are the buffers, written straight from the objects' memory. Large
``bytes``, ``bytearray`` and ``array.array`` values go out of band too, by persistent id,
in groups that hold them (`buffers`); imported modules are written by name. cloudpickle
is used only where plain pickle fails (lambdas inside containers, closures, modules made
at run time), and both write objects of the notebook (``__main__``) by reference.

Why by reference: a class or function defined in the notebook is recomputed at restore
by re-running the cell that defined it, so it keeps the notebook's globals; stored values
that refer to it (instances, lists of functions) resolve the reference against the
restoring namespace, which keeps ``type(p) is Point`` true after a restore. Such
definitions themselves are never stored (`notebook_definition`).
"""

from __future__ import annotations

import importlib
import importlib.util
import io
import pickle
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elastic_notebook.buffers import BufferIds, BufferLoads, holds_large_bytes, shared_bytearrays
from elastic_notebook.fingerprint import viewed_object
from elastic_notebook.module_globals import ModuleGlobalIds, ModuleGlobalLoads, ModuleGlobals

if TYPE_CHECKING:
    from collections.abc import Mapping, Set

    from elastic_notebook._core import Serializer


class LoadError(Exception):
    """A stored group cannot be loaded here (a missing module, another Python version)."""


@dataclass
class SerializedGroup:
    """A group's pickle stream and its out-of-band buffers (views of the live objects)."""

    serializer: Serializer
    stream: bytes
    buffers: list[pickle.PickleBuffer] = field(default_factory=list)

    @property
    def size(self) -> int:
        """Bytes it takes in a checkpoint."""
        return len(self.stream) + sum(memoryview(b).nbytes for b in self.buffers)

    def blobs(self) -> list[memoryview]:
        """Blob 0 (the stream) then each buffer, as flat byte views."""
        return [memoryview(self.stream)] + [b.raw() for b in self.buffers]


@dataclass(frozen=True)
class Unserializable:
    """Why a group cannot be stored: it is recomputed instead."""

    reason: str


def notebook_definition(value: object) -> bool:
    """Whether `value` is a function or class defined in the notebook (``__main__``).

    A decorator's wrapper of one counts when it pickles by name as the function does
    (``@functools.cache``: `functools.update_wrapper` gave it ``__module__`` and
    ``__wrapped__``): stored, it would load as a reference to a name the restore has
    not brought back yet, and only re-running its cell gives it back.
    """
    if isinstance(value, (type, types.FunctionType)):
        return getattr(value, "__module__", None) == "__main__"
    if not callable(value):
        return False
    try:
        wrapper = hasattr(value, "__wrapped__") and value.__module__ == "__main__"
    except Exception:  # an object whose attribute lookups raise: no wrapper of ours
        return False
    return wrapper and _pickles_by_name(value)


def _pickles_by_name(value: object) -> bool:
    """Whether pickle writes `value` as a reference to a global (its reduction is a str)."""
    try:
        return isinstance(value.__reduce_ex__(5), str)
    except Exception:  # a reduction that fails: not a reference, whatever else it is
        return False


def _main_global_name(value: object) -> str | None:
    """The name under which `__main__` holds `value`, if it is a notebook definition there."""
    if not notebook_definition(value):
        return None
    name = getattr(value, "__qualname__", "")
    main = sys.modules.get("__main__")
    target: object = main
    for part in name.split("."):
        target = getattr(target, part, None)
    return name if target is value and name else None


def _array_view(
    base: Any,  # noqa: ANN401 - a numpy array (numpy is optional)
    offset: int,
    shape: tuple[int, ...],
    strides: tuple[int, ...],
    dtype: Any,  # noqa: ANN401 - a numpy dtype
    writeable: bool = True,
) -> Any:  # noqa: ANN401
    """A numpy view of `base` (unpickling side of `_reduce_array_view`)."""
    view = type(base)(shape, dtype, buffer=base, offset=offset, strides=strides)
    return _read_only_unless(writeable, view)


def _read_only_unless(writeable: bool, array: Any) -> Any:  # noqa: ANN401 - a numpy array
    """`array`, made read-only if the array it stands for was (``df['x'].to_numpy()``).

    A view is made writeable whatever its base: the flag is pickled when it is off.
    """
    if not writeable:
        array.flags.writeable = False
    return array


def _view_arguments(array: Any) -> tuple[object, ...]:  # noqa: ANN401 - a numpy array
    """The shape, strides and dtype of a view, and its writeable flag where it is off."""
    flags = () if array.flags.writeable else (False,)
    return (array.shape, array.strides, array.dtype, *flags)


def _is_plain_array(value: object, numpy: Any) -> bool:  # noqa: ANN401 - the numpy module
    return type(value) is numpy.ndarray


def _bytes_view(
    raw: bytearray,
    offset: int,
    shape: tuple[int, ...],
    strides: tuple[int, ...],
    dtype: Any,  # noqa: ANN401 - a numpy dtype
    writeable: bool = True,
) -> Any:  # noqa: ANN401
    """A numpy array over `raw`'s memory (unpickling side of `_reduce_bytes_view`)."""
    import numpy  # only ever unpickled from a checkpoint of a session that had numpy

    array = numpy.ndarray(shape, dtype, buffer=raw, offset=offset, strides=strides)
    return _read_only_unless(writeable, array)


def _viewed_bytearray(array: Any, numpy: Any) -> bytearray | None:  # noqa: ANN401
    """The `bytearray` whose memory a plain array views (``np.frombuffer(raw)``), if any."""
    base: Any = array.base
    while _is_plain_array(base, numpy):
        base = base.base
    if isinstance(base, memoryview):
        base = viewed_object(base)
    return base if type(base) is bytearray else None


def _reduce_bytes_view(obj: object, shared: Set[int]) -> tuple[object, ...] | None:
    """Pickles a numpy array over a `bytearray` of the group as a view of it.

    numpy pickles such an array as a copy of its bytes: after a restore, a write to
    ``raw`` no longer showed in ``words = np.frombuffer(raw, np.uint32)``. Only a
    `bytearray` among the group's values (`shared`: their ids) is pickled with it (once,
    through pickle's memo or its persistent id): the blob a restored array views is no
    variable's, and pickling it would put its bytes in the stream instead of out of band.
    """
    numpy: Any = sys.modules.get("numpy")
    if not shared or numpy is None or not _is_plain_array(obj, numpy):
        return None
    array: Any = obj
    raw = _viewed_bytearray(array, numpy)
    if raw is None or id(raw) not in shared or array.dtype.hasobject:
        return None
    start = numpy.frombuffer(raw, numpy.uint8).__array_interface__["data"][0] if raw else 0
    offset = array.__array_interface__["data"][0] - start
    return (_bytes_view, (raw, offset, *_view_arguments(array)))


def _reduce_array_view(obj: object) -> tuple[object, ...] | None:
    """Pickles a numpy view as a view of its base, so the two still share memory.

    numpy pickles a view as a copy; then ``view = arr[2:5]`` would stop seeing edits of
    ``arr`` after a restore. The base, the last array in the view's ``.base`` chain
    (which may itself wrap a ``bytearray``, as every array a restore loads does), is
    pickled once through pickle's memo, out of band. Only plain (non-object) views of a
    C-contiguous base qualify; anything else is pickled as numpy does.
    """
    # numpy is optional (absent in offline Pyodide) and never imported here: typed Any.
    numpy: Any = sys.modules.get("numpy")
    if numpy is None or not _is_plain_array(obj, numpy):
        return None
    array: Any = obj
    base: Any = array.base
    if not _is_plain_array(base, numpy) or array.dtype.hasobject:
        return None
    # Walk to the last array of the chain: the one whose memory all the views share.
    while _is_plain_array(base.base, numpy):
        base = base.base
    if not base.flags.c_contiguous or base.dtype.hasobject:
        return None
    offset = array.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    return (_array_view, (base, offset, *_view_arguments(array)))


def _reduce_module(obj: object) -> tuple[object, ...] | None:
    """Pickles an imported module by its name: unpickling imports it.

    Every notebook binds modules (``import numpy as np``), and plain pickle refuses them:
    without this, each such group went through cloudpickle, whose import alone took 40
    ms of a checkpoint, and again of a restore, in Pyodide. Only a module that
    ``sys.modules`` holds under its own name qualifies (``os.path`` is ``posixpath``);
    one made at run time is left to cloudpickle, which stores it by value. A target
    without the module fails to load the group (`LoadError`), which is recomputed.
    """
    if not isinstance(obj, types.ModuleType):
        return None
    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or sys.modules.get(name) is not obj:
        return None
    return (importlib.import_module, (name,))


class _Pickler(pickle.Pickler):
    """Plain pickle (protocol 5, out-of-band buffers): numpy views as views, modules by name."""

    def __init__(
        self, file: io.BytesIO, buffers: list[pickle.PickleBuffer], shared: Set[int]
    ) -> None:
        """`shared`: the group's `bytearray`s (`shared_bytearrays`), which arrays may view."""
        self._shared = shared
        super().__init__(file, protocol=5, buffer_callback=buffers.append)

    def reducer_override(self, obj: Any) -> Any:  # noqa: ANN401 - pickle's protocol
        return (
            _reduce_bytes_view(obj, self._shared)
            or _reduce_array_view(obj)
            or _reduce_module(obj)
            or NotImplemented
        )


#: Pickle's persistent id of an object, or None to pickle it as usual.
_PersistentId = Callable[[object], object]


class _PersistentPickler(_Pickler):
    """`_Pickler` with persistent ids.

    Large bytes-likes go out of band (`buffers`), modules' globals as references to them
    (`module_globals`). Only groups that hold either use it: pickle calls
    `persistent_id` for every object it writes.
    """

    def __init__(
        self,
        file: io.BytesIO,
        buffers: list[pickle.PickleBuffer],
        shared: Set[int],
        ids: _PersistentId,
    ) -> None:
        # Before pickle's own init, which looks `persistent_id` up.
        self._ids = ids
        super().__init__(file, buffers, shared)

    def persistent_id(self, obj: Any) -> Any:  # noqa: ANN401 - pickle's protocol
        return self._ids(obj)


def _persistent_ids(
    buffers: list[pickle.PickleBuffer], globals_: ModuleGlobals, large_bytes: bool
) -> _PersistentId | None:
    """The persistent ids a group needs: for its large bytes-likes, its modules' globals."""
    buffer_ids = BufferIds(buffers).persistent_id if large_bytes else None
    global_ids = ModuleGlobalIds(globals_).persistent_id if globals_ else None
    if buffer_ids is None or global_ids is None:
        return buffer_ids or global_ids
    return lambda obj: global_ids(obj) or buffer_ids(obj)


def _code_object(magic: bytes, constructor: Any, args: tuple[object, ...]) -> types.CodeType:  # noqa: ANN401
    """A code object cloudpickle stored (unpickling side of the code reducer below).

    Bytecode is specific to a Python version while the code constructor's signature is
    not (3.11 to 3.14 take the same 18 arguments and check no bytecode): a function of
    another version would load and then crash the interpreter when called. Raising
    `LoadError` makes the restore recompute it instead.
    """
    if magic != importlib.util.MAGIC_NUMBER:
        raise LoadError(
            f"it holds Python bytecode of another version: magic {magic.hex()}, "
            f"this Python {sys.version_info[0]}.{sys.version_info[1]} has "
            f"{importlib.util.MAGIC_NUMBER.hex()}"
        )
    code: types.CodeType = constructor(*args)
    return code


def _cloud_pickler(
    file: io.BytesIO,
    buffers: list[pickle.PickleBuffer],
    shared: Set[int],
    globals_: ModuleGlobals,
) -> pickle.Pickler:
    """A cloudpickle pickler that still writes the notebook's live definitions by name."""
    import cloudpickle  # type: ignore[import-untyped]

    class NotebookAwarePickler(cloudpickle.Pickler):  # type: ignore[misc]
        def reducer_override(self, obj: Any) -> Any:  # noqa: ANN401 - pickle's protocol
            name = _main_global_name(obj)
            if name is not None:
                # A str return saves `obj` as the global `__main__.<name>`.
                return name
            if isinstance(obj, memoryview):
                # cloudpickle stores a copy of its bytes: it would load as `bytes`, a
                # view of nothing. Refused, as plain pickle refuses it: its cell re-runs.
                raise pickle.PicklingError(
                    "a memoryview cannot be stored (it would load as a copy, not a view)"
                )
            if isinstance(obj, types.CodeType):
                # cloudpickle's own reduction, tagged with the bytecode's version.
                constructor, args = self.dispatch_table[types.CodeType](obj)
                return (_code_object, (importlib.util.MAGIC_NUMBER, constructor, args))
            return (
                _reduce_bytes_view(obj, shared)
                or _reduce_array_view(obj)
                or super().reducer_override(obj)
            )

    found = _persistent_ids(buffers, globals_, large_bytes=False)
    if found is None:
        return NotebookAwarePickler(file, protocol=5, buffer_callback=buffers.append)
    ids: _PersistentId = found

    class WithPersistentIds(NotebookAwarePickler):
        def persistent_id(self, obj: Any) -> Any:  # noqa: ANN401 - pickle's protocol
            return ids(obj)

    pickler: pickle.Pickler = WithPersistentIds(file, protocol=5, buffer_callback=buffers.append)
    return pickler


def serialize_group(
    values: Mapping[str, object], globals_: ModuleGlobals | None = None
) -> SerializedGroup | Unserializable:
    """Pickles a group's members together, or says why it cannot be stored.

    `globals_`: the modules' globals (`module_globals`), written as references to them.
    """
    shared_globals = globals_ or {}
    for name, value in values.items():
        if notebook_definition(value):
            return Unserializable(
                f"`{name}` is defined in the notebook: its cell is re-run so it keeps the "
                "notebook's globals"
            )
    members = dict(values)
    try:
        return _dump(members, "pickle", shared_globals)
    except Exception as error:  # any failure of plain pickle: try cloudpickle
        # Only its text is kept: the exception's traceback reaches the caller's frames,
        # whose serialized groups hold exports of the live values (a bytearray could not
        # be resized until the cycle is collected).
        plain_failure = _describe(error)
    try:
        return _dump(members, "cloudPickle", shared_globals)
    except ImportError:
        return Unserializable(f"{plain_failure} (cloudpickle is not installed)")
    except Exception as error:  # the reason is reported, not raised
        return Unserializable(_describe(error))


def _dump(
    members: dict[str, object], serializer: Serializer, globals_: ModuleGlobals
) -> SerializedGroup:
    file = io.BytesIO()
    buffers: list[pickle.PickleBuffer] = []
    shared = shared_bytearrays(members.values())
    if serializer == "cloudPickle":
        _cloud_pickler(file, buffers, shared, globals_).dump(members)
    else:
        ids = _persistent_ids(buffers, globals_, holds_large_bytes(members.values()))
        if ids is None:
            _Pickler(file, buffers, shared).dump(members)
        else:
            _PersistentPickler(file, buffers, shared, ids).dump(members)
    # `raw()` needs contiguous buffers; numpy only makes contiguous ones out of band, but
    # a third-party type might not, so check now rather than at write time.
    for buffer in buffers:
        buffer.raw()
    return SerializedGroup(serializer, file.getvalue(), buffers)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class _StagingUnpickler(pickle.Unpickler):
    """Resolves the notebook's definitions (``__main__.<name>``) in the restoring namespace."""

    def __init__(
        self, stream: bytes | bytearray, namespace: Mapping[str, object], buffers: list[bytearray]
    ) -> None:
        self._buffers = BufferLoads(buffers)
        self._globals = ModuleGlobalLoads()
        super().__init__(io.BytesIO(stream), buffers=self._buffers)
        self.namespace = namespace

    def persistent_load(self, pid: Any) -> Any:  # noqa: ANN401 - pickle's protocol
        if ModuleGlobalLoads.owns(pid):
            return self._globals.persistent_load(pid)
        return self._buffers.persistent_load(pid)

    def find_class(self, module: str, name: str) -> Any:  # noqa: ANN401 - any global
        if module != "__main__":
            return super().find_class(module, name)
        head, *rest = name.split(".")
        if head not in self.namespace:
            raise LoadError(f"`{name}`, defined in the notebook, is not restored yet")
        target = self.namespace[head]
        for part in rest:
            target = getattr(target, part)
        return target


def load_group(blobs: list[bytearray], namespace: Mapping[str, object]) -> dict[str, object]:
    """Unpickles a stored group from its blobs; raises `LoadError` saying why it cannot."""
    if not blobs:
        raise LoadError("the group has no pickle stream")
    try:
        members = _StagingUnpickler(blobs[0], namespace, blobs[1:]).load()
    except LoadError:
        raise
    except Exception as error:
        raise LoadError(_describe(error)) from error
    if not isinstance(members, dict) or not all(isinstance(k, str) for k in members):
        raise LoadError(f"the pickle stream holds a {type(members).__name__}, not the members")
    return members
