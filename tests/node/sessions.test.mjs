// Checkpoint in one Pyodide, restore in ANOTHER: the desktop restore tests
// (tests/python/test_restore_scenarios.py, test_random_notebooks.py) run through the wasm
// core, in IPython inside npm Pyodide under Node (synchronous: Node has no JSPI).
//
// The desktop test code runs here itself: ipython_driver.py and random_notebooks.py are
// copied into Pyodide's file system and imported; the scenarios, FLAKY_MODULE and the
// regression notebooks are read out of the desktop test files (their literals, by `ast`).
// Left out: what needs numpy or pandas (no wheels of them offline).
//
// Two Pyodide instances: A records and checkpoints, B restores. Each session starts
// afresh in its instance (IPython's namespace reset and a new recorder, checked below),
// and a checkpoint reaches B only as bytes copied from A's file system. B never ran the
// cells it restores except as the restore itself re-ran them; a checkpoint written in B
// (after a restore) is restored in A.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";

import { installTestModules, loadIPythonSession } from "./helpers.mjs";

/** Random notebooks per plan mode (seeds without numpy, then the regression cases). */
const RANDOM_NOTEBOOKS = Number(process.env.ELASTIC_PYODIDE_RANDOM_NOTEBOOKS ?? "200");
const CHECKPOINT = "/tmp/s.ckpt";

// Python shared by both instances: the desktop test code, driven from here.
const NODE_SESSIONS = `
import ast
import contextlib
import io
import json
import os
import sys
import textwrap
import types
from pathlib import Path

import node_ipython

TESTS = Path("/tests/python")


def _assigned(file, name):
    """The expression of the top-level assignment \`name = ...\` of a desktop test file."""
    tree = ast.parse((TESTS / file).read_text(encoding="utf-8"))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return node.value
    raise LookupError(f"{name} is not assigned in {file}")


def _literal(file, name, namespace):
    """The value of the top-level assignment \`name = ...\` of a desktop test file."""
    code = compile(ast.Expression(_assigned(file, name)), name, "eval")
    return eval(code, namespace)


def desktop_scenarios():
    """SCENARIOS, MODES and FLAKY_MODULE of test_restore_scenarios.py, as JSON."""
    def scenario(cells, probes, failing=()):
        return {"cells": cells, "probes": probes, "failing": list(failing)}

    file = "test_restore_scenarios.py"
    return json.dumps({
        "scenarios": _literal(file, "SCENARIOS", {"Scenario": scenario}),
        "modes": _literal(file, "MODES", {}),
        "flaky": _literal(file, "FLAKY_MODULE", {"textwrap": textwrap}),
    })


def write_flaky(source):
    """flaky.py (the desktop test's FLAKY_MODULE) on sys.path, as the desktop test's cwd."""
    os.makedirs("/tmp/flaky", exist_ok=True)
    Path("/tmp/flaky/flaky.py").write_text(source, encoding="utf-8")
    if "/tmp/flaky" not in sys.path:
        sys.path.insert(0, "/tmp/flaky")


def run_session(cells, probes, env=None):
    """ipython_driver.main (the desktop driver) in a fresh namespace with a new recorder.

    \`env\`: environment variables set while it runs (the desktop test's process env).
    """
    import ipython_driver

    node_ipython.fresh(load=False)  # the driver runs %load_ext itself: a new recorder
    Path("/tmp/job.json").write_text(json.dumps({"cells": cells, "probes": probes}))
    saved = {key: os.environ.get(key) for key in env or {}}
    os.environ.update(env or {})
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output):
            ipython_driver.main("/tmp/job.json")
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return output.getvalue()


# --- random notebooks -----------------------------------------------------------------


def import_random_notebooks():
    """Imports random_notebooks.py with a stand-in for numpy, which Pyodide lacks offline.

    The module imports numpy at the top and asks \`isinstance(v, np.ndarray)\`; the stand-in
    has classes nothing is an instance of. It is only in sys.modules during the import:
    a notebook's \`import numpy\` fails, so \`generate\` raises for seeds that use numpy.
    """
    if "random_notebooks" in sys.modules:
        return sys.modules["random_notebooks"]
    numpy = types.ModuleType("numpy", "stand-in for importing random_notebooks in Pyodide")
    numpy.ndarray = type("ndarray", (), {})
    numpy.generic = type("generic", (), {})

    def shares_memory(a, b):
        raise RuntimeError("the numpy stand-in has no arrays")

    numpy.shares_memory = shares_memory
    numpy.typing = types.ModuleType("numpy.typing")
    sys.modules.update({"numpy": numpy, "numpy.typing": numpy.typing})
    try:
        import random_notebooks
    finally:
        del sys.modules["numpy"], sys.modules["numpy.typing"]
    return random_notebooks


def random_notebooks(count, directory):
    """JSON: the first \`count\` seeded notebooks without numpy, the regression notebooks
    without numpy, and the record jobs of all of them (checkpoints into \`directory\`)."""
    rn = import_random_notebooks()
    notebooks, skipped, seed = {}, [], 0
    while len(notebooks) < count:
        try:
            notebooks[f"seed-{seed}"] = rn.generate(seed)
        except AssertionError as error:
            # The generator runs what it writes: numpy statements raise here.
            if "No module named 'numpy'" not in str(error):
                raise
            skipped.append(seed)
        seed += 1
    source = (TESTS / "test_random_notebooks.py").read_text(encoding="utf-8")
    cases = _assigned("test_random_notebooks.py", "REGRESSIONS")
    numpy_cases = []
    for key, value in zip(cases.keys, cases.values, strict=True):
        name = ast.literal_eval(key)
        if "numpy" in ast.get_source_segment(source, value):
            numpy_cases.append(name)
            continue
        code = compile(ast.Expression(value), name, "eval")
        notebooks[f"case-{name}"] = eval(code, {"notebook": rn.notebook})
    os.makedirs(directory, exist_ok=True)
    return json.dumps({
        "notebooks": {
            key: {
                "cells": list(nb.cells),
                "fails": list(nb.fails),
                "continuation": list(nb.continuation),
                "expected": nb.expected,
                "expected_after": nb.expected_after,
                "bandwidth": nb.bandwidth,
                "listing": nb.listing(),
            }
            for key, nb in notebooks.items()
        },
        "jobs": [rn.record_job(key, nb, Path(directory)) for key, nb in notebooks.items()],
        "skipped_seeds": skipped,
        "numpy_cases": numpy_cases,
    })


_SESSION = None


def _worker_session():
    """random_notebooks' worker session on this instance's shell, with nothing loaded
    (its \`fresh()\` then loads the extension: a new recorder per notebook)."""
    global _SESSION
    rn = import_random_notebooks()
    node_ipython.fresh(load=False)
    if _SESSION is None:
        _SESSION = rn._Session()
    _SESSION.loaded = False
    return _SESSION


def record_notebooks(jobs):
    """random_notebooks' record worker over \`jobs\` (JSON); its results as JSON."""
    rn = import_random_notebooks()
    session = _worker_session()
    return json.dumps([rn._record(session, job) for job in json.loads(jobs)])


def restore_notebooks(jobs):
    """random_notebooks' restore worker over \`jobs\` (JSON); its results as JSON."""
    rn = import_random_notebooks()
    session = _worker_session()
    return json.dumps([rn._restore(session, job) for job in json.loads(jobs)])
`;

/** An IPython session in a new Pyodide, with the desktop test modules and NODE_SESSIONS. */
async function instance(name) {
  const session = await loadIPythonSession();
  const { pyodide } = session;
  installTestModules(pyodide, [
    "ipython_driver.py",
    "random_notebooks.py",
    "test_restore_scenarios.py",
    "test_random_notebooks.py",
  ]);
  pyodide.FS.writeFile("/tests/python/node_sessions.py", NODE_SESSIONS);
  const module = pyodide.pyimport("node_sessions");
  console.log(`instance ${name}: Pyodide ${pyodide.version} + IPython in ${session.ms.toFixed(0)} ms`);
  return {
    ...session,
    name,
    call: (fn, ...args) => module[fn](...args),
    /** The desktop driver's session: {probes, results, variables}. */
    runSession: (cells, probes = [], env = {}) => {
      const out = module.run_session(pyodide.toPy(cells), pyodide.toPy(probes), pyodide.toPy(env));
      // The driver prints one JSON object last.
      return JSON.parse(out.trim().split("\n").at(-1));
    },
    /** Removes `file` from this instance's file system, if there. */
    remove: (file) => {
      if (pyodide.FS.analyzePath(file).exists) pyodide.FS.unlink(file);
    },
  };
}

let A;
let B;
let desktop;
const started = performance.now();

before(async () => {
  A = await instance("A");
  B = await instance("B");
  desktop = JSON.parse(A.call("desktop_scenarios"));
  for (const side of [A, B]) side.call("write_flaky", desktop.flaky);
});

after(() => {
  console.log(`sessions.test.mjs: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
});

/** `%checkpoint` in A, the file's bytes into B, `%restore` there: both sessions. */
function checkpointAndRestore(cells, probes, checkpointArgs, { env = {}, restoreCells } = {}) {
  for (const side of [A, B]) side.remove(CHECKPOINT);
  const original = A.runSession([...cells, `%checkpoint ${CHECKPOINT} ${checkpointArgs}`], probes);
  assert.equal(B.pyodide.FS.analyzePath(CHECKPOINT).exists, false);
  if (A.pyodide.FS.analyzePath(CHECKPOINT).exists) A.copyFileTo(B, CHECKPOINT);
  const restored = B.runSession(restoreCells ?? [`%restore ${CHECKPOINT}`], probes, env);
  return { original, restored };
}

const output = (session, index) => session.results.at(index).output;

test("a pooled instance starts each session afresh: empty namespace, new recorder", () => {
  A.fresh();
  const first = A.state();
  assert.equal(A.runCell("leftover = [1]\nalias = leftover").success, true);
  const used = A.state();
  assert.deepEqual(used.variables, ["alias", "leftover"]);
  assert.deepEqual(used.live, ["alias", "leftover"]);
  A.fresh();
  const again = A.state();
  assert.deepEqual(again.variables, []);
  assert.deepEqual(again.live, []);
  assert.equal(again.records, 0);
  assert.notEqual(again.recorder, first.recorder);
  assert.match(A.runCell("'leftover' in globals()").output, /^(Out\[\d+\]: )?False\n$/);
  // And the desktop driver's sessions: each sees only its own cells.
  const one = A.runSession(["x = 1"], ["'leftover' in globals()"]);
  const two = A.runSession(["y = 2"], ["'x' in globals()"]);
  assert.deepEqual(one.variables, ["x"]);
  assert.deepEqual(two.variables, ["y"]);
  assert.deepEqual(two.probes, { "'x' in globals()": "False" });
});

describe("desktop restore scenarios (no numpy/pandas), each plan mode", () => {
  // Filled in `before` of the file; listed at collection time by name.
  const NAMES = [
    "rebinding_and_del",
    "function_updating_a_global",
    "comprehension",
    "aliasing",
    "generator_recomputed",
    "notebook_class_and_instances",
    "lambda",
    "failed_cell",
    "syntax_error_cell",
    "large_bytes_likes_out_of_band",
    "memoryview_of_a_bytearray",
    "calling_values_that_hold_data",
    "notebook_class_state",
    "module_state_set_by_cells",
    "state_set_on_functions_and_classes",
    "annotations_compiled_as_the_session_did",
  ];
  const MODES = ["optimal", "storeAll", "recomputeAll"];

  test("the scenarios here are the desktop ones that need neither numpy nor pandas", () => {
    const usable = Object.entries(desktop.scenarios)
      .filter(([, s]) => !s.cells.some((cell) => /\b(numpy|pandas)\b/.test(cell)))
      .map(([name]) => name);
    assert.deepEqual(usable.sort(), [...NAMES].sort());
    assert.deepEqual(Object.keys(desktop.modes).sort(), [...MODES].sort());
  });

  for (const name of NAMES) {
    for (const mode of MODES) {
      test(`${name} (${mode}) restores in another Pyodide`, () => {
        const scenario = desktop.scenarios[name];
        const { original, restored } = checkpointAndRestore(
          scenario.cells,
          scenario.probes,
          desktop.modes[mode],
        );
        original.results.slice(0, -1).forEach((result, index) => {
          assert.equal(result.success, !scenario.failing.includes(index), JSON.stringify([index, result]));
        });
        assert.equal(original.results.at(-1).success, true, output(original, -1));
        assert.ok(output(original, -1).includes(`elastic-notebook: checkpoint ${CHECKPOINT}:`), output(original, -1));
        if (mode === "recomputeAll") assert.match(output(original, -1), /: stored 0 variables/);
        assert.equal(restored.results[0].success, true, output(restored, 0));
        assert.ok(output(restored, 0).includes(`elastic-notebook: restored ${CHECKPOINT}:`), output(restored, 0));
        assert.deepEqual(restored.variables, original.variables);
        assert.deepEqual(restored.probes, original.probes);
      });
    }
  }
});

describe("sys.path entries and the global random state travel to another Pyodide", () => {
  const LIB = "/tmp/carried_lib";
  const cells = [
    `import sys\nsys.path.append(${JSON.stringify(LIB)})`,
    "import carriedlib\nfrom carriedlib import helper",
    "value = helper(21)",
    "import random\nrandom.seed(5)\nfirst = random.random()\nnormal = random.gauss(0, 1)",
  ];
  const probes = ["value", `${JSON.stringify(LIB)} in sys.path`, "random.gauss(0, 1)", "random.random()"];
  for (const mode of ["optimal", "storeAll", "recomputeAll"]) {
    test(`${mode}: the module on the added path loads, and the draws continue the session's`, () => {
      for (const side of [A, B]) {
        side.pyodide.FS.mkdirTree(LIB);
        side.pyodide.FS.writeFile(`${LIB}/carriedlib.py`, "def helper(x):\n    return x * 2\n");
        // Neither instance has the entry or the module from an earlier mode.
        side.pyodide.runPython(
          `import sys\nsys.path[:] = [p for p in sys.path if p != ${JSON.stringify(LIB)}]\n` +
            "sys.modules.pop('carriedlib', None)",
        );
      }
      const { original, restored } = checkpointAndRestore(cells, probes, desktop.modes[mode]);
      assert.ok(original.results.every((result) => result.success), JSON.stringify(original.results));
      assert.equal(original.probes["value"], "42");
      assert.equal(restored.results[0].success, true, output(restored, 0));
      assert.doesNotMatch(output(restored, 0), /not restored/);
      assert.deepEqual(restored.probes, original.probes);
    });
  }
});

test("a restored session records on and checkpoints again (restored back in A)", () => {
  for (const side of [A, B]) side.remove("/tmp/first.ckpt");
  A.runSession(["data = [1, 2]", "alias = data", "%checkpoint /tmp/first.ckpt"]);
  A.copyFileTo(B, "/tmp/first.ckpt");
  A.remove("/tmp/second.ckpt");
  const second = B.runSession([
    "%restore /tmp/first.ckpt",
    "data.append(3)",
    "extra = len(alias)",
    "%checkpoint /tmp/second.ckpt",
  ]);
  assert.ok(second.results.every((r) => r.success), JSON.stringify(second.results));
  B.copyFileTo(A, "/tmp/second.ckpt");
  const third = A.runSession(["%restore /tmp/second.ckpt"], ["data", "alias is data", "extra"]);
  assert.deepEqual(third.probes, { data: "[1, 2, 3]", "alias is data": "True", extra: "3" });
});

test("a group that fails to load in B is recomputed, and the report says so", () => {
  const cells = ["import flaky", "obj = flaky.compute(41)", "obj.value += 1", "other = [1, 2]"];
  const { restored } = checkpointAndRestore(
    cells,
    ["obj.value", "type(obj).__name__", "other"],
    "--store-all",
    { env: { FLAKY_LOAD_FAILS: "1" } },
  );
  const text = output(restored, 0);
  assert.equal(restored.results[0].success, true, text);
  assert.match(text, /obj: its stored copy did not load/);
  assert.match(text, /Flaky cannot load here/);
  assert.deepEqual(restored.probes, {
    "obj.value": "42",
    "type(obj).__name__": "'Flaky'",
    other: "[1, 2]",
  });
});

test("a recompute that fails in B leaves the namespace untouched, with a clear error", () => {
  const { restored } = checkpointAndRestore(
    ["import flaky", "obj = flaky.compute(1)", "other = 5"],
    ["keep", "'obj' in globals()", "'other' in globals()", "'flaky' in globals()"],
    "--store-all",
    {
      env: { FLAKY_LOAD_FAILS: "1", FLAKY_COMPUTE_FAILS: "1" },
      restoreCells: ["keep = 'mine'", `%restore ${CHECKPOINT}`],
    },
  );
  const failed = restored.results[1];
  assert.equal(failed.success, false, failed.output);
  assert.equal(failed.error, "RestoreError");
  assert.match(failed.output, /compute cannot run here/);
  assert.match(failed.output, /Variables not restored: obj/);
  assert.match(failed.output, /namespace is unchanged/);
  assert.deepEqual(restored.probes, {
    keep: "'mine'",
    "'obj' in globals()": "False",
    "'other' in globals()": "False",
    "'flaky' in globals()": "False",
  });
  assert.deepEqual(restored.variables, ["keep"]);
});

test("changes made between cells are stored even under --recompute-all, and restore in B", () => {
  // As the desktop tests of changes no cell made: a widget's callback binds, rebinds and
  // deletes between cells; a generator it binds can be neither stored nor recomputed.
  const { original, restored } = checkpointAndRestore(
    [
      "a = [1, 2]",
      { outside: "clicked = [7, 8]\na = a + [3]\nticks = (i for i in range(3))" },
      "b = a + clicked",
      { outside: "del b" },
      "c = len(a)",
    ],
    ["a", "clicked", "'b' in globals()", "c", "'ticks' in globals()"],
    "--recompute-all",
  );
  const report = output(original, -1);
  assert.match(report, /left out of the checkpoint.*ticks \(/s);
  assert.match(report, /: stored 2 variables, recompute 1,/);
  assert.equal(restored.results[0].success, true, output(restored, 0));
  assert.deepEqual(restored.probes, {
    a: "[1, 2, 3]",
    clicked: "[7, 8]",
    "'b' in globals()": "False",
    c: "3",
    "'ticks' in globals()": "False",
  });
  assert.deepEqual(restored.variables, ["a", "c", "clicked"]);
});

test("values drawn from the global random generator are stored even under --recompute-all", () => {
  // As the desktop test (no numpy here): re-running `random.random()` would give other
  // numbers than the stored `total` was made from. Pyodide reads the generator's state
  // from its C struct, as CPython does (the layout check passes in wasm32 too).
  const { original, restored } = checkpointAndRestore(
    ["import random", "xs = [random.random() for _ in range(5)]", "total = sum(xs)"],
    [
      "xs",
      "total",
      "(lambda g: (g.states(), g._python_fast)[1])(__import__('elastic_notebook.global_random').global_random.GlobalRandom())",
    ],
    "--recompute-all",
  );
  assert.match(output(original, -1), /: stored 1 variable, recompute 2,/);
  assert.equal(restored.results[0].success, true, output(restored, 0));
  assert.deepEqual(restored.probes, original.probes);
  assert.equal(Object.values(original.probes).at(-1), "True");
});

test("what cells read from files is stored, so a restore in another browser needs no file", () => {
  // A's file system has data.csv, B's (another browser) has not. At this rate re-running
  // the cells that read it costs far less than storing what they made: the optimal plan
  // stores it anyway, and re-runs only the rest.
  const { original, restored } = checkpointAndRestore(
    [
      { outside: "open('data.csv', 'w').write('a,b\\n1,2\\n3,4\\n')" },
      "rows = open('data.csv').read().splitlines()",
      "def header():\n    with open('data.csv') as f:\n        return f.readline().strip()",
      "first = header()",
      "n = len(rows)",
    ],
    ["rows", "first", "n", "__import__('os').path.exists('data.csv')"],
    "--bandwidth 10kB/s",
  );
  assert.match(output(original, -1), /: stored 2 variables, recompute 2,/);
  assert.equal(restored.results[0].success, true, output(restored, 0));
  const { "__import__('os').path.exists('data.csv')": there, ...values } = restored.probes;
  assert.equal(there, "False");
  const { "__import__('os').path.exists('data.csv')": _, ...expected } = original.probes;
  assert.deepEqual(values, expected);
});

/**
 * Records `cells`, checkpoints with --recompute-all and restores in B: `stored` variables
 * must be stored and `recomputed` re-run, and every probe must come back the same.
 */
function assertStoredUnderRecomputeAll(cells, probes, stored, recomputed) {
  const { original, restored } = checkpointAndRestore(cells, probes, "--recompute-all");
  const report = new RegExp(`: stored ${stored} variables?, recompute ${recomputed},`);
  assert.match(output(original, -1), report);
  assert.equal(restored.results[0].success, true, output(restored, 0));
  assert.deepEqual(restored.probes, original.probes);
}

test("values of the system's randomness (os.urandom, uuid4) are stored, never re-drawn", () => {
  assertStoredUnderRecomputeAll(
    [
      "import os, uuid",
      "key = os.urandom(8)",
      "run_id = str(uuid.uuid4())",
      "n = len(key)",
      "def new_id():\n    return uuid.uuid4().hex",
      "made_by_a_function = new_id()",
    ],
    ["key", "run_id", "n", "made_by_a_function"],
    3,
    4,
  );
});

test("values from a module a function imports itself, or through an alias, are stored, never re-drawn", () => {
  assertStoredUnderRecomputeAll(
    [
      "def new_id():\n    import uuid\n    return uuid.uuid4().hex",
      "def new_key():\n    from os import urandom as noise\n    return noise(8)",
      "ident = new_id()",
      "key = new_key()",
      "from uuid import uuid4 as make",
      "third = make().hex",
    ],
    ["ident", "key", "third"],
    3,
    3,
  );
});

test("a generator seeded from the clock is stored with what it drew, never made again", () => {
  assertStoredUnderRecomputeAll(
    [
      "import random, time",
      "r = random.Random(time.time_ns())\npick = r.random()",
      "fixed = random.Random(7).random()",
    ],
    ["pick", "r.random()", "fixed"],
    2,
    3,
  );
});

// --- random notebooks ------------------------------------------------------------------

describe(`random notebooks (${RANDOM_NOTEBOOKS} seeds without numpy + regressions) x 3 modes`, () => {
  const MODES = ["optimal", "storeAll", "recomputeAll"];
  let run;

  /**
   * As the desktop test's `run_notebooks`: A records each notebook and checkpoints it in
   * every mode; B restores each checkpoint, runs the continuation and checkpoints again;
   * A restores those. Checkpoints move between the instances as bytes.
   */
  before(() => {
    const timings = {};
    let t = performance.now();
    const lap = (name) => {
      timings[name] = ((performance.now() - t) / 1000).toFixed(1);
      t = performance.now();
    };
    const setup = JSON.parse(A.call("random_notebooks", RANDOM_NOTEBOOKS, "/tmp/rn"));
    lap("generate");
    const outcomes = Object.fromEntries(
      Object.entries(setup.notebooks).map(([key, nb]) => [key, { key, nb, restored: {}, second: {} }]),
    );
    const restoreJobs = [];
    for (const recorded of JSON.parse(A.call("record_notebooks", JSON.stringify(setup.jobs)))) {
      const outcome = outcomes[recorded.key];
      outcome.recorded = recorded;
      for (const checkpoint of recorded.checkpoints) {
        if (checkpoint.error !== null) continue;
        A.copyFileTo(B, checkpoint.path);
        restoreJobs.push({
          key: recorded.key,
          mode: checkpoint.mode,
          path: checkpoint.path,
          continuation: outcome.nb.continuation,
          bandwidth: checkpoint.mode === "optimal" ? outcome.nb.bandwidth : null,
          recheckpoint: checkpoint.path.replace(".ckpt", "-again.ckpt"),
        });
      }
    }
    lap("record (A)");
    const secondJobs = [];
    for (const restored of JSON.parse(B.call("restore_notebooks", JSON.stringify(restoreJobs)))) {
      outcomes[restored.key].restored[restored.mode] = restored;
      const again = restored.recheckpoint;
      if (again !== null && again.error === null) {
        B.copyFileTo(A, again.path);
        secondJobs.push({
          key: restored.key,
          mode: restored.mode,
          path: again.path,
          continuation: [],
          bandwidth: null,
          recheckpoint: null,
        });
      }
    }
    lap("restore + continue + checkpoint (B)");
    for (const restored of JSON.parse(A.call("restore_notebooks", JSON.stringify(secondJobs)))) {
      outcomes[restored.key].second[restored.mode] = restored;
    }
    lap("restore again (A)");
    const seeds = Object.keys(outcomes).filter((key) => key.startsWith("seed-"));
    console.log(
      `random notebooks: ${seeds.length} seeds (${setup.skipped_seeds.length} skipped: numpy), ` +
        `${Object.keys(outcomes).length - seeds.length} regression cases ` +
        `(${setup.numpy_cases.length} left out: numpy); seconds: ${JSON.stringify(timings)}`,
    );
    run = { outcomes, seeds };
  });

  /** The desktop test's `check`: a report of what went wrong, or null. */
  function problem(outcome, mode) {
    const { nb, recorded } = outcome;
    const report = (what, expected, got) => {
      const lines = [`${what}\n${outcome.key}, mode ${mode}, bandwidth ${nb.bandwidth} B/s; cells:`, nb.listing];
      const checkpoint = recorded?.checkpoints.find((c) => c.mode === mode);
      if (checkpoint) lines.push(`checkpoint: ${checkpoint.summary}; stored ${checkpoint.stored}, recomputed ${checkpoint.recomputed}`);
      const restored = outcome.restored[mode];
      if (restored) {
        lines.push(`restore: ${restored.summary}; loaded ${restored.loaded}, recomputed ${restored.recomputed}, fallbacks ${JSON.stringify(restored.fallbacks)}`);
      }
      if (expected) lines.push(`expected:\n${expected}`);
      lines.push(`got:\n${got}`);
      return lines.join("\n");
    };
    if (!recorded) return report("the recording lost the notebook", "", "");
    if (recorded.error !== null) return report("recording failed", "", recorded.error);
    const checks = [
      [JSON.stringify(recorded.fails) === JSON.stringify(nb.fails), "the shell raised in other cells than a plain run", JSON.stringify(nb.fails), JSON.stringify(recorded.fails)],
      [recorded.original === nb.expected, "the recorded session differs from a plain run", nb.expected, recorded.original],
      [recorded.after_checkpoints === recorded.original, "checkpointing changed the session", recorded.original, recorded.after_checkpoints],
      [recorded.after === nb.expected_after, "the continuation went differently in the recorded session", nb.expected_after, recorded.after],
    ];
    for (const [ok, what, expected, got] of checks) if (!ok) return report(what, expected, got);
    const checkpoint = recorded.checkpoints.find((c) => c.mode === mode);
    if (checkpoint.error !== null) return report("checkpoint raised", "", checkpoint.error);
    if (mode === "recomputeAll" && checkpoint.stored.length > 0) {
      return report("recomputeAll stored", "[]", JSON.stringify(checkpoint.stored));
    }
    const restored = outcome.restored[mode];
    if (!restored) return report("the restore lost the checkpoint", "", "");
    if (restored.error !== null) return report("restore raised", "", restored.error);
    const more = [
      // Same Pyodide, same Python: every stored group must load.
      [Object.keys(restored.fallbacks).length === 0, "stored groups fell back", "{}", JSON.stringify(restored.fallbacks)],
      [restored.restored === nb.expected, "the restored namespace differs", nb.expected, restored.restored],
      [restored.after === nb.expected_after, "after the restore, the continuation went differently", nb.expected_after, restored.after],
      [restored.recheckpoint !== null, "no checkpoint after the restore", "", ""],
    ];
    for (const [ok, what, expected, got] of more) if (!ok) return report(what, expected, got);
    if (restored.recheckpoint.error !== null) {
      return report("checkpoint after restore raised", "", restored.recheckpoint.error);
    }
    const second = outcome.second[mode];
    if (!second) return report("the second restore lost the checkpoint", "", "");
    if (second.error !== null) return report("restore of the second checkpoint raised", "", second.error);
    if (second.restored !== nb.expected_after) {
      return report(
        "the checkpoint taken after restore and continuation restores differently",
        nb.expected_after,
        second.restored,
      );
    }
    return null;
  }

  for (const mode of MODES) {
    test(`every notebook's ${mode} checkpoint restores in the other instance, twice`, () => {
      const outcomes = Object.values(run.outcomes);
      assert.ok(run.seeds.length >= RANDOM_NOTEBOOKS, `${run.seeds.length} seeds`);
      const failures = outcomes.map((outcome) => problem(outcome, mode)).filter((p) => p !== null);
      assert.equal(
        failures.length,
        0,
        `${failures.length} of ${outcomes.length} notebooks failed in mode ${mode}; the first:\n\n` +
          failures.slice(0, 3).join("\n\n"),
      );
    });
  }

  test("optimal plans mix storing and recomputing", () => {
    const plans = { mixed: 0, "store only": 0, "recompute only": 0, "no data": 0 };
    for (const key of run.seeds) {
      const checkpoint = run.outcomes[key].recorded?.checkpoints.find((c) => c.mode === "optimal");
      if (!checkpoint || checkpoint.error !== null) continue;
      const stored = checkpoint.stored.length > 0;
      const recomputed = checkpoint.recomputed_data.length > 0;
      plans[stored ? (recomputed ? "mixed" : "store only") : recomputed ? "recompute only" : "no data"] += 1;
    }
    console.log(`optimal plans: ${JSON.stringify(plans)}`);
    const total = Object.values(plans).reduce((a, b) => a + b, 0);
    assert.ok(plans.mixed >= 0.1 * total, JSON.stringify(plans));
    assert.ok(plans["store only"] > 0 && plans["recompute only"] > 0, JSON.stringify(plans));
  });
});
