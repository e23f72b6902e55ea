"""Restoring a checkpoint into a shell: load and replay, fall back, commit or roll back.

The restore replaces the session's variables with the checkpoint's. It runs the core's
restore steps in order in the shell's own namespace (so functions defined by re-run
cells keep the notebook's globals) after setting the session's variables aside; the
namespace is a staging area until every live variable is back, and any failure puts
the saved namespace back exactly as it was.

- A stored group that fails to load (a missing module, another Python version, a damaged
  chunk) is recomputed instead: the core replans with that group recomputed, and the
  replay starts again from the saved state. The report names it and says why.
- A re-run cell that raises (and did not raise when it was recorded) stops the restore;
  the error names the cell, its exception and the variables that could not be restored.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from elastic_notebook.awaiting import compile_cell, run_cell_code
from elastic_notebook.checkpoint import SessionError
from elastic_notebook.core import CheckpointReaderHandle
from elastic_notebook.future_imports import features_before_each
from elastic_notebook.process_state import (
    future_features,
    set_random_states,
    with_sys_path_entries,
)
from elastic_notebook.progress import Progress, counted
from elastic_notebook.serialize import LoadError, load_group

if TYPE_CHECKING:
    from elastic_notebook._core import RestoreStepDict
    from elastic_notebook.recorder import Recorder


class RestoreError(SessionError):
    """A checkpoint could not be restored; the namespace is as it was before."""

    def __init__(self, message: str, missing: dict[str, str] | None = None) -> None:
        """`missing`: each variable that could not be restored, with why."""
        super().__init__(message)
        self.missing = missing or {}


@dataclass(frozen=True)
class RestoreReport:
    """What `restore` did."""

    path: str
    #: The checkpoint's identity (root hash, hex).
    root: str
    #: Variables loaded from the file.
    loaded: list[str]
    #: Variables recomputed by re-running cells (planned, or as a fallback).
    recomputed: list[str]
    #: Variables whose stored copy failed to load, with why; they are recomputed.
    fallbacks: dict[str, str] = field(default_factory=dict)
    #: Cells re-run.
    rerun_cells: int = 0
    #: Variables of the session before the restore that the checkpoint does not have.
    dropped: list[str] = field(default_factory=list)
    #: Process state the checkpoint carries that was not put back, with why
    #: (`process_state.set_random_states`).
    not_carried: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def __str__(self) -> str:
        """The report the magic prints: one line, then one per fallback."""
        lines = [
            f"elastic-notebook: restored {self.path}: loaded "
            f"{counted(len(self.loaded), 'variable')}, recomputed {len(self.recomputed)} "
            f"({counted(self.rerun_cells, 'cell')} re-run) "
            f"in {self.seconds:.2f} s"
        ]
        lines += [
            f"  {name}: its stored copy did not load ({why}); recomputed instead"
            for name, why in sorted(self.fallbacks.items())
        ]
        if self.dropped:
            lines.append(f"  replaced this session's variables: {', '.join(self.dropped)}")
        lines += [f"  not restored: the state of {what}" for what in self.not_carried]
        return "\n".join(lines)


@dataclass
class _LoadFailed:
    """A group's stored copy that did not load."""

    group: int
    names: list[str]
    reason: str


class _Replay:
    """One pass over restore steps in the shell's namespace."""

    def __init__(
        self,
        recorder: Recorder,
        reader: CheckpointReaderHandle,
        meter: Progress,
        sources: list[str],
        features: list[int],
    ) -> None:
        """Replays into `recorder`'s shell.

        `sources`: the code of every recorded cell, for the errors' hints; `features`: the
        future features each cell was compiled with (`future_imports`).
        """
        self.recorder = recorder
        self.reader = reader
        self.meter = meter
        self.sources = sources
        self.features = features
        self.loaded: list[str] = []
        self.rerun_cells = 0

    def run(self, steps: list[RestoreStepDict]) -> _LoadFailed | None:
        """Runs `steps`; returns the first group that failed to load, if any.

        Raises `RestoreError` if a re-run cell raises where it did not when recorded.
        """
        namespace = self.recorder.shell.user_ns
        for index, step in enumerate(steps):
            if step["kind"] == "load":
                names = step["names"]
                try:
                    blobs = [
                        self.reader.read_blob(step["group"], blob) for blob in range(step["blobs"])
                    ]
                    self.meter.advance(sum(len(blob) for blob in blobs))
                    members = load_group(blobs, namespace)
                except (LoadError, ValueError) as error:
                    return _LoadFailed(step["group"], names, str(error))
                if sorted(members) != sorted(names):
                    return _LoadFailed(step["group"], names, "the stored names do not match")
                namespace.update(members)
                self.loaded += names
            else:
                self.rerun_cells += 1
                self._run_cell(step, steps[index + 1 :])
        return None

    def _run_cell(self, step: RestoreStepDict, later: list[RestoreStepDict]) -> None:
        shell = self.recorder.shell
        output = io.StringIO()
        try:
            source = shell.transform_cell(step["code"])
            code = compile_cell(
                source,
                f"<elastic-notebook restore: cell {step['cell']}>",
                self.features[step["cell"]],
            )
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                run_cell_code(code, shell.user_ns, shell.loop_runner)
        except Exception as error:
            if not step["success"]:
                return  # it failed when recorded too; its effects up to there are back
            later_loads = {n for s in later if s["kind"] == "load" for n in s["names"]}
            why = f"re-running cell {step['cell']} raised {type(error).__name__}: {error}"
            missing = {
                name: why
                for name in self.reader.history().live_names()
                if name not in self.loaded and name not in later_loads
            }
            first_line = (step["code"].strip().splitlines() or [""])[0][:60]
            raise RestoreError(
                f"cannot restore: {why} (cell: `{first_line}`). Variables not restored: "
                f"{', '.join(sorted(missing)) or '-'}. The namespace is unchanged."
                + _missing_file_hint(error)
                + _missing_module_hint(error, self.sources),
                missing,
            ) from error


def _missing_file_hint(error: Exception) -> str:
    """What to do when a re-run cell did not find a file (else empty).

    A checkpoint re-runs the cells it may (cheap, or not storable); one that reads a file
    needs it where the restore runs: a browser's files are not on the desktop.
    """
    if not isinstance(error, FileNotFoundError) or error.filename is None:
        return ""
    return (
        f" The cell reads {os.fsdecode(error.filename)!r}, which is not here (working "
        f"directory {os.getcwd()}): put it there and restore again. (A checkpoint taken "
        "with --store-all re-runs only cells whose values cannot be stored, such as file "
        "objects.)"
    )


#: A line that installs packages: a magic or shell command (`%pip install`, `!pip
#: install`, `%conda install`), or JupyterLite's and Pyodide's installers.
_INSTALL_LINE = re.compile(
    r"^\s*(?:[%!]{1,2}\s*(?:pip3?|conda|mamba|micromamba|uv\s+pip)\s+install\b"
    r"|.*\b(?:micropip|piplite)\.install\()"
)


def _missing_module_hint(error: Exception, sources: list[str]) -> str:
    """What to do when a re-run cell did not find a module (else empty).

    A restore needs the session's packages where it runs; if the session installed some
    (`%pip install seaborn`), that is what to run first.
    """
    if not isinstance(error, ModuleNotFoundError):
        return ""
    installs = [
        line.strip() for code in sources for line in code.splitlines() if _INSTALL_LINE.match(line)
    ]
    missing = f"{error.name!r} cannot be imported here" if error.name else "a module is missing"
    if not installs:
        return f" {missing}: install it (or put it where sys.path finds it), then restore again."
    more = f" (and {len(installs) - 1} more)" if len(installs) > 1 else ""
    return (
        f" {missing}; the session installed packages with `{installs[0]}`{more}: run that "
        "here, then restore again."
    )


def restore_session(
    recorder: Recorder,
    path: str,
    open_reader: Callable[[], CheckpointReaderHandle],
    *,
    progress: bool = True,
) -> RestoreReport:
    """Restores the checkpoint `path` names, opened by `open_reader()`; recording continues.

    Raises `RestoreError` (the namespace unchanged) if it cannot.
    """
    started = time.perf_counter()
    try:
        reader = open_reader()
        summary = reader.summary()
        steps = reader.restore_steps()
        history = reader.history()
    except (OSError, ValueError) as error:
        raise RestoreError(f"cannot restore {path}: {error}") from error
    live = history.live_names()
    namespace = recorder.shell.user_ns
    saved = dict(namespace)
    saved_sys_path = list(sys.path)
    try:
        carried_sys_path = with_sys_path_entries(saved_sys_path, summary["extra"])
        future_at_start = future_features(summary["extra"])
    except ValueError as error:
        raise RestoreError(f"cannot restore {path}: {error}") from error
    session_names = set(recorder.user_namespace())
    sources = [c["code"] for c in summary["cells"]]
    shell = recorder.shell
    features = features_before_each(
        (shell.transform_cell(code) if "__future__" in code else "" for code in sources),
        future_at_start,
    )
    meter = Progress("restoring", summary["storedBytes"], enabled=progress)
    fallbacks: dict[str, str] = {}
    failed: list[int] = []
    try:
        while True:
            _set_aside(namespace, saved, session_names)
            # Before the first step: a stored module (`mylib`) loads from these entries.
            sys.path[:] = carried_sys_path
            replay = _Replay(recorder, reader, meter, sources, features)
            failure = replay.run(steps)
            if failure is None:
                break
            failed.append(failure.group)
            fallbacks.update(dict.fromkeys(failure.names, failure.reason))
            try:
                steps = reader.fallback_steps(failed)
            except ValueError as error:
                raise RestoreError(
                    f"cannot restore {path}: {', '.join(failure.names)} did not "
                    f"load ({failure.reason}) and cannot be recomputed ({error}). "
                    "The namespace is unchanged.",
                    dict.fromkeys(failure.names, failure.reason),
                ) from error
        missing = sorted(name for name in live if name not in namespace)
        if missing:
            raise RestoreError(
                f"cannot restore {path}: the replay did not bind "
                f"{', '.join(missing)}. The namespace is unchanged.",
                dict.fromkeys(missing, "not bound by the replay"),
            )
        live_set = set(live)
        # Temporaries of re-run cells that later, not re-run, cells had deleted.
        for name in set(recorder.user_namespace()) - live_set:
            del namespace[name]
        sys.path[:] = carried_sys_path
    except BaseException:
        namespace.clear()
        namespace.update(saved)
        sys.path[:] = saved_sys_path
        raise
    not_carried = set_random_states(summary["extra"])
    # Later cells compile with the session's future imports, as they would have there.
    compiler = getattr(shell, "compile", None)
    if compiler is not None:
        compiler.flags |= features[-1]
    loaded = sorted(set(replay.loaded))
    recorder.adopt(
        history,
        root=reader.root,
        cells=sources,
        runtimes=[c["runtimeNs"] for c in summary["cells"]],
    )
    recorder.future_at_start = future_at_start
    return RestoreReport(
        path=path,
        root=reader.root,
        loaded=loaded,
        recomputed=sorted(live_set - set(loaded)),
        fallbacks=fallbacks,
        rerun_cells=replay.rerun_cells,
        dropped=sorted(session_names - live_set),
        not_carried=not_carried,
        seconds=time.perf_counter() - started,
    )


def _set_aside(namespace: dict[str, object], saved: dict[str, object], names: set[str]) -> None:
    """Resets `namespace` to `saved` without the session's variables `names`."""
    namespace.clear()
    namespace.update((k, v) for k, v in saved.items() if k not in names)
