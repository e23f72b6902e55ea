"""Automatic recording of every cell: reads, writes, in-place changes, deletes, runtime.

Hooked to IPython's ``pre_run_cell``/``post_run_cell`` by ``%load_ext elastic_notebook``.
Before a cell runs, the core analyses its transformed source for the names it reads and
those it may change in place (through the notebook functions it calls, too). Names it
changes directly (``x[0] = 1``, ``x.append(1)``) are taken as changed, with every
variable sharing objects with them, without hashing anything; for the others the
recorder takes digests before and after. A namespace diff gives created, rebound and
deleted names. Nothing is computed for a value until a cell needs it: its reach (the
cheap half of a fingerprint) once a cell reads it or may change something it could share
objects with, its digest once a cell may change it indirectly; both are kept while the
name holds the same, unchanged object. Failed cells and cells that do not parse are
recorded too (the latter as reading everything, and every variable is digested).
A cell that drew from a global random generator, or called for the system's randomness
(`unreproducible`), is recorded as one that cannot re-run (a re-run would give other
values), as are changes made between cells.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from types import FunctionType, ModuleType
from typing import TYPE_CHECKING, Any, NamedTuple

from elastic_notebook import sharing
from elastic_notebook.analysis import CellAnalysis, Definition, NamedCall
from elastic_notebook.core import HistoryHandle, IdSet, analyze, new_history, new_object_walk
from elastic_notebook.fingerprint import Reach, digest, disjoint, is_code_or_module, reach
from elastic_notebook.future_imports import shell_features
from elastic_notebook.global_random import GlobalRandom
from elastic_notebook.namespace import Changes, VersionTag, history_read, kept_copy
from elastic_notebook.namespace import changes as changes_between
from elastic_notebook.serialize import notebook_definition
from elastic_notebook.unreproducible import (
    file_reads,
    is_unreproducible_callable,
    unreproducible_calls,
)

if TYPE_CHECKING:
    from elastic_notebook._core import CellRecordDict

#: What IPython's input transformation can act on (and leading indentation, tested
#: separately): an escape or a prompt at a line's start (``%magic``, ``%%cell``, ``!cmd``,
#: ``?obj``, ``,f a`` / ``;f a`` / ``/f a`` calls, ``>>>``, ``...``, ``In [``), a magic's
#: or a command's output assigned (``x = %time f()``, ``x = !ls``), help at a line's end
#: (``obj?``, ``obj??  # note``). A cell with none is Python as it is: IPython acts on
#: these at the start or end of a logical line only, so matching physical lines is a
#: superset. A `%` or `!` anywhere else (``n % p``, ``a != b``) no longer costs a
#: transformation (5 ms a cell in Pyodide, where it tokenizes the cell in Python).
_IPYTHON_SYNTAX = re.compile(
    r"^\s*(?:[%!?,;/]|>>>|\.\.\.|In \[)|=\s*[%!]|\?\s*(?:#.*)?$", re.MULTILINE
)
#: Cell analyses kept for cells run again (by source: a few hundred KB at most).
_ANALYSES_KEPT = 512
#: Records handed to the core at once. One at a time, each converted in a hook between
#: cells that evicted the conversion's code and data from the caches: 10 us per small
#: cell in place on the desktop, against 2-3 us each in a batch; in Pyodide (Node) 40-55
#: us against 20-25. The cell that hands a batch over pays for all of it: in Chromium a
#: batch of 32 cost that cell about 4 ms, over the 3 ms a cell may cost there, so Pyodide
#: hands over 8 at a time.
_RECORDS_BATCH = 8 if sys.platform == "emscripten" else 32


@dataclass
class _Seen:
    """What the recorder knows of one variable's value (while it holds `value`)."""

    #: The value, held so its id cannot be reused while cached.
    value: object
    #: Its reach, taken lazily (`reached`): only values a cell reads, or that may share
    #: objects with what a cell changes, need one.
    reach: Reach | None = None
    #: Its digest, taken lazily (`digested`): only values a cell may change need one.
    digest: bytes | None = None

    def reached(self) -> Reach:
        """The value's reach, taken now if it was not yet."""
        if self.reach is None:
            self.reach = reach(self.value)
        return self.reach

    def digested(self) -> bytes:
        """The value's digest, taken now if it was not yet."""
        if self.digest is None:
            self.digest = digest(self.value)
        return self.digest


class _Called(NamedTuple):
    """What the notebook functions a cell refers to do when called (transitively)."""

    #: The globals their bodies read or bind.
    reads: set[str]
    #: One does something its source cannot show.
    dynamic: bool
    #: Their calls that may give values no re-run gives back (`unreproducible`).
    maybe_unreproducible_calls: tuple[NamedCall, ...]


@dataclass(slots=True)
class _PendingCell:
    """What `pre_run_cell` saw, for `post_run_cell`."""

    code: str
    analysis: CellAnalysis
    reads: set[str]
    reads_everything: bool
    #: The shell's namespace before the cell, but for IPython's own names (the baseline's
    #: copy). Holding the values (not their ids) keeps a deleted object alive until the
    #: diff, so a new object can never reuse its id unnoticed.
    values: dict[str, object]
    #: Where the diff after the cell starts looking for names added (`namespace.changes`).
    anchor: str | None
    #: The user's variables among them.
    user: dict[str, object]
    #: Names it changes directly, and those sharing objects with them: changed.
    changed: set[str]
    #: Before the cell, of what else it may change in place: digest and reached objects.
    before: dict[str, tuple[bytes, IdSet]]
    started_ns: int = field(default_factory=time.perf_counter_ns)
    #: It takes a checkpoint (or lists, deletes, describes them): a restore must never
    #: run it again, so it is recorded as a cell that cannot re-run.
    cannot_rerun: bool = False
    #: The global random generators' states before it (`GlobalRandom`): a cell that drew
    #: from one would give other values if run again, so it cannot re-run either.
    random_before: dict[str, object] = field(default_factory=dict)
    #: The calls it, or a notebook function it calls, makes that may give values no re-run
    #: gives back (`unreproducible`), resolved after it ran.
    maybe_unreproducible_calls: tuple[NamedCall, ...] = ()


#: The extension's own line magics (registered by `magics`). Their cells are left out of
#: the history; a cell of nothing else is left out before the pre-cell hook analyses it,
#: since the core takes an unknown magic as reading everything: every variable would be
#: digested (a 100 MB session: 0.3 s in Pyodide) for a cell that is then dropped.
OWN_MAGICS = frozenset({"checkpoint", "checkpoints", "elastic", "restore"})
_OWN_MAGIC_LINE = re.compile(rf"%(?:{'|'.join(sorted(OWN_MAGICS))})(?:\s|$)")
#: Those of them that leave the user's namespace as it was (``%restore`` replaces it).
_READ_ONLY_MAGIC_LINE = re.compile(r"%(?:checkpoint|checkpoints|elastic)(?:\s|$)")


class StateChange(NamedTuple):
    """A cell that changed the state of a value stored by name (`Recorder.changed_by_name`)."""

    code: str
    #: Its runtime (0 for a restored cell that cannot re-run).
    runtime_ns: int


def is_plain_python(code: str) -> bool:
    """Whether IPython's input transformation would leave `code` as it is.

    False for some cells it would leave alone too (`_IPYTHON_SYNTAX` is a superset).
    """
    return _IPYTHON_SYNTAX.search(code) is None and not code[:1].isspace()


def only_own_magics(code: str) -> bool:
    """Whether `code` is only lines of the extension's magics (and blanks or comments)."""
    if "%" not in code:  # most cells: asked before every cell, so cheap first
        return False
    lines = [line.strip() for line in code.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    return bool(lines) and all(_OWN_MAGIC_LINE.match(line) for line in lines)


class Recorder:
    """Records the cells one IPython shell runs into a core history."""

    def __init__(self, shell: Any) -> None:  # noqa: ANN401 - any InteractiveShell
        """Starts an empty history for `shell` (not yet hooked to its events)."""
        self.shell = shell
        self._history: HistoryHandle = new_history()
        #: Every recorded cell, as given to the core.
        self.records: list[CellRecordDict] = []
        #: The last of `records`, not yet handed to the core's history (`history`).
        self._unrecorded: list[CellRecordDict] = []
        #: Notebook functions and classes by name, for resolving calls. Changed only through
        #: `_define` and `_undefine` (they let go of what `_functions_called` kept).
        self.definitions: dict[str, Definition] = {}
        #: What the recorder last saw of each variable, while it holds the same object.
        self.seen: dict[str, _Seen] = {}
        #: Root hash of the last checkpoint taken or restored: the next one's parent.
        self.last_root: str | None = None
        #: Cells of the history that came from a restored checkpoint (not in `records`).
        self.restored_cells = 0
        #: Why the cells of `records` (by position) that cannot re-run cannot, for
        #: ``%elastic``; changes made outside cells say so in their code.
        self.no_rerun_reasons: dict[int, str] = {}
        #: Nanoseconds spent in this recorder's hooks for the cells of `records`: what
        #: recording has cost the user (``%elastic`` shows it). Without `released_ns`.
        self.hook_ns = 0
        #: Nanoseconds the post-cell hooks spent letting go of the cells' starting
        #: namespaces: freeing what the cells unbound (`docs = [...]` frees the old list
        #: here), which a cell without the recorder does inside itself. Not a cost of
        #: recording, so not in `hook_ns`.
        self.released_ns = 0
        self._pending: _PendingCell | None = None
        #: A copy of the shell's namespace but for IPython's own names (which grow by one
        #: or two per cell), the user's variables in it, and the anchor of the next diff
        #: (`namespace.changes`): kept from one cell to the next by diffs. Advanced before
        #: and after every recorded cell, so it never holds a value the namespace has let
        #: go of for longer than a cell.
        self._baseline: tuple[dict[str, object], dict[str, object], str | None] | None = None
        #: The namespace's version tag when the baseline was last brought up to it: equal
        #: now, nothing changed since (`VersionTag`; None where tags cannot be read).
        self._namespace_tag = VersionTag()
        self._baseline_tag: bytes | None = None
        #: Analyses by cell source (a cell run again is not analysed again).
        self._analyses: dict[str, CellAnalysis] = {}
        #: `functions_called` of each kept analysis's reads and calls, by cell source, while
        #: `definitions` stays as it is (`_define`, `_undefine` clear it).
        self._functions_called: dict[str, _Called] = {}
        #: User names bound to a function or class of the system's randomness or an
        #: unseeded generator (`unreproducible`), under whatever name: a call through one
        #: imported in another cell (`from uuid import uuid4 as make`, then `make()`) is not
        #: among the calls the core lists, which it knows by their last name only.
        self._unreproducible_names: set[str] = set()
        #: The files-reading calls of each cell the recorder has seen run or restored, by
        #: cell source: with the notebook functions it called as they were then defined.
        #: A checkpoint re-runs such a cell only for what it cannot store (`file_reads_of`).
        self._file_reads: dict[str, tuple[str, ...]] = {}
        self._global_random = GlobalRandom()
        #: ``sys.path`` when recording started: a checkpoint carries the entries the
        #: session added since (`process_state`), not this installation's own.
        self.sys_path_at_start: tuple[str, ...] = tuple(sys.path)
        #: The compiler flags of the future features the shell had when recording started
        #: (or the restored session's, since `adopt`): cells re-run from the history
        #: compile with them (`future_imports`).
        self.future_at_start: int = shell_features(shell)
        #: Values stored by their name whose state cells changed: modules
        #: (``mod.SCALE = 10``, ``decimal.getcontext().prec = 50``), a library's classes
        #: and functions (``Fraction.custom = 1``; `CellAnalysis.stores_through`), by id,
        #: with each such cell's code and runtime. The name does not bring that state
        #: back, so a checkpoint recomputes them (`save.plan_checkpoint`).
        self.changed_by_name: dict[int, tuple[object, list[StateChange]]] = {}
        #: The global generators' states after the last recorded cell.
        self._random_states: dict[str, object] | None = None
        # Made once per process, and checked there in Pyodide (its heap walk against the
        # Python walk): now, rather than in the hooks of the first cell that reads a value.
        new_object_walk()

    @property
    def history(self) -> HistoryHandle:
        """The core's history of the session, with every recorded cell in it."""
        self._hand_over_records()
        return self._history

    def _hand_over_records(self) -> None:
        """Records the cells of `_unrecorded` into the core's history.

        A batch the core refuses records nothing (it converts every record first): then
        each is handed over alone, so one bad record loses only its own cell.
        """
        if not self._unrecorded:
            return
        unrecorded, self._unrecorded = self._unrecorded, []
        try:
            self._history.record_cells(unrecorded)
        except ValueError:
            for record in unrecorded:
                try:
                    self._history.record_cell(record)
                except ValueError as error:
                    _warn(f"a cell is not in the history ({error}): {record.get('code')!r:.60}")

    def skip_current_cell(self) -> None:
        """Leaves the running cell out of the history (``%restore``: a new history)."""
        self._pending = None

    def never_rerun_current_cell(self) -> None:
        """Records the running cell as one no restore may re-run (``%checkpoint``...).

        Its changes are recorded as any cell's, so a checkpoint stores what it made.
        """
        if self._pending is not None:
            self._pending.cannot_rerun = True

    def adopt(
        self, history: HistoryHandle, *, root: str, cells: list[str], runtimes: list[int]
    ) -> None:
        """Continues from a restored session: its history, and its namespace as baseline.

        `cells` are the restored history's cell sources, in order, and `runtimes` their
        runtimes: their definitions of live functions are analysed again for call
        resolution, and their changes of what is stored by name noted.
        """
        self.skip_current_cell()
        self._history = history
        self.records = []
        self.no_rerun_reasons = {}
        self._unrecorded = []
        self.hook_ns = 0
        self.released_ns = 0
        self.restored_cells = len(cells)
        self.last_root = root
        self._baseline = None
        self._random_states = None  # the restore's re-run cells are not the next cell's
        namespace = self.user_namespace()
        self.definitions = {}
        self._functions_called = {}
        self._file_reads = {}
        self.changed_by_name = {}
        for code, runtime_ns in zip(cells, runtimes, strict=True):
            analysis = analyze(self.python_source(code))
            self._note_file_reads(code, analysis)
            change = StateChange(code, runtime_ns)
            self._note_stores_through(_state_roots(analysis), change, namespace)
            for definition in analysis.definitions:
                if definition.name in namespace:
                    self._define(definition)
        self.seen = {name: _Seen(value) for name, value in namespace.items()}

    def user_namespace(self) -> dict[str, object]:
        """The user's variables: the namespace without IPython's own names.

        Not to be changed by the caller: it is the recorder's baseline.
        """
        return self._synced()[1]

    def _synced(self) -> tuple[dict[str, object], dict[str, object], str | None]:
        """The baseline brought up to the shell's namespace: copy, user names, anchor.

        The copy of its names but IPython's, the user's variables among them, and the
        anchor of the next diff (`namespace.changes`). The copy is brought up by a diff,
        not copied again: a copy touches every value, a diff only the kept names and
        those bound since the last one. Between cells, what the diff finds the user's was
        changed by no recorded cell (a widget's callback, ``shell.push``): it is recorded
        as changes no cell made, which a restore cannot re-run, so a checkpoint stores
        them. Called from inside a cell, the changes are the running cell's own, recorded
        when it ends (`running_cell_record` tells a checkpoint taken meanwhile).
        """
        now = self.shell.user_ns
        tag = self._namespace_tag.read(now)  # read before the diff: later changes move it
        if self._baseline is None:
            self._baseline_tag = tag
            full, anchor = kept_copy(now)
            user = {name: value for name, value in full.items() if self.is_user_name(name, value)}
            self._baseline = (full, user, anchor)
            self._unreproducible_names.clear()
            self._note_bound(user, now)
            live = set(self.history.live_names())
            self._record_outside(
                "in the namespace, made by no recorded cell",
                sorted(name for name in user if name not in live),
                [],
            )
            return self._baseline
        if tag is not None and tag == self._baseline_tag:
            return self._baseline  # nothing bound, rebound or deleted since
        self._baseline_tag = tag
        full, user, anchor = self._baseline
        diff = changes_between(full, anchor, now, self.shell.user_ns_hidden)
        if diff.changed or diff.deleted:
            if self._pending is not None and full is self._pending.values:
                full = dict(full)  # called from inside a cell: its "before" stays as it was
            if self._pending is None:
                self._record_outside("changed outside any recorded cell", diff.bound, diff.gone)
            user = self._user_after(user, now, diff)
            full = _brought_up(full, now, diff)
        self._baseline = (full, user, diff.anchor)
        return self._baseline

    def _record_outside(self, what: str, bound: list[str], deleted: list[str]) -> None:
        """Records user names bound or deleted outside any recorded cell, if there are any.

        Nothing can re-run such changes (`cannotRerun`): a checkpoint stores what they
        bound. A change made in place outside cells is not seen (only a fingerprint of
        every variable before and after each cell could see it).
        """
        if not (bound or deleted):
            return
        self._note_bound(bound, self.shell.user_ns)
        for name in deleted:
            self.seen.pop(name, None)
            self._undefine(name)
            self._unreproducible_names.discard(name)
        record = outside_record(what, bound, deleted)
        self.records.append(record)
        self._unrecorded.append(record)

    def _note_stores_through(
        self, roots: Iterable[str], change: StateChange, namespace: dict[str, object]
    ) -> set[str]:
        """The names among `roots` bound to code or a module: the cell changed their state.

        Code and modules are not fingerprinted (a function's first attribute,
        ``step.calls = 0``, is set on what was plain code), so a store through one, or a
        known mutating method called on what it holds (``Registry.items.append(5)``,
        ``plt.rcParams.update(...)``; `_state_roots`), is recorded here as changing it,
        and re-running the cell is part of recomputing it. One a checkpoint stores by its
        name (a module, a library's class or function) is kept in `changed_by_name` with
        the cell: its name alone does not bring the state back.
        """
        changed = set()
        for name in roots:
            value = namespace.get(name)
            if not isinstance(value, ModuleType | type | FunctionType):
                continue
            changed.add(name)
            if isinstance(value, ModuleType) or not notebook_definition(value):
                self.changed_by_name.setdefault(id(value), (value, []))[1].append(change)
        return changed

    def state_changes_of(self, value: object) -> list[StateChange]:
        """The cells that changed `value`'s state, if it is stored by name; else none."""
        kept = self.changed_by_name.get(id(value))
        return kept[1] if kept is not None and kept[0] is value else []

    def _note_bound(self, names: Iterable[str], namespace: dict[str, object]) -> None:
        """Notes which of `names` (just bound in `namespace`) are unreproducible callables."""
        for name in names:
            value = namespace.get(name)
            # The notebook's own functions and classes (most callables bound) are none.
            if (
                callable(value)
                and getattr(value, "__module__", None) != "__main__"
                and is_unreproducible_callable(value)
            ):
                self._unreproducible_names.add(name)
            else:
                self._unreproducible_names.discard(name)

    def file_reads_of(self, code: str) -> tuple[str, ...]:
        """The calls that read files of the cell whose source is `code` (dotted names).

        As noted when the cell ran (or was restored); another is analysed now, but for
        the records of changes made outside cells, comments only (`outside_record`).
        """
        found = self._file_reads.get(code)
        if found is None:
            if all(line.lstrip().startswith("#") for line in code.splitlines() if line.strip()):
                return ()
            found = self._note_file_reads(code, analyze(self.python_source(code)))
        return found

    def _note_file_reads(self, code: str, analysis: CellAnalysis) -> tuple[str, ...]:
        """Notes (and returns) the file reads of `code`, its own and its functions'."""
        called = self.functions_called(analysis.reads | analysis.calls)
        calls = analysis.maybe_unreproducible_calls + called.maybe_unreproducible_calls
        found = self._file_reads[code] = tuple(file_reads(calls))
        return found

    def running_cell_record(self) -> CellRecordDict | None:
        """For a checkpoint taken from inside a running cell: its changes so far, if any.

        As changes no cell made (the cell is recorded only when it ends): what it bound or
        deleted, and as changed in place every name it reads or may change, since what it
        did to them so far is unknown; a checkpoint holding this record stores them all.
        """
        pending = self._pending
        if pending is None:
            return None
        now = self.shell.user_ns
        diff = changes_between(pending.values, pending.anchor, now, self.shell.user_ns_hidden)
        bound, gone = diff.bound, diff.gone
        touched = (
            pending.user.keys()
            if pending.reads_everything
            else pending.reads | pending.changed | pending.before.keys()
        )
        mutated = sorted(
            name
            for name in touched
            if name in pending.user and name in now and name not in bound and name not in gone
        )
        if not (bound or gone or mutated):
            return None
        return outside_record("the running cell, up to this checkpoint", bound, gone, mutated)

    def _user_after(
        self, user: dict[str, object], now: dict[str, object], diff: Changes
    ) -> dict[str, object]:
        """The user's names of `now`, from those (`user`) of the namespace `diff` left."""
        if not (diff.changed or diff.deleted):
            return user
        user = dict(user)
        bound = set(diff.bound)
        for name in diff.changed:
            if name in bound:
                user[name] = now[name]
            else:
                user.pop(name, None)
        for name in diff.deleted:
            user.pop(name, None)
        return user

    def is_user_name(self, name: str, value: object) -> bool:
        """Whether the kept name `name` (holding `value`) is the user's.

        Kept names are never IPython's history names or dunders (`namespace.kept_copy`
        and `namespace.changes` leave those out); what is left to exclude are the shell's
        own entries (`In`, `exit`...) while they hold their original values.
        """
        hidden = self.shell.user_ns_hidden
        return not (name in hidden and hidden[name] is value)

    def python_source(self, code: str) -> str:
        """`code` as Python: IPython's transformation, skipped when it cannot change it.

        Lines of the extension's magics that change no variable become ``pass``: the core
        takes any magic as reading everything, which would make a cell of ``x = 1`` and
        ``%checkpoint`` read (and digest) every variable.
        """
        if is_plain_python(code):
            return code
        return str(self.shell.transform_cell(_without_read_only_magics(code)))

    def current(self, name: str, value: object) -> _Seen:
        """What is known of `name`'s `value` now: cached while `name` holds that object.

        A cached digest is the one taken after the last cell that may have changed
        `name`: it is the next such cell's "before".
        """
        seen = self.seen.get(name)
        if seen is None or seen.value is not value:
            seen = self.seen[name] = _Seen(value)
        return seen

    def _define(self, definition: Definition) -> None:
        """Takes `definition` as what its name is bound to (a function or class)."""
        if self.definitions.get(definition.name) is not definition:
            self.definitions[definition.name] = definition
            self._functions_called.clear()

    def _undefine(self, name: str) -> None:
        """`name` is no notebook function or class any more."""
        if self.definitions.pop(name, None) is not None:
            self._functions_called.clear()

    def functions_called(self, names: Set[str]) -> _Called:
        """What the notebook functions among `names` do when called, transitively."""
        reads: set[str] = set()
        dynamic = False
        calls: list[NamedCall] = []
        stack = [n for n in names if n in self.definitions]
        seen: set[str] = set()
        while stack:
            definition = self.definitions[stack.pop()]
            if definition.name in seen:
                continue
            seen.add(definition.name)
            dynamic |= definition.dynamic
            reads |= definition.reads | definition.global_writes
            calls.extend(definition.maybe_unreproducible_calls)
            stack.extend(n for n in definition.calls | definition.reads if n in self.definitions)
        return _Called(reads, dynamic, tuple(calls))

    def reachable(self, names: set[str], namespace: dict[str, object]) -> set[str]:
        """`names` with every variable that shares an object with one of them.

        When each of them holds nothing mutable and only names hold it, those names;
        else it takes the reach of every variable (cached), compared with theirs.
        """
        wanted = {n for n in names if n in namespace}
        if not wanted:
            return wanted
        top = {id(namespace[n]) for n in wanted}
        bound_to_them = {name for name, value in namespace.items() if id(value) in top}
        if all(self._held_by_names_only(n, namespace, bound_to_them) for n in wanted):
            return bound_to_them  # no walk of any other variable needed
        # Each reach is tested as it is: a union would copy every id (200k for 100k
        # dicts), and `disjoint` runs over the smaller set.
        reaches = [self.current(n, namespace[n]).reached().objects for n in wanted]
        sharing_names = set(bound_to_them)  # `wanted` and every name bound to their values
        for name, value in namespace.items():
            if name in sharing_names:
                continue
            objects = self.current(name, value).reached().objects
            if not all(disjoint(objects, reached) for reached in reaches):
                sharing_names.add(name)
        return sharing_names

    def _held_by_names_only(
        self, name: str, namespace: dict[str, object], bound_to_it: set[str]
    ) -> bool:
        """Whether `name`'s value holds nothing mutable and only names hold it (`sharing`).

        Then only the names bound to the same object share one with it. `namespace` is
        the baseline's user namespace (`_synced`), and `bound_to_it` holds every name of
        it bound to the value. The references counted are those of the shell's namespace,
        the baseline's two copies of it and `seen`, each checked to hold this very object.
        """
        if not sharing.usable():
            return False
        value = namespace[name]
        objects = self.current(name, value).reached().objects
        if len(objects) != 1 or id(value) not in objects:
            return False  # it holds mutable objects: another variable may hold one of them
        baseline = () if self._baseline is None else (self._baseline[0],)
        # Each dict once: a reference is counted once for each holder that has it.
        holders = {id(d): d for d in (self.shell.user_ns, namespace, *baseline)}.values()
        expected = 0
        seen: _Seen | None = None
        for bound in bound_to_it:
            for holder in holders:
                expected += holder.get(bound) is value
            seen = self.seen.get(bound)
            expected += seen is not None and seen.value is value
        del value, seen  # not references to count
        return sharing.references(namespace[name]) == expected

    def pre_run_cell(self, info: Any) -> None:  # noqa: ANN401 - IPython's ExecutionInfo
        """Analyses the cell and fingerprints what it can reach."""
        code = info.raw_cell or ""
        if only_own_magics(code):
            self._pending = None  # left out of the history, as the magics leave theirs
            return
        values, user_namespace, anchor = self._synced()
        analysis = self._analyses.get(code)
        if analysis is None:
            analysis = analyze(self.python_source(code))
            if len(self._analyses) >= _ANALYSES_KEPT:
                oldest = next(iter(self._analyses))
                del self._analyses[oldest]
                self._functions_called.pop(oldest, None)
            self._analyses[code] = analysis
        called = self._functions_called.get(code)
        if called is None:
            called = self.functions_called(analysis.reads | analysis.calls)
            self._functions_called[code] = called
        function_reads, calls_dynamic, function_calls = called
        reads = set(analysis.reads) | function_reads
        reads_everything = analysis.parse_error is not None or analysis.dynamic or calls_dynamic
        # What the cell changes directly is changed, with its co-variables: no hashing.
        # Code and modules are never data (`np.add(..., out=c)` reads as a change of `np`).
        direct = {
            name
            for name in analysis.mutates_directly
            if name in values and not is_code_or_module(values[name])
        }
        # What it may change otherwise is fingerprinted: what the analysis says, every
        # global of the notebook functions it calls (their bodies may change them), and
        # the data it calls (`counter()` with a `__call__`, `add = bag.append`, a
        # partial), with their co-variables. Values it only reads are not hashed, nor
        # code and modules: `np.random.default_rng(1)` reads as a change of `np`, and
        # taking it as one made every variable's reach needed to find what shares
        # objects with `np`.
        indirect = {
            name
            for name in analysis.mutates | function_reads | analysis.calls
            if name in values and not is_code_or_module(values[name])
        }
        namespace = user_namespace
        changed = self.reachable(direct, namespace)
        # What shares objects with a changed name is changed already: not looked at again.
        candidates = (
            set(namespace) if reads_everything else self.reachable(indirect - changed, namespace)
        )
        before = {}
        for name in candidates - changed:
            seen = self.current(name, namespace[name])
            before[name] = (seen.digested(), seen.reached().objects)
        self._pending = _PendingCell(
            code, analysis, reads, reads_everything, values, anchor, user_namespace, changed, before
        )
        self._pending.maybe_unreproducible_calls = (
            analysis.maybe_unreproducible_calls + function_calls
        )
        if self._unreproducible_names:
            through = self._unreproducible_names.intersection(reads)
            self._pending.maybe_unreproducible_calls += tuple(
                ((name,), False) for name in sorted(through)
            )
        # As the last cell left them (a draw between cells is then taken as this cell's:
        # it is stored, not re-run, which is never wrong): one reading per cell.
        if self._random_states is None:
            self._random_states = self._global_random.states()
        self._pending.random_before = self._random_states

    def opaque_reached(
        self, pending: _PendingCell, namespace: dict[str, object], written: list[str]
    ) -> list[str]:
        """Names holding an opaque object the cell read: they count as changed.

        A generator it may have advanced, a file it may have read: their state cannot be
        seen, so reading one is taken as changing it.
        """
        ran_dynamic = pending.reads_everything and pending.analysis.parse_error is None
        read = set(namespace) if ran_dynamic else pending.reads
        touched: set[int] = set()
        for name in read:
            seen = self.seen.get(name)
            if seen is not None and seen.value is pending.values.get(name):
                touched |= seen.reached().opaque
        if not touched:
            return []
        return [
            name
            for name, seen in self.seen.items()
            if name not in written
            and namespace.get(name) is seen.value
            and not touched.isdisjoint(seen.reached().opaque)
        ]

    def post_run_cell(self, result: Any) -> None:  # noqa: ANN401 - IPython's ExecutionResult
        """Diffs the namespace and fingerprints, and records the cell."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        runtime_ns = time.perf_counter_ns() - pending.started_ns
        self._random_states = self._global_random.states()
        drew_random = self._global_random.drew(pending.random_before, self._random_states)
        namespace = self.shell.user_ns
        tag = self._namespace_tag.read(namespace)
        diff = changes_between(pending.values, pending.anchor, namespace, self.shell.user_ns_hidden)
        written, deleted = diff.bound, diff.gone
        kept = pending.changed.difference(written, deleted)
        mutated = set(self.opaque_reached(pending, namespace, written)) | kept
        for name in kept:  # changed: what it reaches and its digest are unknown now
            self.seen[name] = _Seen(namespace[name])
        for name, (old_digest, old_objects) in pending.before.items():
            if name in namespace and name not in written:
                value = namespace[name]
                # What it reaches may have changed too (`d['k'] = lst`); a new object
                # equal to the one it replaced (`a[0] = b[0]`) changes only that.
                seen = self.seen[name] = _Seen(value, reach(value), digest(value))
                if seen.digest != old_digest or seen.reached().objects != old_objects:
                    mutated.add(name)
        for name in written:
            self.seen[name] = _Seen(namespace[name])
        roots = _state_roots(pending.analysis)
        if roots:  # most cells store through nothing
            change = StateChange(pending.code, runtime_ns)
            changed = self._note_stores_through(roots, change, namespace)
            mutated |= changed.difference(written)
        self._note_bound(written, namespace)
        for name in deleted:
            self.seen.pop(name, None)
            self._undefine(name)
            self._unreproducible_names.discard(name)
        for definition in pending.analysis.definitions:
            if definition.name in namespace:
                self._define(definition)
        record: CellRecordDict = {
            "code": pending.code,
            "runtimeNs": runtime_ns,
            "success": bool(getattr(result, "success", True)),
            # `del x` then `x = ...` in one cell needs the old `x` when it re-runs.
            "reads": sorted((pending.reads | pending.analysis.deletes) & pending.user.keys()),
            "readsEverything": pending.reads_everything,
            "writes": written,
            "mutates": sorted(mutated),
            "deletes": deleted,
        }
        calls = pending.maybe_unreproducible_calls  # empty for most cells: no call then
        self._file_reads[pending.code] = tuple(file_reads(calls)) if calls else ()
        interrupted = isinstance(getattr(result, "error_in_exec", None), KeyboardInterrupt)
        why_not = self._why_no_rerun(
            pending, drew_random, interrupted, namespace, self.shell.user_ns_hidden
        )
        if why_not is not None:
            record["cannotRerun"] = True
            self.no_rerun_reasons[len(self.records)] = why_not
        self.records.append(record)
        self._unrecorded.append(record)
        if len(self._unrecorded) >= _RECORDS_BATCH:
            self._hand_over_records()
        user = self._user_after(pending.user, namespace, diff)
        # Timed apart: the starting namespace held every value the cell unbound alive
        # (so no new object could take its id); they are freed now.
        releasing = time.perf_counter_ns()
        self._baseline = None
        pending.user = {}  # the user namespace before (also the baseline's, until now)
        _let_go(pending.values, diff)
        self.released_ns += time.perf_counter_ns() - releasing
        # The copy, brought up to the namespace, is the next cell's baseline.
        self._baseline = (_brought_up(pending.values, namespace, diff), user, diff.anchor)
        self._baseline_tag = tag

    @staticmethod
    def _why_no_rerun(
        pending: _PendingCell,
        drew_random: bool,
        interrupted: bool,
        namespace: dict[str, object],
        hidden: dict[str, object],
    ) -> str | None:
        """Why a restore must never re-run the cell that just ran, if it must not."""
        if pending.cannot_rerun:
            return "it runs elastic-notebook's own commands"
        if interrupted:
            # Stopped by the user where it was then: a re-run would not stop there (or
            # at all: `while True:` until interrupted).
            return "it was interrupted"
        if drew_random:
            return "it drew from a global random generator"
        history = history_read(pending.reads, namespace, hidden)
        if history is not None:
            return f"it reads IPython's history (`{history}`), which a restore does not bring back"
        calls = pending.maybe_unreproducible_calls and unreproducible_calls(
            pending.maybe_unreproducible_calls, namespace
        )
        return f"it calls {', '.join(calls)}" if calls else None

    def _guarded_pre_run_cell(self, info: Any) -> None:  # noqa: ANN401 - ExecutionInfo
        """`pre_run_cell` that never disturbs the user's cell: a failure only warns."""
        started = time.perf_counter_ns()
        try:
            self.pre_run_cell(info)
        except Exception as error:  # recording must never break a cell
            self._pending = None
            _warn(f"this cell is not recorded ({type(error).__name__}: {error})")
        finally:
            self.hook_ns += time.perf_counter_ns() - started

    def _guarded_post_run_cell(self, result: Any) -> None:  # noqa: ANN401 - ExecutionResult
        """`post_run_cell` that never disturbs the user's session: a failure only warns."""
        started = time.perf_counter_ns()
        released = self.released_ns
        try:
            self.post_run_cell(result)
        except Exception as error:  # recording must never break a cell
            _warn(f"this cell is not recorded ({type(error).__name__}: {error})")
        finally:
            elapsed = time.perf_counter_ns() - started
            self.hook_ns += elapsed - (self.released_ns - released)

    def register(self) -> None:
        """Hooks the recorder to the shell's cell events."""
        self.shell.events.register("pre_run_cell", self._guarded_pre_run_cell)
        self.shell.events.register("post_run_cell", self._guarded_post_run_cell)

    def unregister(self) -> None:
        """Unhooks it."""
        self.shell.events.unregister("pre_run_cell", self._guarded_pre_run_cell)
        self.shell.events.unregister("post_run_cell", self._guarded_post_run_cell)


def _state_roots(analysis: CellAnalysis) -> frozenset[str]:
    """The names whose state a cell may change at its top level without rebinding them.

    Those it stores through (``mod.X = 1``) and those it calls a known mutating method on
    (``regmod.CACHE.update(k=1)``): for code and modules, `Recorder._note_stores_through`.
    """
    if not analysis.stores_through:  # the common case: no new set
        return analysis.mutates_directly
    return analysis.stores_through | analysis.mutates_directly


def _without_read_only_magics(code: str) -> str:
    """`code` with every line of only a magic that changes no variable made ``pass``."""
    if "%" not in code:
        return code
    lines = code.split("\n")
    for index, line in enumerate(lines):
        statement = line.lstrip()
        if _READ_ONLY_MAGIC_LINE.match(statement):
            lines[index] = line[: len(line) - len(statement)] + "pass"
    return "\n".join(lines)


def outside_record(
    what: str, bound: list[str], deleted: list[str], mutated: list[str] | None = None
) -> CellRecordDict:
    """The record of changes no cell made, never re-run, so stored.

    Its code is a comment saying `what` they were and what they did to which names.
    """
    mutated = mutated or []
    done = [("bound", bound), ("deleted", deleted), ("may have changed", mutated)]
    parts = [f"{verb} {', '.join(names)}" for verb, names in done if names]
    return {
        "code": f"# {what}: {'; '.join(parts)}",
        "runtimeNs": 0,
        "success": True,
        "reads": [],
        "readsEverything": False,
        "writes": bound,
        "mutates": mutated,
        "deletes": deleted,
        "cannotRerun": True,
    }


def _let_go(copy: dict[str, object], diff: Changes) -> None:
    """Drops the values of `copy` that `diff` says changed (`_brought_up`'s first half)."""
    for name in diff.changed:
        if name in copy:
            copy[name] = None
    for name in diff.deleted:
        del copy[name]


def _brought_up(
    copy: dict[str, object], now: dict[str, object], diff: Changes
) -> dict[str, object]:
    """`copy`, of which `diff` is the diff to `now`, brought up to `now`'s kept names.

    In place; idempotent after `_let_go`.
    """
    for name in diff.changed:
        copy[name] = now[name]
    for name in diff.deleted:
        copy.pop(name, None)
    return copy


def _warn(message: str) -> None:
    print(f"elastic-notebook: {message}", file=sys.stderr)
