"""The global random generators: whether a cell drew from them.

``random.random()`` and ``np.random.rand()`` draw from generators no variable holds. A
cell that drew from one gives other values when a restore runs it again, so its results
must be stored, never recomputed (`Recorder` records such a cell as one that cannot
re-run). The recorder compares the generators' states after each cell with those after
the cell before.

A state is read from the generator's C structs: a Mersenne Twister's position and its
first and last words (`_WORDS`), and what each keeps besides (the normal kept for the
next ``gauss()`` or ``randn()``, numpy's binomial parameters), copied through memoryviews
made once per generator. ``random.getstate()`` builds a 625-item tuple (8 us, 5 more to
compare), numpy's ``get_state()`` takes 40 us, and a ctypes call per read cost 20 us a
cell in the hooks, which run with cold caches. The layout is checked once on private
generators (a draw must change what is read, putting the state back must give it back);
where that fails, the public calls are used.

Generators seeded from the system when made (``np.random.default_rng()`` without a seed),
``os.urandom`` and ``uuid.uuid4`` are found from the cell's calls instead
(`unreproducible`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, cast

from elastic_notebook.structs import views

#: A generator's state, comparable: equal before and after a cell that did not draw.
State = object
#: Reads one generator's state; made for that generator, which it holds.
Reader = Callable[[], State]


#: Words of a Mersenne Twister's 624 read (its first and last) besides its position: any
#: draw moves the position, unless the draws come back to it past a regeneration of all
#: 624 words, which keeps both words with odds of about 2^-64. Reading all 2.5 KB missed
#: the cache 40 times a read in the hooks (10 us a cell).
_WORDS = 624


def _python_struct(generator: Any) -> Reader:  # noqa: ANN401 - a random.Random
    """Reads a `random.Random` through its C struct and `gauss_next`.

    The struct: `int index; uint32_t state[624]`, after the object header.
    """
    import _random

    start = object.__basicsize__
    if _random.Random.__basicsize__ - start < 4 + 4 * _WORDS:  # (padded to 2504 on x86_64)
        raise ValueError("not the struct expected")
    first, last = views([(id(generator) + start, 8), (id(generator) + start + 4 * _WORDS, 4)])
    attributes = generator.__dict__
    return lambda: (first.tobytes(), last.tobytes(), attributes.get("gauss_next"), generator)


def _numpy_struct(generator: Any) -> Reader:  # noqa: ANN401 - a numpy RandomState
    """Reads a `RandomState` through its bit generator's struct and its own C part.

    mt19937_state: `uint32_t key[624]; int pos`. The RandomState's own part holds the
    normal kept for the next `randn()` and the binomial sampler's parameters (4 cache
    lines, read whole).
    """
    start = object.__basicsize__
    bit_generator = generator._bit_generator
    words = int(bit_generator.ctypes.state_address)
    first, last, own = views(
        [
            (words, 4),
            (words + 4 * (_WORDS - 1), 8),
            (id(generator) + start, type(generator).__basicsize__ - start),
        ]
    )
    # The bit generator is held so its state stays where the views look.
    return lambda: (first.tobytes(), last.tobytes(), own.tobytes(), bit_generator)


#: The first word of a Mersenne Twister seeded by ``init_by_array``, until it regenerates.
_SEEDED_FIRST_WORD = 0x80000000


def _word(data: bytes, at: int) -> int:
    """The 32-bit integer at byte `at` of `data` (a C struct's bytes: native byte order)."""
    return int.from_bytes(data[at : at + 4], sys.byteorder)


def _python_seed_marks(state: State) -> tuple[int, int, object]:
    """A `random.Random` state's first word, position and kept normal, from either reader.

    The struct reader's state starts with the struct's first 8 bytes (`int index`, then
    the first word); the public one is ``getstate()``: (version, 624 words and the
    position, the kept normal).
    """
    if isinstance(state, tuple) and len(state) == 4 and isinstance(state[0], bytes):
        first, _, kept, _ = state
        index = int.from_bytes(first[:4], sys.byteorder, signed=True)
        return _word(first, 4), index, kept
    _, words, kept = cast("tuple[int, tuple[int, ...], object]", state)
    return words[0], words[-1], kept


def _numpy_seed_marks(state: State) -> tuple[int, int, object]:
    """A `RandomState` state's first word, position and whether a normal is kept.

    The struct reader's state: the first word's 4 bytes, the last word's and the
    position's 8, its own part; nothing is drawn without moving the position, so the
    own part (which holds the kept normal) is not looked at. The public one: (the words'
    bytes, position, has_gauss, gauss).
    """
    first, second, third, _ = cast("tuple[bytes, object, object, object]", state)
    if isinstance(second, bytes):
        return _word(first, 0), int.from_bytes(second[4:8], sys.byteorder, signed=True), 0
    return _word(first, 0), cast("int", second), third


def _checked(
    make_reader: Callable[[Any], Reader],
    generator: Any,  # noqa: ANN401 - a private generator of the kind
    draw: Callable[[], object],
    get: Callable[[], object],
    put: Callable[[Any], object],
) -> bool:
    """Whether `make_reader`'s reader sees a private generator's draw, and its state put back."""
    try:
        read = make_reader(generator)
        saved = get()
        before = read()
        draw()
        drawn = read()
        put(saved)
        return before != drawn and read() == before
    except (ImportError, AttributeError, ValueError, TypeError, OverflowError):
        return False  # no ctypes, or not the layout expected


def _numpy_generator_made() -> ModuleType | None:
    """The module of numpy's global generator, imported now that numpy is.

    numpy imports `numpy.random` on first use: the cell that first used it would show a
    generator that was not there before, which counts as a draw, and
    `np.random.default_rng(6)` (no draw from the global one) would never be re-run.
    Imported here instead, in the hook after the cell that imported numpy: that cell
    cannot have drawn from it (`GlobalRandom.drew`).
    """
    try:
        import numpy.random  # noqa: F401 - for its side effect
    except ImportError:
        return None
    return sys.modules.get("numpy.random.mtrand")


class GlobalRandom:
    """The states of the global random generators imported so far, to compare."""

    def __init__(self) -> None:
        """Nothing is read until a module with a global generator is imported."""
        #: Per kind: the generator a reader was made for, and the reader.
        self._python: tuple[object, Reader] | None = None
        self._numpy: tuple[object, Reader] | None = None
        self._python_fast: bool | None = None
        self._numpy_fast: bool | None = None
        #: Where a numpy `RandomState` seeded from the system starts (asked once).
        self._numpy_position: int | None = None
        #: Kinds whose generator this class made itself (by importing its module): a
        #: cell cannot have drawn from it before it appeared.
        self._made_here: set[str] = set()

    def states(self) -> dict[str, State]:
        """The global generators' states now, by kind ("random", "numpy")."""
        states: dict[str, State] = {}
        python = sys.modules.get("random")
        generator = getattr(python, "_inst", None)
        if generator is not None:
            if self._python is None or self._python[0] is not generator:
                self._python = (generator, self._python_reader(generator))
            states["random"] = self._python[1]()
        numpy = sys.modules.get("numpy.random.mtrand")
        if numpy is None and "numpy" in sys.modules:
            numpy = _numpy_generator_made()
            self._made_here.add("numpy")
        generator = getattr(numpy, "_rand", None)
        if generator is not None:
            if self._numpy is None or self._numpy[0] is not generator:
                self._numpy = (generator, self._numpy_reader(generator))
            states["numpy"] = self._numpy[1]()
        return states

    def drew(self, before: dict[str, State], after: dict[str, State]) -> bool:
        """Whether a cell that ran between `before` and `after` drew from a generator.

        A generator that appeared meanwhile (the cell imported its module: ``import
        pandas`` imports ``numpy.random``) counts unless this class made it, or it is
        still as seeded (`_as_seeded`).
        """
        if before == after:  # the common answer, in one C-level comparison (cold: 5 us less)
            return False
        return any(
            before[kind] != state
            if kind in before
            else kind not in self._made_here and not self._as_seeded(kind, state)
            for kind, state in after.items()
        )

    def _as_seeded(self, kind: str, state: State) -> bool:
        """Whether a generator that just appeared has given no number since it was seeded.

        Seeding from the system (``init_by_array``) sets the first of the Mersenne
        Twister's 624 words to 0x80000000 and the position to where a new generator's is;
        the first regeneration of the words (after at most 624 draws of 32 bits) changes
        that word, which it keeps with odds of 2^-32. So: that word still 0x80000000,
        the position a new generator's, and no normal kept (none can be without a draw).
        """
        if kind == "random":
            word, index, kept = _python_seed_marks(state)
            return word == _SEEDED_FIRST_WORD and index == _WORDS and kept is None
        if kind == "numpy":
            word, position, kept = _numpy_seed_marks(state)
            return (
                word == _SEEDED_FIRST_WORD
                and position == self._numpy_seeded_position()
                and (not kept)
            )
        return False

    def _numpy_seeded_position(self) -> int:
        """The position of a `RandomState` seeded from the system (numpy's own, not 624)."""
        if self._numpy_position is None:
            import numpy as np

            fresh: Any = np.random.RandomState().get_state()  # (name, words, position, ...)
            self._numpy_position = int(fresh[2])
        return self._numpy_position

    def _python_reader(self, generator: Any) -> Reader:  # noqa: ANN401 - random.Random
        if self._python_fast is None:
            import random

            private = random.Random(1)
            self._python_fast = _checked(
                _python_struct, private, private.random, private.getstate, private.setstate
            )
        if self._python_fast:
            return _python_struct(generator)
        return generator.getstate  # type: ignore[no-any-return]

    def _numpy_reader(self, generator: Any) -> Reader:  # noqa: ANN401 - a RandomState
        if self._numpy_fast is None:
            import numpy as np

            private = np.random.RandomState(1)
            self._numpy_fast = _checked(
                _numpy_struct,
                private,
                private.standard_normal,
                private.get_state,
                private.set_state,
            )
        if self._numpy_fast:
            return _numpy_struct(generator)

        def public() -> State:
            _, key, pos, has_gauss, gauss = generator.get_state()
            return (key.tobytes(), pos, has_gauss, gauss)  # not the binomial cache

        return public
