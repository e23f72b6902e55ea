// Shared set-up of the Node tests: where the build outputs are, and how to load the wasm
// module and Pyodide. The build (scripts/build-wasm) and `npm ci` in js/ must have run.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const PKG_DIR = path.join(ROOT, "pkg");
export const PY_PACKAGE_DIR = path.join(ROOT, "pyodide-ext", "elastic_notebook");
const PYODIDE_MJS = path.join(ROOT, "js", "node_modules", "pyodide", "pyodide.mjs");

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
