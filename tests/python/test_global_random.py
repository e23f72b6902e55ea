"""The global random generators' states (`elastic_notebook.global_random`)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import numpy as np

from elastic_notebook import global_random
from elastic_notebook.global_random import GlobalRandom


def test_a_draw_from_either_global_generator_changes_the_states_and_other_work_does_not() -> None:
    np.random.rand()  # numpy's global generator is made on first use
    watched = GlobalRandom()
    before = watched.states()
    assert set(before) == {"random", "numpy"}
    assert watched.states() == before
    sum(range(1000))
    private = random.Random(3)
    private.random()
    np.random.default_rng(3).random(10)
    assert watched.states() == before, "private generators are the user's variables"
    random.gauss()  # draws two normals: keeps the second for the next call
    after_python = watched.states()
    assert after_python["random"] != before["random"]
    assert after_python["numpy"] == before["numpy"]
    random.gauss()  # takes the kept one: no draw from the twister, still a change
    assert watched.states()["random"] != after_python["random"]
    after_python = watched.states()
    assert after_python["random"] != before["random"]
    assert after_python["numpy"] == before["numpy"]
    np.random.randn()
    after_numpy = watched.states()
    assert after_numpy["random"] == after_python["random"]
    assert after_numpy["numpy"] != after_python["numpy"]
    np.random.randn()  # the kept normal again
    assert watched.states()["numpy"] != after_numpy["numpy"]


def test_reseeding_to_the_same_state_reads_the_same() -> None:
    watched = GlobalRandom()
    random.seed(5)
    np.random.seed(5)
    first = watched.states()
    random.random()
    np.random.rand()
    assert watched.states() != first
    random.seed(5)
    np.random.seed(5)
    assert watched.states() == first


def test_the_struct_readers_pass_their_check_on_cpython_and_see_what_the_public_state_does() -> (
    None
):
    watched = GlobalRandom()
    watched.states()
    assert watched._python_fast and watched._numpy_fast, "the C structs are read here"
    # One generator read over time: a draw shows, its public state put back reads as before.
    numpy, python = np.random.RandomState(9), random.Random(4)
    cases: list[tuple[global_random.Reader, Callable[[], object], Any, Any]] = [
        (
            global_random._numpy_struct(numpy),
            numpy.standard_normal,
            numpy.get_state,
            numpy.set_state,
        ),
        (global_random._python_struct(python), python.gauss, python.getstate, python.setstate),
    ]
    for read, draw, get, put in cases:
        saved, first = get(), read()
        draw()
        assert read() != first
        put(saved)
        assert read() == first


def _public_numpy_state(generator: np.random.RandomState) -> object:
    """The state `GlobalRandom`'s public numpy reader gives (`get_state()`, legacy form)."""
    state: Any = generator.get_state()
    _, key, position, has_gauss, gauss = state
    return (key.tobytes(), position, has_gauss, gauss)


def test_a_generator_that_appears_counts_as_drawn_from_unless_it_is_as_seeded() -> None:
    """`import pandas` imports `numpy.random`, whose global generator then appears: no
    draw unless it moved from where seeding from the system left it. Both readers, both
    kinds; a draw of 624 words (a whole regeneration) shows too."""
    watched = GlobalRandom()
    watched.states()  # the struct readers' checks
    kinds: list[tuple[str, Callable[[], Any], Callable[[Any], object], Callable[[Any], object]]] = [
        ("numpy", np.random.RandomState, global_random._numpy_struct, _public_numpy_state),
        ("random", random.Random, global_random._python_struct, random.Random.getstate),
    ]
    draws: list[Callable[[Any], object]] = [
        lambda g: g.random(),
        lambda g: (
            g.random(312)
            if isinstance(g, np.random.RandomState)
            else [g.getrandbits(32) for _ in range(624)]
        ),
        lambda g: g.standard_normal() if isinstance(g, np.random.RandomState) else g.gauss(),
    ]
    for kind, make, struct, public in kinds:
        for read in (lambda g, struct=struct: struct(g)(), public):
            fresh = make()
            assert watched.drew({}, {kind: read(fresh)}) is False, (kind, read)
            for draw in draws:
                generator = make()
                draw(generator)
                assert watched.drew({}, {kind: read(generator)}) is True, (kind, read, draw)
    seeded = random.Random(5)  # seeded with a number: as reproducible as a new one
    assert watched.drew({}, {"random": seeded.getstate()}) is False
