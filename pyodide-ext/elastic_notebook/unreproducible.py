"""Calls whose results a re-run cannot give back: the system's randomness, unseeded generators.

``os.urandom(16)``, ``uuid.uuid4()``, ``secrets.token_hex()``, ``random.SystemRandom()``, and
generators seeded from the system because no seed was given (``np.random.default_rng()``,
``random.Random()``): a cell that calls one gives other values when run again, so the
recorder records it as a cell that cannot re-run, and its results are stored.

Found in two steps. When a cell's source is first seen, a cheap search for the names
involved (`_MENTIONED`) decides whether to parse it at all (most cells never are); then
the calls it makes at its top level (not in the bodies of functions, lambdas or methods it
defines) are listed by dotted name (`calls_made`). After the cell runs, the names are
looked up in the namespace through modules only (`unreproducible_calls`) and compared by
identity with the functions and classes above. The clock is not among them: timings and
timestamps come back new, which is what re-running means for them.

Not seen: such calls made inside a notebook function the cell calls, or hidden behind a
name bound to something else than a module or the function itself.
"""

from __future__ import annotations

import ast
import re
import sys
from types import ModuleType

#: What a cell must mention for its calls to be listed at all.
_MENTIONED = re.compile(
    r"urandom|uuid|secrets|SystemRandom|Random|default_rng|SeedSequence|PCG64|MT19937|Philox|SFC64"
)

#: A call: its dotted name (`("np", "random", "default_rng")`) and whether it passed a seed
#: (any argument but a literal ``None``).
Call = tuple[tuple[str, ...], bool]

#: Unreproducible whatever the arguments, by module and name.
_ALWAYS = {
    "os": ("urandom",),
    "posix": ("urandom",),
    "nt": ("urandom",),
    "uuid": ("uuid1", "uuid4"),
    "secrets": (
        "token_bytes",
        "token_hex",
        "token_urlsafe",
        "randbits",
        "randbelow",
        "choice",
        "SystemRandom",
    ),
    "random": ("SystemRandom",),
}
#: Unreproducible when called without a seed, by module and name.
_UNSEEDED = {
    "random": ("Random",),
    "numpy.random": (
        "default_rng",
        "RandomState",
        "SeedSequence",
        "PCG64",
        "PCG64DXSM",
        "MT19937",
        "Philox",
        "SFC64",
    ),
}


def calls_made(source: str) -> tuple[Call, ...]:
    """The calls `source` makes at its top level that could be unreproducible ones.

    Empty unless it mentions one of their names, or if it does not parse (the cell then
    failed before running anything).
    """
    if _MENTIONED.search(source) is None:
        return ()
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ()
    calls: list[Call] = []
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            # Only default values and decorators run when it is defined.
            pending.extend(getattr(node, "decorator_list", []))
            pending.extend(node.args.defaults)
            pending.extend(d for d in node.args.kw_defaults if d is not None)
            continue
        if isinstance(node, ast.GeneratorExp):
            # Only its first iterable runs now; the rest when (and if) it is consumed.
            pending.append(node.generators[0].iter)
            continue
        if isinstance(node, ast.Call):
            name = _dotted(node.func)
            if name is not None:
                seeded = bool(node.keywords) or any(
                    not (isinstance(arg, ast.Constant) and arg.value is None) for arg in node.args
                )
                calls.append((name, seeded))
        pending.extend(ast.iter_child_nodes(node))
    return tuple(calls)


def _dotted(expr: ast.expr) -> tuple[str, ...] | None:
    """`a.b.c` as `("a", "b", "c")`; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return None
    parts.append(expr.id)
    return tuple(reversed(parts))


def unreproducible_calls(calls: tuple[Call, ...], namespace: dict[str, object]) -> list[str]:
    """The dotted names among `calls` that resolve to unreproducible calls, sorted."""
    found: set[str] = set()
    for name, seeded in calls:
        target = namespace.get(name[0])
        for attribute in name[1:]:
            if not isinstance(target, ModuleType):
                target = None  # only modules are looked into: an attribute may run code
                break
            target = getattr(target, attribute, None)
        if target is not None and _is_unreproducible(target, seeded=seeded):
            found.add(".".join(name))
    return sorted(found)


def _is_unreproducible(target: object, *, seeded: bool) -> bool:
    """Whether calling `target` (with a seed or not) gives values no re-run gives back."""
    tables = [_ALWAYS] if seeded else [_ALWAYS, _UNSEEDED]
    for table in tables:
        for module_name, names in table.items():
            module = sys.modules.get(module_name)
            if module is not None and any(getattr(module, n, None) is target for n in names):
                return True
    return False
