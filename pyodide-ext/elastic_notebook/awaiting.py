"""Re-running a cell that awaits at its top level, as IPython ran it.

IPython runs a cell such as ``page = await fetch(url)`` (autoawait); in JupyterLite,
``await micropip.install(...)`` and ``await pyfetch(...)`` are everyday cells. Compiled
with ``PyCF_ALLOW_TOP_LEVEL_AWAIT``, such a cell's code object is a coroutine's: running
it gives a coroutine, which the restore runs to its end before the next step, where
the host lets it:

- CPython with no event loop running in this thread (a terminal IPython, a plain
  ``InteractiveShell``): IPython's own loop runner, the one that ran the cell when it was
  recorded (asyncio's, or trio's if so configured);
- CPython inside a running loop (ipykernel runs every cell inside its asyncio loop, which
  a magic cannot wait on): a loop of its own in a worker thread, while this one waits;
- Pyodide: ``run_sync`` (WebAssembly stack switching; JupyterLite's kernel has it where
  the browser does). Where it is missing, the cell cannot re-run, and the error says so.
"""

from __future__ import annotations

import ast
import asyncio
import inspect
import sys
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import CodeType
from typing import Any

#: Runs a coroutine to its end (IPython's ``shell.loop_runner``).
LoopRunner = Callable[[Coroutine[Any, Any, Any]], object]


def compile_cell(source: str, filename: str) -> CodeType:
    """`source` (a transformed cell) compiled as IPython compiles it: top-level await allowed."""
    code: CodeType = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    return code


def awaits(code: CodeType) -> bool:
    """Whether running `code` gives a coroutine (its cell awaits at its top level)."""
    return bool(code.co_flags & inspect.CO_COROUTINE)


def run_cell_code(code: CodeType, namespace: dict[str, object], loop_runner: LoopRunner) -> None:
    """Runs a cell's `code` in `namespace` to its end, awaiting at its top level if it does."""
    if not awaits(code):
        exec(code, namespace)  # re-running the user's own cell
        return
    coroutine = eval(code, namespace)  # the user's own cell: a coroutine, not run yet
    if sys.platform == "emscripten":
        from elastic_notebook._pyodide import run_until_done

        run_until_done(coroutine)
        return
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # no loop runs here: IPython's runner, as when it was recorded
        loop_runner(coroutine)
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="elastic-notebook-await") as pool:
        pool.submit(asyncio.run, coroutine).result()
