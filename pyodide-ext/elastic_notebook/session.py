"""The public checkpoint and restore operations on an IPython session.

``elastic_notebook.checkpoint(path)`` and ``elastic_notebook.restore(path)`` do what the
magics ``%checkpoint`` and ``%restore`` do, for code that drives a shell.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elastic_notebook import magics
from elastic_notebook.checkpoint import CheckpointError
from elastic_notebook.core import open_checkpoint
from elastic_notebook.restore import RestoreError, RestoreReport, restore_session
from elastic_notebook.save import (
    CheckpointReport,
    PlannedCheckpoint,
    plan_checkpoint,
    take_checkpoint,
    write_checkpoint,
)
from elastic_notebook.store import (
    Deleted,
    StoreRecord,
    StoreTarget,
    UnfinishedCheckpoint,
    browser_store,
    delete,
    find,
    parse_target,
    write_file,
)

if TYPE_CHECKING:
    from elastic_notebook._core import PlanMode
    from elastic_notebook.recorder import Recorder

#: Where `%checkpoint` and `%restore` write and read without a path.
DEFAULT_PATH = "notebook.ckpt"


def _shell(shell: Any) -> Any:  # noqa: ANN401 - any InteractiveShell
    if shell is not None:
        return shell
    from IPython import get_ipython

    current = get_ipython()
    if current is None:
        raise RuntimeError("elastic-notebook works inside IPython or Jupyter: no shell is running")
    return current


def _recorder(shell: Any) -> Recorder:  # noqa: ANN401 - any InteractiveShell
    recorder = magics.recorder_of(shell)
    if recorder is None:
        raise RuntimeError(
            "nothing is recorded in this shell: run `%load_ext elastic_notebook` first "
            "(or use the 'Python 3 (elastic-notebook)' kernel)"
        )
    return recorder


def checkpoint(
    path: str | os.PathLike[str] = DEFAULT_PATH,
    *,
    shell: Any = None,  # noqa: ANN401 - any InteractiveShell
    mode: PlanMode = "optimal",
    bandwidth: float | None = None,
    progress: bool = True,
    rerun_file_reads: bool = False,
) -> CheckpointReport:
    """Writes a checkpoint of the session to `path` (a file, or ``idb://NAME``), atomically.

    A file is written to a temp file, verified, then renamed over `path`. ``idb://NAME``
    (in the browser) stores it in IndexedDB under NAME, adding only chunks the store does
    not hold; it becomes visible in one transaction, with all of them. `mode` is
    "optimal" (store or recompute, whichever restores faster), "storeAll" or
    "recomputeAll"; `bandwidth` in bytes/s (measured beside `path` when None). An optimal
    plan stores what cells that read files made (a restore elsewhere lacks the files)
    unless `rerun_file_reads`. Raises `CheckpointError` if it cannot be written; any
    previous checkpoint stays.
    """
    recorder = _recorder(_shell(shell))
    # A cell that takes a checkpoint must never run again in a restore: it is recorded,
    # but as one that cannot re-run, so what it made is stored.
    recorder.never_rerun_current_cell()
    target = parse_target(path)
    if isinstance(target, Path):
        return take_checkpoint(
            recorder,
            target,
            mode=mode,
            bandwidth=bandwidth,
            progress=progress,
            rerun_file_reads=rerun_file_reads,
        )
    store = browser_store()
    # The bandwidth is measured in memory (the kernel's temp dir), as the store's writer
    # works: see ARCHITECTURE.md.
    return write_checkpoint(
        recorder,
        str(target),
        lambda: store.checkpoint_writer(target.name),
        mode=mode,
        bandwidth=bandwidth,
        directory=tempfile.gettempdir(),
        progress=progress,
        rerun_file_reads=rerun_file_reads,
    )


def export(source: str, path: str | os.PathLike[str]) -> StoreRecord:
    """Writes the stored checkpoint `source` (``idb://NAME`` or ``idb://ID``) to a file.

    The file is put back together, verified and renamed over `path` atomically.
    """
    target = parse_target(source)
    if not isinstance(target, StoreTarget):
        raise CheckpointError(f"export reads a stored checkpoint (idb://NAME), not {source}")
    store = browser_store()
    record = find(store, target.name)
    write_file(store, record, Path(path))
    return record


def stored_checkpoints() -> list[StoreRecord]:
    """Every checkpoint in the browser's store."""
    return browser_store().records()


def unfinished_checkpoints() -> list[UnfinishedCheckpoint]:
    """The checkpoints being stored, or left unfinished, in the browser's store."""
    return browser_store().unfinished()


def delete_stored(source: str) -> Deleted:
    """Deletes stored checkpoints: every one of ``idb://NAME``, or the one ``idb://ID`` names.

    The chunks no remaining checkpoint shares are deleted with them, in one transaction.
    """
    target = parse_target(source)
    if not isinstance(target, StoreTarget):
        raise CheckpointError(
            f"--delete takes a stored checkpoint (idb://NAME or idb://ID), not {source}"
        )
    return delete(browser_store(), target.name)


def restore(
    path: str | os.PathLike[str] = DEFAULT_PATH,
    *,
    shell: Any = None,  # noqa: ANN401 - any InteractiveShell
    progress: bool = True,
) -> RestoreReport:
    """Restores the session checkpointed at `path`, replacing this session's variables.

    Starts recording if the extension is not loaded yet, and recording continues from
    the restored history. Raises `RestoreError` if it cannot restore; the namespace is
    then unchanged.
    """
    target = _shell(shell)
    magics.load(target)
    source = parse_target(path)
    if isinstance(source, Path):
        return restore_session(
            _recorder(target), str(source), lambda: open_checkpoint(source), progress=progress
        )
    try:
        store = browser_store()
        record = find(store, source.name)
        return restore_session(
            _recorder(target),
            str(source),
            lambda: store.checkpoint_reader(record),
            progress=progress,
        )
    except CheckpointError as error:
        raise RestoreError(str(error)) from error


def preview(
    *,
    shell: Any = None,  # noqa: ANN401 - any InteractiveShell
    mode: PlanMode = "optimal",
    bandwidth: float | None = None,
) -> PlannedCheckpoint:
    """What a checkpoint now would store and recompute (serializes in memory, writes nothing)."""
    return plan_checkpoint(_recorder(_shell(shell)), mode=mode, bandwidth=bandwidth)
