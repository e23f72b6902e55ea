// Browser benchmarks: the JupyterLite site (build/lite/site, scripts/build-lite) in headless
// Chromium, offline, a notebook on the Pyodide kernel with the wasm core. Three parts:
//
//   overhead    recording overhead per cell: notebooks of small cells and of heavier
//               pure-Python cells, run cell by cell from the page, with and without
//               `%load_ext elastic_notebook` (a fresh namespace each run, alternating);
//               kernel-side time per cell and the recorder's hooks' own time
//   throughput  a ~100 MB buffer-heavy session (bytearrays of os.urandom, an array.array;
//               no numpy: it is not in the offline site): `%checkpoint idb://big` and
//               `%restore idb://big` in a restarted kernel, kernel side (perf_counter in
//               Python) and end to end (from the page: the cell sent to its reply), each
//               restore alternating with one whose chunks are hashed on the kernel's
//               thread (`hash_chunks_here`: what the store's hashing worker saves); each
//               save of fresh random buffers (all chunks new; the store is emptied once,
//               before timing, as deletes make IndexedDB compact in the background);
//               peer, measured last: the same bytes put/got with raw IndexedDB from the
//               kernel worker; and a cell that prints one line, end to end (the lab's
//               own round trip, which every end-to-end figure includes)
//   example     www/lite/files/example.ipynb: its cells, `%checkpoint`, a restarted
//               kernel, `%restore` (idb:// and the file in /drive) against re-running its
//               cells (kernel side, in a fresh namespace without the extension)
//
//   node bench/browser.mjs [--repeats N] [--part overhead|throughput|example]... [--profile]
//
// Prints {"browser": {...}} on stdout (bench/run --browser merges it into
// bench/results/latest.json); progress on stderr. Medians of N repeats (default 3). A
// missed target is profiled with cProfile inside the kernel (--profile: always). The site
// is copied to a temp dir first, so a concurrent scripts/build-lite cannot change it
// mid-run. Needs scripts/build-lite, npm playwright-core (js/), Debian's chromium.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { launchOffline, openNotebook as openNotebookAt, serve } from "../tests/browser/helpers.mjs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const BUILT_SITE = path.join(ROOT, "build", "lite", "site");
const KERNEL_HELPER = readFileSync(path.join(ROOT, "bench", "browser_kernel.py"), "utf8");

const TARGETS = {
  overheadFixedMs: 3,
  overheadPct: 2.5,
  saveMBps: 250,
  restoreMBps: 300,
};
const CELL_MS = 300_000;

// --- arguments ------------------------------------------------------------------------------

const args = process.argv.slice(2);
let repeats = 3;
let alwaysProfile = false;
const parts = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--repeats") repeats = Number(args[++i]);
  else if (args[i] === "--part") parts.push(args[++i]);
  else if (args[i] === "--profile") alwaysProfile = true;
  else if (args[i] === "-h" || args[i] === "--help") {
    console.log("node bench/browser.mjs [--repeats N] [--part overhead|throughput|example]... [--profile]");
    process.exit(0);
  } else throw new Error(`unknown argument ${args[i]}`);
}
if (!(repeats >= 1)) throw new Error("--repeats needs a positive number");
const PARTS = parts.length ? parts : ["overhead", "throughput", "example"];
for (const part of PARTS) {
  if (!["overhead", "throughput", "example"].includes(part)) throw new Error(`unknown part ${part}`);
}

const log = (...a) => console.error(...a);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const round = (x, digits = 3) => (x === null || x === undefined ? x : Number(x.toFixed(digits)));

// --- the site and the browser -----------------------------------------------------------------

if (!existsSync(path.join(BUILT_SITE, "lab", "index.html"))) {
  throw new Error(`${BUILT_SITE} is not built: run scripts/build-lite (bench/run --browser does)`);
}
// A site built from older sources would measure them, not the working tree.
try {
  execFileSync("python3", [
    path.join(ROOT, "bench", "lite_site_current.py"),
    path.join(BUILT_SITE, "static", "pyodide"),
    path.join(ROOT, "pyodide-ext", "elastic_notebook"),
  ], { encoding: "utf8" });
} catch (error) {
  throw new Error(`${BUILT_SITE} is stale:\n${error.stdout}run scripts/build-lite (bench/run --browser does)`);
}
const work = mkdtempSync(path.join(tmpdir(), "elastic-bench-browser-"));
const SITE = path.join(work, "site");
cpSync(BUILT_SITE, SITE, { recursive: true });
const { server, base } = await serve([], SITE);
const profile = await launchOffline("bench");
const browser = profile.context;
const { page } = profile;
let chromiumVersion = browser.browser()?.version() ?? null;

async function cleanup() {
  await profile.close().catch(() => {});
  server.close();
  rmSync(work, { recursive: true, force: true });
}

/** A new lab page with an empty notebook on a new Pyodide kernel; seconds to a first cell. */
async function openNotebook() {
  await openNotebookAt(page, base, "?reset");
  if (chromiumVersion === null) chromiumVersion = await page.evaluate(() => navigator.userAgent);
  const started = performance.now();
  await runOk("1");
  return (performance.now() - started) / 1e3;
}

/** Restarts the notebook's kernel and waits until it runs a cell; seconds. */
async function restartKernel() {
  const started = performance.now();
  await page.evaluate(async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    panel.content.model.sharedModel.deleteCellRange(0, panel.content.model.sharedModel.cells.length);
    await panel.sessionContext.restartKernel();
  });
  await runOk("1");
  return (performance.now() - started) / 1e3;
}

async function clearCells() {
  await page.evaluate(() => {
    const cells = window.jupyterapp.shell.currentWidget.content.model.sharedModel;
    cells.deleteCellRange(0, cells.cells.length);
  });
}

/**
 * Appends a code cell, runs it through the notebook (notebook:run-cell) and waits for its
 * reply. Returns its outputs as text, and `e2eMs`: from the run command to the reply
 * (execution count set), timed in the page; `outputMs`: to the last output change.
 */
async function runCell(code, timeout = CELL_MS) {
  await page.evaluate((source) => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const cells = notebook.model.sharedModel;
    cells.insertCell(cells.cells.length, { cell_type: "code", source });
    const index = cells.cells.length - 1;
    notebook.activeCellIndex = index;
    const model = notebook.model.cells.get(index);
    const timing = { index, start: 0, output: null, done: null };
    window.__benchCell = timing;
    model.outputs.changed.connect(() => {
      timing.output = performance.now();
    });
    model.stateChanged.connect((_, change) => {
      if (change.name === "executionCount" && change.newValue !== null && timing.done === null) {
        timing.done = performance.now();
      }
    });
    timing.start = performance.now();
    void window.jupyterapp.commands.execute("notebook:run-cell");
  }, code);
  await page.waitForFunction(
    () => {
      const timing = window.__benchCell;
      const model = window.jupyterapp.shell.currentWidget.content.model.cells.get(timing.index);
      const finished = model.executionCount !== null && model.executionState !== "running";
      if (finished && timing.done === null) timing.done = performance.now();
      return finished;
    },
    null,
    { timeout, polling: 10 },
  );
  return page.evaluate(() => {
    const timing = window.__benchCell;
    const notebook = window.jupyterapp.shell.currentWidget.content;
    const outputs = notebook.model.cells.get(timing.index).outputs.toJSON();
    const text = outputs
      .map((o) => {
        if (o.output_type === "stream") return [].concat(o.text).join("");
        if (o.output_type === "error") return `${o.ename}: ${o.evalue}\n${o.traceback.join("\n")}`;
        const plain = o.data?.["text/plain"];
        return plain === undefined ? "" : [].concat(plain).join("");
      })
      .join("\n")
      .replace(/\x1b\[[0-9;]*m/g, "");
    return {
      text,
      e2eMs: timing.done - timing.start,
      outputMs: timing.output === null ? null : timing.output - timing.start,
    };
  });
}

/** runCell, failing on an error in the output; with the parsed `BENCH {...}` line if any. */
async function runOk(code, timeout) {
  const result = await runCell(code, timeout);
  if (/Traceback|Error: /.test(result.text)) {
    throw new Error(`cell failed:\n${code}\n--- output ---\n${result.text}`);
  }
  const line = result.text.match(/^BENCH (.*)$/m);
  result.bench = line ? JSON.parse(line[1]) : null;
  return result;
}

/** Installs bench/browser_kernel.py as the module `_ebench` (binds no user name). */
async function installHelper() {
  const installer = `import sys, types
m = types.ModuleType("_ebench")
exec(compile(${JSON.stringify(KERNEL_HELPER)}, "bench/browser_kernel.py", "exec"), m.__dict__)
sys.modules["_ebench"] = m`;
  await runOk(`exec(${JSON.stringify(installer)}, {})`);
}

/**
 * `%name line` in a cell of its own, timed in the kernel (`timed_magic`); a full garbage
 * collection first, in the cell before, so that neither its kernel-side nor its
 * end-to-end time holds one (a user's `%checkpoint` cell makes none; run inside the
 * timed cell, as it was until 2026-11-26 23:15 UTC, it added 66-159 ms to each
 * end-to-end figure).
 */
async function timedMagic(name, line, { profile = false } = {}) {
  await runOk(helper("collect()"));
  return runOk(helper(`timed_magic(${py(name)}, ${py(line)}${profile ? ", profile=True" : ""})`));
}

const py = (value) => JSON.stringify(value).replace(/\btrue\b/g, "True").replace(/\bfalse\b/g, "False");
const helper = (call) => `__import__("_ebench").${call}`;

// --- part 1: recording overhead -------------------------------------------------------------

// Small cells (no numpy): appends, dict updates, small loops and comprehensions, a helper
// function, prints; the pure-Python notebooks of bench/notebooks.py (python_loops, strings)
// at the same sizes.
const SMALL = [
  "log.append(len(log) * 0.5)",
  "config['step'] = config.get('step', 0) + 1",
  "summary = {k: round(v, 3) for k, v in zip('abc', sorted(log)[-3:])}",
  "s = sum(i * i for i in range(20_000))",
  "words = 'the quick brown fox jumps over the lazy dog'.split() * 200\ncounts = {w: words.count(w) for w in set(words)}",
  "len(log)",
  "def helper(v):\n    return v * config['step']",
  "r = helper(3)\nprint(f\"step {config['step']}: {s} {r}\")",
  "x = r + 1",
  "label = f'run {x}'",
];
/** The desktop benchmark's notebooks (bench/notebooks.py), the same cells in both benchmarks. */
const DESKTOP_NOTEBOOKS = JSON.parse(
  execFileSync(
    "python3",
    ["-c", "import json; from notebooks import BY_NAME; "
      + "print(json.dumps({n: {'about': b.about, 'cells': list(b.cells)} for n, b in BY_NAME.items()}))"],
    { cwd: path.join(ROOT, "bench"), encoding: "utf8" },
  ),
);

const NOTEBOOKS = [
  {
    name: "small_cells",
    about: "51 small cells (0.5-20 ms): appends, dict updates, comprehensions, a helper function, prints",
    cells: ["log = []\nconfig = {}", ...Array.from({ length: 5 }, () => SMALL).flat()],
  },
  ...["python_loops", "strings"].map((name) => ({
    name,
    about: `bench/notebooks.py ${name}: ${DESKTOP_NOTEBOOKS[name].about}`,
    cells: DESKTOP_NOTEBOOKS[name].cells,
  })),
];

/** One run of `notebook` cell by cell; kernel-side ns per cell and hooks, e2e ms per cell. */
async function runNotebook(notebook, record, profile = false) {
  await clearCells();
  await runOk(helper(`start_run(${py(record)}, profile=${py(profile)})`));
  const e2e = [];
  for (const cell of notebook.cells) e2e.push((await runOk(cell)).e2eMs);
  const { bench } = await runOk(helper("end_run()"));
  if (bench.cellsNs.length !== notebook.cells.length) {
    throw new Error(`${notebook.name}: ${bench.cellsNs.length} cells timed of ${notebook.cells.length}`);
  }
  if (record && bench.recorded !== notebook.cells.length) {
    throw new Error(`${notebook.name}: ${bench.recorded} cells recorded of ${notebook.cells.length}`);
  }
  // The recorder's own time: its hooks without freeing what the cells unbound, which the
  // plain run does inside its cells (`Recorder.released_ns`).
  const ownNs = bench.hooksNs.map((ns, i) => ns - (bench.releasedNs[i] ?? 0));
  return {
    kernelS: sum(bench.cellsNs) / 1e9,
    hooksS: sum(bench.hooksNs) / 1e9,
    releasedS: sum(bench.releasedNs) / 1e9,
    ownHooksS: sum(ownNs) / 1e9,
    cellsMs: bench.cellsNs.map((ns) => ns / 1e6),
    hooksMs: bench.hooksNs.map((ns) => ns / 1e6),
    ownHooksMs: ownNs.map((ns) => ns / 1e6),
    e2eS: sum(e2e) / 1e3,
    e2eMs: e2e,
    profile: bench.profile,
  };
}

async function partOverhead() {
  log("== recording overhead (cells from the page, extension loaded vs not)");
  const startS = await openNotebook();
  await installHelper();
  const notebooks = {};
  for (const notebook of NOTEBOOKS) {
    log(`  ${notebook.name}: warm-up`);
    await runNotebook(notebook, false);
    await runNotebook(notebook, true);
    const plain = [];
    const recorded = [];
    for (let r = 0; r < repeats; r++) {
      for (const record of r % 2 === 0 ? [false, true] : [true, false]) {
        (record ? recorded : plain).push(await runNotebook(notebook, record));
      }
    }
    const n = notebook.cells.length;
    // Per cell: the median over runs of each cell's time, then summed / compared.
    const perCell = (runs, key) =>
      Array.from({ length: n }, (_, i) => median(runs.map((run) => run[key][i])));
    const plainCells = perCell(plain, "cellsMs");
    const recordedCells = perCell(recorded, "cellsMs");
    const hookCells = perCell(recorded, "hooksMs");
    const ownHookCells = perCell(recorded, "ownHooksMs");
    const plainS = median(plain.map((r) => r.kernelS));
    const recordedS = median(recorded.map((r) => r.kernelS));
    const hooksS = median(recorded.map((r) => r.hooksS));
    const releasedS = median(recorded.map((r) => r.releasedS));
    const ownHooksS = median(recorded.map((r) => r.ownHooksS));
    const result = {
      about: notebook.about,
      cells: n,
      repeats,
      plainKernelSeconds: round(plainS, 4),
      recordedKernelSeconds: round(recordedS, 4),
      overheadPct: round(100 * (recordedS / plainS - 1), 2),
      hookSeconds: round(hooksS, 4),
      hookPct: round((100 * hooksS) / plainS, 2),
      hookMsPerCellMedian: round(median(hookCells), 3),
      hookMsPerCellMax: round(Math.max(...hookCells), 3),
      releasedSeconds: round(releasedS, 4),
      ownHookSeconds: round(ownHooksS, 4),
      ownHookPct: round((100 * ownHooksS) / plainS, 2),
      ownHookMsPerCellMedian: round(median(ownHookCells), 3),
      // Per cell: recorded minus plain (medians over runs), the hooks' time, and the cell.
      perCell: notebook.cells.map((code, i) => ({
        code: code.split("\n")[0].slice(0, 50),
        plainMs: round(plainCells[i], 3),
        recordedMs: round(recordedCells[i], 3),
        hookMs: round(hookCells[i], 3),
        ownHookMs: round(ownHookCells[i], 3),
      })),
      plainE2eSeconds: round(median(plain.map((r) => r.e2eS)), 3),
      recordedE2eSeconds: round(median(recorded.map((r) => r.e2eS)), 3),
      plainRuns: plain.map((r) => round(r.kernelS, 4)),
      recordedRuns: recorded.map((r) => round(r.kernelS, 4)),
      hookRuns: recorded.map((r) => round(r.hooksS, 4)),
    };
    // Every cell is judged against its budget (below); the small cells' first 11 are kept.
    result.budgetCells = result.perCell;
    if (notebook.name === "small_cells") result.perCell = result.perCell.slice(0, 11);
    log(
      `  ${notebook.name}: kernel ${plainS.toFixed(3)} s plain, ${recordedS.toFixed(3)} s recorded ` +
        `(${result.overheadPct >= 0 ? "+" : ""}${result.overheadPct} %); hooks ${hooksS.toFixed(3)} s = ` +
        `${result.hookPct} %, ${result.hookMsPerCellMedian} ms per cell (median), ` +
        `max ${result.hookMsPerCellMax} ms; of which freeing what the cells unbound ${releasedS.toFixed(3)} s, ` +
        `own ${ownHooksS.toFixed(3)} s = ${result.ownHookPct} %; ` +
        `e2e ${result.plainE2eSeconds} s / ${result.recordedE2eSeconds} s`,
    );
    notebooks[notebook.name] = result;
  }
  // Target: hooks <= 3 ms fixed per cell + 2.5 % of the notebook's runtime. The fixed
  // part: the median hook time per cell of the small cells; the proportional part: of the
  // heavy notebooks, the hooks' time beyond the fixed part per cell, over the runtime.
  // Reported besides, not judged: every cell against a budget of its own (3 ms + 2.5 % of
  // that cell's runtime). A cell that first reads a large value pays for walking it, a
  // cost of the value's size, not of the cell's runtime (docs/benchmarks.md).
  // Judged on the recorder's own time (without freeing what the cells unbound); the same
  // with the hooks' whole time is reported beside it.
  const fixedMs = notebooks.small_cells.ownHookMsPerCellMedian;
  const proportionalOf = (key) => {
    const out = {};
    for (const name of ["python_loops", "strings"]) {
      const nb = notebooks[name];
      out[name] = round(
        (100 * Math.max(0, nb[key] - (fixedMs * nb.cells) / 1e3)) / nb.plainKernelSeconds,
        2,
      );
    }
    return out;
  };
  const proportional = proportionalOf("ownHookSeconds");
  const worstPct = Math.max(...Object.values(proportional));
  // Every cell against its own budget (3 ms + 2.5 % of its plain runtime).
  const overBudget = [];
  for (const [name, nb] of Object.entries(notebooks)) {
    for (const cell of nb.budgetCells) {
      const budget = TARGETS.overheadFixedMs + (TARGETS.overheadPct / 100) * cell.plainMs;
      if (cell.ownHookMs > budget) overBudget.push({ notebook: name, ...cell, budgetMs: round(budget, 3) });
    }
    delete nb.budgetCells;
  }
  const summary = {
    fixedMsPerCell: fixedMs,
    proportionalPct: proportional,
    proportionalWithFreeingPct: proportionalOf("hookSeconds"),
    targetFixedMs: TARGETS.overheadFixedMs,
    targetPct: TARGETS.overheadPct,
    cellsOverBudget: overBudget,
    targetsMet: fixedMs <= TARGETS.overheadFixedMs && worstPct <= TARGETS.overheadPct,
    everyCellWithinItsBudget: overBudget.length === 0,
    kernelStartSeconds: round(startS, 2),
  };
  log(
    `  overhead: fixed ${fixedMs} ms per cell, proportional ${JSON.stringify(proportional)} % ` +
      `(${JSON.stringify(summary.proportionalWithFreeingPct)} % with freeing what the cells unbound); ` +
      `targets ${summary.targetsMet ? "met" : "MISSED"}; ` +
      `${overBudget.length} cells over a budget of their own (3 ms + 2.5 % of the cell)`,
  );
  if (!summary.targetsMet || alwaysProfile) {
    // Where the hooks' time goes: one more recorded run of each notebook under cProfile.
    for (const notebook of NOTEBOOKS) {
      const run = await runNotebook(notebook, true, true);
      notebooks[notebook.name].profile = run.profile;
    }
  }
  return { summary, notebooks };
}

// --- part 2: throughput of a ~100 MB session in IndexedDB --------------------------------------

const BIG_CELLS = [
  "import array\nimport os",
  "frames = [bytearray(os.urandom(4 << 20)) for _ in range(12)]",
  "image = bytearray(os.urandom(32 << 20))",
  "series = array.array('d')\nseries.frombytes(os.urandom(16 << 20))",
];
const BIG_NAMES = ["frames", "image", "series"];

async function bigSession() {
  await installHelper();
  await runOk("%load_ext elastic_notebook");
  for (const cell of BIG_CELLS) await runOk(cell);
  const { bench } = await runOk(helper(`digests(${py(BIG_NAMES)})`));
  return bench;
}

function checkReport(text, pattern) {
  if (!pattern.test(text)) throw new Error(`unexpected report:\n${text}`);
}

async function partThroughput() {
  log("== a ~100 MB buffer-heavy session: %checkpoint idb://big, %restore idb://big, raw IndexedDB");
  await openNotebook();
  const original = await bigSession();
  const mb = original.bytes / 1e6;
  log(`  session: ${mb.toFixed(1)} MB in ${BIG_NAMES.join(", ")}`);
  const saves = [];
  const peers = [];
  let saveReport = "";
  // Emptied once, before anything is timed: deleting 100s of MB makes IndexedDB compact
  // its files in the background, which would slow whatever is timed next. Each save
  // stores fresh random buffers instead, so every chunk is new to the store.
  await runOk(helper("clear_store()"));
  let latest = original;
  for (let r = 0; r < repeats; r++) {
    if (r > 0) {
      for (const cell of BIG_CELLS.slice(1)) await runOk(cell);
      latest = (await runOk(helper(`digests(${py(BIG_NAMES)})`))).bench;
    }
    // --store-all: this part measures storing and loading 100 MB; the optimal plan may
    // rather recompute a buffer whose cell is cheap (os.urandom on a fast machine).
    const save = await timedMagic("checkpoint", "--store-all idb://big");
    saveReport = save.text.split("\n").filter((l) => l.startsWith("elastic-notebook")).join("\n");
    checkReport(saveReport, /^elastic-notebook: checkpoint idb:\/\/big .*stored \d+ variables?, recompute 0,/m);
    const fresh = saveReport.match(/\(([\d.,]+) MB new\)/);
    if (!fresh || Number(fresh[1].replace(/,/g, "")) < 0.99 * mb) throw new Error(`not all chunks were new:\n${saveReport}`);
    saves.push({ kernelS: save.bench.seconds, e2eS: save.e2eMs / 1e3 });
    log(`  save ${r + 1}: kernel ${save.bench.seconds.toFixed(3)} s, e2e ${(save.e2eMs / 1e3).toFixed(3)} s`);
  }
  // What any cell costs end to end: the lab's run command, the kernel's messages, an
  // output rendered (a cell that prints one line, recorded like the others). Each e2e
  // figure above and below includes one such round trip.
  const roundTrips = [];
  for (let r = 0; r < 5; r++) roundTrips.push((await runOk("print('round trip')")).e2eMs / 1e3);
  log(`  a cell that prints one line, e2e: ${median(roundTrips).toFixed(3)} s (median of 5)`);
  let saveProfile;
  let restoreProfile;
  const restores = [];
  let restoreReport = "";
  const restarts = [];
  // Each repeat restores twice, in alternating order: as a user's kernel does (chunks
  // hashed in the store's worker) and with every chunk hashed on the kernel's own thread
  // (what the worker saves; not in the figures of the target).
  const restoresHashedHere = [];
  for (let r = 0; r < repeats; r++) {
    for (const here of r % 2 === 0 ? [false, true] : [true, false]) {
      restarts.push(await restartKernel());
      await installHelper();
      await runOk("%load_ext elastic_notebook");
      if (here) await runOk(helper("hash_chunks_here()"));
      const restore = await timedMagic("restore", "idb://big");
      restoreReport = restore.text.split("\n").filter((l) => l.startsWith("elastic-notebook")).join("\n");
      checkReport(restoreReport, /^elastic-notebook: restored idb:\/\/big: loaded \d+ variables?, recomputed 0/m);
      const { bench } = await runOk(helper(`digests(${py(BIG_NAMES)})`));
      if (JSON.stringify(bench.digests) !== JSON.stringify(latest.digests)) {
        throw new Error(`restored values differ: ${JSON.stringify(bench)} vs ${JSON.stringify(latest)}`);
      }
      (here ? restoresHashedHere : restores).push({ kernelS: restore.bench.seconds, e2eS: restore.e2eMs / 1e3 });
      log(
        `  restore ${r + 1}${here ? " (chunks hashed on the kernel's thread)" : ""}: ` +
          `kernel ${restore.bench.seconds.toFixed(3)} s, e2e ${(restore.e2eMs / 1e3).toFixed(3)} s (values identical)`,
      );
    }
  }
  // The peer last, in the same kernel and on the same buffers: its own writes and deletes
  // (it empties its database after each run) cannot slow what was timed above.
  for (let r = 0; r < repeats; r++) {
    const peer = await runOk(helper(`idb_peer(${py(BIG_NAMES)})`));
    peers.push(peer.bench);
    log(
      `  peer ${r + 1}: put ${peer.bench.writeFromPythonSeconds.toFixed(3)} s (as Uint8Arrays ${peer.bench.writeArraysSeconds.toFixed(3)} s), ` +
        `get ${peer.bench.readIntoPythonSeconds.toFixed(3)} s (as Uint8Arrays ${peer.bench.readArraysSeconds.toFixed(3)} s)`,
    );
  }
  // The peer of a restore in a restarted kernel, as the restore itself: put from the
  // kernel holding the buffers, then got into Python right after a restart.
  const freshPeerReads = [];
  for (let r = 0; r < repeats; r++) {
    const kept = await runOk(helper(`idb_peer_keep(${py(BIG_NAMES)})`));
    await restartKernel();
    await installHelper();
    const fresh = await runOk(helper(`idb_peer_fresh_get(${kept.bench.chunks}, ${kept.bench.bytes})`));
    freshPeerReads.push(fresh.bench.readIntoPythonSeconds);
    log(`  peer get in a restarted kernel ${r + 1}: ${fresh.bench.readIntoPythonSeconds.toFixed(3)} s`);
    if (r + 1 < repeats) {
      // The next put needs the buffers again: restored as before (not timed).
      await runOk("%load_ext elastic_notebook");
      await timedMagic("restore", "idb://big");
    }
  }
  const med = (xs, key) => median(xs.map((x) => x[key]));
  const result = {
    sessionBytes: original.bytes,
    repeats,
    saveReport,
    restoreReport,
    saveKernelSeconds: round(med(saves, "kernelS")),
    saveE2eSeconds: round(med(saves, "e2eS")),
    restoreKernelSeconds: round(med(restores, "kernelS")),
    restoreE2eSeconds: round(med(restores, "e2eS")),
    restoreHashedHereKernelSeconds: round(med(restoresHashedHere, "kernelS")),
    restoreHashedHereE2eSeconds: round(med(restoresHashedHere, "e2eS")),
    peerWriteFromPythonSeconds: round(med(peers, "writeFromPythonSeconds")),
    peerReadIntoPythonSeconds: round(med(peers, "readIntoPythonSeconds")),
    peerReadIntoRestartedKernelSeconds: round(median(freshPeerReads)),
    peerWriteArraysSeconds: round(med(peers, "writeArraysSeconds")),
    peerReadArraysSeconds: round(med(peers, "readArraysSeconds")),
    kernelRestartSeconds: round(median(restarts), 2),
    cellRoundTripSeconds: round(median(roundTrips)),
    saveRuns: saves.map((s) => ({ kernelS: round(s.kernelS), e2eS: round(s.e2eS) })),
    restoreRuns: restores.map((s) => ({ kernelS: round(s.kernelS), e2eS: round(s.e2eS) })),
    restoreHashedHereRuns: restoresHashedHere.map((s) => ({ kernelS: round(s.kernelS), e2eS: round(s.e2eS) })),
  };
  const rate = (seconds) => round(mb / seconds, 1);
  Object.assign(result, {
    saveKernelMBps: rate(result.saveKernelSeconds),
    saveE2eMBps: rate(result.saveE2eSeconds),
    restoreKernelMBps: rate(result.restoreKernelSeconds),
    restoreE2eMBps: rate(result.restoreE2eSeconds),
    peerWriteFromPythonMBps: rate(result.peerWriteFromPythonSeconds),
    peerReadIntoPythonMBps: rate(result.peerReadIntoPythonSeconds),
    peerReadIntoRestartedKernelMBps: rate(result.peerReadIntoRestartedKernelSeconds),
    peerWriteArraysMBps: rate(result.peerWriteArraysSeconds),
    peerReadArraysMBps: rate(result.peerReadArraysSeconds),
    targetSaveMBps: TARGETS.saveMBps,
    targetRestoreMBps: TARGETS.restoreMBps,
  });
  result.saveVsPeer = round(result.saveE2eSeconds / result.peerWriteFromPythonSeconds, 2);
  result.restoreVsPeer = round(result.restoreE2eSeconds / result.peerReadIntoPythonSeconds, 2);
  result.restoreKernelVsRestartedPeer = round(
    result.restoreKernelSeconds / result.peerReadIntoRestartedKernelSeconds,
    2,
  );
  result.saveTargetMet = result.saveE2eMBps >= TARGETS.saveMBps && result.saveKernelMBps >= TARGETS.saveMBps;
  result.restoreTargetMet =
    result.restoreE2eMBps >= TARGETS.restoreMBps && result.restoreKernelMBps >= TARGETS.restoreMBps;
  log(
    `  save ${result.saveKernelMBps} MB/s kernel, ${result.saveE2eMBps} MB/s e2e (target ${TARGETS.saveMBps}); ` +
      `restore ${result.restoreKernelMBps} / ${result.restoreE2eMBps} MB/s (target ${TARGETS.restoreMBps}; ` +
      `${rate(result.restoreHashedHereKernelSeconds)} MB/s kernel side with chunks hashed on its thread); ` +
      `raw IndexedDB from Python put ${result.peerWriteFromPythonMBps}, get ${result.peerReadIntoPythonMBps} MB/s ` +
      `(${result.peerReadIntoRestartedKernelMBps} MB/s into a restarted kernel); ` +
      `as Uint8Arrays ${result.peerWriteArraysMBps} / ${result.peerReadArraysMBps} MB/s`,
  );
  if (!result.saveTargetMet || !result.restoreTargetMet || alwaysProfile) {
    // Where the time goes: one save and one restore under cProfile (in fresh kernels).
    await restartKernel();
    await bigSession(); // fresh random buffers: every chunk is new to the store
    saveProfile = (await timedMagic("checkpoint", "--store-all idb://big", { profile: true })).bench;
    await restartKernel();
    await installHelper();
    await runOk("%load_ext elastic_notebook");
    restoreProfile = (await timedMagic("restore", "idb://big", { profile: true })).bench;
    result.saveProfile = { seconds: round(saveProfile.seconds), top: saveProfile.profile };
    result.restoreProfile = { seconds: round(restoreProfile.seconds), top: restoreProfile.profile };
  }
  return result;
}

// --- part 3: the example notebook ----------------------------------------------------------

async function partExample() {
  log("== the example notebook: %restore against re-running its cells");
  const notebook = JSON.parse(readFileSync(path.join(SITE, "files", "example.ipynb"), "utf8"));
  const cells = [];
  for (const cell of notebook.cells) {
    const source = [].concat(cell.source).join("");
    if (cell.cell_type === "markdown" && /^## Checkpoint/m.test(source)) break;
    if (cell.cell_type === "code") cells.push(source);
  }
  const session = cells.filter((code) => !code.trimStart().startsWith("%"));
  await openNotebook();
  await installHelper();
  for (const cell of cells) await runOk(cell);
  const expected = (await runOk("print(repr((status, total, sensors[0])))")).text.trim();
  const save = await timedMagic("checkpoint", "idb://example");
  const saveFile = await timedMagic("checkpoint", "session.ckpt");
  const saveReport = save.text.split("\n").filter((l) => l.startsWith("elastic-notebook")).join("\n");
  log(`  ${saveReport}`);
  const runs = { idb: [], file: [], rerun: [] };
  let restoreReport = "";
  for (let r = 0; r < repeats; r++) {
    for (const [key, target] of [["idb", "idb://example"], ["file", "session.ckpt"]]) {
      await restartKernel();
      await installHelper();
      const load = await timedMagic("load_ext", "elastic_notebook");
      const restore = await timedMagic("restore", target);
      if (key === "idb") {
        restoreReport = restore.text.split("\n").filter((l) => l.startsWith("elastic-notebook")).join("\n");
      }
      checkReport(restore.text, /^elastic-notebook: restored /m);
      const got = (await runOk("print(repr((status, total, sensors[0])))")).text.trim();
      if (got !== expected) throw new Error(`restored ${got}, expected ${expected}`);
      runs[key].push({ kernelS: restore.bench.seconds, e2eS: restore.e2eMs / 1e3, loadExtS: load.bench.seconds });
      if (key !== "idb") continue;
      // The peer, in the same kernel (the cells import nothing, so nothing is warm for
      // them): a fresh namespace without the extension, the session's cells re-run.
      await runOk(helper("start_run(False)"));
      const e2e = [];
      for (const cell of session) e2e.push((await runOk(cell)).e2eMs);
      const rerun = (await runOk("print(repr((status, total, sensors[0])))")).text.trim();
      if (rerun !== expected) throw new Error(`re-run gave ${rerun}, expected ${expected}`);
      const { bench } = await runOk(helper("end_run()"));
      runs.rerun.push({ kernelS: sum(bench.cellsNs.slice(0, session.length)) / 1e9, e2eS: sum(e2e) / 1e3 });
    }
    log(
      `  ${r + 1}: restore idb ${runs.idb.at(-1).kernelS.toFixed(3)} s, file ${runs.file.at(-1).kernelS.toFixed(3)} s; ` +
        `re-run ${runs.rerun.at(-1).kernelS.toFixed(3)} s (kernel side); e2e ${runs.idb.at(-1).e2eS.toFixed(3)} / ` +
        `${runs.file.at(-1).e2eS.toFixed(3)} / ${runs.rerun.at(-1).e2eS.toFixed(3)} s`,
    );
  }
  const med = (key, field) => round(median(runs[key].map((x) => x[field])), 4);
  const result = {
    cells: session.length,
    repeats,
    saveReport,
    restoreReport,
    checkpointIdbKernelSeconds: round(save.bench.seconds, 4),
    checkpointFileKernelSeconds: round(saveFile.bench.seconds, 4),
    loadExtKernelSeconds: med("idb", "loadExtS"),
    restoreIdbKernelSeconds: med("idb", "kernelS"),
    restoreFileKernelSeconds: med("file", "kernelS"),
    rerunKernelSeconds: med("rerun", "kernelS"),
    restoreIdbE2eSeconds: med("idb", "e2eS"),
    restoreFileE2eSeconds: med("file", "e2eS"),
    rerunE2eSeconds: med("rerun", "e2eS"),
  };
  result.rerunOverRestoreIdb = round(result.rerunKernelSeconds / result.restoreIdbKernelSeconds, 2);
  result.rerunOverRestoreFile = round(result.rerunKernelSeconds / result.restoreFileKernelSeconds, 2);
  log(
    `  restore ${result.restoreIdbKernelSeconds} s (idb), ${result.restoreFileKernelSeconds} s (file) ` +
      `vs re-run ${result.rerunKernelSeconds} s, kernel side: re-run/restore ${result.rerunOverRestoreIdb}x / ` +
      `${result.rerunOverRestoreFile}x`,
  );
  if (result.rerunOverRestoreIdb < 1 || alwaysProfile) {
    await restartKernel();
    await installHelper();
    await runOk("%load_ext elastic_notebook");
    const profiled = (await timedMagic("restore", "idb://example", { profile: true })).bench;
    result.restoreProfile = { seconds: round(profiled.seconds), top: profiled.profile };
  }
  return result;
}

// --- main ---------------------------------------------------------------------------------

const started = performance.now();
const result = {
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  commit: execFileSync("git", ["describe", "--always", "--dirty"], { cwd: ROOT, encoding: "utf8" }).trim(),
  chromium: null,
};
try {
  if (PARTS.includes("overhead")) result.overhead = await partOverhead();
  if (PARTS.includes("throughput")) result.throughput = await partThroughput();
  if (PARTS.includes("example")) result.example = await partExample();
  result.chromium = chromiumVersion;
  result.seconds = round((performance.now() - started) / 1e3, 1);
} finally {
  await cleanup();
}
log(`browser benchmarks: ${result.seconds} s`);
console.log(JSON.stringify({ browser: result }));
