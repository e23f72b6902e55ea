"""Runs cells in a real IPython shell of its own process, for the restore tests.

Usage: ``python ipython_driver.py JOB.json`` prints one JSON object to stdout. The job:

- ``before``: cells run before the extension is loaded (optional);
- ``cells``: cells run in order (the extension is loaded first). A cell given as
  ``{"outside": CODE}`` is not a cell: CODE runs in the namespace between cells, as a
  widget's callback or ``shell.push`` would, and its result has no output;
- ``probes``: expressions evaluated at the end, each reported as ``repr`` of its value
  (or ``"<ExcType>"`` if it raises).

The result has ``probes`` (expression -> repr), ``results`` (per cell: whether it
succeeded, its error type, and what it printed) and ``variables`` (the user variables).
"""

# IPython is not typed: its calls are untyped for mypy --strict.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import contextlib
import io
import json
import sys
from typing import Any

from IPython.core.interactiveshell import InteractiveShell

from elastic_notebook import magics


def main(job_path: str) -> None:
    with open(job_path, encoding="utf-8") as file:
        job: dict[str, Any] = json.load(file)
    shell = InteractiveShell.instance()
    for cell in job.get("before", []):
        shell.run_cell(cell)
    shell.run_cell("%load_ext elastic_notebook")
    results = []
    for cell in job["cells"]:
        if isinstance(cell, dict):
            exec(cell["outside"], shell.user_ns)
            results.append({"success": True, "error": None, "output": ""})
            continue
        output = io.StringIO()
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            result = shell.run_cell(cell)
        error = result.error_in_exec or result.error_before_exec
        results.append(
            {
                "success": bool(result.success),
                "error": None if error is None else type(error).__name__,
                "output": output.getvalue(),
            }
        )
    probes = {}
    for expression in job.get("probes", []):
        try:
            probes[expression] = repr(eval(expression, shell.user_ns))
        except Exception as error:
            probes[expression] = f"<{type(error).__name__}>"
    recorder = magics.recorder_of(shell)
    assert recorder is not None
    variables = sorted(recorder.user_namespace())
    json.dump({"probes": probes, "results": results, "variables": variables}, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
