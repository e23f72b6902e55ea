"""Whether a variable's value is held by nothing but names: told from its reference count.

The recorder takes every variable that shares an object with a changed one as changed
too (its co-variables, `Recorder.reachable`). Finding them compares the changed value's
reach with every other variable's, and takes the reach of each (a walk) when it is not
kept: in small cells (``log.append(x)``, ``config['k'] = v``) that cost 30-85 us in the
hooks, mostly walking values rebound since (a list of 18,000 words: 36 us).

A value that holds nothing mutable (its reach is itself alone) shares an object with
another variable only if something else holds a reference to it: a container, an
instance, a frame, a view. CPython counts every strong reference in the object, so when
the count is exactly the references the caller has seen (the namespace's entries and the
recorder's own copies of them), nothing else holds it, and its only co-variables are the
names bound to it. Any reference not accounted for (IPython's ``Out``, a closure, the
last expression's result) makes the count larger, and the caller walks as before: the
count can only ever say "nothing else" when that is so.

The references of the call itself are taken from a probe object passed the same way
(`_CALL`); the whole rule is checked once on a private object held by two dicts
(`usable`), and is not used where that fails (an interpreter that counts otherwise).
"""

from __future__ import annotations

import sys
from functools import cache

#: What `references` counts for an object held only by the caller's expression and the
#: call (measured just below, on a probe passed the same way).
_CALL = 0


def references(value: object) -> int:
    """How many references hold `value` beyond those of the caller's call expression.

    Pass the value straight from where it is held (``references(namespace[name])``): the
    count of a temporary and of the call is taken off, as measured on a probe.
    """
    return sys.getrefcount(value) - _CALL


_CALL = references(object())


@cache
def usable() -> bool:
    """Whether `references` counts exactly what holds an object here (checked once)."""
    held: list[dict[str, object]] = [{"a": []}, {}]
    held[1]["b"] = held[0]["a"]
    if references(held[0]["a"]) != 2:
        return False
    held[1].clear()
    return references(held[0]["a"]) == 1
