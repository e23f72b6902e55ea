"""The public checkpoint and restore operations on an IPython session.

``elastic_notebook.checkpoint(path)`` and ``elastic_notebook.restore(path)`` do what the
magics ``%checkpoint`` and ``%restore`` do, for code that drives a shell.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from elastic_notebook import magics
from elastic_notebook.restore import RestoreReport, restore_session
from elastic_notebook.save import (
    CheckpointReport,
    PlannedCheckpoint,
    plan_checkpoint,
    take_checkpoint,
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
) -> CheckpointReport:
    """Writes a checkpoint of the session to `path`, atomically.

    The file is written to a temp file, verified, then renamed over `path`. `mode` is
    "optimal" (store or recompute, whichever restores faster), "storeAll" or
    "recomputeAll"; `bandwidth` in bytes/s (measured beside `path` when None). Raises
    `CheckpointError` if the file cannot be written; any previous file stays.
    """
    recorder = _recorder(_shell(shell))
    recorder.skip_current_cell()
    return take_checkpoint(recorder, path, mode=mode, bandwidth=bandwidth, progress=progress)


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
    return restore_session(_recorder(target), path, progress=progress)


def preview(
    *,
    shell: Any = None,  # noqa: ANN401 - any InteractiveShell
    mode: PlanMode = "optimal",
    bandwidth: float | None = None,
) -> PlannedCheckpoint:
    """What a checkpoint now would store and recompute (serializes in memory, writes nothing)."""
    return plan_checkpoint(_recorder(_shell(shell)), mode=mode, bandwidth=bandwidth)
