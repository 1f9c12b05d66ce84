"""Analyse documents: units (sentences, quotes) with offsets, their shingle sets and signatures.

This is the per-document half of the pipeline, the part that runs in worker
processes (:mod:`dedupe.engine.parallel`): it needs nothing but the
documents and the settings, and returns a :class:`~dedupe.engine.corpus.Corpus`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dedupe import kernels
from dedupe.config import Settings
from dedupe.documents import Document
from dedupe.engine.corpus import Corpus, DocCounts, UnitTable
from dedupe.sketch.sets import distinct_sorted, set_keys
from dedupe.sketch.shingles import WordHasher, batch_char_shingles, batch_word_shingles, char_shingles, sha1_hash32, word_shingles
from dedupe.sketch.signatures import signatures
from dedupe.text.split import NewsPunkt, PunktModel
from dedupe.text.units import SENTENCE, DocumentUnits, extract_units

_HASHER = WordHasher()
_TOKENIZERS: dict[PunktModel | None, NewsPunkt] = {}


def _tokenizer(model: PunktModel | None) -> NewsPunkt:
    """One tokenizer per model and process, so its decision cache is reused."""
    tok = _TOKENIZERS.get(model)
    if tok is None:
        tok = _TOKENIZERS[model] = NewsPunkt(model)
    return tok


def analyse_documents(
    docs: Sequence[Document],
    settings: Settings,
    model: PunktModel | None = None,
    with_signatures: bool = True,
) -> Corpus:
    """Units, shingles and signatures of ``docs`` (the parallelisable half).

    With ``with_signatures=False`` (and ``hash="words64"``) the signatures
    are left out (an empty ``(n, 0)`` array): a scan computes them later, in
    one pass, only for the units that can match anything at all.
    """
    tokenizer = _tokenizer(model)
    counts: list[DocCounts] = []
    kinds: list[int] = []
    starts: list[int] = []
    ends: list[int] = []
    docix: list[int] = []
    units: list[DocumentUnits] = []
    srcs: list[str] = []
    src_starts: list[int] = []
    src_ends: list[int] = []
    for i, doc in enumerate(docs):
        du = extract_units(doc, settings, tokenizer)
        counts.append(DocCounts(du.sentences, len(du.kinds), du.suppressed, du.kinds.count(SENTENCE),
                                du.boilerplate))
        kinds.extend(du.kinds)
        starts.extend(du.starts)
        ends.extend(du.ends)
        docix.extend([i] * len(du.kinds))
        src, src_s, src_e = du.sources()
        srcs.extend(src)
        src_starts.extend(src_s)
        src_ends.extend(src_e)
        units.append(du)
    n = len(kinds)
    if n == 0:
        return Corpus(list(docs), counts, UnitTable.empty(settings.num_perm))
    fast = kernels.compiled()
    token_lists: list[list[str]] | None = None

    def all_tokens() -> list[list[str]]:
        out: list[list[str]] = []
        for du in units:
            out.extend(du.tokens if du.tokens else (du.unit_tokens(k) for k in range(len(du.kinds))))
        return out

    if settings.shingle == "word" and fast is not None:
        raw_fp, raw_off, raw_key = fast.shingle_units(srcs, np.array(src_starts, dtype=np.int64),
                                                      np.array(src_ends, dtype=np.int64), settings.ngram)
        fps = np.frombuffer(raw_fp, dtype=np.uint64)
        uoff = np.frombuffer(raw_off, dtype=np.int64)
        setkey = np.frombuffer(raw_key, dtype=np.uint64)
    else:
        token_lists = all_tokens()
        if settings.shingle == "word":
            fp, off = batch_word_shingles(token_lists, settings.ngram, _HASHER)
        else:
            fp, off = batch_char_shingles([" ".join(t) for t in token_lists], settings.ngram)
        fps, uoff = distinct_sorted(fp, off)
        setkey = set_keys(fps, uoff)
    if settings.hash == "sha1":
        if token_lists is None:
            token_lists = all_tokens()
        h32: list[int] = []
        hoff = [0]
        for toks in token_lists:
            if settings.shingle == "word":
                sh = word_shingles(toks, settings.ngram)
            else:
                sh = char_shingles(" ".join(toks), settings.ngram)
            h32.extend(sha1_hash32(s.encode("utf-8")) for s in sh)
            hoff.append(len(h32))
        sigs = signatures(np.array(h32, dtype=np.uint32), np.array(hoff, dtype=np.int64), settings.num_perm, settings.seed)
    elif with_signatures:
        sigs = signatures((fps >> np.uint64(32)).astype(np.uint32), uoff, settings.num_perm, settings.seed)
    else:
        sigs = np.zeros((n, 0), dtype=np.uint32)
    table = UnitTable(
        doc=np.array(docix, dtype=np.int64),
        kind=np.array(kinds, dtype=np.int8),
        start=np.array(starts, dtype=np.int64),
        end=np.array(ends, dtype=np.int64),
        offsets=uoff,
        fps=fps,
        sigs=sigs,
        setkey=setkey,
    )
    return Corpus(list(docs), counts, table)
