"""Random notebooks for the restore test: a seeded generator, a canonical form, workers.

`generate(seed)` writes a notebook of 5-15 cells over the variables ``a``..``e`` and the
functions ``f``, ``g``, ``h``: literals, aliases (also of nested objects), in-place edits
through any path (``a[1]['k'].append(b)``), rebinding, deletes, functions that rebind or
mutate globals, comprehensions, loops, imports, numpy arrays and views of them
(``b = a[::2]``, ``b[0] = 1``), and a few deliberately failing cells whose partial
effects count. Each statement is chosen from the state a shadow namespace
really has at that point (the generator runs every statement it writes), so a cell only
raises where it is meant to.

`canonical(namespace)` describes a namespace's values and its aliasing: containers are
numbered by first visit (names in sorted order, children in order), so ``b = a`` and
``b = list(a)`` give different forms, as do ``[x, x]`` and ``[x, list(x)]``; arrays that
share memory are written with their offsets into it, so a view restored as a copy differs.

Run as a script, the module is a worker process (``record`` or ``restore``), so that a
checkpoint is always restored in another process than the one that wrote it::

    python random_notebooks.py record JOBS.json RESULTS.json
    python random_notebooks.py restore JOBS.json RESULTS.json
"""

# IPython is not typed: its calls are untyped for mypy --strict.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType, FunctionType, ModuleType
from typing import Any, Literal, TypedDict

import numpy as np
import numpy.typing as npt

#: The notebook's variables.
VARIABLES = ("a", "b", "c", "d", "e")
#: The notebook's functions.
FUNCTIONS = ("f", "g", "h")
Mode = Literal["optimal", "storeAll", "recomputeAll"]
#: Plan modes of `elastic_notebook.checkpoint`.
MODES: tuple[Mode, ...] = ("optimal", "storeAll", "recomputeAll")
#: Dict keys the generator uses.
KEYS: tuple[str | int, ...] = ("k", "m", "n", 1, 2)
#: Modules a cell may import (besides numpy).
MODULES = ("copy", "math")

#: What a function needs of a global (or a parameter) when it is called.
Requirement = Literal["any", "list", "dict"]


@dataclass(frozen=True)
class Notebook:
    """A notebook and what running it must leave in the namespace."""

    #: The seed it was generated from (negative for hand-written regression notebooks).
    seed: int
    cells: tuple[str, ...]
    #: Which cells raise (on purpose; what they did before raising stays).
    fails: tuple[bool, ...]
    #: Cells run after the checkpoint, in the original session and in the restored one.
    continuation: tuple[str, ...]
    #: `canonical` of the namespace after `cells`.
    expected: str
    #: `canonical` of the namespace after `cells` and then `continuation`.
    expected_after: str
    #: The bandwidth (bytes/s) given to the optimal plan.
    bandwidth: float

    def listing(self) -> str:
        """The cells, numbered, for failure reports."""
        lines = []
        for number, (cell, fails) in enumerate(zip(self.cells, self.fails, strict=True)):
            mark = "  # raises" if fails else ""
            body = cell.replace("\n", "\n        ")
            lines.append(f"  [{number}] {body}{mark}")
        for cell in self.continuation:
            body = cell.replace("\n", "\n        ")
            lines.append(f"  [after restore] {body}")
        return "\n".join(lines)


# --- canonical form -------------------------------------------------------------------


def user_variables(
    namespace: Mapping[str, object], hidden: Mapping[str, object]
) -> dict[str, object]:
    """The user's names: no underscore names (IPython's ``_``, ``_i3``, dunders, ...) and
    none of the values IPython hid (``In``, ``Out``, ``exit``, ...)."""
    return {
        name: value
        for name, value in namespace.items()
        if not name.startswith("_") and not (name in hidden and hidden[name] is value)
    }


def canonical(namespace: Mapping[str, object], *, globals_of: Mapping[str, object]) -> str:
    """Values and aliasing of `namespace`, one line per name, in name order.

    Mutable objects (lists, dicts, sets, arrays, tuples holding them, functions) are
    numbered by first visit: ``#0=[1, #1=[2]]`` then ``#0`` wherever the same object appears again.
    Atoms and tuples of atoms are written by value: their identity is CPython's business
    (interning, constant folding). A function is its code and whether its globals are
    `globals_of` (the session's namespace) or some other dictionary.

    >>> x = [1]
    >>> print(canonical({"p": x, "q": x, "r": [1]}, globals_of={}))
    p = #0=[1]
    q = #0
    r = #1=[1]
    """
    # The first pass finds which arrays share memory, the second writes it down.
    first = _Canonicalizer(globals_of, shared=frozenset())
    first.namespace(namespace)
    shared = frozenset(id(a) for members in first.memories if len(members) > 1 for a in members)
    return _Canonicalizer(globals_of, shared=shared).namespace(namespace)


class _Canonicalizer:
    def __init__(self, globals_of: Mapping[str, object], shared: frozenset[int]) -> None:
        self.globals_of = globals_of
        #: Ids of the arrays that share memory with another array of the namespace.
        self.shared = shared
        self.numbers: dict[int, int] = {}
        #: Keeps the visited objects alive, so their ids stay unique during the walk.
        self.keep: list[object] = []
        #: Arrays sharing memory, by first visit: the first of each is its anchor.
        self.memories: list[list[npt.NDArray[Any]]] = []

    def array(self, array: npt.NDArray[Any]) -> str:
        """Contents, and which memory it shares with other arrays (views).

        Arrays that share memory are written with the same memory number, their data's
        offset from the first of them and their strides, so ``y = x[::2]`` restored as a
        copy differs. An array sharing with no other is its values: whether it is a view
        of some unreachable base is no business of the notebook's.
        """
        shared = (
            number
            for number, members in enumerate(self.memories)
            if any(np.shares_memory(array, member) for member in members)
        )
        number = next(shared, len(self.memories))
        if number == len(self.memories):
            self.memories.append([])
        self.memories[number].append(array)
        if id(array) not in self.shared:
            return f"ndarray({array.dtype}, {array.tolist()})"
        offset = _address(array) - _address(self.memories[number][0])
        return (
            f"ndarray({array.dtype}, {array.tolist()}, memory {number}{offset:+d}, "
            f"strides {array.strides})"
        )

    def namespace(self, namespace: Mapping[str, object]) -> str:
        return "\n".join(f"{name} = {self.value(namespace[name])}" for name in sorted(namespace))

    def value(self, value: object) -> str:
        if _atom(value):
            return repr(value)
        if isinstance(value, ModuleType):
            return f"<module {value.__name__}>"
        if isinstance(value, tuple) and _immutable(value):
            return _tuple_text([self.value(item) for item in value])
        key = id(value)
        if key in self.numbers:
            return f"#{self.numbers[key]}"
        number = self.numbers[key] = len(self.numbers)
        self.keep.append(value)
        return f"#{number}={self.contents(value)}"

    def contents(self, value: object) -> str:
        if isinstance(value, list):
            return "[" + ", ".join(self.value(item) for item in value) + "]"
        if isinstance(value, tuple):
            return _tuple_text([self.value(item) for item in value])
        if isinstance(value, dict):
            items = (f"{self.value(k)}: {self.value(v)}" for k, v in value.items())
            return "{" + ", ".join(items) + "}"
        if isinstance(value, set | frozenset):
            ordered = sorted(value, key=lambda item: (type(item).__name__, repr(item)))
            body = ", ".join(self.value(item) for item in ordered)
            return f"{type(value).__name__}({{{body}}})"
        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, FunctionType):
            where = "session" if value.__globals__ is self.globals_of else "elsewhere"
            return (
                f"<function {value.__name__} code={_code_digest(value.__code__)} globals={where}>"
            )
        raise TypeError(f"no canonical form for a {type(value).__qualname__}: {value!r}")


def _atom(value: object) -> bool:
    """Numbers, strings, bytes, None and numpy scalars."""
    return value is None or isinstance(value, bool | int | float | str | bytes | np.generic)


def _immutable(value: object) -> bool:
    """Whether `value` is an atom or a tuple of (tuples of) atoms."""
    if isinstance(value, tuple):
        return all(_immutable(item) for item in value)
    return _atom(value)


def _address(array: npt.NDArray[Any]) -> int:
    address: int = array.__array_interface__["data"][0]
    return address


def _tuple_text(items: Sequence[str]) -> str:
    return "(" + items[0] + ",)" if len(items) == 1 else "(" + ", ".join(items) + ")"


def _code_digest(code: CodeType) -> str:
    """A digest of what a code object does (not where it was compiled)."""
    digest = hashlib.sha256()

    def feed(code: CodeType) -> None:
        digest.update(repr((code.co_name, code.co_names, code.co_varnames)).encode())
        digest.update(code.co_code)
        for const in code.co_consts:
            if isinstance(const, CodeType):
                feed(const)
            else:
                digest.update(repr(const).encode())

    feed(code)
    return digest.hexdigest()[:12]


# --- the generator --------------------------------------------------------------------


@dataclass
class _Function:
    """A notebook function: what it needs to be callable without raising."""

    #: Globals it reads or mutates, by what they must hold.
    requires: dict[str, Requirement]
    #: Kinds of its positional parameters.
    params: tuple[Requirement, ...] = ()
    #: Whether it returns a value worth binding.
    returns: bool = False


@dataclass
class _Shadow:
    """The state the generator's notebook has reached: a real namespace, run as written."""

    namespace: dict[str, object] = field(default_factory=dict)
    functions: dict[str, _Function] = field(default_factory=dict)

    def run(self, statement: str) -> BaseException | None:
        """Runs one statement; returns what it raised."""
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                exec(compile(statement, "<notebook>", "exec"), self.namespace)
        except Exception as error:
            return error
        return None

    def variables(self) -> dict[str, object]:
        return {n: v for n, v in self.namespace.items() if n in VARIABLES}

    def describe(self) -> str:
        return canonical(user_variables(self.namespace, {}), globals_of=self.namespace)


def _holds(value: object, requirement: Requirement) -> bool:
    if requirement == "list":
        return isinstance(value, list)
    if requirement == "dict":
        return isinstance(value, dict)
    return True


class _Generator:
    """Writes statements valid in the shadow's current state."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.shadow = _Shadow()

    # values --------------------------------------------------------------------------

    def atom(self) -> str:
        return repr(self.rng.choice([0, 1, 2, 3, 7, 42, -5, "x", "yy", "zed", None, True]))

    def literal(self, depth: int = 0) -> str:
        """Source of a fresh value (no existing object in it)."""
        choice = self.rng.random()
        if depth >= 2 or choice < 0.3:
            return self.atom()
        if choice < 0.55:
            size = self.rng.randint(0, 3)
            return "[" + ", ".join(self.literal(depth + 1) for _ in range(size)) + "]"
        if choice < 0.75:
            keys = self.rng.sample(KEYS, self.rng.randint(0, 3))
            return "{" + ", ".join(f"{k!r}: {self.literal(depth + 1)}" for k in keys) + "}"
        if choice < 0.85:
            size = self.rng.randint(1, 3)
            items = [self.literal(depth + 1) for _ in range(size)]
            return "(" + ", ".join(items) + ("," if size == 1 else "") + ")"
        if choice < 0.93:
            # A bigger list, so that storing costs more than re-running at low bandwidth.
            return f"list(range({self.rng.choice([10, 100, 1000])}))"
        return "{" + ", ".join(str(self.rng.randint(0, 9)) for _ in range(3)) + "}"

    def bound(self) -> list[str]:
        return sorted(self.shadow.variables())

    def paths(self, want: Callable[[object], bool]) -> list[tuple[str, object]]:
        """Expressions reaching objects `want` accepts: ``a``, ``a[1]``, ``a['k'][0]``."""
        found: list[tuple[str, object]] = []
        seen: set[int] = set()

        def visit(expression: str, value: object, depth: int) -> None:
            if id(value) in seen and not want(value):
                return
            seen.add(id(value))
            if want(value):
                found.append((expression, value))
            if depth >= 3:
                return
            if isinstance(value, list | tuple):
                for index, item in enumerate(value[:4]):
                    visit(f"{expression}[{index}]", item, depth + 1)
            elif isinstance(value, dict):
                for key, item in list(value.items())[:4]:
                    visit(f"{expression}[{key!r}]", item, depth + 1)

        for name, value in sorted(self.shadow.variables().items()):
            visit(name, value, 0)
        return found

    def operand(self) -> str:
        """A literal, a variable, or an object nested in one (which it then aliases)."""
        choice = self.rng.random()
        if choice < 0.4 and self.bound():
            return self.rng.choice(self.bound())
        if choice < 0.55:
            nested = self.paths(lambda v: isinstance(v, list | dict | set | tuple | np.ndarray))
            if nested:
                return self.rng.choice(nested)[0]
        return self.literal()

    def composite(self) -> str:
        """A new container holding operands: ``[b, 1]``, ``{'k': a}``, ``(c, [c])``."""
        first, second = self.operand(), self.operand()
        shape = self.rng.randrange(4)
        if shape == 0:
            return f"[{first}, {second}]"
        if shape == 1:
            return f"{{'k': {first}, 'n': {second}}}"
        if shape == 2:
            return f"({first}, [{second}])"
        return f"[{first}, [{first}, {second}]]"

    # statements ----------------------------------------------------------------------

    def target(self) -> str:
        return self.rng.choice(VARIABLES)

    def some(self, want: Callable[[object], bool]) -> tuple[str, object] | None:
        found = self.paths(want)
        return self.rng.choice(found) if found else None

    def assign(self) -> str:
        choice = self.rng.random()
        if choice < 0.45:
            value = self.literal()
        elif choice < 0.7 and self.bound():
            value = self.operand()
        else:
            value = self.composite()
        return f"{self.target()} = {value}"

    def list_edit(self) -> str | None:
        found = self.some(lambda v: isinstance(v, list))
        if found is None:
            return None
        path, value = found
        assert isinstance(value, list)
        options = [
            f"{path}.append({self.operand()})",
            f"{path}.insert(0, {self.operand()})",
            f"{path}.extend([{self.atom()}, {self.atom()}])",
            f"{path}.reverse()",
        ]
        if len(value) < 50:
            extended = self.some(lambda v: isinstance(v, list | tuple))
            if extended is not None:
                options.append(f"{path}.extend({extended[0]})")
        if value:
            index = self.rng.randrange(min(len(value), 4))
            options += [
                f"{path}[{index}] = {self.operand()}",
                f"{path}.pop()",
                f"del {path}[0]",
            ]
            if isinstance(value[index], int | str):
                step = "'z'" if isinstance(value[index], str) else str(self.rng.randint(1, 5))
                options.append(f"{path}[{index}] += {step}")
        if all(isinstance(item, int) for item in value):
            options.append(f"{path}.sort()")
        if "[" not in path:
            options.append(f"{path} += [{self.atom()}]")
        if self.rng.random() < 0.1:
            options.append(f"{path}.clear()")
        return self.rng.choice(options)

    def dict_edit(self) -> str | None:
        found = self.some(lambda v: isinstance(v, dict))
        if found is None:
            return None
        path, value = found
        assert isinstance(value, dict)
        key = self.rng.choice(KEYS)
        options = [f"{path}[{key!r}] = {self.operand()}"]
        if isinstance(value.get(key, []), list):
            options.append(f"{path}.setdefault({key!r}, []).append({self.operand()})")
        other = self.some(lambda v: isinstance(v, dict))
        if other is not None:
            options.append(f"{path}.update({other[0]})")
        if value:
            present = self.rng.choice(list(value))
            options += [f"del {path}[{present!r}]", f"{path}.pop({present!r})"]
        return self.rng.choice(options)

    def set_edit(self) -> str | None:
        found = self.some(lambda v: isinstance(v, set))
        if found is None:
            return None
        method = self.rng.choice(["add", "discard"])
        return f"{found[0]}.{method}({self.rng.randint(0, 9)})"

    def rebind(self) -> str | None:
        names = self.shadow.variables()
        if not names:
            return None
        name = self.rng.choice(sorted(names))
        value = names[name]
        target = self.rng.choice([name, name, self.target()])
        if isinstance(value, list):
            return self.rng.choice(
                [
                    f"{target} = {name} + [{self.atom()}]",
                    f"{target} = {name}[:]",
                    f"{target} = list({name})",
                    f"{target} = {name}.copy()",
                ]
            )
        if isinstance(value, dict):
            return self.rng.choice([f"{target} = dict({name})", f"{target} = {name}.copy()"])
        if isinstance(value, set):
            return f"{target} = {name} | {{{self.rng.randint(0, 9)}}}"
        if isinstance(value, tuple):
            return f"{target} = {name} + ({self.atom()},)"
        if isinstance(value, bool):
            return f"{target} = not {name}"
        if isinstance(value, int):
            return self.rng.choice([f"{name} += 1", f"{target} = {name} * 2"])
        if isinstance(value, str):
            return self.rng.choice([f"{name} += 'q'", f"{target} = {name} * 2"])
        return None

    def delete(self) -> str | None:
        names = self.bound()
        if not names:
            return None
        if self.rng.random() < 0.15:
            functions = [n for n in FUNCTIONS if n in self.shadow.namespace]
            if functions:
                return f"del {self.rng.choice(functions)}"
        return f"del {self.rng.choice(names)}"

    def comprehension(self) -> str | None:
        names = self.shadow.variables()
        lists = {n: v for n, v in names.items() if isinstance(v, list)}
        dicts = [n for n, v in names.items() if isinstance(v, dict)]
        options = []
        for name, value in lists.items():
            target = self.target()
            options.append(f"{target} = [v for v in {name}]")
            options.append(f"{target} = {{str(i): v for i, v in enumerate({name})}}")
            if all(isinstance(v, int) for v in value):
                options.append(f"{target} = [v * 2 for v in {name} if v != 3]")
        for name in dicts:
            options.append(f"{self.target()} = {{k: v for k, v in {name}.items()}}")
            options.append(f"{self.target()} = [k for k in {name}]")
        return self.rng.choice(options) if options else None

    def loop(self) -> str | None:
        found = self.some(lambda v: isinstance(v, list))
        if found is None:
            return None
        return f"for i in range({self.rng.randint(1, 3)}):\n    {found[0]}.append(i)"

    def define(self) -> str:
        name = self.rng.choice(FUNCTIONS)
        target = self.target()
        kind = self.rng.randrange(5)
        other = self.rng.choice(VARIABLES)
        if kind == 0:
            self.shadow.functions[name] = _Function({})
            return f"def {name}():\n    global {target}\n    {target} = {self.literal()}"
        if kind == 1:
            self.shadow.functions[name] = _Function({other: "any"})
            return f"def {name}():\n    global {target}\n    {target} = [{other}, {self.atom()}]"
        if kind == 2:
            self.shadow.functions[name] = _Function({target: "list"})
            return f"def {name}():\n    {target}.append({self.atom()})"
        if kind == 3:
            self.shadow.functions[name] = _Function({other: "any"}, ("any",), returns=True)
            return f"def {name}(n):\n    return [n, {other}]"
        self.shadow.functions[name] = _Function({}, ("list",))
        return f"def {name}(x):\n    x.append({self.atom()})\n    x.append(x[0])"

    def call(self) -> str | None:
        namespace = self.shadow.namespace
        options = []
        for name, spec in self.shadow.functions.items():
            if not isinstance(namespace.get(name), FunctionType):
                continue
            if not all(
                n in namespace and _holds(namespace[n], req) for n, req in spec.requires.items()
            ):
                continue
            arguments = []
            for requirement in spec.params:
                if requirement == "list":
                    found = self.some(lambda v: isinstance(v, list) and len(v) < 50)
                    if found is None:
                        break
                    arguments.append(found[0])
                else:
                    arguments.append(self.operand())
            else:
                call = f"{name}({', '.join(arguments)})"
                options.append(f"{self.target()} = {call}" if spec.returns else call)
        return self.rng.choice(options) if options else None

    def display(self) -> str | None:
        names = self.bound()
        if not names:
            return None
        name = self.rng.choice(names)
        return self.rng.choice([name, f"print({name})", f"len(str({name}))"])

    def use_module(self) -> str:
        module = self.rng.choice(MODULES)
        if module not in self.shadow.namespace:
            return f"import {module}"
        if module == "copy":
            return f"{self.target()} = copy.deepcopy({self.operand()})"
        return f"{self.target()} = math.floor({self.rng.randint(0, 99)} / 7)"

    def numpy(self) -> str:
        """Arrays, views of them (``x[::2]``), and in-place edits through either."""
        size = self.rng.choice([3, 6, 100])
        new = f"{self.target()} = np.{self.rng.choice(['arange', 'zeros'])}({size})"
        if "np" not in self.shadow.namespace:
            return f"import numpy as np\n{new}"
        options = [new]
        for name, value in self.shadow.variables().items():
            if not isinstance(value, np.ndarray):
                continue
            target = self.target()
            options += [
                f"{target} = {name}[::2]",
                f"{target} = {name}[1:]",
                f"{target} = {name} + 1",
                f"{target} = {name}.copy()",
                f"{name} += 1",
                f"{name} *= 2",
                f"{name}[:2] = {self.rng.randint(0, 9)}",
            ]
            if value.size:
                options.append(f"{name}[0] = {self.rng.randint(0, 9)}")
        return self.rng.choice(options)

    def statement(self) -> str:
        """One statement that runs without raising in the shadow's current state."""
        builders: list[tuple[float, Callable[[], str | None]]] = [
            (3.0, self.assign),
            (3.0, self.list_edit),
            (2.0, self.dict_edit),
            (0.5, self.set_edit),
            (2.0, self.rebind),
            (1.0, self.delete),
            (1.0, self.comprehension),
            (0.5, self.loop),
            (1.0, self.define),
            (2.0, self.call),
            (0.5, self.display),
            (0.4, self.use_module),
            (1.0, self.numpy),
        ]
        weights = [weight for weight, _ in builders]
        while True:
            _, build = self.rng.choices(builders, weights)[0]
            statement = build()
            if statement is not None:
                return statement

    def failing(self) -> str:
        """A statement that raises (after doing something, sometimes)."""
        tuples = self.some(lambda v: isinstance(v, tuple) and bool(v) and isinstance(v[0], list))
        if tuples is not None and self.rng.random() < 0.5:
            # `t[0] += [1]` extends the list, then fails to assign into the tuple.
            return f"{tuples[0]}[0] += [{self.atom()}]"
        return self.rng.choice(["1 / 0", "[][0]", "raise ValueError('boom')", "undefined_name"])

    def cell(self, *, may_fail: bool) -> tuple[str, bool]:
        """A cell of 1-3 statements, run in the shadow; whether it raised."""
        statements = []
        fails = may_fail and self.rng.random() < 0.08
        count = self.rng.choice([1, 1, 1, 2, 2, 3])
        fail_at = self.rng.randrange(count) if fails else -1
        for index in range(count):
            if index == fail_at:
                statement = self.failing()
                error = self.shadow.run(statement)
                if error is None:
                    raise AssertionError(f"generator bug: {statement!r} did not raise")
                statements.append(statement)
                # What follows the failure is never run: any valid statement will do.
                statements += [self.assign() for _ in range(count - index - 1)]
                break
            statement = self.statement()
            error = self.shadow.run(statement)
            if error is not None:
                raise AssertionError(
                    f"generator bug: {statement!r} raised {error!r} in\n{self.shadow.describe()}"
                )
            statements.append(statement)
        return "\n".join(statements), fails


def generate(seed: int) -> Notebook:
    """The notebook of `seed` (the same one on every run and machine)."""
    rng = random.Random(seed)
    generator = _Generator(rng)
    cells: list[str] = []
    fails: list[bool] = []
    for _ in range(rng.randint(5, 15)):
        cell, failed = generator.cell(may_fail=True)
        cells.append(cell)
        fails.append(failed)
    expected = generator.shadow.describe()
    continuation = [generator.cell(may_fail=False)[0] for _ in range(rng.randint(1, 3))]
    return Notebook(
        seed=seed,
        cells=tuple(cells),
        fails=tuple(fails),
        continuation=tuple(continuation),
        expected=expected,
        expected_after=generator.shadow.describe(),
        # Half of them near where storing and re-running cost about the same for these
        # sizes and runtimes (10 kB/s-1 MB/s): there plans mix the two most often.
        bandwidth=10 ** (rng.uniform(4, 6) if rng.random() < 0.5 else rng.uniform(3, 9)),
    )


def notebook(
    cells: Sequence[str],
    continuation: Sequence[str] = (),
    *,
    seed: int = -1,
    bandwidth: float = 1e6,
) -> Notebook:
    """A hand-written notebook (a regression case): its expectations from a plain run."""
    shadow = _Shadow()
    fails = tuple(shadow.run(cell) is not None for cell in cells)
    expected = shadow.describe()
    for cell in continuation:
        if (error := shadow.run(cell)) is not None:
            raise ValueError(f"continuation cell {cell!r} raised {error!r}")
    return Notebook(
        seed=seed,
        cells=tuple(cells),
        fails=fails,
        continuation=tuple(continuation),
        expected=expected,
        expected_after=shadow.describe(),
        bandwidth=bandwidth,
    )


# --- workers --------------------------------------------------------------------------


class CheckpointResult(TypedDict):
    """One checkpoint a worker wrote."""

    mode: Mode
    path: str
    error: str | None
    summary: str
    stored: list[str]
    recomputed: list[str]
    #: The recomputed variables that hold data (not functions or modules, which a
    #: checkpoint always recomputes).
    recomputed_data: list[str]


class RecordResult(TypedDict):
    """What a `record` worker saw for one notebook."""

    key: str
    fails: list[bool]
    original: str
    after_checkpoints: str
    after: str
    checkpoints: list[CheckpointResult]
    error: str | None


class RestoreResult(TypedDict):
    """What a `restore` worker saw for one checkpoint."""

    key: str
    mode: Mode
    error: str | None
    restored: str
    after: str
    summary: str
    loaded: list[str]
    recomputed: list[str]
    fallbacks: dict[str, str]
    #: The checkpoint of the restored session after the continuation, if one was asked.
    recheckpoint: CheckpointResult | None


class RecordJob(TypedDict):
    """A notebook to run and checkpoint in every mode."""

    key: str
    cells: list[str]
    continuation: list[str]
    #: Given to the optimal plan; the other modes measure it (once per directory).
    bandwidth: float
    directory: str


class RestoreJob(TypedDict):
    """A checkpoint to restore, the cells to run after it, and where to checkpoint again."""

    key: str
    mode: Mode
    path: str
    continuation: list[str]
    bandwidth: float | None
    #: Where to checkpoint the session (in `mode`) after the continuation, or None.
    recheckpoint: str | None


def record_job(key: str, notebook: Notebook, directory: Path) -> RecordJob:
    """The job of recording `notebook`; its checkpoints go to `directory` (``KEY-MODE.ckpt``)."""
    return {
        "key": key,
        "cells": list(notebook.cells),
        "continuation": list(notebook.continuation),
        "bandwidth": notebook.bandwidth,
        "directory": str(directory),
    }


class _Session:
    """One IPython shell of a worker, with the extension loaded afresh per notebook."""

    def __init__(self) -> None:
        from IPython.core.interactiveshell import InteractiveShell
        from traitlets.config import Config

        config = Config()
        # Two workers at once must not share a history database.
        config.HistoryManager.enabled = False
        self.shell: Any = InteractiveShell.instance(config=config)
        self.loaded = False

    def fresh(self) -> None:
        """An empty namespace and a new recorder."""
        if self.loaded:
            self.shell.run_line_magic("unload_ext", "elastic_notebook")
        self.shell.reset(new_session=True)
        self.shell.run_line_magic("load_ext", "elastic_notebook")
        self.loaded = True

    def run(self, cell: str) -> bool:
        """Runs a cell as a notebook would; whether it succeeded."""
        return bool(self.shell.run_cell(cell, store_history=True).success)

    def describe(self) -> str:
        namespace = user_variables(self.shell.user_ns, self.shell.user_ns_hidden)
        return canonical(namespace, globals_of=self.shell.user_ns)

    def checkpoint(self, path: str, mode: Mode, bandwidth: float | None) -> CheckpointResult:
        """Checkpoints the session; what the report said, or the error."""
        import elastic_notebook

        result: CheckpointResult = {
            "mode": mode,
            "path": path,
            "error": None,
            "summary": "",
            "stored": [],
            "recomputed": [],
            "recomputed_data": [],
        }
        try:
            report = elastic_notebook.checkpoint(
                path, shell=self.shell, mode=mode, bandwidth=bandwidth, progress=False
            )
        except Exception:
            result["error"] = _error()
            return result
        result["summary"] = str(report)
        result["stored"] = list(report.stored)
        result["recomputed"] = list(report.recomputed)
        code = (FunctionType, ModuleType)
        result["recomputed_data"] = [
            name for name in report.recomputed if not isinstance(self.shell.user_ns[name], code)
        ]
        return result


def _error() -> str:
    return traceback.format_exc(limit=-8)


def _record(session: _Session, job: RecordJob) -> RecordResult:
    result: RecordResult = {
        "key": job["key"],
        "fails": [],
        "original": "",
        "after_checkpoints": "",
        "after": "",
        "checkpoints": [],
        "error": None,
    }
    try:
        session.fresh()
        result["fails"] = [not session.run(cell) for cell in job["cells"]]
        result["original"] = session.describe()
        for mode in MODES:
            path = str(Path(job["directory"]) / f"{job['key']}-{mode}.ckpt")
            bandwidth = job["bandwidth"] if mode == "optimal" else None
            result["checkpoints"].append(session.checkpoint(path, mode, bandwidth))
        result["after_checkpoints"] = session.describe()
        for cell in job["continuation"]:
            session.run(cell)
        result["after"] = session.describe()
    except Exception:
        result["error"] = _error()
    return result


def _restore(session: _Session, job: RestoreJob) -> RestoreResult:
    import elastic_notebook

    result: RestoreResult = {
        "key": job["key"],
        "mode": job["mode"],
        "error": None,
        "restored": "",
        "after": "",
        "summary": "",
        "loaded": [],
        "recomputed": [],
        "fallbacks": {},
        "recheckpoint": None,
    }
    try:
        session.fresh()
        report = elastic_notebook.restore(job["path"], shell=session.shell, progress=False)
        result["summary"] = str(report)
        result["loaded"] = list(report.loaded)
        result["recomputed"] = list(report.recomputed)
        result["fallbacks"] = dict(report.fallbacks)
        result["restored"] = session.describe()
        for cell in job["continuation"]:
            session.run(cell)
        result["after"] = session.describe()
        if job["recheckpoint"] is not None:
            result["recheckpoint"] = session.checkpoint(
                job["recheckpoint"], job["mode"], job["bandwidth"]
            )
    except Exception:
        result["error"] = _error()
    return result


def _work(kind: str, jobs_path: Path, results_path: Path) -> None:
    session = _Session()
    jobs = json.loads(jobs_path.read_text())
    results: list[object] = []
    for job in jobs:
        results.append(_record(session, job) if kind == "record" else _restore(session, job))
    results_path.write_text(json.dumps(results))


def main(argv: Sequence[str]) -> int:
    """The worker's command line: ``record|restore JOBS RESULTS``."""
    if len(argv) != 3 or argv[0] not in ("record", "restore"):
        print("usage: random_notebooks.py record|restore JOBS.json RESULTS.json", file=sys.stderr)
        return 2
    _work(argv[0], Path(argv[1]), Path(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
