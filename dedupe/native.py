"""The optional compiled speed-ups (:mod:`dedupe._speedups`), or ``None``.

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
        from . import _speedups
    except ImportError:  # not built (no C compiler at install time)
        return None
    return _speedups


speedups = _load()


def describe() -> str:
    """``"compiled"`` or ``"pure Python"``, for benchmark and debug output."""
    return "compiled" if speedups is not None else "pure Python"
