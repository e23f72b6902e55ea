// The wasm module loaded directly in Node (the `--target web` glue of pkg/).
import assert from "node:assert/strict";
import { before, test } from "node:test";

import { crateVersion, declaredFields, loadWasm } from "./helpers.mjs";

let core;
before(async () => {
  core = await loadWasm();
});

test("version() is the crate version", () => {
  assert.equal(core.version(), crateVersion());
});

test("analyze() returns the core's camelCase object", () => {
  assert.deepEqual(core.analyze("y = x + 1"), {
    parseError: undefined,
    reads: ["x"],
    binds: ["y"],
    deletes: [],
    imports: [],
    starImports: [],
    definitions: [],
    calls: [],
    mutates: [],
    mutatesDirectly: [],
    storesThrough: [],
    dynamic: false,
    maybeUnreproducibleCalls: [],
  });
  const edit = core.analyze("rows.append(row)\nf(cfg)");
  assert.deepEqual([edit.mutates, edit.mutatesDirectly], [["cfg", "rows"], ["rows"]]);
  assert.deepEqual(core.analyze("mod.SCALE = 10\npd.set_option('x', 1)").storesThrough, ["mod", "pd"]);
  assert.deepEqual(core.analyze("key = os.urandom(16)").maybeUnreproducibleCalls, [
    { callee: ["os", "urandom"], seeded: true },
  ]);
});

test("analyze() reports definitions, imports, calls and deletes", () => {
  const a = core.analyze("import os\ndef f(a):\n    return a + g\nz = h(w)\ndel q\n");
  assert.equal(a.parseError, undefined);
  assert.deepEqual(a.imports, ["os"]);
  assert.ok(a.binds.includes("f") && a.binds.includes("z"), `binds: ${a.binds}`);
  assert.ok(a.reads.includes("h") && a.reads.includes("w"), `reads: ${a.reads}`);
  assert.ok(!a.reads.includes("g"), "a name read only inside a function body is not a read");
  assert.deepEqual(a.deletes, ["q"]);
  assert.deepEqual(a.calls, ["h"]);
  assert.deepEqual(a.definitions, [
    {
      name: "f",
      kind: "function",
      reads: ["g"],
      globalWrites: [],
      calls: [],
      dynamic: false,
      maybeUnreproducibleCalls: [],
    },
  ]);
  assert.equal(a.dynamic, false);
});

test("analyze() reports a parse error with its position and nothing else", () => {
  const a = core.analyze("x = 1\ndef f(:\n");
  assert.ok(a.parseError, "a cell that does not parse has a parseError");
  assert.equal(typeof a.parseError.message, "string");
  assert.ok(a.parseError.message.length > 0);
  assert.equal(a.parseError.line, 2);
  assert.ok(a.parseError.column >= 1);
  assert.deepEqual(a.reads, []);
  assert.deepEqual(a.binds, []);
});

test("analyze() parses Python 3.14 syntax (PEP 701 f-string)", () => {
  const a = core.analyze('s = f"{d["k"]}"');
  assert.equal(a.parseError, undefined);
  assert.deepEqual(a.reads, ["d"]);
  assert.deepEqual(a.binds, ["s"]);
});

test("js/src/types.ts declares exactly the fields the core returns (drift check)", () => {
  const a = core.analyze("def f():\n    return g\n");
  const bad = core.analyze("def f(:\n");
  assert.deepEqual(Object.keys(a).sort(), declaredFields("CellAnalysis"));
  assert.deepEqual(Object.keys(a.definitions[0] ?? {}).sort(), declaredFields("Definition"));
  assert.deepEqual(Object.keys(bad.parseError ?? {}).sort(), declaredFields("ParseError"));
});
