// The browser's checkpoint store (IndexedDB) never half-writes a checkpoint: a tab closed
// while a checkpoint is being stored leaves either all of it or none of it, and every
// record's chunks are there; a checkpoint over the site's storage quota fails with a clear
// error and leaves the earlier ones restorable; a chunk damaged in the store is caught by
// every reader (restore, verify, export), and a restore deletes it so the next checkpoint
// stores it again. The store's contents are read, and damaged,
// from the page (same origin as the kernel's worker).
//
// Needs what tests/browser/lite.test.mjs needs (scripts/build-lite, chromium,
// playwright-core). Run: node --test tests/browser/
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { CELL_MS, inStore, launchOffline, openNotebook, runCell, runOk, serve, storeContents } from "./helpers.mjs";

let server;
let base;
let browser;
let page;

before(async () => {
  ({ server, base } = await serve());
  browser = await launchOffline("store");
  ({ page } = browser);
});

after(async () => {
  await browser?.close();
  server?.close();
});

/**
 * The store's invariant: every record's chunks are there, and no chunk is unreferenced.
 * With no checkpoint being stored, no claim is left either (`claims`: a tab closed
 * mid-checkpoint may leave some, naming chunks its committed batches put).
 */
function assertWhole(contents, when, { claims = false } = {}) {
  assert.deepEqual(contents.missing, [], `${when}: records name chunks the store lacks`);
  assert.deepEqual(contents.orphans, [], `${when}: chunks no record or claim names`);
  if (!claims) assert.deepEqual(contents.claims, [], `${when}: claims of unfinished checkpoints`);
}

/**
 * Puts claims into `page`'s store as a tab closed mid-checkpoint leaves them: for each
 * `{ save, hash, ageHours, bytes, chunk }`, the claim (made `ageHours` ago, of `bytes`),
 * and a 16-byte chunk under `hash` unless `chunk` is false (the store holds it already).
 */
function putClaims(page, claims) {
  return inStore(page, async (db, done, claims) => {
    const tx = db.transaction(["chunks", "pending"], "readwrite");
    for (const { save, hash, ageHours = 0, bytes = 0, chunk = true } of claims) {
      if (chunk) tx.objectStore("chunks").put(new Blob([new Uint8Array(16)]), hash);
      const touchedUnixMs = Date.now() - ageHours * 3_600_000;
      tx.objectStore("pending").put({ id: `${save}:${hash}`, save, touchedUnixMs, chunks: [hash], bytes });
    }
    await done(tx.objectStore("pending").count());
  }, claims);
}

/** Deletes the claims `{ save, hash }` that `putClaims` put, and their chunks. */
function dropClaims(page, claims) {
  return inStore(page, async (db, done, claims) => {
    const tx = db.transaction(["chunks", "pending"], "readwrite");
    for (const { save, hash } of claims) {
      tx.objectStore("chunks").delete(hash);
      tx.objectStore("pending").delete(`${save}:${hash}`);
    }
    await done(tx.objectStore("pending").count());
  }, claims);
}

test("a tab closed while a checkpoint is being stored leaves all of it or none of it", { timeout: 8 * CELL_MS }, async () => {
  const outcomes = [];
  // Each time in a new tab and kernel: how long a checkpoint of a fresh 32 MB payload
  // takes there (T), then another fresh payload (so no chunk is in the store yet), and
  // the tab closed at a fraction of T: the store's transaction comes last.
  for (const fraction of [0.7, 0.95]) {
    await openNotebook(page, base, "?reset");
    await runOk(page, "%load_ext elastic_notebook");
    await runOk(page, "import os\npayload = bytearray(os.urandom(32_000_000))\nlabel = 'tab'");
    const timed = await runOk(page, "import time as _t\n_s = _t.perf_counter()\n%checkpoint idb://timing\nprint('took', _t.perf_counter() - _s)");
    const took = Number(timed.match(/^took ([\d.]+)$/m)[1]) * 1000;
    await runOk(page, "payload = bytearray(os.urandom(32_000_000))");
    const before = await storeContents(page);
    assertWhole(before, "before", { claims: true }); // the tab closed before may leave some
    await page.evaluate(() => {
      const notebook = window.jupyterapp.shell.currentWidget.content;
      const cells = notebook.model.sharedModel;
      cells.insertCell(cells.cells.length, { cell_type: "code", source: "%checkpoint idb://closing" });
      notebook.activeCellIndex = cells.cells.length - 1;
      void window.jupyterapp.commands.execute("notebook:run-cell");
    });
    const delay = Math.round(fraction * took);
    await new Promise((resolve) => setTimeout(resolve, delay));
    await page.close();
    page = await browser.context.newPage();
    await page.goto(`${base}/lab/index.html?reset`);
    await page.waitForFunction(() => window.jupyterapp !== undefined, null, { timeout: 30_000 });
    const after = await storeContents(page);
    assertWhole(after, `closed after ${delay} ms`, { claims: true });
    const added = after.records.filter((r) => !before.records.some((b) => b.id === r.id));
    assert.ok(added.length <= 1 && added.every((r) => r.name === "closing"), JSON.stringify(added));
    const claimed = after.claims.flatMap((c) => c.chunks).length;
    const stored = added.length ? "stored whole" : `not stored (${claimed} chunks claimed)`;
    outcomes.push(`${delay} of ${Math.round(took)} ms: ${stored}`);
  }
  console.log(`tab closed mid-checkpoint: ${outcomes.join("; ")}`);
  // What was stored restores in a new kernel; the timing checkpoints always do.
  await openNotebook(page, base, "?reset");
  const closing = (await storeContents(page)).records.some((r) => r.name === "closing");
  const name = closing ? "closing" : "timing";
  const out = await runOk(page, `%load_ext elastic_notebook\n%restore idb://${name}\nprint(len(payload), label)`);
  assert.match(out, /^32000000 tab$/m);
  // Claims the closed tabs left (chunks of committed batches) are deleted, with their
  // chunks, by the next checkpoint once stale: aged by two hours here.
  const left = (await storeContents(page)).claims.length;
  await inStore(page, async (db, done) => {
    const tx = db.transaction("pending", "readwrite");
    const claims = await done(tx.objectStore("pending").getAll());
    for (const claim of claims) tx.objectStore("pending").put({ ...claim, touchedUnixMs: Date.now() - 7_200_000 });
    await done(tx.objectStore("pending").count());
  });
  await runOk(page, "%checkpoint idb://after-closing");
  assertWhole(await storeContents(page), `after sweeping ${left} claims`);
});

test("a checkpoint over the storage quota fails clearly; the kernel lives and earlier checkpoints restore", { timeout: 4 * CELL_MS }, async () => {
  // A real QuotaExceededError: Chromium's per-origin quota lowered over CDP before the site
  // is opened (Chromium approves writes against a quota it read up to 30 s earlier, so an
  // override set later is not seen at once), kept while the session is attached. The data
  // is random: Chromium compresses values and counts the compressed size. Chromium checks
  // each transaction against a usage it may also have read seconds earlier, so the quota
  // is below one batch (24 MiB) plus the first checkpoint: the first batch of the big
  // one is refused, whatever usage Chromium has in mind.
  const quota = await launchOffline("quota");
  try {
    const cdp = await quota.context.newCDPSession(quota.page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: base, quotaSize: 20_000_000 });
    const { page: tab } = quota;
    await openNotebook(tab, base);
    await runOk(tab, "%load_ext elastic_notebook");
    await runOk(tab, "import hashlib, os\na = bytearray(os.urandom(8_000_000))");
    assert.match(await runOk(tab, "%checkpoint idb://small"), /checkpoint idb:\/\/small .*stored \d+ variables.*8\.0\d MB new/);
    const digest = (await runOk(tab, "print(hashlib.sha256(a).hexdigest())")).trim();
    await runOk(tab, "b = bytearray(os.urandom(60_000_000))");
    const refused = await runCell(tab, "%checkpoint idb://big");
    assert.match(refused, /CheckpointError: .*idb:\/\/big.*storage for this site is full \(QuotaExceededError\)/s);
    assert.match(refused, /earlier checkpoints are intact/);
    assert.doesNotMatch(refused, /Traceback \(|JsException/, "one clear error, no second one");
    // The kernel still runs cells, and the store holds `small` whole and nothing of `big`.
    assert.match(await runOk(tab, "print('alive', len(b))"), /^alive 60000000$/m);
    const contents = await storeContents(tab);
    assertWhole(contents, "after the quota error");
    assert.deepEqual(contents.records.map((r) => r.name), ["small"]);
    const listed = await runOk(tab, "%checkpoints");
    assert.match(listed, /small/);
    assert.doesNotMatch(listed, /big/);
    const restored = await runOk(tab, "%restore idb://small\nprint(hashlib.sha256(a).hexdigest(), 'b' in globals())");
    assert.match(restored, new RegExp(`^${digest} False$`, "m"));
    // Space a closed tab's unfinished checkpoint holds is named in the refusal, with when
    // a checkpoint frees it.
    const leftover = { save: "closed", hash: "c1".repeat(32) };
    await putClaims(tab, [{ ...leftover, bytes: 5_000_000 }]);
    await runOk(tab, "b = bytearray(os.urandom(60_000_000))");
    const named = await runCell(tab, "%checkpoint idb://big");
    assert.match(named, /storage for this site is full \(QuotaExceededError\).*; 5\.00 MB held by 1 unfinished checkpoint \(being stored in another tab, or left by a tab closed mid-checkpoint\): a checkpoint taken after \d\d:\d\d:\d\d UTC frees what no checkpoint finished since \(nothing of it was stored: earlier checkpoints are intact\)/s);
    await dropClaims(tab, [leftover]);
    assertWhole(await storeContents(tab), "after the second quota error");
    await cdp.detach();
  } finally {
    await quota.close();
  }
});

test("a checkpoint's chunks commit in batches under claims; an abandoned checkpoint deletes them, a stale claim is swept, a deletion keeps claimed chunks", { timeout: 4 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook");
  // Four chunks of fresh bytes written by hand: the first batch (24 MiB, three chunks)
  // commits at once, the fourth chunk's when the cell's task ends. Each chunk is claimed.
  await runOk(page, [
    "import os",
    "from elastic_notebook import _pyodide",
    "from elastic_notebook.store import browser_store",
    "store = browser_store()",
    "prepared = store.wait(store._store.prepare())",
    "writer = _pyodide.IndexedDbCheckpointWriter(store, store._store.begin(prepared), 'abandoned')",
    "writer.begin_group(0, 'pickle')",
    "writer.begin_blob()",
    "for _ in range(4):",
    "    writer.write(memoryview(os.urandom(writer.chunk_size)))",
  ].join("\n"));
  const midway = await storeContents(page);
  const claimedChunks = midway.claims.flatMap((c) => c.chunks);
  assert.equal(new Set(midway.claims.map((c) => c.id.split(":")[0])).size, 1, "one checkpoint's claims");
  assert.equal(claimedChunks.length, 4, JSON.stringify(midway.claims));
  assert.ok(claimedChunks.every((h) => midway.chunks.includes(h)), "claimed chunks are stored");
  assert.ok(!midway.records.some((r) => r.name === "abandoned"), "no record before the last commit");
  assertWhole(midway, "midway", { claims: true });
  // %checkpoints tells the space they hold.
  assert.match(
    await runOk(page, "%checkpoints"),
    /^elastic-notebook: also 33\.55 MB held by 1 unfinished checkpoint \(being stored in another tab, or left by a tab closed mid-checkpoint\): a checkpoint taken after \d\d:\d\d:\d\d UTC frees what no checkpoint finished since$/m,
  );
  await runOk(page, "writer.abort()");
  const abandoned = await storeContents(page);
  assertWhole(abandoned, "after abort");
  assert.ok(claimedChunks.every((h) => !abandoned.chunks.includes(h)), "its chunks are deleted");

  // Claims left by tabs closed mid-checkpoint: one stale (untouched for two hours), one
  // live (just touched). The next checkpoint deletes the stale claim and the chunk only it
  // names; the live claim and its chunk stay.
  const claimed = (name) => name.repeat(64 / name.length);
  await putClaims(page, [
    { save: "old", hash: claimed("5a"), ageHours: 2, bytes: 2_000_000 },
    { save: "new", hash: claimed("1e"), ageHours: 0, bytes: 1_000_000 },
  ]);
  assert.match(await runOk(page, "%checkpoints"), /^elastic-notebook: also 3\.00 MB held by 2 unfinished checkpoints /m);
  // The first cell called os.urandom, so no restore may re-run it: the JS objects it bound
  // can be neither stored nor recomputed, and the checkpoint says it leaves them out.
  const sweeping = await runCell(page, "x = 1\n%checkpoint --store-all idb://sweeper");
  assert.match(sweeping, /checkpoint idb:\/\/sweeper .*stored/);
  assert.match(sweeping, /left out of the checkpoint: .*: prepared \(.*\), store \(.*\), writer \(/);
  assert.doesNotMatch(sweeping, /Traceback|JsException/);
  const swept = await storeContents(page);
  assert.deepEqual(swept.claims.map((c) => c.id), [`new:${claimed("1e")}`]);
  assert.ok(!swept.chunks.includes(claimed("5a")), "the stale claim's chunk is deleted");
  assert.ok(swept.chunks.includes(claimed("1e")), "the live claim's chunk stays");
  assert.match(await runOk(page, "%checkpoints"), /^elastic-notebook: also 1\.00 MB held by 1 unfinished checkpoint /m);
  assertWhole(swept, "after the sweep", { claims: true });

  // A deletion keeps a chunk a live claim names, even when only the deleted checkpoint's
  // record named it besides (a checkpoint being stored put the same bytes meanwhile).
  const shared = await inStore(page, async (db, done) => {
    const { id } = await done(db.transaction("names").objectStore("names").get("sweeper"));
    const record = await done(db.transaction("checkpoints").objectStore("checkpoints").get(id));
    return record.chunks[0];
  });
  assert.match(String(shared), /^[0-9a-f]{64}$/);
  await putClaims(page, [{ save: "new", hash: shared, chunk: false }]);
  await runOk(page, "%checkpoints --delete idb://sweeper");
  const deleted = await storeContents(page);
  assert.ok(!deleted.records.some((r) => r.name === "sweeper"));
  assert.ok(deleted.chunks.includes(shared), "the claimed chunk stays");
  assertWhole(deleted, "after the deletion", { claims: true });
  await dropClaims(page, [{ save: "new", hash: claimed("1e") }, { save: "new", hash: shared }]);
  assertWhole(await storeContents(page), "after removing the test's claims");
});

test("a store made before claims existed (version 1) is upgraded in place and keeps its checkpoints", { timeout: 4 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook");
  await runOk(page, "import hashlib, os\nkept = bytearray(os.urandom(9_000_000))");
  const digest = (await runOk(page, "print(hashlib.sha256(kept).hexdigest())")).trim();
  await runOk(page, "%checkpoint idb://from-v1");
  assertWhole(await storeContents(page), "before the copy");
  // The same contents in a database of version 1: its three stores, no `pending`.
  const versions = await page.evaluate(async () => {
    const open = (version, upgrade) => new Promise((resolve, reject) => {
      const request = version === undefined ? indexedDB.open("elastic-notebook") : indexedDB.open("elastic-notebook", version);
      if (upgrade) request.onupgradeneeded = () => upgrade(request.result);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const all = (db, store, method) => new Promise((resolve, reject) => {
      const request = db.transaction(store).objectStore(store)[method]();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const current = await open();
    const before = current.version;
    const [keys, stored, records, names] = [
      await all(current, "chunks", "getAllKeys"),
      await all(current, "chunks", "getAll"),
      await all(current, "checkpoints", "getAll"),
      await all(current, "names", "getAll"),
    ];
    // Copied out of the database before it is deleted (its Blobs are its files).
    const chunks = await Promise.all(stored.map(async (b) => new Blob([await b.arrayBuffer()])));
    current.close();
    await new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase("elastic-notebook");
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
    });
    const old = await open(1, (db) => {
      db.createObjectStore("chunks");
      db.createObjectStore("checkpoints", { keyPath: "id" });
      db.createObjectStore("names", { keyPath: "name" });
    });
    const tx = old.transaction(["chunks", "checkpoints", "names"], "readwrite");
    keys.forEach((key, i) => tx.objectStore("chunks").put(chunks[i], key));
    records.forEach((r) => tx.objectStore("checkpoints").put(r));
    names.forEach((n) => tx.objectStore("names").put(n));
    await new Promise((resolve) => { tx.oncomplete = resolve; });
    const stores = [...old.objectStoreNames];
    old.close();
    return { before, stores };
  });
  assert.equal(versions.before, 2);
  assert.deepEqual(versions.stores.sort(), ["checkpoints", "chunks", "names"]);
  // Another tab of the site still holding the store open at version 1 (an older
  // elastic-notebook that does not step aside) blocks the upgrade: a clear error, and the
  // restore works once that tab is gone.
  const older = await browser.context.newPage();
  await older.goto(`${base}/lab/index.html`, { waitUntil: "domcontentloaded" });
  await older.evaluate(() => new Promise((resolve, reject) => {
    const request = indexedDB.open("elastic-notebook", 1);
    request.onsuccess = () => {
      window.heldStore = request.result;
      resolve();
    };
    request.onerror = () => reject(request.error);
  }));
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook\nimport hashlib");
  const blocked = await runCell(page, "%restore idb://from-v1");
  assert.match(blocked, /another tab of this site holds the store open with an older version of elastic-notebook: reload or close that tab/);
  assert.doesNotMatch(blocked, /Traceback \(|JsException/, "one clear error, no second one");
  await older.close();
  const restored = await runOk(page, "%restore idb://from-v1\nprint(hashlib.sha256(kept).hexdigest())");
  assert.match(restored, new RegExp(`^${digest}$`, "m"));
  assert.match(await runOk(page, "kept.extend(b'more')\n%checkpoint idb://from-v1"), /checkpoint idb:\/\/from-v1 .*stored/);
  const upgraded = await inStore(page, async (db) => ({ version: db.version, stores: [...db.objectStoreNames].sort() }));
  assert.deepEqual(upgraded, { version: 2, stores: ["checkpoints", "chunks", "names", "pending"] });
  assertWhole(await storeContents(page), "after the upgrade");
  await runOk(page, "%checkpoints --delete idb://from-v1");
});

test("%checkpoints --delete frees what only the deleted checkpoints held; a checkpoint racing a delete is refused whole", { timeout: 4 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook");
  await runOk(page, "import hashlib, os\nshared = bytearray(os.urandom(9_000_000))\nown = bytearray(os.urandom(3_000_000))");
  await runOk(page, "%checkpoint idb://keep");
  const kept = (await runOk(page, "print(hashlib.sha256(shared + own).hexdigest())")).trim();
  await runOk(page, "own = bytearray(os.urandom(3_000_000))");
  await runOk(page, "%checkpoint idb://drop");
  const before = await storeContents(page);

  // By name: drop's one checkpoint, its own 3 MB chunk and frame; shared's chunks stay.
  const dropped = await runOk(page, "%checkpoints --delete idb://drop");
  assert.match(dropped, /^elastic-notebook: deleted 1 checkpoint \([0-9a-f]{12}\), freed 3\.0\d MB$/m);
  const afterDrop = await storeContents(page);
  assertWhole(afterDrop, "after deleting drop");
  assert.ok(!afterDrop.records.some((r) => r.name === "drop"));
  assert.equal(afterDrop.chunks.length, before.chunks.length - 1);
  assert.match(await runOk(page, "%restore idb://keep\nprint(hashlib.sha256(shared + own).hexdigest())"), new RegExp(`^${kept}$`, "m"));

  // By id: the older of two `keep` checkpoints; the name then points at the newer one.
  const older = afterDrop.records.find((r) => r.name === "keep").id;
  await runOk(page, "own = bytearray(b'x' * 10)\n%checkpoint idb://keep");
  assert.match(await runOk(page, `%checkpoints --delete idb://${older.slice(0, 10)}`), /deleted 1 checkpoint/);
  const afterId = await storeContents(page);
  assertWhole(afterId, "after deleting by id");
  // (The store also holds what the tests before this one stored.)
  const named = (contents, name) => contents.records.filter((r) => r.name === name);
  assert.equal(named(afterId, "keep").length, 1);
  assert.notEqual(named(afterId, "keep")[0].id, older);
  assert.match(await runOk(page, "own = None\n%restore idb://keep\nprint(own)"), /^bytearray\(b'xxxxxxxxxx'\)$/m);

  // A checkpoint whose store snapshot predates a delete of chunks it would reuse: its
  // commit finds them gone and aborts; nothing of it is stored, and the next one works.
  const raced = await runCell(page, [
    "from elastic_notebook import _pyodide, magics",
    "from elastic_notebook.save import write_checkpoint",
    "from elastic_notebook.store import browser_store",
    "store = browser_store()",
    "prepared = store.wait(store._store.prepare())",
    "get_ipython().run_line_magic('checkpoints', '--delete idb://keep')",
    "writer = _pyodide.IndexedDbCheckpointWriter(store, store._store.begin(prepared), 'racer')",
    "try:",
    "    write_checkpoint(magics.recorder_of(get_ipython()), 'idb://racer', lambda: writer, bandwidth=1e12)",
    "except Exception as error:",
    "    print('refused:', error)",
  ].join("\n"));
  assert.match(raced, /refused: .*idb:\/\/racer: ChunkDeletedError: chunk [0-9a-f]{12}, shared with an earlier checkpoint, was deleted meanwhile/);
  // The refusal is the one message: no second error output, no traceback.
  assert.doesNotMatch(raced, /Traceback|JsException/);
  const afterRace = await storeContents(page);
  assertWhole(afterRace, "after the refused race");
  assert.deepEqual([...named(afterRace, "keep"), ...named(afterRace, "racer")], []);
  // The raced cell ran `%checkpoints --delete`, so no restore may re-run it: the JS objects
  // it bound can be neither stored nor recomputed, and the checkpoint says it leaves them out.
  const again = await runCell(page, "%checkpoint idb://racer");
  assert.match(again, /checkpoint idb:\/\/racer .*stored/);
  assert.match(again, /left out of the checkpoint: .*: prepared \(.*\), store \(.*\), writer \(/);
  assert.doesNotMatch(again, /Traceback|JsException/);
  assertWhole(await storeContents(page), "after checkpointing again");
});

/** A cell that starts the kernel's worker hashing chunks read back, and waits for it. */
const HASHER_READY = [
  "from pyodide.ffi import run_sync",
  "from elastic_notebook.core import backend",
  "print('hasher ready', run_sync(backend().chunk_hasher().start()))",
].join("\n");
/** A cell printing how many chunks that worker hashed. */
const HASHED_IN_WORKER = [
  "from elastic_notebook.core import backend",
  "print('hashed in the worker', backend().chunk_hasher().hashed)",
].join("\n");

test("chunks a worker was hashing when it died are read again and hashed in the kernel: the restore is whole", { timeout: 4 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook");
  // 20 MB of random bytes: three chunks, none of them in the store from an earlier test.
  const want = (
    await runOk(page, "import hashlib, os\npayload = bytearray(os.urandom(20_000_000))\nlabel = 'stored'\nprint(hashlib.sha256(payload).hexdigest())")
  ).trim();
  await runOk(page, "%checkpoint --store-all idb://lost");
  // A fresh kernel whose workers die with the first chunk they are handed (the bytes are
  // transferred to them: gone from the kernel's thread), as a worker out of memory would.
  await openNotebook(page, base, "?reset");
  await runOk(page, [
    "from pyodide.code import run_js",
    "run_js('''",
    "const Real = Worker;",
    "globalThis.Worker = class extends Real {",
    "  postMessage(message, transfer) {",
    "    super.postMessage(message, transfer);",
    "    if (message.buffer !== undefined) { this.terminate(); this.onerror(new Event('error')); }",
    "  }",
    "};",
    "''')",
    "%load_ext elastic_notebook",
    "label = 'before'",
  ].join("\n"));
  assert.match(await runOk(page, HASHER_READY), /^hasher ready True$/m);
  const restored = await runOk(page, "%restore idb://lost\nimport hashlib\nprint(label, hashlib.sha256(payload).hexdigest())");
  assert.doesNotMatch(restored, /recomputed instead|did not load/);
  assert.match(restored, new RegExp(`^stored ${want}$`, "m"));
  assert.match(await runOk(page, HASHED_IN_WORKER), /^hashed in the worker 0$/m);
});

test("a damaged chunk in the store is caught: verify and an export name it, %restore recomputes what it held, deletes it, and the next checkpoint heals the store", { timeout: 6 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook");
  // 1 MiB of a known pattern: its own blob (out of band), and a re-run gives it back equal.
  await runOk(page, "payload = bytearray(range(256)) * 4096\nlabel = 'stored'");
  await runOk(page, "%checkpoint --store-all idb://damaged");
  const verifyCell = [
    "from elastic_notebook.store import browser_store, find",
    "store = browser_store()",
    "try:",
    "    report = store.checkpoint_reader(find(store, ID)).verify()",
    "    print('verified', report['chunks'], report['blobBytes'] >= 1 << 20)",
    "except ValueError as error:",
    "    print('damaged:', error)",
  ].join("\n");
  assert.match(await runOk(page, verifyCell.replace("ID", "'damaged'")), /^verified \d+ True$/m);
  // One byte of the checkpoint's largest chunk flipped in IndexedDB, as a failing disk would.
  const flipped = await inStore(page, async (db, done) => {
    const { id } = await done(db.transaction("names").objectStore("names").get("damaged"));
    const record = await done(db.transaction("checkpoints").objectStore("checkpoints").get(id));
    const largest = record.chunkBytes.indexOf(Math.max(...record.chunkBytes));
    const hash = record.chunks[largest];
    const stored = await done(db.transaction("chunks").objectStore("chunks").get(hash));
    const bytes = new Uint8Array(await stored.arrayBuffer()); // a Blob, as the store writes
    bytes[1000] ^= 0xff;
    await done(db.transaction("chunks", "readwrite").objectStore("chunks").put(new Blob([bytes]), hash));
    return { id, index: largest, hash };
  });
  const held = (hash) => inStore(page, async (db, done, key) =>
    (await done(db.transaction("chunks").objectStore("chunks").getKey(key))) !== undefined, hash);

  // A verify and an export only read: they name the chunk and leave it where it is.
  const verified = await runCell(page, verifyCell.replace("ID", "'damaged'"));
  assert.match(verified, new RegExp(`^damaged: .*chunk ${flipped.index}\\b`, "m"));
  const exported = await runCell(page, "%checkpoint --export idb://damaged copy.ckpt");
  assert.match(exported, new RegExp(`idb://damaged \\([0-9a-f]{12}\\) is damaged in the store: .*chunk ${flipped.index}\\b`));
  assert.match(await runOk(page, "import os\nprint('exists', os.path.exists('copy.ckpt'))"), /^exists False$/m);
  assert.equal(await held(flipped.hash), true, "a verify or an export deleted the chunk");

  // A restore recomputes what the chunk held, and deletes the chunk: it is not its key's.
  // The worker that hashes chunks is ready first, so every chunk is checked from its digest.
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook\nlabel = 'before'");
  assert.match(await runOk(page, HASHER_READY), /^hasher ready True$/m);
  const restored = await runCell(page, "%restore idb://damaged\nprint(label, payload == bytearray(range(256)) * 4096)");
  assert.match(restored, /payload: its stored copy did not load \(.*chunk.*; deleted from the store, so the next checkpoint of the same values stores it again\); recomputed instead/);
  assert.match(restored, /^stored True$/m);
  assert.match(await runOk(page, HASHED_IN_WORKER), /^hashed in the worker [1-9]\d*$/m);
  assert.equal(await held(flipped.hash), false, "the damaged chunk is still in the store");

  // The next checkpoint of the same values stores the chunk again, intact: the first
  // checkpoint restores whole once more, and verifies.
  await runOk(page, "%checkpoint --store-all idb://damaged");
  assert.equal(await held(flipped.hash), true);
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook\nlabel = 'before'");
  const healed = await runCell(page, `%restore idb://${flipped.id.slice(0, 12)}\nprint(label, payload == bytearray(range(256)) * 4096)`);
  assert.doesNotMatch(healed, /recomputed instead/);
  assert.match(healed, /^stored True$/m);
  assert.match(await runOk(page, verifyCell.replace("ID", `'${flipped.id}'`)), /^verified \d+ True$/m);
});

test("a chunk missing from the store fails only its group: %restore recomputes it and says so", { timeout: 4 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook");
  // A pattern of its own: a chunk shared with an earlier test's checkpoint would be deleted
  // from under that one too.
  await runOk(page, "payload = bytearray(range(255, -1, -1)) * 4096\nlabel = 'stored'");
  await runOk(page, "%checkpoint --store-all idb://missing");
  // The checkpoint's largest chunk (payload's buffer) deleted behind the store's back, as
  // a browser clearing part of a site's storage would.
  const gone = await inStore(page, async (db, done) => {
    const { id } = await done(db.transaction("names").objectStore("names").get("missing"));
    const record = await done(db.transaction("checkpoints").objectStore("checkpoints").get(id));
    const largest = record.chunkBytes.indexOf(Math.max(...record.chunkBytes));
    await done(db.transaction("chunks", "readwrite").objectStore("chunks").delete(record.chunks[largest]));
    return largest;
  });
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook\nlabel = 'before'");
  const restored = await runCell(page, "%restore idb://missing\nprint(label, payload == bytearray(range(255, -1, -1)) * 4096)");
  assert.match(restored, new RegExp(`payload: its stored copy did not load \\(chunk ${gone} is not in the store\\); recomputed instead`));
  assert.match(restored, /^stored True$/m);
  // Deleting the checkpoint leaves the store whole again.
  await runOk(page, "%checkpoints --delete idb://missing");
  assertWhole(await storeContents(page), "after deleting the checkpoint that lost a chunk");
});

test("a restore reads every chunk from the store once, in the order its steps load them", { timeout: 4 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook\nimport os");
  // `a` is bound again after `b`, so the restore loads `b`'s group before `a`'s while the
  // file holds `a`'s first; one chunk per read, so that reading in file order would
  // drop chunks read ahead and read them again.
  await runOk(page, "a = bytearray(os.urandom(20_000_000))");
  await runOk(page, "b = bytearray(os.urandom(20_000_000))");
  await runOk(page, "a = bytearray(os.urandom(20_000_000))");
  await runOk(page, "%checkpoint --store-all idb://order");
  // The reads counted by a wrapper kept in a module: the restore replaces the namespace.
  await runOk(page, [
    "import hashlib, sys, types",
    "from elastic_notebook import _pyodide, store as store_module",
    "probe = sys.modules['_probe'] = types.ModuleType('_probe')",
    "probe.digests = hashlib.sha256(a).hexdigest(), hashlib.sha256(b).hexdigest()",
    "probe.read, probe.real = [], _pyodide.IndexedDbStore.read_ahead",
    "def counting(self, reader, indices, hashes, _probe=probe, **options):",
    "    _probe.read.extend(indices)",
    "    return _probe.real(self, reader, indices, hashes, **options)",
    "_pyodide.IndexedDbStore.read_ahead = counting",
    "store_module.CHUNKS_PER_READ = 1",
  ].join("\n"));
  const restored = await runCell(page, "%restore idb://order");
  const out = await runOk(page, [
    "import hashlib, sys",
    "from elastic_notebook import _pyodide, store as store_module",
    "probe = sys.modules.pop('_probe')",
    "_pyodide.IndexedDbStore.read_ahead = probe.real",
    "store_module.CHUNKS_PER_READ = 8",
    "record = store_module.find(store_module.browser_store(), 'order')",
    "read = probe.read",
    "print('chunks', len(record['chunks']), 'reads', len(read), 'distinct', len(set(read)))",
    "print('ordered', read == sorted(read))",
    "print('same', probe.digests == (hashlib.sha256(a).hexdigest(), hashlib.sha256(b).hexdigest()))",
  ].join("\n"));
  assert.match(restored, /restored idb:\/\/order: loaded \d+ variables, recomputed 0/, restored);
  const [, chunks, reads, distinct] = out.match(/^chunks (\d+) reads (\d+) distinct (\d+)$/m).map(Number);
  assert.ok(chunks >= 6, out);
  assert.equal(distinct, chunks, out);
  assert.equal(reads, chunks, `every chunk read once:\n${out}`);
  assert.match(out, /^ordered False$/m, "the restore's order is not the file's here");
  assert.match(out, /^same True$/m);
  await runOk(page, "%checkpoints --delete idb://order");
});

test("chunks are stored as Blobs, and a store whose chunks are Uint8Arrays (written before) still restores and verifies", { timeout: 4 * CELL_MS }, async () => {
  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook");
  await runOk(page, "import hashlib, os\nold = bytearray(os.urandom(20_000_000))\nsmall = [1, 2, 3]");
  await runOk(page, "%checkpoint --store-all idb://older");
  const digest = (await runOk(page, "print(hashlib.sha256(old).hexdigest())")).trim();
  // Every chunk of the checkpoint rewritten as the earlier store wrote it: a Uint8Array.
  const kinds = await inStore(page, async (db, done) => {
    const { id } = await done(db.transaction("names").objectStore("names").get("older"));
    const record = await done(db.transaction("checkpoints").objectStore("checkpoints").get(id));
    const kinds = [];
    for (const hash of record.chunks) {
      const stored = await done(db.transaction("chunks").objectStore("chunks").get(hash));
      kinds.push(stored instanceof Blob ? "Blob" : stored.constructor.name);
      const bytes = new Uint8Array(await stored.arrayBuffer());
      await done(db.transaction("chunks", "readwrite").objectStore("chunks").put(bytes, hash));
    }
    return kinds;
  });
  assert.ok(kinds.length >= 3, JSON.stringify(kinds));
  assert.deepEqual(new Set(kinds), new Set(["Blob"]));

  await openNotebook(page, base, "?reset");
  await runOk(page, "%load_ext elastic_notebook\nimport hashlib");
  const restored = await runOk(page, "%restore idb://older\nprint(hashlib.sha256(old).hexdigest(), small)");
  assert.match(restored, /loaded \d+ variables, recomputed 0/);
  assert.match(restored, new RegExp(`^${digest} \\[1, 2, 3\\]$`, "m"));
  const verified = await runOk(page, [
    "from elastic_notebook.store import browser_store, find",
    "store = browser_store()",
    "print('verified', store.checkpoint_reader(find(store, 'older')).verify()['chunks'])",
  ].join("\n"));
  assert.match(verified, new RegExp(`^verified ${kinds.length}$`, "m"));
  await runOk(page, "%checkpoint --export idb://older older.ckpt");
  assert.match(await runOk(page, "import os\nprint('exported', os.path.getsize('older.ckpt') > 20_000_000)"), /^exported True$/m);
  assertWhole(await storeContents(page), "after restoring the older format");
});
