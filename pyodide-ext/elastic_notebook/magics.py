"""The IPython extension: ``%load_ext elastic_notebook`` starts recording every cell.

``%elastic`` shows what has been recorded. Checkpoint and restore magics come next
(issue 3); the recorder they build on is `elastic_notebook.recorder`.
"""

from __future__ import annotations

from typing import Any

from elastic_notebook.recorder import Recorder

#: The recorder of each shell the extension is loaded in, by the shell's id.
_RECORDERS: dict[int, Recorder] = {}


def recorder_of(shell: Any) -> Recorder | None:  # noqa: ANN401 - any InteractiveShell
    """The recorder hooked to `shell`, if the extension is loaded there."""
    return _RECORDERS.get(id(shell))


def load(shell: Any) -> None:  # noqa: ANN401 - any InteractiveShell
    """Starts recording `shell`'s cells and registers the magics; loading twice is a no-op."""
    if id(shell) in _RECORDERS:
        return
    recorder = Recorder(shell)
    recorder.register()
    _RECORDERS[id(shell)] = recorder

    def elastic(line: str) -> None:
        """%elastic: the recorded cells and the live variables."""
        print(describe(recorder, verbose="-v" in line.split()))

    shell.register_magic_function(elastic, "line", "elastic")


def unload(shell: Any) -> None:  # noqa: ANN401 - any InteractiveShell
    """Stops recording `shell`'s cells."""
    recorder = _RECORDERS.pop(id(shell), None)
    if recorder is not None:
        recorder.unregister()


def describe(recorder: Recorder, *, verbose: bool = False) -> str:
    """What ``%elastic`` prints: one line per recorded cell, then the live variables."""
    lines = [f"elastic-notebook: {len(recorder.records)} cells recorded"]
    shown = recorder.records if verbose else recorder.records[-10:]
    first = len(recorder.records) - len(shown)
    for number, record in enumerate(shown, start=first):
        status = "ok" if record["success"] else "failed"
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
    return "\n".join(lines)
