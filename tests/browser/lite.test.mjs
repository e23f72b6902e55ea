// The JupyterLite site (build/lite/site, built by scripts/build-lite) in headless Chromium,
// offline: a notebook on the Python (Pyodide) kernel loads elastic_notebook from the
// site's Pyodide lock, checkpoints its session into /drive, and a restarted kernel
// restores it. Chromium resolves no host but 127.0.0.1, so a request that would leave the
// machine (a CDN fallback, PyPI) fails; every request is recorded and checked.
//
// Needs: scripts/build-lite, npm playwright-core (js/), Debian's chromium ($CHROMIUM,
// default /usr/bin/chromium). Run: node --test tests/browser/
import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SITE = path.join(ROOT, "build", "lite", "site");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const { chromium } = createRequire(path.join(ROOT, "js", "package.json"))("playwright-core");

/** Fetched once on purpose to check that hosts off 127.0.0.1 are unreachable. */
const CDN_PROBE = "https://cdn.jsdelivr.net/pyodide/v314.0.6/full/pyodide-lock.json";

/** How long one cell may take; the kernel's start (7-9 s here) is part of the first. */
const CELL_MS = 120_000;

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".json": "application/json",
  ".ipynb": "application/json",
  ".wasm": "application/wasm",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".webmanifest": "application/manifest+json",
  ".zip": "application/zip",
  ".whl": "application/zip",
};

/** A static server of SITE on 127.0.0.1 at a free port; resolves to its base URL. */
function serve(served) {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    let file = path.join(SITE, decodeURIComponent(url.pathname));
    if (!file.startsWith(SITE)) {
      response.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = path.join(file, "index.html");
    const found = existsSync(file) && statSync(file).isFile();
    served.push({ path: url.pathname, status: found ? 200 : 404 });
    if (!found) {
      response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
      return;
    }
    response.writeHead(200, {
      "Content-Type": TYPES[path.extname(file)] || "application/octet-stream",
      "Content-Length": statSync(file).size,
      "Cache-Control": "no-store",
    });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` }));
  });
}

let server;
let base;
let browser;
let page;
let profile;
const served = [];
const requests = [];
const failed = [];
const consoleErrors = [];

before(async () => {
  assert.ok(existsSync(path.join(SITE, "lab", "index.html")), `${SITE} is not built: run scripts/build-lite`);
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/setup`);
  ({ server, base } = await serve(served));
  profile = mkdtempSync(path.join(tmpdir(), "elastic-lite-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      // Every host name fails to resolve; 127.0.0.1 is the only address reachable.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
  // Requests of the page, its workers (the kernel) and the service worker's fetches.
  browser.on("request", (request) => requests.push(request.url()));
  browser.on("requestfailed", (request) =>
    failed.push(`${request.url()} (${request.failure()?.errorText})`));
  page = browser.pages()[0] ?? (await browser.newPage());
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
});

after(async () => {
  await browser?.close();
  server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/**
 * Appends a code cell with `code` to the current notebook, runs it and waits for its
 * execution count; returns its outputs as text (stream text, results' text/plain, errors).
 */
async function runCell(code, timeout = CELL_MS) {
  const index = await page.evaluate(async (source) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const cells = notebook.model.sharedModel;
    cells.insertCell(cells.cells.length, { cell_type: "code", source });
    notebook.activeCellIndex = cells.cells.length - 1;
    void window.jupyterapp.commands.execute("notebook:run-cell");
    return cells.cells.length - 1;
  }, code);
  await page.waitForFunction(
    (i) => {
      const notebook = window.jupyterapp.shell.currentWidget.content;
      const model = notebook.model.cells.get(i);
      return model.executionCount !== null && model.executionState !== "running";
    },
    index,
    { timeout, polling: 100 },
  );
  return page.evaluate((i) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const outputs = notebook.model.cells.get(i).outputs.toJSON();
    return outputs
      .map((o) => {
        if (o.output_type === "stream") return [].concat(o.text).join("");
        if (o.output_type === "error") return `${o.ename}: ${o.evalue}\n${o.traceback.join("\n")}`;
        const plain = o.data?.["text/plain"];
        return plain === undefined ? "" : [].concat(plain).join("");
      })
      .join("\n");
  }, index);
}

/** The output of `code`, which must not raise (its text names the error if it did). */
async function runOk(code, timeout) {
  const text = await runCell(code, timeout);
  const plain = text.replace(/\x1b\[[0-9;]*m/g, "");
  assert.doesNotMatch(plain, /Traceback|Error: /, `cell failed:\n${code}\n--- output ---\n${plain}`);
  return plain;
}

test("the lab loads from 127.0.0.1 and opens a notebook on the Pyodide kernel", { timeout: 60_000 }, async () => {
  await page.goto(`${base}/lab/index.html`);
  await page.waitForFunction(() => window.jupyterapp !== undefined, null, { timeout: 30_000 });
  await page.evaluate(() => window.jupyterapp.restored);
  const kernel = await page.evaluate(async () => {
    const panel = await window.jupyterapp.commands.execute("notebook:create-new", { kernelName: "python" });
    await panel.context.ready;
    await panel.sessionContext.ready;
    window.jupyterapp.shell.activateById(panel.id);
    return { name: panel.sessionContext.session?.kernel?.name, path: panel.context.path };
  });
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

test("cells with lists, dicts, a function and a class; %checkpoint writes session.ckpt to /drive", { timeout: CELL_MS + 20_000 }, async () => {
  await runOk(`readings = [3.2, 4.8, 5.1, 2.9, 6.4]
limits = {"low": 3.0, "high": 6.0}`);
  await runOk(`def classify(value, limits):
    return "low" if value < limits["low"] else "high" if value > limits["high"] else "ok"

class Sensor:
    def __init__(self, name, value):
        self.name, self.value = name, value`);
  await runOk(`sensors = [Sensor(n, v) for n, v in zip("abcde", readings)]
status = {s.name: classify(s.value, limits) for s in sensors}
squares = [i * i for i in range(50_000)]
total = sum(squares)`);
  const started = performance.now();
  const out = await runOk("%checkpoint session.ckpt");
  console.log(`%checkpoint: ${((performance.now() - started) / 1000).toFixed(1)} s\n${out.trim()}`);
  assert.match(out, /^elastic-notebook: checkpoint session\.ckpt: stored \d+ variables?, recompute \d+/m);
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
  const values = await runOk(`print(total, status["a"], status["e"], type(sensors[1]).__name__, sensors[1].value, classify(7, limits))`);
  assert.match(values, /^41665416675000 ok high Sensor 4\.8 high$/m);
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
  await page.goto(`${base}/lab/index.html?reset`);
  await page.waitForFunction(() => window.jupyterapp !== undefined, null, { timeout: 30_000 });
  await page.evaluate(() => window.jupyterapp.restored);
  await page.evaluate(async () => {
    const panel = await window.jupyterapp.commands.execute("notebook:create-new", { kernelName: "python" });
    await panel.context.ready;
    await panel.sessionContext.ready;
    window.jupyterapp.shell.activateById(panel.id);
  });
  const gone = await runOk("print('total' in globals())");
  assert.match(gone, /^False$/m, "the new kernel has the old variables");
  const out = await runOk("%load_ext elastic_notebook\n%restore idb://s1");
  console.log(out.trim());
  assert.match(out, /^elastic-notebook: restored idb:\/\/s1: loaded \d+ variables?/m);
  const values = await runOk(`print(total, status["a"], status["e"], type(sensors[1]).__name__, sensors[1].value, classify(7, limits))`);
  assert.match(values, /^41665416675000 ok high Sensor 4\.8 high$/m);
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

test("no request left 127.0.0.1", () => {
  const local = (url) => url.startsWith(`${base}/`) || /^(data|blob):/.test(url) || url.startsWith(CDN_PROBE);
  const offsite = requests.filter((url) => !local(url));
  const failedOffsite = failed.filter((line) => !local(line));
  console.log(`${requests.length} requests by the browser, ${served.length} served; ` +
    `${failed.length} failed; ${consoleErrors.length} console errors`);
  for (const line of failed) console.log(`  failed: ${line}`);
  assert.ok(failed.some((line) => line.startsWith(CDN_PROBE)), "the CDN probe was not recorded as failed");
  assert.deepEqual(offsite, [], "requests off 127.0.0.1");
  assert.deepEqual(failedOffsite, [], "failed requests off 127.0.0.1");
  // The kernel's Pyodide and our wheel came from this server, not a CDN.
  const paths = new Set(served.map((s) => s.path));
  for (const file of ["pyodide.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]) {
    assert.ok(paths.has(`/static/pyodide/${file}`), `${file} was not loaded from the site`);
  }
  assert.ok([...paths].some((p) => /^\/static\/pyodide\/elastic_notebook-.*\.whl$/.test(p)),
    "the elastic_notebook wheel was not loaded from the site's lock");
  const missing = served.filter((s) => s.status === 404).map((s) => s.path);
  console.log(`  404s of the site (JupyterLite probes optional files): ${missing.join(", ") || "none"}`);
});
