"""Taking a checkpoint of a recorded session: group, measure, plan, write.

1. The live variables are grouped into co-variables (values that share objects), from
   what the recorder saw each value reach (taken again only for values it has not seen).
2. Each group is serialized once, in memory, which gives its exact size and tells which
   groups cannot be stored; large buffers stay views of the live objects (zero copy).
3. The core plans what to store and what to recompute, by the measured or given bandwidth.
4. The stored groups stream into the core's writer: for a file, a temp file beside the
   target, synced and verified, then renamed over it; for a store (``idb://``), chunks
   straight into the store, the checkpoint made visible by one last transaction. Any
   failure leaves the previous checkpoint.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from elastic_notebook.bandwidth import measure_bandwidth
from elastic_notebook.checkpoint import CheckpointError
from elastic_notebook.core import (
    CheckpointWriterHandle,
    HistoryHandle,
    StoreWriterHandle,
    new_checkpoint_writer,
    version,
)
from elastic_notebook.fingerprint import covariable_groups
from elastic_notebook.module_globals import globals_reached, module_globals, with_modules
from elastic_notebook.process_state import capture
from elastic_notebook.progress import Progress, counted
from elastic_notebook.recorder import StateChange, outside_record
from elastic_notebook.serialize import SerializedGroup, Unserializable, serialize_group

if TYPE_CHECKING:
    from elastic_notebook._core import (
        CheckpointHeadDict,
        CostModelDict,
        GroupSpecDict,
        PlanDict,
        PlanMode,
    )
    from elastic_notebook.recorder import Recorder

#: Largest slice handed to the core at once: bounds the copy the binding makes. A store's
#: writer takes each blob a chunk at a time, cut at its `chunk_size` instead.
WRITE_SLICE = 8 * 1024 * 1024
#: Fixed cost of storing one group, in the core's cost model.
PER_GROUP_NS = 50_000
#: Runtime of the cells that changed a module's state above which a checkpoint stores
#: the module by name (losing that state, and saying so) rather than have every restore
#: re-run them: settings cells take milliseconds; a training cell that also sets
#: ``torch.backends.cudnn.benchmark = True`` should not run again to bring it back.
MODULE_RERUN_LIMIT_NS = 1_000_000_000

#: Co-variable groups (member names), each serialized or with why it cannot be.
_Measured = list[tuple[list[str], SerializedGroup | Unserializable]]


@dataclass(frozen=True)
class GroupPlan:
    """One co-variable group, measured, and what a checkpoint does with it."""

    names: list[str]
    size: int
    stored: bool
    #: Why it cannot be stored, if it cannot.
    unserializable: str | None


@dataclass(frozen=True)
class PlannedCheckpoint:
    """The plan for the current namespace, with the serialized groups it stores."""

    groups: list[GroupPlan]
    plan: PlanDict
    cost_model: CostModelDict
    serialized: dict[int, SerializedGroup]
    #: The history the checkpoint holds: the session's, or a copy of it that deletes
    #: `left_out` in a last record, so the checkpoint restores what it can and says so.
    history: HistoryHandle
    #: Variables no restore could bring back, by name, with why: they cannot be pickled,
    #: and no cell a restore may re-run made them (`_without_unrestorable`).
    left_out: dict[str, str] = field(default_factory=dict)
    #: Values stored by name (modules, a library's classes and functions) whose state
    #: cells changed, stored by their name all the same: each variable, with why the
    #: cells that changed it are not re-run (`_stored_by_name_if_needed`).
    state_not_carried: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckpointReport:
    """What `checkpoint` did."""

    path: str
    #: The checkpoint's identity (root hash, hex).
    root: str
    #: Variables stored in the file.
    stored: list[str]
    #: Variables a restore recomputes by re-running cells.
    recomputed: list[str]
    #: Bytes of the file.
    file_bytes: int
    seconds: float
    #: In a store (``idb://``): the bytes it did not hold yet and took; None for a file.
    new_bytes: int | None = None
    #: Variables left out: they can be neither stored nor recomputed (`PlannedCheckpoint`).
    left_out: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        """The one-line report the magic prints."""
        where = self.path if self.new_bytes is None else f"{self.path} (id {self.root[:12]})"
        new = "" if self.new_bytes is None else f" ({self.new_bytes / 1e6:,.2f} MB new)"
        return (
            f"elastic-notebook: checkpoint {where}: stored "
            f"{counted(len(self.stored), 'variable')}, recompute {len(self.recomputed)}, "
            f"{self.file_bytes / 1e6:,.2f} MB"
            f"{new} in {self.seconds:.2f} s"
        )


def plan_checkpoint(
    recorder: Recorder,
    *,
    mode: PlanMode = "optimal",
    bandwidth: float | None = None,
    directory: str = ".",
    rerun_file_reads: bool = False,
) -> PlannedCheckpoint:
    """Groups, serializes and plans the recorded session's live variables (writes nothing).

    An optimal plan re-runs a cell that reads files only for values it cannot store,
    unless `rerun_file_reads` (the files will be where the restore runs).
    """
    namespace = recorder.user_namespace()  # first: it records changes made outside cells
    history = recorder.history
    running = recorder.running_cell_record()
    if running is not None:  # taken from a cell's code: the cell so far, in a copy
        history = history.copy()
        history.record_cell(running)
    live = history.live_names()
    present = {name: namespace[name] for name in live if name in namespace}
    # The recorder's reach of each value is current for every value a cell touched.
    reaches = {name: recorder.current(name, value).reached() for name, value in present.items()}
    shared_globals = module_globals(recorder.shell.user_ns)
    groups = covariable_groups(with_modules(reaches, shared_globals))
    # Live in the history but gone from the namespace (deleted behind the recorder's
    # back): only re-running can bring them back.
    groups += [[name] for name in live if name not in namespace]
    measured: _Measured = [
        (
            names,
            serialize_group(
                {name: present[name] for name in names},
                globals_reached(shared_globals, [reaches[name].objects for name in names]),
            )
            if all(name in present for name in names)
            else Unserializable("not in the namespace any more"),
        )
        for names in groups
    ]
    measured, by_name = _changed_by_name(recorder, measured, present)
    history.set_groups(_specs(measured))
    state_not_carried = _stored_by_name_if_needed(
        recorder,
        history,
        measured,
        by_name,
        recompute_all=mode == "recomputeAll",
        rerun_file_reads=rerun_file_reads,
    )
    history, measured, left_out = _without_unrestorable(history, measured)
    rate = bandwidth if bandwidth is not None else measure_bandwidth(directory)
    model: CostModelDict = {
        "writeBandwidth": rate,
        "readBandwidth": rate,
        "perGroupNs": PER_GROUP_NS,
    }
    # Cells that read files are re-run only for what cannot be stored: a restore in another
    # browser or on another machine does not have the files.
    avoid = (
        [cell for cell, code in enumerate(history.cell_codes()) if recorder.file_reads_of(code)]
        if mode == "optimal" and not rerun_file_reads
        else []
    )
    plan = history.plan(mode, model, avoid or None)
    stored = set(plan["store"])
    return PlannedCheckpoint(
        groups=[
            GroupPlan(
                names,
                0 if isinstance(result, Unserializable) else result.size,
                index in stored,
                result.reason if isinstance(result, Unserializable) else None,
            )
            for index, (names, result) in enumerate(measured)
        ],
        plan=plan,
        cost_model=model,
        serialized={
            index: result
            for index, (_, result) in enumerate(measured)
            if index in stored and isinstance(result, SerializedGroup)
        },
        history=history,
        left_out=left_out,
        state_not_carried=state_not_carried,
    )


def _changed_by_name(
    recorder: Recorder, measured: _Measured, present: dict[str, object]
) -> tuple[_Measured, dict[int, tuple[SerializedGroup, list[StateChange]]]]:
    """`measured` with the groups refused that hold a value cells changed, stored by name.

    Such a value (`Recorder.changed_by_name`: a module, a library's class or function)
    is stored by its name: loading imports it afresh, without what cells set in it
    (``mod.SCALE = 10``), and a cell re-run against it computes with the defaults. Its
    group is recomputed instead, by re-running its import and the cells that changed it
    (recorded as changing it). The second result keeps each refused group's serialized
    copy and the cells that changed it, by position, for `_stored_by_name_if_needed`.
    """
    if not recorder.changed_by_name:
        return measured, {}
    refused: _Measured = []
    by_name: dict[int, tuple[SerializedGroup, list[StateChange]]] = {}
    for index, (names, result) in enumerate(measured):
        changes = [c for n in names if n in present for c in recorder.state_changes_of(present[n])]
        if changes and isinstance(result, SerializedGroup):
            by_name[index] = (result, changes)
            first = changes[0].code.strip().splitlines()[0][:60]
            result = Unserializable(
                f"cells changed its state (`{first}`), which storing it by name "
                "would not bring back"
            )
        refused.append((names, result))
    return refused, by_name


def _stored_by_name_if_needed(
    recorder: Recorder,
    history: HistoryHandle,
    measured: _Measured,
    by_name: dict[int, tuple[SerializedGroup, list[StateChange]]],
    *,
    recompute_all: bool,
    rerun_file_reads: bool,
) -> dict[str, str]:
    """Stores by name the refused groups whose changes no restore should re-run.

    Those are groups no restore can recompute (a cell that changed one cannot re-run:
    it drew from a global generator, or was bound outside cells); and but for
    --recompute-all, those changed by a cell that reads files (unless
    --rerun-file-reads: a restore elsewhere does not have them) and those whose changing
    cells took more than `MODULE_RERUN_LIMIT_NS`. Storing them by name keeps the module
    (class, function), without that state. `measured` is updated in place, and the
    history's groups with it; the result names each such group's variables, with why.
    """
    if not by_name:
        return {}
    unrestorable = set(history.unrestorable_names())
    not_carried: dict[str, str] = {}
    for index, (serialized, changes) in by_name.items():
        names = measured[index][0]
        reads = [r for c in changes for r in recorder.file_reads_of(c.code)]
        runtime_ns = sum(c.runtime_ns for c in changes)
        if unrestorable.intersection(names):
            why = "the cells that made or changed it cannot re-run"
        elif reads and not (recompute_all or rerun_file_reads):
            why = (
                f"the cell that changed it reads files ({', '.join(sorted(set(reads)))}); "
                "a setting in a cell of its own comes back"
            )
        elif runtime_ns > MODULE_RERUN_LIMIT_NS and not recompute_all:
            why = f"re-running the cells that changed it would take {runtime_ns / 1e9:.1f} s"
        else:
            continue
        measured[index] = (names, serialized)
        not_carried.update(dict.fromkeys(names, why))
    if not_carried:
        history.set_groups(_specs(measured))
    return not_carried


def _without_unrestorable(
    history: HistoryHandle, measured: _Measured
) -> tuple[HistoryHandle, _Measured, dict[str, str]]:
    """The grouped `history` and `measured` groups without what no restore could bring back.

    Those are groups that cannot be pickled and that no cell a restore may re-run made
    (they were bound between cells, before recording started, or by a cell that takes
    checkpoints): a copy of the history deletes them in a last record, so the checkpoint
    restores everything else and its history says what it left out, and why (the third
    result, by name).
    """
    unrestorable = set(history.unrestorable_names())
    if not unrestorable:
        return history, measured, {}
    left_out = {
        name: result.reason
        for names, result in measured
        if unrestorable.intersection(names) and isinstance(result, Unserializable)
        for name in names
    }
    history = history.copy()
    history.record_cell(
        outside_record(
            "left out of this checkpoint (cannot be stored or recomputed)", [], sorted(left_out)
        )
    )
    kept = [(names, result) for names, result in measured if names[0] not in left_out]
    history.set_groups(_specs(kept))
    return history, kept, left_out


def _specs(measured: _Measured) -> list[GroupSpecDict]:
    """The core's group specs (ids are positions) of serialized or refused groups."""
    return [
        {"names": names, "size": 0, "serializable": False}
        if isinstance(result, Unserializable)
        else {"names": names, "size": result.size, "serializable": True}
        for names, result in measured
    ]


def take_checkpoint(
    recorder: Recorder,
    path: str | os.PathLike[str],
    *,
    mode: PlanMode = "optimal",
    bandwidth: float | None = None,
    progress: bool = True,
    rerun_file_reads: bool = False,
) -> CheckpointReport:
    """Writes a checkpoint of the recorded session to the file `path`, atomically.

    Raises `CheckpointError` (the previous file at `path` is untouched) if writing fails.
    """
    target = Path(path)
    directory = str(target.parent if str(target.parent) else ".")
    if not Path(directory).is_dir():
        raise CheckpointError(f"cannot write {target}: {directory} is not a directory")
    return write_checkpoint(
        recorder,
        str(target),
        lambda: new_checkpoint_writer(target),
        mode=mode,
        bandwidth=bandwidth,
        directory=directory,
        progress=progress,
        rerun_file_reads=rerun_file_reads,
    )


def write_checkpoint(
    recorder: Recorder,
    label: str,
    open_writer: Callable[[], CheckpointWriterHandle],
    *,
    mode: PlanMode = "optimal",
    bandwidth: float | None = None,
    directory: str = ".",
    progress: bool = True,
    rerun_file_reads: bool = False,
) -> CheckpointReport:
    """Plans a checkpoint of the recorded session, then writes it with `open_writer()`.

    `label` names the target in the report and errors; the bandwidth is measured in
    `directory` unless given. The writer is opened only once the plan is made and is
    written to without pause (a store's transaction stays open only that long). Raises
    `CheckpointError` (the previous checkpoint untouched) if writing fails.
    """
    started = time.perf_counter()
    planned = plan_checkpoint(
        recorder,
        mode=mode,
        bandwidth=bandwidth,
        directory=directory,
        rerun_file_reads=rerun_file_reads,
    )
    _warn_about(
        "left out of the checkpoint: they cannot be stored, and no cell a restore may "
        "re-run made them (they were bound between cells, before recording started, or "
        "by a cell that takes checkpoints)",
        planned.left_out,
    )
    _warn_about(
        "stored by name, without the state cells set in them (a restore imports them afresh)",
        planned.state_not_carried,
    )
    total = sum(group.size for group in planned.serialized.values())
    meter = Progress("saving", total, enabled=progress)
    writer = open_writer()
    store_writer = writer if isinstance(writer, StoreWriterHandle) else None
    piece_size = WRITE_SLICE if store_writer is None else store_writer.chunk_size
    try:
        for group_id in sorted(planned.serialized):
            group = planned.serialized[group_id]
            writer.begin_group(group_id, group.serializer)
            for blob in group.blobs():
                writer.begin_blob()
                for start in range(0, blob.nbytes, piece_size):
                    piece = blob[start : start + piece_size]
                    writer.write(piece)
                    meter.advance(piece.nbytes)
                writer.end_blob()
            writer.end_group()
        head: CheckpointHeadDict = {
            "plan": planned.plan,
            "costModel": planned.cost_model,
            "producer": {
                "coreVersion": version(),
                "pythonVersion": platform.python_version(),
                "pythonImplementation": sys.implementation.name,
                "platform": sys.platform,
            },
            "createdUnixMs": int(time.time() * 1000),
            "extra": capture(recorder.sys_path_at_start, recorder.future_at_start),
        }
        if recorder.last_root is not None:
            head["parent"] = recorder.last_root
        verified = writer.finish(planned.history, head)
    except BaseException as error:
        writer.abort()
        if isinstance(error, Exception) and not isinstance(error, CheckpointError):
            raise CheckpointError(
                f"cannot write {label} ({type(error).__name__}: {error}); "
                "any previous checkpoint there is untouched"
            ) from error
        raise
    recorder.last_root = verified["root"]
    stored = sorted(n for g in planned.groups if g.stored for n in g.names)
    return CheckpointReport(
        path=label,
        root=verified["root"],
        stored=stored,
        recomputed=sorted(n for g in planned.groups if not g.stored for n in g.names),
        file_bytes=int(verified["fileLen"]),
        seconds=time.perf_counter() - started,
        new_bytes=None if store_writer is None else store_writer.new_bytes,
        left_out=sorted(planned.left_out),
    )


def _warn_about(message: str, reasons: dict[str, str]) -> None:
    """Warns `message`, then each variable of `reasons` with why, if there is any."""
    if reasons:
        why = ", ".join(f"{name} ({reason})" for name, reason in sorted(reasons.items()))
        _warn(f"{message}: {why}")


def _warn(message: str) -> None:
    print(f"elastic-notebook: {message}", file=sys.stderr)
