"""The engine's compiled kernels (:mod:`dedupe.kernels._speedups`, optional C) and how they are chosen.

The C module holds compiled twins of the engine's hot loops (its typed
interface is ``_speedups.pyi`` beside it).  Each kernel is chosen in exactly
one place: the public function it serves, which calls :func:`compiled` and
falls back to its pure-Python twin, kept beside it:

=========================  ===========================================
kernel                     public function (pure-Python twin inside)
=========================  ===========================================
``shingle_units``          :func:`dedupe.engine.analyse.analyse_documents`
``join_tokens``            :func:`dedupe.text.normalize.normalized_key`
``token_spans``            :func:`dedupe.text.normalize.token_spans`
``paragraph_spans_plain``  :func:`dedupe.text.split.paragraph_spans`
``boundary_flags``,        :func:`dedupe.text.units.extract_units`
``paragraph_units``
``minhash32``              :func:`dedupe.sketch.signatures.signatures`
``band_pairs``             :func:`dedupe.sketch.lsh.candidate_pairs`
``element_frequencies``,   :mod:`dedupe.sketch.containment`
``count_at_least``,
``containment_pairs``,
``short_candidates``
``verify_pairs``           :func:`dedupe.sketch.verify.verify_pairs`
``matching_blocks``        :func:`dedupe.text.align.matching_blocks`
``word_links``             :func:`dedupe.sketch.verify.verify_words`
``csr_take``               :func:`dedupe.sketch.sets.csr_take`
``sort_keyed``,            :func:`dedupe.index.base.sort_keyed`, ``merge_keyed``
``merge_keyed``
``split_words``,           :meth:`dedupe.semantic.model.Embedder.embed`
``pool_rows``              (and ``Embedder`` word vectors)
=========================  ===========================================

``tests/test_speedups.py`` checks every pair gives the same results.  Set
``DEDUPE_PURE_PYTHON=1`` to run without the module; tests switch it off by
patching :data:`speedups` (read at call time by :func:`compiled`).
"""

from __future__ import annotations

import os
import sys
import types

#: Every kernel the package calls: a compiled module lacking one is out of date and is not used.
KERNELS = (
    "count_tokens", "shingle_units", "join_tokens", "token_spans", "word_hash64", "element_frequencies",
    "count_at_least", "sort_keyed", "merge_keyed", "containment_pairs", "short_candidates", "verify_pairs",
    "paragraph_spans_plain", "band_pairs", "split_words", "pool_rows", "csr_take", "boundary_flags",
    "paragraph_units", "quote_spans", "matching_blocks", "word_links", "minhash32",
)


def _load() -> types.ModuleType | None:
    if os.environ.get("DEDUPE_PURE_PYTHON", "").strip() not in ("", "0"):
        return None
    try:
        from dedupe.kernels import _speedups
    except ImportError as exc:  # not built (no C compiler at install time): said, never silent
        sys.stderr.write(f"dedupe: warning: compiled kernels unavailable ({exc}); running the pure-Python code "
                         "(same results, slower; `dedupe doctor` says more)\n")
        return None
    missing = [name for name in KERNELS if not hasattr(_speedups, name)]
    if missing:  # built from an older _speedups.c (an editable install not re-made): its twins would be mixed in
        sys.stderr.write(f"dedupe: warning: compiled kernels out of date (no {', '.join(missing)}; rebuild with "
                         "`make install` or `pip install -e .`); running the pure-Python code (same results, slower)\n")
        return None
    return _speedups


speedups = _load()


def compiled() -> types.ModuleType | None:
    """The compiled kernels module, or ``None`` to use the pure-Python twins."""
    return speedups


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
