// Benchmarks of the wasm core: in Node directly, and inside npm Pyodide from Python through
// the package's facade (the path the kernel takes); and the reach walk inside Pyodide.
// Prints one JSON object on stdout for bench/run; progress goes to stderr. Needs
// scripts/build-wasm and `npm ci` in js/.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

import { ROOT, installPythonPackage, loadPyodide, loadWasm } from "../tests/node/helpers.mjs";

const cell20 = readFileSync(path.join(ROOT, "bench", "cells", "cell_20.py"), "utf8");
const cell500 = readFileSync(path.join(ROOT, "bench", "cells", "cell_500.py"), "utf8");
const log = (...args) => console.error(...args);
/** The cells of bench/notebooks.py's WALKED notebooks, by name. */
const WALKED = JSON.parse(
  execFileSync(
    "python3",
    ["-c", "import json; from notebooks import WALKED; print(json.dumps({n.name: list(n.cells) for n in WALKED}))"],
    { cwd: path.join(ROOT, "bench"), encoding: "utf8" },
  ),
);

/** Median wall time in milliseconds of `runs` runs of `f`, after one warm-up run. */
function medianMs(runs, f) {
  f();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const result = {};
const core = await loadWasm();

// analyze() called from JS.
result.wasmNodeAnalyze20Us = medianMs(2000, () => core.analyze(cell20)) * 1e3;
result.wasmNodeAnalyze500Us = medianMs(200, () => core.analyze(cell500)) * 1e3;
log(`wasm in Node: analyze 20 lines ${result.wasmNodeAnalyze20Us.toFixed(1)} us`);

// Checkpoint throughput in wasm: 512 MiB of blobs (8 groups of 64 MiB), streamed in 8 MiB
// pieces as a host streams pickled buffers, output drained after every piece.
const GROUPS = 8;
const GROUP_BYTES = 64 << 20;
const PIECE = 8 << 20;
const piece = new Uint8Array(PIECE);
for (let i = 0; i < PIECE; i += 4) new DataView(piece.buffer).setUint32(i, (i * 2654435761) >>> 0);
const history = new core.History();
for (let g = 0; g < GROUPS; g++) {
  history.recordCell({
    code: `arr_${g} = make()`,
    runtimeNs: 1e9,
    success: true,
    reads: [],
    readsEverything: false,
    writes: [`arr_${g}`],
    mutates: [],
    deletes: [],
  });
}
history.setGroups(
  Array.from({ length: GROUPS }, (_, g) => ({ names: [`arr_${g}`], size: GROUP_BYTES, serializable: true })),
);
const plan = history.plan("storeAll", undefined);
const total = GROUPS * GROUP_BYTES;
let file;
const writeMs = medianMs(3, () => {
  const writer = new core.CheckpointWriter(undefined);
  const parts = [];
  for (const group of plan.store) {
    writer.beginGroup(group, "pickle");
    writer.beginBlob();
    for (let at = 0; at < GROUP_BYTES; at += PIECE) {
      writer.write(piece);
      parts.push(writer.takeBytes());
    }
    writer.endBlob();
    writer.endGroup();
  }
  parts.push(writer.finish(history, { plan }).bytes);
  writer.free();
  file = Buffer.concat(parts);
});
result.wasmWriteGBps = total / (writeMs / 1e3) / 1e9;
const verifyMs = medianMs(3, () => core.verifyCheckpoint(file));
result.wasmVerifyGBps = total / (verifyMs / 1e3) / 1e9;
log(`wasm in Node: write ${result.wasmWriteGBps.toFixed(2)} GB/s, verify ${result.wasmVerifyGBps.toFixed(2)} GB/s`);
file = undefined;

// Inside Pyodide, from Python: the facade (typed result) and the raw backend call.
const { pyodide, ms } = await loadPyodide();
result.pyodideStartMs = ms;
installPythonPackage(pyodide);
pyodide.globals.set("cell20", cell20);
pyodide.globals.set("cell500", cell500);
const inPython = JSON.parse(
  pyodide.runPython(`
import json, time
start = time.perf_counter()
import elastic_notebook
from elastic_notebook import core
elastic_notebook.version()
load_ms = (time.perf_counter() - start) * 1e3

def median_us(runs, f):
    f()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e6

backend = core.backend()
json.dumps({
    "pyodideCoreLoadMs": load_ms,
    "pyodideAnalyze20Us": median_us(1000, lambda: elastic_notebook.analyze(cell20)),
    "pyodideAnalyze500Us": median_us(100, lambda: elastic_notebook.analyze(cell500)),
    "pyodideAnalyze20RawUs": median_us(1000, lambda: backend.analyze(cell20)),
    "pyodideAstParse20Us": median_us(1000, lambda: __import__("ast").parse(cell20)),
})
`),
);
Object.assign(result, inPython);
log(`wasm in Pyodide: analyze 20 lines ${result.pyodideAnalyze20Us.toFixed(1)} us (facade)`);

// The reach walk inside Pyodide on the large values of the desktop's pure-Python notebooks
// (bench/notebooks.py WALKED, as bench/session.py --part walk): the heap walk Pyodide takes
// and the Python walk it falls back to, alternating, best of 5, each walk's previous
// result freed outside its timing.
pyodide.globals.set("walked", pyodide.toPy(WALKED));
result.pyodideWalk = JSON.parse(
  pyodide.runPython(`
import json, time
from elastic_notebook import core, fingerprint

results = {}
for notebook, cells in walked.items():
    namespace = {}
    for cell in cells:
        exec(compile(cell, notebook, "exec"), namespace)
    for name, value in namespace.items():
        if name.startswith("__") or not isinstance(value, list | dict):
            continue
        seconds = {"heap": [], "python": []}
        takes = {
            "heap": lambda v: fingerprint._reach_natively(v, core.new_object_walk()),
            "python": fingerprint._reach_in_python,
        }
        reached = None
        for _ in range(5):
            for walk, take in takes.items():
                reached = None
                start = time.perf_counter()
                reached = take(value)
                seconds[walk].append(time.perf_counter() - start)
        if min(seconds["python"]) >= 1e-3:
            results[f"{notebook}.{name}"] = {
                "heapMs": round(1e3 * min(seconds["heap"]), 2),
                "pythonMs": round(1e3 * min(seconds["python"]), 2),
                "objects": len(reached.objects),
                "items": len(value),
            }
json.dumps(results)
`),
);
for (const [name, walk] of Object.entries(result.pyodideWalk)) {
  log(`reach in Pyodide: ${name}: ${walk.heapMs} ms heap walk, ${walk.pythonMs} ms in Python`);
}

for (const [key, value] of Object.entries(result)) {
  if (typeof value === "number") result[key] = Math.round(value * 100) / 100;
}
console.log(JSON.stringify(result));
