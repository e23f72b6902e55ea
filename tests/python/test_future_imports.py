"""The future features a session's cells import, as IPython's compiler keeps them."""

from __future__ import annotations
import __future__

from elastic_notebook.future_imports import (
    feature_flags,
    feature_names,
    features_before_each,
    features_of,
)

ANNOTATIONS = __future__.annotations.compiler_flag
DIVISION = __future__.division.compiler_flag


def test_a_cell_imports_the_features_it_names_wherever_they_stand() -> None:
    assert features_of("from __future__ import annotations") == ANNOTATIONS
    # IPython compiles a cell a statement at a time: an import after code counts too.
    assert features_of("x = 1\nfrom __future__ import annotations, division") == (
        ANNOTATIONS | DIVISION
    )


def test_cells_that_import_no_feature_give_none() -> None:
    assert features_of("x = 1") == 0
    assert features_of("import __future__\nprint(__future__.annotations)") == 0
    assert features_of("from __future__ import annotations +") == 0  # does not parse
    assert features_of("if True:\n    from __future__ import annotations") == 0


def test_each_cell_gets_the_features_of_the_cells_before_it() -> None:
    sources = ["a = 1", "from __future__ import annotations", "def f(x: int): pass", ""]
    assert features_before_each(sources) == [0, 0, ANNOTATIONS, ANNOTATIONS, ANNOTATIONS]


def test_features_travel_by_name() -> None:
    assert feature_names(ANNOTATIONS | DIVISION | 0x200) == ["division", "annotations"]
    assert feature_flags(["annotations", "division", "no_such_feature", 3]) == (
        ANNOTATIONS | DIVISION
    )
    assert features_before_each(["x = 1"], ANNOTATIONS) == [ANNOTATIONS, ANNOTATIONS]
