"""The desktop kernelspec: ``python -m elastic_notebook install-kernel``, then real notebooks.

The Jupyter tests install the kernelspec into a temporary prefix, point ``JUPYTER_PATH`` at
it (and Jupyter's and IPython's other directories at the test's own), and execute
``.ipynb`` files with nbclient on it: each notebook runs in its own kernel process.
"""

# nbformat's functions are not typed: untyped calls for mypy --strict.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbformat import NotebookNode

import elastic_notebook
from elastic_notebook import kernelspec
from elastic_notebook.__main__ import main

KERNEL = kernelspec.KERNEL_NAME
#: Per cell; the cells here take milliseconds, a kernel start about two seconds.
CELL_TIMEOUT = 60


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "elastic_notebook", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


# --- the installer ------------------------------------------------------------------------


def test_install_kernel_into_a_prefix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    done = cli("install-kernel", "--prefix", str(tmp_path))
    assert done.returncode == 0, done.stderr
    spec_dir = (tmp_path / "share" / "jupyter" / "kernels" / KERNEL).resolve()
    assert f"Installed kernelspec {KERNEL} in {spec_dir}" in done.stdout
    # A prefix outside Jupyter's search path gets a hint on how to use it.
    assert f"JUPYTER_PATH={spec_dir.parent.parent}" in done.stdout

    spec = json.loads((spec_dir / "kernel.json").read_text())
    assert spec["display_name"] == "Python 3 (elastic-notebook)"
    assert spec["language"] == "python"
    argv = spec["argv"]
    assert argv[0] == sys.executable
    assert argv[argv.index("-m") + 1] == "ipykernel_launcher"
    assert argv[argv.index("-f") + 1] == "{connection_file}"
    assert "--IPKernelApp.extra_extensions=elastic_notebook" in argv
    assert (spec_dir / "logo-64x64.png").is_file()

    # Jupyter finds it there once told where to look.
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    found = KernelSpecManager().get_kernel_spec(KERNEL)
    assert Path(found.resource_dir).resolve() == spec_dir
    assert found.display_name == "Python 3 (elastic-notebook)"


def test_install_kernel_with_a_name_replaces_an_older_install(tmp_path: Path) -> None:
    for display in ("first", "My elastic kernel"):
        done = cli(
            "install-kernel",
            "--prefix",
            str(tmp_path),
            "--name",
            "en-test",
            "--display-name",
            display,
        )
        assert done.returncode == 0, done.stderr
    spec_dir = tmp_path / "share" / "jupyter" / "kernels" / "en-test"
    assert json.loads((spec_dir / "kernel.json").read_text())["display_name"] == (
        "My elastic kernel"
    )
    assert not (tmp_path / "share" / "jupyter" / "kernels" / KERNEL).exists()


def test_install_kernel_for_the_user(tmp_path: Path) -> None:
    # The user's Jupyter data directory, moved into the test's (as JUPYTER_DATA_DIR does).
    done = cli("install-kernel", "--user", env={**os.environ, "JUPYTER_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    spec_dir = (tmp_path / "kernels" / KERNEL).resolve()
    assert done.stdout == f"Installed kernelspec {KERNEL} in {spec_dir}\n"
    assert (spec_dir / "kernel.json").is_file()


def test_help() -> None:
    done = cli("--help")
    assert done.returncode == 0
    assert "install-kernel" in done.stdout
    done = cli("install-kernel", "--help")
    assert done.returncode == 0
    for option in ("--user", "--prefix DIR", "--name NAME", "--sys-prefix"):
        assert option in done.stdout
    assert "%checkpoint and %restore" in done.stdout


def test_a_bad_argument_exits_2_with_a_message(tmp_path: Path) -> None:
    done = cli("install-kernel", "--prefix", str(tmp_path), "--frobnicate")
    assert done.returncode == 2
    assert "unrecognized arguments: --frobnicate" in done.stderr
    assert not (tmp_path / "share").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["install-kernels"], "invalid choice: 'install-kernels'"),
        (["install-kernel", "--name", "my kernel"], "invalid kernel name 'my kernel'"),
        (["install-kernel", "--user", "--prefix", "x"], "not allowed with argument --user"),
        (["install-kernel", "--prefix"], "expected one argument"),
    ],
)
def test_usage_errors(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "python -m elastic_notebook" in err and message in err


def test_an_unwritable_prefix_fails_with_exit_1(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    done = cli("install-kernel", "--prefix", str(not_a_directory))
    assert done.returncode == 1
    assert "error: cannot write the kernelspec" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_ipykernel_the_error_says_pip_install_ipykernel(tmp_path: Path) -> None:
    # A `None` in sys.modules makes `import ipykernel` raise ImportError, as when it is
    # not installed; everything else runs for real.
    script = (
        "import sys\n"
        "sys.modules['ipykernel'] = None\n"
        "from elastic_notebook.__main__ import main\n"
        f"sys.exit(main(['install-kernel', '--prefix', {str(tmp_path)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 1
    assert "pip install ipykernel" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "share").exists()


# --- through Jupyter ------------------------------------------------------------------------


@pytest.fixture
def jupyter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Installs the kernelspec into a prefix under `tmp_path`; the notebooks' directory."""
    installed = kernelspec.install(prefix=tmp_path / "prefix")
    assert installed.name == KERNEL
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "prefix" / "share" / "jupyter"))
    # Nothing of the user's: connection files, Jupyter and IPython configuration, history.
    for variable, directory in [
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_CONFIG_DIR", "jupyter-config"),
        ("IPYTHONDIR", "ipython"),
    ]:
        (tmp_path / directory).mkdir()
        monkeypatch.setenv(variable, str(tmp_path / directory))
    work = tmp_path / "work"
    work.mkdir()
    return work


def run_notebook(path: Path, cells: Sequence[str]) -> list[str]:
    """Writes `cells` as the notebook `path`, executes it on the elastic-notebook kernel.

    The executed notebook is written back to `path` (to look at when a test fails). Returns
    each cell's stdout; a cell that raises fails the test with its traceback.
    """
    notebook = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in cells],
        metadata={
            "kernelspec": {
                "name": KERNEL,
                "display_name": kernelspec.DISPLAY_NAME,
                "language": "python",
            }
        },
    )
    nbformat.write(notebook, path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    finally:
        nbformat.write(notebook, path)
    return [stdout_of(cell) for cell in notebook.cells]


def stdout_of(cell: NotebookNode) -> str:
    return "".join(
        output["text"]
        for output in cell["outputs"]
        if output["output_type"] == "stream" and output["name"] == "stdout"
    )


def test_the_kernel_records_from_the_first_cell(jupyter: Path) -> None:
    outputs = run_notebook(jupyter / "first.ipynb", ["x = [1]", "x.append(2)", "%elastic"])
    assert "elastic-notebook: 2 cells recorded" in outputs[2]
    assert "mutates: x" in outputs[2]
    assert "live variables (1): x" in outputs[2]


#: The original session: imports, a list with an alias, a numpy array edited in place, a
#: dict holding the list, a function updating a global, a class and an instance, a cell
#: that awaits, draws from the global random generators.
SESSION = [
    "import math\nimport numpy as np",
    "l1 = [1, 2, 3]\nl2 = l1\nl2.append(4)",
    "arr = np.arange(12, dtype=np.float64).reshape(3, 4)\narr[1] *= 10\narr[:, 0] = -1",
    "d = {'name': 'session', 'items': l1, 'pi': round(math.pi, 5)}\nd['count'] = len(l2)",
    "total = 0\n\ndef add(k):\n    global total\n    total += k\n    return total",
    "add(5)\nadd(arr.shape[1]);",
    "class Point:\n"
    "    def __init__(self, x, y):\n"
    "        self.x, self.y = x, y\n"
    "\n"
    "    def __repr__(self):\n"
    "        return f'Point({self.x}, {self.y})'\n"
    "\n"
    "    def norm2(self):\n"
    "        return self.x ** 2 + self.y ** 2\n"
    "\n"
    "p = Point(3, 4)\n"
    "p.x += 1",
    # Awaits at its top level: a re-run inside the kernel's running asyncio loop.
    "import asyncio\n\nasync def later(value):\n    await asyncio.sleep(0.01)\n    return value\n\n"
    "awaited = await later(sorted(l1))",
    # The next draws after a restore continue these generators, as they do after the
    # checkpoint in the original kernel.
    "import random\nrandom.seed(2024)\nsample = random.sample(range(100), 3)\n"
    "np.random.seed(11)\nweights = np.random.rand(2)",
]

#: The cells run after the checkpoint: in the original session, and after a restore.
NEXT = [
    "print(l1 is l2, d['items'] is l1, l1)",
    "print(arr.sum(), arr.dtype, arr.shape)\nprint(arr.tolist())",
    "print(d)",
    "print(total, add(1), total)",
    "print(p, p.norm2(), isinstance(p, Point), type(p) is Point, Point(1, 2))",
    "l2.append(99)\nprint(l1, d['items'][-1])",
    "print(np.__name__, math.sqrt(16), np.ones(2) @ arr[:2, 1:3])",
    "print(awaited, type(later).__name__)",
    "print(sample, random.randint(0, 10**6), np.random.randint(1000))",
]

#: What NEXT prints in the original session (so a session that fails the same way in both
#: kernels cannot pass).
EXPECTED = [
    "True True [1, 2, 3, 4]\n",
    "213.0 float64 (3, 4)\n[[-1.0, 1.0, 2.0, 3.0], [-1.0, 50.0, 60.0, 70.0], "
    "[-1.0, 9.0, 10.0, 11.0]]\n",
    "{'name': 'session', 'items': [1, 2, 3, 4], 'pi': 3.14159, 'count': 4}\n",
    "9 10 10\n",
    "Point(4, 4) 32 True True Point(1, 2)\n",
    "[1, 2, 3, 4, 99] 99\n",
    "numpy 4.0 [51. 62.]\n",
    "[1, 2, 3, 4] function\n",
    "[60, 23, 93] 606446 337\n",
]


@pytest.mark.parametrize("mode", ["", " --store-all", " --recompute-all"])
def test_a_session_checkpointed_in_one_kernel_is_restored_in_another(
    jupyter: Path, mode: str
) -> None:
    checkpoint = jupyter / "session.ckpt"
    original = run_notebook(
        jupyter / "original.ipynb", [*SESSION, f"%checkpoint {checkpoint}{mode}", *NEXT]
    )
    after_checkpoint = original[len(SESSION) + 1 :]
    assert after_checkpoint == EXPECTED
    assert checkpoint.is_file()
    assert elastic_notebook.verify_checkpoint(checkpoint).file_len == checkpoint.stat().st_size

    # A new kernel: `%restore` is its first cell (the kernelspec loaded the extension), then
    # the same next cells, then a second checkpoint of the restored, continued session.
    again = jupyter / "again.ckpt"
    restored = run_notebook(
        jupyter / "restored.ipynb", [f"%restore {checkpoint}", *NEXT, f"%checkpoint {again}"]
    )
    assert restored[1 : 1 + len(NEXT)] == after_checkpoint
    assert elastic_notebook.verify_checkpoint(again).file_len == again.stat().st_size
