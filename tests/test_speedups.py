"""The compiled speed-ups (dedupe.kernels._speedups) against their pure-Python twins.

Every compiled function must give exactly what the Python code gives: word
hashes, token counts, shingle sets and set keys, element frequencies,
containment candidates, intersection sizes and MinHash signatures, and in the
end the same scan output, on the seeds and on a slice of Reuters.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, SEEDS
from helpers import load_documents

from dedupe import Settings, scan
from dedupe import kernels as native
from dedupe.output.json_format import render_json
from dedupe.sketch.containment import containment_candidates, element_frequencies
from dedupe.sketch.shingles import WordHasher, batch_word_shingles, word_hash64
from dedupe.sketch.signatures import signatures
from dedupe.sketch.verify import verify_pairs
from dedupe.text.normalize import TOKEN_RE

fast = native.speedups

ALPHABET = "ab Z9_.-'\u00e9\u00df\u0663\u2167\u00bd \u4e2d\u6587 \U0001d400x\n\t,\"\u00a0\u0130"


@pytest.fixture
def pure(monkeypatch):
    """Run the code under test without the compiled module."""
    monkeypatch.setattr(native, "speedups", None)


def _random_text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(n))


def test_the_module_is_built():
    # CI has a C compiler; a silent fallback there would hide a broken build
    # and cost the speed the benchmarks promise.
    assert fast is not None, "dedupe.kernels._speedups was not built (needs a C compiler at install time)"
    assert native.describe() == "compiled"


def test_the_engine_imports_without_it():
    code = (
        "import os; os.environ['DEDUPE_PURE_PYTHON'] = '1'\n"
        "from dedupe import kernels as native, scan, Settings\n"
        "assert native.speedups is None\n"
        "r = scan(['seeds/000_f6852705ebf30c58.txt'])\n"
        "assert any(c.kind == 'repeated-quote' for c in r.clusters)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_word_hash64():
    rng = random.Random(1)
    words = ["", "a", "de-escalation", "u.s", "caf\u00e9", "\u65e5\u672c\u8a9e", "x" * 200, "\U0001d400b"]
    words += [_random_text(rng, rng.randint(1, 70)) for _ in range(500)]
    for w in words:
        assert fast.word_hash64(w) == word_hash64(w), repr(w)


def test_count_tokens_matches_the_regex():
    rng = random.Random(2)
    for _ in range(2000):
        text = _random_text(rng, rng.randint(0, 60))
        s = rng.randint(0, len(text))
        e = rng.randint(s, len(text))
        assert fast.count_tokens(text, s, e) == len(TOKEN_RE.findall(text, s, e)), (text, s, e)
    text = "U.S.-Russia talks on Jan. 9-10 don't stop -- x_y 'quoted' a.b. end-"
    assert fast.count_tokens(text, 0, len(text)) == len(TOKEN_RE.findall(text))
    assert fast.count_tokens(text, 5, 10_000) == len(TOKEN_RE.findall(text, 5))


def _pure_shingles(texts, starts, ends, n):
    from dedupe.sketch.sets import distinct_sorted, set_keys

    toks = [TOKEN_RE.findall(t, s, e) for t, s, e in zip(texts, starts, ends)]
    fp, off = batch_word_shingles(toks, n, WordHasher())
    fps, uoff = distinct_sorted(fp, off)
    return fps, uoff, set_keys(fps, uoff)


@pytest.mark.parametrize("n", [1, 3, 5])
def test_shingle_units(n):
    rng = random.Random(3 + n)
    words = ["the", "u.s", "caf\u00e9", "talks", "de-escalation", "\u4e2d\u6587", "9-10", "x", "the"]
    texts, starts, ends = [], [], []
    for _ in range(400):
        t = " ".join(rng.choice(words) for _ in range(rng.randint(1, 25)))
        if rng.random() < 0.3:
            t = _random_text(rng, 5) + " " + t  # non-ASCII text, offsets inside it
        s = rng.randint(0, 3)
        texts.append(t)
        starts.append(s)
        ends.append(len(t))
    # every unit needs a token (as extract_units guarantees)
    keep = [i for i in range(len(texts)) if TOKEN_RE.findall(texts[i], starts[i], ends[i])]
    texts = [texts[i] for i in keep]
    starts = np.array([starts[i] for i in keep], dtype=np.int64)
    ends = np.array([ends[i] for i in keep], dtype=np.int64)
    raw = fast.shingle_units(texts, starts, ends, n)
    got = [np.frombuffer(r, dtype=d) for r, d in zip(raw, (np.uint64, np.int64, np.uint64))]
    want = _pure_shingles(texts, starts, ends, n)
    for g, w in zip(got, want):
        assert np.array_equal(g, w)


def _random_sets(seed, n_sets=300, universe=400):
    rng = np.random.default_rng(seed)
    vocab = rng.integers(0, 2**64, universe, dtype=np.uint64)
    parts = []
    for _ in range(n_sets):
        size = int(rng.integers(1, 30))
        parts.append(np.unique(rng.choice(vocab, size=size, replace=False)))
    off = np.zeros(n_sets + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=off[1:])
    return np.concatenate(parts), off


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_element_frequencies_and_containment(seed, monkeypatch):
    fps, off = _random_sets(seed)
    got_freq = element_frequencies(fps)
    got = {(t, mp): containment_candidates(fps, off, t, max_posting=mp) for t in (0.5, 0.8, 1.0) for mp in (3, 256)}
    monkeypatch.setattr(native, "speedups", None)
    assert np.array_equal(got_freq, element_frequencies(fps))
    for (t, mp), pairs in got.items():
        want = containment_candidates(fps, off, t, max_posting=mp)
        assert np.array_equal(pairs, want), (t, mp)
    assert len(got[(0.5, 256)]) > 20


def test_verify_pairs_and_unsorted_sets(monkeypatch):
    fps, off = _random_sets(4, universe=120)
    rng = np.random.default_rng(5)
    # shuffle within sets: the compiled version must not rely on order
    for i in range(len(off) - 1):
        rng.shuffle(fps[off[i] : off[i + 1]])
    pairs = np.unique(np.sort(rng.integers(0, len(off) - 1, size=(3000, 2)), axis=1), axis=0)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    got = verify_pairs(pairs, fps, off, 0.1, 0.4, 3)
    monkeypatch.setattr(native, "speedups", None)
    want = verify_pairs(pairs, fps, off, 0.1, 0.4, 3)
    assert len(want) > 50
    assert got == want


def test_minhash_signatures(monkeypatch):
    rng = np.random.default_rng(6)
    h = rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32)
    off = np.unique(np.concatenate(([0, 20000], rng.integers(1, 20000, 900))))
    got = signatures(h, off, 128, 1)
    monkeypatch.setattr(native, "speedups", None)
    assert np.array_equal(got, signatures(h, off, 128, 1))


def _json(result) -> dict:
    d = json.loads(render_json(result))
    d["summary"].pop("seconds", None)
    return d


def test_same_scan_on_the_seeds(monkeypatch):
    paths = sorted(str(p) for p in SEEDS.rglob("*") if p.suffix in (".txt", ".md", ".html", ".docx", ".jsonl"))
    got = _json(scan(paths))
    monkeypatch.setattr(native, "speedups", None)
    assert got == _json(scan(paths))
    assert got["clusters"]


@pytest.mark.parametrize("settings", [Settings(), Settings(exclude_quotes=True, ngram=2, min_words=4)],
                         ids=["default", "variant"])
def test_same_scan_on_reuters(reuters_path, settings, monkeypatch):
    docs = load_documents(reuters_path, 2500)
    got = _json(scan(documents=docs, settings=settings))
    monkeypatch.setattr(native, "speedups", None)
    want = _json(scan(documents=docs, settings=settings))
    assert got == want
    assert len(want["clusters"]) > 100


def _wire_text(rng: random.Random) -> str:
    """Plain copy with the shapes paragraph_spans tells apart: hard-wrapped
    lines, indented paragraph starts, short closing lines, blank lines,
    headings, odd white space."""
    lines = []
    for _ in range(rng.randint(0, 25)):
        kind = rng.random()
        if kind < 0.15:
            lines.append(rng.choice(["", "   ", "\t", "\u00a0"]))
            continue
        width = rng.randint(5, 95)
        words = []
        while sum(len(w) + 1 for w in words) < width:
            words.append(rng.choice(["the", "U.S.", "talks", "said", "Jan.", "9-10", "\u201cquote\u201d", "x"]))
        line = " ".join(words) + rng.choice(["", "", ".", ",", ":", "\u2019", "\u2026", ")", " "])
        if rng.random() < 0.2:
            line = rng.choice(["  ", "\t", "   "]) + line
        lines.append(line)
    return rng.choice(["\n", "\n", "\r\n"]).join(lines) + rng.choice(["", "\n", "\n\n"])


def test_paragraph_spans(monkeypatch):
    from dedupe.text.split import _is_hard_wrapped, paragraph_spans

    rng = random.Random(7)
    texts = [_wire_text(rng) for _ in range(3000)]
    assert sum(_is_hard_wrapped(t.split("\n"))[0] for t in texts) > 100  # both kinds are exercised
    got = [paragraph_spans(t) for t in texts]
    monkeypatch.setattr(native, "speedups", None)
    assert got == [paragraph_spans(t) for t in texts]


def test_csr_take(monkeypatch):
    from dedupe.sketch.sets import csr_take

    fps, off = _random_sets(8)
    rows = np.array([5, 0, 299, 5, 17], dtype=np.int64)
    got = csr_take(fps, off, rows)
    monkeypatch.setattr(native, "speedups", None)
    want = csr_take(fps, off, rows)
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    with pytest.raises(IndexError):
        fast.csr_take(fps, off, np.array([300], dtype=np.int64))


@pytest.mark.parametrize("max_bucket", [2, 5, 64])
def test_band_pairs(max_bucket, monkeypatch):
    from dedupe.sketch.lsh import candidate_pairs

    rng = np.random.default_rng(9)
    base = rng.integers(0, 2**32, size=(40, 32), dtype=np.uint64).astype(np.uint32)
    sigs = base[rng.integers(0, 40, 600)].copy()  # many equal rows: big buckets
    noise = rng.random(sigs.shape) < 0.3
    sigs[noise] = rng.integers(0, 2**32, size=int(noise.sum()), dtype=np.uint64).astype(np.uint32)
    got = candidate_pairs(sigs, 8, 4, max_bucket)
    monkeypatch.setattr(native, "speedups", None)
    want = candidate_pairs(sigs, 8, 4, max_bucket)
    assert len(want) > 100
    assert np.array_equal(got, want)


def test_normalized_key(monkeypatch):
    from dedupe.text.normalize import normalized_key

    rng = random.Random(11)
    texts = [_random_text(rng, rng.randint(0, 80)) for _ in range(2000)]
    texts += ["\u201cPresident Biden reiterated\u2014that U.S.-Russia talks on Jan. 9-10\u2026\u201d", "", "  ", "\u0130stanbul"]
    got = [normalized_key(t) for t in texts]
    monkeypatch.setattr(native, "speedups", None)
    assert got == [normalized_key(t) for t in texts]


def test_sort_and_merge_keyed(monkeypatch):
    from dedupe.index.base import merge_keyed, sort_keyed

    rng = np.random.default_rng(12)
    keys = rng.integers(0, 50, 5000, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)  # many equal keys
    rows = rng.permutation(5000).astype(np.uint32)
    got = sort_keyed(keys, rows)
    runs = [sort_keyed(keys[a:b], rows[a:b]) for a, b in ((0, 1000), (1000, 1001), (1001, 1001), (1001, 5000))]
    merged = merge_keyed(runs)
    monkeypatch.setattr(native, "speedups", None)
    want = sort_keyed(keys, rows)
    for g, w, m in zip(got, want, merged):
        assert np.array_equal(g, w) and np.array_equal(m, w)
    assert all(np.array_equal(a, b) for a, b in zip(merge_keyed(runs), want))
    order = np.lexsort((want[1], want[0]))
    assert np.array_equal(order, np.arange(5000))  # sorted by key, then row


def test_allocator_tuning_applies_on_linux():
    # the dedupe command keeps freed memory for reuse (fewer page faults);
    # on glibc Linux (CI) the three mallopt settings must be accepted
    out = subprocess.run([sys.executable, "-c", "from dedupe import kernels as native; print(native.tune_allocator())"],
                         capture_output=True, text=True, check=True, cwd=REPO).stdout.strip()
    assert out == ("True" if sys.platform.startswith("linux") else "False")


def test_split_words_is_str_split():
    """Every kind of white space str.split() knows (no-break, ideographic, U+001C...), wide characters,
    repeated words: the same words, in order, as ids of distinct words."""
    rng = random.Random(9)
    alphabet = ALPHABET + "\u3000\u2028\x1c\x85\u200b\u180e"
    texts = [_random_text(rng, rng.randint(0, 60)) for _ in range(400)] + ["", "   ", "a a a", "a\u00a0a"]
    counts, ids, first = fast.split_words(texts)
    counts = np.frombuffer(counts, dtype=np.int64)
    ids = np.frombuffer(ids, dtype=np.int64)
    first = np.frombuffer(first, dtype=np.int64).reshape(-1, 3)
    distinct = [texts[t][a:b] for t, a, b in first.tolist()]
    assert len(set(distinct)) == len(distinct)
    words = [w for t in texts for w in t.split()]
    assert counts.tolist() == [len(t.split()) for t in texts]
    assert [distinct[i] for i in ids.tolist()] == words
    assert all(c in alphabet or not c.isspace() for t in texts for c in t)


def test_pool_rows_sums_and_scales():
    rng = np.random.default_rng(3)
    table = rng.standard_normal((50, 7)).astype(np.float32)
    table[-1] = 0
    counts = np.array([3, 0, 1, 5, 2], dtype=np.int64)
    rows = rng.integers(0, 49, int(counts.sum())).astype(np.int64)
    rows[-2:] = 49  # a segment of zero rows stays zero after scaling
    got = np.frombuffer(fast.pool_rows(table, 7, rows, counts, False), dtype=np.float32).reshape(-1, 7)
    off = np.concatenate([[0], np.cumsum(counts)])
    want = np.array([table[rows[off[k]:off[k + 1]]].sum(axis=0) for k in range(len(counts))])
    assert np.allclose(got, want, atol=1e-5)
    unit = np.frombuffer(fast.pool_rows(table, 7, rows, counts, True), dtype=np.float32).reshape(-1, 7)
    norms = np.linalg.norm(want, axis=1)
    assert np.allclose(unit[norms > 0], want[norms > 0] / norms[norms > 0, None], atol=1e-5)
    assert not unit[norms == 0].any()
    with pytest.raises(IndexError):
        fast.pool_rows(table, 7, np.array([50], dtype=np.int64), np.array([1], dtype=np.int64), False)
    with pytest.raises(ValueError):
        fast.pool_rows(table, 7, rows, counts[:-1], False)


def test_sentence_embedding_same_without_the_kernels(monkeypatch):
    from dedupe.semantic.model import Embedder, embedder

    model = embedder().model
    texts = ["Some 100,000 Russian troops are massed near the border.", "",
             "Russia has amassed\u00a0about 100,000 soldiers close to Ukraine's frontier.",
             "S\u00e3o Paulo shares rose 2.5 pct", "troops troops troops"]
    got = Embedder(model).embed(texts)
    monkeypatch.setattr(native, "speedups", None)
    want = Embedder(model).embed(texts)
    assert np.allclose(got, want, atol=1e-5)


def _difflib_blocks(a, b):
    from difflib import SequenceMatcher

    return [tuple(m) for m in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks() if m.size]


def test_matching_blocks_is_difflib():
    from dedupe.text.align import matching_blocks

    rng = random.Random(12)
    cases = [([], []), (["a"], []), ([], ["a"]), (["a", "b"], ["a", "b"]), (["x"] * 30, ["x"] * 7)]
    for _ in range(6000):
        vocab = [str(v) for v in range(rng.choice([2, 3, 6, 40]))]
        a = [rng.choice(vocab) for _ in range(rng.randint(0, 35))]
        if rng.random() < 0.5:  # a copy with some words changed, inserted or dropped: the real case
            b = [w for w in a if rng.random() > 0.1]
            for _ in range(rng.randint(0, 3)):
                b.insert(rng.randint(0, len(b)), rng.choice(vocab))
        else:
            b = [rng.choice(vocab) for _ in range(rng.randint(0, 35))]
        cases.append((a, b))
    # long copies: the dynamic programme's rows are reused across many recursive calls
    for _ in range(30):
        a = [str(rng.randrange(25)) for _ in range(rng.randint(200, 600))]
        cases.append((a, [w if rng.random() < 0.9 else str(rng.randrange(25)) for w in a]))
    words = "Some 500 residents fled the town on Monday , the mayor said".lower().split()
    cases.append((words, [w if w != "500" else "1001" for w in words]))
    cases.append((tuple(words), tuple(reversed(words))))
    for a, b in cases:
        assert fast.matching_blocks(a, b) == _difflib_blocks(a, b), (a, b)
        assert matching_blocks(a, b) == _difflib_blocks(a, b)
    with pytest.raises(TypeError):
        fast.matching_blocks([["unhashable"]], [["unhashable"]])


def test_token_spans(monkeypatch):
    from dedupe.text.normalize import token_spans

    rng = random.Random(13)
    texts = [_random_text(rng, rng.randint(0, 80)) for _ in range(3000)]
    texts += ["\u201cPresident Biden reiterated\u2014that U.S.-Russia talks on Jan. 9-10 don\u2019t\u2026\u201d",
              "", "\u0130stanbul \u00c9TAT", "ABC def GHI"]
    got = [token_spans(t) for t in texts]
    monkeypatch.setattr(native, "speedups", None)
    assert got == [token_spans(t) for t in texts]
    assert got[-1] == [(0, 3, "abc"), (4, 7, "def"), (8, 11, "ghi")]


@pytest.mark.parametrize("seed", [14, 15])
def test_short_candidates(seed, monkeypatch):
    from dedupe.sketch.containment import short_candidates

    fps, off = _random_sets(seed, n_sets=600, universe=150)
    freq = element_frequencies(fps)
    args = [(fps, off, size, posting, slack, f) for size in (8, 30) for posting in (3, 64) for slack in (0, 6)
            for f in (None, freq)]
    got = [short_candidates(*a) for a in args]
    monkeypatch.setattr(native, "speedups", None)
    for a, (pairs, shared) in zip(args, got):
        want_pairs, want_shared = short_candidates(*a)
        assert np.array_equal(pairs.reshape(-1, 2), want_pairs.reshape(-1, 2)), a[2:5]
        assert np.array_equal(shared, want_shared)
    assert max(len(p) for p, _ in got) > 100


def test_every_kernel_is_listed_and_a_stale_build_is_not_used():
    import re

    source = (REPO / "dedupe" / "kernels" / "_speedups.c").read_text("utf-8")
    assert sorted(native.KERNELS) == sorted(set(re.findall(r'^\s*\{"(\w+)", ', source, re.M)))
    # a module built from an older source (a kernel missing) is said in one line and not used
    code = (
        "import sys, types\n"
        "stale = types.ModuleType('dedupe.kernels._speedups')\n"
        "sys.modules['dedupe.kernels._speedups'] = stale\n"
        "from dedupe import kernels\n"
        "assert kernels.speedups is None, kernels.speedups\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "compiled kernels out of date (no count_tokens" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_verify_words(monkeypatch):
    from dedupe.sketch.verify import verify_words

    rng = random.Random(16)
    vocab = ["the", "mayor", "said", "500", "1001", "residents", "fled", "on", "monday", "tuesday", "not", "a"]
    base = [[rng.choice(vocab) for _ in range(rng.randint(0, 22))] for _ in range(80)]
    forms = []
    for b in base:  # each sentence and copies with a word or three changed, inserted or dropped
        forms.append(b)
        for _ in range(3):
            c = list(b)
            for _ in range(rng.randint(0, 3)):
                op = rng.random()
                if op < 0.4 and c:
                    c[rng.randrange(len(c))] = rng.choice(vocab)
                elif op < 0.7:
                    c.insert(rng.randint(0, len(c)), rng.choice(vocab))
                elif c:
                    c.pop(rng.randrange(len(c)))
            forms.append(c)
    n = len(forms)
    pairs = np.array([(i, j) for i in range(n) for j in range(i + 1, min(n, i + 9))], dtype=np.int64)
    shared = np.array([rng.randint(0, 9) for _ in range(len(pairs))], dtype=np.int64)
    sizes = np.array([max(len(f) - 2, 0) for f in forms], dtype=np.int64)
    got = {t: verify_words(pairs, shared, sizes, lambda i: forms[i], t) for t in (0.5, 0.7, 0.9)}
    monkeypatch.setattr(native, "speedups", None)
    for t, links in got.items():
        assert links == verify_words(pairs, shared, sizes, lambda i: forms[i], t), t
    assert len(got[0.7]) > 100 and len(got[0.7]) < len(pairs)


# -- the JSON encoded in two processes ------------------------------------------------------------


def _seed_result():
    paths = sorted(str(p) for p in SEEDS.rglob("*") if p.suffix in (".txt", ".md", ".html", ".docx", ".jsonl"))
    r = scan(paths)
    assert len(r.clusters) >= 2
    return r


def _no_child_left() -> bool:
    import os

    try:
        os.waitpid(-1, os.WNOHANG)
        return False
    except ChildProcessError:
        return True


def _count_forks(monkeypatch) -> list[int]:
    import os

    from dedupe.engine import forked

    monkeypatch.setattr(forked, "core_free", lambda: True)  # as on an idle machine
    forks: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return forks


def test_json_encoded_by_a_child_is_the_same_text(monkeypatch):
    from dedupe.output import json_format as jf

    r = _seed_result()
    monkeypatch.setattr(jf, "FORK_MIN_CLUSTERS", 10**9)
    here = render_json(r)
    assert here == json.dumps(r.to_dict(), ensure_ascii=False) + "\n"
    forks = _count_forks(monkeypatch)
    monkeypatch.setattr(jf, "FORK_MIN_CLUSTERS", 2)
    assert render_json(r) == here
    assert len(forks) == 1  # the second part was encoded by a child
    assert _no_child_left()


def test_json_child_that_fails_is_replaced_here(monkeypatch):
    import os

    from dedupe.findings import Cluster
    from dedupe.output import json_format as jf

    r = _seed_result()
    monkeypatch.setattr(jf, "FORK_MIN_CLUSTERS", 10**9)
    here = render_json(r)
    parent = os.getpid()
    real = Cluster.to_dict

    def to_dict(self):  # breaks in the child only
        if os.getpid() != parent:
            raise RuntimeError("child broken")
        return real(self)

    monkeypatch.setattr(Cluster, "to_dict", to_dict)
    forks = _count_forks(monkeypatch)
    monkeypatch.setattr(jf, "FORK_MIN_CLUSTERS", 2)
    assert render_json(r) == here
    assert len(forks) == 1
    assert _no_child_left()


def test_json_child_of_an_abandoned_stream_is_reaped(monkeypatch):
    from dedupe.output import json_format as jf

    r = _seed_result()
    forks = _count_forks(monkeypatch)
    monkeypatch.setattr(jf, "FORK_MIN_CLUSTERS", 2)
    parts = jf._parts(r)
    next(parts)
    assert len(forks) == 1
    parts.close()  # the writer failed: the child is stopped and waited for
    assert _no_child_left()


def test_json_not_forked_beside_another_thread_or_in_a_large_process(monkeypatch):
    import threading

    from dedupe.engine import forked
    from dedupe.output import json_format as jf

    r = _seed_result()
    monkeypatch.setattr(jf, "FORK_MIN_CLUSTERS", 2)
    forks = _count_forks(monkeypatch)
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        whole = render_json(r)
    finally:
        stop.set()
        t.join()
    assert forks == []  # a fork would copy only this thread: a lock the other holds would stay held
    monkeypatch.setattr(forked, "MAX_RSS", 1)
    assert render_json(r) == whole and forks == []


@pytest.mark.parametrize("order", ["sorted", "unsorted"])
def test_short_candidates_on_near_copies(order, monkeypatch):
    """Short sets with a value or two changed (what the word-level path is for), sorted (the compiled
    prefix filter) and not (the compiled counting pass): the pairs and counts the Python code gives."""
    from dedupe.sketch.containment import short_candidates

    rng = np.random.default_rng(21)
    vocab = rng.integers(0, 2**64, 3000, dtype=np.uint64)
    parts = []
    for _ in range(250):
        base = rng.choice(vocab, size=int(rng.integers(2, 26)), replace=False)
        for _ in range(int(rng.integers(1, 5))):
            copy = base.copy()
            for _ in range(int(rng.integers(0, 3))):
                copy[int(rng.integers(len(copy)))] = vocab[int(rng.integers(len(vocab)))]
            copy = np.unique(copy)
            parts.append(copy if order == "sorted" else copy[::-1].copy())
    off = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=off[1:])
    fps = np.concatenate(parts)
    freq = element_frequencies(fps)
    args = [(fps, off, size, posting, slack, freq) for size in (8, 23) for posting in (2, 64) for slack in (0, 6)]
    got = [short_candidates(*a) for a in args]
    monkeypatch.setattr(native, "speedups", None)
    for a, (pairs, shared) in zip(args, got):
        want_pairs, want_shared = short_candidates(*a)
        assert np.array_equal(pairs.reshape(-1, 2), want_pairs.reshape(-1, 2)), a[2:5]
        assert np.array_equal(shared, want_shared)
    assert max(len(p) for p, _ in got) > 200
