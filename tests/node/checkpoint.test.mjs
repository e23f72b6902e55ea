// The checkpoint format through the wasm module in Node: the golden files written by the
// native build read back, a byte-identical rewrite of one from JS, and damage refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { before, test } from "node:test";

import { ROOT, declaredFields, loadWasm } from "./helpers.mjs";

const golden = (name) => new Uint8Array(readFileSync(path.join(ROOT, "tests", "golden", name)));
const hex = (s) => Uint8Array.from(s.match(/../g).map((b) => parseInt(b, 16)));

// The blobs of tests/common/mod.rs: real pickle protocol 5 bytes made by CPython.
const PICKLE_DATA_ALIAS = hex(
  "80059522000000000000007d94288c05616c696173945d94284b014b024b034b04658c0464617461946802752e",
);
const PICKLE_TOTAL = hex("8005950e000000000000007d948c05746f74616c944b0a732e");
const PICKLE_BLOB = hex("8005950c000000000000007d948c04626c6f629497732e");
const BUFFER = Uint8Array.from({ length: 1024 }, (_, i) => i % 256);

let core;
before(async () => {
  core = await loadWasm();
});

/** The sample session of tests/common/mod.rs, recorded through the JS API. */
function sampleHistory() {
  const history = new core.History();
  const cell = (code, ms, reads, writes, mutates = []) =>
    history.recordCell({
      code,
      runtimeNs: ms * 1_000_000,
      success: true,
      reads,
      readsEverything: false,
      writes,
      mutates,
      deletes: [],
    });
  cell("data = [1, 2, 3]", 1, [], ["data"]);
  cell("alias = data", 1, ["data"], ["alias"]);
  cell("data.append(4)", 1, ["data"], [], ["data", "alias"]);
  cell("gen = (x * 2 for x in data)", 1, ["data"], ["gen"]);
  cell("import time", 1, [], ["time"]);
  cell("time.sleep(0.5)\ntotal = sum(data)", 500, ["time", "data"], ["total"]);
  cell("blob = bytearray(bytes(range(256)) * 4)", 1, [], ["blob"]);
  history.setGroups([
    { names: ["alias", "data"], size: 45, serializable: true },
    { names: ["gen"], size: 0, serializable: false },
    { names: ["total"], size: 25, serializable: true },
    { names: ["time"], size: 0, serializable: false },
    { names: ["blob"], size: 1047, serializable: true },
  ]);
  return history;
}

const BLOBS = { "alias,data": [PICKLE_DATA_ALIAS], total: [PICKLE_TOTAL], blob: [PICKLE_BLOB, BUFFER] };

test("the wasm writer reproduces the native golden file byte for byte", () => {
  const history = sampleHistory();
  const costModel = { writeBandwidth: 1e6, readBandwidth: 1e6, perGroupNs: 50_000 };
  const plan = history.plan("storeAll", costModel);
  const writer = new core.CheckpointWriter(64);
  const pieces = [];
  for (const group of plan.store) {
    // Group ids follow the order of setGroups; names are the sorted members.
    const names = [["alias,data"], ["gen"], ["total"], ["time"], ["blob"]][group][0];
    writer.beginGroup(group, "pickle");
    for (const blob of BLOBS[names]) {
      // Stream in uneven pieces, draining the output as a host would.
      writer.beginBlob();
      for (let at = 0; at < blob.length; at += 100) writer.write(blob.subarray(at, at + 100));
      writer.endBlob();
      pieces.push(writer.takeBytes());
    }
    writer.endGroup();
  }
  const end = writer.finish(history, {
    plan,
    costModel,
    producer: {
      coreVersion: "golden",
      pythonVersion: "3.14.2",
      pythonImplementation: "cpython",
      platform: "emscripten",
    },
    createdUnixMs: 1_764_000_000_000,
    extra: { notebook: "sample.ipynb" },
  });
  pieces.push(end.bytes);
  const bytes = Buffer.concat(pieces);
  assert.deepEqual(bytes, Buffer.from(golden("sample-store-all.ckpt")));
  assert.equal(end.root, core.verifyCheckpoint(bytes).root);
  assert.throws(() => writer.takeBytes(), /already finished/);
});

test("a store's writer keeps only the frame; frame + chunks are the golden file, and the frame opens alone", () => {
  const history = sampleHistory();
  const costModel = { writeBandwidth: 1e6, readBandwidth: 1e6, perGroupNs: 50_000 };
  const plan = history.plan("storeAll", costModel);
  const writer = core.CheckpointWriter.forStore(64);
  assert.equal(writer.chunkSize, 64);
  const chunks = [];
  for (const group of plan.store) {
    const names = [["alias,data"], ["gen"], ["total"], ["time"], ["blob"]][group][0];
    writer.beginGroup(group, "pickle");
    for (const blob of BLOBS[names]) {
      writer.beginBlob();
      for (let at = 0; at < blob.length; at += 64) {
        const chunk = blob.slice(at, at + 64);
        chunks.push({ hash: writer.writeChunk(chunk), chunk });
      }
      writer.endBlob();
    }
    writer.endGroup();
  }
  const end = writer.finish(history, {
    plan,
    costModel,
    producer: { coreVersion: "golden", pythonVersion: "3.14.2", pythonImplementation: "cpython", platform: "emscripten" },
    createdUnixMs: 1_764_000_000_000,
    extra: { notebook: "sample.ipynb" },
  });
  const file = golden("sample-store-all.ckpt");
  // Never drained: the header, then the manifest and trailer, and no chunk bytes.
  const frame = end.bytes;
  assert.equal(frame.length, file.length - chunks.reduce((n, c) => n + c.chunk.length, 0));
  assert.deepEqual(
    Buffer.concat([frame.subarray(0, 16), ...chunks.map((c) => c.chunk), frame.subarray(16)]),
    Buffer.from(file),
  );
  assert.equal(end.layout.fileLen, file.length);
  assert.deepEqual(end.layout.chunks.map((c) => c.hash), chunks.map((c) => c.hash));
  assert.equal(end.root, end.layout.root);

  const reader = core.CheckpointReader.fromFrame(frame.slice(0, 16), frame.slice(16));
  assert.equal(reader.root, end.root);
  const blob = reader.summary().groups.find((g) => g.names.join() === "blob");
  assert.deepEqual(reader.blobRef(blob.id, 1), { len: 1024, firstChunk: 3, chunkCount: 16 });
  for (const [index, { chunk }] of chunks.entries()) reader.checkChunk(index, chunk);
  const damaged = chunks[3].chunk.slice();
  damaged[7] ^= 1;
  assert.throws(() => reader.checkChunk(3, damaged), /checksum mismatch in the blob chunk 3/);
  assert.throws(() => reader.checkChunk(3, chunks[4].chunk), /checksum mismatch/);
  // Hashed elsewhere (the browser store's worker): the digest and length are checked.
  const digestOf = (bytes) => {
    const hasher = new core.Hasher();
    hasher.update(bytes);
    return hasher.digest();
  };
  for (const [index, { chunk }] of chunks.entries()) {
    reader.checkChunkDigest(index, chunk.length, digestOf(chunk));
  }
  assert.throws(() => reader.checkChunkDigest(3, damaged.length, digestOf(damaged)), /checksum mismatch in the blob chunk 3/);
  assert.throws(() => reader.checkChunkDigest(3, damaged.length - 1, digestOf(chunks[3].chunk)), /checksum mismatch/);
  assert.throws(() => reader.checkChunkDigest(3, damaged.length, digestOf(damaged).slice(1)), /digest is 32 bytes/);
  assert.throws(() => reader.readBlob(blob.id, 1), /kept apart from a checkpoint's frame/);
  const tail = frame.slice(16);
  tail[5] ^= 1;
  assert.throws(() => core.CheckpointReader.fromFrame(frame.slice(0, 16), tail), /checksum mismatch in the header, manifest or trailer/);
  assert.throws(() => core.CheckpointReader.fromFrame(frame.slice(0, 16), frame.slice(17)), /truncated|inconsistent|mismatch/);
});

test("a native golden file opens, verifies and gives back its blobs in wasm", () => {
  const reader = new core.CheckpointReader(golden("sample-store-all.ckpt"));
  const report = reader.verify();
  assert.equal(report.root, reader.root);
  assert.equal(report.chunks, 19);
  const summary = reader.summary();
  assert.equal(summary.cells.length, 7);
  assert.equal(summary.producer.platform, "emscripten");
  const blob = summary.groups.find((g) => g.names.join() === "blob");
  assert.deepEqual(blob.decision, { kind: "stored", serializer: "pickle", storedBytes: 23 + 1024, blobs: 2 });
  assert.deepEqual(reader.readBlob(blob.id, 0), PICKLE_BLOB);
  assert.deepEqual(reader.readBlob(blob.id, 1), BUFFER);
  assert.throws(() => reader.readBlob(blob.id, 2), /no blob 2/);
  assert.deepEqual(reader.history().liveNames(), ["alias", "blob", "data", "gen", "time", "total"]);
});

test("restore steps name the code to re-run and the groups to load, in order", () => {
  const reader = new core.CheckpointReader(golden("sample-optimal.ckpt"));
  assert.deepEqual(
    reader.restoreSteps().map((s) => (s.kind === "run" ? `run ${s.code}` : `load ${s.names}`)),
    [
      "load alias,data",
      "run gen = (x * 2 for x in data)",
      "run import time",
      "load total",
      "run blob = bytearray(bytes(range(256)) * 4)",
    ],
  );
});

test("damaged and truncated bytes are refused with the reason", () => {
  const bytes = golden("sample-store-all.ckpt");
  const damaged = bytes.slice();
  damaged[100] ^= 0xff;
  assert.throws(() => core.verifyCheckpoint(damaged), /checksum mismatch in the blob chunk/);
  assert.throws(() => core.verifyCheckpoint(bytes.subarray(0, 1000)), /truncated/);
  assert.throws(() => new core.CheckpointReader(new TextEncoder().encode("{}".repeat(50))), /not an elastic-notebook checkpoint/);
});

test("a history survives its postcard bytes and plans the same", () => {
  const history = sampleHistory();
  const copy = core.History.fromBytes(history.toBytes());
  assert.equal(copy.cellCount, 7);
  assert.deepEqual(copy.plan("optimal"), history.plan("optimal"));
  assert.match(history.toMermaid(), /flowchart/);
  assert.throws(() => core.History.fromBytes(new Uint8Array([1, 2, 3])), /./);
  assert.throws(() => history.setGroups([{ names: ["nope"], size: 1, serializable: true }]), /not live/);
});

test("js/src/types.ts declares the fields the checkpoint API returns (drift check)", () => {
  const reader = new core.CheckpointReader(golden("sample-optimal.ckpt"));
  const summary = reader.summary();
  assert.deepEqual(Object.keys(summary).sort(), declaredFields("CheckpointSummary"));
  assert.deepEqual(Object.keys(summary.cells[0]).sort(), declaredFields("CellSummary"));
  assert.deepEqual(Object.keys(summary.groups[0]).sort(), declaredFields("GroupSummary"));
  assert.deepEqual(Object.keys(summary.producer).sort(), declaredFields("Producer"));
  assert.deepEqual(Object.keys(reader.verify()).sort(), declaredFields("VerifyReport"));
  const plan = sampleHistory().plan("optimal");
  assert.deepEqual(Object.keys(plan).sort(), declaredFields("Plan"));
  assert.deepEqual(Object.keys(plan.cost).sort(), declaredFields("PlanCost"));
});
