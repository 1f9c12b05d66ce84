"""LSH banding: same candidates as datasketch's MinHashLSH; bands chosen for recall."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash, MinHashLSH

from dedupe.sketch.lsh import candidate_pairs, choose_bands, collision_probability
from dedupe.sketch.shingles import WordHasher, batch_word_shingles
from dedupe.sketch.signatures import signatures


def _family_sigs(seed: int, families: int = 40, per: int = 4, num_perm: int = 128) -> np.ndarray:
    """Signatures of sets in families of near-duplicates (random edits)."""
    rng = random.Random(seed)
    sets = []
    for _ in range(families):
        base = [f"w{rng.randrange(3000)}" for _ in range(rng.randint(10, 30))]
        for _ in range(per):
            t = list(base)
            for _ in range(rng.randint(0, 3)):
                t[rng.randrange(len(t))] = f"x{rng.randrange(3000)}"
            sets.append(t)
    fps, off = batch_word_shingles(sets, 3, WordHasher())
    return signatures((fps >> np.uint64(32)).astype(np.uint32), off, num_perm, 1)


def _datasketch_pairs(sigs: np.ndarray, b: int, r: int) -> set[tuple[int, int]]:
    num_perm = sigs.shape[1]
    lsh = MinHashLSH(num_perm=num_perm, params=(b, r))
    mhs = [MinHash(num_perm=num_perm, hashvalues=s, scheme="affine32") for s in sigs]
    for i, m in enumerate(mhs):
        lsh.insert(i, m)
    out = set()
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j != i:
                out.add((min(i, j), max(i, j)))
    return out


@pytest.mark.parametrize("b,r,seed", [(32, 4, 1), (16, 8, 2), (42, 3, 3), (14, 9, 4), (128, 1, 5)])
def test_candidate_pairs_equal_datasketch(b, r, seed):
    sigs = _family_sigs(seed)
    ours = candidate_pairs(sigs, b, r, max_bucket=10_000)
    assert ours.dtype == np.int64 and ours.ndim == 2 and ours.shape[1] == 2
    ours_set = {tuple(p) for p in ours.tolist()}
    assert len(ours_set) == len(ours)  # no duplicates
    assert all(i < j for i, j in ours_set)
    assert ours.tolist() == sorted(ours.tolist())
    expected = _datasketch_pairs(sigs, b, r)
    assert len(expected) > 20
    assert ours_set == expected


def test_band_sharing_is_the_rule():
    # brute force on a small matrix: a pair is a candidate iff some band is equal
    sigs = _family_sigs(9, families=10, per=3, num_perm=64)
    b, r = 8, 8
    ours = {tuple(p) for p in candidate_pairs(sigs, b, r).tolist()}
    n = len(sigs)
    brute = set()
    for i in range(n):
        for j in range(i + 1, n):
            if any(np.array_equal(sigs[i, k * r : (k + 1) * r], sigs[j, k * r : (k + 1) * r]) for k in range(b)):
                brute.add((i, j))
    assert ours == brute


def test_large_bucket_stays_connected_but_linear():
    sig = np.arange(32, dtype=np.uint32)
    sigs = np.tile(sig, (500, 1))
    pairs = candidate_pairs(sigs, 4, 8, max_bucket=16)
    assert len(pairs) < 500 * 16
    # union-find: one component
    parent = list(range(500))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for i, j in pairs.tolist():
        parent[find(i)] = find(j)
    assert len({find(i) for i in range(500)}) == 1


def test_no_pairs_for_tiny_or_distinct_input():
    assert candidate_pairs(np.zeros((1, 16), dtype=np.uint32), 4, 4).shape == (0, 2)
    distinct = np.arange(16 * 10, dtype=np.uint32).reshape(10, 16)
    assert candidate_pairs(distinct, 4, 4).shape == (0, 2)


@pytest.mark.parametrize("num_perm,threshold,recall", [(128, 0.7, 0.99), (128, 0.8, 0.99), (256, 0.5, 0.95), (64, 0.9, 0.999)])
def test_choose_bands_meets_recall(num_perm, threshold, recall):
    b, r = choose_bands(num_perm, threshold, recall)
    assert b * r <= num_perm
    assert collision_probability(threshold, b, r) >= recall
    # the most rows that still meet the target (fewest false candidates)
    r2 = r + 1
    if num_perm // r2 >= 1:
        assert collision_probability(threshold, num_perm // r2, r2) < recall


def test_default_plan_beats_datasketch_optimiser():
    # datasketch picks 14 x 9 for threshold 0.7 / 128 perms: ~44% at J = 0.7
    b, r = choose_bands(128, 0.7, 0.99)
    assert collision_probability(0.7, 14, 9) < 0.5
    assert collision_probability(0.7, b, r) >= 0.99


def test_empirical_recall_at_threshold():
    # pairs of sets at Jaccard exactly 0.7 (14 shared of 20 distinct elements)
    rng = np.random.default_rng(0)
    b, r = choose_bands(128, 0.7, 0.99)
    n_pairs = 400
    hashes, offsets = [], [0]
    for _ in range(n_pairs):
        pool = rng.choice(2**32 - 1, size=20 * 2, replace=False).astype(np.uint32)
        shared, a_only, b_only = pool[:17], pool[17:20], pool[20:23]
        # |A|=20, |B|=20, |A&B|=17, |A|B|=23 -> J = 17/23 = 0.739
        for part in (np.concatenate([shared, a_only]), np.concatenate([shared, b_only])):
            hashes.extend(part.tolist())
            offsets.append(len(hashes))
    sigs = signatures(np.array(hashes, dtype=np.uint32), np.array(offsets), 128, 1)
    cand = {tuple(p) for p in candidate_pairs(sigs, b, r).tolist()}
    found = sum((2 * k, 2 * k + 1) in cand for k in range(n_pairs))
    assert found / n_pairs >= 0.97
