"""Match units: collapse identical sets into forms, find candidate pairs, verify them exactly.

Candidates come from two sources: LSH banding of MinHash signatures (pairs
likely to reach the Jaccard threshold) and an exact containment prefix
filter (a short unit repeated inside a longer one).  Every candidate is then
verified on the exact shingle sets, so precision does not depend on the
sketches.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from dedupe import kernels
from dedupe.config import Settings
from dedupe.engine.corpus import Progress, UnitTable
from dedupe.sketch.containment import containment_candidates, element_frequencies, shared_counts, short_candidates
from dedupe.sketch.lsh import candidate_pairs
from dedupe.sketch.sets import csr_take
from dedupe.sketch.signatures import signatures
from dedupe.sketch.verify import VerifiedPair, short_size, verify_pairs, verify_words


@dataclass
class Matches:
    """Verified links between units: forms and form pairs."""

    form_of: np.ndarray  # form index of each unit
    pairs: list[VerifiedPair]  # over forms
    candidates: int
    bands: int
    rows: int


#: Mixed into a unit's set key with its kind, so identical shingle sets of different kinds are different forms.
KIND_MIX = np.uint64(0xA24BAED4963EE407)


def form_keys(setkey: np.ndarray, kind: np.ndarray) -> np.ndarray:
    """The form key of each unit (uint64): units with equal keys are one form (same shingle set, same kind)."""
    with np.errstate(over="ignore"):
        out: np.ndarray = setkey ^ (kind.astype(np.uint64) * KIND_MIX)
    return out


def min_contained(settings: Settings) -> int:
    """The fewest shingles a unit needs for containment alone to link it (``--min-words`` worth of word
    shingles; a two-shingle set is "contained" in far too much)."""
    return max(1, settings.min_words - settings.ngram + 1) if settings.shingle == "word" else 1


def containment_floor(settings: Settings) -> float:
    """The containment a pair needs to be reported on containment alone: ``--containment``, raised to
    ``--threshold`` (so the threshold governs every kind of match); 0 when containment is off."""
    return max(settings.containment, settings.threshold) if settings.containment > 0 else 0.0


#: Shingles held by more short units than this are not probed for word-level candidates (a pair the
#: path is for shares several rare shingles; the common ones would make the pairs quadratic).
SHORT_POSTING = 64


def short_pair_candidates(ffps: np.ndarray, foff: np.ndarray, settings: Settings,
                          freq: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The candidates of :func:`short_pairs` (:func:`dedupe.sketch.containment.short_candidates` with the
    engine's settings) and the shingles each shares; none with character shingles."""
    if settings.shingle != "word":
        return np.empty((0, 2), dtype=np.int64), np.zeros(0, dtype=np.int64)
    return short_candidates(ffps, foff, short_size(settings.ngram), min(settings.max_posting, SHORT_POSTING),
                            2 * settings.ngram, freq)


def short_pairs(ffps: np.ndarray, foff: np.ndarray, fkind: np.ndarray, settings: Settings,
                words: Callable[[int], Sequence[str]], freq: np.ndarray | None = None,
                skip: set[tuple[int, int]] | None = None,
                found: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[list[VerifiedPair], int]:
    """Word-level links between short forms (:func:`dedupe.sketch.verify.verify_words`): candidates
    share rare shingles (:func:`short_pair_candidates`, or ``found`` when the caller has them).  Returns
    the links and how many candidates were aligned (``skip``: pairs linked by the Jaccard rule already).
    The embedded engine, the archive index (whose candidates join the run) and Spark all link short
    units here."""
    if settings.shingle != "word":
        return [], 0
    cand, shared = found if found is not None else short_pair_candidates(ffps, foff, settings, freq)
    if not len(cand):
        return [], 0
    keep = fkind[cand[:, 0]] == fkind[cand[:, 1]]
    if skip:  # linked already by the Jaccard rule: no alignment needed
        keep &= np.fromiter(((a, b) not in skip for a, b in cand.tolist()), dtype=bool, count=len(cand))
    cand, shared = cand[keep], shared[keep]
    cache: dict[int, Sequence[str]] = {}

    def tokens(f: int) -> Sequence[str]:
        t = cache.get(f)
        if t is None:
            t = cache[f] = words(f)
        return t

    return verify_words(cand, shared, np.diff(foff), tokens, settings.threshold), len(cand)


T = TypeVar("T")


def in_background(work: Callable[[], T], parallel: bool) -> Callable[[], T]:
    """Start ``work`` in a thread when ``parallel`` (a compiled kernel that releases the GIL: it runs on
    the other core beside what the caller does meanwhile), else run it now; returns the function that
    waits for its result (re-raising what it raised)."""
    if not parallel:
        value = work()
        return lambda: value
    box: list[Any] = []

    def run() -> None:
        try:
            box.append((True, work()))
        except BaseException as exc:  # re-raised in the calling thread
            box.append((False, exc))

    worker = threading.Thread(target=run, name="dedupe-match")
    worker.start()

    def wait() -> T:
        worker.join()
        ok, value = box[0]
        if not ok:
            raise value
        result: T = value
        return result

    return wait


def merge_word_links(verified: list[VerifiedPair], extra: list[VerifiedPair], threshold: float) -> list[VerifiedPair]:
    """``verified`` with the word-level links added; a pair in both keeps its Jaccard link when that
    reaches ``threshold``, else the word link when its word similarity is the higher measure (a short
    sentence with one changed figure: 12 of 13 words, though only 0.69 of its shingles)."""
    if not extra:
        return verified
    by_pair = {(p.a, p.b): p for p in verified}
    for p in extra:
        old = by_pair.get((p.a, p.b))
        if old is None or (old.jaccard < threshold and p.words > old.jaccard):
            by_pair[(p.a, p.b)] = p
    return sorted(by_pair.values(), key=lambda p: (p.a, p.b))


def match_units(table: UnitTable, settings: Settings, progress: Progress | None = None,
                words: Callable[[int], Sequence[str]] | None = None) -> Matches:
    """Collapse identical units into forms, find and verify candidate form pairs.

    Before any MinHash work, an exact filter: a form can only reach Jaccard
    ``t`` with another if at least ``t * |A|`` of its shingles occur in some
    other form (``|A & B| >= J * |A|``), and only be part of a containment
    pair if at least ``c * min_size`` do.  Forms below that cannot match
    anything, so only the others are signed, banded and indexed.

    With ``words`` (a unit row's word tokens), short units are also linked word by word
    (:func:`short_pairs`): the same sentence with a word or two changed.
    """
    n = len(table)
    bands, rows = settings.band_plan()
    if n == 0:
        return Matches(np.zeros(0, dtype=np.int64), [], 0, bands, rows)
    key = form_keys(table.setkey, table.kind)
    _, rep, form_of = np.unique(key, return_index=True, return_inverse=True)
    form_of = form_of.reshape(-1)
    ffps, foff = table.set_fps(rep)
    fkind = table.kind[rep]
    sizes = np.diff(foff)
    min_size = min_contained(settings)
    # how many forms hold each shingle (each form's shingles are distinct)
    order = np.argsort(ffps) if kernels.compiled() is None else None  # the pure-Python path sorts once, for both
    freq = element_frequencies(ffps, order)
    n_shared = shared_counts(freq, foff)
    has_shared = n_shared > 0
    # Jaccard candidates (LSH): only forms with enough shingles found elsewhere
    jlive = np.flatnonzero(has_shared & (n_shared >= np.ceil(settings.threshold * sizes - 1e-9)))
    if progress:
        progress("candidates", 0, 1)
    # Containment candidates (exact prefix filter) and the short units' word-level candidates in other
    # threads: the compiled kernels release the GIL, so they run beside the LSH below.
    parallel = kernels.compiled() is not None and len(ffps) > 200_000
    cfloor = containment_floor(settings)
    contained = in_background(lambda: containment_candidates(ffps, foff, cfloor, settings.max_posting, order=order,
                                                             freq=freq) if cfloor > 0 else None, parallel and cfloor > 0)
    short_found = in_background(lambda: short_pair_candidates(ffps, foff, settings, freq) if words is not None else None,
                                parallel and words is not None)
    jfps, joff = csr_take(ffps, foff, jlive)
    if table.has_signatures and table.sigs.shape[1]:
        jsigs = table.sigs[rep[jlive]]
    else:
        jsigs = signatures((jfps >> np.uint64(32)).astype(np.uint32), joff, settings.num_perm, settings.seed)
    cand = [jlive[candidate_pairs(jsigs, bands, rows, settings.max_bucket)]]
    del jsigs, jfps, joff  # the signatures of every live form: not needed past the banding (memory)
    found = contained()
    if found is not None:
        cand.append(found)
    pairs = np.concatenate(cand) if len(cand) > 1 else cand[0]
    if len(cand) > 1 and len(pairs):
        nf = len(rep)
        code = np.unique(pairs[:, 0] * nf + pairs[:, 1])
        pairs = np.stack((code // nf, code % nf), axis=1)
    if len(pairs):
        pairs = pairs[fkind[pairs[:, 0]] == fkind[pairs[:, 1]]]
    if progress:
        progress("verify", 0, 1)
    verified = verify_pairs(pairs, ffps, foff, settings.threshold, cfloor, min_size)
    n_cand = len(pairs)
    if words is not None:
        # pairs whose shingle Jaccard reaches the threshold are linked (and measured) already
        done = {(p.a, p.b) for p in verified if p.jaccard >= settings.threshold}
        extra, n_short = short_pairs(ffps, foff, fkind, settings, lambda f: words(int(rep[f])), freq, done,
                                     short_found())
        verified = merge_word_links(verified, extra, settings.threshold)
        n_cand += n_short
    return Matches(form_of, verified, n_cand, bands, rows)
