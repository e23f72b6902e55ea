"""Calls whose results a re-run cannot give back (`elastic_notebook.unreproducible`)."""

from __future__ import annotations

import os
import random
import uuid

import numpy as np

from elastic_notebook.unreproducible import calls_made, unreproducible_calls


def found(source: str, namespace: dict[str, object]) -> list[str]:
    return unreproducible_calls(calls_made(source), namespace)


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
    assert found("os.urandom(4)", {}) == []
    assert calls_made("x = 1 +") == ()  # does not parse: ran nothing
    assert calls_made("y = [1, 2]") == ()  # mentions none: not parsed at all
