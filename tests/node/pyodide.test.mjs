// The Python package `elastic_notebook` inside npm Pyodide (Node): its facade loads the wasm
// core from the package data synchronously (Node has no JSPI, so nothing may await) and
// returns typed Python objects.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, test } from "node:test";

import { ROOT, crateVersion, installPythonPackage, loadPyodide } from "./helpers.mjs";

const goldenBytes = (name) => readFileSync(path.join(ROOT, "tests", "golden", name));

let pyodide;

/** Runs Python code whose last expression is JSON-serializable; returns it parsed. */
function py(code) {
  return JSON.parse(pyodide.runPython(`import json\n${code}\njson.dumps(_)`));
}

before(async () => {
  const loaded = await loadPyodide();
  pyodide = loaded.pyodide;
  console.log(`Pyodide ${pyodide.version} loaded in ${loaded.ms.toFixed(0)} ms`);
  installPythonPackage(pyodide);
});

test("the facade loads the wasm core synchronously, not a native module", () => {
  const r = py(`
import sys, time
start = time.perf_counter()
import elastic_notebook
from elastic_notebook import core
v = elastic_notebook.version()
ms = (time.perf_counter() - start) * 1000
start = time.perf_counter()
for _ in range(100):
    elastic_notebook.analyze("y = x + 1")
per_call_us = (time.perf_counter() - start) * 1e4
_ = {
    "platform": sys.platform,
    "version": v,
    "backend": type(core.backend()).__name__,
    "native": "elastic_notebook._core" in sys.modules,
    # JS undefined, not null (which to_py() makes pyodide.ffi.jsnull): the same dict as _core's
    "none_is_none": core.backend().analyze("y = 1")["parseError"] is None,
    "ms": ms,
    "per_call_us": per_call_us,
}
`);
  console.log(`wasm core loaded in ${r.ms.toFixed(1)} ms (import + glue + initSync);` +
    ` analyze("y = x + 1") ${r.per_call_us.toFixed(0)} us per call`);
  assert.equal(r.platform, "emscripten");
  assert.equal(r.version, crateVersion());
  assert.equal(r.backend, "WasmCore");
  assert.equal(r.native, false);
  assert.equal(r.none_is_none, true);
});

test("analyze() from Python returns a typed CellAnalysis", () => {
  const r = py(`
from elastic_notebook import CellAnalysis, analyze
a = analyze("y = x + 1")
_ = {
    "type": type(a).__name__,
    "parsed": a.parsed,
    "parse_error": a.parse_error,
    "reads": sorted(a.reads),
    "binds": sorted(a.binds),
    "deletes": sorted(a.deletes),
    "definitions": list(a.definitions),
    "dynamic": a.dynamic,
    "sets": all(isinstance(s, frozenset) for s in (a.reads, a.binds, a.calls, a.imports)),
}
`);
  assert.deepEqual(r, {
    type: "CellAnalysis",
    parsed: true,
    parse_error: null,
    reads: ["x"],
    binds: ["y"],
    deletes: [],
    definitions: [],
    dynamic: false,
    sets: true,
  });
});

test("analyze() from Python: definitions and parse errors", () => {
  const r = py(`
from elastic_notebook import DefinitionKind, analyze
a = analyze("def f(a):\\n    return a + g\\n")
d = a.definitions[0] if a.definitions else None
bad = analyze("x = 1\\ndef f(:\\n")
_ = {
    "definition": d and [d.name, d.kind is DefinitionKind.FUNCTION, sorted(d.reads)],
    "bad_parsed": bad.parsed,
    "bad_line": bad.parse_error and bad.parse_error.line,
    "bad_binds": sorted(bad.binds),
}
`);
  assert.deepEqual(r, {
    definition: ["f", true, ["g"]],
    bad_parsed: false,
    bad_line: 2,
    bad_binds: [],
  });
});

test("verify_checkpoint() and inspect_checkpoint() in Pyodide read a native golden file", () => {
  pyodide.FS.mkdirTree("/tmp/golden");
  for (const name of ["sample-store-all.ckpt", "sample-optimal.ckpt"]) {
    pyodide.FS.writeFile(`/tmp/golden/${name}`, goldenBytes(name));
  }
  const r = py(`
import elastic_notebook
report = elastic_notebook.verify_checkpoint("/tmp/golden/sample-store-all.ckpt")
summary = elastic_notebook.inspect_checkpoint("/tmp/golden/sample-optimal.ckpt")
data = bytearray(open("/tmp/golden/sample-store-all.ckpt", "rb").read())
data[100] ^= 0xFF
open("/tmp/golden/damaged.ckpt", "wb").write(data)
try:
    elastic_notebook.verify_checkpoint("/tmp/golden/damaged.ckpt")
    damage = None
except ValueError as error:
    damage = str(error)
_ = {
    "type": type(report).__name__,
    "chunks": report.chunks,
    "root": report.root,
    "rerun": [c["code"] for c in summary["cells"] if c["rerun"]],
    "damage": damage,
}
`);
  assert.equal(r.type, "VerifyReport");
  assert.equal(r.chunks, 19);
  assert.match(r.root, /^[0-9a-f]{64}$/);
  assert.deepEqual(r.rerun, [
    "gen = (x * 2 for x in data)",
    "import time",
    "blob = bytearray(bytes(range(256)) * 4)",
  ]);
  assert.match(r.damage, /checksum mismatch in the blob chunk/);
});

test("fingerprints in Pyodide hash through the wasm core and find co-variables", () => {
  const r = py(`
from elastic_notebook.fingerprint import covariable_groups, fingerprint
from elastic_notebook import core
l1 = [1, 2]
l2 = l1
holder = {"k": [0]}
buf = bytearray(range(256)) * 1000
before = {name: fingerprint(value) for name, value in
          {"l1": l1, "l2": l2, "holder": holder, "buf": buf}.items()}
l2.append(3)
holder["k"].append(1)
buf[0] = 255
after = {name: fingerprint(value) for name, value in
         {"l1": l1, "l2": l2, "holder": holder, "buf": buf}.items()}
_ = {
    "hasher": type(core.new_hasher()).__name__,
    "changed": sorted(n for n in before if before[n].digest != after[n].digest),
    "stable": fingerprint([1, {"a": (2, 3)}]).digest == fingerprint([1, {"a": (2, 3)}]).digest,
    "groups": covariable_groups({**after, "x": fingerprint(5), "y": fingerprint(5)}),
}
`);
  assert.equal(r.hasher, "WasmHasher");
  assert.deepEqual(r.changed, ["buf", "holder", "l1", "l2"]);
  assert.equal(r.stable, true);
  assert.deepEqual(r.groups, [["buf"], ["holder"], ["l1", "l2"], ["x"], ["y"]]);
});

test("in Pyodide a JavaScript function is code and a JavaScript object is opaque", () => {
  const r = py(`
import js
from elastic_notebook.fingerprint import reach
fetch, console = js.fetch, js.console
_ = {
    "function": [len(reach(fetch).opaque), len(reach(fetch).objects)],
    "object": id(console) in reach(console).opaque,
}
`);
  assert.deepEqual(r.function, [0, 1]);
  assert.equal(r.object, true);
});

test("in Pyodide a module's dict and settings object a group holds load back into the module", () => {
  const r = py(`
import sys, types
from elastic_notebook.fingerprint import reach
from elastic_notebook.module_globals import globals_reached, module_globals
from elastic_notebook.serialize import load_group, serialize_group
mod = types.ModuleType("elastic_node_settings")
class Options:
    pass
Options.__module__ = mod.__name__
mod.Options, mod.CONFIG, mod.options = Options, {"scale": 1}, Options()
sys.modules[mod.__name__] = mod
mod.CONFIG["scale"] = 10
mod.options.verbose = True
members = {"config": mod.CONFIG, "both": [mod.CONFIG, mod.options]}
shared = globals_reached(module_globals({}), [reach(v).objects for v in members.values()])
group = serialize_group(members, shared)
mod.CONFIG.clear()
vars(mod.options).clear()
back = load_group([bytearray(b) for b in group.blobs()], {})
_ = {
    "shared": len(shared),
    "config": back["config"] is mod.CONFIG and mod.CONFIG == {"scale": 10},
    "options": back["both"][1] is mod.options and vars(mod.options) == {"verbose": True},
}
`);
  assert.deepEqual(r, { shared: 2, config: true, options: true });
});

/** Python that builds `h`, the history of `l1 = [1]`, `l2 = l1`, `l2.append(2)`. */
const ALIASED_HISTORY = `from elastic_notebook import core
h = core.new_history()
def record(code, reads, writes, mutates=()):
    return {"code": code, "runtimeNs": 1_000_000, "success": True, "reads": reads,
            "readsEverything": False, "writes": writes, "mutates": list(mutates), "deletes": []}
h.record_cell(record("l1 = [1]", [], ["l1"]))
h.record_cell(record("l2 = l1", ["l1"], ["l2"]))
h.record_cell(record("l2.append(2)", ["l2"], [], ["l1", "l2"]))
`;

test("the history facade records, groups and plans through the wasm core", () => {
  const r = py(`
${ALIASED_HISTORY}h.set_groups([{"names": ["l1", "l2"], "size": 72, "serializable": True}])
plan = h.plan("recomputeAll")
try:
    h.set_groups([{"names": ["nope"], "size": 1, "serializable": True}])
    error = None
except ValueError as e:
    error = str(e)
_ = {"type": type(h).__name__, "live": h.live_names(), "rerun": plan["rerun"], "error": error}
`);
  assert.equal(r.type, "WasmHistory");
  assert.deepEqual(r.live, ["l1", "l2"]);
  assert.deepEqual(r.rerun, [0, 1, 2]);
  assert.match(r.error, /not live/);
});

test("checkpoint files: written atomically and read back through the wasm core in Pyodide", () => {
  const r = py(`
import os
from elastic_notebook import core, version
from elastic_notebook.serialize import load_group, serialize_group
os.makedirs("/tmp/ckpt", exist_ok=True)
${ALIASED_HISTORY}l1 = [1, 2]
group = serialize_group({"l1": l1, "l2": l1})
h.set_groups([{"names": ["l1", "l2"], "size": group.size, "serializable": True}])
plan = h.plan("storeAll")
def write(path, fail=False):
    writer = core.new_checkpoint_writer(path)
    try:
        writer.begin_group(0, group.serializer)
        for blob in group.blobs():
            writer.begin_blob()
            writer.write(blob)
            writer.end_blob()
        if fail:
            raise OSError("disk full")
        writer.end_group()
        return writer.finish(h, {"plan": plan, "producer": {"coreVersion": version(),
            "pythonVersion": "3.14", "pythonImplementation": "cpython", "platform": "emscripten"}})
    except BaseException:
        writer.abort()
        raise
report = write("/tmp/ckpt/s.ckpt")
before = open("/tmp/ckpt/s.ckpt", "rb").read()
try:
    write("/tmp/ckpt/s.ckpt", fail=True)
except OSError:
    pass
reader = core.open_checkpoint("/tmp/ckpt/s.ckpt")
steps = reader.restore_steps()
loaded = load_group([reader.read_blob(0, i) for i in range(steps[0]["blobs"])], {})
_ = {
    "root": report["root"] == reader.root,
    "files": sorted(os.listdir("/tmp/ckpt")),
    "kept": open("/tmp/ckpt/s.ckpt", "rb").read() == before,
    "steps": [s["kind"] for s in steps],
    "aliased": loaded["l1"] is loaded["l2"] and loaded["l1"] == [1, 2],
    "fallback": [s["kind"] for s in reader.fallback_steps([0])],
    "live": reader.history().live_names(),
}
`);
  assert.deepEqual(r, {
    root: true,
    files: ["s.ckpt"],
    kept: true,
    steps: ["load"],
    aliased: true,
    fallback: ["run", "run", "run"],
    live: ["l1", "l2"],
  });
});
