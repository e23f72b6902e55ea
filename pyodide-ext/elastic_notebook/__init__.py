"""elastic-notebook: checkpoint and restore of live notebook sessions.

The same package runs on desktop CPython (core: the native module ``_core``) and in
Pyodide/JupyterLite (core: the WebAssembly module shipped as package data). Its public
operations have the same names as the JS API of the wasm module::

    >>> import elastic_notebook
    >>> elastic_notebook.analyze("y = x + 1").reads
    frozenset({'x'})
"""

from elastic_notebook.analysis import CellAnalysis, Definition, DefinitionKind, ParseError
from elastic_notebook.checkpoint import CheckpointError, VerifyReport
from elastic_notebook.core import analyze, inspect_checkpoint, verify_checkpoint, version
from elastic_notebook.restore import RestoreError, RestoreReport
from elastic_notebook.save import CheckpointReport
from elastic_notebook.session import checkpoint, restore

__all__ = [
    "CellAnalysis",
    "CheckpointError",
    "CheckpointReport",
    "Definition",
    "DefinitionKind",
    "ParseError",
    "RestoreError",
    "RestoreReport",
    "VerifyReport",
    "analyze",
    "checkpoint",
    "inspect_checkpoint",
    "restore",
    "verify_checkpoint",
    "version",
]


def load_ipython_extension(shell: object) -> None:
    """``%load_ext elastic_notebook``: records every cell from now on."""
    from elastic_notebook import magics

    magics.load(shell)


def unload_ipython_extension(shell: object) -> None:
    """``%unload_ext elastic_notebook``: stops recording."""
    from elastic_notebook import magics

    magics.unload(shell)
