"""Kernel side of bench/browser.mjs: installed into the JupyterLite Pyodide kernel as the
module ``_ebench`` (sys.modules only: it binds no name in the user's namespace, so neither
the recorder nor a checkpoint sees it, and it survives ``%restore``).

Every function that reports prints one line ``BENCH {json}``, which the page parses.

- `start_run(record)` / `end_run()`: one run of a notebook, cell by cell from the page, in a
  fresh namespace, with or without ``%load_ext elastic_notebook``. Callbacks registered on
  ``pre_run_cell``/``post_run_cell`` before and after the extension's (as in
  bench/session.py's HookTimer) give each cell's kernel time (first pre hook to last post
  hook: the cell and every hook) and the recorder's hooks' own time (with, apart, what
  they spent freeing what the cell unbound).
- `collect()`: a full garbage collection, run by the page in a cell of its own before each
  timed magic: the kernel-side time then measures no garbage left by the cells before,
  and the end-to-end time no collection a user's cell would not make.
- `timed_magic(name, line)`: a line magic timed with ``time.perf_counter``, optionally under
  cProfile (the top costs are reported).
- `idb_peer(names)`: the peer of a store checkpoint/restore: the same bytes written to and
  read from a raw IndexedDB object store from this worker, 8 MiB per value (Blobs, as the
  store; and Uint8Arrays), in one strict transaction (as the store commits), waited for
  with ``run_sync``.
"""

# ruff: noqa
from __future__ import annotations

import cProfile
import gc
import hashlib
import io
import json
import pstats
import re
import time

from IPython import get_ipython

shell = get_ipython()


def report(**values: object) -> None:
    print("BENCH " + json.dumps(values))


# --- recording overhead ----------------------------------------------------------------


class _Run:
    def __init__(self, record: bool, profile: bool) -> None:
        self.record = record
        self.profile = cProfile.Profile() if profile else None
        self.skip_post = True  # the post hooks of the cell calling start_run
        self.t_pre = 0
        self.t_post = 0
        self.pre_ns = 0
        self.cells_ns: list[int] = []
        self.hooks_ns: list[int] = []
        #: Of each cell's hooks, the time the recorder spent freeing what the cell unbound
        #: (`Recorder.released_ns`: the plain run frees it inside the cell).
        self.released_ns: list[int] = []
        self.released_at = 0

    def _released(self) -> int:
        if not self.record:
            return 0
        from elastic_notebook import magics

        recorder = magics.recorder_of(shell)
        return 0 if recorder is None else recorder.released_ns

    # Registered before the extension's hooks.
    def pre_first(self, *_: object) -> None:
        if self.profile is not None:
            self.profile.enable()
        self.t_pre = time.perf_counter_ns()

    def post_first(self, *_: object) -> None:
        self.released_at = self._released()
        if self.profile is not None:
            self.profile.enable()
        self.t_post = time.perf_counter_ns()

    # Registered after them.
    def pre_last(self, *_: object) -> None:
        now = time.perf_counter_ns()
        if self.profile is not None:
            self.profile.disable()
        self.pre_ns = now - self.t_pre

    def post_last(self, *_: object) -> None:
        now = time.perf_counter_ns()
        if self.profile is not None:
            self.profile.disable()
        if self.skip_post:
            self.skip_post = False
            return
        self.cells_ns.append(now - self.t_pre)
        self.hooks_ns.append(self.pre_ns + now - self.t_post)
        self.released_ns.append(self._released() - self.released_at)


_run: _Run | None = None


def _hooks(run: _Run) -> tuple[list[tuple[str, object]], list[tuple[str, object]]]:
    first = [("pre_run_cell", run.pre_first), ("post_run_cell", run.post_first)]
    last = [("pre_run_cell", run.pre_last), ("post_run_cell", run.post_last)]
    return first, last


def start_run(record: bool, profile: bool = False) -> None:
    """A fresh namespace; the timing hooks around the extension's (loaded if `record`)."""
    global _run
    manager = shell.extension_manager
    if "elastic_notebook" in manager.loaded:
        manager.unload_extension("elastic_notebook")
    shell.reset(new_session=False)
    gc.collect()
    _run = _Run(record, profile)
    first, last = _hooks(_run)
    for event, hook in first:
        shell.events.register(event, hook)
    if record:
        manager.load_extension("elastic_notebook")
    for event, hook in last:
        shell.events.register(event, hook)


def end_run() -> None:
    """Reports the run's cells (not this one) and takes the hooks and the extension out."""
    global _run
    run = _run
    assert run is not None, "start_run first"
    recorded = None
    handover_ns = 0
    if run.record:
        from elastic_notebook import magics

        recorder = magics.recorder_of(shell)
        recorded = None if recorder is None else len(recorder.records)
        if recorder is not None and run.hooks_ns:
            # Records reach the core's history in batches (32 cells, 8 in Pyodide) and when
            # it is read: those of the run's last cells are handed over here, and the time
            # counts as the last cell's hooks.
            started = time.perf_counter_ns()
            recorder.history.live_names()
            handover_ns = time.perf_counter_ns() - started
            run.hooks_ns[-1] += handover_ns
        shell.extension_manager.unload_extension("elastic_notebook")
    first, last = _hooks(run)
    for event, hook in first + last:
        shell.events.unregister(event, hook)
    _run = None
    values: dict[str, object] = {
        "cellsNs": run.cells_ns,
        "hooksNs": run.hooks_ns,
        "releasedNs": run.released_ns,
        "handoverNs": handover_ns,
        "recorded": recorded,
    }
    if run.profile is not None:
        values["profile"] = _top(run.profile, 15)
    shell.reset(new_session=False)
    report(**values)


# --- timed magics ------------------------------------------------------------------------


def _top(profile: cProfile.Profile, count: int) -> list[str]:
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(count)
    cumulative = io.StringIO()
    pstats.Stats(profile, stream=cumulative).sort_stats("cumulative").print_stats(count)
    clean = lambda out: [
        re.sub(r"\S*/(site-packages|lib/python3\.\d+)/", "", line.strip())
        for line in out.getvalue().splitlines()
        if re.match(r"\s+\d", line)
    ]
    return ["by own time:", *clean(text), "by cumulative time:", *clean(cumulative)]


def collect() -> None:
    """A full garbage collection (66-159 ms in these kernels), in a cell of its own."""
    gc.collect()


def timed_magic(name: str, line: str, profile: bool = False) -> None:
    """Runs ``%name line``; reports its kernel-side seconds (and cProfile's top costs).

    The page runs `collect` in the cell before.
    """
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    try:
        shell.run_line_magic(name, line)
    finally:
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - started
    values: dict[str, object] = {"seconds": seconds}
    if profiler is not None:
        values["profile"] = _top(profiler, 25)
    report(**values)


# --- buffers, digests --------------------------------------------------------------------


def _bytes_of(value: object) -> memoryview:
    return memoryview(value).cast("B")  # type: ignore[arg-type]


def _buffers(names: list[str]) -> list[memoryview]:
    out: list[memoryview] = []
    for name in names:
        value = shell.user_ns[name]
        values = value if isinstance(value, list) else [value]
        out += [_bytes_of(v) for v in values]
    return out


def digests(names: list[str]) -> None:
    """sha256 of each variable's bytes (lists of buffers concatenated), and the total size."""
    result = {}
    total = 0
    for name in names:
        h = hashlib.sha256()
        for view in _buffers([name]):
            h.update(view)
            total += view.nbytes
        result[name] = h.hexdigest()
    report(digests=result, bytes=total)


# --- IndexedDB --------------------------------------------------------------------------

_IDB = """
(() => {
  const settle = (request) => new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const done = (tx) => new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("aborted"));
  });
  let peer;
  const openPeer = () => {
    if (peer === undefined) {
      const request = indexedDB.open("elastic-bench-peer", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("chunks");
      peer = settle(request);
    }
    return peer;
  };
  return {
    open: openPeer,
    // Empties the checkpoint store's object stores (if the database exists), so the next
    // checkpoint writes every chunk again.
    async clearStore() {
      const names = (await indexedDB.databases()).map((d) => d.name);
      if (!names.includes("elastic-notebook")) return false;
      const db = await settle(indexedDB.open("elastic-notebook"));
      try {
        const stores = [...db.objectStoreNames];
        const tx = db.transaction(stores, "readwrite");
        for (const s of stores) tx.objectStore(s).clear();
        await done(tx);
      } finally {
        db.close();
      }
      return true;
    },
    // One strict readwrite transaction, as the store's; `put(key, data)` copies a PyProxy
    // of a Python buffer straight from Python's memory into a Blob (as the store does) or
    // into a Uint8Array (`asBlobs` false: IndexedDB then serializes the array itself).
    // (Synchronous: a transaction stays active only until the caller's task ends.)
    begin(db, asBlobs) {
      const tx = db.transaction("chunks", "readwrite", { durability: "strict" });
      const store = tx.objectStore("chunks");
      const finished = done(tx);
      return {
        put(key, data) {
          const buffer = data.getBuffer("u8");
          try {
            store.put(asBlobs ? new Blob([buffer.data]) : buffer.data.slice(), key);
          } finally {
            buffer.release();
          }
        },
        commit: () => finished,
      };
    },
    // The values as Uint8Arrays (Blobs read as the store reads them).
    async get(count) {
      const db = await openPeer();
      const store = db.transaction("chunks").objectStore("chunks");
      const found = await Promise.all(Array.from({ length: count }, (_, i) => settle(store.get(i))));
      return Promise.all(
        found.map(async (v) => (v instanceof Blob ? new Uint8Array(await v.arrayBuffer()) : v)),
      );
    },
    async clear() {
      const db = await openPeer();
      const tx = db.transaction("chunks", "readwrite");
      tx.objectStore("chunks").clear();
      await done(tx);
    },
  };
})()
"""
_idb = None


def _js():
    global _idb
    if _idb is None:
        from pyodide.code import run_js

        _idb = run_js(_IDB)
    return _idb


def clear_store() -> None:
    """Empties the browser's checkpoint store (IndexedDB "elastic-notebook")."""
    from pyodide.ffi import run_sync

    report(cleared=bool(run_sync(_js().clearStore())))


PIECE = 8 << 20


def hash_chunks_here() -> None:
    """This kernel's restores hash every chunk on its own thread, as without a worker.

    The peer of the store's chunk hasher (`_pyodide._CHUNK_HASHER`): what it saves.
    """
    from pyodide.code import run_js

    from elastic_notebook import _pyodide

    here = run_js(
        "({ start: () => Promise.resolve(false), digest: (bytes) => Promise.resolve({ bytes }),"
        " hashed: 0 })"
    )
    _pyodide.WasmCore.chunk_hasher = lambda self: here


def idb_peer(names: list[str]) -> None:
    """Raw IndexedDB put/get of the variables' bytes, 8 MiB per value, from and into Python.

    Twice: values as Blobs (what the store does; IndexedDB keeps them as files) and as
    Uint8Arrays (IndexedDB serializes them itself). Each put copies from Python's memory
    in one strict transaction; each get copies into Python bytearrays.
    """
    from pyodide.ffi import run_sync

    idb = _js()
    views = _buffers(names)
    total = sum(v.nbytes for v in views)
    values: dict[str, object] = {"bytes": total}
    for kind, as_blobs in (("", True), ("Arrays", False)):
        run_sync(idb.clear())
        gc.collect()
        started = time.perf_counter()
        count = _put_from_python(views, as_blobs)
        values[f"write{kind or 'FromPython'}Seconds"] = time.perf_counter() - started
        values[f"read{kind or 'IntoPython'}Seconds"] = _get_into_python(count, total)
        values["chunks"] = count
    run_sync(idb.clear())
    report(**values)


def idb_peer_keep(names: list[str]) -> None:
    """Puts the variables' bytes into the peer's database (8 MiB Blobs) and keeps them.

    For `idb_peer_fresh_get` in a restarted kernel: the peer of a restore, which runs in a
    restarted kernel too.
    """
    from pyodide.ffi import run_sync

    views = _buffers(names)
    run_sync(_js().clear())
    count = _put_from_python(views, as_blobs=True)
    report(chunks=count, bytes=sum(v.nbytes for v in views))


def idb_peer_fresh_get(chunks: int, total: int) -> None:
    """Gets what `idb_peer_keep` put into Python bytearrays; then empties the database.

    Meant for a just-restarted kernel, as a restore runs: timed as `readIntoPythonSeconds`.
    """
    from pyodide.ffi import run_sync

    seconds = _get_into_python(chunks, total)
    run_sync(_js().clear())
    report(readIntoPythonSeconds=seconds)


def _put_from_python(views: list[memoryview], as_blobs: bool) -> int:
    """Puts the views in `PIECE`-byte values, keys 0.., in one transaction; the count."""
    from pyodide.ffi import run_sync

    idb = _js()
    putting = idb.begin(run_sync(idb.open()), as_blobs)
    count = 0
    for view in views:
        for start in range(0, view.nbytes, PIECE):
            putting.put(count, view[start : start + PIECE])
            count += 1
    run_sync(putting.commit())
    return count


def _get_into_python(chunks: int, total: int) -> float:
    """Seconds to get the peer's `chunks` pieces into Python bytearrays (`total` bytes)."""
    from pyodide.ffi import run_sync

    started = time.perf_counter()
    back = []
    for piece in run_sync(_js().get(chunks)):
        out = bytearray(piece.byteLength)
        piece.assign_to(out)  # one copy, as the restore's
        back.append(out)
    seconds = time.perf_counter() - started
    assert sum(len(b) for b in back) == total
    return seconds
