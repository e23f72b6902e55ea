"""The installed package on CPython: the native module ``_core`` and the typed facade."""

from __future__ import annotations

from importlib import metadata
from typing import Any

import pytest

import elastic_notebook
from elastic_notebook import (
    CellAnalysis,
    Definition,
    DefinitionKind,
    ParseError,
    _core,
    analyze,
    core,
)

CAMEL_CASE_KEYS = {
    "parseError",
    "reads",
    "binds",
    "deletes",
    "imports",
    "starImports",
    "definitions",
    "calls",
    "mutates",
    "mutatesDirectly",
    "storesThrough",
    "dynamic",
    "maybeUnreproducibleCalls",
}


def test_version_is_the_distribution_version() -> None:
    assert _core.version() == metadata.version("elastic-notebook")
    assert elastic_notebook.version() == _core.version()


def test_backend_is_the_native_module() -> None:
    assert core.backend() is _core


def test_native_analyze_returns_the_serde_shape() -> None:
    data = _core.analyze("y = x + 1")
    assert set(data) == CAMEL_CASE_KEYS
    assert data["parseError"] is None
    assert data["reads"] == ["x"]
    assert data["binds"] == ["y"]
    assert data["definitions"] == []
    assert data["dynamic"] is False
    random_data = _core.analyze("rng = np.random.default_rng()")
    assert random_data["maybeUnreproducibleCalls"] == [
        {"callee": ["np", "random", "default_rng"], "seeded": False}
    ]


def test_analyze_reads_and_binds() -> None:
    a = analyze("y = x + 1")
    assert isinstance(a, CellAnalysis)
    assert a.parsed
    assert a.parse_error is None
    assert a.reads == frozenset({"x"})
    assert a.binds == frozenset({"y"})
    assert a.deletes == frozenset()
    assert a.definitions == ()
    assert not a.dynamic


def test_analyze_definitions_imports_calls_deletes() -> None:
    a = analyze("import os\ndef f(a):\n    return a + g\nz = h(w)\ndel q\n")
    assert a.imports == frozenset({"os"})
    assert {"f", "z"} <= a.binds
    assert {"h", "w"} <= a.reads
    assert "g" not in a.reads, "a name read only inside a function body is not a read"
    assert a.deletes == frozenset({"q"})
    assert a.calls == frozenset({"h"})
    assert len(a.definitions) == 1
    f = a.definitions[0]
    assert (f.name, f.kind, f.reads) == ("f", DefinitionKind.FUNCTION, frozenset({"g"}))
    assert f.global_writes == frozenset()


def test_analyze_parse_error() -> None:
    a = analyze("x = 1\ndef f(:\n")
    assert not a.parsed
    assert isinstance(a.parse_error, ParseError)
    assert a.parse_error.line == 2
    assert a.parse_error.column >= 1
    assert a.parse_error.message
    assert a.binds == frozenset()


def test_analyze_python_314_syntax() -> None:
    a = analyze('s = f"{d["k"]}"')
    assert a.parsed
    assert a.reads == frozenset({"d"})


def test_results_are_frozen() -> None:
    a = analyze("y = x + 1")
    with pytest.raises(AttributeError):
        a.dynamic = True  # type: ignore[misc]


@pytest.mark.parametrize("code", ["", "\x00", "def", "(" * 200, "é = 1", "%time x"])
def test_analyze_never_raises(code: str) -> None:
    assert isinstance(analyze(code), CellAnalysis)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


@pytest.mark.parametrize(
    ("cls", "code", "path"),
    [
        (CellAnalysis, "y = x + 1", ()),
        (Definition, "def f():\n    return g\n", ("definitions", 0)),
        (ParseError, "def f(:\n", ("parseError",)),
    ],
)
def test_typed_results_match_the_core_dicts(
    cls: type, code: str, path: tuple[str | int, ...]
) -> None:
    """Drift check: every field the core returns has a field of the typed result, and back."""
    data: Any = _core.analyze(code)
    for key in path:
        data = data[key]
    assert {_camel(name) for name in cls._fields} == set(data)  # type: ignore[attr-defined]
