"""The process state a checkpoint carries besides variables: sys.path, global generators.

A session's cells set up state that no variable holds, and later cells depend on it:

- entries they added to ``sys.path`` (``sys.path.append('lib')``, then ``import mylib``
  in another cell): a restore loads ``mylib`` by name, or re-runs its import, and both
  fail without the entry;
- the global random generators' states (`random`'s, and numpy's legacy one once
  ``numpy.random`` is imported): after a restore, the next ``random.random()`` gives
  what the session would have drawn next;
- the future features the shell compiled cells with when recording started
  (`future_imports`): a re-run cell compiles as it did in the session.

A checkpoint writes them into its manifest's host metadata (``extra``, covered by the
root hash like the rest of the manifest) as JSON under the keys below; readers that do
not know a key ignore it. A restore adds the ``sys.path`` entries before it loads or
re-runs anything, and takes them out again if it fails (`with_sys_path_entries`). It
sets the generators' states once every step has succeeded: a re-run cell may have
drawn, and the session's state is the one at the checkpoint. The entries a checkpoint
carries are those added since recording started (`Recorder.sys_path_at_start`), so it
never carries one installation's own paths to another machine.
"""

from __future__ import annotations

import importlib
import json
import random
import sys
from collections.abc import Sequence

from elastic_notebook.future_imports import feature_flags, feature_names

#: ``{"front": [...], "back": [...]}``: entries added before the first entry there was
#: when recording started (``sys.path.insert(0, ...)``), and those added after it.
SYS_PATH_KEY = "python.sysPath"
#: ``random.getstate()`` as a JSON array: ``[version, [625 words], gauss_next]``.
RANDOM_KEY = "python.random"
#: numpy's legacy generator (``np.random.seed``/``rand``), its Mersenne Twister's state
#: (``get_state()``) as ``{"key": [624 words], "pos": int, "hasGauss": int, "gauss":
#: float}``.
NUMPY_RANDOM_KEY = "numpy.random"
#: The names of the future features the shell had when recording started, a JSON array
#: (``["annotations"]``); absent when it had none.
FUTURE_KEY = "python.futureFeatures"


def capture(sys_path_at_start: Sequence[str], future_at_start: int = 0) -> dict[str, str]:
    """The state to carry, by key, for a checkpoint taken now.

    `future_at_start`: the compiler flags of the future features the shell had when
    recording started.
    """
    carried = {RANDOM_KEY: _python_random_state()}
    features = feature_names(future_at_start)
    if features:
        carried[FUTURE_KEY] = json.dumps(features)
    added = _sys_path_added(sys_path_at_start)
    if added["front"] or added["back"]:
        carried[SYS_PATH_KEY] = json.dumps(added)
    numpy_state = _numpy_random_state()
    if numpy_state is not None:
        carried[NUMPY_RANDOM_KEY] = json.dumps(numpy_state)
    return carried


def describe(sys_path_at_start: Sequence[str]) -> list[str]:
    """What `capture` would carry now, for ``%elastic``: one phrase per kind of state."""
    added = _sys_path_added(sys_path_at_start)
    entries = added["front"] + added["back"]
    phrases = [f"sys.path entries {', '.join(entries)}"] if entries else []
    generators = "random's and numpy's" if _numpy_random_state() is not None else "random's"
    return [*phrases, f"the state of {generators} global random generator"]


def _sys_path_added(sys_path_at_start: Sequence[str]) -> dict[str, list[str]]:
    at_start = set(sys_path_at_start)
    first_kept = next((i for i, entry in enumerate(sys.path) if entry in at_start), len(sys.path))
    added: dict[str, list[str]] = {"front": [], "back": []}
    for index, entry in enumerate(sys.path):
        # Only strings: the import system skips anything else on sys.path.
        if isinstance(entry, str) and entry not in at_start:
            side = added["front"] if index < first_kept else added["back"]
            if entry not in side:
                side.append(entry)
    return added


def _python_random_state() -> str:
    version, words, gauss_next = random.getstate()
    return json.dumps([version, list(words), gauss_next])


def _numpy_random_state() -> dict[str, object] | None:
    """The state of numpy's legacy global generator, if the session imported it.

    Not imported here otherwise: a session without numpy has no such state.
    """
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is None:
        return None
    state = numpy_random.get_state(legacy=False)
    # Another bit generator than its Mersenne Twister (`np.random.set_bit_generator`):
    # not carried.
    if state.get("bit_generator") != "MT19937":
        return None
    words = state["state"]
    return {
        "key": [int(w) for w in words["key"]],
        "pos": int(words["pos"]),
        "hasGauss": int(state["has_gauss"]),
        "gauss": float(state["gauss"]),
    }


def with_sys_path_entries(path: list[str], extra: dict[str, str]) -> list[str]:
    """`path` with the checkpoint's ``sys.path`` entries that it lacks, where they were.

    Entries are given as the session had them, relative ones too (they resolve against
    the working directory, as they did there). A restore sets ``sys.path`` to this
    before it loads anything, and again once it succeeded: re-run cells that added the
    entries add them twice, and the session's path is the one at the checkpoint. Raises
    ``ValueError`` if the entry is not the JSON this module writes.
    """
    text = extra.get(SYS_PATH_KEY)
    if text is None:
        return list(path)
    added = json.loads(text)
    front = _strings(added.get("front") if isinstance(added, dict) else None)
    back = _strings(added.get("back") if isinstance(added, dict) else None)
    present = set(path)
    return (
        [entry for entry in front if entry not in present]
        + path
        + [entry for entry in back if entry not in present]
    )


def _strings(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"the checkpoint's {SYS_PATH_KEY} is not a list of paths")
    return value


def future_features(extra: dict[str, str]) -> int:
    """The compiler flags of the future features the checkpoint's shell had at its start.

    Raises ``ValueError`` if the entry is not the JSON this module writes.
    """
    text = extra.get(FUTURE_KEY)
    if text is None:
        return 0
    names = json.loads(text)
    if not isinstance(names, list):
        raise ValueError(f"the checkpoint's {FUTURE_KEY} is not a list of names")
    return feature_flags(names)


def set_random_states(extra: dict[str, str]) -> list[str]:
    """Sets the global generators to the checkpoint's states; returns what was not set.

    Each item of the result says which generator kept its own state, and why (numpy
    missing here, an entry that does not read as a state).
    """
    not_set = []
    text = extra.get(RANDOM_KEY)
    if text is not None:
        try:
            version, words, gauss_next = json.loads(text)
            random.setstate((version, tuple(words), gauss_next))
        except (ValueError, TypeError) as error:
            not_set.append(f"random's global generator ({error})")
    text = extra.get(NUMPY_RANDOM_KEY)
    if text is not None:
        try:
            numpy_random = importlib.import_module("numpy.random")
        except ImportError as error:
            not_set.append(f"numpy's global generator ({error})")
        else:
            try:
                state = json.loads(text)
                numpy_random.set_state(
                    ("MT19937", state["key"], state["pos"], state["hasGauss"], state["gauss"])
                )
            except (ValueError, TypeError, KeyError) as error:
                not_set.append(f"numpy's global generator (its state does not read: {error})")
    return not_set
