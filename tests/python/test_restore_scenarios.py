"""Checkpoint in one IPython process, restore in a NEW one, and compare.

Each scenario runs its cells with the extension loaded, ends with ``%checkpoint``, and
evaluates probe expressions (values, types, identities). A fresh process runs only
``%restore`` and the same probes; both must give the same answers. Scenarios run under
each plan mode, so storing, recomputing and their mixes are all exercised.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import elastic_notebook

DRIVER = Path(__file__).with_name("ipython_driver.py")
MODES = {"optimal": "", "storeAll": "--store-all", "recomputeAll": "--recompute-all"}


@dataclass(frozen=True)
class Session:
    probes: dict[str, str]
    results: list[dict[str, Any]]
    variables: list[str]

    @property
    def last_output(self) -> str:
        return str(self.results[-1]["output"])


def run_session(
    tmp_path: Path,
    cells: Sequence[str | dict[str, str]],
    probes: list[str] = [],  # noqa: B006 - never mutated
    env: dict[str, str] | None = None,
    before: list[str] = [],  # noqa: B006 - never mutated
) -> Session:
    """Runs `cells` in a new Python process with a real IPython shell (`ipython_driver`).

    `before` runs before the extension is loaded; a cell ``{"outside": CODE}`` runs CODE
    between cells, as a widget's callback would.
    """
    job = tmp_path / f"job-{len(list(tmp_path.glob('job-*')))}.json"
    job.write_text(
        json.dumps({"before": before, "cells": list(cells), "probes": probes}), encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, str(DRIVER), str(job)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path), **(env or {})},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    return Session(data["probes"], data["results"], data["variables"])


def assert_restores_as_recorded(
    tmp_path: Path, checkpoint: str, probes: list[str], original: Session
) -> None:
    """`%restore checkpoint` in a new process succeeds, and every probe is as recorded."""
    restored = run_session(tmp_path, [f"%restore {checkpoint}"], probes)
    assert restored.results[0]["success"], restored.results[0]["output"]
    assert restored.probes == original.probes


@dataclass(frozen=True)
class Scenario:
    cells: list[str]
    probes: list[str]
    #: Indexes of cells that are meant to fail.
    failing: tuple[int, ...] = ()


SCENARIOS: dict[str, Scenario] = {
    "rebinding_and_del": Scenario(
        ["a = 1\nb = [1]", "a = a + 1", "b = b + [2]", "c = 5", "del c", "b.append(a)"],
        ["a", "b", "'c' in globals()"],
    ),
    "function_updating_a_global": Scenario(
        [
            "counter = 0",
            "def bump(by=1):\n    global counter\n    counter += by",
            "bump()",
            "bump(5)",
        ],
        ["counter", "(bump(), counter)[1]", "bump.__globals__ is globals()"],
    ),
    "comprehension": Scenario(
        ["xs = [i * i for i in range(6)]", "table = {k: v for k, v in zip('abcdef', xs)}"],
        ["xs", "table", "'i' in globals()"],
    ),
    "aliasing": Scenario(
        ["l1 = [1, 2]", "l2 = l1", "l1.append(3)", "holder = {'x': l1, 'y': (l1,)}"],
        ["l1", "l1 is l2", "holder['x'] is l1", "holder['y'][0] is l2", "(l2.append(9), l1)[1]"],
    ),
    "numpy_in_place": Scenario(
        ["import numpy as np", "arr = np.zeros(6)", "arr[0] = 1", "arr += 2", "arr2 = arr"],
        ["arr.tolist()", "arr.dtype", "arr2 is arr", "arr.flags.writeable"],
    ),
    # A read-only view of a writeable base (`df['x'].to_numpy()` under copy-on-write)
    # came back writeable: a view is made from its base.
    "view_sharing_a_base": Scenario(
        [
            "import numpy as np",
            "base = np.arange(10.0)",
            "v = base[2:6]",
            "v[0] = -1",
            "frozen = base[::3]\nfrozen.flags.writeable = False",
        ],
        [
            "base.tolist()",
            "v.tolist()",
            "np.shares_memory(v, base)",
            "(base.__setitem__(3, 99.0), v[1])[1]",
            "(v.flags.writeable, frozen.flags.writeable, np.shares_memory(frozen, base))",
        ],
    ),
    "numpy_arrays_over_bytearrays": Scenario(
        [
            "import numpy as np",
            "raw = bytearray(range(16)) * 8192\nwords = np.frombuffer(raw, dtype=np.uint32)",
            "tail = words[4:]\nraw[0] = 255",
            "small = bytearray(8)\nhalf = np.frombuffer(small, dtype=np.uint16)[2:]",
            "sealed = np.frombuffer(small, dtype=np.uint8)\nsealed.flags.writeable = False",
        ],
        [
            "(len(raw), int(words[0]), int(tail[0]))",
            "(raw.__setitem__(1, 7), hex(words[0]))[1]",
            "(raw.__setitem__(16, 1), int(tail[0]))[1]",
            "np.shares_memory(tail, words)",
            "(small.__setitem__(4, 9), int(half[0]))[1]",
            "(words.flags.writeable, half.flags.writeable, sealed.flags.writeable)",
            "(small.__setitem__(0, 3), int(sealed[0]))[1]",
        ],
    ),
    "pandas_column_and_loc": Scenario(
        [
            "import pandas as pd",
            "df = pd.DataFrame({'a': [1, 2, 3], 'b': ['x', 'y', 'z']})",
            "df['a'] = df['a'] * 10",
            "df.loc[0, 'a'] = 5",
            "df['c'] = df['a'] + 1",
        ],
        ["df.to_dict()", "list(df.dtypes.astype(str))"],
    ),
    "large_bytes_likes_out_of_band": Scenario(
        [
            "import array, hashlib",
            "frame = bytearray(range(256)) * 1024",
            "frames = [frame, bytearray(b'x' * 100_000), frame]",
            "blob = bytes(reversed(frame))",
            "series = array.array('d', range(20_000))\nwide = array.array('l', range(20_000))",
            "frame[0] = 255\nseries[1] = -1.5",
        ],
        [
            "hashlib.sha256(frame).hexdigest()",
            "frames[0] is frame and frames[2] is frame",
            "(frame.append(7), len(frames[2]))[1]",
            "hashlib.sha256(blob).hexdigest()",
            "type(blob).__name__",
            "(series.typecode, series[1], sum(series))",
            "(wide.typecode, sum(wide))",
        ],
    ),
    "memoryview_of_a_bytearray": Scenario(
        [
            "buffer = bytearray(200_000)\nbuffer[5] = 7",
            "window = memoryview(buffer)[:10]",
            "window[0] += 1",
            "small = bytearray(b'abc')\nview = memoryview(small)\nview[1] += 1",
            "spent = memoryview(buffer)",
            "spent.release()",
        ],
        [
            "type(window).__name__",
            "window.obj is buffer",
            "bytes(window)",
            "(buffer[0], small)",
            "type(view).__name__",
            "view.obj is small",
            "(buffer.__setitem__(5, 9), window[5])[1]",
            "(small.__setitem__(0, 65), bytes(view))[1]",
            "spent.obj",  # released: raises ValueError
        ],
    ),
    "calling_values_that_hold_data": Scenario(
        [
            "class Counter:\n    def __init__(self):\n        self.n = 0\n"
            "    def __call__(self):\n        self.n += 1\n        return self.n\n"
            "counter = Counter()",
            "counter()",
            "counter()\nseen = counter.n",
            "import functools\nbag = []\nadd = bag.append\nput = functools.partial(bag.append)",
            "add(5)",
            "put(6)",
            "def make():\n    data = []\n    def note(x):\n        data.append(x)\n"
            "        return len(data)\n    return note",
            "note = make()",
            "note('a')",
        ],
        [
            "counter.n",
            "seen",
            "bag",
            "add.__self__ is bag",
            "put.func.__self__ is bag",
            "(add(7), put(8), bag)[2]",
            "(note('b'), note.__closure__[0].cell_contents)[1]",
        ],
    ),
    "generator_recomputed": Scenario(
        ["gen = (x * 2 for x in range(6))", "first = next(gen)", "second = next(gen)"],
        ["first", "second", "list(gen)"],
    ),
    "notebook_class_and_instances": Scenario(
        [
            "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n"
            "    def norm1(self):\n        return abs(self.x) + abs(self.y)",
            "p = Point(1, -2)",
            "points = [p, Point(3, 4)]",
            "p.x = 7",
        ],
        [
            "type(p) is Point",
            "points[0] is p",
            "[q.norm1() for q in points]",
            "isinstance(points[1], Point)",
        ],
    ),
    "notebook_class_state": Scenario(
        [
            "class Dog:\n    count = 0\n    registry = []\n"
            "    def __init__(self, name):\n        Dog.count += 1\n"
            "        Dog.registry.append(name)\n        self.name = name",
            "d1 = Dog('a')\nd2 = Dog('b')",
            "Dog.registry.append('manual')",
            "Dog.count += 10",
            "class Puppy(Dog):\n    pass",
            "Puppy.registry.append('inherited')",
            "reg = Dog.registry",
            "reg.append('through an alias')",
        ],
        [
            "Dog.count",
            "Dog.registry",
            "(d1.name, d2.name, type(d1) is Dog)",
            "(Dog('c'), Dog.count, Dog.registry[-1])[1:]",
            "reg is Dog.registry",
        ],
    ),
    "lambda": Scenario(
        ["k = 3", "scale = lambda v: v * k", "fns = {'double': lambda v: v * 2}"],
        ["scale(2)", "fns['double'](21)", "(globals().__setitem__('k', 10), scale(2))[1]"],
    ),
    "failed_cell": Scenario(
        ["x = [1]", "x.append(2)\ny = 1 / 0\nx.append(3)", "z = len(x)"],
        ["x", "z", "'y' in globals()"],
        failing=(1,),
    ),
    "syntax_error_cell": Scenario(
        ["u = 1", "def broken(:\n    pass", "w = u + 1"],
        ["u", "w", "'broken' in globals()"],
        failing=(1,),
    ),
    # State cells set in modules: a module is stored by its name, which imports it
    # afresh, so the cells that set it are re-run; a cell re-run against the defaults
    # would compute `third` with 28 digits, or fail to find the variable.
    "module_state_set_by_cells": Scenario(
        [
            "import decimal, os",
            "decimal.getcontext().prec = 50\nos.environ['ELASTIC_SCENARIO_UNIT'] = 'cm'",
            "third = decimal.Decimal(1) / decimal.Decimal(3)",
            "label = 'length in ' + os.environ['ELASTIC_SCENARIO_UNIT']",
        ],
        [
            "str(third)",
            "label",
            "decimal.getcontext().prec",
            "os.environ.get('ELASTIC_SCENARIO_UNIT')",
        ],
    ),
    # A notebook function's attributes, set by cells and by its own body, a library
    # class patched by a cell, a notebook class given attributes by cells: a function or
    # class is stored by its name (or recomputed from its cell) without them. The last
    # failed every restore: re-running `Config.items.append(3)` found no `items`.
    "state_set_on_functions_and_classes": Scenario(
        [
            "def f():\n    return 1",
            "f.counter = 5",
            "x = f.counter * 2",
            "def step():\n    step.calls += 1\n    return step.calls\nstep.calls = 0",
            "step()\nstep()",
            "last = step()",
            "from fractions import Fraction\nFraction.elastic_flag = 'patched'",
            "y = Fraction.elastic_flag",
            # A mutating method on what a library's class holds changes the class too.
            "Fraction.elastic_log = []",
            "Fraction.elastic_log.append(3)",
            # A notebook class with no state until a cell gives it some.
            "class Config:\n    pass",
            "Config.debug = True\nConfig.items = []",
            "Config.items.append(3)",
        ],
        [
            "f.counter",
            "x",
            "step.calls",
            "last",
            "Fraction.elastic_flag",
            "Fraction.elastic_log",
            "y",
            "(Config.debug, Config.items)",
        ],
    ),
    # Cells re-run by a restore compile with the future imports of the cells before them
    # in the session, and no others: they inherited the package's own
    # `from __future__ import annotations` (`Point`'s annotations came back as strings).
    "annotations_compiled_as_the_session_did": Scenario(
        [
            "class Point:\n    x: int\n    y: 'float' = 0.0",
            "from __future__ import annotations",
            "def area(w: float, h: float) -> float:\n    return w * h",
            "hints = dict(Point.__annotations__)",
        ],
        ["Point.__annotations__", "area.__annotations__", "hints"],
    ),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario_restores_in_a_new_process(tmp_path: Path, name: str, mode: str) -> None:
    scenario = SCENARIOS[name]
    checkpoint = f"%checkpoint session.ckpt {MODES[mode]}"
    original = run_session(tmp_path, [*scenario.cells, checkpoint], scenario.probes)
    for index, result in enumerate(original.results[:-1]):
        assert result["success"] == (index not in scenario.failing), (index, result)
    assert original.results[-1]["success"], original.last_output
    assert "elastic-notebook: checkpoint session.ckpt" in original.last_output

    restored = run_session(tmp_path, ["%restore session.ckpt"], scenario.probes)
    assert restored.results[0]["success"], restored.last_output
    assert "elastic-notebook: restored session.ckpt" in restored.results[0]["output"]
    assert restored.variables == original.variables
    assert restored.probes == original.probes


#: A cell that awaits at its top level (IPython's autoawait), between two that do not.
AWAITING_CELLS = [
    "import asyncio\n\nasync def later(value):\n    await asyncio.sleep(0.01)\n    return value",
    "awaited = await later([7, 8])",
    "doubled = awaited * 2",
]


@pytest.mark.parametrize("mode", MODES)
def test_a_cell_that_awaits_at_its_top_level_is_re_run_by_a_restore(
    tmp_path: Path, mode: str
) -> None:
    """Re-running `awaited = await later(...)` needs it compiled with top-level await
    allowed, and its coroutine run to its end: by IPython's loop runner here, where no
    loop runs (the Jupyter kernel's test covers a running loop)."""
    probes = ["awaited", "doubled"]
    cells = [*AWAITING_CELLS, f"%checkpoint session.ckpt {MODES[mode]}"]
    original = run_session(tmp_path, cells, probes)
    assert all(result["success"] for result in original.results), original.results
    assert original.probes == {"awaited": "[7, 8]", "doubled": "[7, 8, 7, 8]"}

    restored = run_session(tmp_path, ["%restore session.ckpt"], probes)
    assert restored.results[0]["success"], restored.last_output
    assert restored.probes == original.probes
    if mode == "recomputeAll":
        assert "(3 cells re-run)" in restored.results[0]["output"]


@pytest.mark.parametrize("mode", MODES)
def test_a_cell_reading_ipythons_output_history_is_never_re_run(tmp_path: Path, mode: str) -> None:
    """`answer = _` reads what the cell before showed: re-run by a restore, it would read
    whatever the restoring shell showed last. Such a cell cannot re-run, so what it bound
    is stored, under --recompute-all too."""
    cells = ["41 + 1", "answer = _", "'text'", "both = (__, _)", "%elastic"]
    probes = ["answer", "both"]
    original = run_session(tmp_path, [*cells, f"%checkpoint session.ckpt {MODES[mode]}"], probes)
    assert original.probes == {"answer": "42", "both": "(42, 'text')"}
    shown = original.results[4]["output"]
    assert shown.count("no re-run (it reads IPython's history (`_`)") == 2, shown

    restored = run_session(
        tmp_path, ["'shown last in the restoring shell'", "%restore session.ckpt"], probes
    )
    assert restored.results[1]["success"], restored.last_output
    assert "loaded 2 variables" in restored.results[1]["output"]
    assert restored.probes == original.probes


def test_an_interrupted_cell_is_never_re_run(tmp_path: Path) -> None:
    """A cell the user stopped (a loop run until interrupted) would not stop where it did
    if a restore re-ran it, or at all: what it changed is stored, under --recompute-all
    too."""
    cells = [
        "total = 0",
        "import threading, _thread\nthreading.Timer(0.2, _thread.interrupt_main).start()\n"
        "while True:\n    total += 1",
        "%elastic",
        "%checkpoint session.ckpt --recompute-all",
    ]
    original = run_session(tmp_path, cells, ["total"])
    assert original.results[1]["error"] == "KeyboardInterrupt"
    assert "failed, no re-run (it was interrupted)" in original.results[2]["output"]
    assert int(original.probes["total"]) > 0
    restored = run_session(tmp_path, ["%restore session.ckpt"], ["total"])
    assert restored.results[0]["success"], restored.last_output
    assert "(0 cells re-run)" in restored.results[0]["output"]
    assert restored.probes == original.probes


@pytest.mark.parametrize("mode", MODES)
def test_a_decorated_notebook_function_is_recomputed_not_loaded(tmp_path: Path, mode: str) -> None:
    """`@functools.cache` wraps a notebook function in an object that pickles by name, as
    the function does: stored, it loaded as a reference to a name not restored yet, and
    every restore fell back to recomputing it (and said so). It is a notebook definition:
    its cell re-runs, and the values made with it are restored as planned."""
    cells = [
        "import functools",
        "@functools.cache\ndef square(n):\n    return n * n",
        "nine = square(3)\nsquares = [square(n) for n in range(4)]",
    ]
    probes = ["nine", "squares", "square(5)", "square.__wrapped__.__module__"]
    original = run_session(tmp_path, [*cells, f"%checkpoint session.ckpt {MODES[mode]}"], probes)
    assert all(result["success"] for result in original.results), original.results

    restored = run_session(tmp_path, ["%restore session.ckpt"], probes)
    report = restored.results[0]["output"]
    assert restored.results[0]["success"], report
    assert "did not load" not in report
    assert restored.probes == original.probes


@pytest.mark.parametrize("mode", MODES)
def test_changes_made_outside_cells_are_stored_and_restored(tmp_path: Path, mode: str) -> None:
    """A widget's callback binds and rebinds variables between cells: no cell can re-run
    that, so every plan stores those values (recompute-all too), and cells that used them
    still recompute from the stored copies."""
    cells: list[str | dict[str, str]] = [
        "a = [1, 2]",
        {"outside": "clicked = [7, 8]\na = a + [3]"},
        "b = a + clicked",
        {"outside": "del b"},
        "c = len(a)",
        "%elastic",
        f"%checkpoint session.ckpt {MODES[mode]}",
    ]
    probes = ["a", "clicked", "'b' in globals()", "c"]
    original = run_session(tmp_path, cells, probes)
    assert original.probes == {
        "a": "[1, 2, 3]",
        "clicked": "[7, 8]",
        "'b' in globals()": "False",
        "c": "3",
    }
    report = original.last_output
    assert "left out" not in report, report
    if mode == "recomputeAll":
        assert "stored 2 variables, recompute 1" in report, report
    history = original.results[-2]["output"]
    assert "ok, no re-run  # changed outside any recorded cell: bound a, clicked" in history
    assert "ok, no re-run  # changed outside any recorded cell: deleted b" in history, history
    restored = run_session(tmp_path, ["%restore session.ckpt"], probes)
    assert restored.results[0]["success"], restored.results[0]["output"]
    assert restored.probes == original.probes
    assert restored.variables == original.variables == ["a", "c", "clicked"]


def test_variables_defined_before_recording_started_are_stored(tmp_path: Path) -> None:
    """`%load_ext` late in a session: what is already there is checkpointed (stored, with
    its aliases), not dropped."""
    before = ["x = [1, 2]", "y = x", "import math"]
    cells = ["x.append(3)", "z = math.fsum(x)", "%checkpoint late.ckpt --recompute-all"]
    probes = ["x", "y is x", "z", "math.pi"]
    original = run_session(tmp_path, cells, probes, before=before)
    assert original.probes == {
        "x": "[1, 2, 3]",
        "y is x": "True",
        "z": "6.0",
        "math.pi": "3.141592653589793",
    }
    assert "stored 3 variables, recompute 1" in original.last_output, original.last_output
    restored = run_session(tmp_path, ["%restore late.ckpt"], probes)
    assert restored.probes == original.probes


def test_an_unserializable_value_made_outside_cells_is_left_out_with_a_clear_warning(
    tmp_path: Path,
) -> None:
    """A generator bound between cells can be neither stored nor recomputed: the
    checkpoint says so, leaves it out, and restores everything else."""
    cells: list[str | dict[str, str]] = [
        "kept = [1]",
        {"outside": "ticks = (i for i in range(3))\nfirst = next(ticks)"},
        "%elastic",
        "%checkpoint out.ckpt",
    ]
    original = run_session(tmp_path, cells, ["kept", "first"])
    shown = original.results[-2]["output"]
    assert "left out" in shown and "ticks (cannot be stored: " in shown, shown
    report = original.last_output
    assert "left out of the checkpoint" in report and "ticks (" in report, report
    assert "stored 2 variables" in report, report
    restored = run_session(
        tmp_path, ["%restore out.ckpt"], ["kept", "first", "'ticks' in globals()"]
    )
    assert restored.results[0]["success"], restored.results[0]["output"]
    assert restored.probes == {"kept": "[1]", "first": "0", "'ticks' in globals()": "False"}


def test_a_value_made_outside_cells_that_fails_to_load_cannot_be_recomputed(
    tmp_path: Path,
) -> None:
    (tmp_path / "flaky.py").write_text(FLAKY_MODULE, encoding="utf-8")
    cells: list[str | dict[str, str]] = [
        "import flaky",
        {"outside": "obj = flaky.Flaky(5)"},
        "%checkpoint f.ckpt --recompute-all",
    ]
    run_session(tmp_path, cells)
    restored = run_session(
        tmp_path,
        ["keep = 1", "%restore f.ckpt"],
        ["keep", "'obj' in globals()"],
        env={"FLAKY_LOAD_FAILS": "1"},
    )
    failed = restored.results[1]
    assert not failed["success"] and failed["error"] == "RestoreError", failed
    assert "obj did not load (RuntimeError: Flaky cannot load here)" in failed["output"]
    assert "cannot be re-run (changes made outside any cell" in failed["output"]
    assert restored.probes == {"keep": "1", "'obj' in globals()": "False"}


def test_a_checkpoint_taken_from_a_cells_code_holds_that_cell_so_far(tmp_path: Path) -> None:
    """`elastic_notebook.checkpoint()` in the middle of a cell: what the cell bound and
    changed before the call is in the checkpoint (stored: no cell re-run could redo half
    a cell), even under recompute-all; the session's history gets the cell whole."""
    cells = [
        "lst = [1, 2]",
        "lst.append(3)\nhalf = len(lst)\nimport elastic_notebook\n"
        "elastic_notebook.checkpoint('mid.ckpt', mode='recomputeAll')\nlater = 1",
        "%elastic",
    ]
    original = run_session(tmp_path, cells, ["lst", "half", "later"])
    assert original.results[1]["success"], original.results[1]["output"]
    history = original.results[2]["output"]
    assert "ok, no re-run (it runs elastic-notebook's own commands)  lst.append(3)" in history, (
        history
    )
    assert "outside" not in history and "running cell" not in history, history
    restored = run_session(tmp_path, ["%restore mid.ckpt"], ["lst", "half", "'later' in globals()"])
    assert restored.results[0]["success"], restored.results[0]["output"]
    assert restored.probes == {"lst": "[1, 2, 3]", "half": "3", "'later' in globals()": "False"}


def test_values_drawn_from_the_global_random_generators_are_stored_not_recomputed(
    tmp_path: Path,
) -> None:
    """Re-running `np.random.rand` gives other numbers: a restore that recomputed `arr`
    would not match the stored `total` made from it. Cells that drew from a global
    generator are never re-run (recompute-all too); a seeded generator's are."""
    cells = [
        "import random",
        "import numpy as np",
        # First use of np.random: numpy imports it then, with its global generator.
        "seeded = np.random.default_rng(7).random(3)",
        "xs = [random.random() for _ in range(5)]",
        "arr = np.random.rand(1000)",
        "total = sum(xs) + float(arr.sum()) + float(seeded.sum())",
        "%elastic",
        "%checkpoint r.ckpt --recompute-all",
    ]
    probes = ["xs", "float(arr.sum())", "seeded.tolist()", "total"]
    original = run_session(tmp_path, cells, probes)
    assert "stored 2 variables, recompute 4" in original.last_output, original.last_output
    shown = original.results[-2]["output"]
    assert "ok, no re-run (it drew from a global random generator)  xs = [random.random()" in (
        shown
    ), shown
    assert "no re-run (it drew from a global random generator)  arr = np.random.rand(1000)" in (
        shown
    ), shown
    assert "ok      seeded = np.random.default_rng(7)" in shown, shown
    assert_restores_as_recorded(tmp_path, "r.ckpt", probes, original)


def test_a_cell_importing_numpys_generator_without_drawing_from_it_is_re_run(
    tmp_path: Path,
) -> None:
    """`import pandas` imports `numpy.random`, whose global generator appears in that
    cell: it drew nothing from it (its state is as seeded), so the cell can re-run. One
    that draws in the cell that imports it cannot."""
    cells = [
        "import pandas as pd\nframe = pd.DataFrame({'a': [1, 2, 3]})",
        "doubled = frame * 2",
        "%elastic",
        "%checkpoint r.ckpt --recompute-all",
    ]
    probes = ["frame.to_dict()", "doubled.to_dict()"]
    original = run_session(tmp_path, cells, probes)
    assert "stored 0 variables, recompute 3" in original.last_output, original.last_output
    shown = original.results[-2]["output"]
    assert "no re-run" not in shown, shown
    assert_restores_as_recorded(tmp_path, "r.ckpt", probes, original)

    drawing = run_session(
        tmp_path, ["import pandas as pd\npicked = pd.Series(range(9)).sample(3)", "%elastic"], []
    )
    assert "no re-run (it drew from a global random generator)  import pandas" in (
        drawing.last_output
    ), drawing.last_output


CARRIED_STATE_CELLS = [
    "import sys\nsys.path.append('lib')\nsys.path.insert(0, 'first')",
    "import mylib\nfrom mylib import helper",
    "value = helper(21)",
    "import random\nrandom.seed(5)\nfirst = random.random()\nnormal = random.gauss(0, 1)",
    "import numpy as np\nnp.random.seed(7)\narr = np.random.rand(3)\nnormal2 = np.random.randn()",
]
#: Each draw after the checkpoint continues the session's generators; `gauss` and
#: `randn` first give the normal each kept from the draws above.
CARRIED_STATE_PROBES = [
    "value",
    "mylib.FACTOR",
    "[p for p in sys.path if p in ('lib', 'first')]",
    "sys.path[0]",
    "random.gauss(0, 1)",
    "random.random()",
    "np.random.randn()",
    "np.random.rand(2).tolist()",
]


def write_module(directory: Path, name: str, source: str) -> None:
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.py").write_text(source, encoding="utf-8")


@pytest.mark.parametrize("mode", MODES)
def test_sys_path_entries_and_global_random_states_are_carried(tmp_path: Path, mode: str) -> None:
    """`sys.path.append('lib')` in one cell and `import mylib` in the next: a restore
    loads `mylib` by name (or re-runs its import) and failed without the entry. And the
    draws after a restore continue the session's global generators, `random`'s and
    numpy's, kept normals included, as the draws after the checkpoint did."""
    write_module(tmp_path / "lib", "mylib", "def helper(x):\n    return x * 2\nFACTOR = 3\n")
    cells = [*CARRIED_STATE_CELLS, "%elastic", f"%checkpoint session.ckpt {MODES[mode]}"]
    original = run_session(tmp_path, cells, CARRIED_STATE_PROBES)
    assert all(result["success"] for result in original.results), original.results
    shown = original.results[-2]["output"]
    assert (
        "  carries sys.path entries first, lib; the state of random's and numpy's global "
        "random generator\n"
    ) in shown, shown
    assert original.probes["[p for p in sys.path if p in ('lib', 'first')]"] == "['first', 'lib']"
    carried = elastic_notebook.inspect_checkpoint(tmp_path / "session.ckpt")["extra"]
    assert sorted(carried) == ["numpy.random", "python.random", "python.sysPath"]
    assert json.loads(carried["python.sysPath"]) == {"front": ["first"], "back": ["lib"]}

    restored = run_session(tmp_path, ["%restore session.ckpt"], CARRIED_STATE_PROBES)
    assert restored.results[0]["success"], restored.last_output
    assert "not restored" not in restored.last_output, restored.last_output
    assert restored.probes == original.probes


MODULE_WITH_STATE = (
    "SCALE = 1\nCONFIG = {'k': 1}\ndef scaled(x):\n    return x * SCALE * CONFIG['k']\n"
)


@pytest.mark.parametrize("mode", MODES)
def test_state_cells_set_in_modules_comes_back_and_re_run_cells_compute_with_it(
    tmp_path: Path, mode: str
) -> None:
    """`modstate.SCALE = 10` then `result = modstate.scaled(3)`: under --recompute-all a
    restore re-ran the second cell against a freshly imported module and gave 3, not 60;
    under every plan the settings (a module's attributes, pandas' options, a warnings
    filter) were lost."""
    write_module(tmp_path / "lib", "modstate", MODULE_WITH_STATE)
    cells = [
        "import sys\nsys.path.append('lib')\nimport modstate",
        "modstate.SCALE = 10",
        "modstate.CONFIG['k'] = 2",
        "result = modstate.scaled(3)",
        "import pandas as pd\npd.options.display.max_rows = 7",
        "pd.set_option('display.max_columns', 3)",
        "import warnings\nwarnings.filterwarnings('ignore', message='elastic-test')",
        "%elastic",
    ]
    probes = [
        "result",
        "modstate.scaled(1)",
        "pd.get_option('display.max_rows')",
        "pd.get_option('display.max_columns')",
        "[f[1].pattern for f in warnings.filters if f[1] is not None]",
        "pd.DataFrame({'a': [1, 2]}).to_dict()",
    ]
    original = run_session(tmp_path, [*cells, f"%checkpoint s.ckpt {MODES[mode]}"], probes)
    assert all(result["success"] for result in original.results), original.results
    assert original.probes["result"] == "60"
    shown = original.results[-2]["output"]
    assert "reads: modstate; writes: -; mutates: modstate; deletes: -" in shown, shown
    assert "recompute      0.000 MB  modstate (cells changed its state" in shown, shown
    assert_restores_as_recorded(tmp_path, "s.ckpt", probes, original)


def test_a_module_whose_changes_cannot_be_re_run_is_stored_by_name_with_a_warning(
    tmp_path: Path,
) -> None:
    """A cell that changed a module and cannot re-run (it drew from the global
    generator), that reads files (an optimal plan does not re-read them) or that took
    over a second: the module is stored by its name as before, and the checkpoint says
    that state is not carried. With --rerun-file-reads the cell that reads files is
    re-run and its state comes back."""
    write_module(tmp_path / "lib", "modstate", MODULE_WITH_STATE)
    (tmp_path / "scale.txt").write_text("7", encoding="utf-8")
    cells = [
        "import sys, random\nsys.path.append('lib')\nimport modstate, decimal",
        "modstate.SCALE = random.choice([10, 10])",
        "decimal.getcontext().prec = int(open('scale.txt').read())",
        "import os, time\ntime.sleep(1.05)\nos.environ['ELASTIC_SLOW_CELL'] = 'ran'",
        "kept = 1",
    ]
    probes = ["modstate.SCALE", "decimal.getcontext().prec", "os.environ.get('ELASTIC_SLOW_CELL')"]
    probes += ["kept"]
    original = run_session(tmp_path, [*cells, "%elastic", "%checkpoint s.ckpt"], probes)
    shown = original.results[-2]["output"]
    by_name = "modstate (without the state cells set in it: the cells that made or changed it"
    assert f"  by name{' ' * 18}{by_name}" in shown, shown
    warning = original.last_output
    assert "stored by name, without the state cells set in them" in warning, warning
    assert (
        "decimal (the cell that changed it reads files (open); a setting in a cell of its "
        "own comes back)"
    ) in warning, warning
    assert "modstate (the cells that made or changed it cannot re-run)" in warning, warning
    assert "os (re-running the cells that changed it would take 1.1 s)" in warning, warning
    restored = run_session(tmp_path, ["%restore s.ckpt"], probes)
    assert restored.results[0]["success"], restored.last_output
    lost = {"modstate.SCALE": "1", "decimal.getcontext().prec": "28"}
    lost["os.environ.get('ELASTIC_SLOW_CELL')"] = "None"
    assert restored.probes == {**original.probes, **lost}

    again = run_session(tmp_path, [*cells, "%checkpoint s.ckpt --rerun-file-reads"], probes)
    assert "decimal (" not in again.last_output, again.last_output
    restored = run_session(tmp_path, ["%restore s.ckpt"], probes)
    assert restored.probes == {**original.probes, **lost, "decimal.getcontext().prec": "7"}


def test_a_failed_restore_takes_the_sys_path_entries_out_again(tmp_path: Path) -> None:
    """The entries go in before anything loads; a restore that then fails (the module
    is gone, so neither loading `mylib` nor re-running its import works) leaves
    `sys.path` as it found it, like the namespace."""
    write_module(tmp_path / "lib", "mylib", "ITEMS = [1, 2]\n")
    cells = ["import sys\nsys.path.append('lib')", "import mylib", "%checkpoint session.ckpt"]
    original = run_session(tmp_path, cells)
    assert all(result["success"] for result in original.results), original.results
    shutil.rmtree(tmp_path / "lib")

    probes = ["'lib' in sys.path", "'mylib' in globals()"]
    restored = run_session(tmp_path, ["import sys", "%restore session.ckpt"], probes)
    assert "cannot restore" in restored.last_output, restored.last_output
    assert "No module named 'mylib'" in restored.last_output, restored.last_output
    assert restored.probes == {"'lib' in sys.path": "False", "'mylib' in globals()": "False"}


def test_a_restore_without_numpy_says_its_generator_keeps_its_own_state(tmp_path: Path) -> None:
    """A checkpoint carries numpy's global generator once numpy.random is imported; a
    restore where numpy cannot be imported (a desktop session restored in the browser)
    puts the rest back and says which generator it could not set."""
    cells = [
        "import numpy.random\nnumpy.random.seed(3)\ndel numpy",
        "import random\nrandom.seed(1)\nkept = 1",
        "%checkpoint session.ckpt",
    ]
    original = run_session(tmp_path, cells, ["random.random()"])
    assert all(result["success"] for result in original.results), original.results

    restored = run_session(
        tmp_path,
        ["%restore session.ckpt"],
        ["random.random()", "kept"],
        before=["__import__('sys').modules['numpy.random'] = None"],
    )
    assert restored.results[0]["success"], restored.last_output
    assert "not restored: the state of numpy's global generator (" in restored.last_output
    assert restored.probes == {**original.probes, "kept": "1"}


def test_values_of_the_systems_randomness_and_unseeded_generators_are_stored(
    tmp_path: Path,
) -> None:
    """`np.random.default_rng()` without a seed, `os.urandom`, `uuid.uuid4()`, also called
    through notebook functions: a re-run gives other values, so their cells are never
    re-run (recompute-all too)."""
    cells = [
        "import os, secrets, uuid\nimport numpy as np",
        "rng = np.random.default_rng()\nX = rng.random(1000)",
        "total = float(X.sum())",
        "key = os.urandom(8)",
        "run_id = str(uuid.uuid4())",
        "def new_token():\n    return secrets.token_hex(8)",
        "def tagged():\n    return 'tag-' + new_token()",
        "token = new_token()",
        "tag = tagged()",
        "%checkpoint u.ckpt --recompute-all",
    ]
    probes = ["float(X.sum()) == total", "total", "key", "run_id", "float(rng.random())"]
    probes += ["token", "tag"]
    original = run_session(tmp_path, cells, probes)
    assert "stored 6 variables, recompute 7" in original.last_output, original.last_output
    assert_restores_as_recorded(tmp_path, "u.ckpt", probes, original)


#: Stands in for a kernel's forwarding of stdin, which replaces `input` and
#: `getpass.getpass` while a cell runs (ipykernel, JupyterLite's Pyodide kernel) with a
#: method of its own: here a builtin method (a lambda would be a notebook function)
#: that answers whatever the prompt. One object each: the tables compare by identity.
ANSWERING = (
    "__import__('builtins').input = 'Ada'.format\n__import__('getpass').getpass = 'pw'.format"
)
#: A restoring kernel that cannot answer (nbclient's has no stdin): any call raises.
NOT_ANSWERING = "__import__('builtins').input = {}.pop\n__import__('getpass').getpass = {}.pop"


def test_what_the_user_typed_is_stored_and_never_asked_again(tmp_path: Path) -> None:
    """`name = input(...)`: a re-run would ask again in the middle of a restore (or
    fail: no stdin), and the answer may differ. Such a cell cannot re-run, so what it
    bound is stored, under --recompute-all too; so is a call through a name bound to
    `input` in another cell."""
    cells = [
        "name = input('Your name? ')\ngreeting = 'Hello ' + name",
        "import getpass\nsecret = getpass.getpass()",
        "ask = input",
        "again = ask('Again? ')",
        "shout = greeting.upper()",
        "%elastic",
        "%checkpoint u.ckpt --recompute-all",
    ]
    probes = ["name", "greeting", "secret", "again", "shout"]
    original = run_session(tmp_path, cells, probes, before=[ANSWERING])
    assert all(result["success"] for result in original.results), original.results
    assert original.probes["shout"] == "'HELLO ADA'"
    shown = original.results[-2]["output"]
    assert "no re-run (it calls input)  name = input(" in shown, shown
    assert "no re-run (it calls getpass.getpass)  import getpass" in shown, shown
    assert "no re-run (it calls ask)  again = ask(" in shown, shown
    # name, greeting, secret, getpass, again (ask, `input` itself, is recomputed).
    assert "stored 5 variables, recompute 2" in original.last_output, original.last_output

    restored = run_session(tmp_path, ["%restore u.ckpt"], probes, before=[NOT_ANSWERING])
    assert restored.results[0]["success"], restored.last_output
    assert restored.probes == original.probes


def test_values_from_modules_a_function_imports_itself_are_stored(tmp_path: Path) -> None:
    """A notebook function that imports what it calls (`import secrets` in its body, an
    alias): its callers' values are stored, under recompute-all too."""
    cells = [
        "def new_token():\n    import secrets\n    return secrets.token_hex(8)",
        "def new_id():\n    from uuid import uuid4 as make\n    return make().hex",
        "token = new_token()",
        "ident = new_id()",
        "size = len(token)",
        "%checkpoint local.ckpt --recompute-all",
    ]
    probes = ["token", "ident", "size"]
    original = run_session(tmp_path, cells, probes)
    assert "stored 2 variables, recompute 3" in original.last_output, original.last_output
    assert_restores_as_recorded(tmp_path, "local.ckpt", probes, original)


def test_a_module_missing_where_the_restore_runs_is_named_with_the_install_to_run(
    tmp_path: Path,
) -> None:
    """A restore where a package of the session is not installed fails (nothing
    changed) and says which module is missing; if the session installed packages (a
    `%pip install` cell, here one that finds nothing, offline), the error quotes it as
    what to run first."""
    write_module(tmp_path / "site", "mylib", "def helper(x):\n    return x * 2\n")
    with_site = {"PYTHONPATH": f"{tmp_path}{os.pathsep}{tmp_path / 'site'}"}
    install = "%pip install --no-index --find-links ./nowhere mylib"
    cells = ["import mylib\nfrom mylib import helper", "value = helper(2)"]
    for name, session in [("installs", [install, *cells]), ("plain", cells)]:
        original = run_session(tmp_path, [*session, f"%checkpoint {name}.ckpt"], env=with_site)
        assert all(result["success"] for result in original.results), original.results

    restored = run_session(tmp_path, ["%restore installs.ckpt"], ["'value' in globals()"])
    assert "cannot restore" in restored.last_output, restored.last_output
    assert (
        "'mylib' cannot be imported here; the session installed packages with "
        f"`{install}`: run that here, then restore again."
    ) in restored.last_output, restored.last_output
    assert restored.probes == {"'value' in globals()": "False"}
    plain = run_session(tmp_path, ["%restore plain.ckpt"])
    assert "'mylib' cannot be imported here: install it (or put it where sys.path finds it)" in (
        plain.last_output
    ), plain.last_output


def test_a_re_run_cell_whose_file_is_gone_says_so_and_store_all_needs_no_file(
    tmp_path: Path,
) -> None:
    """Restored where the file a re-run cell reads is missing (another machine): the
    error names the file and the way out, the namespace is unchanged; a --store-all
    checkpoint restores without the file."""
    (tmp_path / "data.csv").write_text("a,b\n1,2\n3,4\n")
    cells = [
        "rows = open('data.csv').read().splitlines()",
        "n = len(rows)",
        "%checkpoint rerun.ckpt --recompute-all",
        "%checkpoint stored.ckpt --store-all",
    ]
    original = run_session(tmp_path, cells, ["rows", "n"])
    (tmp_path / "data.csv").unlink()
    failed = run_session(tmp_path, ["kept = 1", "%restore rerun.ckpt"], ["kept", "'n' in dir()"])
    message = failed.results[1]["output"]
    assert "raised FileNotFoundError" in message, message
    assert "The cell reads 'data.csv', which is not here" in message, message
    assert "--store-all" in message, message
    assert failed.probes == {"kept": "1", "'n' in dir()": "False"}
    assert_restores_as_recorded(tmp_path, "stored.ckpt", ["rows", "n"], original)


def test_what_cells_read_from_files_is_stored_so_a_restore_needs_no_file(
    tmp_path: Path,
) -> None:
    """At a bandwidth where re-running is far cheaper, the optimal plan still stores what
    the cells that read files made (directly, through a notebook function, through an
    alias of pandas), and recomputes the rest: restored where the files are gone, every
    value is back. With --rerun-file-reads it re-runs them, and needs the files."""
    (tmp_path / "data.csv").write_text("a,b\n1,2\n3,4\n")
    (tmp_path / "notes.txt").write_text("one\ntwo\n")
    cells = [
        "import pandas as pd",
        "rows = open('data.csv').read().splitlines()",
        "def notes():\n    with open('notes.txt') as f:\n        return f.read().split()",
        "words = notes()",
        "frame = pd.read_csv('data.csv')",
        "n = len(rows) + len(words) + len(frame)",
        # Storing `rows` (44 bytes) costs 9 ms at this rate, re-running its cell 0.1 ms;
        # `pd` is stored (a fresh import of pandas takes longer), `notes` and `n` re-run.
        "%checkpoint optimal.ckpt --bandwidth 10kB/s",
        "%checkpoint rerun.ckpt --bandwidth 10kB/s --rerun-file-reads",
    ]
    probes = ["rows", "words", "frame.to_dict()", "n"]
    original = run_session(tmp_path, cells, probes)
    report = original.results[6]["output"]
    assert "stored 4 variables, recompute 2" in report, report
    report = original.results[7]["output"]
    assert "stored 1 variable, recompute 5" in report, report
    (tmp_path / "data.csv").unlink()
    (tmp_path / "notes.txt").unlink()
    assert_restores_as_recorded(tmp_path, "optimal.ckpt", probes, original)
    failed = run_session(tmp_path, ["%restore rerun.ckpt"])
    assert "FileNotFoundError" in failed.results[0]["output"], failed.results[0]["output"]


def test_what_shell_commands_printed_is_stored_so_a_restore_elsewhere_gets_it_back(
    tmp_path: Path,
) -> None:
    """`files = !ls` and `subprocess.check_output` read the machine as a file read reads a
    file: the optimal plan stores what they gave, however cheap a re-run, so a restore
    elsewhere (here: in a directory whose listing differs) gets the session's values."""
    (tmp_path / "only-here.txt").write_text("x")
    cells = [
        "files = !ls",
        "import subprocess\nlisting = subprocess.check_output(['ls']).decode().split()",
        "count = len(files)",
        "%elastic",
        "%checkpoint session.ckpt --bandwidth 10kB/s",
    ]
    probes = ["list(files)", "listing", "count"]
    original = run_session(tmp_path, cells, probes)
    assert "only-here.txt" in original.probes["listing"]
    shown = original.results[3]["output"]
    assert "stored rather than re-run (it reads files or a command's output: getoutput)" in (
        shown
    ), shown
    assert "(it reads files or a command's output: subprocess.check_output)" in shown, shown
    (tmp_path / "only-here.txt").unlink()
    assert_restores_as_recorded(tmp_path, "session.ckpt", probes, original)


def test_generators_seeded_from_the_clock_are_stored(tmp_path: Path) -> None:
    """A seed from the clock or the process id is a new seed at each run: the generators
    and what they drew are stored, under recompute-all too, not made again."""
    cells = [
        "import os, random, time\nimport numpy as np",
        "rng = np.random.default_rng(time.time_ns())\nsample = rng.random(5)",
        "r = random.Random(int(time.time() * 1e6) ^ os.getpid())\npick = r.random()",
        "fixed = np.random.default_rng(7).random(2)",
        "%checkpoint clock.ckpt --recompute-all",
    ]
    probes = ["sample.tolist()", "float(rng.random())", "pick", "r.random()", "fixed.tolist()"]
    original = run_session(tmp_path, cells, probes)
    assert "stored 4 variables, recompute 5" in original.last_output, original.last_output
    assert_restores_as_recorded(tmp_path, "clock.ckpt", probes, original)


def test_a_restored_session_records_on_and_checkpoints_again(tmp_path: Path) -> None:
    run_session(tmp_path, ["data = [1, 2]", "alias = data", "%checkpoint first.ckpt"])
    second = run_session(
        tmp_path,
        ["%restore first.ckpt", "data.append(3)", "extra = len(alias)", "%checkpoint second.ckpt"],
    )
    assert all(r["success"] for r in second.results), second.results
    third = run_session(tmp_path, ["%restore second.ckpt"], ["data", "alias is data", "extra"])
    assert third.probes == {"data": "[1, 2, 3]", "alias is data": "True", "extra": "3"}


@pytest.mark.parametrize("mode", MODES)
def test_an_in_memory_database_comes_back_with_its_tables(tmp_path: Path, mode: str) -> None:
    """A `sqlite3.Connection` keeps its state in C, and it is callable: it was taken for
    code, so `conn.execute('create table ...')` changed nothing the recorder saw, and a
    restore re-ran `connect` alone, giving an empty database without a word."""
    cells = [
        "import sqlite3\nconn = sqlite3.connect(':memory:')",
        "conn.execute('create table t(a)')",
        "conn.execute('insert into t values (1), (2)')\nconn.commit()",
        "rows = conn.execute('select a from t').fetchall()",
        f"%checkpoint db.ckpt {MODES[mode]}",
    ]
    probes = ["rows", "conn.execute('select sum(a) from t').fetchone()"]
    original = run_session(tmp_path, cells, probes)
    assert original.probes == {probes[0]: "[(1,), (2,)]", probes[1]: "(3,)"}
    assert_restores_as_recorded(tmp_path, "db.ckpt", probes, original)


SETTINGS_MODULE = textwrap.dedent(
    """
    CONFIG = {"scale": 1}
    ITEMS = []
    TAGS = set()

    class Options:
        def __init__(self):
            self.verbose = False

    options = Options()

    def scaled(x):
        return x * CONFIG["scale"]

    def described():
        return f"scale {CONFIG['scale']}, verbose {options.verbose}"

    class Registry:
        items = []

        @classmethod
        def total(cls):
            return sum(cls.items)

    CACHE = {}
    """
)


@pytest.mark.parametrize("mode", MODES)
def test_values_shared_with_a_module_load_back_into_it(tmp_path: Path, mode: str) -> None:
    """`from settings import CONFIG` binds the module's own dict: a cell's change shows in
    the module's functions. A checkpoint stored it as a copy, so after a restore the
    module had its defaults and `settings.scaled(4)` gave 4, not 44, without a word. And
    `CONFIG` and `settings` share that dict: apart, a restore loaded `CONFIG` and then
    re-ran `settings.CONFIG['scale'] += 1` (a change of the module), which gave 12."""
    (tmp_path / "settings.py").write_text(SETTINGS_MODULE, encoding="utf-8")
    cells = [
        "import settings\nfrom settings import CONFIG, TAGS, options",
        "CONFIG['scale'] = 10\nTAGS.add('a')\noptions.verbose = True",
        "items = settings.ITEMS\nitems.append(5)",
        "both = [CONFIG, items]",
        "settings.CONFIG['scale'] += 1",
        f"%checkpoint shared.ckpt {MODES[mode]}",
    ]
    probes = [
        "settings.scaled(4)",
        "settings.described()",
        "(options is settings.options, type(options) is settings.Options)",
        "CONFIG is settings.CONFIG",
        "(TAGS is settings.TAGS, settings.TAGS)",
        "(items is settings.ITEMS, settings.ITEMS)",
        "both[0] is CONFIG and both[1] is items",
    ]
    original = run_session(tmp_path, cells, probes)
    assert original.probes[probes[0]] == "44"
    assert original.probes[probes[1]] == "'scale 11, verbose True'"
    assert_restores_as_recorded(tmp_path, "shared.ckpt", probes, original)


@pytest.mark.parametrize("mode", MODES)
def test_a_change_made_through_the_notebooks_own_module_is_seen(tmp_path: Path, mode: str) -> None:
    """`import __main__` reaches every variable as an attribute: the last change, made
    through it, was not seen, and a recomputing restore lost it without a word."""
    cells = [
        "data = [1]",
        "import __main__\n__main__.data.append(2)",
        "__import__('__main__').data.append(3)",
        f"%checkpoint main.ckpt {MODES[mode]}",
    ]
    original = run_session(tmp_path, cells, ["data"])
    assert original.probes == {"data": "[1, 2, 3]"}
    assert_restores_as_recorded(tmp_path, "main.ckpt", ["data"], original)


@pytest.mark.parametrize("mode", MODES)
def test_a_library_changed_by_a_mutating_method_comes_back_changed(
    tmp_path: Path, mode: str
) -> None:
    """`Registry.items.append(5)` changes a library's class, `settings.CACHE.update(...)` a
    module: neither is a variable's value to fingerprint, and both were lost by every
    restore; under --recompute-all, `t = Registry.total()` re-ran against the fresh class
    and gave 0, not 5."""
    (tmp_path / "settings.py").write_text(SETTINGS_MODULE, encoding="utf-8")
    cells = [
        "import settings\nfrom settings import Registry",
        "Registry.items.append(5)",
        "settings.CACHE.update(k=1)",
        "t = Registry.total()",
        f"%checkpoint registry.ckpt {MODES[mode]}",
    ]
    probes = ["Registry.items", "settings.CACHE", "t", "Registry is settings.Registry"]
    original = run_session(tmp_path, cells, probes)
    assert original.probes["t"] == "5"
    assert_restores_as_recorded(tmp_path, "registry.ckpt", probes, original)


def test_cells_after_a_restore_compile_with_the_sessions_future_imports(tmp_path: Path) -> None:
    """IPython compiles every cell after `from __future__ import annotations` with it; so
    does the restored session, whose own compiler never saw that cell run."""
    run_session(tmp_path, ["from __future__ import annotations", "%checkpoint f.ckpt"])
    later = "def later(n: int) -> str:\n    return str(n)"
    probes = ["later.__annotations__"]
    restored = run_session(tmp_path, ["%restore f.ckpt", later], probes)
    assert all(r["success"] for r in restored.results), restored.results
    assert restored.probes == {"later.__annotations__": "{'n': 'int', 'return': 'str'}"}
    # Without the import, a cell after a restore has its annotations evaluated.
    fresh = run_session(tmp_path, ["x = 1", "%checkpoint g.ckpt"])
    assert fresh.results[-1]["success"]
    plain = run_session(tmp_path, ["%restore g.ckpt", later], probes)
    assert plain.probes == {
        "later.__annotations__": "{'n': <class 'int'>, 'return': <class 'str'>}"
    }


@pytest.mark.parametrize("mode", MODES)
def test_future_imports_made_before_recording_started_travel_with_the_checkpoint(
    tmp_path: Path, mode: str
) -> None:
    """The import ran before `%load_ext`: no recorded cell shows it, and re-run cells
    compiled without it (their annotations evaluated, where the session's were strings)."""
    cells = ["class Point:\n    x: 'int'\n    y: list", f"%checkpoint early.ckpt {MODES[mode]}"]
    probes = ["Point.__annotations__"]
    before = ["from __future__ import annotations"]
    original = run_session(tmp_path, cells, probes, before=before)
    assert original.probes == {"Point.__annotations__": "{'x': \"'int'\", 'y': 'list'}"}
    assert_restores_as_recorded(tmp_path, "early.ckpt", probes, original)


@pytest.mark.parametrize(("bandwidth", "stored"), [("1MB/s", False), ("100GB/s", True)])
def test_a_200_mb_array_is_recomputed_at_low_and_stored_at_high_bandwidth(
    tmp_path: Path, bandwidth: str, stored: bool
) -> None:
    cells = [
        "import numpy as np",
        # ~0.2-1 s of work making 200 MB: cheap to re-run, slow to store at 1 MB/s.
        "big = np.sqrt(np.arange(25_000_000, dtype=np.float64)) * 1.5",
        f"%checkpoint big.ckpt --bandwidth {bandwidth}",
    ]
    probes = ["big.nbytes", "float(big[-1])", "float(big.sum())"]
    original = run_session(tmp_path, cells, probes)
    size = (tmp_path / "big.ckpt").stat().st_size
    if stored:
        assert size > 200_000_000, original.last_output
        assert "stored 2 variables, recompute 0" in original.last_output
    else:
        assert size < 1_000_000, original.last_output
        assert "stored 1 variable, recompute 1" in original.last_output
    restored = run_session(tmp_path, ["%restore big.ckpt"], probes)
    assert restored.probes == original.probes
    assert ("recomputed 0" in restored.results[0]["output"]) == stored


FLAKY_MODULE = textwrap.dedent(
    """
    import os

    class Flaky:
        def __init__(self, value):
            self.value = value

        def __setstate__(self, state):
            if os.environ.get("FLAKY_LOAD_FAILS"):
                raise RuntimeError("Flaky cannot load here")
            self.__dict__.update(state)

    def compute(value):
        if os.environ.get("FLAKY_COMPUTE_FAILS"):
            raise RuntimeError("compute cannot run here")
        return Flaky(value)
    """
)


def test_a_group_that_fails_to_load_is_recomputed_and_the_report_says_so(
    tmp_path: Path,
) -> None:
    (tmp_path / "flaky.py").write_text(FLAKY_MODULE, encoding="utf-8")
    cells = ["import flaky", "obj = flaky.compute(41)", "obj.value += 1", "other = [1, 2]"]
    run_session(tmp_path, [*cells, "%checkpoint f.ckpt --store-all"])
    restored = run_session(
        tmp_path,
        ["%restore f.ckpt"],
        ["obj.value", "type(obj).__name__", "other"],
        env={"FLAKY_LOAD_FAILS": "1"},
    )
    output = restored.results[0]["output"]
    assert restored.results[0]["success"], output
    assert "obj: its stored copy did not load" in output and "Flaky cannot load here" in output
    assert restored.probes == {
        "obj.value": "42",
        "type(obj).__name__": "'Flaky'",
        "other": "[1, 2]",
    }


def test_a_recompute_that_fails_leaves_the_namespace_untouched(tmp_path: Path) -> None:
    (tmp_path / "flaky.py").write_text(FLAKY_MODULE, encoding="utf-8")
    run_session(
        tmp_path,
        ["import flaky", "obj = flaky.compute(1)", "other = 5", "%checkpoint f.ckpt --store-all"],
    )
    restored = run_session(
        tmp_path,
        ["keep = 'mine'", "%restore f.ckpt"],
        ["keep", "'obj' in globals()", "'other' in globals()", "'flaky' in globals()"],
        env={"FLAKY_LOAD_FAILS": "1", "FLAKY_COMPUTE_FAILS": "1"},
    )
    failed = restored.results[1]
    assert not failed["success"] and failed["error"] == "RestoreError"
    assert "compute cannot run here" in failed["output"]
    assert "Variables not restored: obj" in failed["output"]
    assert "namespace is unchanged" in failed["output"]
    assert restored.probes == {
        "keep": "'mine'",
        "'obj' in globals()": "False",
        "'other' in globals()": "False",
        "'flaky' in globals()": "False",
    }
    assert restored.variables == ["keep"]


def test_a_write_the_file_system_refuses_fails_clearly_and_keeps_the_last_checkpoint(
    tmp_path: Path,
) -> None:
    """A real refusal from the OS in the middle of a checkpoint (a file size limit,
    `RLIMIT_FSIZE`, as a full disk would): one clear error, no temp file left, the kernel
    goes on, and the previous checkpoint at that path still restores in a new process."""
    limit = (
        "import os, resource, signal\n"
        "big = bytearray(os.urandom(3_000_000))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"  # refused writes fail, not kill
        "resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))"
    )
    # `--store-all`: the optimal plan may recompute `big` (3 MB of urandom, about as
    # cheap to run again as to write at the bandwidth measured before the limit), and
    # then nothing reaches the limit.
    refused_cell = "%checkpoint --store-all s.ckpt"
    taken = run_session(
        tmp_path,
        ["x = list(range(100))", "%checkpoint s.ckpt", limit, refused_cell, "y = x[-1]"],
        probes=["sorted(os.listdir('.'))", "y"],
    )
    refused = taken.results[3]
    assert refused["error"] == "CheckpointError"
    assert refused["output"].startswith("CheckpointError: cannot write s.ckpt (")
    assert "File too large" in refused["output"] and "untouched" in refused["output"]
    assert refused["output"].count("\n") == 1, "one line, no traceback"
    assert taken.results[4]["success"], "the kernel goes on"
    files = ast.literal_eval(taken.probes["sorted(os.listdir('.'))"])
    assert [f for f in files if not f.startswith("job-")] == ["s.ckpt"], "no temp file left"
    restored = run_session(tmp_path, ["%restore s.ckpt"], probes=["x == list(range(100))"])
    assert restored.probes == {"x == list(range(100))": "True"}
    assert restored.variables == ["x"], "the refused checkpoint left nothing behind"
