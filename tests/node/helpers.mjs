// Shared set-up of the Node tests: where the build outputs are, and how to load the wasm
// module and Pyodide. The build (scripts/build-wasm) and `npm ci` in js/ must have run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PKG_DIR = path.join(ROOT, "pkg");
export const PY_PACKAGE_DIR = path.join(ROOT, "pyodide-ext", "elastic_notebook");
const PYODIDE_MJS = path.join(ROOT, "js", "node_modules", "pyodide", "pyodide.mjs");
/** The wheels of scripts/fetch-pyodide-wheels (a link into the cache). */
export const PYODIDE_WHEELS_DIR = path.join(ROOT, "build", "pyodide-wheels");

/** The crate version, as wasm-pack wrote it into pkg/package.json. */
export function crateVersion() {
  return JSON.parse(readFileSync(path.join(PKG_DIR, "package.json"), "utf8")).version;
}

/** The `--target web` glue of pkg/, instantiated synchronously from the .wasm bytes. */
export async function loadWasm() {
  const glue = await import(pathToFileURL(path.join(PKG_DIR, "elastic_notebook.js")).href);
  glue.initSync({ module: readFileSync(path.join(PKG_DIR, "elastic_notebook_bg.wasm")) });
  return glue;
}

/** A fresh Pyodide (the npm package of js/), with the load time in milliseconds. */
export async function loadPyodide() {
  const { loadPyodide } = await import(pathToFileURL(PYODIDE_MJS).href);
  const start = performance.now();
  const pyodide = await loadPyodide();
  return { pyodide, ms: performance.now() - start };
}

/**
 * Copies the Python package `elastic_notebook` (sources and the wasm package data in
 * `_wasm/`, not a native `_core` module or caches) into Pyodide's site-packages.
 */
export function installPythonPackage(pyodide) {
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  const copy = (from, to) => {
    pyodide.FS.mkdirTree(to);
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const source = path.join(from, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "__pycache__") copy(source, `${to}/${entry.name}`);
      } else if (!/\.(so|pyd|pyc)$/.test(entry.name)) {
        pyodide.FS.writeFile(`${to}/${entry.name}`, readFileSync(source));
      }
    }
  };
  copy(PY_PACKAGE_DIR, `${sitePackages}/elastic_notebook`);
}

/** The field names of `export interface NAME` in js/src/types.ts. */
export function declaredFields(name) {
  const source = readFileSync(path.join(ROOT, "js", "src", "types.ts"), "utf8");
  const body = source.match(new RegExp(`export interface ${name} \\{([^}]*)\\}`))?.[1];
  assert.ok(body, `interface ${name} in js/src/types.ts`);
  return [...body.matchAll(/^\s*(\w+)\??:/gm)].map((m) => m[1]).sort();
}

/**
 * The wheels scripts/fetch-pyodide-wheels downloaded for the installed Pyodide (IPython, its
 * lock dependencies, cloudpickle), as absolute paths. Throws saying how to get them.
 */
export function pyodideWheels() {
  const manifestPath = path.join(PYODIDE_WHEELS_DIR, "manifest.json");
  const fetchHint = "run scripts/fetch-pyodide-wheels (or scripts/setup)";
  if (!existsSync(manifestPath)) {
    throw new Error(`no Pyodide wheels in ${PYODIDE_WHEELS_DIR}: ${fetchHint}`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  const pyodidePackage = path.join(path.dirname(PYODIDE_MJS), "package.json");
  const version = JSON.parse(readFileSync(pyodidePackage, "utf8")).version;
  if (manifest.pyodide !== version) {
    throw new Error(`the Pyodide wheels are for Pyodide ${manifest.pyodide}, js/ has ${version}: ${fetchHint}`);
  }
  const wheels = manifest.wheels.map((name) => path.join(PYODIDE_WHEELS_DIR, name));
  const missing = wheels.filter((wheel) => !existsSync(wheel));
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: ${fetchHint}`);
  return wheels;
}

/** Unpacks the wheels of `pyodideWheels()` into Pyodide's site-packages (synchronous). */
export function installPyodideWheels(pyodide, wheels = pyodideWheels()) {
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  for (const wheel of wheels) {
    pyodide.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel", { extractDir: sitePackages });
  }
}

// Python helpers of an IPython session inside Pyodide (module `node_ipython`).
const NODE_IPYTHON = `
"""An IPython shell inside Pyodide under Node, driven by the Node tests."""
import contextlib
import io
import json

from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from elastic_notebook import magics


def shell():
    config = Config()
    # No history database: nothing of a session outlives \`fresh()\`.
    config.HistoryManager.enabled = False
    return InteractiveShell.instance(config=config)


def run_cell(code):
    """Runs a cell as a notebook would; JSON: success, error type, what it printed."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        result = shell().run_cell(code, store_history=True)
    error = result.error_in_exec or result.error_before_exec
    return json.dumps({
        "success": bool(result.success),
        "error": None if error is None else type(error).__name__,
        "output": output.getvalue(),
    })


def fresh(load=True):
    """An empty namespace and, with \`load\`, a new recorder (else the extension unloaded)."""
    current = shell()
    if magics.recorder_of(current) is not None:
        current.run_line_magic("unload_ext", "elastic_notebook")
    current.reset(new_session=True)
    if load:
        current.run_line_magic("load_ext", "elastic_notebook")


def state():
    """JSON: the user's variables, the recorder's id, its live names and recorded cells."""
    recorder = magics.recorder_of(shell())
    return json.dumps({
        "variables": sorted(recorder.user_namespace()) if recorder else None,
        "recorder": id(recorder) if recorder else None,
        "live": recorder.history.live_names() if recorder else None,
        "records": len(recorder.records) if recorder else None,
    })
`;

/**
 * A fresh Pyodide with the package (`installPythonPackage`), the IPython wheels and an
 * `InteractiveShell.instance()` that has run `%load_ext elastic_notebook`. Python's output
 * goes to `output` (the last 500 lines), not the console. Returns
 * `{pyodide, ms, output, runCell, fresh, state, copyFileTo}`:
 * - `runCell(code)`: `shell.run_cell(code, store_history=True)` -> {success, error, output};
 * - `fresh()`: empty namespace and a new recorder; `state()`: variables, recorder id, ...;
 * - `copyFileTo(other, path)`: a file of this instance's file system into `other`'s.
 */
export async function loadIPythonSession() {
  const wheels = pyodideWheels(); // fails before the slow part if they are missing
  const start = performance.now();
  const { pyodide } = await loadPyodide();
  const output = [];
  const collect = (line) => {
    output.push(line);
    if (output.length > 500) output.shift();
  };
  pyodide.setStdout({ batched: collect });
  pyodide.setStderr({ batched: collect });
  installPythonPackage(pyodide);
  installPyodideWheels(pyodide, wheels);
  const sitePackages = pyodide.runPython("import site; site.getsitepackages()[0]");
  pyodide.FS.writeFile(`${sitePackages}/node_ipython.py`, NODE_IPYTHON);
  // gc.freeze(): what start-up made (IPython, the package) is never collected, so the
  // gc.collect() in each IPython reset takes 0.1 ms instead of 55 ms.
  pyodide.runPython("import gc, node_ipython\nnode_ipython.fresh()\ngc.freeze()");
  const module = pyodide.pyimport("node_ipython");
  const session = {
    pyodide,
    output,
    ms: performance.now() - start,
    runCell: (code) => JSON.parse(module.run_cell(code)),
    fresh: (load = true) => module.fresh(load),
    state: () => JSON.parse(module.state()),
    copyFileTo: (other, file) => {
      other.pyodide.FS.mkdirTree(path.posix.dirname(file));
      other.pyodide.FS.writeFile(file, pyodide.FS.readFile(file));
    },
  };
  return session;
}

/**
 * Copies test modules of tests/python (by file name) into `/tests/python` of Pyodide's
 * file system, which goes on `sys.path`: the desktop test code itself, not a copy of it.
 */
export function installTestModules(pyodide, names) {
  pyodide.FS.mkdirTree("/tests/python");
  for (const name of names) {
    pyodide.FS.writeFile(`/tests/python/${name}`, readFileSync(path.join(ROOT, "tests", "python", name)));
  }
  pyodide.runPython("import sys\nif '/tests/python' not in sys.path: sys.path.insert(0, '/tests/python')");
}

/**
 * `repr` of each Python expression in `expressions`, evaluated in the user namespace of
 * a `loadIPythonSession()` shell (`"<ExcType>"` if it raises): the same probes, and the
 * same rendering, as tests/python/ipython_driver.py gives for a desktop session.
 */
export function probeSession(session, expressions) {
  const probe = session.pyodide.runPython(`
def _elastic_probe(expressions):
    import json, node_ipython
    namespace = node_ipython.shell().user_ns
    probes = {}
    for expression in json.loads(expressions):
        try:
            probes[expression] = repr(eval(expression, namespace))
        except Exception as error:
            probes[expression] = f"<{type(error).__name__}>"
    return json.dumps(probes)
_elastic_probe`);
  try {
    return JSON.parse(probe(JSON.stringify(expressions)));
  } finally {
    probe.destroy();
  }
}

/** The desktop virtualenv's Python (scripts/setup; scripts/build-python installs the wheel). */
export const DESKTOP_PYTHON = path.join(ROOT, ".venv", "bin", "python");

/**
 * Runs `cells` in a real IPython shell of a new desktop CPython process (.venv, with the
 * desktop wheel), through tests/python/ipython_driver.py, in the directory `cwd`; returns
 * the driver's `{probes, results, variables}`. Throws with the process's stderr if it
 * does not exit 0 (a crash of the interpreter, a signal).
 */
export function runDesktopIPython(cells, probes, cwd) {
  const job = path.join(cwd, `job-${process.hrtime.bigint()}.json`);
  writeFileSync(job, JSON.stringify({ cells, probes }));
  const done = spawnSync(DESKTOP_PYTHON, [path.join(ROOT, "tests", "python", "ipython_driver.py"), job], {
    cwd,
    encoding: "utf8",
    timeout: 120_000,
    // Its own IPython profile: no history database shared with other runs.
    env: { ...process.env, IPYTHONDIR: path.join(cwd, ".ipython") },
  });
  if (done.status !== 0) {
    const how = done.signal ? `was killed by ${done.signal}` : `exited ${done.status ?? done.error}`;
    throw new Error(`desktop IPython ${how}:\n${done.stderr}`);
  }
  return JSON.parse(done.stdout);
}

/** The desktop core's `verify_checkpoint(file)` (hashes every chunk; unpickles nothing). */
export function desktopVerify(file) {
  const done = spawnSync(DESKTOP_PYTHON, ["-c",
    "import dataclasses, json, sys, elastic_notebook\n" +
    "print(json.dumps(dataclasses.asdict(elastic_notebook.verify_checkpoint(sys.argv[1]))))", file],
  { encoding: "utf8", timeout: 60_000 });
  if (done.status !== 0) throw new Error(`verify_checkpoint(${file}) failed:\n${done.stderr}`);
  return JSON.parse(done.stdout);
}

/**
 * Throws unless .venv's `elastic_notebook` (the desktop wheel) has the working tree's
 * Python sources: a missing or stale wheel (scripts/build-python not run since a change)
 * would test other code than the tree's on the desktop side.
 */
export function assertDesktopPackageCurrent() {
  const done = spawnSync(DESKTOP_PYTHON, ["-c", "import os, elastic_notebook; print(os.path.dirname(elastic_notebook.__file__))"],
    { encoding: "utf8", timeout: 60_000 });
  assert.equal(done.status, 0, `.venv has no elastic_notebook: run scripts/build-python\n${done.stderr}`);
  const installed = done.stdout.trim();
  for (const name of readdirSync(PY_PACKAGE_DIR).filter((n) => n.endsWith(".py"))) {
    const copy = path.join(installed, name);
    assert.ok(existsSync(copy) && readFileSync(copy).equals(readFileSync(path.join(PY_PACKAGE_DIR, name))),
      `the desktop wheel in .venv is older than pyodide-ext/elastic_notebook/${name}: run scripts/build-python`);
  }
}
