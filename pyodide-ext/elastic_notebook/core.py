"""The core's operations, returning typed objects, on every host.

The names are those of the wasm module's JS API. The backend is the native module
``_core`` on CPython and the wasm module in Pyodide (``_pyodide``, imported only there);
it is loaded on first use, so ``import elastic_notebook`` stays cheap.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from functools import cache
from os import PathLike
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from elastic_notebook.analysis import CellAnalysis
from elastic_notebook.checkpoint import VerifyReport

if TYPE_CHECKING:
    from elastic_notebook._core import (
        CellAnalysisDict,
        CellRecordDict,
        CheckpointHeadDict,
        CheckpointSummaryDict,
        CostModelDict,
        GroupSpecDict,
        PlanDict,
        PlanMode,
        RestoreStepDict,
        Serializer,
        StoreLayoutDict,
        VerifyReportDict,
    )


class Hasher(Protocol):
    """An incremental blake3 hash of the core."""

    def update(self, data: bytes | memoryview) -> None:
        """Feeds a bytes-like object."""
        ...

    def digest(self) -> bytes:
        """The 32-byte digest of everything fed."""
        ...


class HistoryHandle(Protocol):
    """The core's history graph of one session (``_core.History`` or the wasm one)."""

    def record_cell(self, record: CellRecordDict) -> int:
        """Records one cell execution; returns its id."""
        ...

    def record_cells(self, records: list[CellRecordDict]) -> None:
        """Records cell executions in order (one conversion for the batch)."""
        ...

    def set_groups(self, specs: list[GroupSpecDict]) -> None:
        """Replaces the co-variable grouping of the live namespace."""
        ...

    def plan(
        self,
        mode: PlanMode,
        model: CostModelDict | None = None,
        avoid_rerun: list[int] | None = None,
    ) -> PlanDict:
        """Plans a checkpoint of the grouped live namespace.

        `avoid_rerun`: cells an optimal plan re-runs only for values it cannot store.
        """
        ...

    def cell_codes(self) -> list[str]:
        """The recorded cells' code, by cell id (the index)."""
        ...

    def live_names(self) -> list[str]:
        """The live variable names, sorted."""
        ...

    def unrestorable_names(self) -> list[str]:
        """Live variables no plan can restore (not serializable, made outside any cell)."""
        ...

    def copy(self) -> HistoryHandle:
        """An independent copy (a checkpoint that leaves variables out records that there)."""
        ...

    def to_mermaid(self) -> str:
        """The graph as Mermaid text."""
        ...


class CheckpointWriterHandle(Protocol):
    """A checkpoint file being written atomically (``_core.CheckpointWriter``)."""

    def begin_group(self, group: int, serializer: Serializer) -> None:
        """Starts the blobs of one stored group."""
        ...

    def begin_blob(self) -> None:
        """Starts a blob."""
        ...

    def write(self, data: memoryview) -> None:
        """Appends bytes to the open blob."""
        ...

    def end_blob(self) -> None:
        """Ends the open blob."""
        ...

    def end_group(self) -> None:
        """Ends the open group."""
        ...

    # `history` is the host's own history class (`HistoryHandle`); typed Any because each
    # host's writer takes only its own.
    def finish(self, history: Any, head: CheckpointHeadDict) -> VerifyReportDict:  # noqa: ANN401
        """Writes the manifest, syncs, verifies and renames the file into place."""
        ...

    def abort(self) -> None:
        """Gives up, leaving any previous file at the path untouched."""
        ...


@runtime_checkable
class StoreWriterHandle(CheckpointWriterHandle, Protocol):
    """A checkpoint being put into a content-addressed store (``idb://``).

    It takes each blob a chunk at a time: every `write` but a blob's last is exactly
    `chunk_size` bytes. `finish` commits the checkpoint with its new chunks.
    """

    #: Where blobs are cut: the core's chunk size.
    chunk_size: int

    @property
    def new_bytes(self) -> int:
        """Bytes this checkpoint adds to the store: chunks it lacked, and the frame."""
        ...


class CheckpointReaderHandle(Protocol):
    """An open, verified checkpoint file (``_core.CheckpointReader``)."""

    def summary(self) -> CheckpointSummaryDict:
        """What ``inspect`` shows."""
        ...

    def restore_steps(self) -> list[RestoreStepDict]:
        """The planned restore, step by step."""
        ...

    def fallback_steps(self, failed: list[int]) -> list[RestoreStepDict]:
        """The restore steps when the stored groups `failed` cannot be loaded."""
        ...

    def read_blob(self, group: int, index: int) -> bytearray:
        """A verified blob of a stored group."""
        ...

    def history(self) -> Any:  # noqa: ANN401 - the host's HistoryHandle class
        """The session's history, to continue recording after a restore."""
        ...

    @property
    def root(self) -> str:
        """The root hash (hex)."""
        ...

    def verify(self) -> VerifyReportDict:
        """Verifies every chunk; raises ValueError naming what is wrong."""
        ...

    def store_layout(self) -> StoreLayoutDict:
        """Where its parts lie in the file, for a content-addressed store."""
        ...


class IdSet(Protocol):
    """A set of object ids: the native ``_core.IdSet``, or a dict's keys (Python walk)."""

    def isdisjoint(self, other: Iterable[int]) -> bool:
        """Whether no id is in both."""
        ...

    def __contains__(self, key: object) -> bool:
        """Whether `key` is one of the ids."""
        ...

    def __iter__(self) -> Iterator[int]:
        """The ids."""
        ...

    def __len__(self) -> int:
        """How many ids."""
        ...


class WalkError(RuntimeError):
    """A native walk could not read a value: the value is walked in Python instead.

    Raised by Pyodide's heap walk when it meets what its layout does not describe.
    """


class ObjectWalkHandle(Protocol):
    """The native walk of a value's plain containers (``_core.ObjectWalk``, CPython only).

    It counts what it meets by the rules of `fingerprint.reach` and keeps every counted
    object alive, so ids stay unique while it lives.
    """

    def walk(self, roots: list[object]) -> tuple[list[object], list[object]]:
        """Walks through builtin containers; returns what it newly counted and left.

        That is the objects it did not enter (instances, arrays, opaque objects), and
        the large container subclasses of atoms, whose attributes it did not walk.
        """
        ...

    def count(self, value: object) -> bool:
        """Counts `value` without entering it; returns whether it was new."""
        ...

    def objects(self) -> IdSet:
        """The ids of everything counted, moved out of the walk: its last call."""
        ...


class Backend(Protocol):
    """What a host of the core provides: the core's operations on plain values and dicts."""

    # Named like the class `_core.Hasher`, which is how the native module provides it.
    def Hasher(self) -> Hasher:
        """A new incremental blake3 hash."""
        ...

    # Named like the class `_core.History`.
    def History(self) -> HistoryHandle:
        """A new, empty history."""
        ...

    # Named like the class `_core.CheckpointWriter`.
    def CheckpointWriter(self, path: str | PathLike[str]) -> CheckpointWriterHandle:
        """Starts writing a checkpoint that will replace `path` atomically."""
        ...

    # Named like the class `_core.CheckpointReader`.
    def CheckpointReader(self, path: str | PathLike[str]) -> CheckpointReaderHandle:
        """Opens a checkpoint file; raises ValueError if it is not an intact checkpoint."""
        ...

    def version(self) -> str:
        """The version of the core."""
        ...

    def file_readers(self) -> list[str]:
        """The last names of calls that read files (``open``, ``read_csv``, ``load``...)."""
        ...

    def analyze(self, code: str) -> CellAnalysisDict:
        """The analysis of one cell as the core's dict."""
        ...

    def verify_checkpoint(self, path: str | PathLike[str]) -> VerifyReportDict:
        """Fully verifies a checkpoint file; raises ValueError naming what is wrong."""
        ...

    def inspect_checkpoint(self, path: str | PathLike[str]) -> CheckpointSummaryDict:
        """What ``elastic-notebook inspect`` shows; raises ValueError if damaged."""
        ...


@cache
def backend() -> Backend:
    """The host's core, loaded once: the native module, or the wasm module in Pyodide."""
    if sys.platform == "emscripten":
        from elastic_notebook import _pyodide

        return _pyodide.load()
    try:
        from elastic_notebook import _core
    except ImportError as error:
        raise ImportError(
            "elastic_notebook._core (the native core) is missing: this is not a Pyodide "
            "runtime, so install the platform wheel (`pip install elastic-notebook` or "
            "`pip install ./pyodide-ext` from a clone)"
        ) from error
    return _core


def version() -> str:
    """The version of the core, e.g. ``"0.1.0"``."""
    return backend().version()


@cache
def file_readers() -> frozenset[str]:
    """The last names of calls that read files, as the core lists them (`file_reads`)."""
    return frozenset(backend().file_readers())


def analyze(code: str) -> CellAnalysis:
    """Analyses one cell's source (after IPython's transformation of magics).

    Never raises for any source: a cell that does not parse has ``parse_error`` set.

    >>> sorted(analyze("y = x + 1").reads)
    ['x']
    """
    return CellAnalysis.from_dict(backend().analyze(code))


def verify_checkpoint(path: str | PathLike[str]) -> VerifyReport:
    """Checks every byte of a ``.ckpt`` file against its hashes, without unpickling.

    Raises ``ValueError`` naming what is wrong (truncated, corrupted chunk, not a
    checkpoint, other format version).
    """
    return VerifyReport.from_dict(backend().verify_checkpoint(path))


def inspect_checkpoint(path: str | PathLike[str]) -> CheckpointSummaryDict:
    """What a verified ``.ckpt`` file holds: producer, cells, groups, plan, restore steps.

    Nothing is unpickled. Raises ``ValueError`` if the file is not an intact checkpoint.
    """
    return backend().inspect_checkpoint(path)


def new_hasher() -> Hasher:
    """A new incremental blake3 hash from the host's core (fingerprints of values)."""
    return backend().Hasher()


def new_object_walk() -> ObjectWalkHandle | None:
    """A native walk of plain containers, or None where there is none.

    On CPython it is the native module's; in Pyodide, whose wasm core cannot read Python
    objects, the heap walk of `_pyodide.walk` (a wasm module reading CPython's structs), if
    this Python's layout passed its check. With None, `fingerprint.reach` walks in
    Python, by the same rules.
    """
    walk_class = _object_walk_class()
    return None if walk_class is None else walk_class()


@cache  # asked before every reach
def python_walk_budget() -> float:
    """Container items up to which `fingerprint.reach` walks a value in Python first.

    0 with the native module's walk (a call into it costs less than a Python loop); in
    Pyodide, `_pyodide.walk.PYTHON_BUDGET`: every call into its module costs as much as
    walking hundreds of items in Python.
    """
    if sys.platform == "emscripten":
        from elastic_notebook._pyodide import walk

        return walk.PYTHON_BUDGET
    return 0


@cache
def _object_walk_class() -> Callable[[], ObjectWalkHandle] | None:
    if sys.platform == "emscripten":
        from elastic_notebook._pyodide import walk

        return walk.heap_walk_class()
    native: Any = backend()  # the native module: `backend()` explains when it is missing
    return native.ObjectWalk  # type: ignore[no-any-return]


def new_history() -> HistoryHandle:
    """A new, empty history graph from the host's core."""
    return backend().History()


def new_checkpoint_writer(path: str | PathLike[str]) -> CheckpointWriterHandle:
    """Starts a checkpoint file that replaces `path` only once it is complete and verified."""
    return backend().CheckpointWriter(path)


def open_checkpoint(path: str | PathLike[str]) -> CheckpointReaderHandle:
    """Opens a checkpoint file (header, manifest and root hash checked; chunks on read)."""
    return backend().CheckpointReader(path)
