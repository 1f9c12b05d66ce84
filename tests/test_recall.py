"""Recall against brute force on real copy: every sentence pair with exact
word-3-shingle Jaccard >= 0.8 must end up in one reported cluster.

Brute force: dedupe's own sentence units (8+ words, boilerplate excluded, no
quote units), an inverted index on shingles to enumerate every pair sharing at
least one shingle (exact: a pair sharing none has Jaccard 0), the shared count
per pair, and the exact Jaccard from the set sizes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from helpers import load_documents

from dedupe import Settings, scan
from dedupe.sketch.shingles import word_shingles
from dedupe.sketch.verify import MAX_CHANGED_WORDS, SHORT_WORDS
from dedupe.text.align import word_similarity
from dedupe.text.normalize import normalized_key, tokens
from dedupe.text.split import NewsPunkt
from dedupe.text.units import extract_units

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from common import brute_force_pairs  # noqa: E402  (the same ground truth as bench/recall.py)

STORIES = 3000


def sentence_units(docs, settings):
    tok = NewsPunkt()
    only_sentences = Settings(min_words=settings.min_words, quotes=False)
    units = []  # (doc id, start, end, shingle set, key)
    for d in docs:
        du = extract_units(d, only_sentences, tok)
        for k, (s, e) in enumerate(zip(du.starts, du.ends)):
            toks = du.unit_tokens(k)
            units.append((d.id, s, e, frozenset(word_shingles(toks, settings.ngram)), " ".join(toks)))
    return units


def test_brute_force_is_exact():
    sets = [frozenset("abc"), frozenset("abd"), frozenset("xyz"), frozenset("abcd")]
    i, j, jac = brute_force_pairs(sets)
    got = {(int(a), int(b)): float(c) for a, b, c in zip(i, j, jac)}
    for a in range(4):
        for b in range(a + 1, 4):
            inter = len(sets[a] & sets[b])
            if inter:
                assert got[(a, b)] == pytest.approx(inter / len(sets[a] | sets[b]))
            else:
                assert (a, b) not in got


@pytest.fixture(scope="module")
def corpus(reuters_path):
    docs = load_documents(reuters_path, STORIES)
    assert len(docs) == STORIES
    units = sentence_units(docs, Settings())
    i, j, jac = brute_force_pairs([u[3] for u in units])
    return docs, units, i, j, jac


@pytest.mark.parametrize(
    "settings",
    [Settings(), Settings(containment=0)],  # default; LSH alone (no containment candidates)
    ids=["default", "lsh-only"],
)
def test_recall_on_reuters(corpus, settings):
    docs, units, i, j, jac = corpus
    result = scan(documents=docs, settings=settings)

    clusters_of: dict[tuple[str, int], set[str]] = {}
    clusters_of_key: dict[str, set[str]] = {}
    for c in result.clusters:
        for m in c.members:
            clusters_of.setdefault((m.doc, m.start), set()).add(c.id)
            clusters_of_key.setdefault(normalized_key(m.text), set()).add(c.id)

    def where(u):
        return clusters_of.get((u[0], u[1]), set()) | clusters_of_key.get(u[4], set())

    for level, minimum in ((0.8, 0.99), (0.7, 0.98)):
        true = [(int(a), int(b)) for a, b, x in zip(i, j, jac) if x >= level]
        assert len(true) > 300  # Reuters repeats a lot of formula copy
        missed = [(a, b) for a, b in true if not (where(units[a]) & where(units[b]))]
        recall = 1 - len(missed) / len(true)
        assert recall >= minimum, (level, recall, [(units[a][4], units[b][4]) for a, b in missed[:3]])

    # precision: every reported pair reaches a threshold on exact shingle sets, or (a short sentence
    # with a word or two changed) on the word alignment
    cthr = settings.containment or 2.0
    for c in result.clusters:
        for p in c.pairs:
            if p.link == "words":
                wa, wb = tokens(c.members[p.a].text), tokens(c.members[p.b].text)
                sim, changed = word_similarity(wa, wb)
                assert sim >= settings.threshold and changed <= MAX_CHANGED_WORDS and sim == pytest.approx(p.similarity)
                assert max(len(wa), len(wb)) <= SHORT_WORDS
                continue
            a = set(word_shingles(tokens(c.members[p.a].text), 3))
            b = set(word_shingles(tokens(c.members[p.b].text), 3))
            inter = len(a & b)
            assert inter / len(a | b) >= settings.threshold or inter / min(len(a), len(b)) >= cthr
