"""MinHash signatures are exactly datasketch's, in every hashing mode."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import MinHash

from dedupe import Settings
from dedupe.documents import Document
from dedupe.engine.analyse import analyse_documents
from dedupe.sketch.shingles import (
    WordHasher,
    batch_word_shingles,
    char_hash32,
    char_shingles,
    sha1_hash32,
    shingle_fingerprint,
    shingle_hash32,
    word_shingles,
)
from dedupe.sketch.signatures import permutations, signatures
from dedupe.text.normalize import tokens

VOCAB = [f"w{i}" for i in range(400)] + ["the", "u.s", "de-escalation", "9-10", "don't", "café", "北京"]


def random_token_sets(rng: random.Random, n: int) -> list[list[str]]:
    return [[rng.choice(VOCAB) for _ in range(rng.randint(1, 40))] for _ in range(n)]


def datasketch_sig(shingles: list[str], num_perm: int, seed: int, hashfunc) -> np.ndarray:
    m = MinHash(num_perm=num_perm, seed=seed, hashfunc=hashfunc)
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m.hashvalues


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 7), (256, 42), (16, 0), (100, 12345)])
def test_signatures_equal_datasketch(num_perm, seed):
    rng = random.Random(num_perm * 31 + seed)
    sets = random_token_sets(rng, 60)
    fps, off = batch_word_shingles(sets, 3, WordHasher())
    sigs = signatures((fps >> np.uint64(32)).astype(np.uint32), off, num_perm, seed)
    assert sigs.shape == (60, num_perm) and sigs.dtype == np.uint32
    for i, toks in enumerate(sets):
        expected = datasketch_sig(word_shingles(toks, 3), num_perm, seed, shingle_hash32)
        assert np.array_equal(sigs[i], expected), i


def test_block_size_does_not_change_result():
    rng = random.Random(3)
    sets = random_token_sets(rng, 30)
    fps, off = batch_word_shingles(sets, 3, WordHasher())
    h = (fps >> np.uint64(32)).astype(np.uint32)
    ref = signatures(h, off, 128, 1, block=8)
    for block in (1, 5, 64, 128, 500):
        assert np.array_equal(signatures(h, off, 128, 1, block=block), ref)


def test_batch_fingerprints_equal_reference():
    rng = random.Random(5)
    sets = random_token_sets(rng, 40) + [["one"], ["two", "words"], ["a", "b", "c"]]
    for n in (1, 2, 3, 5):
        fps, off = batch_word_shingles(sets, n, WordHasher())
        for i, toks in enumerate(sets):
            expected = [shingle_fingerprint(s.split(" ")) for s in word_shingles(toks, n)]
            assert fps[off[i] : off[i + 1]].tolist() == expected


def test_permutations_match_datasketch():
    for num_perm, seed in [(128, 1), (33, 99)]:
        a, b = permutations(num_perm, seed)
        m = MinHash(num_perm=num_perm, seed=seed)
        pa, pb = m.permutations
        assert np.array_equal(a.astype(np.uint64), np.asarray(pa, dtype=np.uint64))
        assert np.array_equal(b.astype(np.uint64), np.asarray(pb, dtype=np.uint64))


def test_empty_set_rejected():
    with pytest.raises(ValueError):
        signatures(np.array([1, 2], dtype=np.uint32), np.array([0, 2, 2]), 16, 1)


SENTENCES = [
    "The 50-minute phone call did not yield any major breakthroughs, US and Russian officials said afterward.",
    "Washington and its European allies accuse Russia of threatening former Soviet territory Ukraine with a new invasion.",
    "Moscow describes the troop presence as protection against expansion of NATO, officials said on Tuesday.",
    "Dockworkers at the Port of Long Beach walked off the job at 6 a.m. Tuesday, halting cargo at the nation’s No. 2 port.",
]


def _analysed(settings: Settings):
    docs = [Document(id=f"d{i}", path=f"d{i}.txt", text=t) for i, t in enumerate(SENTENCES)]
    a = analyse_documents(docs, settings)
    texts = [docs[d].text[s:e] for d, s, e in zip(a.table.doc.tolist(), a.table.start.tolist(), a.table.end.tolist())]
    assert len(texts) == len(SENTENCES)  # one sentence unit per document, no quotes
    return a.table.sigs, texts


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 5)])
def test_analyse_documents_words64_mode(num_perm, seed):
    sigs, texts = _analysed(Settings(num_perm=num_perm, seed=seed))
    for sig, text in zip(sigs, texts):
        assert np.array_equal(sig, datasketch_sig(word_shingles(tokens(text), 3), num_perm, seed, shingle_hash32))


def test_analyse_documents_sha1_mode_equals_datasketch_defaults():
    sigs, texts = _analysed(Settings(hash="sha1"))
    for sig, text in zip(sigs, texts):
        m = MinHash()  # num_perm=128, seed=1, hashfunc=sha1_hash32
        m.update_batch([s.encode("utf-8") for s in word_shingles(tokens(text), 3)])
        assert np.array_equal(sig, m.hashvalues)
    # and the modes differ (so the test above is not vacuous)
    sigs64, _ = _analysed(Settings())
    assert not np.array_equal(sigs, sigs64)


def test_sha1_hash32_is_datasketch_default():
    from datasketch.hashfunc import sha1_hash32 as ds_sha1

    for s in (b"", b"a b c", "caf\u00e9 u.s 9-10".encode()):
        assert sha1_hash32(s) == ds_sha1(s)


def test_analyse_documents_char_mode():
    sigs, texts = _analysed(Settings(shingle="char", ngram=5))
    for sig, text in zip(sigs, texts):
        sh = char_shingles(" ".join(tokens(text)), 5)
        assert np.array_equal(sig, datasketch_sig(sh, 128, 1, char_hash32))
