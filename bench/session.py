"""Desktop session benchmarks: recording overhead, and checkpoint/restore against peers.

    .venv/bin/python bench/session.py --out FILE [--part overhead|checkpoint|walk|floor|all]
                                      [--repeats N] [--restore-repeats N]

Part 1 (overhead) runs each notebook of `notebooks.OVERHEAD` in a real IPython
``InteractiveShell``, alternately without and with ``%load_ext elastic_notebook``
(fresh namespace each run, one warm-up run of each first, the order alternating), and
compares the median total runtimes. It also times the recorder's hooks directly (callbacks
registered before and after the extension's) and, when they cost more than the target,
profiles them in one more run with cProfile, so a missed target comes with where the time
went. Last, a long session: 4,000 small cells with history, the hooks per cell over the
first and the last 500 (IPython's namespace grows by a name or two every cell).

Part 2 (checkpoint) runs each notebook of `notebooks.CHECKPOINT` with the extension loaded,
then checkpoints it with ``elastic_notebook.checkpoint`` (optimal plan, measured bandwidth)
and with ``dill.dump_module`` (the shell's user module with IPython's own names taken out:
they reach the shell, which does not pickle), and restores each file in a new process:
``elastic_notebook.restore`` into a fresh shell with the extension, ``dill.load_module``
into a fresh shell, and re-running every cell in a fresh shell. Every restore is checked
against the original namespace (fingerprints of every variable).

Part 3 (walk) times `fingerprint.reach` alone, best of N, on the large
values of the pure-Python notebooks (`notebooks.WALKED`): the part of the recording cost
that dominates their hooks, measured without the noise of whole notebook runs.

Part 4 (floor) runs the notebooks of short cells (`notebooks.FLOOR`) with no hooks, with
two hooks that do nothing, with a hook that only analyses each cell, and with the
extension, the order rotating each round: what the recorder costs beyond IPython's
dispatch of a callback and one analysis of the cell.

numpy's BLAS runs one thread unless the environment says otherwise
(``OPENBLAS_NUM_THREADS``, ...): on a shared machine its spinning threads make timings
swing tenfold.

Writes one JSON object to FILE (merged into bench/results/latest.json by bench/run) and a
readable summary to stderr; exits 1 if a restore gave other values. Refuses to run if the
installed package's Python files differ from pyodide-ext/ (run scripts/build-python;
``--installed`` measures the installed package anyway).
"""

# IPython is not typed: its calls are untyped for mypy --strict.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import argparse
import atexit
import contextlib
import cProfile
import filecmp
import gc
import io
import json
import os
import platform
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from notebooks import BY_NAME, CHECKPOINT, FLOOR, OVERHEAD, WALKED, Notebook

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from elastic_notebook.recorder import Recorder

ROOT = Path(__file__).resolve().parent.parent
#: IPython's output and input history names (as the recorder excludes them).
IPYTHON_NAME = re.compile(r"^(_{1,3}|_i{1,3}|_i\d+|_\d+)$")
#: Targets of the recording overhead, in percent of the notebook's runtime.
TARGET_MEDIAN_PCT = 1.0
TARGET_MAX_PCT = 2.5
#: Target of restore against re-running, on compute-heavy notebooks.
TARGET_RESTORE_SPEEDUP = 10.0
COMPUTE_HEAVY = ("compute_heavy",)
#: Environment variables of the BLAS thread pools numpy may use.
BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class BenchError(Exception):
    """The benchmark cannot run or a result is wrong."""


def log(message: str) -> None:
    """Progress, on stderr (stdout belongs to the JSON of a child process)."""
    print(message, file=sys.stderr, flush=True)


# --- shells -----------------------------------------------------------------------------


def new_shell() -> InteractiveShell:
    """The process's IPython shell, history kept in memory (no sqlite file)."""
    if "IPYTHONDIR" not in os.environ:
        # A profile of its own: no startup files or extensions of the user's.
        directory = tempfile.mkdtemp(prefix="elastic-bench-ipython-")
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        os.environ["IPYTHONDIR"] = directory
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config)


def run_cells(shell: InteractiveShell, cells: Sequence[str]) -> float:
    """Runs `cells` as a notebook does (history, ``Out``); seconds taken. Fails on an error."""
    swallowed = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(swallowed):
        for cell in cells:
            result = shell.run_cell(cell, store_history=True)
            if not result.success:
                error = result.error_in_exec or result.error_before_exec
                raise BenchError(f"cell failed ({error!r}):\n{cell}")
            swallowed.seek(0)
            swallowed.truncate()
    return time.perf_counter() - started


def user_variables(shell: InteractiveShell) -> dict[str, object]:
    """The user's variables: the namespace without IPython's own names."""
    hidden = shell.user_ns_hidden
    return {
        name: value
        for name, value in shell.user_ns.items()
        if not (name in hidden and hidden[name] is value)
        and not IPYTHON_NAME.match(name)
        and not (name.startswith("__") and name.endswith("__"))
    }


def digests(shell: InteractiveShell) -> dict[str, str]:
    """A process-independent digest of every user variable, to compare restores."""
    from elastic_notebook.fingerprint import fingerprint

    result: dict[str, str] = {}
    for name, value in user_variables(shell).items():
        kind = type(value).__name__
        if callable(value) or kind == "module":
            # Functions, classes and modules are fingerprinted by identity: compare kinds.
            result[name] = f"{kind} {getattr(value, '__name__', '')}"
        elif hasattr(value, "bit_generator"):  # numpy Generator: opaque to fingerprints
            result[name] = f"rng {value.bit_generator.state!r}"
        else:
            result[name] = fingerprint(value).digest.hex()
    return result


def load_extension(shell: InteractiveShell) -> None:
    """``%load_ext elastic_notebook``; fails if no recorder is hooked afterwards."""
    from elastic_notebook import magics

    manager: Any = shell.extension_manager
    manager.load_extension("elastic_notebook")
    if magics.recorder_of(shell) is None:
        raise BenchError("%load_ext elastic_notebook hooked no recorder")


def unload_extension(shell: InteractiveShell) -> None:
    """``%unload_ext elastic_notebook``."""
    manager: Any = shell.extension_manager
    manager.unload_extension("elastic_notebook")


def stale_files() -> list[str]:
    """Python files of pyodide-ext/ that the installed package lacks or has otherwise."""
    import elastic_notebook

    installed = Path(elastic_notebook.__file__).parent
    sources = ROOT / "pyodide-ext" / "elastic_notebook"
    return [
        source.name
        for source in sorted(sources.glob("*.py"))
        if not (installed / source.name).exists()
        or not filecmp.cmp(source, installed / source.name, shallow=False)
    ]


# --- part 1: recording overhead -----------------------------------------------------------


@dataclass
class HookTimer:
    """Times (and optionally profiles) the callbacks registered between its two ends.

    `start` is registered on ``pre_run_cell`` and ``post_run_cell`` before the extension
    is loaded, the `stop_*` methods after it, so IPython calls them around the recorder's
    own hooks.
    """

    profile: cProfile.Profile | None = None
    pre_ns: int = 0
    post_ns: int = 0
    _started: int = 0

    def start(self, *_event: object) -> None:
        """Before the recorder's hook."""
        if self.profile is not None:
            self.profile.enable()
        self._started = time.perf_counter_ns()

    def stop_pre(self, *_event: object) -> None:
        """After the recorder's ``pre_run_cell``."""
        self.pre_ns += time.perf_counter_ns() - self._started
        if self.profile is not None:
            self.profile.disable()

    def stop_post(self, *_event: object) -> None:
        """After the recorder's ``post_run_cell``."""
        self.post_ns += time.perf_counter_ns() - self._started
        if self.profile is not None:
            self.profile.disable()


@dataclass
class Run:
    """One run of a notebook."""

    seconds: float
    #: Seconds spent in the recorder's pre_run_cell / post_run_cell hooks (0 unrecorded).
    pre_hook_s: float = 0.0
    post_hook_s: float = 0.0
    #: Of those, seconds the post hooks spent freeing what the cells unbound (the plain
    #: run frees it inside its cells): `Recorder.released_ns`.
    released_s: float = 0.0


def recorder_of_every_cell(shell: InteractiveShell, notebook: Notebook) -> Recorder:
    """The shell's recorder, which must have recorded every cell of `notebook` just run."""
    from elastic_notebook import magics

    recorder = magics.recorder_of(shell)
    recorded = len(recorder.records) if recorder is not None else 0
    if recorder is None or recorded != len(notebook.cells):
        raise BenchError(f"{notebook.name}: {recorded} of {len(notebook.cells)} cells recorded")
    return recorder


def run_notebook(
    shell: InteractiveShell,
    notebook: Notebook,
    *,
    record: bool,
    profile: cProfile.Profile | None = None,
) -> Run:
    """Runs `notebook` in a fresh namespace, with or without the extension."""
    shell.reset(new_session=True)
    gc.collect()
    timer = HookTimer(profile)
    starts: list[tuple[str, Callable[..., None]]] = [
        ("pre_run_cell", timer.start),
        ("post_run_cell", timer.start),
    ]
    stops: list[tuple[str, Callable[..., None]]] = [
        ("pre_run_cell", timer.stop_pre),
        ("post_run_cell", timer.stop_post),
    ]
    if record:
        for event, hook in starts:
            shell.events.register(event, hook)
        load_extension(shell)
        for event, hook in stops:
            shell.events.register(event, hook)
    released_ns = 0
    try:
        seconds = run_cells(shell, notebook.cells)
        if record:
            recorder = recorder_of_every_cell(shell, notebook)
            released_ns = recorder.released_ns
            # Records reach the core's history in batches (32 cells, 8 in Pyodide) and when
            # it is read: those of the run's last cells are handed over here, as hooks.
            started = time.perf_counter_ns()
            recorder.history.live_names()
            timer.post_ns += time.perf_counter_ns() - started
    finally:
        if record:
            unload_extension(shell)
            for event, hook in starts + stops:
                shell.events.unregister(event, hook)
        shell.reset(new_session=True)
    return Run(seconds, timer.pre_ns / 1e9, timer.post_ns / 1e9, released_ns / 1e9)


def hook_profile(profile: cProfile.Profile, top: int) -> dict[str, Any]:
    """Where the recorder's hook time went: cumulative seconds of its main steps."""
    stats = pstats.Stats(profile)
    table: dict[tuple[str, int, str], tuple[int, int, float, float, dict[Any, Any]]]
    table = stats.stats  # type: ignore[attr-defined]

    def cumulative(path_part: str, function: str) -> tuple[float, int]:
        seconds, calls = 0.0, 0
        for (path, _line, name), (_cc, nc, _tt, ct, _callers) in table.items():
            # Python functions: (file, line, name); methods of native classes: ("~", 0,
            # "<method 'name' of 'module.Class' objects>").
            if (name == function and path_part in path) or (
                path == "~" and f"'{function}' of '{path_part}" in name
            ):
                seconds += ct
                calls += nc
        return seconds, calls

    steps = {
        "pre_run_cell": ("recorder.py", "pre_run_cell"),
        "post_run_cell": ("recorder.py", "post_run_cell"),
        "analyze (core)": ("core.py", "analyze"),
        "transform_cell (IPython)": ("interactiveshell.py", "transform_cell"),
        "user_namespace": ("recorder.py", "user_namespace"),
        "namespace_changes": ("recorder.py", "namespace_changes"),
        "reachable": ("recorder.py", "reachable"),
        "reach": ("fingerprint.py", "reach"),
        "digest": ("fingerprint.py", "digest"),
        "Hasher.update (blake3, native)": ("elastic_notebook._core", "update"),
        "_Walker.token (repr + encode)": ("fingerprint.py", "token"),
        "pandas hash_pandas_object": ("hashing.py", "hash_pandas_object"),
        "History.record_cell (native)": ("elastic_notebook._core", "record_cell"),
    }
    result: dict[str, Any] = {}
    for label, (path_part, function) in steps.items():
        seconds, calls = cumulative(path_part, function)
        result[label] = {"seconds": round(seconds, 4), "calls": calls}
    # fingerprint time split by the hook that asked for it.
    for (path, _line, name), (_cc, _nc, _tt, _ct, callers) in table.items():
        if name == "fingerprint" and path.endswith("fingerprint.py"):
            for (_cpath, _cline, caller), (_c1, calls, _t, ct) in callers.items():
                hook = "pre_run_cell" if caller == "<dictcomp>" else caller
                result[f"fingerprint from {hook}"] = {"seconds": round(ct, 4), "calls": calls}
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(top)
    result["topByOwnTime"] = [
        re.sub(r"\S*/(site-packages|lib/python3\.\d+)/", "", line.strip())
        for line in text.getvalue().splitlines()
        if re.match(r"\s+\d", line)
    ]
    return result


def overhead(shell: InteractiveShell, notebook: Notebook, repeats: int) -> dict[str, Any]:
    """Part 1 for one notebook."""
    log(f"  {notebook.name}: warm-up")
    run_notebook(shell, notebook, record=False)
    run_notebook(shell, notebook, record=True)
    plain: list[Run] = []
    recorded: list[Run] = []
    for repeat in range(repeats):
        order = (False, True) if repeat % 2 == 0 else (True, False)
        for record in order:
            run = run_notebook(shell, notebook, record=record)
            (recorded if record else plain).append(run)
    plain_s = statistics.median(r.seconds for r in plain)
    recorded_s = statistics.median(r.seconds for r in recorded)
    hooks_s = statistics.median(r.pre_hook_s + r.post_hook_s for r in recorded)
    pre_s = statistics.median(r.pre_hook_s for r in recorded)
    post_s = statistics.median(r.post_hook_s for r in recorded)
    released_s = statistics.median(r.released_s for r in recorded)
    own_s = statistics.median(r.pre_hook_s + r.post_hook_s - r.released_s for r in recorded)
    paired = [100 * (r.seconds / p.seconds - 1) for r, p in zip(recorded, plain, strict=True)]
    hook_pct = 100 * hooks_s / plain_s
    result: dict[str, Any] = {
        "about": notebook.about,
        "cells": len(notebook.cells),
        "repeats": repeats,
        "plainSeconds": round(plain_s, 4),
        "recordedSeconds": round(recorded_s, 4),
        "overheadPct": round(100 * (recorded_s / plain_s - 1), 2),
        "pairedOverheadPct": round(statistics.median(paired), 2),
        "hookSeconds": round(hooks_s, 4),
        "hookPct": round(hook_pct, 2),
        "preHookSeconds": round(pre_s, 4),
        "postHookSeconds": round(post_s, 4),
        "hookMsPerCell": round(1e3 * hooks_s / len(notebook.cells), 3),
        "releasedSeconds": round(released_s, 4),
        "ownHookSeconds": round(own_s, 4),
        "ownHookPct": round(100 * own_s / plain_s, 2),
        "plainRuns": [round(r.seconds, 4) for r in plain],
        "recordedRuns": [round(r.seconds, 4) for r in recorded],
    }
    if hook_pct > TARGET_MAX_PCT:
        # Where the time goes: one more recorded run, its hooks under cProfile.
        profile = cProfile.Profile()
        run_notebook(shell, notebook, record=True, profile=profile)
        result["profile"] = hook_profile(profile, top=12)
    log(
        f"  {notebook.name}: {plain_s:.3f} s plain, {recorded_s:.3f} s recorded: "
        f"{result['overheadPct']:+.1f} % (paired {result['pairedOverheadPct']:+.1f} %); "
        f"hooks {hooks_s:.3f} s = {result['hookPct']:.1f} % "
        f"(pre {pre_s:.3f} s, post {post_s:.3f} s; of which freeing what the cells unbound "
        f"{released_s:.3f} s; own {own_s:.3f} s = {result['ownHookPct']:.1f} %)"
    )
    return result


#: A long session: this many small cells (five, run again and again), with history.
LONG_SESSION_CELLS = 4000
LONG_SESSION_SLICE = 500


def long_session(shell: InteractiveShell) -> dict[str, Any]:
    """The recorder's hooks per cell at the start and at the end of a long session.

    IPython binds `_i<N>` (and `_<N>` for an output) for every cell, so its namespace
    grows all session long; the recorder's work per cell must not grow with it.
    """
    from elastic_notebook import magics

    cells = ("x = 1", "y = x + 1", "z = [x, y]", "z.append(3)", "len(z)")
    shell.reset(new_session=True)
    load_extension(shell)
    try:
        recorder = magics.recorder_of(shell)
        if recorder is None:
            raise BenchError("the extension did not start its recorder")
        hooks_us: list[float] = []
        swallowed = io.StringIO()
        with contextlib.redirect_stdout(swallowed):
            for index in range(LONG_SESSION_CELLS):
                before = recorder.hook_ns
                shell.run_cell(cells[index % len(cells)], store_history=True)
                hooks_us.append((recorder.hook_ns - before) / 1e3)
                swallowed.seek(0)
                swallowed.truncate()
        names = len(shell.user_ns)
    finally:
        unload_extension(shell)
        shell.reset(new_session=True)
    first = statistics.median(hooks_us[:LONG_SESSION_SLICE])
    last = statistics.median(hooks_us[-LONG_SESSION_SLICE:])
    log(
        f"  long session ({LONG_SESSION_CELLS} cells, {names} names at the end): hooks "
        f"{first:.0f} us per cell over the first {LONG_SESSION_SLICE}, {last:.0f} us over "
        f"the last {LONG_SESSION_SLICE}"
    )
    return {
        "cells": LONG_SESSION_CELLS,
        "namesAtEnd": names,
        "firstHookUsPerCell": round(first, 1),
        "lastHookUsPerCell": round(last, 1),
    }


def part_overhead(repeats: int) -> dict[str, Any]:
    """Part 1: the recording overhead of every notebook of `OVERHEAD`, and a long session."""
    log("== recording overhead (extension loaded vs not)")
    shell = new_shell()
    per = {notebook.name: overhead(shell, notebook, repeats) for notebook in OVERHEAD}
    longer = long_session(shell)
    wall = [r["overheadPct"] for r in per.values()]
    hook = [r["hookPct"] for r in per.values()]
    own = [r["ownHookPct"] for r in per.values()]
    summary = {
        "medianPct": round(statistics.median(wall), 2),
        "maxPct": round(max(wall), 2),
        "hookMedianPct": round(statistics.median(hook), 2),
        "hookMaxPct": round(max(hook), 2),
        "ownHookMedianPct": round(statistics.median(own), 2),
        "ownHookMaxPct": round(max(own), 2),
        "targetMedianPct": TARGET_MEDIAN_PCT,
        "targetMaxPct": TARGET_MAX_PCT,
    }
    summary["targetsMet"] = (
        summary["medianPct"] <= TARGET_MEDIAN_PCT and summary["maxPct"] <= TARGET_MAX_PCT
    )
    log(
        f"  overhead: median {summary['medianPct']} %, max {summary['maxPct']} % "
        f"(hooks alone: median {summary['hookMedianPct']} %, max {summary['hookMaxPct']} %; "
        f"without freeing what the cells unbound: median {summary['ownHookMedianPct']} %, "
        f"max {summary['ownHookMaxPct']} %); "
        f"targets {TARGET_MEDIAN_PCT} % / {TARGET_MAX_PCT} %: "
        f"{'met' if summary['targetsMet'] else 'MISSED'}"
    )
    return {"summary": summary, "notebooks": per, "longSession": longer}


def part_walk(repeats: int) -> dict[str, Any]:
    """Part 3: `fingerprint.reach` alone on the values of `WALKED` notebooks, best of N.

    Both walks, alternating: the native one the desktop takes (`ms`) and the Python one
    Pyodide takes (`pythonMs`, here on CPython).
    """
    from elastic_notebook.fingerprint import Reach, reach

    def python_reach(value: object) -> Reach:
        return reach(value, native=False)

    log(f"== reach walk (fingerprint.reach, best of {repeats}: native / Python)")
    results: dict[str, Any] = {}
    for notebook in WALKED:
        namespace: dict[str, Any] = {}
        for cell in notebook.cells:
            exec(compile(cell, notebook.name, "exec"), namespace)
        for name, value in namespace.items():
            if name.startswith("__") or not isinstance(value, list | dict):
                continue
            seconds: dict[str, list[float]] = {"native": [], "python": []}
            reached: Reach | None = None
            for _ in range(repeats):
                for walk, take in (("native", reach), ("python", python_reach)):
                    reached = None  # freed outside the timing: the other walk's reach
                    start = time.perf_counter()
                    reached = take(value)
                    seconds[walk].append(time.perf_counter() - start)
            best_ms = 1e3 * min(seconds["native"])
            python_ms = 1e3 * min(seconds["python"])
            if python_ms < 1.0:
                continue
            assert reached is not None
            results[f"{notebook.name}.{name}"] = {
                "ms": round(best_ms, 2),
                "pythonMs": round(python_ms, 2),
                "objects": len(reached.objects),
                "items": len(value),
            }
            log(
                f"  {notebook.name}.{name}: {best_ms:.1f} ms native, {python_ms:.1f} ms in "
                f"Python, {len(reached.objects)} objects"
            )
    return results


def _empty_hook(*_event: object) -> None:
    """A hook that does nothing: what IPython's dispatch of a callback costs."""


def _analysis_hook(info: Any) -> None:  # noqa: ANN401 - IPython's ExecutionInfo
    """Analyses the cell, uncached, as the recorder does for every new cell."""
    from elastic_notebook.core import analyze

    analyze(info.raw_cell or "")


#: Part 4's modes: the hooks each registers (pre, post), or None for the recorder itself.
FLOOR_MODES: dict[str, tuple[Callable[..., None], ...] | None] = {
    "noHooks": (),
    "emptyHooks": (_empty_hook, _empty_hook),
    "analysisOnly": (_analysis_hook, _empty_hook),
    "recorder": None,
}


def floor_run(shell: InteractiveShell, notebook: Notebook, mode: str) -> float:
    """Seconds to run `notebook` with `mode`'s hooks (`FLOOR_MODES`), fresh namespace.

    The recorder runs without the hook timers of part 1, and its last records are
    handed to the core inside the time taken.
    """
    hooks = FLOOR_MODES[mode]
    shell.reset(new_session=True)
    gc.collect()
    events = list(zip(("pre_run_cell", "post_run_cell"), hooks or (), strict=False))
    for event, hook in events:
        shell.events.register(event, hook)
    if hooks is None:
        load_extension(shell)
    try:
        started = time.perf_counter()
        run_cells(shell, notebook.cells)
        if hooks is None:
            recorder_of_every_cell(shell, notebook).history.live_names()
        return time.perf_counter() - started
    finally:
        if hooks is None:
            unload_extension(shell)
        for event, hook in events:
            shell.events.unregister(event, hook)
        shell.reset(new_session=True)


def part_floor(repeats: int) -> dict[str, Any]:
    """Part 4: the recorder against the least a recorder on IPython's hooks must cost.

    On the notebooks of short cells (`FLOOR`), in one shell, the order of the modes
    rotating each round: no hooks, two hooks that do nothing, a hook that only analyses
    each cell (uncached: what a new cell costs at least), and the extension. Medians of
    the total runtime, in percent over the run with empty hooks (IPython's dispatch is
    no recorder's cost) and in microseconds per cell.
    """
    log(f"== the floor of a hook-based recorder ({repeats} rounds, modes rotating)")
    shell = new_shell()
    results: dict[str, Any] = {}
    modes = list(FLOOR_MODES)
    for notebook in FLOOR:
        for mode in modes:
            floor_run(shell, notebook, mode)  # warm-up
        seconds: dict[str, list[float]] = {mode: [] for mode in modes}
        for round_ in range(repeats):
            shift = round_ % len(modes)
            for mode in modes[shift:] + modes[:shift]:
                seconds[mode].append(floor_run(shell, notebook, mode))
        medians = {mode: statistics.median(runs) for mode, runs in seconds.items()}
        base = medians["emptyHooks"]
        cells = len(notebook.cells)
        per = {
            mode: {
                "seconds": round(median, 4),
                "overEmptyHooksPct": round(100 * (median / base - 1), 2),
                "overEmptyHooksUsPerCell": round(1e6 * (median - base) / cells, 1),
                "runs": [round(run, 4) for run in seconds[mode]],
            }
            for mode, median in medians.items()
        }
        results[notebook.name] = per
        log(
            f"  {notebook.name}: "
            + "; ".join(
                f"{mode} {entry['seconds']:.3f} s ({entry['overEmptyHooksPct']:+.1f} %, "
                f"{entry['overEmptyHooksUsPerCell']:+.0f} us/cell)"
                for mode, entry in per.items()
            )
        )
    return results


# --- part 2: checkpoint/restore vs dill and re-running -------------------------------------


def dill_dump(shell: InteractiveShell, path: Path) -> None:
    """``dill.dump_module`` of the shell's user module, IPython's own names taken out.

    Those names (``get_ipython``, ``exit``, ``In``, ``Out``, ...) reach the shell itself,
    which holds an sqlite connection and does not pickle; they are put back afterwards.
    """
    import dill  # type: ignore[import-untyped]

    namespace = shell.user_ns
    users = user_variables(shell)
    ipython = {
        name: value
        for name, value in namespace.items()
        if name not in users and not (name.startswith("__") and name.endswith("__"))
    }
    for name in ipython:
        del namespace[name]
    try:
        dill.dump_module(str(path), module=shell.user_module)
    finally:
        namespace.update(ipython)


@dataclass
class Restore:
    """What a child process measured."""

    seconds: float
    digests: dict[str, str]
    extra: dict[str, Any] = field(default_factory=dict)


def restore_in_child(method: str, notebook: Notebook, path: Path | None) -> Restore:
    """Runs ``session.py --child`` in a new process and reads its result."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", method]
    command += ["--notebook", notebook.name]
    if path is not None:
        command += ["--file", str(path)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"{method} restore of {notebook.name} failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Restore(data["seconds"], data["digests"], data.get("extra", {}))


def child(method: str, notebook: Notebook, path: str) -> dict[str, Any]:
    """In a new process: restores `notebook` one way into a fresh shell (`path`: its file)."""
    shell = new_shell()
    extra: dict[str, Any] = {}
    if method == "elastic":
        started = time.perf_counter()
        import elastic_notebook

        load_extension(shell)
        extra["loadExtensionSeconds"] = round(time.perf_counter() - started, 4)
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            report = elastic_notebook.restore(path, shell=shell, progress=False)
        seconds = time.perf_counter() - started
        extra["loaded"] = list(report.loaded)
        extra["recomputed"] = list(report.recomputed)
        extra["fallbacks"] = dict(report.fallbacks)
        extra["reportSeconds"] = report.seconds
    elif method == "dill":
        import dill

        started = time.perf_counter()
        dill.load_module(path, module=shell.user_module)
        seconds = time.perf_counter() - started
    elif method == "rerun":
        seconds = run_cells(shell, notebook.cells)
    else:
        raise BenchError(f"unknown restore method {method!r}")
    return {"seconds": seconds, "digests": digests(shell), "extra": extra}


def compare(expected: dict[str, str], got: dict[str, str]) -> list[str]:
    """Names whose restored value differs from the original (or is missing or extra)."""
    names = set(expected) | set(got)
    return sorted(name for name in names if expected.get(name) != got.get(name))


def checkpoint_notebook(
    shell: InteractiveShell, notebook: Notebook, repeats: int, workdir: Path
) -> dict[str, Any]:
    """Part 2 for one notebook."""
    import elastic_notebook

    shell.reset(new_session=True)
    gc.collect()
    load_extension(shell)
    try:
        cells_s = run_cells(shell, notebook.cells)
        expected = digests(shell)
        log(f"  {notebook.name}: cells ran in {cells_s:.2f} s (recording)")

        elastic_s: list[float] = []
        elastic_path = workdir / f"{notebook.name}.ckpt"
        report: Any = None
        for _ in range(repeats):
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                report = elastic_notebook.checkpoint(str(elastic_path), shell=shell, progress=False)
            elastic_s.append(time.perf_counter() - started)
        dill_s: list[float] = []
        dill_path = workdir / f"{notebook.name}.dill"
        dill_error = None
        for _ in range(repeats):
            started = time.perf_counter()
            try:
                dill_dump(shell, dill_path)
            except Exception as error:  # a peer that cannot pickle the session is a result
                dill_error = f"{type(error).__name__}: {error}"
                break
            dill_s.append(time.perf_counter() - started)
    finally:
        unload_extension(shell)
        shell.reset(new_session=True)

    planned = elastic_notebook.inspect_checkpoint(elastic_path)["planCost"]
    restores: dict[str, list[Restore]] = {"elastic": [], "dill": [], "rerun": []}
    methods = [m for m in ("elastic", "dill", "rerun") if m != "dill" or dill_error is None]
    paths = {"elastic": elastic_path, "dill": dill_path, "rerun": None}
    mismatches: dict[str, list[str]] = {}
    for repeat in range(repeats):
        for method in methods[repeat % len(methods) :] + methods[: repeat % len(methods)]:
            restored = restore_in_child(method, notebook, paths[method])
            restores[method].append(restored)
            wrong = compare(expected, restored.digests)
            if wrong:
                mismatches.setdefault(method, wrong)
    median = {m: statistics.median(r.seconds for r in restores[m]) for m in methods}
    result: dict[str, Any] = {
        "about": notebook.about,
        "cells": len(notebook.cells),
        "cellsSeconds": round(cells_s, 3),
        "variables": len(expected),
        "elastic": {
            "checkpointSeconds": round(statistics.median(elastic_s), 4),
            "fileBytes": elastic_path.stat().st_size,
            "reportFileBytes": report.file_bytes,
            "stored": list(report.stored),
            "recomputed": list(report.recomputed),
            "restoreSeconds": round(median["elastic"], 4),
            "restoreRuns": [round(r.seconds, 4) for r in restores["elastic"]],
            "restoreLoaded": restores["elastic"][0].extra.get("loaded"),
            "restoreRecomputed": restores["elastic"][0].extra.get("recomputed"),
            "restoreFallbacks": restores["elastic"][0].extra.get("fallbacks"),
            "loadExtensionSeconds": restores["elastic"][0].extra.get("loadExtensionSeconds"),
            # What the plan expected: store + load of the stored groups, re-run cells.
            "plannedStoreSeconds": round(planned["storeNs"] / 1e9, 4),
            "plannedRerunSeconds": round(planned["rerunNs"] / 1e9, 4),
            "bandwidthMBps": measured_bandwidth(workdir),
        },
        "rerun": {
            "restoreSeconds": round(median["rerun"], 4),
            "restoreRuns": [round(r.seconds, 4) for r in restores["rerun"]],
        },
        "mismatches": mismatches,
    }
    if dill_error is None:
        result["dill"] = {
            "checkpointSeconds": round(statistics.median(dill_s), 4),
            "fileBytes": dill_path.stat().st_size,
            "restoreSeconds": round(median["dill"], 4),
            "restoreRuns": [round(r.seconds, 4) for r in restores["dill"]],
        }
        result["ratios"] = {
            "checkpointDillOverElastic": round(
                result["dill"]["checkpointSeconds"] / result["elastic"]["checkpointSeconds"], 2
            ),
            "fileDillOverElastic": round(
                result["dill"]["fileBytes"] / result["elastic"]["fileBytes"], 2
            ),
            "restoreDillOverElastic": round(median["dill"] / median["elastic"], 2),
        }
    else:
        result["dill"] = {"error": dill_error}
        result["ratios"] = {}
    result["ratios"]["restoreRerunOverElastic"] = round(median["rerun"] / median["elastic"], 2)
    line = (
        f"  {notebook.name}: checkpoint {result['elastic']['checkpointSeconds']:.3f} s, "
        f"{result['elastic']['fileBytes'] / 1e6:.1f} MB (stored {len(report.stored)}, "
        f"recomputed {len(report.recomputed)}; planned at {result['elastic']['bandwidthMBps']} "
        f"MB/s: store {result['elastic']['plannedStoreSeconds']} s, re-run "
        f"{result['elastic']['plannedRerunSeconds']} s); restore {median['elastic']:.3f} s; "
        f"re-run {median['rerun']:.3f} s ({result['ratios']['restoreRerunOverElastic']}x)"
    )
    if dill_error is None:
        line += (
            f"; dill: dump {result['dill']['checkpointSeconds']:.3f} s, "
            f"{result['dill']['fileBytes'] / 1e6:.1f} MB, load {median['dill']:.3f} s"
        )
    else:
        line += f"; dill failed: {dill_error}"
    log(line)
    if mismatches:
        log(f"  !! {notebook.name}: restored values differ: {mismatches}")
    return result


def measured_bandwidth(directory: Path) -> float | None:
    """The bandwidth (MB/s) the checkpoints into `directory` planned with, if known.

    The package measures it once per directory and process and keeps it
    (``bandwidth.measure_bandwidth`` is cached), so this reads the figure it used.
    """
    try:
        from elastic_notebook.bandwidth import measure_bandwidth
    except ImportError:
        return None
    return round(measure_bandwidth(str(directory)) / 1e6, 1)


def part_checkpoint(repeats: int) -> dict[str, Any]:
    """Part 2: checkpoint/restore of every notebook of `CHECKPOINT` against the peers."""
    import elastic_notebook

    if not hasattr(elastic_notebook, "checkpoint") or not hasattr(elastic_notebook, "restore"):
        raise BenchError(
            "the installed elastic_notebook has no checkpoint/restore (run scripts/build-python)"
        )
    log("== checkpoint/restore vs dill and re-running (restores in new processes)")
    shell = new_shell()
    with temporary_directory() as workdir:
        per = {nb.name: checkpoint_notebook(shell, nb, repeats, workdir) for nb in CHECKPOINT}
    heavy = [per[name]["ratios"]["restoreRerunOverElastic"] for name in COMPUTE_HEAVY]
    summary = {
        "restoreRerunOverElasticComputeHeavyMin": min(heavy),
        "targetRestoreSpeedup": TARGET_RESTORE_SPEEDUP,
        "targetMet": min(heavy) >= TARGET_RESTORE_SPEEDUP,
        # Ours must reproduce the session exactly; a peer that does not (a re-run whose
        # pandas sort breaks ties differently) is reported, not fatal.
        "allRestoresCorrect": not any("elastic" in r["mismatches"] for r in per.values()),
        "peerMismatches": {n: r["mismatches"] for n, r in per.items() if r["mismatches"]},
    }
    log(f"  {summary}")
    return {"summary": summary, "notebooks": per}


@contextlib.contextmanager
def temporary_directory() -> Iterator[Path]:
    """A scratch directory for the checkpoint files (removed after)."""
    path = Path(tempfile.mkdtemp(prefix="elastic-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


# --- main ---------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    """Versions of what the figures depend on."""
    import dill
    import IPython
    import numpy
    import pandas

    import elastic_notebook

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "commit": commit + ("-dirty" if dirty else ""),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "python": platform.python_version(),
        "elasticNotebook": elastic_notebook.version(),
        "ipython": IPython.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "dill": dill.__version__,
        "blasThreads": ", ".join(f"{v}={os.environ.get(v, '')}" for v in BLAS_THREADS),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="where to write the JSON results")
    parser.add_argument(
        "--part", choices=("overhead", "checkpoint", "walk", "floor", "all"), default="all"
    )
    parser.add_argument("--repeats", type=int, default=5, help="overhead runs per mode (>= 5)")
    parser.add_argument("--restore-repeats", type=int, default=3, help="checkpoints/restores")
    parser.add_argument(
        "--installed",
        action="store_true",
        help="measure the installed package even if pyodide-ext/ has changed since",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--notebook", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    # One BLAS thread (before numpy is imported here or in a child): on a shared 2-core
    # machine OpenBLAS threads spin-wait against other processes, and a 1.4 s cell was
    # measured taking 14 s. Set the variables to measure multithreaded BLAS.
    for variable in BLAS_THREADS:
        os.environ.setdefault(variable, "1")

    if args.child is not None:
        print(json.dumps(child(args.child, BY_NAME[args.notebook], args.file or "")))
        return 0
    if args.out is None:
        parser.error("--out FILE is required")
    try:
        stale = stale_files()
        if stale and not args.installed:
            raise BenchError(
                f"the installed elastic_notebook differs from pyodide-ext/ in "
                f"{', '.join(stale)}: run scripts/build-python (or pass --installed)"
            )
        session: dict[str, Any] = versions()
        session["staleFiles"] = stale
        result: dict[str, Any] = {}
        if args.part in ("overhead", "all"):
            session["overhead"] = part_overhead(args.repeats)
            result["sessionOverheadMedianPct"] = session["overhead"]["summary"]["medianPct"]
            result["sessionOverheadMaxPct"] = session["overhead"]["summary"]["maxPct"]
        if args.part in ("walk", "all"):
            session["walk"] = part_walk(args.repeats)
        if args.part in ("floor", "all"):
            session["floor"] = part_floor(args.repeats)
        if args.part in ("checkpoint", "all"):
            session["checkpoint"] = part_checkpoint(args.restore_repeats)
            summary = session["checkpoint"]["summary"]
            result["sessionRestoreVsRerunComputeHeavy"] = summary[
                "restoreRerunOverElasticComputeHeavyMin"
            ]
    except BenchError as error:
        log(f"!!! {error}")
        return 1
    result["session"] = session
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    log(f"wrote {args.out}")
    if "checkpoint" in session and not session["checkpoint"]["summary"]["allRestoresCorrect"]:
        log("!!! an elastic-notebook restore gave other values than the session (see 'mismatches')")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
