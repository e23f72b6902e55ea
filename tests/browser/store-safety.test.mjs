// The browser's checkpoint store (IndexedDB) never half-writes a checkpoint: a tab closed
// while a checkpoint is being stored leaves either all of it or none of it, and every
// record's chunks are there. The store's contents are read from the page (same origin as
// the kernel's worker).
//
// Needs what tests/browser/lite.test.mjs needs (scripts/build-lite, chromium,
// playwright-core). Run: node --test tests/browser/
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { CELL_MS, launchOffline, openNotebook, runOk, serve, storeContents } from "./helpers.mjs";

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

/** The store's invariant: every record's chunks are there, and no chunk is unreferenced. */
function assertWhole(contents, when) {
  assert.deepEqual(contents.missing, [], `${when}: records name chunks the store lacks`);
  assert.deepEqual(contents.orphans, [], `${when}: chunks no record names`);
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
    assertWhole(before, "before");
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
    assertWhole(after, `closed after ${delay} ms`);
    const added = after.records.filter((r) => !before.records.some((b) => b.id === r.id));
    assert.ok(added.length <= 1 && added.every((r) => r.name === "closing"), JSON.stringify(added));
    outcomes.push(`${delay} of ${Math.round(took)} ms: ${added.length ? "stored whole" : "not stored"}`);
  }
  console.log(`tab closed mid-checkpoint: ${outcomes.join("; ")}`);
  // What was stored restores in a new kernel; the timing checkpoints always do.
  await openNotebook(page, base, "?reset");
  const closing = (await storeContents(page)).records.some((r) => r.name === "closing");
  const name = closing ? "closing" : "timing";
  const out = await runOk(page, `%load_ext elastic_notebook\n%restore idb://${name}\nprint(len(payload), label)`);
  assert.match(out, /^32000000 tab$/m);
});
