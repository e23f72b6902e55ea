"""The storage bandwidth the plan weighs storing against re-running with.

``--bandwidth`` gives it (`parse_bandwidth`); otherwise `measure_bandwidth` writes and
syncs a small file beside the checkpoint (best of three), once per directory and session.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
from functools import cache

#: Bytes one probe writes: enough to pass small caches, cheap (tens of ms).
PROBE_BYTES = 8 * 1024 * 1024
#: In Pyodide: no OS cache to pass, and JupyterLite's /drive stores about 5 MB/s (through
#: its service worker into IndexedDB), where 3 x 8 MiB took 4.7 s.
PYODIDE_PROBE_BYTES = 1024 * 1024
#: Random bytes a probe is made of (repeated up to its size).
_RANDOM_BYTES = 1024 * 1024
#: Probes per measurement; the fastest counts.
PROBES = 3
#: What a measurement can never exceed or go below, bytes/s: keeps a noisy probe sane.
MIN_BANDWIDTH, MAX_BANDWIDTH = 1e6, 1e10

_UNITS = {"": 1e6, "b": 1.0, "k": 1e3, "kb": 1e3, "m": 1e6, "mb": 1e6, "g": 1e9, "gb": 1e9}
_BANDWIDTH = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([kmg]?b?)(?:/s)?\s*$", re.I)


def parse_bandwidth(text: str) -> float:
    """Bytes per second from ``100MB/s``, ``1.5GB/s``, ``500kB/s`` or a bare number of MB/s.

    Raises ``ValueError`` with the accepted forms.
    """
    match = _BANDWIDTH.match(text)
    value = float(match.group(1)) * _UNITS[match.group(2).lower()] if match else 0.0
    if value <= 0:
        raise ValueError(
            f"bad bandwidth {text!r}: give a positive rate like 100MB/s, 1.5GB/s, 500kB/s "
            "or a number of MB/s"
        )
    return value


@cache
def measure_bandwidth(directory: str) -> float:
    """Bytes per second of a synced write of `PROBE_BYTES` into `directory`, clamped.

    The best of `PROBES` writes: a single probe on a shared machine ranged over 3x
    (129-439 MB/s in ten tries), always downwards, and a low value makes the plan
    recompute what it should store.
    """
    size = PYODIDE_PROBE_BYTES if sys.platform == "emscripten" else PROBE_BYTES
    # Random, so a compressing file system cannot flatter the probe; one MiB of it
    # repeated, since `os.urandom` makes about 250 MB/s (34 of the 70 ms a first desktop
    # checkpoint of a small session took). A file system compresses extents of 128 KiB
    # at most: each is random.
    data = os.urandom(min(size, _RANDOM_BYTES)) * max(1, size // _RANDOM_BYTES)
    best = 0.0
    for _ in range(PROBES):
        fd, name = tempfile.mkstemp(dir=directory, prefix=".elastic-probe-")
        try:
            started = time.perf_counter()
            # Timed through close: JupyterLite's /drive persists a file on close (its fsync
            # does nothing), so the write alone measures memory, not storage.
            with os.fdopen(fd, "wb") as probe:
                probe.write(data)
                probe.flush()
                os.fsync(probe.fileno())
            elapsed = time.perf_counter() - started
        finally:
            os.unlink(name)
        best = max(best, size / max(elapsed, 1e-9))
    return min(max(best, MIN_BANDWIDTH), MAX_BANDWIDTH)
