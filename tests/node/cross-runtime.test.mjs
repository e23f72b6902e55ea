// Across runtimes: a checkpoint written by desktop CPython (.venv, Python 3.11, the native
// core of the desktop wheel) restores in Pyodide (npm Pyodide 314, Python 3.14, the wasm
// core) under Node, and the other way round, with the same values, types and aliasing.
//
// The desktop side is a real IPython shell in its own process, driven by
// tests/python/ipython_driver.py (the desktop tests' driver); the Pyodide side is one
// `loadIPythonSession()` shell, started afresh (new namespace, new recorder) for each
// session. A checkpoint crosses only as the bytes of its file.
//
// Values that pickle with their code (cloudpickle stores a lambda inside a dict, a
// `functools.partial` of a lambda or a code object by value, bytecode and all) do not
// load in the other Python: bytecode differs between 3.11 and 3.14 while the code
// constructor takes the same arguments, so such a value used to load and then crash the
// interpreter when called. The restore must recompute them instead and say so.
//
// Needs: scripts/build-wasm, scripts/fetch-pyodide-wheels, scripts/build-python (the
// desktop wheel in .venv). Run: node --test tests/node/cross-runtime.test.mjs
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import {
  DESKTOP_PYTHON, assertDesktopPackageCurrent, desktopVerify, loadIPythonSession, probeSession, runDesktopIPython,
} from "./helpers.mjs";

/** A pure-Python session: containers, aliasing, stdlib types, a notebook class and function. */
const PURE_CELLS = [
  "import collections, datetime, fractions",
  "nums = [1, 2, 3]\nalias = nums\npair = (nums, {'k': nums})",
  "counts = collections.Counter('abracadabra')\nwhen = datetime.date(2026, 11, 25)\n" +
    "frac = fractions.Fraction(3, 7)\nbig = 2 ** 100",
  "blob = bytes(range(256)) * 4\ntext = 'h\u00e9llo \u2713'\ntags = {'a', 'b'}\nfrozen = frozenset({1, 2})\n" +
    "row = [0, 0]\nmatrix = [row, row]\n" +
    "nested = {'xs': [[i] * 3 for i in range(5)], 'none': None, 'f': 1.5, 'c': 2 + 3j}",
  "class Point:\n    def __init__(self, x, y):\n        self.x, self.y = x, y\n" +
    "    def __repr__(self):\n        return f'Point({self.x}, {self.y})'\n\n" +
    "def norm(p):\n    return (p.x ** 2 + p.y ** 2) ** 0.5",
  "pts = [Point(1, 2), Point(3, 4)]\nfirst = pts[0]\ndist = [norm(p) for p in pts]",
  "nums.append(4)\nmatrix[0][1] = 9",
  // Seeds the global generator and binds nothing: the probe's draw after a restore
  // continues it (the state travels in the checkpoint), from 3.11 to 3.14 and back.
  "__import__('random').seed(99)",
];

const PURE_PROBES = [
  "nums", "alias is nums", "pair[0] is nums", "pair[1]['k'] is nums",
  "counts", "when", "frac", "big", "len(blob)", "blob[250:260]", "text", "sorted(tags)", "frozen",
  "matrix", "matrix[0] is row", "matrix[1] is row", "nested",
  "pts", "first is pts[0]", "type(first) is Point", "type(first).__module__", "norm(first)", "dist",
  "[type(v).__name__ for v in (counts, when, frac, big, blob, text, tags, frozen, nested, first)]",
  "__import__('random').random()",
];

/** Values that cloudpickle stores with their bytecode. */
const CODE_CELLS = [
  "import functools",
  "table = {'inc': lambda x: x + 1, 'n': 3}",
  "scaled = functools.partial(lambda a, b: a * b, 10)",
  "code = compile('z = 6 * 7', '<cell>', 'exec')",
  "plain = [table['n'], 4]",
];
const CODE_NAMES = ["code", "scaled", "table"];
const CODE_PROBES = [
  "table['inc'](1)", "table['n']", "scaled(4)", "type(scaled).__name__",
  "(lambda g: (exec(code, g), g['z'])[1])({})", "plain",
];

let session;
let work;

before(async () => {
  assert.ok(existsSync(DESKTOP_PYTHON), `${DESKTOP_PYTHON} missing: run scripts/setup and scripts/build-python`);
  assertDesktopPackageCurrent();
  work = mkdtempSync(path.join(tmpdir(), "elastic-cross-"));
  session = await loadIPythonSession();
  console.log(`Pyodide with IPython: ${(session.ms / 1000).toFixed(1)} s`);
  assert.match(session.pyodide.runPython("import sys; sys.version"), /^3\.14\./);
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Runs `cells` in the (fresh) Pyodide shell; every cell must succeed; returns their outputs. */
function runPyodide(cells) {
  return cells.map((code) => {
    const result = session.runCell(code);
    assert.ok(result.success, `Pyodide cell failed (${result.error}):\n${code}\n${result.output}\n` +
      session.output.slice(-20).join("\n"));
    return result.output;
  });
}

/** Runs `cells` in a new desktop IPython; every cell must succeed. */
function runDesktop(cells, probes = []) {
  const done = runDesktopIPython(cells, probes, work);
  done.results.forEach((result, i) =>
    assert.ok(result.success, `desktop cell failed (${result.error}):\n${cells[i]}\n${result.output}`));
  return done;
}

/** [stored, recomputed] counts of a `%checkpoint` report. */
function checkpointCounts(output, file) {
  const report = output.match(new RegExp(`^elastic-notebook: checkpoint ${file}: stored (\\d+) variables?, recompute (\\d+)`, "m"));
  assert.ok(report, `no checkpoint report:\n${output}`);
  return [Number(report[1]), Number(report[2])];
}

/** [loaded, recomputed] counts of a `%restore` report. */
function restoreCounts(output, file) {
  const report = output.match(new RegExp(`^elastic-notebook: restored ${file}: loaded (\\d+) variables?, recomputed (\\d+)`, "m"));
  assert.ok(report, `no restore report:\n${output}`);
  return [Number(report[1]), Number(report[2])];
}

/** The desktop Python's version, as the fallback line names it. */
const desktopVersion = () => runDesktopIPython([], ["__import__('sys').version_info[:2]"], work)
  .probes["__import__('sys').version_info[:2]"].replace(/^\((\d+), (\d+)\)$/, "$1.$2");

test("a desktop .ckpt of a pure-Python session restores in Pyodide: values, types, aliasing", () => {
  for (const mode of ["--store-all", ""]) {
    const file = path.join(work, "desktop.ckpt");
    rmSync(file, { force: true });
    const desktop = runDesktop([...PURE_CELLS, `%checkpoint ${mode} ${file}`.replace(/\s+/g, " ")], PURE_PROBES);
    const [stored, recompute] = checkpointCounts(desktop.results.at(-1).output, file);
    if (mode === "--store-all") assert.ok(stored >= 15, `--store-all stored only ${stored}`);

    session.fresh();
    session.pyodide.FS.writeFile("/tmp/desktop.ckpt", readFileSync(file));
    const [out] = runPyodide(["%restore /tmp/desktop.ckpt"]);
    console.log(`desktop -> Pyodide (${mode || "optimal"}): ${out.trim()}`);
    assert.doesNotMatch(out, /did not load/);
    const [loaded, recomputed] = restoreCounts(out, "/tmp/desktop.ckpt");
    assert.deepEqual([loaded, recomputed], [stored, recompute], "the plan was not followed as written");
    assert.deepEqual(probeSession(session, PURE_PROBES), desktop.probes);
    assert.deepEqual(session.state().variables, desktop.variables);
    // Recording goes on in the restored session.
    runPyodide(["alias.append(5)", "%checkpoint /tmp/after.ckpt"]);
    assert.match(runPyodide(["%restore /tmp/after.ckpt\nprint(nums, pair[1]['k'] is nums)"])[0], /^\[1, 2, 3, 4, 5\] True$/m);
  }
});

test("a Pyodide .ckpt restores in desktop CPython in every mode, and back again", () => {
  for (const mode of ["--store-all", "", "--recompute-all"]) {
    session.fresh();
    const outputs = runPyodide([...PURE_CELLS, `%checkpoint ${mode} /tmp/pyodide.ckpt`.replace(/\s+/g, " ")]);
    const [stored, recompute] = checkpointCounts(outputs.at(-1), "/tmp/pyodide.ckpt");
    const expected = probeSession(session, PURE_PROBES);
    const variables = session.state().variables;
    const file = path.join(work, "pyodide.ckpt");
    const bytes = session.pyodide.FS.readFile("/tmp/pyodide.ckpt");
    writeFileSync(file, bytes);
    // The desktop core reads the wasm core's file: every chunk's hash checks.
    assert.equal(desktopVerify(file).file_len, bytes.length);

    const back = path.join(work, "back.ckpt");
    rmSync(back, { force: true });
    const desktop = runDesktop([`%restore ${file}`, "nums.append(5)", `%checkpoint --store-all ${back}`], PURE_PROBES);
    const out = desktop.results[0].output;
    console.log(`Pyodide -> desktop (${mode || "optimal"}): ${out.trim()}`);
    assert.doesNotMatch(out, /did not load/);
    assert.deepEqual(restoreCounts(out, file), [stored, recompute]);
    if (mode === "--recompute-all") assert.equal(stored, 0);
    // The probes ran after `nums.append(5)`.
    assert.deepEqual(desktop.probes, { ...expected, nums: "[1, 2, 3, 4, 5]", "pair[0] is nums": "True" });
    assert.deepEqual(desktop.variables, variables);

    // The desktop's checkpoint of the restored session, back in Pyodide.
    session.fresh();
    session.pyodide.FS.writeFile("/tmp/back.ckpt", readFileSync(back));
    const [again] = runPyodide(["%restore /tmp/back.ckpt"]);
    assert.doesNotMatch(again, /did not load/);
    assert.deepEqual(probeSession(session, PURE_PROBES), desktop.probes);
  }
});

test("code pickled by value from Pyodide (3.14) is recomputed in desktop CPython, not loaded", () => {
  session.fresh();
  const outputs = runPyodide([...CODE_CELLS, "%checkpoint --store-all /tmp/code.ckpt"]);
  const [stored] = checkpointCounts(outputs.at(-1), "/tmp/code.ckpt");
  assert.equal(stored, 5, "the lambda, partial and code object were not stored");
  const expected = probeSession(session, CODE_PROBES);
  const file = path.join(work, "code-pyodide.ckpt");
  writeFileSync(file, session.pyodide.FS.readFile("/tmp/code.ckpt"));

  const desktop = runDesktop([`%restore ${file}`], CODE_PROBES);
  const out = desktop.results[0].output;
  console.log(`Pyodide -> desktop: ${out.trim()}`);
  const version = desktopVersion();
  for (const name of CODE_NAMES) {
    assert.match(out, new RegExp(`^  ${name}: its stored copy did not load \\(it holds Python bytecode of ` +
      `another version: magic [0-9a-f]{8}, this Python ${version.replace(".", "\\.")} has [0-9a-f]{8}\\); recomputed instead$`, "m"));
  }
  assert.deepEqual(restoreCounts(out, file), [stored - CODE_NAMES.length, CODE_NAMES.length]);
  assert.deepEqual(desktop.probes, expected);
  assert.equal(desktop.probes["scaled(4)"], "40");
});

test("code pickled by value on the desktop (3.11) is recomputed in Pyodide, not loaded", () => {
  const file = path.join(work, "code-desktop.ckpt");
  rmSync(file, { force: true });
  const desktop = runDesktop([...CODE_CELLS, `%checkpoint --store-all ${file}`], CODE_PROBES);
  const [stored] = checkpointCounts(desktop.results.at(-1).output, file);
  assert.equal(stored, 5);

  session.fresh();
  session.pyodide.FS.writeFile("/tmp/code-desktop.ckpt", readFileSync(file));
  const [out] = runPyodide(["%restore /tmp/code-desktop.ckpt"]);
  console.log(`desktop -> Pyodide: ${out.trim()}`);
  for (const name of CODE_NAMES) {
    assert.match(out, new RegExp(`^  ${name}: its stored copy did not load \\(it holds Python bytecode of ` +
      "another version: magic [0-9a-f]{8}, this Python 3\\.14 has [0-9a-f]{8}\\); recomputed instead$", "m"));
  }
  assert.deepEqual(restoreCounts(out, "/tmp/code-desktop.ckpt"), [stored - CODE_NAMES.length, CODE_NAMES.length]);
  assert.deepEqual(probeSession(session, CODE_PROBES), desktop.probes);
});
