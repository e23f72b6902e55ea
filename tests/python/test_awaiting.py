"""Re-running cells that await at their top level (`awaiting`), inside a running loop.

The restore tests re-run such cells in a plain IPython shell (no loop runs: IPython's
runner) and in a Jupyter kernel (its loop runs); these look at the worker thread's loop
directly: its result, its errors, and an interrupt while it waits.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import pytest

from elastic_notebook.awaiting import awaits, compile_cell, run_cell_code


def run_inside_a_running_loop(source: str, namespace: dict[str, object]) -> None:
    """`run_cell_code` called from synchronous code inside a running loop, as a magic
    runs inside ipykernel's."""
    code = compile_cell(source, "<cell>")

    async def kernel() -> None:
        run_cell_code(code, namespace, loop_runner=_no_runner)

    # As ipykernel runs its loop: not `asyncio.run`, whose SIGINT handler would cancel
    # the (blocked) kernel task instead of raising KeyboardInterrupt.
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(kernel())
    finally:
        loop.close()


def _no_runner(coroutine: object) -> object:
    raise AssertionError("IPython's runner cannot run inside a running loop")


def test_only_cells_that_await_at_their_top_level_give_coroutines() -> None:
    assert awaits(compile_cell("import asyncio\nx = await asyncio.sleep(0, 5)", "<cell>"))
    assert not awaits(compile_cell("async def f():\n    await g()\nx = 1", "<cell>"))


def test_a_cell_awaiting_inside_a_running_loop_runs_on_a_loop_of_its_own() -> None:
    namespace: dict[str, object] = {}
    run_inside_a_running_loop(
        "import asyncio, threading\nvalue = await asyncio.sleep(0.01, [1, 2])\n"
        "where = threading.current_thread().name",
        namespace,
    )
    assert namespace["value"] == [1, 2]
    assert namespace["where"] == "elastic-notebook-await"


def test_the_error_of_a_cell_awaiting_inside_a_running_loop_is_raised() -> None:
    with pytest.raises(ZeroDivisionError):
        run_inside_a_running_loop("import asyncio\nawait asyncio.sleep(0)\n1 / 0", {})


def test_an_interrupt_while_a_cell_awaits_cancels_it_and_goes_on() -> None:
    namespace: dict[str, object] = {"cancelled": []}
    main = threading.main_thread().ident
    assert main is not None
    timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
    started = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_inside_a_running_loop(
                "import asyncio\ntry:\n    await asyncio.sleep(3600)\n"
                "except asyncio.CancelledError:\n    cancelled.append(True)\n    raise",
                namespace,
            )
    finally:
        timer.cancel()
    assert time.monotonic() - started < 10  # not the hour the cell would have waited
    assert namespace["cancelled"] == [True]  # before the interrupt went on
