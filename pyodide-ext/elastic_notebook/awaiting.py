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
import threading
from collections.abc import Callable, Coroutine
from types import CodeType
from typing import Any, cast

#: How long an interrupted wait gives the cancelled coroutine's thread to end.
_CANCELLED_WAIT_SECONDS = 5.0
#: Runs a coroutine to its end (IPython's ``shell.loop_runner``).
LoopRunner = Callable[[Coroutine[Any, Any, Any]], object]


def compile_cell(source: str, filename: str, features: int = 0) -> CodeType:
    """`source` (a transformed cell) compiled as IPython compiles it: top-level await allowed.

    `features`: the future features in effect (`future_imports`); none is inherited from
    this module.
    """
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | features
    code: CodeType = compile(source, filename, "exec", flags=flags, dont_inherit=True)
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
    run_on_a_loop_of_its_own(coroutine)


def run_on_a_loop_of_its_own(coroutine: Coroutine[Any, Any, Any]) -> object:
    """Runs `coroutine` on a new event loop in a worker thread; returns or raises its outcome.

    The wait can be interrupted (a kernel interrupt while a re-run cell awaits something
    that never comes): the coroutine's task is cancelled, its thread given a moment to
    end, and the interrupt goes on to the restore, which puts the namespace back.
    """
    running: list[tuple[asyncio.AbstractEventLoop, asyncio.Task[Any]]] = []
    outcome: list[tuple[bool, object]] = []

    async def main() -> object:
        task = asyncio.current_task()
        if task is not None:
            running.append((asyncio.get_running_loop(), task))
        return await coroutine

    # Waited for through an event, not `Thread.join`: an interrupted join marks the
    # thread as ended in CPython 3.11 (bpo-45274), so a second join would not wait.
    ended = threading.Event()

    def drive() -> None:
        try:
            outcome.append((True, asyncio.run(main())))
        except BaseException as error:  # handed to the waiting thread, which raises it
            outcome.append((False, error))
        finally:
            ended.set()

    threading.Thread(target=drive, name="elastic-notebook-await", daemon=True).start()
    try:
        ended.wait()
    except BaseException:
        for loop, task in running:
            loop.call_soon_threadsafe(task.cancel)
        ended.wait(_CANCELLED_WAIT_SECONDS)
        raise
    succeeded, value = outcome[0]
    if not succeeded:
        raise cast("BaseException", value)
    return value
