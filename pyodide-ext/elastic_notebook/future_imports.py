"""The ``from __future__`` imports of a session's cells, which IPython keeps for later cells.

IPython's compiler remembers the future features a cell imports
(``from __future__ import annotations``) and compiles every later cell with them. A
restore compiles the cells it re-runs the same way: each with the features the shell had
when recording started (a checkpoint carries them, `process_state`) and those the cells
recorded before it imported, whether or not the importing cell is itself re-run. And
nothing else: the package's own modules import ``annotations``, which a re-run cell must
not inherit (its annotations would become strings). Once the restore is done, the
shell's compiler gets the session's features, so later cells compile as they would have.
Features travel by name: their flags' values belong to one Python version.
"""

from __future__ import annotations
import __future__

import ast
from collections.abc import Iterable


def features_of(source: str) -> int:
    """The compiler flags of the future features `source` (a transformed cell) imports.

    IPython compiles a cell a top-level statement at a time, so such an import counts
    wherever it stands in the cell. Almost every cell imports none (and is not parsed).
    """
    if "__future__" not in source:
        return 0
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a cell that did not compile imported nothing
        return 0
    flags = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__" and not node.level:
            for alias in node.names:
                if alias.name in __future__.all_feature_names:
                    flags |= getattr(__future__, alias.name).compiler_flag
    return flags


def features_before_each(sources: Iterable[str], at_start: int = 0) -> list[int]:
    """For each of a session's cells in order, the features it was compiled with.

    Those are `at_start` (the shell's when recording started) and those the cells before
    it imported. One more item at the end: the features of the whole session.
    """
    before = [at_start]
    for source in sources:
        before.append(before[-1] | features_of(source))
    return before


def shell_features(shell: object) -> int:
    """The flags of the future features an IPython shell compiles cells with now."""
    flags = getattr(getattr(shell, "compile", None), "flags", 0)
    return feature_flags(feature_names(flags)) if isinstance(flags, int) else 0


def feature_names(flags: int) -> list[str]:
    """The names of the future features among compiler `flags`."""
    return [
        name
        for name in __future__.all_feature_names
        if flags & getattr(__future__, name).compiler_flag
    ]


def feature_flags(names: Iterable[object]) -> int:
    """The compiler flags of the features `names` (names this Python does not know: none)."""
    flags = 0
    for name in names:
        if isinstance(name, str) and name in __future__.all_feature_names:
            flags |= getattr(__future__, name).compiler_flag
    return flags
