"""The optional compiled speed-ups (:mod:`dedupe.kernels._speedups`), or ``None``.

The C module holds compiled twins of the engine's hot loops: counting word
tokens, shingling units, counting how many units share each shingle,
containment candidates and exact intersection sizes.  Every caller keeps the
pure-Python version beside it and the tests check both give the same
results.  Set ``DEDUPE_PURE_PYTHON=1`` to run without the module.

Callers read :data:`speedups` at call time (``native.speedups``), so tests
can switch it off by patching this attribute.
"""

from __future__ import annotations

import os


def _load():
    if os.environ.get("DEDUPE_PURE_PYTHON", "").strip() not in ("", "0"):
        return None
    try:
        from dedupe.kernels import _speedups
    except ImportError:  # not built (no C compiler at install time)
        return None
    return _speedups


speedups = _load()


def describe() -> str:
    """``"compiled"`` or ``"pure Python"``, for benchmark and debug output."""
    return "compiled" if speedups is not None else "pure Python"


def tune_allocator() -> bool:
    """Keep freed memory for reuse instead of returning it to the system
    (glibc ``mallopt``; a no-op elsewhere).  Returns whether it applied.

    The engine allocates and frees arrays of a few megabytes per batch; by
    default glibc unmaps each and maps fresh pages for the next, and every
    fresh page costs a page fault (measured: about 4 us each on the 2-core
    CI machines, 0.2-0.3 s of a Reuters-sized run).  Called by the ``dedupe``
    command (a short-lived process), never on import: a library caller's
    process keeps its allocator settings.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3
    ok = bool(mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024))  # glibc's maximum for this setting
    ok = bool(mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024)) and ok
    ok = bool(mallopt(M_TOP_PAD, 64 * 1024 * 1024)) and ok
    return ok
