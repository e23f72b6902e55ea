// Shared set-up of the browser tests: the built JupyterLite site (build/lite/site, by
// scripts/build-lite) served on 127.0.0.1, Debian's Chromium driven by playwright-core with
// every host but 127.0.0.1 unresolvable, and cells run through the lab's notebook model.
import assert from "node:assert/strict";
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const SITE = path.join(ROOT, "build", "lite", "site");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const { chromium } = createRequire(path.join(ROOT, "js", "package.json"))("playwright-core");

/** How long one cell may take; the kernel's start (7-9 s here) is part of the first. */
export const CELL_MS = 120_000;

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

/** A static server of `site` on 127.0.0.1 at a free port; `served` gets every request. */
export function serve(served = [], site = SITE) {
  assert.ok(existsSync(path.join(site, "lab", "index.html")), `${site} is not built: run scripts/build-lite`);
  const server = http.createServer((request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    let file = path.join(site, decodeURIComponent(url.pathname));
    if (!file.startsWith(site)) {
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

/**
 * Headless Chromium with a new profile directory in which no host name resolves
 * (127.0.0.1 is the only address reachable), recording every request (pages, workers,
 * the service worker), failed request and console error. Returns `{label, dir, context,
 * page, requests, failed, consoleErrors, close}`.
 */
export async function launchOffline(label = "profile") {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: run scripts/setup`);
  const dir = mkdtempSync(path.join(tmpdir(), `elastic-lite-${label}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    acceptDownloads: true,
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
  const profile = { label, dir, context, requests: [], failed: [], consoleErrors: [] };
  context.on("request", (request) => profile.requests.push(request.url()));
  context.on("requestfailed", (request) =>
    profile.failed.push(`${request.url()} (${request.failure()?.errorText})`));
  profile.page = context.pages()[0] ?? (await context.newPage());
  profile.page.on("console", (message) => {
    if (message.type() === "error") profile.consoleErrors.push(message.text());
  });
  profile.close = async () => {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return profile;
}

/**
 * Opens the lab at `base` in `page` (`query`: e.g. `?reset` for an empty workspace) and a
 * new notebook on the Pyodide kernel; returns the kernel's name and the notebook's path.
 */
export async function openNotebook(page, base, query = "") {
  await page.goto(`${base}/lab/index.html${query}`);
  await page.waitForFunction(() => window.jupyterapp !== undefined, null, { timeout: 30_000 });
  await page.evaluate(() => window.jupyterapp.restored);
  return page.evaluate(async () => {
    const panel = await window.jupyterapp.commands.execute("notebook:create-new", { kernelName: "python" });
    await panel.context.ready;
    await panel.sessionContext.ready;
    window.jupyterapp.shell.activateById(panel.id);
    return { name: panel.sessionContext.session?.kernel?.name, path: panel.context.path };
  });
}

/**
 * Appends a code cell with `code` to the current notebook of `page`, runs it and waits for
 * its execution count; returns its outputs as text (streams, text/plain, errors).
 */
export async function runCell(page, code, timeout = CELL_MS) {
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
  const text = await page.evaluate((i) => {
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
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/** The output of `code`, which must not raise (its text names the error if it did). */
export async function runOk(page, code, timeout) {
  const text = await runCell(page, code, timeout);
  assert.doesNotMatch(text, /Traceback|Error: /, `cell failed:\n${code}\n--- output ---\n${text}`);
  return text;
}

/**
 * Runs `fn(db, done, arg)` in `page` (same origin as the kernel's worker) on the browser's
 * checkpoint store: `db` the open database (closed afterwards), `done(request)` a promise
 * of a request's result. `fn` is sent as source, so it may use only its arguments.
 */
export function inStore(page, fn, arg) {
  return page.evaluate(async ({ source, arg }) => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open("elastic-notebook");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const done = (request) => new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      return await (0, eval)(`(${source})`)(db, done, arg);
    } finally {
      db.close();
    }
  }, { source: fn.toString(), arg });
}

/**
 * The browser's checkpoint store as IndexedDB holds it, read from the page (same origin
 * as the kernel's worker): record ids and names, chunk keys, the chunks the records name
 * that are missing, the claims of checkpoints being stored (`pending`), and orphans:
 * chunks no record and no claim names.
 */
export function storeContents(page) {
  return page.evaluate(async () => {
    const names = await indexedDB.databases();
    const none = { records: [], chunks: [], missing: [], orphans: [], claims: [] };
    if (!names.some((d) => d.name === "elastic-notebook")) return none;
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open("elastic-notebook");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const all = (store, method) => new Promise((resolve, reject) => {
      const request = db.transaction(store).objectStore(store)[method]();
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const records = await all("checkpoints", "getAll");
    const chunks = await all("chunks", "getAllKeys");
    const claims = db.objectStoreNames.contains("pending") ? await all("pending", "getAll") : [];
    db.close();
    const named = new Set([...records, ...claims].flatMap((r) => r.chunks));
    const recorded = new Set(records.flatMap((r) => r.chunks));
    const held = new Set(chunks);
    return {
      records: records.map((r) => ({ id: r.id, name: r.name, fileBytes: r.fileBytes })),
      chunks,
      missing: [...recorded].filter((h) => !held.has(h)),
      orphans: chunks.filter((h) => !named.has(h)),
      claims: claims.map((c) => ({ id: c.id, touchedUnixMs: c.touchedUnixMs, chunks: c.chunks })),
    };
  });
}
