"""Typed results of the core's cell analysis.

They mirror the core's serde data-transfer objects (camelCase dicts from both hosts),
with snake_case fields, frozensets for name sets and tuples for sequences.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from elastic_notebook._core import CellAnalysisDict, DefinitionDict, ParseErrorDict


class DefinitionKind(StrEnum):
    """What kind of definition binds a name."""

    FUNCTION = "function"
    CLASS = "class"
    LAMBDA = "lambda"


@dataclass(frozen=True, slots=True)
class ParseError:
    """A parse error with its 1-based line and column."""

    message: str
    line: int
    column: int

    @classmethod
    def from_dict(cls, data: ParseErrorDict) -> ParseError:
        """Builds it from the core's dict."""
        return cls(message=data["message"], line=int(data["line"]), column=int(data["column"]))


@dataclass(frozen=True, slots=True)
class Definition:
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

    @classmethod
    def from_dict(cls, data: DefinitionDict) -> Definition:
        """Builds it from the core's dict."""
        return cls(
            name=data["name"],
            kind=DefinitionKind(data["kind"]),
            reads=frozenset(data["reads"]),
            global_writes=frozenset(data["globalWrites"]),
            calls=frozenset(data["calls"]),
            dynamic=bool(data["dynamic"]),
        )


@dataclass(frozen=True, slots=True)
class CellAnalysis:
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
    #: The cell does something its source cannot show (exec/eval, magics, star imports).
    dynamic: bool

    @property
    def parsed(self) -> bool:
        """Whether the cell parsed."""
        return self.parse_error is None

    @classmethod
    def from_dict(cls, data: CellAnalysisDict) -> CellAnalysis:
        """Builds it from the core's dict."""
        parse_error = data["parseError"]
        return cls(
            parse_error=ParseError.from_dict(parse_error) if parse_error else None,
            reads=frozenset(data["reads"]),
            binds=frozenset(data["binds"]),
            deletes=frozenset(data["deletes"]),
            imports=frozenset(data["imports"]),
            star_imports=frozenset(data["starImports"]),
            definitions=tuple(Definition.from_dict(d) for d in data["definitions"]),
            calls=frozenset(data["calls"]),
            mutates=frozenset(data["mutates"]),
            mutates_directly=frozenset(data["mutatesDirectly"]),
            dynamic=bool(data["dynamic"]),
        )
