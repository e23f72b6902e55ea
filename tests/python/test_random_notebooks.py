"""Random notebooks survive checkpoint and restore, in every plan mode, in another process.

Each notebook (`random_notebooks.generate`) runs in a real IPython shell with the extension
loaded, is checkpointed in the modes optimal (at a random bandwidth), storeAll and
recomputeAll, and each checkpoint is restored by a fresh worker process. The restored
namespace must equal the original in values and aliasing (`random_notebooks.canonical`),
and must go on the same way: the notebook's continuation cells run in both sessions.
Then the restored session (recording on) is checkpointed again in the same mode, and a
third process restores that, which must give the state after the continuation.

Workers run in rounds of `WORKERS` processes (record, restore, restore again), each
handling many notebooks with a fresh namespace and recorder per notebook. Only the
notebooks of the selected tests run: ``-k seed-17-`` runs one notebook in three modes.

``ELASTIC_RANDOM_NOTEBOOKS=2000 pytest tests/python/test_random_notebooks.py`` is a soak run.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pytest
from random_notebooks import (
    MODES,
    Notebook,
    RecordJob,
    RecordResult,
    RestoreJob,
    RestoreResult,
    canonical,
    generate,
    notebook,
    record_job,
    user_variables,
)

#: Notebooks per mode (seeds 0..N-1).
SEED_COUNT = int(os.environ.get("ELASTIC_RANDOM_NOTEBOOKS", "200"))
SEEDS = list(range(SEED_COUNT))
WORKER = Path(__file__).with_name("random_notebooks.py")
#: Worker processes per phase (recording, then restoring).
WORKERS = max(1, min(4, os.cpu_count() or 1))
#: Seconds a phase may take before the test gives up on it.
PHASE_TIMEOUT = 900 + SEED_COUNT

#: Smallest notebooks that failed once, kept as regression cases (by name). Each sets the
#: bandwidth so that its optimal plan recomputes (1 kB/s) or stores (1 GB/s) what breaks.
REGRESSIONS: dict[str, Notebook] = {
    # A cell deleting a name and binding it again.
    "del-then-rebind": notebook(["x = [1]", "del x\nx = [2]"], ["x.append(3)"], bandwidth=1e3),
    "del-then-redefine": notebook(
        ["def g():\n    return 1", "del g\ndef g():\n    return 2"], ["y = g()"], bandwidth=1e3
    ),
    # An item replaced by an equal but distinct object: only the identity changes.
    "equal-item-becomes-shared": notebook(
        ["a = [[1]]", "b = [[1]]", "a[0] = b[0]"], ["b[0].append(2)"], bandwidth=1e3
    ),
    "update-with-equal-values": notebook(
        ["a = {'k': [1]}", "b = {'k': [1]}", "a.update(b)"], ["b['k'].append(2)"], bandwidth=1e3
    ),
    # Views of an array that does not own its memory (every array a restore loaded does
    # not): stored, they stop sharing it. High bandwidth: the optimal plan stores them.
    "views-of-a-buffer-array": notebook(
        ["import numpy as np", "x = np.frombuffer(bytearray(32))", "y = x[::2]\nz = x[1:]"],
        ["y[1] = 5"],
        bandwidth=1e9,
    ),
    "views-made-after-a-restore": notebook(
        ["import numpy as np", "x = np.zeros(4)"],
        ["y = x[::2]\nz = x[1:]\ndel x", "y[1] = 5"],
        bandwidth=1e9,
    ),
}


# --- the canonical form ---------------------------------------------------------------


def test_an_alias_and_an_equal_copy_differ() -> None:
    x = [1, 2]
    assert canonical({"a": x, "b": x}, globals_of={}) != canonical(
        {"a": x, "b": list(x)}, globals_of={}
    )
    assert canonical({"a": x, "b": [1, 2]}, globals_of={}) == canonical(
        {"a": [1, 2], "b": list(x)}, globals_of={}
    )


def test_sharing_inside_containers_counts() -> None:
    y = [0]
    shared = canonical({"a": [y, y]}, globals_of={})
    copied = canonical({"a": [y, list(y)]}, globals_of={})
    assert shared != copied
    assert shared == "a = #0=[#1=[0], #1]"
    across = canonical({"a": {"k": y}, "b": (y, 1)}, globals_of={})
    assert across == "a = #0={'k': #1=[0]}\nb = #2=(#1, 1)"


def test_cycles_have_a_finite_form() -> None:
    x: list[object] = [1]
    x.append(x)
    assert canonical({"a": x}, globals_of={}) == "a = #0=[1, #0]"
    assert canonical({"a": x}, globals_of={}) != canonical({"a": [1, [1]]}, globals_of={})


def test_dict_order_counts_and_set_order_does_not() -> None:
    assert canonical({"a": {"k": 1, "m": 2}}, globals_of={}) != canonical(
        {"a": {"m": 2, "k": 1}}, globals_of={}
    )
    assert canonical({"a": {3, 1, 2}}, globals_of={}) == canonical({"a": {1, 2, 3}}, globals_of={})


def test_atoms_and_atom_tuples_are_values() -> None:
    t = (1, "x")
    assert canonical({"a": t, "b": t}, globals_of={}) == canonical(
        {"a": (1, "x"), "b": tuple([1, "x"])}, globals_of={}
    )
    assert canonical({"a": True}, globals_of={}) != canonical({"a": 1}, globals_of={})


def test_functions_are_code_and_whose_globals() -> None:
    session: dict[str, object] = {}
    other: dict[str, object] = {}
    exec("def f():\n    return a", session)
    exec("def f():\n    return a", other)
    exec("def g():\n    return b", other)
    assert canonical({"f": session["f"]}, globals_of=session) == canonical(
        {"f": other["f"]}, globals_of=other
    )
    assert canonical({"f": other["f"]}, globals_of=session) != canonical(
        {"f": session["f"]}, globals_of=session
    )
    g = canonical({"f": other["g"]}, globals_of=other)
    assert g != canonical({"f": other["f"]}, globals_of=other)


def test_numpy_views_and_copies_differ() -> None:
    x = np.arange(6)
    view = canonical({"x": x, "y": x[::2]}, globals_of={})
    copy = canonical({"x": x, "y": x[::2].copy()}, globals_of={})
    assert view != copy
    assert view == "x = #0=ndarray(int64, [0, 1, 2, 3, 4, 5], memory 0+0, strides (8,))\n" + (
        "y = #1=ndarray(int64, [0, 2, 4], memory 0+0, strides (16,))"
    )
    assert canonical({"x": x, "y": x[1:]}, globals_of={}) != canonical(
        {"x": x, "y": x[:-1]}, globals_of={}
    ), "the offset into the shared memory counts"
    other = np.arange(6)
    assert canonical({"x": x, "y": x[::2]}, globals_of={}) == canonical(
        {"x": other, "y": other[::2]}, globals_of={}
    )
    alone = canonical({"y": np.arange(6)[::2]}, globals_of={})
    assert alone == canonical({"y": np.array([0, 2, 4])}, globals_of={})
    assert alone == "y = #0=ndarray(int64, [0, 2, 4])", "a lone view is its values"


def test_unknown_types_are_refused() -> None:
    with pytest.raises(TypeError, match="no canonical form"):
        canonical({"a": object()}, globals_of={})


def test_user_variables_leave_out_ipython_names() -> None:
    hidden_value = object()
    namespace = {"a": 1, "_": 2, "_i3": "x", "__name__": "__main__", "In": hidden_value}
    assert user_variables(namespace, {"In": hidden_value}) == {"a": 1}
    assert user_variables({"In": [1]}, {"In": hidden_value}) == {"In": [1]}


# --- the generator --------------------------------------------------------------------


def test_the_generator_is_deterministic() -> None:
    for seed in (0, 1, 99):
        assert generate(seed) == generate(seed)
    assert generate(1).cells != generate(2).cells


def test_generated_notebooks_cover_the_features() -> None:
    """Each feature the test is about appears in some of the default run's notebooks."""
    features = {
        "alias": r"^[a-e] = [a-e]$",
        "nested alias": r"^[a-e] = [a-e](\[[^\]]+\])+$",
        "container of an alias": r"^[a-e] = [\[{(].*\b[a-e]\b",
        "append": r"\.append\(",
        "nested in-place edit": r"^[a-e](\[[^\]]+\])+\.(append|insert|extend|update)\(",
        "item augmented assignment": r"^[a-e](\[[^\]]+\])+ \+= ",
        "extend with a variable": r"\.extend\([a-e]",
        "rebinding": r"^([a-e]) = \1 \+ ",
        "delete": r"^del [a-e]$",
        "function rebinding a global": r"^    global [a-e]$",
        "function mutating a global": r"^    [a-e]\.append",
        "call": r"^[fgh]\(",
        "comprehension": r" for v in ",
        "loop": r"^for i in range",
        "import": r"^import ",
        "a set": r"set\(|\.add\(|\.discard\(",
        "numpy view": r"^[a-e] = [a-e](\[::2\]|\[1:\])$",
        "numpy slice assignment": r"^[a-e]\[:2\] = \d$",
    }
    import re

    notebooks = [generate(seed) for seed in range(max(SEED_COUNT, 200))]
    lines = [
        line for nb in notebooks for cell in nb.cells + nb.continuation for line in cell.split("\n")
    ]
    missing = [
        name for name, pattern in features.items() if not any(re.search(pattern, s) for s in lines)
    ]
    assert not missing, f"the generator never writes: {missing}"
    failing = sum(any(nb.fails) for nb in notebooks)
    assert 0.1 * len(notebooks) < failing < 0.8 * len(notebooks), f"{failing} with a failing cell"
    sizes = [len(nb.cells) for nb in notebooks]
    assert min(sizes) == 5 and max(sizes) == 15


def test_hand_written_notebooks_compute_their_expectations() -> None:
    nb = notebook(["a = [1]", "b = a", "a.append(2); 1 / 0"], ["c = [b]"])
    assert nb.fails == (False, False, True)
    assert nb.expected == "a = #0=[1, 2]\nb = #0"
    assert nb.expected_after == "a = #0=[1, 2]\nb = #0\nc = #1=[#0]"


# --- checkpoint and restore in other processes ----------------------------------------


@dataclass
class Outcome:
    """What happened to one notebook: its recording and the restores of its checkpoints."""

    #: ``seed-N`` or ``case-NAME``.
    key: str
    notebook: Notebook
    recorded: RecordResult | None = None
    #: The restore of each mode's checkpoint (then the continuation, then a new checkpoint).
    restored: dict[str, RestoreResult] = field(default_factory=dict)
    #: The restore of each of those new checkpoints, in yet another process.
    second: dict[str, RestoreResult] = field(default_factory=dict)


Job = TypeVar("Job", RecordJob, RestoreJob)


def run_workers(kind: str, jobs: Sequence[Job], directory: Path) -> list[Any]:
    """Runs `jobs` in `WORKERS` fresh worker processes at once; their results, in no order."""
    running = []
    for index in range(WORKERS):
        chunk = list(jobs[index::WORKERS])
        if not chunk:
            continue
        stem = directory / f"{kind}-{len(list(directory.glob(f'{kind}-*.log')))}"
        jobs_path, results_path = stem.with_suffix(".jobs.json"), stem.with_suffix(".json")
        jobs_path.write_text(json.dumps(chunk))
        env = dict(os.environ, IPYTHONDIR=str(directory / "ipython"))
        with stem.with_suffix(".log").open("w") as log:
            process = subprocess.Popen(
                [sys.executable, str(WORKER), kind, str(jobs_path), str(results_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        running.append((process, results_path, stem.with_suffix(".log")))
    results: list[Any] = []
    for process, results_path, log_path in running:
        try:
            code = process.wait(timeout=PHASE_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            code = -1
        if code != 0:
            tail = log_path.read_text(errors="replace")[-4000:]
            raise RuntimeError(f"{kind} worker exited with {code}; its log ends:\n{tail}")
        results += json.loads(results_path.read_text())
    return results


def run_notebooks(notebooks: dict[str, Notebook], directory: Path) -> dict[str, Outcome]:
    """Three rounds of fresh processes: record and checkpoint each notebook in every mode;
    restore each checkpoint, run the continuation and checkpoint again; restore those."""
    outcomes = {key: Outcome(key, nb) for key, nb in notebooks.items()}
    record_jobs = [record_job(key, nb, directory) for key, nb in notebooks.items()]
    restore_jobs: list[RestoreJob] = []
    for recorded in run_workers("record", record_jobs, directory):
        outcome = outcomes[recorded["key"]]
        outcome.recorded = recorded
        for checkpoint in recorded["checkpoints"]:
            if checkpoint["error"] is None:
                mode = checkpoint["mode"]
                restore_jobs.append(
                    {
                        "key": recorded["key"],
                        "mode": mode,
                        "path": checkpoint["path"],
                        "continuation": list(outcome.notebook.continuation),
                        "bandwidth": outcome.notebook.bandwidth if mode == "optimal" else None,
                        "recheckpoint": checkpoint["path"].replace(".ckpt", "-again.ckpt"),
                    }
                )
    second_jobs: list[RestoreJob] = []
    for restored in run_workers("restore", restore_jobs, directory):
        outcomes[restored["key"]].restored[restored["mode"]] = restored
        again = restored["recheckpoint"]
        if again is not None and again["error"] is None:
            second_jobs.append(
                {
                    "key": restored["key"],
                    "mode": restored["mode"],
                    "path": again["path"],
                    "continuation": [],
                    "bandwidth": None,
                    "recheckpoint": None,
                }
            )
    for restored in run_workers("restore", second_jobs, directory):
        outcomes[restored["key"]].second[restored["mode"]] = restored
    return outcomes


def selected_keys(request: pytest.FixtureRequest) -> set[str]:
    """The notebooks the selected tests need (all seeds for the statistics)."""
    keys: set[str] = set()
    for item in request.session.items:
        if getattr(item, "module", None) is not request.module:
            continue
        params = getattr(item, "callspec", None)
        if params is not None and "key" in params.params:
            keys.add(params.params["key"])
        elif item.name == "test_optimal_plans_mix_storing_and_recomputing":
            keys |= {f"seed-{seed}" for seed in SEEDS}
    return keys


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Outcome]:
    notebooks: dict[str, Notebook] = {}
    for key in sorted(selected_keys(request)):
        kind, _, name = key.partition("-")
        notebooks[key] = generate(int(name)) if kind == "seed" else REGRESSIONS[name]
    return run_notebooks(notebooks, tmp_path_factory.mktemp("random-notebooks"))


def _clip(text: str, limit: int = 400) -> str:
    lines = [line if len(line) <= limit else line[:limit] + " ..." for line in text.split("\n")]
    return "\n".join(f"    {line}" for line in lines)


def _diff(expected: str, got: str) -> str:
    diff = difflib.unified_diff(
        expected.split("\n"), got.split("\n"), "expected", "got", lineterm="", n=1
    )
    return _clip("\n".join(diff))


def failure(outcome: Outcome, mode: str, problem: str, expected: str, got: str) -> str:
    """A report naming the seed, the mode, the cells, expected vs got."""
    nb = outcome.notebook
    parts = [
        f"{problem}\n{outcome.key}, mode {mode}, bandwidth {nb.bandwidth:.4g} B/s; cells:",
        nb.listing(),
    ]
    if outcome.recorded is not None:
        for checkpoint in outcome.recorded["checkpoints"]:
            if checkpoint["mode"] == mode:
                parts.append(
                    f"checkpoint: {checkpoint['summary']}\n  stored {checkpoint['stored']}, "
                    f"recomputed {checkpoint['recomputed']}"
                )
    restored = outcome.restored.get(mode)
    if restored is not None:
        parts.append(
            f"restore: {restored['summary']}\n  loaded {restored['loaded']}, recomputed "
            f"{restored['recomputed']}, fallbacks {restored['fallbacks']}"
        )
        again = restored["recheckpoint"]
        if again is not None:
            parts.append(f"checkpoint after the continuation: {again['summary']}")
    second = outcome.second.get(mode)
    if second is not None:
        parts.append(f"restore of that: {second['summary']}")
    if expected:
        parts += [f"diff:\n{_diff(expected, got)}", f"expected:\n{_clip(expected)}"]
    parts.append(f"got:\n{_clip(got)}")
    return "\n".join(parts)


def check(outcome: Outcome, mode: str) -> None:
    """Fails with a full report unless the checkpoint in `mode` restores the session."""
    __tracebackhide__ = True
    nb = outcome.notebook

    def require(ok: bool, problem: str, expected: str, got: str | None) -> None:
        __tracebackhide__ = True
        if not ok:
            pytest.fail(failure(outcome, mode, problem, expected, str(got)), pytrace=False)

    recorded = outcome.recorded
    assert recorded is not None, f"{outcome.key}: the recording worker lost the notebook"
    require(recorded["error"] is None, "recording failed", "", recorded["error"])
    require(
        recorded["fails"] == list(nb.fails),
        "the shell raised in other cells than a plain run",
        str(list(nb.fails)),
        str(recorded["fails"]),
    )
    require(
        recorded["original"] == nb.expected,
        "the recorded session differs from a plain run",
        nb.expected,
        recorded["original"],
    )
    require(
        recorded["after_checkpoints"] == recorded["original"],
        "checkpointing changed the session",
        recorded["original"],
        recorded["after_checkpoints"],
    )
    require(
        recorded["after"] == nb.expected_after,
        "the continuation went differently in the recorded session",
        nb.expected_after,
        recorded["after"],
    )
    (checkpoint,) = [c for c in recorded["checkpoints"] if c["mode"] == mode]
    require(checkpoint["error"] is None, "checkpoint raised", "", checkpoint["error"])
    if mode == "recomputeAll":
        require(checkpoint["stored"] == [], "recomputeAll stored", "[]", str(checkpoint["stored"]))
    restored = outcome.restored.get(mode)
    assert restored is not None, f"{outcome.key}: the restore worker lost the checkpoint"
    require(restored["error"] is None, "restore raised", "", restored["error"])
    # Same machine, same Python: every stored group must load.
    require(
        restored["fallbacks"] == {}, "stored groups fell back", "{}", str(restored["fallbacks"])
    )
    require(
        restored["restored"] == nb.expected,
        "the restored namespace differs",
        nb.expected,
        restored["restored"],
    )
    require(
        restored["after"] == nb.expected_after,
        "after the restore, the continuation went differently",
        nb.expected_after,
        restored["after"],
    )
    again = restored["recheckpoint"]
    assert again is not None, f"{outcome.key}: the restore worker did not checkpoint again"
    require(again["error"] is None, "checkpoint after restore raised", "", again["error"])
    second = outcome.second.get(mode)
    assert second is not None, f"{outcome.key}: the second restore worker lost the checkpoint"
    require(second["error"] is None, "restore of the second checkpoint raised", "", second["error"])
    require(
        second["restored"] == nb.expected_after,
        "the checkpoint taken after restore and continuation restores differently",
        nb.expected_after,
        second["restored"],
    )


def params(keys: Sequence[str]) -> list[Any]:
    """(key, mode) test parameters."""
    return [pytest.param(key, mode, id=f"{key}-{mode}") for key in keys for mode in MODES]


@pytest.mark.parametrize(("key", "mode"), params([f"seed-{seed}" for seed in SEEDS]))
def test_random_notebook_restores(outcomes: dict[str, Outcome], key: str, mode: str) -> None:
    check(outcomes[key], mode)


@pytest.mark.parametrize(("key", "mode"), params([f"case-{case}" for case in REGRESSIONS]))
def test_regression_notebook_restores(outcomes: dict[str, Outcome], key: str, mode: str) -> None:
    check(outcomes[key], mode)


def test_optimal_plans_mix_storing_and_recomputing(outcomes: dict[str, Outcome]) -> None:
    """The random bandwidths make optimal plans store some data and recompute other data."""
    plans = {"mixed": 0, "store only": 0, "recompute only": 0, "no data": 0}
    for key, outcome in outcomes.items():
        if not key.startswith("seed-") or outcome.recorded is None:
            continue
        for checkpoint in outcome.recorded["checkpoints"]:
            if checkpoint["mode"] != "optimal" or checkpoint["error"] is not None:
                continue
            stored, recomputed = bool(checkpoint["stored"]), bool(checkpoint["recomputed_data"])
            kind = {
                (True, True): "mixed",
                (True, False): "store only",
                (False, True): "recompute only",
                (False, False): "no data",
            }[stored, recomputed]
            plans[kind] += 1
    print(f"optimal plans: {plans}")
    assert plans["mixed"] >= 0.1 * sum(plans.values()), plans
    assert plans["store only"] > 0 and plans["recompute only"] > 0, plans
