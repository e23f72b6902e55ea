// The JupyterLite site (build/lite/site, built by scripts/build-lite) in headless Chromium,
// offline: a notebook on the Python (Pyodide) kernel loads elastic_notebook from the
// site's Pyodide lock, checkpoints its session into /drive, and a restarted kernel
// restores it. The file is downloaded from the file browser as a user would (byte for
// byte what the kernel wrote), restores in desktop CPython 3.11 (the desktop wheel in
// .venv), and, uploaded through the file browser of a second, new profile, restores
// there too. Chromium resolves no host but 127.0.0.1, so a request that would leave the
// machine (a CDN fallback, PyPI) fails; every request of both profiles is recorded and
// checked.
//
// Needs: scripts/build-lite, npm playwright-core (js/), Debian's chromium ($CHROMIUM,
// default /usr/bin/chromium), scripts/build-python (the desktop wheel in .venv).
// Run: node --test tests/browser/lite.test.mjs
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";

import { DESKTOP_PYTHON, assertDesktopPackageCurrent, desktopVerify, runDesktopIPython } from "../node/helpers.mjs";
import {
  CELL_MS,
  launchOffline,
  openNotebook as openNotebookAt,
  runCell as runCellOn,
  runOk as runOkOn,
  serve,
} from "./helpers.mjs";

/** Fetched once on purpose to check that hosts off 127.0.0.1 are unreachable. */
const CDN_PROBE = "https://cdn.jsdelivr.net/pyodide/v314.0.6/full/pyodide-lock.json";

let server;
let base;
const served = [];
/** A temporary directory for the downloaded checkpoint and the desktop session. */
let work;
/** Profile A runs the session; profile B, a new one, gets the checkpoint by upload. */
let A;
let B;
/** The page cells run on (profile A's, unless a test passes another). */
let page;

/** A new Chromium profile, offline but for 127.0.0.1, recording its requests. */
const launchProfile = (label) => launchOffline(label);

before(async () => {
  assert.ok(existsSync(DESKTOP_PYTHON), `${DESKTOP_PYTHON} missing: run scripts/setup and scripts/build-python`);
  assertDesktopPackageCurrent();
  ({ server, base } = await serve(served));
  work = mkdtempSync(path.join(tmpdir(), "elastic-lite-work-"));
  A = await launchProfile("a");
  page = A.page;
});

after(async () => {
  for (const profile of [A, B]) await profile?.close();
  server?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Opens the lab (`query`: e.g. `?reset`) and a new notebook on the Python kernel. */
const openNotebook = (on, query = "") => openNotebookAt(on, base, query);

/** Runs `code` as a new cell of the current notebook of `on`; returns its output text. */
const runCell = (code, timeout = CELL_MS, on = page) => runCellOn(on, code, timeout);

/** The output of `code`, which must not raise (its text names the error if it did). */
const runOk = (code, timeout, on = page) => runOkOn(on, code, timeout);

test("the lab loads from 127.0.0.1 and opens a notebook on the Pyodide kernel", { timeout: 60_000 }, async () => {
  const kernel = await openNotebook(page);
  assert.equal(kernel.name, "python");
  assert.match(kernel.path, /\.ipynb$/);
  // The resolver rule works: the CDN the kernel would fall back to is out of reach.
  const cdn = await page.evaluate((url) => fetch(url).then(() => "reached", (e) => `failed: ${e}`), CDN_PROBE);
  assert.match(cdn, /^failed/);
});

test("%load_ext elastic_notebook works with no %pip and no network", { timeout: CELL_MS + 10_000 }, async () => {
  const started = performance.now();
  await runOk("%load_ext elastic_notebook");
  console.log(`kernel start and %load_ext: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  // Binds no name, so the checkpoint below holds only the session's own variables.
  const out = await runOk(`print(__import__("sys").platform, __import__("os").getcwd(),
      type(__import__("elastic_notebook.core").core.backend()).__name__,
      __import__("elastic_notebook").version())`);
  assert.match(out, /^emscripten \/drive WasmCore \d+\.\d+\.\d+/m);
});

/**
 * Prints the session's values (binds no name): the first line is checked by a pattern,
 * the whole output is compared between profile A, profile B and desktop CPython.
 */
const VALUES = `print(total, status["a"], status["e"], type(sensors[1]).__name__, sensors[1].value,
      classify(7, limits), handlers["scale"](2), handlers["unit"], scaled(21), first is sensors[0])
print(readings, limits, [(s.name, s.value) for s in sensors], squares[-2:], len(squares))
print(len(from_file), from_file[:20].split())`;
const VALUES_LINE = /^41665416675000 ok high Sensor 4\.8 high 3\.0 C 42 True$/m;
/** Values the stored lambdas' pickles hold code of (bytecode of Pyodide's Python 3.14). */
const CODE_VALUES = ["handlers", "scaled"];
/** Prints the sha256 of session.ckpt as the kernel reads it from /drive (binds no name). */
const KERNEL_SHA256 = `print("sha256", __import__("hashlib").sha256(open("session.ckpt", "rb").read()).hexdigest())`;

/** VALUES's output in profile A just before `%checkpoint session.ckpt`. */
let sessionValues;
/** sha256 (hex) of session.ckpt as profile A's kernel wrote it. */
let kernelSha256;
/** Where the file browser's download of session.ckpt was saved. */
let downloaded;

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

test("cells with lists, dicts, a function, a class and lambdas; %checkpoint writes session.ckpt to /drive", { timeout: CELL_MS + 20_000 }, async () => {
  await runOk(`readings = [3.2, 4.8, 5.1, 2.9, 6.4]
limits = {"low": 3.0, "high": 6.0}`);
  // A file in A's /drive, and a value read from it: 2.6 MB made in milliseconds, which
  // the plan would re-run rather than store, but for the file profile B will not have.
  await runOk(`open("readings.csv", "w").write("".join(f"{v}\\n" for v in readings))`);
  await runOk(`from_file = open("readings.csv").read() * 130_000`);
  await runOk(`def classify(value, limits):
    return "low" if value < limits["low"] else "high" if value > limits["high"] else "ok"

class Sensor:
    def __init__(self, name, value):
        self.name, self.value = name, value`);
  await runOk(`sensors = [Sensor(n, v) for n, v in zip("abcde", readings)]
first = sensors[0]
status = {s.name: classify(s.value, limits) for s in sensors}
squares = [i * i for i in range(50_000)]
total = sum(squares)`);
  // A slow cell, so the plan stores what it made: a dict holding a lambda and a partial of
  // one, which cloudpickle stores with their bytecode (Python 3.14's here).
  await runOk(`import functools, time
time.sleep(0.5)
handlers = {"scale": lambda v: round(v * 1.5, 2), "unit": "C"}
scaled = functools.partial(lambda factor, v: factor * v, 2)`);
  sessionValues = await runOk(VALUES);
  assert.match(sessionValues, VALUES_LINE);
  const started = performance.now();
  const out = await runOk("%checkpoint session.ckpt");
  console.log(`%checkpoint: ${((performance.now() - started) / 1000).toFixed(1)} s\n${out.trim()}`);
  assert.match(out, /^elastic-notebook: checkpoint session\.ckpt: stored \d+ variables?, recompute \d+/m);
  kernelSha256 = (await runOk(KERNEL_SHA256)).match(/^sha256 ([0-9a-f]{64})$/m)[1];
  const file = await page.evaluate(async () => {
    const contents = window.jupyterapp.serviceManager.contents;
    const model = await contents.get("session.ckpt", { content: false });
    return { name: model.name, size: model.size ?? null, type: model.type };
  });
  assert.equal(file.name, "session.ckpt");
  assert.equal(file.type, "file");
  // The file browser lists it too.
  await page.evaluate(() => window.jupyterapp.commands.execute("filebrowser:refresh"));
  await page.waitForSelector('.jp-DirListing-item[title*="session.ckpt"], .jp-DirListing-item:has-text("session.ckpt")',
    { timeout: 10_000, state: "attached" });
});

/** The file browser's row of `name` (the file browser shown). */
async function listingItem(on, name) {
  await on.evaluate(() => window.jupyterapp.commands.execute("filebrowser:activate"));
  await on.evaluate(() => window.jupyterapp.commands.execute("filebrowser:refresh"));
  const item = on.locator(".jp-DirListing-item", {
    has: on.locator(".jp-DirListing-itemText", { hasText: new RegExp(`^${name.replace(/\./g, "\\.")}$`) }),
  });
  await item.waitFor({ state: "visible", timeout: 10_000 });
  return item;
}

test("download session.ckpt as a user would, from the file browser: the bytes the kernel wrote", { timeout: 60_000 }, async () => {
  const item = await listingItem(page, "session.ckpt");
  await item.click();
  await item.click({ button: "right" });
  const menuItem = page.locator('.lm-Menu-item[data-command="filebrowser:download"]');
  const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), menuItem.click()]);
  assert.equal(download.suggestedFilename(), "session.ckpt");
  downloaded = path.join(work, "session.ckpt");
  await download.saveAs(downloaded);
  const bytes = readFileSync(downloaded);
  console.log(`downloaded ${bytes.length} bytes from ${download.url().slice(0, 40)}...`);
  assert.equal(sha256(bytes), kernelSha256, "the download differs from what the kernel wrote");
  // The desktop core reads it: every chunk's blake3 and the root hash check.
  assert.equal(desktopVerify(downloaded).file_len, bytes.length);
});

test("the downloaded file restores in desktop CPython; values whose pickles hold 3.14 bytecode are recomputed", { timeout: 60_000 }, () => {
  assert.ok(downloaded, "no download");
  const desktop = runDesktopIPython([`%restore ${downloaded}`, VALUES, "import sys; print(sys.version_info[:2])"], [], work);
  desktop.results.forEach((result, i) => assert.ok(result.success, `desktop cell ${i} failed: ${result.error}\n${result.output}`));
  const out = desktop.results[0].output;
  console.log(`desktop: ${out.trim()}`);
  const version = desktop.results[2].output.trim().replace(/^\((\d+), (\d+)\)$/, "$1.$2");
  assert.notEqual(version, "3.14", "the desktop Python is Pyodide's version: nothing to fall back from");
  assert.match(out, /^elastic-notebook: restored .*session\.ckpt: loaded \d+ variables?, recomputed \d+/m);
  for (const name of CODE_VALUES) {
    assert.match(out, new RegExp(`^  ${name}: its stored copy did not load \\(it holds Python bytecode of another ` +
      `version: magic [0-9a-f]{8}, this Python ${version.replace(".", "\\.")} has [0-9a-f]{8}\\); recomputed instead$`, "m"));
  }
  assert.equal(desktop.results[1].output.trim(), sessionValues.trim());
});

test("a restarted kernel restores the session with %restore", { timeout: CELL_MS + 20_000 }, async () => {
  await page.evaluate(async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.sessionContext.restartKernel();
  });
  const gone = await runOk("print('total' in globals())");
  assert.match(gone, /^False$/m, "the restarted kernel still has the old variables");
  const started = performance.now();
  const out = await runOk("%load_ext elastic_notebook\n%restore session.ckpt");
  console.log(`%restore: ${((performance.now() - started) / 1000).toFixed(1)} s\n${out.trim()}`);
  assert.match(out, /^elastic-notebook: restored session\.ckpt: loaded \d+ variables?/m);
  assert.doesNotMatch(out, /did not load/);
  assert.equal((await runOk(VALUES)).trim(), sessionValues.trim());
});

test("a cell that awaits at its top level is re-run by a restore: the kernel waits for it with run_sync", { timeout: 2 * CELL_MS }, async () => {
  await runOk(`import asyncio

async def later(value):
    await asyncio.sleep(0.05)
    return value

awaited = await later(sorted(readings))`);
  const saved = await runOk("%checkpoint awaited.ckpt --recompute-all");
  assert.match(saved, /^elastic-notebook: checkpoint awaited\.ckpt: stored \d+ variables?, recompute \d+/m);
  await runOk("del awaited");
  const out = await runOk("%restore awaited.ckpt");
  console.log(out.trim());
  assert.match(out, /^elastic-notebook: restored awaited\.ckpt: loaded \d+ variables?, recomputed \d+ \(\d+ cells re-run\)/m);
  assert.match(await runOk("print('awaited', awaited)"), /^awaited \[2\.9, 3\.2, 4\.8, 5\.1, 6\.4\]$/m);
  assert.equal((await runOk(VALUES)).trim(), sessionValues.trim());
});

test("in a new profile B, session.ckpt uploaded through the file browser restores with the same values", { timeout: 2 * CELL_MS }, async () => {
  assert.ok(downloaded, "no download");
  B = await launchProfile("b");
  const on = B.page;
  await openNotebook(on);
  const cdn = await on.evaluate((url) => fetch(url).then(() => "reached", (e) => `failed: ${e}`), CDN_PROBE);
  assert.match(cdn, /^failed/);
  const listed = await on.evaluate(async () =>
    (await window.jupyterapp.serviceManager.contents.get("")).content.map((m) => m.name));
  assert.ok(!listed.includes("session.ckpt"), "profile B already has session.ckpt");
  // Nor the file a cell of A read: what it made comes from the checkpoint.
  assert.ok(!listed.includes("readings.csv"), "profile B has readings.csv");
  // The file browser's upload button opens a file chooser.
  await on.evaluate(() => window.jupyterapp.commands.execute("filebrowser:activate"));
  const [chooser] = await Promise.all([
    on.waitForEvent("filechooser", { timeout: 10_000 }),
    on.locator('.jp-FileBrowser-toolbar [data-jp-item-name="uploader"] jp-button').click(),
  ]);
  await chooser.setFiles(downloaded);
  await listingItem(on, "session.ckpt");
  const size = await on.evaluate(async () =>
    (await window.jupyterapp.serviceManager.contents.get("session.ckpt", { content: false })).size);
  assert.equal(size, statSync(downloaded).size);
  const out = await runOk("%load_ext elastic_notebook\n%restore session.ckpt", CELL_MS, on);
  console.log(`profile B: ${out.trim()}`);
  assert.match(out, /^elastic-notebook: restored session\.ckpt: loaded \d+ variables?/m);
  assert.doesNotMatch(out, /did not load/);
  // The kernel of B reads the bytes A's kernel wrote.
  assert.equal((await runOk(KERNEL_SHA256, CELL_MS, on)).match(/^sha256 ([0-9a-f]{64})$/m)?.[1], kernelSha256);
  assert.equal((await runOk(VALUES, CELL_MS, on)).trim(), sessionValues.trim());
});

/** Bytes the browser's checkpoint store holds, as the kernel's store module counts them. */
async function storeBytes() {
  const out = await runOk("from elastic_notebook import store as _s; print('store bytes', _s.usage(_s.browser_store().records())); del _s");
  return Number(out.match(/^store bytes (\d+)$/m)[1]);
}

let firstId;

test("%checkpoint idb://s1 stores the session in IndexedDB", { timeout: CELL_MS }, async () => {
  assert.equal(await storeBytes(), 0, "the new profile's store is empty");
  const out = await runOk("%checkpoint idb://s1");
  console.log(out.trim());
  const report = out.match(/^elastic-notebook: checkpoint idb:\/\/s1 \(id ([0-9a-f]{12})\): stored \d+ variables?, recompute \d+, ([\d.,]+) MB \(([\d.,]+) MB new\)/m);
  assert.ok(report, `unexpected report: ${out}`);
  firstId = report[1];
  assert.equal(report[2], report[3], "a first checkpoint into an empty store is all new");
  const listed = await runOk("%checkpoints");
  assert.match(listed, new RegExp(`^\\* ${firstId}  s1 `, "m"));
});

test("after a reload and a new kernel, %restore idb://s1 brings the variables back", { timeout: 2 * CELL_MS }, async () => {
  // A reload; `?reset` starts from an empty workspace, so no restored tab (with its own
  // kernel and dialogs) stands in front of the new notebook.
  await openNotebook(page, "?reset");
  const gone = await runOk("print('total' in globals())");
  assert.match(gone, /^False$/m, "the new kernel has the old variables");
  const out = await runOk("%load_ext elastic_notebook\n%restore idb://s1");
  console.log(out.trim());
  assert.match(out, /^elastic-notebook: restored idb:\/\/s1: loaded \d+ variables?/m);
  assert.equal((await runOk(VALUES)).trim(), sessionValues.trim());
});

test("a second checkpoint after a small change adds only that change's bytes", { timeout: CELL_MS }, async () => {
  const before = await storeBytes();
  await runOk(`limits["low"] = 2.5`);
  const out = await runOk("%checkpoint idb://s1");
  const after = await storeBytes();
  const report = out.match(/\(id ([0-9a-f]{12})\): .*, ([\d.,]+) MB \(([\d.,]+) MB new\)/m);
  assert.ok(report, `unexpected report: ${out}`);
  const [fileMb, newMb] = [Number(report[2].replace(/,/g, "")), Number(report[3].replace(/,/g, ""))];
  console.log(`store: ${before} bytes before, ${after} after (+${after - before}); ` +
    `the checkpoint is ${fileMb} MB, ${newMb} MB of it new`);
  assert.ok(fileMb > 0.1, "the session is big enough to tell");
  assert.ok(newMb < fileMb / 10, "unchanged groups were written again");
  // What the store grew by: the new chunks and the new record's frame (manifest).
  assert.ok(after - before < (fileMb * 1e6) / 10, `the store grew by ${after - before} bytes`);
  const listed = await runOk("%checkpoints");
  console.log(listed.trim());
  assert.match(listed, new RegExp(`^\\* ${report[1]}  s1 .* ${firstId}$`, "m"), "the new one's parent is the first");
  assert.match(listed, new RegExp(`^  ${firstId}  s1 `, "m"), "the first one is kept");
});

test("an earlier checkpoint restores by its id, and --export writes a stored one as a file", { timeout: CELL_MS }, async () => {
  const old = await runOk(`%restore idb://${firstId}\nprint("low", limits["low"])`);
  assert.match(old, /^low 3\.0$/m);
  const out = await runOk("%checkpoint --export idb://s1 exported.ckpt");
  assert.match(out, /^elastic-notebook: exported idb:\/\/s1 \(id [0-9a-f]{12}\) to exported\.ckpt/m);
  const latest = await runOk(`%restore exported.ckpt\nprint("low", limits["low"])`);
  assert.match(latest, /^low 2\.5$/m);
  const missing = await runCell("%restore idb://nothing-here");
  assert.match(missing, /no checkpoint idb:\/\/nothing-here in this browser's store \(stored names: s1\)/);
});

for (const label of ["a", "b"]) {
  test(`no request of profile ${label.toUpperCase()} left 127.0.0.1`, () => {
    const profile = { a: A, b: B }[label];
    assert.ok(profile, `profile ${label} was not launched`);
    const { requests, failed, consoleErrors } = profile;
    const local = (url) => url.startsWith(`${base}/`) || /^(data|blob):/.test(url) || url.startsWith(CDN_PROBE);
    const offsite = requests.filter((url) => !local(url));
    const failedOffsite = failed.filter((line) => !local(line));
    console.log(`profile ${label}: ${requests.length} requests by the browser; ` +
      `${failed.length} failed; ${consoleErrors.length} console errors`);
    for (const line of failed) console.log(`  failed: ${line}`);
    assert.ok(failed.some((line) => line.startsWith(CDN_PROBE)), "the CDN probe was not recorded as failed");
    assert.deepEqual(offsite, [], "requests off 127.0.0.1");
    assert.deepEqual(failedOffsite, [], "failed requests off 127.0.0.1");
    // The kernel's Pyodide and our wheel came from this server, not a CDN.
    const paths = new Set(requests.filter((url) => url.startsWith(`${base}/`)).map((url) => new URL(url).pathname));
    for (const file of ["pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]) {
      assert.ok(paths.has(`/static/pyodide/${file}`), `${file} was not loaded from the site`);
    }
    assert.ok([...paths].some((p) => /^\/static\/pyodide\/elastic_notebook-.*\.whl$/.test(p)),
      "the elastic_notebook wheel was not loaded from the site's lock");
  });
}

test("the site served what the browsers asked for", () => {
  console.log(`${served.length} requests served`);
  const missing = served.filter((s) => s.status === 404).map((s) => s.path);
  console.log(`  404s of the site (JupyterLite probes optional files): ${missing.join(", ") || "none"}`);
  const paths = new Set(served.map((s) => s.path));
  assert.ok(paths.has("/static/pyodide/pyodide.asm.wasm"));
});
