"""The settings an archive index is built with: what it records, and which queries and adds it accepts."""

from __future__ import annotations

import dataclasses
from typing import Any

from dedupe.config import SETTING_KEYS, Settings
from dedupe.errors import ArchiveIndexError
from dedupe.sketch.signatures import SCHEME

#: Settings that decide what an index holds (``index`` in the settings table's ``stored``); a query must agree.
INDEX_KEYS = (*Settings().signature_settings(),
              *(k.name for k in SETTING_KEYS.values() if "index" in k.stored and "signature" not in k.stored))



def index_settings(settings: Settings) -> dict[str, Any]:
    """The settings an index is built with (recorded in the index)."""
    bands, rows = settings.band_plan()
    return {**settings.signature_settings(), **settings.record("index"), "bands": bands, "rows": rows,
            "scheme": SCHEME}


def settings_from_index(stored: dict[str, Any], base: Settings | None = None) -> Settings:
    """``base`` (defaults) with the index's recorded settings applied."""
    base = base or Settings()
    upd: dict[str, Any] = {}
    for key in SETTING_KEYS.values():
        if "index" not in key.stored or key.name in ("bands", "rows"):  # the banding follows the threshold
            continue
        if key.type in ("strs", "kinds"):
            upd[key.name] = tuple(stored.get(key.name, ()))
        elif key.name in stored:
            upd[key.name] = stored[key.name]
    return dataclasses.replace(base, **upd)


def _fmt(v: Any) -> str:
    return ",".join(v) if isinstance(v, (list, tuple)) else str(v)


def check_query_settings(stored: dict[str, Any], settings: Settings, location: str) -> None:
    """Refuse a query whose settings the index cannot answer."""
    want = index_settings(settings)
    for k in settings.signature_settings():
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
