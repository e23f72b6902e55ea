"""Calls whose results a re-run cannot give back (`elastic_notebook.unreproducible`)."""

from __future__ import annotations

import os
import random
import uuid

import numpy as np

from elastic_notebook import unreproducible
from elastic_notebook.core import analyze, file_readers
from elastic_notebook.unreproducible import unreproducible_calls


def found(source: str, namespace: dict[str, object]) -> list[str]:
    """What the recorder finds: the core's calls, resolved in `namespace`."""
    return unreproducible_calls(analyze(source).maybe_unreproducible_calls, namespace)


def test_system_randomness_and_unseeded_generators_are_found_through_modules_and_names() -> None:
    namespace: dict[str, object] = {
        "os": os,
        "uuid": uuid,
        "np": np,
        "random": random,
        "default_rng": np.random.default_rng,
        "urandom": os.urandom,
    }
    assert found("key = os.urandom(16)", namespace) == ["os.urandom"]
    assert found("k = urandom(4)\nrun = str(uuid.uuid4())", namespace) == ["urandom", "uuid.uuid4"]
    assert found("rng = np.random.default_rng()", namespace) == ["np.random.default_rng"]
    assert found("rng = default_rng(None)", namespace) == ["default_rng"]
    assert found("r = random.Random()", namespace) == ["random.Random"]
    assert found("r = random.SystemRandom(5)", namespace) == ["random.SystemRandom"]


def test_modules_a_function_imports_itself_and_aliases_are_found() -> None:
    """`import uuid` in a function's body, `from secrets import token_hex as th`: the
    notebook binds neither name, the modules imported are looked into."""
    import secrets  # noqa: F401 - imported, as the function's own import would

    source = (
        "def f():\n    import uuid\n    from secrets import token_hex as th\n"
        "    return uuid.uuid4(), th(8)"
    )
    calls = analyze(source).definitions[0].maybe_unreproducible_calls
    assert unreproducible_calls(calls, {}) == ["secrets.token_hex", "uuid.uuid4"]
    # A notebook variable of that name is what the name is: not a module, not looked into.
    assert unreproducible_calls(calls, {"uuid": "a string", "secrets": 3}) == []
    assert found("from uuid import uuid4 as make\nident = make()", {}) == ["uuid.uuid4"]


def test_seeded_generators_other_calls_and_code_not_run_now_are_not() -> None:
    namespace: dict[str, object] = {"os": os, "np": np, "random": random}
    assert found("rng = np.random.default_rng(7)", namespace) == []
    assert found("rng = np.random.default_rng(seed=7)", namespace) == []
    assert found("r = random.Random(1)", namespace) == []
    assert found("x = os.getcwd()", namespace) == []
    assert found("def f():\n    return os.urandom(4)", namespace) == []
    assert found("g = lambda: os.urandom(4)", namespace) == []
    assert found("gen = (os.urandom(4) for _ in range(3))", namespace) == []
    # What runs when defined does count: a default value, a class body.
    assert found("def f(k=os.urandom(4)):\n    return k", namespace) == ["os.urandom"]
    assert found("class C:\n    key = os.urandom(4)", namespace) == ["os.urandom"]


def test_names_bound_to_other_things_are_not_looked_into() -> None:
    class Shadow:
        @property
        def urandom(self) -> object:
            raise AssertionError("an attribute of a non-module must not be read")

    assert found("os.urandom(4)", {"os": Shadow()}) == []
    # Unbound: the modules imported are looked into (`import os; k = os.urandom(4); del
    # os` in one cell), and a name no module has is nothing.
    assert found("os.urandom(4)", {}) == ["os.urandom"]
    assert found("no_such_module.urandom(4)", {}) == []
    assert analyze("x = 1 +").maybe_unreproducible_calls == ()  # does not parse: ran nothing
    assert analyze("y = f(2)").maybe_unreproducible_calls == ()


def test_calls_in_a_definitions_body_are_the_definitions() -> None:
    """A cell calling the function makes them: the recorder adds them to the cell's."""
    namespace: dict[str, object] = {"os": os, "np": np}
    definition = analyze("def f():\n    return os.urandom(4), np.random.default_rng(1)")
    calls = definition.definitions[0].maybe_unreproducible_calls
    assert definition.maybe_unreproducible_calls == ()
    assert unreproducible_calls(calls, namespace) == ["os.urandom"]


def test_the_core_lists_every_call_of_the_tables() -> None:
    """The core lists calls by their last name (`SYSTEM_RANDOMNESS`, `UNSEEDED_GENERATORS`
    in `analysis/unreproducible.rs`): every function and class of the tables must be among
    them, or a call to it goes unseen."""
    tables = [unreproducible._ALWAYS, unreproducible._UNSEEDED]
    for table in tables:
        for module, names in table.items():
            for name in names:
                source = f"x = {module}.{name}()"
                calls = analyze(source).maybe_unreproducible_calls
                assert calls == (((*module.split("."), name), False),), source


def test_the_core_lists_the_calls_that_read_files() -> None:
    """Each of the core's file readers (`core.file_readers`) is listed among a cell's
    calls and found to read a file, dotted or not; a name that only starts like one is
    not."""
    readers = file_readers()
    assert {"open", "read_csv", "load", "read_text"} <= readers
    for name in sorted(readers):
        for source, callee in [
            (f"x = {name}('f')", name),
            (f"import mod\nx = mod.{name}('f')", f"mod.{name}"),
            (f"x = make('f').{name}()", name),
        ]:
            calls = analyze(source).maybe_unreproducible_calls
            assert unreproducible.file_reads(calls) == [callee], source
    assert unreproducible.file_reads(analyze("x = open_file('f')").maybe_unreproducible_calls) == []
