"""The magics' options, reports and errors, in a real IPython shell of this process.

Round trips across processes are in test_restore_scenarios.py; this file checks what a
user sees: help, usage errors, the one-line reports, ``%elastic``'s plan, and that bad
input (a missing, truncated or corrupted file, a target that cannot be written) gives a
clear error and loses nothing.
"""

# IPython is not typed: its calls are untyped for mypy --strict.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import gc
import os
import re
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import elastic_notebook
from elastic_notebook import bandwidth, core, fingerprint, inspect_checkpoint
from elastic_notebook.analysis import CellAnalysis
from elastic_notebook.bandwidth import parse_bandwidth


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.reset(new_session=True)
    shell.run_cell("%load_ext elastic_notebook")
    cwd = Path.cwd()
    os.chdir(tmp_path)
    yield shell
    os.chdir(cwd)
    shell.run_cell("%unload_ext elastic_notebook")


def run(shell: InteractiveShell, cell: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Runs one cell; returns what it printed (stdout and stderr)."""
    capsys.readouterr()
    shell.run_cell(cell)
    captured = capsys.readouterr()
    return captured.out + captured.err


def error_of(shell: InteractiveShell, cell: str) -> BaseException | None:
    error: BaseException | None = shell.run_cell(cell).error_in_exec
    return error


def test_checkpoint_reports_in_one_line_and_the_file_verifies(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell("data = list(range(1000))\nalias = data\ngen = (v for v in data)")
    out = run(shell, "%checkpoint s.ckpt --store-all", capsys)
    assert out.startswith("elastic-notebook: checkpoint s.ckpt: stored 2 variables, recompute 1")
    assert out.count("\n") == 1
    summary = inspect_checkpoint("s.ckpt")
    assert summary["planMode"] == "storeAll"
    assert sorted(n for g in summary["groups"] for n in g["names"]) == ["alias", "data", "gen"]
    assert summary["producer"]["pythonImplementation"] == "cpython"


def test_checkpoint_help_and_usage_errors(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "--bandwidth RATE" in run(shell, "%checkpoint --help", capsys)
    assert not Path("notebook.ckpt").exists()
    assert isinstance(error_of(shell, "%checkpoint --bandwidth fast"), UsageError)
    assert isinstance(error_of(shell, "%checkpoint --store-all --recompute-all"), UsageError)
    assert isinstance(error_of(shell, "%restore a.ckpt b.ckpt"), UsageError)


def test_bandwidth_parsing() -> None:
    assert parse_bandwidth("100MB/s") == 100e6
    assert parse_bandwidth("1.5GB/s") == 1.5e9
    assert parse_bandwidth("500kB/s") == 500e3
    assert parse_bandwidth("250") == 250e6
    for bad in ("fast", "0MB/s", "-1", ""):
        with pytest.raises(ValueError, match="bad bandwidth"):
            parse_bandwidth(bad)


def test_bandwidth_is_measured_with_synced_random_probes_that_leave_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[bytes] = []
    fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        fsync(fd)
        synced.append(Path(f"/proc/self/fd/{fd}").read_bytes())

    monkeypatch.setattr(os, "fsync", recording_fsync)
    rate = bandwidth.measure_bandwidth.__wrapped__(str(tmp_path))
    assert bandwidth.MIN_BANDWIDTH <= rate <= bandwidth.MAX_BANDWIDTH
    assert len(synced) == bandwidth.PROBES
    assert all(len(probe) == bandwidth.PROBE_BYTES for probe in synced)
    # Random: a file system that compresses (extents of 128 KiB at most) cannot store any
    # extent of a probe in less, which would flatter the rate.
    extent = 128 * 1024
    for at in range(0, bandwidth.PROBE_BYTES, extent):
        assert len(zlib.compress(synced[0][at : at + extent])) >= extent
    assert list(tmp_path.iterdir()) == []


def test_checkpoint_defaults_to_notebook_ckpt_and_records_on(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell("x = [1]")
    run(shell, "%checkpoint", capsys)
    assert Path("notebook.ckpt").is_file()
    shell.run_cell("x.append(2)")
    recorder = elastic_notebook.magics.recorder_of(shell)
    assert recorder is not None
    # The magic's own cell is not part of the history; the next cell is.
    assert [r["code"] for r in recorder.records] == ["x = [1]", "x.append(2)"]


def test_cells_of_only_the_extensions_magics_are_not_analysed_or_digested(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    shell.run_cell("x = [1]\ny = {'k': [2]}")
    recorder = elastic_notebook.magics.recorder_of(shell)
    assert recorder is not None
    digested: list[object] = []
    analysed: list[str] = []
    real_digest, real_analyze = fingerprint.digest, core.analyze

    def counted_digest(value: object) -> bytes:
        digested.append(value)
        return real_digest(value)

    def counted_analyze(code: str) -> CellAnalysis:
        analysed.append(code)
        return real_analyze(code)

    monkeypatch.setattr("elastic_notebook.recorder.digest", counted_digest)
    monkeypatch.setattr("elastic_notebook.recorder.analyze", counted_analyze)
    out = run(shell, "%checkpoint s.ckpt\n# a comment\n\n%elastic\n%checkpoints", capsys)
    assert "checkpoint s.ckpt: stored" in out and "live variables (2): x, y" in out
    assert digested == [] and analysed == []
    # Any other line makes it a cell like any other, analysed with the magic's line as
    # `pass` (it changes no variable): not read as reading everything, nothing digested,
    # indented or not.
    run(shell, "%checkpoint s.ckpt\nz = 1", capsys)
    run(shell, "if z:\n    %elastic\n    w = z", capsys)
    assert len(analysed) == 2 and digested == []
    assert [r["readsEverything"] for r in recorder.records[-2:]] == [False, False]
    assert recorder.records[-1]["reads"] == ["z"]
    # `%restore` replaces the namespace: a cell with it still reads everything.
    assert "run_line_magic('restore'" in recorder.python_source("%restore s.ckpt\nv = 1")
    assert elastic_notebook.recorder.only_own_magics("%restore s.ckpt")
    assert not elastic_notebook.recorder.only_own_magics("%restorex")
    assert not elastic_notebook.recorder.only_own_magics("%%checkpoint")
    assert not elastic_notebook.recorder.only_own_magics("# nothing")
    shell.run_cell("x.append(3)")
    # A cell that takes a checkpoint among other code is recorded, as one no restore may
    # re-run (it would take the checkpoint again): what it binds is stored.
    assert [(r["code"], r.get("cannotRerun", False)) for r in recorder.records] == [
        ("x = [1]\ny = {'k': [2]}", False),
        ("%checkpoint s.ckpt\nz = 1", True),
        ("if z:\n    %elastic\n    w = z", True),
        ("x.append(3)", False),
    ]
    assert recorder.records[1]["writes"] == ["z"]


def test_own_magics_are_the_magics_the_extension_registers(shell: InteractiveShell) -> None:
    ours = {
        name
        for name, function in shell.magics_manager.magics["line"].items()
        if getattr(function, "__module__", None) == "elastic_notebook.magics"
    }
    assert ours == elastic_notebook.recorder.OWN_MAGICS


def test_elastic_shows_groups_sizes_and_the_plan(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell(
        "import numpy as np\nbig = np.ones(1_000_000)\nview = big[:10]\ng = (i for i in [1])"
    )
    out = run(shell, "%elastic", capsys)
    cost = re.search(
        r"recording took ([\d.]+) (us|ms|s) \(([\d.]+) % of the cells' ([\d.]+) (us|ms|s)\)", out
    )
    assert cost is not None, out
    hooks, cells = float(cost[1]), float(cost[4])
    assert hooks > 0 and cells > 0, "the hooks' time and the cells' are both measured"
    assert "live variables (4): big, g, np, view" in out
    assert "a checkpoint now (optimal plan" in out
    assert "8.000 MB  big, view" in out
    assert "recompute" in out and "g (TypeError: cannot pickle" in out


def test_freeing_what_a_cell_unbound_is_not_counted_as_recording(
    shell: InteractiveShell,
) -> None:
    shell.run_cell(
        "import time\nclass Slow:\n    def __del__(self):\n        time.sleep(0.05)\nheld = Slow()"
    )
    recorder = elastic_notebook.magics.recorder_of(shell)
    assert recorder is not None
    hook_ns, released_ns = recorder.hook_ns, recorder.released_ns
    # The recorder holds the cell's starting namespace until its post-cell hook, so the
    # old value is freed there, not in the cell: its 50 ms are the cell's, not recording's.
    shell.run_cell("held = None")
    assert recorder.released_ns - released_ns >= 50_000_000
    assert recorder.hook_ns - hook_ns < 50_000_000
    assert recorder.records[-1]["writes"] == ["held"]


def test_a_target_that_cannot_be_written_fails_clearly_and_keeps_what_was_there(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    shell.run_cell("x = 1")
    taken = tmp_path / "taken.ckpt"
    taken.mkdir()
    (taken / "keep.txt").write_text("mine")
    error = error_of(shell, "%checkpoint taken.ckpt")
    assert isinstance(error, elastic_notebook.CheckpointError)
    assert "cannot write taken.ckpt" in str(error) and "untouched" in str(error)
    assert (taken / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.ckpt"], "no temp file left"
    missing_dir = error_of(shell, "%checkpoint nowhere/s.ckpt")
    assert isinstance(missing_dir, elastic_notebook.CheckpointError)
    assert "nowhere is not a directory" in str(missing_dir)


def test_checkpoint_without_the_extension_says_how_to_start() -> None:
    other = InteractiveShell.instance()
    elastic_notebook.magics.unload(other)
    with pytest.raises(RuntimeError, match="load_ext elastic_notebook"):
        elastic_notebook.checkpoint(shell=other)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("missing", "No such file"),
        ("truncated", "truncated"),
        ("not_a_checkpoint", "not an elastic-notebook checkpoint"),
    ],
)
def test_restore_of_a_bad_file_fails_clearly_and_changes_nothing(
    shell: InteractiveShell, tmp_path: Path, damage: str, message: str
) -> None:
    shell.run_cell("x = [1, 2]\ny = 'kept'")
    shell.run_cell("%checkpoint good.ckpt")
    data = (tmp_path / "good.ckpt").read_bytes()
    bad = tmp_path / "bad.ckpt"
    if damage == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif damage == "not_a_checkpoint":
        bad.write_bytes(b"x = 1\n" * 100)
    shell.run_cell("x.append(3)\nz = 0")
    before = dict(shell.user_ns)
    error = error_of(shell, "%restore bad.ckpt")
    assert isinstance(error, elastic_notebook.RestoreError)
    assert "cannot restore bad.ckpt" in str(error)
    assert message.lower() in str(error).lower()
    assert shell.user_ns["x"] == [1, 2, 3] and shell.user_ns["z"] == 0
    assert {k: v for k, v in shell.user_ns.items() if not k.startswith("_")} == {
        k: v for k, v in before.items() if not k.startswith("_")
    }


def test_a_corrupted_blob_is_recomputed_instead_and_reported(
    shell: InteractiveShell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shell.run_cell("payload = bytearray(b'abc' * 100_000)\nsmall = [1, 2]")
    shell.run_cell("%checkpoint c.ckpt --store-all")
    data = bytearray((tmp_path / "c.ckpt").read_bytes())
    at = data.find(b"abcabcabc")
    assert at > 0
    data[at + 50_000] ^= 0xFF
    (tmp_path / "c.ckpt").write_bytes(bytes(data))
    shell.run_cell("payload = None\nsmall = None")
    out = run(shell, "%restore c.ckpt", capsys)
    assert "payload: its stored copy did not load" in out, out
    assert "checksum" in out.lower()
    assert shell.user_ns["payload"] == bytearray(b"abc" * 100_000)
    assert shell.user_ns["small"] == [1, 2]


def test_the_browser_store_is_named_and_refused_clearly_on_the_desktop(
    shell: InteractiveShell,
) -> None:
    shell.run_cell("data = [1, 2]")
    for cell in (
        "%checkpoint idb://s1",
        "%restore idb://s1",
        "%checkpoint --export idb://s1 out.ckpt",
        "%checkpoints",
        "%checkpoints --delete idb://s1",
    ):
        error = error_of(shell, cell)
        expected = (
            elastic_notebook.RestoreError if "restore" in cell else elastic_notebook.CheckpointError
        )
        assert isinstance(error, expected), cell
        assert "IndexedDB" in str(error) and "write a file instead" in str(error), cell
    bad = error_of(shell, "%checkpoint idb://has/slash")
    assert isinstance(bad, elastic_notebook.CheckpointError)
    assert "bad checkpoint name 'has/slash'" in str(bad)
    not_stored = error_of(shell, "%checkpoint --export out.ckpt other.ckpt")
    assert isinstance(not_stored, elastic_notebook.CheckpointError)
    assert "export reads a stored checkpoint (idb://NAME), not out.ckpt" in str(not_stored)
    assert isinstance(error_of(shell, "%checkpoints now"), UsageError)
    not_a_store = error_of(shell, "%checkpoints --delete out.ckpt")
    assert isinstance(not_a_store, elastic_notebook.CheckpointError)
    assert "--delete takes a stored checkpoint (idb://NAME or idb://ID), not out.ckpt" in str(
        not_a_store
    )
    assert shell.user_ns["data"] == [1, 2]
    assert not list(Path.cwd().iterdir()), "nothing was written"


def test_the_sessions_values_can_be_resized_right_after_a_checkpoint(
    shell: InteractiveShell,
) -> None:
    # A module makes plain pickle fail for its group; that failure's traceback once kept
    # every serialized group (and so exports of the live buffers) alive until a gc.
    shell.run_cell("import hashlib")
    shell.run_cell("frame = bytearray(200_000)\nframes = [frame]")
    gc.disable()
    try:
        assert error_of(shell, "%checkpoint s.ckpt") is None
        assert error_of(shell, "frame.append(1)\nframe.extend(b'xy')") is None
    finally:
        gc.enable()
    assert len(shell.user_ns["frames"][0]) == 200_003
