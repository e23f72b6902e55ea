"""Typed results of the core's cell analysis.

They mirror the core's serde data-transfer objects (camelCase dicts from both hosts),
with snake_case fields, frozensets for name sets and tuples for sequences. Named tuples,
not frozen dataclasses: one is built for every new cell the recorder sees, and a frozen
dataclass's constructor sets each field through `object.__setattr__` (3 us a cell, the
tuple 0.5 us).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from elastic_notebook._core import (
        CellAnalysisDict,
        DefinitionDict,
        NamedCallDict,
        ParseErrorDict,
    )

#: A call to a dotted name (`("np", "random", "default_rng")`), and whether it passes an
#: argument other than a literal ``None`` (for a generator: a seed).
NamedCall = tuple[tuple[str, ...], bool]


class DefinitionKind(StrEnum):
    """What kind of definition binds a name."""

    FUNCTION = "function"
    CLASS = "class"
    LAMBDA = "lambda"


class ParseError(NamedTuple):
    """A parse error with its 1-based line and column."""

    message: str
    line: int
    column: int

    @classmethod
    def from_dict(cls, data: ParseErrorDict) -> ParseError:
        """Builds it from the core's dict."""
        return cls(message=data["message"], line=int(data["line"]), column=int(data["column"]))


class Definition(NamedTuple):
    """A function or class defined at a cell's top level."""

    name: str
    kind: DefinitionKind
    #: Global names its body reads when called (for a class: its methods' bodies).
    reads: frozenset[str]
    #: Global names its body binds through ``global`` declarations.
    global_writes: frozenset[str]
    #: Global names its body calls.
    calls: frozenset[str]
    #: Its body does something the source cannot show: a cell calling it is dynamic.
    dynamic: bool
    #: Calls its body makes whose callee may give values no re-run gives back, or that
    #: read files: a cell calling it makes them too (`unreproducible`).
    maybe_unreproducible_calls: tuple[NamedCall, ...] = ()

    @classmethod
    def from_dict(cls, data: DefinitionDict) -> Definition:
        """Builds it from the core's dict."""
        calls = data["maybeUnreproducibleCalls"]
        return cls(
            name=data["name"],
            kind=DefinitionKind(data["kind"]),
            reads=_names(data["reads"]),
            global_writes=_names(data["globalWrites"]),
            calls=_names(data["calls"]),
            dynamic=bool(data["dynamic"]),
            maybe_unreproducible_calls=tuple(map(_named_call, calls)) if calls else (),
        )


class CellAnalysis(NamedTuple):
    """What one cell does to the global namespace, as far as its source shows.

    >>> from elastic_notebook import analyze
    >>> a = analyze("y = x + 1")
    >>> sorted(a.reads), sorted(a.binds)
    (['x'], ['y'])
    """

    #: The parse error if the cell does not parse; all other fields are then empty and the
    #: cell must be treated as reading everything.
    parse_error: ParseError | None
    #: Global names the cell reads when it runs.
    reads: frozenset[str]
    #: Global names the cell binds (assignment, for, with, except, walrus, match, def, class).
    binds: frozenset[str]
    #: Global names the cell deletes with ``del name``.
    deletes: frozenset[str]
    #: Global names bound by ``import`` statements.
    imports: frozenset[str]
    #: Modules imported with ``from module import *``.
    star_imports: frozenset[str]
    #: Functions and classes defined at the cell's top level, in source order.
    definitions: tuple[Definition, ...]
    #: Global names the cell calls directly.
    calls: frozenset[str]
    #: Names whose values the cell may change in place (the only ones worth
    #: fingerprinting, with their co-variables).
    mutates: frozenset[str]
    #: Those of `mutates` it changes directly (``x[0] = 1``, ``x.append(1)``, aliases of
    #: them it binds): taken as changed without fingerprinting.
    mutates_directly: frozenset[str]
    #: Roots of the attribute and subscript targets it stores to or deletes at its top
    #: level, through calls (``mod.X = 1``, ``decimal.getcontext().prec = 50``), and of
    #: setting methods' receivers (``pd.set_option``): for a module, a class or a
    #: function, a change of its state (`Recorder.changed_by_name`).
    stores_through: frozenset[str]
    #: The cell does something its source cannot show (exec/eval, magics, star imports).
    dynamic: bool
    #: Calls it makes now (not in function bodies) whose callee may give values no re-run
    #: gives back, or that read files (`unreproducible`), by dotted name; resolved by the
    #: recorder.
    maybe_unreproducible_calls: tuple[NamedCall, ...] = ()

    @property
    def parsed(self) -> bool:
        """Whether the cell parsed."""
        return self.parse_error is None

    @classmethod
    def from_dict(cls, data: CellAnalysisDict) -> CellAnalysis:
        """Builds it from the core's dict."""
        parse_error = data["parseError"]
        definitions = data["definitions"]
        calls = data["maybeUnreproducibleCalls"]
        return cls(
            parse_error=ParseError.from_dict(parse_error) if parse_error else None,
            reads=_names(data["reads"]),
            binds=_names(data["binds"]),
            deletes=_names(data["deletes"]),
            imports=_names(data["imports"]),
            star_imports=_names(data["starImports"]),
            definitions=tuple(map(Definition.from_dict, definitions)) if definitions else (),
            calls=_names(data["calls"]),
            mutates=_names(data["mutates"]),
            mutates_directly=_names(data["mutatesDirectly"]),
            stores_through=_names(data["storesThrough"]),
            dynamic=bool(data["dynamic"]),
            maybe_unreproducible_calls=tuple(map(_named_call, calls)) if calls else (),
        )


def _named_call(data: NamedCallDict) -> NamedCall:
    """A named call of the core's dict."""
    return (tuple(data["callee"]), bool(data["seeded"]))


_NO_NAMES: frozenset[str] = frozenset()


def _names(names: Iterable[str]) -> frozenset[str]:
    """A name set of the core's dict: most are empty, and share one frozenset."""
    return frozenset(names) if names else _NO_NAMES
