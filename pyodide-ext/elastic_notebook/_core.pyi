# Types of the native module `elastic_notebook._core` (src/python.rs). Private: use
# `elastic_notebook.core`. The dicts are the core's serde shapes, the same the wasm module
# returns to Pyodide (js/src/types.ts).

from typing import Literal, TypedDict

class ParseErrorDict(TypedDict):
    message: str
    line: int
    column: int

class DefinitionDict(TypedDict):
    name: str
    kind: Literal["function", "class", "lambda"]
    reads: list[str]
    globalWrites: list[str]
    calls: list[str]
    dynamic: bool

class CellAnalysisDict(TypedDict):
    parseError: ParseErrorDict | None
    reads: list[str]
    binds: list[str]
    deletes: list[str]
    imports: list[str]
    starImports: list[str]
    definitions: list[DefinitionDict]
    calls: list[str]
    dynamic: bool

def version() -> str:
    """The version of the core, e.g. ``"0.1.0"``."""

def analyze(code: str) -> CellAnalysisDict:
    """Analyses one cell's source; never raises for any source."""
