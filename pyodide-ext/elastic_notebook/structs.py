"""Live objects' C structs, read through memoryviews of this process's memory.

Some state that matters to the recorder has no cheap public reader: a random generator's
position (`global_random`), a dict's version tag (`namespace.VersionTag`). Reading a few
bytes of the struct through a memoryview made once costs a fraction of a microsecond; a
ctypes call per read cost 20 us a cell in the hooks. Every user checks the layout it
expects on a private object first, and takes the public way where that fails.
"""

from __future__ import annotations


def views(spans: list[tuple[int, int]]) -> list[memoryview]:
    """Memoryviews of `(address, size)` spans of live objects, which the caller keeps alive.

    Raises ImportError without ctypes (a build may lack it).
    """
    import ctypes

    return [memoryview((ctypes.c_char * size).from_address(address)) for address, size in spans]
