"""The IPython extension: ``%load_ext elastic_notebook`` starts recording every cell.

Magics:

- ``%checkpoint [PATH | idb://NAME] [--store-all | --recompute-all] [--bandwidth RATE]
  [--rerun-file-reads]``,
  and ``%checkpoint --export idb://NAME PATH`` (a stored checkpoint out as a file)
- ``%restore [PATH | idb://NAME | idb://ID]``
- ``%checkpoints [--delete idb://REF]``: the checkpoints in the browser's store (IndexedDB),
  or delete some
- ``%elastic [-v]``: the recorded history and what a checkpoint now would do.
"""

from __future__ import annotations

import argparse
import shlex
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn

from elastic_notebook import process_state
from elastic_notebook.progress import duration
from elastic_notebook.recorder import Recorder

if TYPE_CHECKING:
    from elastic_notebook._core import PlanMode
    from elastic_notebook.save import PlannedCheckpoint

#: The recorder of each shell the extension is loaded in, by the shell's id.
_RECORDERS: dict[int, Recorder] = {}


def recorder_of(shell: Any) -> Recorder | None:  # noqa: ANN401 - any InteractiveShell
    """The recorder hooked to `shell`, if the extension is loaded there."""
    return _RECORDERS.get(id(shell))


class _HelpShown(Exception):
    """``--help`` was printed: the magic does nothing else."""


class _MagicParser(argparse.ArgumentParser):
    """argparse that reports errors as IPython usage errors instead of exiting.

    Each magic's parser is made once (`cache`): parsing leaves it unchanged, and making
    one took 10-13 ms in Pyodide (argparse's formatter reads the environment for colors).
    """

    def error(self, message: str) -> NoReturn:
        from IPython.core.error import UsageError

        raise UsageError(f"{self.prog}: {message}\n{self.format_usage()}")

    def exit(self, status: int = 0, message: str | None = None) -> NoReturn:
        if message:
            print(message)
        raise _HelpShown


@cache
def _checkpoint_parser() -> _MagicParser:
    parser = _MagicParser(
        prog="%checkpoint",
        description="Checkpoint the session: store what is cheaper to load than to "
        "recompute, and write it atomically (the previous file stays until the new one "
        "is verified). idb://NAME stores it in the browser's IndexedDB under NAME, adding "
        "only what the store does not hold yet; every stored checkpoint is kept "
        "(%%checkpoints lists them).",
    )
    parser.add_argument(
        "path",
        nargs="?",
        default="notebook.ckpt",
        help="a file, or idb://NAME in the browser (default: %(default)s)",
    )
    parser.add_argument(
        "--export",
        metavar="idb://NAME",
        help="write the stored checkpoint NAME (or ID) to PATH as a .ckpt file instead",
    )
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--store-all", action="store_true", help="store every variable that can be")
    modes.add_argument(
        "--recompute-all",
        action="store_true",
        help="re-run cells to restore; store only what no cell can give back the same "
        "(values drawn from the global random generators, changes made outside cells)",
    )
    parser.add_argument(
        "--bandwidth",
        metavar="RATE",
        help="storage speed for the plan, e.g. 100MB/s or 1.5GB/s (default: measured)",
    )
    parser.add_argument(
        "--rerun-file-reads",
        action="store_true",
        help="let the plan re-run cells that read files when that is cheaper than storing "
        "what they made (default: store it: a restore elsewhere lacks the files)",
    )
    return parser


@cache
def _restore_parser() -> _MagicParser:
    parser = _MagicParser(
        prog="%restore",
        description="Restore a checkpoint, replacing this session's variables. Nothing "
        "changes unless every variable is restored.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        default="notebook.ckpt",
        help="a file, idb://NAME (its latest) or idb://ID in the browser (default: %(default)s)",
    )
    return parser


@cache
def _checkpoints_parser() -> _MagicParser:
    parser = _MagicParser(
        prog="%checkpoints",
        description="List the checkpoints in the browser's store (IndexedDB), newest first, "
        "and the space unfinished ones hold (a tab closed mid-checkpoint), or delete some "
        "to free space.",
    )
    parser.add_argument(
        "--delete",
        metavar="idb://NAME|idb://ID",
        help="delete every checkpoint stored under NAME, or the one checkpoint ID names; "
        "chunks other checkpoints share are kept",
    )
    return parser


def _parse(parser: _MagicParser, line: str) -> argparse.Namespace | None:
    try:
        return parser.parse_args(shlex.split(line))
    except _HelpShown:
        return None


def load(shell: Any) -> None:  # noqa: ANN401 - any InteractiveShell
    """Starts recording `shell`'s cells and registers the magics; loading twice is a no-op."""
    if id(shell) in _RECORDERS:
        return
    recorder = Recorder(shell)
    recorder.register()
    _RECORDERS[id(shell)] = recorder

    def elastic(line: str) -> None:
        """%elastic [-v]: the history, and what a checkpoint now would store or recompute."""
        from elastic_notebook.session import preview

        recorder.never_rerun_current_cell()
        planned = preview(shell=shell) if recorder.history.live_names() else None
        print(describe(recorder, planned, verbose="-v" in line.split()))

    def checkpoint(line: str) -> None:
        """Checkpoints the session (the parser's help replaces this)."""
        from elastic_notebook.bandwidth import parse_bandwidth
        from elastic_notebook.session import checkpoint as take

        recorder.never_rerun_current_cell()
        args = _parse(_checkpoint_parser(), line)
        if args is None:
            return
        mode: PlanMode = (
            "storeAll" if args.store_all else "recomputeAll" if args.recompute_all else "optimal"
        )
        try:
            bandwidth = None if args.bandwidth is None else parse_bandwidth(args.bandwidth)
        except ValueError as error:
            from IPython.core.error import UsageError

            raise UsageError(str(error)) from None
        if args.export is not None:
            from elastic_notebook.session import export

            record = export(args.export, args.path)
            print(
                f"elastic-notebook: exported {args.export} (id {record['id'][:12]}) to "
                f"{args.path}: {record['fileBytes'] / 1e6:,.2f} MB"
            )
            return
        print(
            take(
                args.path,
                shell=shell,
                mode=mode,
                bandwidth=bandwidth,
                rerun_file_reads=args.rerun_file_reads,
            )
        )

    def restore(line: str) -> None:
        """Restores a checkpoint (the parser's help replaces this)."""
        from elastic_notebook.session import restore as bring_back

        recorder.skip_current_cell()
        args = _parse(_restore_parser(), line)
        if args is None:
            return
        print(bring_back(args.path, shell=shell))

    def checkpoints(line: str) -> None:
        """Lists or deletes stored checkpoints (the parser's help replaces this)."""
        from elastic_notebook.session import (
            delete_stored,
            stored_checkpoints,
            unfinished_checkpoints,
        )
        from elastic_notebook.store import describe as describe_store

        recorder.never_rerun_current_cell()
        args = _parse(_checkpoints_parser(), line)
        if args is None:
            return
        if args.delete is not None:
            print(delete_stored(args.delete))
            return
        print(describe_store(stored_checkpoints(), unfinished_checkpoints()))

    checkpoint.__doc__ = _checkpoint_parser().format_help()
    restore.__doc__ = _restore_parser().format_help()
    checkpoints.__doc__ = _checkpoints_parser().format_help()
    shell.register_magic_function(elastic, "line", "elastic")
    shell.register_magic_function(checkpoint, "line", "checkpoint")
    shell.register_magic_function(restore, "line", "restore")
    shell.register_magic_function(checkpoints, "line", "checkpoints")


def unload(shell: Any) -> None:  # noqa: ANN401 - any InteractiveShell
    """Stops recording `shell`'s cells."""
    recorder = _RECORDERS.pop(id(shell), None)
    if recorder is not None:
        recorder.unregister()


def describe(
    recorder: Recorder, planned: PlannedCheckpoint | None = None, *, verbose: bool = False
) -> str:
    """What ``%elastic`` prints: the recorded cells, then the variables by group and plan."""
    total = recorder.restored_cells + len(recorder.records)
    lines = [f"elastic-notebook: {total} cells recorded"]
    if recorder.restored_cells:
        lines[0] += f" ({recorder.restored_cells} restored from checkpoint {recorder.last_root})"
    # The cells' own time includes freeing what they unbound, which the recorder's hook
    # does for them (`Recorder.released_ns`).
    cells_ns = sum(record["runtimeNs"] for record in recorder.records) + recorder.released_ns
    if cells_ns:
        lines[0] += (
            f"; recording took {duration(recorder.hook_ns)} "
            f"({100 * recorder.hook_ns / cells_ns:.1f} % of the cells' {duration(cells_ns)})"
        )
    shown = recorder.records if verbose else recorder.records[-10:]
    first = total - len(shown)
    for number, record in enumerate(shown, start=first):
        status = "ok" if record["success"] else "failed"
        if record.get("cannotRerun"):
            why = recorder.no_rerun_reasons.get(number - recorder.restored_cells)
            status += f", no re-run ({why})" if why else ", no re-run"
        elif reads_files := recorder.file_reads_of(record["code"]):
            # A checkpoint stores what it made rather than re-run it (`save.plan_checkpoint`).
            status += (
                ", stored rather than re-run (it reads files or a command's output: "
                f"{', '.join(reads_files)})"
            )
        reads = "everything" if record["readsEverything"] else ", ".join(record["reads"])
        code = (record["code"].strip().splitlines() or [""])[0][:60]
        lines.append(
            f"  [{number}] {record['runtimeNs'] / 1e6:9.1f} ms {status:6}  {code}\n"
            f"        reads: {reads or '-'}; writes: {', '.join(record['writes']) or '-'}; "
            f"mutates: {', '.join(record['mutates']) or '-'}; "
            f"deletes: {', '.join(record['deletes']) or '-'}"
        )
    live = recorder.history.live_names()
    lines.append(f"live variables ({len(live)}): {', '.join(live) or '-'}")
    if planned is not None:
        cost = planned.plan["cost"]
        lines.append(
            f"a checkpoint now ({planned.plan['mode']} plan, "
            f"{planned.cost_model['writeBandwidth'] / 1e6:,.0f} MB/s): "
            f"save+load {cost['storeNs'] / 1e9:.3f} s, re-run {cost['rerunNs'] / 1e9:.3f} s"
        )
        for group in planned.groups:
            action = "store" if group.stored else "recompute"
            why = f" ({group.unserializable})" if group.unserializable else ""
            lines.append(
                f"  {action:9} {group.size / 1e6:10,.3f} MB  {', '.join(group.names)}{why}"
            )
        for name, why in sorted(planned.left_out.items()):
            lines.append(
                f"  left out  {'':>10}     {name} "
                f"(cannot be stored: {why}; no re-runnable cell made it)"
            )
        for name, why in sorted(planned.state_not_carried.items()):
            lines.append(
                f"  by name   {'':>10}     {name} (without the state cells set in it: {why})"
            )
        carried = process_state.describe(recorder.sys_path_at_start)
        lines.append(f"  carries {'; '.join(carried)}")
    return "\n".join(lines)
