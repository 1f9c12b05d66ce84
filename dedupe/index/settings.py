"""The settings an archive index is built with: what it records, and which queries and adds it accepts."""

from __future__ import annotations

import dataclasses
from typing import Any

from dedupe.config import Settings
from dedupe.errors import ArchiveIndexError
from dedupe.sketch.signatures import SCHEME

#: Settings that decide what an index holds; a query must agree on them.
INDEX_KEYS = ("shingle", "ngram", "num_perm", "seed", "hash", "scheme", "bands", "rows", "threshold",
              "min_words", "quotes", "exclude_quotes", "boilerplate")



def index_settings(settings: Settings) -> dict[str, Any]:
    """The settings an index is built with (recorded in the index)."""
    d = dict(settings.signature_settings())
    bands, rows = settings.band_plan()
    d.update(bands=bands, rows=rows, threshold=settings.threshold, min_words=settings.min_words,
             quotes=settings.quotes, exclude_quotes=settings.exclude_quotes,
             boilerplate=list(settings.boilerplate), scheme=SCHEME)
    return d


def settings_from_index(stored: dict[str, Any], base: Settings | None = None) -> Settings:
    """``base`` (defaults) with the index's recorded settings applied."""
    base = base or Settings()
    upd: dict[str, Any] = {k: stored[k] for k in ("shingle", "ngram", "num_perm", "seed", "hash", "threshold", "min_words",
                                  "quotes", "exclude_quotes") if k in stored}
    upd["boilerplate"] = tuple(stored.get("boilerplate", ()))
    # keep the index's banding only if it differs from what the threshold would choose
    return dataclasses.replace(base, **upd)


def _fmt(v: Any) -> str:
    return ",".join(v) if isinstance(v, (list, tuple)) else str(v)


def check_query_settings(stored: dict[str, Any], settings: Settings, location: str) -> None:
    """Refuse a query whose settings the index cannot answer."""
    want = index_settings(settings)
    for k in ("shingle", "ngram", "num_perm", "seed", "hash", "scheme"):
        if stored.get(k) != want.get(k):
            raise ArchiveIndexError(
                f"index built with {k.replace('_', '-')}={_fmt(stored.get(k))}, query uses {_fmt(want.get(k))}; "
                "rebuild the index (dedupe index rebuild) or use matching settings", location)
    if settings.threshold < stored["threshold"] - 1e-9:
        raise ArchiveIndexError(
            f"index built for threshold {stored['threshold']}, query asks {settings.threshold} "
            "(the index would miss pairs); rebuild the index with the lower threshold or raise it", location)
    if settings.min_words < stored["min_words"]:
        raise ArchiveIndexError(
            f"index built with min-words={stored['min_words']}, query uses {settings.min_words} "
            "(shorter archived sentences are not indexed); rebuild the index or use matching settings", location)


def check_add_settings(stored: dict[str, Any], settings: Settings, location: str) -> None:
    """Refuse to add with settings that differ from the index's."""
    want = index_settings(settings)
    for k in INDEX_KEYS:
        if k in ("threshold",):
            continue
        if stored.get(k) != want.get(k):
            raise ArchiveIndexError(
                f"index built with {k.replace('_', '-')}={_fmt(stored.get(k))}, this command uses "
                f"{_fmt(want.get(k))}; rebuild the index with the new settings (dedupe index rebuild) "
                "or use matching settings", location)
