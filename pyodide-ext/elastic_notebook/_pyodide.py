"""The Pyodide host of the core: the wasm module, loaded synchronously from package data.

Imported only inside Pyodide (``sys.platform == "emscripten"``). ``scripts/build-wasm``
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
from collections.abc import Iterator
from contextlib import contextmanager
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, cast

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
    from elastic_notebook.store import StoreRecord

GLUE = "elastic_notebook_nomodules.js"
WASM = "elastic_notebook_bg.wasm"

# Evaluates the glue in its own scope; yields a function that instantiates the module
# from its bytes and returns the module's exports.
_INSTANTIATE = """
;(bytes) => {
    wasm_bindgen.initSync({ module: bytes });
    return wasm_bindgen;
}
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

    def set_groups(self, specs: list[GroupSpecDict]) -> None:
        """Replaces the co-variable grouping of the live namespace."""
        with _core_errors():
            self._history.setGroups(_js_object(specs))

    def plan(self, mode: PlanMode, model: CostModelDict | None = None) -> PlanDict:
        """Plans a checkpoint of the grouped live namespace."""
        js_model = None if model is None else _js_object(model)
        with _core_errors():
            return cast("PlanDict", self._history.plan(mode, js_model).to_py())

    def live_names(self) -> list[str]:
        """The live variable names, sorted."""
        return [str(name) for name in self._history.liveNames()]

    def to_mermaid(self) -> str:
        """The graph as Mermaid text."""
        return str(self._history.toMermaid())


class WasmCheckpointWriter:
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

    def begin_group(self, group: int, serializer: Serializer) -> None:
        """Starts the blobs of one stored group."""
        with _core_errors():
            self._writer.beginGroup(group, serializer)

    def begin_blob(self) -> None:
        """Starts a blob."""
        with _core_errors():
            self._writer.beginBlob()

    def write(self, data: memoryview) -> None:
        """Appends bytes to the open blob (copied into the module once)."""
        with _core_errors():
            self._writer.write(to_js(memoryview(data).cast("B")))
        self._drain()

    def end_blob(self) -> None:
        """Ends the open blob."""
        with _core_errors():
            self._writer.endBlob()
        self._drain()

    def end_group(self) -> None:
        """Ends the open group."""
        with _core_errors():
            self._writer.endGroup()

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

    def __init__(self, exports: JsProxy) -> None:
        """Wraps the exports of an instantiated module."""
        self._exports = exports

    def version(self) -> str:
        """The version of the core."""
        return str(self._exports.version())

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
    data = Path(__file__).with_name("_wasm")
    glue = (data / GLUE).read_text(encoding="utf-8")
    wasm = (data / WASM).read_bytes()
    instantiate = run_js(glue + _INSTANTIATE)
    return WasmCore(instantiate(to_js(wasm)))


# The checkpoint store in IndexedDB (database "elastic-notebook"): `chunks` (bytes by
# their blake3 hex), `checkpoints` (records by id) and `names` (a name's latest id). A
# commit writes chunks, record and name in ONE readwrite transaction with strict
# durability: IndexedDB makes all of it visible at once or none of it (a quota error or a
# closed tab aborts the transaction).
_IDB_STORE = """
(() => {
  const NAME = "elastic-notebook";
  const VERSION = 1;
  let opening;
  const settle = (request) =>
    new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  const open = () => {
    if (opening === undefined) {
      opening = new Promise((resolve, reject) => {
        const request = indexedDB.open(NAME, VERSION);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("chunks");
          db.createObjectStore("checkpoints", { keyPath: "id" });
          db.createObjectStore("names", { keyPath: "name" });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
        request.onblocked = () => reject(new Error("the store is blocked by another tab"));
      });
      opening.catch(() => { opening = undefined; });
    }
    return opening;
  };
  const finished = (tx) =>
    new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error || new Error("the transaction was aborted"));
    });
  return {
    async missing(hashes) {
      const store = (await open()).transaction("chunks").objectStore("chunks");
      const keys = await Promise.all(hashes.map((hash) => settle(store.getKey(hash))));
      return hashes.filter((_, i) => keys[i] === undefined);
    },
    async commit(record, chunks) {
      const tx = (await open()).transaction(["chunks", "checkpoints", "names"], "readwrite", {
        durability: "strict",
      });
      const done = finished(tx);
      const store = tx.objectStore("chunks");
      for (const [hash, bytes] of chunks) store.put(bytes, hash);
      tx.objectStore("checkpoints").put(record);
      tx.objectStore("names").put({ name: record.name, id: record.id });
      await done;
    },
    async records() {
      const tx = (await open()).transaction("checkpoints");
      return settle(tx.objectStore("checkpoints").getAll());
    },
    async latest(name) {
      const tx = (await open()).transaction("names");
      const entry = await settle(tx.objectStore("names").get(name));
      return entry === undefined ? undefined : entry.id;
    },
    async chunks(hashes) {
      const store = (await open()).transaction("chunks").objectStore("chunks");
      const found = await Promise.all(hashes.map((hash) => settle(store.get(hash))));
      const lost = hashes.filter((_, i) => found[i] === undefined);
      if (lost.length) throw new Error(`chunks not in the store: ${lost.join(", ")}`);
      return found;
    },
  };
})()
"""


class IndexedDbStore:
    """The browser's checkpoint store (`store.CheckpointStore`) in IndexedDB.

    IndexedDB is asynchronous; the kernel waits for it with ``run_sync`` (JSPI), which
    JupyterLite's kernel has and Node does not.
    """

    def __init__(self) -> None:
        """Opens the store's JS side; raises `CheckpointError` where it cannot work."""
        from pyodide.ffi import can_run_sync

        from elastic_notebook.checkpoint import CheckpointError

        if not can_run_sync() or not hasattr(js, "indexedDB"):
            raise CheckpointError(
                "idb:// needs a browser kernel with IndexedDB that can wait for it "
                "(JupyterLite); write a file instead: %checkpoint PATH"
            )
        self._store = run_js(_IDB_STORE)

    def _wait(self, promise: JsProxy) -> object:
        from pyodide.ffi import run_sync

        from elastic_notebook.checkpoint import CheckpointError

        try:
            return run_sync(promise)
        except JsException as error:
            raise CheckpointError(
                f"the browser's store refused: {error.name}: {error.message} (nothing was "
                "changed: earlier checkpoints are intact)"
            ) from None

    def missing(self, hashes: list[str]) -> set[str]:
        """Which of the chunk hashes the store does not hold."""
        found = cast("JsProxy", self._wait(self._store.missing(to_js(hashes))))
        return set(found.to_py())

    def commit(self, record: StoreRecord, chunks: dict[str, bytes]) -> None:
        """Stores chunks, record and name in one transaction."""
        pairs = to_js([[hash_, to_js(data)] for hash_, data in chunks.items()])
        self._wait(self._store.commit(_js_object(dict(record)), pairs))

    def records(self) -> list[StoreRecord]:
        """Every checkpoint in the store."""
        found = cast("JsProxy", self._wait(self._store.records()))
        return [_store_record(entry) for entry in found]

    def latest(self, name: str) -> str | None:
        """The id of the checkpoint `name` points at, if any."""
        found = self._wait(self._store.latest(name))
        return None if found is None else str(found)

    def chunks(self, hashes: list[str]) -> list[bytes]:
        """The bytes stored under each of `hashes`, read in one transaction."""
        found = cast("JsProxy", self._wait(self._store.chunks(to_js(hashes))))
        return [bytes(chunk.to_bytes()) for chunk in found]


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
