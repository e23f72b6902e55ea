"""``%load_ext elastic_notebook`` in a real IPython shell records every cell."""

# IPython is not typed: its calls are untyped for mypy --strict.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from elastic_notebook import magics
from elastic_notebook.analysis import CellAnalysis
from elastic_notebook.core import analyze
from elastic_notebook.recorder import Recorder

if TYPE_CHECKING:
    from elastic_notebook._core import CellRecordDict


@pytest.fixture
def shell() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    shell.run_cell("%load_ext elastic_notebook")
    yield shell
    shell.run_cell("%unload_ext elastic_notebook")


def recorder(shell: InteractiveShell) -> Recorder:
    found = magics.recorder_of(shell)
    assert found is not None, "the extension is loaded"
    return found


def run(shell: InteractiveShell, *cells: str) -> None:
    """Runs `cells` as a notebook's kernel does: with history (`_i<N>`, `_<N>`, `Out`)."""
    for cell in cells:
        shell.run_cell(cell, store_history=True)


def test_every_cell_is_recorded_without_a_magic(shell: InteractiveShell) -> None:
    run(shell, "x = 1", "y = x + 1", "print(y)")
    records = recorder(shell).records
    assert [r["code"] for r in records] == ["x = 1", "y = x + 1", "print(y)"]
    assert records[1]["reads"] == ["x"] and records[1]["writes"] == ["y"]
    assert records[2]["writes"] == []
    assert recorder(shell).history.live_names() == ["x", "y"]


def test_ipython_names_are_not_variables(shell: InteractiveShell) -> None:
    run(shell, "1 + 1", "_ * 2", "z = _")
    records = recorder(shell).records
    assert records[0]["writes"] == [] and records[1]["writes"] == []
    assert records[2]["writes"] == ["z"]


def test_a_mutation_through_an_alias_is_recorded_on_both_names(
    shell: InteractiveShell,
) -> None:
    run(shell, "l1 = [1, 2]", "l2 = l1", "holder = {'k': l1}", "l2.append(3)")
    last = recorder(shell).records[-1]
    assert last["writes"] == []
    assert last["mutates"] == ["holder", "l1", "l2"]


def test_rebinding_and_del(shell: InteractiveShell) -> None:
    run(shell, "a = [1]", "a = [2]", "del a")
    records = recorder(shell).records
    assert records[1]["writes"] == ["a"]
    assert records[2]["deletes"] == ["a"]
    assert recorder(shell).history.live_names() == []


def test_a_function_updating_a_global_reads_what_its_body_reads(
    shell: InteractiveShell,
) -> None:
    run(shell, "k = 3", "def bump():\n    global total\n    total = k * 2", "bump()")
    last = recorder(shell).records[-1]
    assert last["writes"] == ["total"]
    assert "k" in last["reads"]


def test_numpy_and_pandas_in_place_edits(shell: InteractiveShell) -> None:
    run(
        shell,
        "import numpy as np\nimport pandas as pd",
        "arr = np.zeros(4)",
        "arr[0] = 1",
        "df = pd.DataFrame({'a': [1, 2]})",
        "df.loc[0, 'a'] = 5",
        "df['a'] = df['a'] * 10",
    )
    records = recorder(shell).records
    assert records[2]["mutates"] == ["arr"]
    assert records[4]["mutates"] == ["df"]
    assert records[5]["mutates"] == ["df"]


def test_a_cell_run_again_reads_what_the_function_it_calls_reads_now(
    shell: InteractiveShell,
) -> None:
    """The reads of the functions a cell calls are kept by its source while no definition
    changes: a new definition of a function, or its deletion, must be seen."""
    run(shell, "a = 1", "b = 2", "def f():\n    return a", "x = f()")
    assert recorder(shell).records[-1]["reads"] == ["a", "f"]
    run(shell, "def f():\n    return b", "x = f()")
    assert recorder(shell).records[-1]["reads"] == ["b", "f"]
    run(shell, "del f", "x = 0", "def f():\n    return a", "x = f()")  # the first `def` again
    assert recorder(shell).records[-1]["reads"] == ["a", "f"]


def test_failed_and_unparsable_cells_are_recorded(shell: InteractiveShell) -> None:
    run(shell, "n = 1", "n = n / 0", "m = (")
    failed, unparsed = recorder(shell).records[1:]
    assert failed["success"] is False and failed["reads"] == ["n"]
    assert unparsed["success"] is False and unparsed["readsEverything"] is True


def test_magics_are_analysed_after_transformation(shell: InteractiveShell) -> None:
    run(shell, "base = 2", "%time squared = base ** 2")
    last = recorder(shell).records[-1]
    assert last["reads"] == ["base"] and last["writes"] == ["squared"]


def test_elastic_magic_shows_the_history(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "v = [1]", "v.append(2)")
    capsys.readouterr()
    shell.run_cell("%elastic")
    out = capsys.readouterr().out
    assert "cells recorded" in out
    assert "mutates: v" in out
    assert "live variables (1): v" in out


def test_delete_and_rebind_in_one_cell_is_a_write(shell: InteractiveShell) -> None:
    run(shell, "box = [1]", "del box\nbox = [2]")
    last = recorder(shell).records[-1]
    assert last["writes"] == ["box"]


def test_values_a_cell_only_reads_are_not_digested(shell: InteractiveShell) -> None:
    run(shell, "big = list(range(100_000))", "n = len(big) + big[0]", "print(sum(big))")
    assert recorder(shell).seen["big"].digest is None, "only read: never hashed"
    assert all(r["mutates"] == [] for r in recorder(shell).records)
    run(shell, "big.append(1)")
    assert recorder(shell).seen["big"].digest is None, "a direct change: taken, not hashed"
    assert recorder(shell).records[-1]["mutates"] == ["big"]
    run(shell, "import random", "random.shuffle(big)")
    assert recorder(shell).seen["big"].digest is not None, "a possible change: hashed"
    assert recorder(shell).records[-1]["mutates"] == ["big"]
    run(shell, "print(big[0], len(big))")
    assert recorder(shell).records[-1]["mutates"] == []


def test_a_direct_change_changes_every_variable_sharing_its_objects(
    shell: InteractiveShell,
) -> None:
    run(shell, "inner = [1]", "outer = {'k': inner}", "alias = inner", "other = [inner[0]]")
    run(shell, "inner.append(2)")
    assert recorder(shell).records[-1]["mutates"] == ["alias", "inner", "outer"]
    assert all(recorder(shell).seen[n].digest is None for n in ("inner", "outer", "alias"))


def test_a_value_held_only_by_names_is_changed_with_its_aliases_and_no_walk(
    shell: InteractiveShell,
) -> None:
    """Its reference count tells that only names hold it (`sharing`): no other value's
    reach is taken. Anything else holding it (a list, IPython's ``Out``) makes the
    recorder compare every variable's reach, which finds the holder."""
    run(shell, "log = []", "words = ['w'] * 1000", "alias = log")
    run(shell, "log.append(1)")
    found = recorder(shell)
    assert found.records[-1]["mutates"] == ["alias", "log"]
    assert found.seen["words"].reach is None, "no other variable walked"
    run(shell, "def add(v):\n    log.append(v)", "add(2)")
    assert found.records[-1]["mutates"] == ["alias", "log"]
    assert found.seen["words"].reach is None
    run(shell, "holder = [log]", "log.append(3)")
    assert found.records[-1]["mutates"] == ["alias", "holder", "log"]
    run(shell, "del holder", "log", "log.append(4)")  # `Out` holds it now
    assert found.records[-1]["mutates"] == ["alias", "log"]
    assert found.seen["words"].reach is not None, "an unknown holder: every reach compared"


def test_changes_through_a_loop_variable_and_a_generator_are_recorded(
    shell: InteractiveShell,
) -> None:
    run(
        shell,
        "rows = [[1], [2]]",
        "for row in rows:\n    row.append(0)",
        "gen = (x for x in range(3))",
        "first = next(gen)",
    )
    records = recorder(shell).records
    assert records[1]["mutates"] == ["rows"] and records[1]["writes"] == ["row"]
    assert records[3]["mutates"] == ["gen"]


def test_reading_a_value_that_is_all_in_its_bytes_is_not_a_change(
    shell: InteractiveShell,
) -> None:
    """An `array.array` or a code object has no hidden state (unlike a generator, which
    a cell that reads it may advance): reading one records no change."""
    run(
        shell,
        "import array\nnumbers = array.array('d', [1.0, 2.0])",
        "code = compile('1 + 1', 'cell', 'eval')\nholder = {'gen': iter(range(3)), 'rows': [[1]]}",
        "second = numbers[1] + len(code.co_names)",
        "rows = holder['rows']",
    )
    assert [r["mutates"] for r in recorder(shell).records[2:]] == [[], ["holder"]]


def test_a_new_array_computed_from_a_variable_does_not_make_it_hashed(
    shell: InteractiveShell,
) -> None:
    """`np.abs(np.fft.rfft(prices))` is a new array: changing it in the same cell cannot
    change `prices`, so `prices` is not hashed; `np.reshape` may be a view: it is."""
    run(
        shell,
        "import numpy as np\nprices = np.linspace(0, 1, 64)",
        "spectrum = np.abs(np.fft.rfft(prices))\nspectrum[spectrum < spectrum.mean()] = 0",
    )
    assert recorder(shell).seen["prices"].digest is None
    assert recorder(shell).records[-1]["mutates"] == []
    run(shell, "grid = np.reshape(prices, (8, 8))\ngrid[0, 0] = 5.0")
    assert recorder(shell).seen["prices"].digest is not None
    assert recorder(shell).records[-1]["mutates"] == ["prices"]


def test_names_deleted_and_bound_again_are_recorded_in_later_cells(
    shell: InteractiveShell,
) -> None:
    # After a deletion the recorder's copy of the namespace is out of the shell's order
    # and is copied again; every later cell must still see exactly its own changes.
    for cell in ("a = 1\nb = 2\nc = 3", "del a", "b = 20\ndel c\nc = 30", "d = 4", "e = a2 = 5"):
        shell.run_cell(cell)
    found = recorder(shell)
    got = [(r["writes"], r["deletes"]) for r in found.records]
    assert got == [
        (["a", "b", "c"], []),
        ([], ["a"]),
        (["b", "c"], []),
        (["d"], []),
        (["a2", "e"], []),
    ]
    assert sorted(found.user_namespace()) == ["a2", "b", "c", "d", "e"]


def test_a_name_bound_between_cells_is_no_cells_write(shell: InteractiveShell) -> None:
    shell.run_cell("x = 1")
    shell.user_ns["outside"] = 2  # as a widget callback or a comm handler would
    shell.run_cell("y = x")
    found = recorder(shell)
    assert found.records[-1]["writes"] == ["y"]
    assert "outside" in found.user_namespace()


def test_the_user_namespace_asked_inside_a_cell_leaves_that_cells_record_intact(
    shell: InteractiveShell,
) -> None:
    # Asked while the cell runs, the recorder brings its copy of the namespace up to date;
    # the cell's starting namespace, which is that copy, must stay as it was.
    shell.run_cell("import elastic_notebook\nkept = [1]\ngone = [2]")
    shell.run_cell(
        "del gone\nnew = 3\n"
        "names = sorted(elastic_notebook.magics.recorder_of(get_ipython()).user_namespace())\n"
        "last = 4"
    )
    found = recorder(shell)
    assert shell.user_ns["names"] == ["elastic_notebook", "kept", "new"]
    record = found.records[-1]
    assert record["writes"] == ["last", "names", "new"] and record["deletes"] == ["gone"]
    assert record["reads"] == ["elastic_notebook", "gone"]
    assert sorted(found.user_namespace()) == ["elastic_notebook", "kept", "last", "names", "new"]


def test_a_cell_run_again_is_not_analysed_again(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    analysed: list[str] = []

    def counting(code: str) -> CellAnalysis:
        analysed.append(code)
        return analyze(code)

    monkeypatch.setattr("elastic_notebook.recorder.analyze", counting)
    monkeypatch.setattr("elastic_notebook.recorder._ANALYSES_KEPT", 2)
    run(shell, "xs = []", "xs.append(1)", "xs.append(1)", "y = 2", "z = 3", "xs.append(1)")
    assert analysed == ["xs = []", "xs.append(1)", "y = 2", "z = 3", "xs.append(1)"]
    assert [r["mutates"] for r in recorder(shell).records[1:3]] == [["xs"], ["xs"]]
    assert len(recorder(shell)._analyses) == 2  # the oldest let go


def test_a_call_through_a_module_takes_no_variables_reach(shell: InteractiveShell) -> None:
    """`np.random.default_rng(1)` reads as a possible change of `np`; a module is code,
    not data, so nothing is hashed for it and no other value's reach is taken to find
    what shares objects with it."""
    run(
        shell,
        "import numpy as np\nrows = [[i] for i in range(10)]",
        "m = np.random.default_rng(1).random(3)",
    )
    found = recorder(shell)
    assert found.records[-1]["mutates"] == []
    assert found.seen["rows"].reach is None
    assert found.seen["np"].digest is None


def test_writes_are_found_when_ipythons_input_names_are_gone(shell: InteractiveShell) -> None:
    """The diff finds new names from the namespace's end back to IPython's newest input
    name; ``%reset -f in`` deletes every input name, and the next cells' writes and
    deletes must still be found (a look at every name)."""
    run(shell, "a = 1", "b = [a]", "c = 3")
    shell.run_line_magic("reset", "-f in")
    assert not any(name.startswith("_i") and name[2:].isdigit() for name in shell.user_ns)
    run(shell, "d = a + 1\ndel c", "b.append(d)\ne = b")
    written = [(r["writes"], r["deletes"]) for r in recorder(shell).records[-2:]]
    assert written == [(["d"], ["c"]), (["e"], [])]
    assert recorder(shell).records[-1]["mutates"] == ["b"]


def test_cells_reach_the_core_history_in_batches_and_whenever_it_is_read(
    shell: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("elastic_notebook.recorder._RECORDS_BATCH", 3)
    handed: list[list[str]] = []
    history = recorder(shell)._history
    record_cells = history.record_cells

    class Counting:
        """The history, with each batch handed to it noted."""

        def __getattr__(self, name: str) -> object:
            return getattr(history, name)

        def record_cells(self, records: list[CellRecordDict]) -> None:
            handed.append([r["code"] for r in records])
            record_cells(records)

    recorder(shell)._history = Counting()  # type: ignore[assignment]
    run(shell, "a = 1", "b = 2", "c = 3", "d = 4")
    assert handed == [["a = 1", "b = 2", "c = 3"]]  # one batch; the fourth cell waits
    assert recorder(shell).history.live_names() == ["a", "b", "c", "d"]
    assert handed[-1] == ["d = 4"]  # reading the history handed it over
    run(shell, "del a")
    assert recorder(shell).history.live_names() == ["b", "c", "d"]
    assert [code for batch in handed for code in batch] == [
        "a = 1",
        "b = 2",
        "c = 3",
        "d = 4",
        "del a",
    ]


def test_a_record_the_core_refuses_loses_only_its_own_cell(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(shell, "a = 1")
    bad: Any = {"code": "b = 2", "runtimeNs": "not a number"}
    recorder(shell)._unrecorded.append(bad)
    run(shell, "c = 3")
    assert recorder(shell).history.live_names() == ["a", "c"]
    assert "a cell is not in the history" in capsys.readouterr().err


def test_calls_through_an_alias_imported_in_another_cell_cannot_re_run(
    shell: InteractiveShell,
) -> None:
    """`from uuid import uuid4 as make` in one cell, `make()` in the next (directly or in
    a notebook function): the core knows calls by their last name, the recorder knows
    what `make` is. Rebound to something else, or deleted, it is nothing any more."""
    shell.user_ns["already_there"] = __import__("os").urandom  # bound before recording
    run(
        shell,
        "from uuid import uuid4 as make\nfrom secrets import token_hex as tok",
        "ident = make().hex",
        "key = tok(8)",
        "def wrapped():\n    return make().hex",
        "other = wrapped()",
        "noise = already_there(4)",
        "make = len\nsize = make('ab')",
        "again = make('abc')",
        "del tok\ntok = str",
        "text = tok(3)",
    )
    records = recorder(shell).records
    cannot = {r["code"].splitlines()[0]: r.get("cannotRerun", False) for r in records}
    assert cannot == {
        "# in the namespace, made by no recorded cell: bound already_there": True,
        "from uuid import uuid4 as make": False,
        "ident = make().hex": True,
        "key = tok(8)": True,
        "def wrapped():": False,
        "other = wrapped()": True,
        "noise = already_there(4)": True,
        "make = len": False,
        "again = make('abc')": False,
        "del tok": False,
        "text = tok(3)": False,
    }


def test_elastic_magic_says_why_a_cell_cannot_re_run_or_is_stored_instead(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run(
        shell,
        "import random, uuid",
        "u = uuid.uuid4()",
        "x = random.random()",
        "y = 2",
        "t = open('/dev/null').read()",
    )
    capsys.readouterr()
    shell.run_cell("%elastic")
    out = capsys.readouterr().out

    def line_of(code: str) -> str:
        return next(line for line in out.splitlines() if line.endswith(f"  {code}"))

    assert "ok, no re-run (it calls uuid.uuid4)" in line_of("u = uuid.uuid4()"), out
    assert "no re-run (it drew from a global random generator)" in line_of("x = random.random()")
    assert "no re-run" not in line_of("y = 2") + line_of("import random, uuid")
    # A cell that reads a file can re-run; a checkpoint stores what it made instead.
    reads = line_of("t = open('/dev/null').read()")
    assert "ok, stored rather than re-run (it reads files or a command's output: open)" in (
        reads
    ), out
    assert "stored rather" not in line_of("y = 2")


#: Cells IPython transforms: escapes and prompts at a line's start, assigned magics and
#: commands, help at a line's end.
_IPYTHON_LINES = (
    "%time x = 1",
    "%%time",
    "!ls",
    "!!ls",
    "files = !ls",
    "t = %time 1",
    "t=%who_ls",
    "len?",
    "len??",
    "?len",
    "??len",
    "len?  # help",
    ",print a b",
    ";print a b",
    "/print 1",
    ">>> x = 1",
    "... y = 2",
    "In [1]: x = 1",
)
#: Python lines with `%`, `!` and `?` where IPython acts on none of them.
_PLAIN_LINES = (
    "primes = [n for n in range(2, 100) if all(n % p for p in range(2, n))]",
    "ok = 1 != 2",
    "s = '%d items' % 3",
    "q = 'why?'",
    "x = 5",
    "x %= 3",
    "d = {'a?': 1, '!': 2}",
    "f = f'{x!r}'",
    # A continuation line that starts with `%`: IPython leaves it, the recorder's test of
    # physical lines takes it for an escape and transforms (harmless, only slower).
    "y = (x\n     % 2)",
)


def test_only_cells_ipython_would_transform_are_transformed(shell: InteractiveShell) -> None:
    # The recorder analyses a cell as it is unless IPython would change it: for 600
    # random cells of both kinds of lines, indented or not, whenever it skips the
    # transformation the transformation leaves the cell as it is.
    import random

    from elastic_notebook.recorder import is_plain_python

    rng = random.Random(5)
    skipped = 0
    for _ in range(600):
        lines = [
            rng.choice(_IPYTHON_LINES if rng.random() < 0.3 else _PLAIN_LINES)
            for _ in range(rng.randrange(1, 4))
        ]
        if rng.random() < 0.3:  # one line in a block
            lines.insert(0, "if True:")
            lines[1] = "    " + lines[1].replace("\n", "\n    ")
        code = "\n".join(lines)
        if is_plain_python(code):
            skipped += 1
            assert shell.transform_cell(code) == code + "\n", code
    assert skipped > 100
    # A `%` or `!` operator is no reason to transform (it tokenizes the cell in Python).
    assert all(is_plain_python(line) for line in _PLAIN_LINES[:-1])
    assert not any(is_plain_python(line) for line in _IPYTHON_LINES)
