"""Calls whose results a re-run cannot give back: randomness, unseeded generators, input().

(And calls that read files, `file_reads`: a re-run gives them back only where the files
are, which a restore elsewhere is not.)

``os.urandom(16)``, ``uuid.uuid4()``, ``secrets.token_hex()``, ``random.SystemRandom()``, and
generators seeded from the system because no seed was given (``np.random.default_rng()``,
``random.Random()``), and what the user types (``input()``, ``getpass.getpass()``): a
cell that calls one gives other values when run again, so the recorder records it as a
cell that cannot re-run, and its results are stored.

Found in two steps. The core's analysis of a new cell lists the calls it makes now (not
in the bodies of functions, lambdas or methods it defines) whose callee's dotted name ends
in the name of one of the functions and classes below
(`CellAnalysis.maybe_unreproducible_calls`; a test holds the core's list of names to these
tables). After the cell runs, the names are looked up in the namespace through modules
only (`unreproducible_calls`) and compared by identity with those functions and classes.
The clock is not among them: timings and timestamps come back new, which is what
re-running means for them. A generator seeded from the clock, the process id or the
system's randomness (``np.random.default_rng(time.time_ns())``) counts as unseeded: the
core marks such a call unseeded when an argument calls a function of one of those names
(``SEED_SOURCE_NAMES``, by name alone). (The calls were first found by a second parse
with Python's `ast`, for cells that mentioned one of the names: 58 us warm, 160 us in the
hooks.)

The calls made in the bodies of the notebook functions and classes a cell calls count as
the cell's (the core lists them for each definition, `Definition.maybe_unreproducible_calls`;
the recorder follows calls as it does for reads). A first name the notebook does not bind
is looked up among the modules imported (``sys.modules``): a module the function imports
itself (``import uuid`` in its body); the core names a call through an imported alias by
what it imported (``from uuid import uuid4 as make; make()``: ``uuid.uuid4``). An alias
imported in another cell (``from uuid import uuid4 as make``, then ``make()``) is not among
the core's calls, which it knows by their last name: the recorder keeps the names bound to
one of these functions (`is_unreproducible_callable`) and counts a cell reading one as
calling it. Not seen: such calls hidden behind a name bound to something else than a
module or the function itself (an attribute of an instance, a dict's value).
"""

from __future__ import annotations

import builtins
import sys
from types import ModuleType

from elastic_notebook.analysis import NamedCall
from elastic_notebook.core import file_readers

#: Unreproducible whatever the arguments, by module and name.
_ALWAYS = {
    "os": ("urandom",),
    "posix": ("urandom",),
    "nt": ("urandom",),
    "uuid": ("uuid1", "uuid4"),
    "secrets": (
        "token_bytes",
        "token_hex",
        "token_urlsafe",
        "randbits",
        "randbelow",
        "choice",
        "SystemRandom",
    ),
    "random": ("SystemRandom",),
    # What the user types: a re-run asks again (a kernel forwarding stdin replaces these
    # while a cell runs, so they are compared as they are when the cell has run).
    "builtins": ("input",),
    "getpass": ("getpass",),
}
#: Unreproducible when called without a seed, by module and name.
_UNSEEDED = {
    "random": ("Random",),
    "numpy.random": (
        "default_rng",
        "RandomState",
        "SeedSequence",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
    ),
}


def file_reads(calls: tuple[NamedCall, ...]) -> list[str]:
    """The dotted names among `calls` of functions that read files, sorted.

    A call reads files if its last name is one of the core's (`core.file_readers`: `open`,
    `read_csv`, `load`...), which lists such calls among a cell's: a re-run of the cell
    needs files a checkpoint does not carry, so a checkpoint prefers storing what the cell
    made (`save.plan_checkpoint`). By name alone, never resolved: a false match only
    stores values rather than re-running a cell.
    """
    readers = file_readers()
    return sorted({".".join(name) for name, _ in calls if name[-1] in readers})


def unreproducible_calls(calls: tuple[NamedCall, ...], namespace: dict[str, object]) -> list[str]:
    """The dotted names among `calls` that resolve to unreproducible calls, sorted."""
    found: set[str] = set()
    for name, seeded in calls:
        target = namespace.get(name[0])
        if target is None and len(name) > 1:
            # Not a notebook variable: a module the function imported itself (`import
            # uuid` in its body; the core names an aliased import by its module).
            target = sys.modules.get(name[0])
        elif target is None:
            target = getattr(builtins, name[0], None)  # `input()`
        for attribute in name[1:]:
            if not isinstance(target, ModuleType):
                target = None  # only modules are looked into: an attribute may run code
                break
            target = getattr(target, attribute, None)
        if target is not None and _is_unreproducible(target, seeded=seeded):
            found.add(".".join(name))
    return sorted(found)


def is_unreproducible_callable(value: object) -> bool:
    """Whether `value` is one of the tables' functions or classes (seeded or not)."""
    return _is_unreproducible(value, seeded=False)


#: Verdicts of `_is_unreproducible` by the target's id, with the target (held, so its id
#: cannot be reused while kept): a cell run again asks about the same functions, and each
#: look through the tables took 20-25 us in the hooks. Bounded: cleared when full.
_VERDICTS: dict[tuple[int, bool], tuple[object, bool]] = {}
_VERDICTS_KEPT = 256


def _is_unreproducible(target: object, *, seeded: bool) -> bool:
    """Whether calling `target` (with a seed or not) gives values no re-run gives back."""
    key = (id(target), seeded)
    kept = _VERDICTS.get(key)
    if kept is not None and kept[0] is target:
        return kept[1]
    tables = [_ALWAYS] if seeded else [_ALWAYS, _UNSEEDED]
    verdict = any(
        module is not None and any(getattr(module, n, None) is target for n in names)
        for table in tables
        for module_name, names in table.items()
        for module in (sys.modules.get(module_name),)
    )
    if len(_VERDICTS) >= _VERDICTS_KEPT:
        _VERDICTS.clear()
    _VERDICTS[key] = (target, verdict)
    return verdict
