"""Automatic recording of every cell: reads, writes, in-place changes, deletes, runtime.

Hooked to IPython's ``pre_run_cell``/``post_run_cell`` by ``%load_ext elastic_notebook``.
Before a cell runs, the core analyses its transformed source for the names it reads
(through the notebook functions it calls, too) and the recorder fingerprints what those
names reach, with their co-variables. After it runs, a namespace diff gives created,
rebound and deleted names, and changed fingerprints give in-place changes, also those
made through an alias. Failed cells and cells that do not parse are recorded too (the
latter as reading everything).
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Set
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from elastic_notebook.analysis import CellAnalysis, Definition
from elastic_notebook.core import HistoryHandle, analyze, new_history
from elastic_notebook.fingerprint import Fingerprint, fingerprint

if TYPE_CHECKING:
    from elastic_notebook._core import CellRecordDict

#: IPython's own output and input history names: `_`, `__`, `___`, `_i`, `_ii`, `_iii`,
#: `_i<N>`, `_<N>`.
_IPYTHON_NAME = re.compile(r"^(_{1,3}|_i{1,3}|_i\d+|_\d+)$")


@dataclass
class _PendingCell:
    """What `pre_run_cell` saw, for `post_run_cell`."""

    code: str
    analysis: CellAnalysis
    reads: set[str]
    reads_everything: bool
    #: The namespace before the cell. Holding the values (not their ids) keeps a deleted
    #: object alive until the diff, so a new object can never reuse its id unnoticed.
    values: dict[str, object]
    before: dict[str, Fingerprint]
    started_ns: int = field(default_factory=time.perf_counter_ns)


class Recorder:
    """Records the cells one IPython shell runs into a core history."""

    def __init__(self, shell: Any) -> None:  # noqa: ANN401 - any InteractiveShell
        """Starts an empty history for `shell` (not yet hooked to its events)."""
        self.shell = shell
        self.history: HistoryHandle = new_history()
        #: Every recorded cell, as given to the core.
        self.records: list[CellRecordDict] = []
        #: Notebook functions and classes by name, for resolving calls.
        self.definitions: dict[str, Definition] = {}
        #: Each variable's value when last fingerprinted, and that fingerprint: the
        #: "before" of the next cell that reads the same object (so each cell hashes what
        #: it reads once, after it ran), and the objects it reaches (co-variables).
        self.prints: dict[str, tuple[object, Fingerprint]] = {}
        #: Root hash of the last checkpoint taken or restored: the next one's parent.
        self.last_root: str | None = None
        #: Cells of the history that came from a restored checkpoint (not in `records`).
        self.restored_cells = 0
        self._pending: _PendingCell | None = None

    def skip_current_cell(self) -> None:
        """Leaves the running cell out of the history (``%checkpoint``, ``%restore``)."""
        self._pending = None

    def adopt(self, history: HistoryHandle, *, root: str, cells: list[str]) -> None:
        """Continues from a restored session: its history, and its namespace as baseline.

        `cells` are the restored history's cell sources, in order: their definitions of
        live functions are analysed again for call resolution.
        """
        self.skip_current_cell()
        self.history = history
        self.records = []
        self.restored_cells = len(cells)
        self.last_root = root
        namespace = self.user_namespace()
        self.definitions = {}
        for code in cells:
            for definition in analyze(self.shell.transform_cell(code)).definitions:
                if definition.name in namespace:
                    self.definitions[definition.name] = definition
        self.prints = {name: (value, fingerprint(value)) for name, value in namespace.items()}

    def user_namespace(self) -> dict[str, object]:
        """The user's variables: the namespace without IPython's own names."""
        hidden = self.shell.user_ns_hidden
        return {
            name: value
            for name, value in self.shell.user_ns.items()
            if not (name in hidden and hidden[name] is value)
            and not _IPYTHON_NAME.match(name)
            and not (name.startswith("__") and name.endswith("__"))
        }

    def objects_of(self, name: str) -> frozenset[int]:
        """The objects `name` reached when last fingerprinted (empty if never)."""
        cached = self.prints.get(name)
        return cached[1].objects if cached is not None else frozenset()

    def current_fingerprint(self, name: str, value: object) -> Fingerprint:
        """The fingerprint of `name`'s `value` now, taken anew only if not cached.

        The cached one is that taken after the last cell that touched `name`, valid while
        `name` still holds the same object: it is the "before" of the next cell.
        """
        cached = self.prints.get(name)
        if cached is not None and cached[0] is value:
            return cached[1]
        return fingerprint(value)

    def function_reads(self, names: Set[str]) -> tuple[set[str], bool]:
        """Globals read (transitively) by the notebook functions among `names`, and dynamism."""
        reads: set[str] = set()
        dynamic = False
        stack = [n for n in names if n in self.definitions]
        seen: set[str] = set()
        while stack:
            definition = self.definitions[stack.pop()]
            if definition.name in seen:
                continue
            seen.add(definition.name)
            dynamic |= definition.dynamic
            reads |= definition.reads | definition.global_writes
            stack.extend(n for n in definition.calls | definition.reads if n in self.definitions)
        return reads, dynamic

    def reachable(self, names: set[str], namespace: dict[str, object]) -> set[str]:
        """`names` with every variable that shares an object with one of them."""
        wanted = {n for n in names if n in namespace}
        top = {id(namespace[n]) for n in wanted}
        objects: set[int] = set().union(*(self.objects_of(n) for n in wanted))
        for name, value in namespace.items():
            if id(value) in top or not objects.isdisjoint(self.objects_of(name)):
                wanted.add(name)
        return wanted

    def pre_run_cell(self, info: Any) -> None:  # noqa: ANN401 - IPython's ExecutionInfo
        """Analyses the cell and fingerprints what it can reach."""
        code = info.raw_cell or ""
        analysis = analyze(self.shell.transform_cell(code))
        function_reads, calls_dynamic = self.function_reads(analysis.reads | analysis.calls)
        reads = set(analysis.reads) | function_reads
        reads_everything = analysis.parse_error is not None or analysis.dynamic or calls_dynamic
        namespace = self.user_namespace()
        candidates = set(namespace) if reads_everything else self.reachable(reads, namespace)
        before = {name: self.current_fingerprint(name, namespace[name]) for name in candidates}
        self._pending = _PendingCell(code, analysis, reads, reads_everything, namespace, before)

    def post_run_cell(self, result: Any) -> None:  # noqa: ANN401 - IPython's ExecutionResult
        """Diffs the namespace and fingerprints, and records the cell."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        runtime_ns = time.perf_counter_ns() - pending.started_ns
        namespace = self.user_namespace()
        missing = object()
        written = sorted(
            name
            for name, value in namespace.items()
            if pending.values.get(name, missing) is not value
        )
        deleted = sorted(name for name in pending.values if name not in namespace)
        # Opaque objects the cell read (a generator it advanced, a file it read from):
        # every name reaching one of them counts as changed.
        ran_dynamic = pending.reads_everything and pending.analysis.parse_error is None
        touched_opaque: set[int] = set().union(
            *(p.opaque for n, p in pending.before.items() if ran_dynamic or n in pending.reads)
        )
        mutated = []
        for name, old in pending.before.items():
            if name in namespace and name not in written:
                new = fingerprint(namespace[name])
                self.prints[name] = (namespace[name], new)
                if new.digest != old.digest or not touched_opaque.isdisjoint(old.opaque):
                    mutated.append(name)
        for name in written:
            self.prints[name] = (namespace[name], fingerprint(namespace[name]))
        for name in deleted:
            self.prints.pop(name, None)
            self.definitions.pop(name, None)
        for definition in pending.analysis.definitions:
            if definition.name in namespace:
                self.definitions[definition.name] = definition
        record: CellRecordDict = {
            "code": pending.code,
            "runtimeNs": runtime_ns,
            "success": bool(getattr(result, "success", True)),
            "reads": sorted(pending.reads & set(pending.values)),
            "readsEverything": pending.reads_everything,
            "writes": written,
            "mutates": sorted(mutated),
            "deletes": deleted,
        }
        self.history.record_cell(record)
        self.records.append(record)

    def _guarded_pre_run_cell(self, info: Any) -> None:  # noqa: ANN401 - ExecutionInfo
        """`pre_run_cell` that never disturbs the user's cell: a failure only warns."""
        try:
            self.pre_run_cell(info)
        except Exception as error:  # recording must never break a cell
            self._pending = None
            _warn(f"this cell is not recorded ({type(error).__name__}: {error})")

    def _guarded_post_run_cell(self, result: Any) -> None:  # noqa: ANN401 - ExecutionResult
        """`post_run_cell` that never disturbs the user's session: a failure only warns."""
        try:
            self.post_run_cell(result)
        except Exception as error:  # recording must never break a cell
            _warn(f"this cell is not recorded ({type(error).__name__}: {error})")

    def register(self) -> None:
        """Hooks the recorder to the shell's cell events."""
        self.shell.events.register("pre_run_cell", self._guarded_pre_run_cell)
        self.shell.events.register("post_run_cell", self._guarded_post_run_cell)

    def unregister(self) -> None:
        """Unhooks it."""
        self.shell.events.unregister("pre_run_cell", self._guarded_pre_run_cell)
        self.shell.events.unregister("post_run_cell", self._guarded_post_run_cell)


def _warn(message: str) -> None:
    print(f"elastic-notebook: {message}", file=sys.stderr)
