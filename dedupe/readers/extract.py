"""Main-content extraction for full published pages, mapped back to the source.

A site's article page carries navigation, related-story lists, video teasers,
share widgets and footers around the article.  Which blocks are the article
is decided by `trafilatura <https://trafilatura.readthedocs.io>`_ (the best
main-content extractor in published benchmarks, actively maintained, built
on lxml); its output, though, is plain text with no positions.  So the HTML
reader keeps its own offset-mapped blocks and :func:`kept_blocks` aligns the
extractor's text to them: a block is kept when its words occur, in document
order, in the extracted text.  Every kept character is then still the source
character at its offset, which a fresh extraction could not promise.

The alignment is a heaviest increasing chain: each block that occurs in the
extracted text is a candidate at each place it occurs (a headline repeated in
a teaser list matches the article's own copy too), and the chain of
candidates, increasing in both block order and extracted position and not
overlapping, with the most words wins.  Short blocks (under
:data:`SHORT_WORDS` words: "Share", "Photo: AP", a byline) only count where
they continue the previous kept block directly, so that a stray word of the
chrome cannot match somewhere in the article by chance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["MAX_CANDIDATES", "SHORT_WORDS", "extract_main_text", "extraction_missing", "kept_blocks"]

#: Blocks with fewer words than this must directly follow a kept block.
SHORT_WORDS = 4
#: Above this many (block, place) candidates the chain is built greedily.
MAX_CANDIDATES = 1500
_MAX_PLACES = 8  # places one block may occur at


_import_failure: list[str] = []  # why trafilatura does not import, once known ("" when it does)


def extraction_missing(consequence: str = "this site page is read whole", quick: bool = False) -> str | None:
    """None when the extractor imports; else the warning for a full site page read without it.

    The import is tried once per process.  The message names the package
    that failed and the install that fixes it (a pip before 23.3 skips
    ``lxml_html_clean``, which trafilatura's ``justext`` needs, unless it is
    declared directly).  ``quick``: when both packages are installed, answer None without importing
    (a front end's early warning; the page reader still imports)."""
    if quick and not _import_failure:
        import importlib.util

        if all(importlib.util.find_spec(m) is not None for m in ("trafilatura", "lxml_html_clean")):
            return None
    if not _import_failure:
        try:
            import trafilatura  # noqa: F401 - lazy: heavy, and only full site pages need it
        except Exception as exc:  # noqa: BLE001 - ImportError, or a broken install raising anything
            _import_failure.append(f"{type(exc).__name__}: {exc}")
        else:
            _import_failure.append("")
    why = _import_failure[0]
    if not why:
        return None
    from dedupe.capabilities import install_hint

    return (f"main-content extraction is off, trafilatura does not import ({why}): {consequence}, "
            f"navigation and teasers included; fix: {install_hint(('trafilatura', 'lxml_html_clean'))}")


def extract_main_text(src: str) -> str | None:
    """The main text of a page as trafilatura extracts it (None: nothing found,
    the extractor failed on this page, or it is missing: :func:`extraction_missing`)."""
    if extraction_missing() is not None:
        return None
    import trafilatura
    try:
        text = trafilatura.extract(
            src, include_comments=False, include_tables=True, include_images=False,
            include_links=False, deduplicate=False, with_metadata=False,
        )
    except Exception:  # noqa: BLE001 - a third-party failure must not lose the file
        return None
    return text or None


@dataclass
class _Candidate:
    block: int
    start: int
    end: int
    weight: int
    short: bool


def _normal(text: str) -> str:
    return " ".join(text.replace("\u00ad", "").replace("\u200b", "").split())


def kept_blocks(blocks: Sequence[str], extracted: str) -> set[int]:
    """Indices of ``blocks`` (the reader's paragraphs, in document order)
    that make up ``extracted`` (the extractor's text), see the module doc."""
    hay = " " + _normal(extracted) + " "
    candidates: list[_Candidate] = []
    for k, block in enumerate(blocks):
        words = _normal(block)
        if not words:
            continue
        needle = " " + words + " "
        n_words = words.count(" ") + 1
        pos = hay.find(needle)
        places = 0
        while pos != -1 and places < _MAX_PLACES:
            # positions count from the space before the block's first word
            candidates.append(_Candidate(k, pos, pos + len(needle) - 1, n_words, n_words < SHORT_WORDS))
            places += 1
            pos = hay.find(needle, pos + 1)
    if not candidates:
        return set()
    if len(candidates) > MAX_CANDIDATES:
        return _greedy(candidates)
    best = [0] * len(candidates)
    back = [-1] * len(candidates)
    for j, c in enumerate(candidates):
        best[j] = 0 if c.short else c.weight
        for i in range(j):
            p = candidates[i]
            if p.block >= c.block or p.end > c.start or best[i] == 0:
                continue
            if c.short and c.start - p.end > 3:
                continue  # a short block only where it continues the text
            if best[i] + c.weight > best[j]:
                best[j] = best[i] + c.weight
                back[j] = i
    j = max(range(len(candidates)), key=lambda i: best[i])
    kept: set[int] = set()
    while j != -1 and best[j] > 0:
        kept.add(candidates[j].block)
        j = back[j]
    return kept


def _greedy(candidates: list[_Candidate]) -> set[int]:
    """First place at or after the previous kept block, block by block."""
    kept: set[int] = set()
    cursor = 0
    for c in candidates:
        if c.block in kept or c.start < cursor:
            continue
        if c.short and c.start - cursor > 3:
            continue
        kept.add(c.block)
        cursor = c.end
    return kept
