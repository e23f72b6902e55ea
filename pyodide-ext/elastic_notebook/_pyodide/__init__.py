"""The Pyodide host of the core: the wasm module, loaded synchronously from package data.

Imported only inside Pyodide (``sys.platform == "emscripten"``), as is `walk` (the heap
walk) beside it: the package's Pyodide-only glue. ``scripts/build-wasm``
writes ``_wasm/`` next to this file: the optimized ``elastic_notebook_bg.wasm`` and the
wasm-bindgen glue built with ``--target no-modules``, a classic script defining the global
``wasm_bindgen``. Evaluating that script with ``run_js`` and instantiating with
``initSync`` needs no ``await``, so the core loads where ``run_sync`` is unavailable (Node)
and inside a synchronous ``%load_ext`` in the JupyterLite worker. (The ES module glue of
``--target web`` would need a dynamic ``import()``, which is asynchronous.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager, suppress
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pyodide.code import run_js
from pyodide.ffi import JsException, JsProxy, to_js

import js
from js import Object  # type: ignore[attr-defined]

if TYPE_CHECKING:
    from elastic_notebook._core import (
        CellAnalysisDict,
        CellRecordDict,
        CheckpointHeadDict,
        CheckpointSummaryDict,
        CostModelDict,
        GroupSpecDict,
        PlanDict,
        PlanMode,
        RestoreStepDict,
        Serializer,
        StoreLayoutDict,
        VerifyReportDict,
    )
    from elastic_notebook.store import StoreRecord, UnfinishedCheckpoint

GLUE = "elastic_notebook_nomodules.js"
WASM = "elastic_notebook_bg.wasm"

# Evaluates the glue in its own scope; yields a function that compiles the module from
# its bytes, instantiates it, and returns its exports and the compiled module (which a
# worker instantiates again without compiling: `_CHUNK_HASHER`).
_INSTANTIATE = """
;(bytes) => {
    const module = new WebAssembly.Module(bytes);
    wasm_bindgen.initSync({ module });
    return { exports: wasm_bindgen, module };
}
"""

# blake3 of the chunks a restore reads from the store, in a Worker of its own: hashing
# 100 MB keeps the kernel's thread busy about 0.1 s, which the machine's other core
# takes while this thread copies chunks into Python. A function of the core's glue and
# compiled module, returning:
# - `start()`: starts the worker (once: one that failed is not made again, none is made
#   where `Worker` is missing, as in Node); resolves to whether it is ready;
# - `digest(bytes)`: resolves to `{ bytes, digest }` (the bytes, a Uint8Array over a
#   whole ArrayBuffer, go to the worker and come back without a copy; the digest is 32
#   bytes), to `{ bytes }` alone when this chunk is to be hashed here (no worker ready, or
#   it could not hash it), or to null when the worker died holding the bytes: they are
#   gone from this thread, and must be read again;
# - `hashed`: how many chunks the worker hashed.
_CHUNK_HASHER = """
((glue, module) => {
  const SOURCE = `
    self.onmessage = ({ data }) => {
      if (data.module !== undefined) {
        wasm_bindgen.initSync({ module: data.module });
        self.postMessage({ ready: true });
        return;
      }
      const { id, buffer } = data;
      let hasher;
      try {
        hasher = new wasm_bindgen.Hasher();
        hasher.update(new Uint8Array(buffer));
        self.postMessage({ id, buffer, digest: hasher.digest() }, [buffer]);
      } catch (error) {
        self.postMessage({ id, buffer, error: String(error) }, [buffer]);
      } finally {
        if (hasher !== undefined) hasher.free();
      }
    };
  `;
  let worker; // undefined: not started; null: none, ever
  let ready = false;
  let starting;
  let hashed = 0;
  let next = 0;
  const waiting = new Map(); // message id -> resolve
  let readied = () => {};
  const stop = () => {
    if (worker) worker.terminate();
    worker = null;
    ready = false;
    readied(false);
    for (const resolve of waiting.values()) resolve(null);
    waiting.clear();
  };
  const start = () => {
    if (starting !== undefined) return starting;
    starting = new Promise((resolve) => {
      readied = resolve;
    });
    if (typeof Worker === "undefined") {
      stop();
      return starting;
    }
    try {
      const url = URL.createObjectURL(new Blob([glue, SOURCE], { type: "text/javascript" }));
      worker = new Worker(url);
      worker.onmessage = ({ data }) => {
        if (data.ready) {
          ready = true;
          readied(true);
          return;
        }
        const resolve = waiting.get(data.id);
        waiting.delete(data.id);
        const bytes = new Uint8Array(data.buffer);
        if (data.digest === undefined) {
          resolve({ bytes });
        } else {
          hashed += 1;
          resolve({ bytes, digest: data.digest });
        }
      };
      worker.onerror = worker.onmessageerror = stop;
      worker.postMessage({ module });
    } catch {
      stop();
    }
    return starting;
  };
  return {
    start,
    digest(bytes) {
      const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      if (!ready || !whole) return Promise.resolve({ bytes });
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        worker.postMessage({ id, buffer: bytes.buffer }, [bytes.buffer]);
      });
    },
    get hashed() {
      return hashed;
    },
  };
})
"""


class WasmHasher:
    """The wasm module's incremental blake3 hash, with Python bytes-likes in."""

    def __init__(self, hasher: JsProxy) -> None:
        """Wraps a JS `Hasher`."""
        self._hasher = hasher

    def update(self, data: bytes | memoryview) -> None:
        """Feeds a bytes-like object (copied into the module)."""
        self._hasher.update(to_js(memoryview(data).cast("B")))

    def digest(self) -> bytes:
        """The 32-byte digest of everything fed."""
        return bytes(self._hasher.digest().to_py())


@contextmanager
def _core_errors() -> Iterator[None]:
    """Raises the core's errors as ``ValueError``, as the native module ``_core`` does."""
    try:
        yield
    except JsException as error:
        raise ValueError(error.message) from None


def _js_object(value: object) -> JsProxy:
    """A Python dict/list as a plain JS object/array (not a JS Map)."""
    return cast("JsProxy", to_js(value, dict_converter=Object.fromEntries))


class WasmHistory:
    """The wasm module's history graph, with Python dicts in and out."""

    def __init__(self, history: JsProxy) -> None:
        """Wraps a JS `History`."""
        self._history = history

    @property
    def proxy(self) -> JsProxy:
        """The JS `History` (for the checkpoint writer)."""
        return self._history

    def record_cell(self, record: CellRecordDict) -> int:
        """Records one cell execution; returns its id."""
        with _core_errors():
            return int(self._history.recordCell(_js_object(record)))

    def record_cells(self, records: list[CellRecordDict]) -> None:
        """Records cell executions in order (one conversion for the batch)."""
        with _core_errors():
            self._history.recordCells(_js_object(records))

    def set_groups(self, specs: list[GroupSpecDict]) -> None:
        """Replaces the co-variable grouping of the live namespace."""
        with _core_errors():
            self._history.setGroups(_js_object(specs))

    def plan(
        self,
        mode: PlanMode,
        model: CostModelDict | None = None,
        avoid_rerun: list[int] | None = None,
    ) -> PlanDict:
        """Plans a checkpoint of the grouped live namespace."""
        js_model = None if model is None else _js_object(model)
        js_avoid = None if avoid_rerun is None else to_js(avoid_rerun)
        with _core_errors():
            return cast("PlanDict", self._history.plan(mode, js_model, js_avoid).to_py())

    def cell_codes(self) -> list[str]:
        """The recorded cells' code, by cell id (the index)."""
        return [str(code) for code in self._history.cellCodes()]

    def live_names(self) -> list[str]:
        """The live variable names, sorted."""
        return [str(name) for name in self._history.liveNames()]

    def unrestorable_names(self) -> list[str]:
        """Live variables no plan can restore (not serializable, made outside any cell)."""
        return [str(name) for name in self._history.unrestorableNames()]

    def copy(self) -> WasmHistory:
        """An independent copy."""
        return WasmHistory(self._history.copy())

    def to_mermaid(self) -> str:
        """The graph as Mermaid text."""
        return str(self._history.toMermaid())


class _WasmWriterSteps:
    """The steps both wasm writers take alike: groups and blobs of the JS `_writer`."""

    _writer: JsProxy

    def begin_group(self, group: int, serializer: Serializer) -> None:
        """Starts the blobs of one stored group."""
        with _core_errors():
            self._writer.beginGroup(group, serializer)

    def begin_blob(self) -> None:
        """Starts a blob."""
        with _core_errors():
            self._writer.beginBlob()

    def end_blob(self) -> None:
        """Ends the open blob."""
        with _core_errors():
            self._writer.endBlob()

    def end_group(self) -> None:
        """Ends the open group."""
        with _core_errors():
            self._writer.endGroup()


class WasmCheckpointWriter(_WasmWriterSteps):
    """A checkpoint file written atomically through the wasm writer.

    The wasm writer frames and hashes into its memory; after every piece its bytes move
    to a temp file beside the target, so memory stays bounded by one piece. `finish`
    syncs the temp file, verifies it and renames it over the target; `abort` removes it.
    """

    def __init__(self, exports: JsProxy, path: str | PathLike[str]) -> None:
        """Starts a temp file beside `path`."""
        self._target = Path(path)
        self._exports = exports
        with _core_errors():
            self._writer = exports.CheckpointWriter.new()
        self._file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by finish/abort
            dir=self._target.parent, prefix=f".{self._target.name}.", suffix=".tmp", delete=False
        )

    def _drain(self) -> None:
        self._file.write(self._writer.takeBytes().to_bytes())

    def write(self, data: memoryview) -> None:
        """Appends bytes to the open blob (copied into the module once)."""
        with _core_errors():
            self._writer.write(to_js(memoryview(data).cast("B")))
        self._drain()

    def end_blob(self) -> None:
        """Ends the open blob."""
        super().end_blob()
        self._drain()

    def finish(self, history: WasmHistory, head: CheckpointHeadDict) -> VerifyReportDict:
        """Writes the manifest, syncs, verifies the file and renames it into place."""
        with _core_errors():
            finished = self._writer.finish(history.proxy, _js_object(head))
        self._file.write(finished.bytes.to_bytes())
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        temp = Path(self._file.name)
        try:
            with _core_errors():
                report = self._exports.verifyCheckpoint(to_js(temp.read_bytes())).to_py()
            temp.replace(self._target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return cast("VerifyReportDict", report)

    def abort(self) -> None:
        """Removes the temp file; any previous file at the target is untouched."""
        self._file.close()
        Path(self._file.name).unlink(missing_ok=True)


class WasmCheckpointReader:
    """A checkpoint file read into the wasm reader (header, manifest, root checked)."""

    def __init__(self, exports: JsProxy, path: str | PathLike[str]) -> None:
        """Reads and opens `path`."""
        data = to_js(Path(path).read_bytes())
        with _core_errors():
            self._reader = exports.CheckpointReader.new(data)

    def summary(self) -> CheckpointSummaryDict:
        """What ``inspect`` shows."""
        return cast("CheckpointSummaryDict", self._reader.summary().to_py())

    def restore_steps(self) -> list[RestoreStepDict]:
        """The planned restore, step by step."""
        return cast("list[RestoreStepDict]", self._reader.restoreSteps().to_py())

    def fallback_steps(self, failed: list[int]) -> list[RestoreStepDict]:
        """The restore steps when the stored groups `failed` cannot be loaded."""
        with _core_errors():
            steps = self._reader.fallbackSteps(to_js(failed))
        return cast("list[RestoreStepDict]", steps.to_py())

    def read_blob(self, group: int, index: int) -> bytearray:
        """A verified blob of a stored group, writable."""
        with _core_errors():
            blob = self._reader.readBlob(group, index)
        # One copy, from the JS array straight into the bytearray.
        out = bytearray(blob.length)
        blob.assign_to(out)
        return out

    def history(self) -> WasmHistory:
        """The session's history, to continue recording after a restore."""
        return WasmHistory(self._reader.history())

    @property
    def root(self) -> str:
        """The root hash (hex)."""
        return str(self._reader.root)

    def verify(self) -> VerifyReportDict:
        """Verifies every chunk; raises ValueError naming what is wrong."""
        with _core_errors():
            return cast("VerifyReportDict", self._reader.verify().to_py())

    def store_layout(self) -> StoreLayoutDict:
        """Where its parts lie in the file, for a content-addressed store."""
        return cast("StoreLayoutDict", self._reader.storeLayout().to_py())


class WasmCore:
    """The wasm module's exports, with Python values in and out."""

    def __init__(self, exports: JsProxy, module: JsProxy, glue: str) -> None:
        """Wraps the exports of an instantiated module; its compiled module and glue."""
        self._exports = exports
        self._module = module
        self._glue = glue
        self._chunk_hasher: JsProxy | None = None

    @property
    def exports(self) -> JsProxy:
        """The module's exports (for the browser's store)."""
        return self._exports

    def chunk_hasher(self) -> JsProxy:
        """The store's hasher of chunks in a worker (`_CHUNK_HASHER`); a restore starts it."""
        if self._chunk_hasher is None:
            self._chunk_hasher = cast("JsProxy", run_js(_CHUNK_HASHER)(self._glue, self._module))
        return self._chunk_hasher

    def version(self) -> str:
        """The version of the core."""
        return str(self._exports.version())

    def file_readers(self) -> list[str]:
        """The last names of calls that read files."""
        return [str(name) for name in self._exports.fileReaders()]

    def analyze(self, code: str) -> CellAnalysisDict:
        """The analysis of one cell as the core's dict."""
        return cast("CellAnalysisDict", self._exports.analyze(code).to_py())

    # Named like `_core.Hasher` (a class there) so both hosts fit `core.Backend`.
    def Hasher(self) -> WasmHasher:
        """A new incremental blake3 hash."""
        return WasmHasher(self._exports.Hasher.new())

    # Named like `_core.History` (a class there) so both hosts fit `core.Backend`.
    def History(self) -> WasmHistory:
        """A new, empty history."""
        return WasmHistory(self._exports.History.new())

    # Named like `_core.CheckpointWriter`.
    def CheckpointWriter(self, path: str | PathLike[str]) -> WasmCheckpointWriter:
        """Starts writing a checkpoint that replaces `path` atomically."""
        return WasmCheckpointWriter(self._exports, path)

    # Named like `_core.CheckpointReader`.
    def CheckpointReader(self, path: str | PathLike[str]) -> WasmCheckpointReader:
        """Opens a checkpoint file; raises ValueError if it is not an intact checkpoint."""
        return WasmCheckpointReader(self._exports, path)

    def verify_checkpoint(self, path: str | PathLike[str]) -> VerifyReportDict:
        """Fully verifies a checkpoint file; raises ValueError naming what is wrong."""
        data = to_js(Path(path).read_bytes())
        with _core_errors():
            return cast("VerifyReportDict", self._exports.verifyCheckpoint(data).to_py())

    def inspect_checkpoint(self, path: str | PathLike[str]) -> CheckpointSummaryDict:
        """What ``elastic-notebook inspect`` shows; raises ValueError if damaged."""
        data = to_js(Path(path).read_bytes())
        with _core_errors():
            reader = self._exports.CheckpointReader.new(data)
            try:
                reader.verify()
                return cast("CheckpointSummaryDict", reader.summary().to_py())
            finally:
                reader.free()


def load() -> WasmCore:
    """Instantiates the wasm core from the package data, synchronously."""
    # A plain path, not importlib.resources: the package is always unpacked on Pyodide's
    # file system, and importing importlib.resources there costs over 100 ms.
    data = Path(__file__).parent.parent / "_wasm"
    glue = (data / GLUE).read_text(encoding="utf-8")
    wasm = (data / WASM).read_bytes()
    instantiate = run_js(glue + _INSTANTIATE)
    instance = instantiate(to_js(wasm))
    return WasmCore(instance.exports, instance.module, glue)


def run_until_done(coroutine: Coroutine[Any, Any, Any]) -> object:
    """Runs `coroutine` (a re-run cell's top-level awaits) to its end, from synchronous code.

    With ``run_sync`` (WebAssembly stack switching, as IndexedDB's waits); where this
    Pyodide has none (Node, a browser without JSPI), raises RuntimeError saying so.
    """
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        coroutine.close()  # never run: no "was never awaited" warning on top of the error
        raise RuntimeError(
            "the cell awaits at its top level, and this Pyodide cannot wait from a restore "
            "(no WebAssembly stack switching; JupyterLite in Chromium has it)"
        )
    return run_sync(coroutine)


# The checkpoint store in IndexedDB (database "elastic-notebook"): `chunks` (bytes by
# their blake3 hex), `checkpoints` (records by id), `names` (a name's latest id) and
# `pending` (claims: one per chunk a checkpoint being stored has put). A checkpoint's
# chunks go, each with its claim, in batch transactions committed while the next chunks
# are hashed. The record, its name and the removal of its claims go in ONE final readwrite
# transaction, after checking that every chunk the record names is there: a record is
# visible only with all its chunks. A failed or abandoned checkpoint deletes what it put;
# a tab closed mid-checkpoint leaves claims, whose chunks a later checkpoint deletes once
# they are stale. All with strict durability. A function of the core's exports (its
# hasher) and of the hasher of chunks read back (`_CHUNK_HASHER`).
_IDB_STORE = """
((core, chunkHasher) => {
  const NAME = "elastic-notebook";
  // 2 added `pending`.
  const VERSION = 2;
  // Chunk bytes per batch transaction: each commits (with its fsync) while the kernel
  // hashes the next; the last one's commit is all a checkpoint waits for after its chunks.
  const BATCH_BYTES = 24 << 20;
  // A checkpoint whose newest claim is this old will never finish (its tab closed): a
  // live one makes a claim with every chunk it puts, milliseconds apart (its values are
  // serialized before the first). Ten minutes: a tab closed mid-checkpoint holds its
  // chunks' space no longer than that plus the next checkpoint; one that slept longer
  // (a laptop's lid closed mid-checkpoint) finds a chunk gone at its commit and is
  // refused whole.
  const STALE_MS = 10 * 60 * 1000;
  let opening;
  // Every rejection is a plain Error with the original name and message (Chromium's
  // QuotaExceededError is a DOMException subclass that Pyodide cannot raise: waiting on
  // it wedges the kernel), and every promise Python waits for is `settled`: it resolves
  // to `{ ok: true, value }` or `{ ok: false, name, message }` and never rejects, because
  // JupyterLite's kernel shows a rejection `run_sync` raises as a second error output
  // even when Python handles it.
  const plain = (error, otherwise) => {
    const out = new Error((error && error.message) || otherwise);
    out.name = (error && error.name) || "Error";
    return out;
  };
  const settled = (promise) =>
    promise.then(
      (value) => ({ ok: true, value }),
      (error) => ({
        ok: false,
        name: (error && error.name) || "Error",
        message: (error && error.message) || "",
      }),
    );
  const describe = (error) => String((error && error.message) || error);
  // The store's key for `bytes`: their blake3, in hex.
  const keyOf = (bytes) => {
    const hasher = new core.Hasher();
    try {
      hasher.update(bytes);
      return Array.from(hasher.digest(), (b) => b.toString(16).padStart(2, "0")).join("");
    } finally {
      hasher.free();
    }
  };
  // A stored chunk's bytes: Blobs since the store began storing them (`put`), Uint8Arrays
  // in stores written before.
  const bytesOf = async (chunk) =>
    chunk instanceof Blob ? new Uint8Array(await chunk.arrayBuffer()) : chunk;
  const settle = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(plain(request.error, "the request failed"));
    });
  const open = () => {
    if (opening === undefined) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          const has = (store) => db.objectStoreNames.contains(store);
          if (!has("chunks")) db.createObjectStore("chunks");
          if (!has("checkpoints")) db.createObjectStore("checkpoints", { keyPath: "id" });
          if (!has("names")) db.createObjectStore("names", { keyPath: "name" });
          if (!has("pending")) db.createObjectStore("pending", { keyPath: "id" });
        };
        request.onsuccess = () => {
          const db = request.result;
          // A newer version in another tab: let it upgrade; the next call opens anew.
          db.onversionchange = () => {
            db.close();
            opening = undefined;
          };
          resolve(db);
        };
        request.onerror = () => reject(plain(request.error, "the store cannot be opened"));
        // Only an upgrade is blocked: by a tab of this site running an older version.
        request.onblocked = () =>
          reject(
            new Error(
              "another tab of this site holds the store open with an older version of " +
                "elastic-notebook: reload or close that tab, then try again",
            ),
          );
      });
      opening.catch(() => { opening = undefined; });
    }
    return opening;
  };
  const finished = (tx) =>
    new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(plain(tx.error, "the transaction failed"));
      tx.onabort = () => reject(plain(tx.error, "the transaction was aborted"));
    });
  // The chunks named by `entries`: records and claims alike.
  const chunksNamed = (entries) => new Set(entries.flatMap((entry) => entry.chunks));
  // Claims by the checkpoint that made them: how many chunks and bytes they claim, and
  // when the newest was made.
  const bySave = (claims) => {
    const saves = new Map();
    for (const claim of claims) {
      const save = saves.get(claim.save) ?? { chunks: 0, bytes: 0, newestUnixMs: 0 };
      save.chunks += claim.chunks.length;
      save.bytes += claim.bytes ?? 0;
      save.newestUnixMs = Math.max(save.newestUnixMs, claim.touchedUnixMs);
      saves.set(claim.save, save);
    }
    return saves;
  };
  // Checkpoints whose newest claim is older than STALE_MS.
  const staleSaves = (claims) =>
    new Set(
      [...bySave(claims)]
        .filter(([, save]) => Date.now() - save.newestUnixMs > STALE_MS)
        .map(([id]) => id),
    );
  // Deletes, in one transaction, the claims of the checkpoints `dropped(claims)` picks
  // (a Set of their ids) and the chunks they claim that nothing else names: no record,
  // no claim of another checkpoint (which may have stored the same bytes meanwhile).
  const dropClaims = async (db, dropped) => {
    const tx = db.transaction(["chunks", "checkpoints", "pending"], "readwrite", {
      durability: "strict",
    });
    const done = finished(tx);
    const claims = await settle(tx.objectStore("pending").getAll());
    const records = await settle(tx.objectStore("checkpoints").getAll());
    const drop = dropped(claims);
    const needed = chunksNamed([...records, ...claims.filter((c) => !drop.has(c.save))]);
    for (const claim of claims.filter((c) => drop.has(c.save))) {
      tx.objectStore("pending").delete(claim.id);
      for (const hash of claim.chunks) {
        if (!needed.has(hash)) tx.objectStore("chunks").delete(hash);
      }
    }
    await done;
  };
  // Deletes the claims of checkpoints that will never finish (stale) and the chunks only
  // they name. Housekeeping: a failure leaves them for the next checkpoint.
  const sweep = async (db) => {
    const claims = await settle(db.transaction("pending").objectStore("pending").getAll());
    if (staleSaves(claims).size === 0) return;
    await dropClaims(db, staleSaves);
  };
  const store = {
    // The open database and the hashes of every chunk it holds (after a sweep).
    async prepare() {
      const db = await open();
      await sweep(db).catch(() => {});
      const keys = await settle(db.transaction("chunks").objectStore("chunks").getAllKeys());
      return { db, held: new Set(keys) };
    },
    // Starts putting one checkpoint into `prepared.db`. Its chunks go into batch
    // transactions, each committed once it holds BATCH_BYTES (IndexedDB would commit it
    // only when the kernel's task returns to the event loop, at the final wait), so the
    // browser writes one batch while the kernel hashes the next; nothing waits until
    // `commit`, whose transaction alone makes the checkpoint visible.
    begin(prepared) {
      const { db } = prepared;
      // This checkpoint, as its claims name it: one claim per chunk it puts, in the
      // chunk's transaction, so a committed chunk is always named by a record or a claim,
      // whenever its transaction commits (a batch also commits by itself if the kernel
      // returns to the event loop). The record replaces them; a sweep deletes them and
      // their chunks once stale (the tab closed mid-checkpoint).
      const save = `${Date.now()}-${Math.random().toString(16).slice(2)}`;
      const claimOf = (hash) => `${save}:${hash}`;
      const batches = []; // every batch transaction, committed or committing
      let batch; // the open one: { tx, chunks, claims, bytes, done }
      // Chunks put by this checkpoint, and chunks left out because the store held them
      // when `prepare` looked (another tab may delete one before this commits).
      const written = new Set();
      const skipped = new Set();
      // Bytes of the chunks this checkpoint put.
      let added = 0;
      let outcome; // the promise of `commit` or `abort`: either runs once
      // Commits the open batch now, without waiting for the kernel's task to end.
      const close = () => {
        if (typeof batch.tx.commit === "function") batch.tx.commit();
        batch = undefined;
      };
      const openBatch = () => {
        const tx = db.transaction(["chunks", "pending"], "readwrite", { durability: "strict" });
        const done = finished(tx);
        done.catch(() => {}); // seen by `commit`; an aborted batch is no unhandled rejection
        const [chunks, claims] = [tx.objectStore("chunks"), tx.objectStore("pending")];
        batch = { tx, chunks, claims, bytes: 0, done };
        batches.push(batch);
      };
      // Puts a chunk unless the store holds it. A chunk is stored as a Blob: IndexedDB
      // keeps it as a file and reads it back at disk speed, where a Uint8Array is
      // deserialized (and compressed) by the database itself: 3x slower to read here.
      const put = (hash, bytes) => {
        if (written.has(hash)) return;
        if (prepared.held.has(hash)) {
          skipped.add(hash);
          return;
        }
        const claim = {
          id: claimOf(hash),
          save,
          touchedUnixMs: Date.now(),
          chunks: [hash],
          bytes: bytes.byteLength,
        };
        const into = (open) => {
          open.chunks.put(new Blob([bytes]), hash);
          open.claims.put(claim);
        };
        try {
          if (batch === undefined) openBatch();
          try {
            into(batch);
          } catch (error) {
            // The open batch committed by itself (the kernel returned to the event loop
            // since its last put): the chunk goes into a new one.
            if (error.name !== "TransactionInactiveError" || batch.bytes === 0) throw error;
            openBatch();
            into(batch);
          }
        } catch (error) {
          throw plain(error, "the chunk was refused");
        }
        written.add(hash);
        added += bytes.byteLength;
        batch.bytes += bytes.byteLength;
        if (batch.bytes >= BATCH_BYTES) close();
      };
      // After a failure: the chunks this checkpoint put go (those no record or other
      // claim names), with its claims: every chunk a batch committed has its claim in
      // the same transaction. Ordered after every batch, as IndexedDB runs readwrite
      // transactions over the same stores in the order they were made.
      const discard = async () => {
        if (batch !== undefined) {
          try {
            batch.tx.abort();
          } catch {
            // Already committing or aborted: its chunks are discarded below.
          }
          batch = undefined;
        }
        if (batches.length === 0) return;
        await Promise.allSettled(batches.map((b) => b.done));
        await dropClaims(db, () => new Set([save]));
      };
      return {
        get newBytes() {
          return added;
        },
        // Hashes one chunk with the core's store writer and puts it, straight from
        // Python's memory: `data` is a PyProxy of a contiguous Python buffer, read through
        // a view of Pyodide's heap (no copy out of it first). Nothing runs in Python
        // during this call, so the heap cannot grow and detach the view; the core and the
        // Blob copy the bytes before it returns.
        write(writer, data) {
          const buffer = data.getBuffer("u8");
          try {
            if (!buffer.c_contiguous) throw new Error("a chunk must be one contiguous buffer");
            const view = buffer.data;
            put(writer.writeChunk(view), view);
          } finally {
            buffer.release();
          }
        },
        // Waits for every batch; then, in one transaction, checks that every chunk the
        // record names is there (a batch's, or one left out because the store held it:
        // another tab may have deleted it meanwhile), and puts the record and its name in
        // place of its claims. Only this transaction makes the checkpoint visible.
        commit(record) {
          if (outcome !== undefined) return outcome;
          if (batch !== undefined) close();
          let refused;
          const committing = async () => {
            await Promise.all(batches.map((b) => b.done));
            const tx = db.transaction(
              ["chunks", "checkpoints", "names", "pending"],
              "readwrite",
              { durability: "strict" },
            );
            const done = finished(tx);
            done.catch(() => {}); // seen below, after the checks' requests are issued
            const chunks = tx.objectStore("chunks");
            const write = () => {
              tx.objectStore("checkpoints").put(record);
              tx.objectStore("names").put({ name: record.name, id: record.id });
              for (const hash of written) tx.objectStore("pending").delete(claimOf(hash));
            };
            const needed = [...skipped, ...written];
            let left = needed.length;
            if (left === 0) write();
            for (const hash of needed) {
              const request = chunks.getKey(hash);
              request.onsuccess = () => {
                if (refused !== undefined) return;
                if (request.result === undefined) {
                  const whose = skipped.has(hash)
                    ? "shared with an earlier checkpoint"
                    : "stored by this one";
                  refused = new Error(
                    `chunk ${hash.slice(0, 12)}, ${whose}, was deleted meanwhile: ` +
                      "take the checkpoint again",
                  );
                  refused.name = "ChunkDeletedError";
                  tx.abort();
                } else if (--left === 0) {
                  write();
                }
              };
            }
            await done;
          };
          outcome = settled(
            committing().catch(async (error) => {
              await discard().catch(() => {});
              throw refused ?? plain(error, "the record was refused");
            }),
          );
          return outcome;
        },
        // Abandons the checkpoint: nothing of it stays (the batches already committed
        // are discarded).
        abort() {
          if (outcome === undefined) outcome = settled(discard());
          return outcome;
        },
      };
    },
    // Deletes the checkpoints `ids` in one transaction: their records; each name that
    // pointed at one points at its newest remaining checkpoint, or goes; the chunks no
    // remaining checkpoint names go. Returns the bytes freed (chunks and frames).
    async remove(ids) {
      const tx = (await open()).transaction(
        ["chunks", "checkpoints", "names", "pending"],
        "readwrite",
        { durability: "strict" },
      );
      const done = finished(tx);
      const records = tx.objectStore("checkpoints");
      const chunks = tx.objectStore("chunks");
      const names = tx.objectStore("names");
      // Awaiting a request's promise resumes inside its success event, while the
      // transaction is still active.
      const all = await settle(records.getAll());
      const pointers = await settle(names.getAll());
      const claims = await settle(tx.objectStore("pending").getAll());
      const gone = new Set(ids);
      const kept = all.filter((r) => !gone.has(r.id));
      // Kept: chunks of the remaining checkpoints, and of those being stored.
      const needed = chunksNamed([...kept, ...claims]);
      const freed = new Map();
      let frames = 0;
      for (const record of all.filter((r) => gone.has(r.id))) {
        records.delete(record.id);
        frames += record.head.length + record.tail.length;
        record.chunks.forEach((hash, i) => {
          if (!needed.has(hash)) freed.set(hash, record.chunkBytes[i]);
        });
      }
      for (const hash of freed.keys()) chunks.delete(hash);
      for (const pointer of pointers.filter((p) => gone.has(p.id))) {
        const newest = kept
          .filter((r) => r.name === pointer.name)
          .sort((a, b) => b.storedUnixMs - a.storedUnixMs)[0];
        if (newest === undefined) names.delete(pointer.name);
        else names.put({ name: pointer.name, id: newest.id });
      }
      await done;
      return frames + [...freed.values()].reduce((sum, bytes) => sum + bytes, 0);
    },
    async records() {
      const tx = (await open()).transaction("checkpoints");
      return settle(tx.objectStore("checkpoints").getAll());
    },
    // The record of the checkpoint `id`, or undefined: one read, where `records` reads
    // every checkpoint's frame.
    async record(id) {
      const tx = (await open()).transaction("checkpoints");
      return settle(tx.objectStore("checkpoints").get(id));
    },
    // The checkpoints being stored (in another tab) or left unfinished (a tab closed
    // mid-checkpoint), from their claims: chunks and bytes claimed, the newest claim's
    // time, and when a checkpoint may delete them.
    async unfinished() {
      const tx = (await open()).transaction("pending");
      const claims = await settle(tx.objectStore("pending").getAll());
      return [...bySave(claims).values()].map((save) => ({
        ...save,
        sweptFromUnixMs: save.newestUnixMs + STALE_MS,
      }));
    },
    async latest(name) {
      const tx = (await open()).transaction("names");
      const entry = await settle(tx.objectStore("names").get(name));
      return entry === undefined ? undefined : entry.id;
    },
    // The chunks `hashes` as Uint8Arrays; raises if one is not in the store.
    async chunks(hashes) {
      const store = (await open()).transaction("chunks").objectStore("chunks");
      const found = await Promise.all(hashes.map((hash) => settle(store.get(hash))));
      const lost = hashes.filter((_, i) => found[i] === undefined);
      if (lost.length) throw new Error(`chunks not in the store: ${lost.join(", ")}`);
      return Promise.all(found.map(bytesOf));
    },
    // The chunks `hashes`, numbered `indices` in their checkpoint, each checked by the
    // core's reader as soon as it arrives, hashed in the chunk hasher's worker
    // (`checkChunkDigest`; here with `checkChunk` when it has none), so that hashing one
    // overlaps reading the next and copying the ones before into Python. Each is its
    // bytes, or a message saying why it cannot be used (damaged, missing, unreadable):
    // nothing unchecked is handed out, and one bad chunk fails only the blob that needs it.
    //
    // With `heal` (a restore), a chunk whose bytes are not those of its key is deleted
    // from the store: a checkpoint would otherwise keep naming the damaged copy it holds
    // (it puts only chunks the store lacks), and one of the same values now stores it
    // anew, which makes every checkpoint naming it whole again. Only then: a chunk that
    // fails its checkpoint's check but matches its key is left alone.
    async checkedChunks(reader, indices, hashes, heal) {
      const store = (await open()).transaction("chunks").objectStore("chunks");
      const damaged = []; // positions of chunks whose bytes are not their key's
      // Every get is issued before the first wait, while the transaction is active.
      const checked = await Promise.all(
        hashes.map(async (hash, i) => {
          // The chunk's bytes from `chunks`, or undefined if it is not there. The get is
          // issued at once (before any wait).
          const read = async (chunks) => {
            const found = await settle(chunks.get(hash));
            return found === undefined ? undefined : bytesOf(found);
          };
          let chunk;
          let digest;
          try {
            const bytes = await read(store);
            let hashed = bytes === undefined ? undefined : await chunkHasher.digest(bytes);
            if (hashed === null) {
              // The worker died holding the bytes: read them again, to hash here.
              const again = await read((await open()).transaction("chunks").objectStore("chunks"));
              hashed = again === undefined ? undefined : { bytes: again };
            }
            if (hashed === undefined) return `chunk ${indices[i]} is not in the store`;
            ({ bytes: chunk, digest } = hashed);
          } catch (error) {
            return `chunk ${indices[i]} cannot be read from the store: ${describe(error)}`;
          }
          try {
            if (digest === undefined) reader.checkChunk(indices[i], chunk);
            else reader.checkChunkDigest(indices[i], chunk.length, digest);
          } catch (error) {
            if (heal && keyOf(chunk) !== hash) damaged.push(i);
            return describe(error);
          }
          return chunk;
        }),
      );
      if (damaged.length > 0) {
        const removing = (await open()).transaction("chunks", "readwrite", {
          durability: "strict",
        });
        const removed = finished(removing);
        for (const i of damaged) removing.objectStore("chunks").delete(hashes[i]);
        try {
          await removed;
          for (const i of damaged) {
            checked[i] +=
              "; deleted from the store, so the next checkpoint of the same values stores " +
              "it again";
          }
        } catch {
          // Left in the store: the messages say only what is wrong with it.
        }
      }
      return checked;
    },
  };
  return {
    prepare: () => settled(store.prepare()),
    begin: (prepared) => store.begin(prepared),
    remove: (ids) => settled(store.remove(ids)),
    records: () => settled(store.records()),
    record: (id) => settled(store.record(id)),
    unfinished: () => settled(store.unfinished()),
    latest: (name) => settled(store.latest(name)),
    chunks: (hashes) => settled(store.chunks(hashes)),
    // Started now, waited for later or never (a read ahead the restore did not need).
    checkedChunks: (reader, indices, hashes, heal) =>
      settled(store.checkedChunks(reader, indices, hashes, heal)),
  };
})
"""


class IndexedDbStore:
    """The browser's checkpoint store (`store.CheckpointStore`) in IndexedDB.

    IndexedDB is asynchronous; the kernel waits for it with ``run_sync`` (JSPI), which
    JupyterLite's kernel has and Node does not.
    """

    def __init__(self, core: WasmCore) -> None:
        """Opens the store's JS side; raises `CheckpointError` where it cannot work."""
        from pyodide.ffi import can_run_sync

        from elastic_notebook.checkpoint import CheckpointError

        if not can_run_sync() or not hasattr(js, "indexedDB"):
            raise CheckpointError(
                "idb:// needs a browser kernel with IndexedDB that can wait for it "
                "(JupyterLite); write a file instead: %checkpoint PATH"
            )
        self.exports = core.exports
        self._chunk_hasher = core.chunk_hasher()
        self._store = run_js(_IDB_STORE)(core.exports, self._chunk_hasher)

    def wait(
        self,
        promise: JsProxy,
        refused: str = "the browser's store refused",
        unchanged: str = "nothing was changed",
    ) -> object:
        """Waits for a settled promise of the store; raises `CheckpointError` if it failed."""
        from pyodide.ffi import run_sync

        from elastic_notebook.checkpoint import CheckpointError

        outcome = cast("JsProxy", run_sync(promise))
        if not outcome.ok:
            name = str(outcome.name)
            reason = _refusal(name, str(outcome.message))
            if name == "QuotaExceededError":
                reason += self._unfinished_space()
            raise CheckpointError(
                f"{refused}: {reason} ({unchanged}: earlier checkpoints are intact)"
            )
        return outcome.value

    def _unfinished_space(self) -> str:
        """The space unfinished checkpoints hold, after "; " (empty if none or unknown)."""
        from elastic_notebook.checkpoint import CheckpointError
        from elastic_notebook.store import unfinished_space

        try:
            held = unfinished_space(self.unfinished())
        except CheckpointError:
            return ""  # the store cannot say: the refusal alone is the message
        return "" if held is None else f"; {held}"

    def checkpoint_writer(self, name: str) -> IndexedDbCheckpointWriter:
        """A writer whose checkpoint becomes visible under `name` in one transaction."""
        prepared = cast("JsProxy", self.wait(self._store.prepare()))
        return IndexedDbCheckpointWriter(self, self._store.begin(prepared), name)

    def checkpoint_reader(self, record: StoreRecord) -> StoredCheckpointReader:
        """Opens a stored checkpoint from its frame; chunks are read when needed.

        Starts the worker that hashes the chunks (not waited for: until it is ready,
        chunks are hashed on this thread); a checkpoint's writes never need it.
        """
        self._chunk_hasher.start()
        return StoredCheckpointReader(self.exports, self, record)

    def records(self) -> list[StoreRecord]:
        """Every checkpoint in the store."""
        found = cast("JsProxy", self.wait(self._store.records()))
        return [_store_record(entry) for entry in found]

    def unfinished(self) -> list[UnfinishedCheckpoint]:
        """The checkpoints being stored or left unfinished, from their claims."""
        found = cast("JsProxy", self.wait(self._store.unfinished()))
        return [cast("UnfinishedCheckpoint", entry.to_py()) for entry in found]

    def record(self, checkpoint_id: str) -> StoreRecord | None:
        """The checkpoint `checkpoint_id`'s record, if the store holds it."""
        found = self.wait(self._store.record(checkpoint_id))
        return None if found is None else _store_record(cast("JsProxy", found))

    def latest(self, name: str) -> str | None:
        """The id of the checkpoint `name` points at, if any."""
        found = self.wait(self._store.latest(name))
        return None if found is None else str(found)

    def chunks(self, hashes: list[str]) -> list[bytes]:
        """The bytes stored under each of `hashes`, read in one transaction."""
        found = cast("JsProxy", self.wait(self._store.chunks(to_js(hashes))))
        return [bytes(chunk.to_bytes()) for chunk in found]

    def remove(self, ids: list[str]) -> int:
        """Deletes the checkpoints `ids` and the chunks only they named; bytes freed."""
        return int(cast("int", self.wait(self._store.remove(to_js(ids)))))

    def read_ahead(
        self, reader: JsProxy, indices: list[int], hashes: list[str], *, heal: bool = False
    ) -> JsProxy:
        """Starts reading the chunks `hashes`, each checked by `reader` as it arrives.

        `indices` are their numbers in `reader`'s checkpoint. `wait` gives them: each a
        Uint8Array, or a message saying why it cannot be used: damaged, missing or
        unreadable. With `heal`, a chunk whose bytes do not hash to its key is deleted
        from the store (a restore's reads: the next checkpoint then stores it again).
        """
        return cast(
            "JsProxy", self._store.checkedChunks(reader, to_js(indices), to_js(hashes), heal)
        )


class IndexedDbCheckpointWriter(_WasmWriterSteps):
    """A checkpoint put into the store as it is written (`core.StoreWriterHandle`).

    The core's store writer hashes each chunk and keeps only the frame; each chunk the
    store lacks is put at once, straight from the copy that left Python's memory, into
    the open batch transaction, which commits (without a wait here) once it holds
    `BATCH_BYTES`. `finish` waits for the batches and commits the record in a last
    transaction: until then, nothing of this checkpoint is visible.
    """

    def __init__(self, store: IndexedDbStore, putting: JsProxy, name: str) -> None:
        """Starts a checkpoint under `name`, put by the store's writer `putting`."""
        self._store = store
        self._putting = putting
        self._name = name
        with _core_errors():
            self._writer = store.exports.CheckpointWriter.forStore()
        self.chunk_size = int(self._writer.chunkSize)
        self._frame_bytes = 0

    @property
    def new_bytes(self) -> int:
        """Bytes this checkpoint adds to the store: the chunks it put, and its frame.

        The store held the other chunks; the frame (header and manifest) is new every
        time, and counted once the checkpoint is finished.
        """
        return int(self._putting.newBytes) + self._frame_bytes

    def write(self, data: memoryview) -> None:
        """Adds one chunk of the open blob (the chunk size, or less as its last).

        The core hashes it and the store puts it, both reading Python's memory in place.
        """
        with _core_errors():
            self._putting.write(self._writer, memoryview(data).cast("B"))

    def finish(self, history: WasmHistory, head: CheckpointHeadDict) -> VerifyReportDict:
        """Writes the frame and commits the checkpoint; raises if the store refuses."""
        import time

        with _core_errors():
            finished = self._writer.finish(history.proxy, _js_object(head))
        frame = finished.bytes.to_bytes()
        layout = cast("StoreLayoutDict", finished.layout.to_py())
        self._frame_bytes = len(frame)
        record: StoreRecord = {
            "id": layout["root"],
            "name": self._name,
            "createdUnixMs": layout["createdUnixMs"],
            "storedUnixMs": int(time.time() * 1000),
            "parent": layout.get("parent"),
            "fileBytes": layout["fileLen"],
            "newBytes": self.new_bytes,
            "head": frame[:16],
            "tail": frame[16:],
            "chunks": [chunk["hash"] for chunk in layout["chunks"]],
            "chunkBytes": [chunk["len"] for chunk in layout["chunks"]],
        }
        self._store.wait(
            self._putting.commit(_js_object(dict(record))),
            refused=f"the browser's store refused idb://{self._name}",
            unchanged="nothing of it was stored",
        )
        return {
            "root": layout["root"],
            "fileLen": layout["fileLen"],
            "chunks": len(layout["chunks"]),
            "blobBytes": sum(chunk["len"] for chunk in layout["chunks"]),
        }

    def abort(self) -> None:
        """Abandons the checkpoint: deletes what its batches stored, and waits for that.

        If the deletion fails, the checkpoint's claims go stale and a later checkpoint
        deletes its chunks (`STALE_MS`); nothing of it is ever visible.
        """
        from elastic_notebook.checkpoint import CheckpointError

        with suppress(CheckpointError):
            self._store.wait(self._putting.abort())


#: Batches of chunks a restore from the store reads at once (the one it needs first).
READ_AHEAD_BATCHES = 4


class StoredCheckpointReader(WasmCheckpointReader):
    """A stored checkpoint opened from its frame (header, manifest, root checked).

    Blobs are put together from chunks read from the store, `CHUNKS_PER_READ` per
    round trip with up to `READ_AHEAD_BATCHES` batches in flight (256 MiB of 8 MiB
    chunks), in the order the restore will ask for them (its load steps' order, which
    is not the file's when a group was stored after cells that a later group needs);
    each chunk is checked against its hash as it arrives, in JavaScript (hashing one
    overlaps reading the next), before a byte of it reaches Python.
    """

    def __init__(self, exports: JsProxy, store: IndexedDbStore, record: StoreRecord) -> None:
        """Opens `record`'s frame; raises ValueError if it is damaged."""
        from elastic_notebook.store import CHUNKS_PER_READ

        with _core_errors():
            self._reader = exports.CheckpointReader.fromFrame(
                to_js(record["head"]), to_js(record["tail"])
            )
        self._store = store
        self._record = record
        self._hashes = record["chunks"]
        self._per_read = CHUNKS_PER_READ
        #: Batches of chunks being read, by batch number: batch n is
        #: ``_order[n * _per_read : (n + 1) * _per_read]``.
        self._reading: dict[int, JsProxy] = {}
        self._batch: tuple[int, list[JsProxy]] | None = None
        #: Every chunk index, in the order they are expected to be asked for; its rank.
        self._order: list[int] = []
        self._rank: dict[int, int] = {}
        #: Whether reads delete chunks proven damaged (a restore's, not a verify's).
        self._heal = True
        self._expect(self._restore_order())

    def _restore_order(self) -> list[int]:
        """The chunks a restore reads, in the order of its load steps."""
        order: list[int] = []
        with _core_errors():
            for step in self.restore_steps():
                if step["kind"] != "load":
                    continue
                for index in range(step["blobs"]):
                    blob = self._reader.blobRef(step["group"], index)
                    first = int(blob.firstChunk)
                    order += range(first, first + int(blob.chunkCount))
        return order

    def _expect(self, order: list[int]) -> None:
        """Reads ahead along `order` (chunk indices; the others after them) from now on."""
        listed = set(order)
        self._order = order + [i for i in range(len(self._hashes)) if i not in listed]
        self._rank = {index: rank for rank, index in enumerate(self._order)}
        self._reading = {}
        self._batch = None

    def read_blob(self, group: int, index: int) -> bytearray:
        """A verified blob of a stored group, writable."""
        with _core_errors():
            blob = self._reader.blobRef(group, index)
        out = bytearray(int(blob.len))
        view = memoryview(out)
        at = 0
        first = int(blob.firstChunk)
        for chunk_index in range(first, first + int(blob.chunkCount)):
            chunk = self._chunk(chunk_index)
            length = int(chunk.length)
            chunk.assign_to(view[at : at + length])
            at += length
        return out

    def verify(self) -> VerifyReportDict:
        """Reads every chunk from the store and checks it against its hash.

        Raises ValueError naming the first damaged, missing or unreadable chunk. (The
        file reader's `verify` reads chunks from the file; a stored frame has none.)
        """
        self._heal = False  # a verify only reads
        self._expect(list(range(len(self._hashes))))
        for index in range(len(self._hashes)):
            self._chunk(index)
        return {
            "root": self.root,
            "fileLen": self._record["fileBytes"],
            "chunks": len(self._hashes),
            "blobBytes": sum(self._record["chunkBytes"]),
        }

    def _chunk(self, index: int) -> JsProxy:
        """Chunk `index`, checked, as a Uint8Array, from its batch (read ahead if it was).

        Raises ValueError if it is damaged, missing or unreadable: a load error of the
        blob, so a restore recomputes its group.
        """
        rank = self._rank[index]
        number = rank // self._per_read
        if self._batch is None or self._batch[0] != number:
            # Reads behind the restore's position are not needed any more; this batch and
            # the next ones are read at once, as IndexedDB serves many reads faster
            # together than one after another.
            self._reading = {n: r for n, r in self._reading.items() if n >= number}
            last = min(number + READ_AHEAD_BATCHES, -(-len(self._order) // self._per_read))
            for ahead in range(number, last):
                if ahead not in self._reading:
                    self._reading[ahead] = self._read(ahead)
            self._batch = None  # let the previous batch go before the next arrives
            reading = self._reading.pop(number)
            self._batch = (number, list(cast("JsProxy", self._store.wait(reading))))
        chunk = self._batch[1][rank - number * self._per_read]
        if isinstance(chunk, str):
            raise ValueError(chunk)
        return chunk

    def _read(self, number: int) -> JsProxy:
        start = number * self._per_read
        indices = self._order[start : start + self._per_read]
        hashes = [self._hashes[index] for index in indices]
        return self._store.read_ahead(self._reader, indices, hashes, heal=self._heal)


def _refusal(name: str, message: str) -> str:
    """What an IndexedDB error means for the user."""
    if name == "QuotaExceededError":
        return (
            "the browser's storage for this site is full (QuotaExceededError). Delete stored "
            "checkpoints (%checkpoints --delete idb://NAME), free space in the browser, or "
            "write a file instead: %checkpoint PATH"
        )
    return f"{name}: {message}" if message else name


def _store_record(entry: JsProxy) -> StoreRecord:
    """A record read from IndexedDB (its byte fields are Uint8Arrays)."""
    data = entry.to_py(depth=1)
    data.update(
        head=entry.head.to_bytes(),
        tail=entry.tail.to_bytes(),
        chunks=list(entry.chunks.to_py()),
        chunkBytes=list(entry.chunkBytes.to_py()),
    )
    return cast("StoreRecord", data)
