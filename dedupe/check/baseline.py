"""Baselines: findings a newsroom has accepted or suppressed, by fingerprint.

``dedupe check`` fails only on findings that are not in the baseline, so a
repository with known, intended repeats can turn the check on today and be
judged on what it adds.  ``dedupe check --update-baseline`` and the review UI
write the file; both use this module.

File format (``.dedupe-baseline.json`` by default; ``version`` 1)::

    {
      "version": 1,
      "tool": "dedupe",
      "settings": {"shingle": "word", "ngram": 3, ...},   # informational
      "accepted": {
        "<fingerprint>": {"rule": "DD101", "kind": "repeated-sentence",
                          "count": 2, "paths": ["drafts/a.md"],
                          "text": "first 200 characters of a copy"}
      },
      "suppressions": {
        "<fingerprint>": {"rule": "DD201", "kind": "cross-article",
                          "reason": "shared background paragraph",
                          "paths": ["drafts/a.md", "drafts/b.md"],
                          "text": "...", "created": "2026-07-01T12:00:00Z"}
      }
    }

* The key is ``Cluster.fingerprint``: rule id + the documents involved + a
  hash of the canonical normalised text.  It has no line numbers, so moving
  a paragraph does not change it; editing the repeated text or repeating it
  in another article does.
* ``accepted`` entries carry ``count``, the number of copies accepted.  A
  cluster with more members than that is *grown* and fails again: a third
  copy of an accepted duplicate is a new problem.
* ``--update-baseline`` rewrites ``accepted`` from the current findings
  (stale fingerprints are pruned) and keeps ``suppressions`` untouched;
  suppressions are only added or removed on purpose (review UI, by hand).
* Keys are sorted and the JSON is indented, so the file diffs well in
  review; it is written atomically.
* Unknown top-level keys and unknown keys inside entries are preserved when
  the file is rewritten, so newer writers can add fields.
* The known fields are validated against :data:`ENTRY_SCHEMA` on load (type,
  and range or choices); a file that fails, or hostile JSON (nesting too deep,
  numbers too long), is a :class:`BaselineError` naming the file and the field,
  and the file is never rewritten.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dedupe.atomic import write_atomic
from dedupe.config import KINDS, RULES, Settings
from dedupe.errors import BaselineError
from dedupe.findings import Cluster

DEFAULT_PATH = ".dedupe-baseline.json"
MAX_COUNT = 10**9
MAX_BYTES = 256 * 1024 * 1024
#: field -> (JSON type, constraint); "rules" and "kinds" are the known rule ids / kinds.
ENTRY_SCHEMA: dict[str, dict[str, tuple[str, Any]]] = {
    "accepted": {
        "rule": ("str", "rules"), "kind": ("str", "kinds"), "count": ("int", (0, MAX_COUNT)),
        "paths": ("strs", None), "text": ("str", None),
    },
    "suppressions": {
        "rule": ("str", "rules"), "kind": ("str", "kinds"), "reason": ("str", None),
        "paths": ("strs", None), "text": ("str", None), "created": ("str", None),
    },
}
TOP_SCHEMA: dict[str, str] = {"version": "int", "tool": "str", "settings": "object", "accepted": "object",
                              "suppressions": "object"}
VERSION = 1
TEXT_LIMIT = 200
STATUSES = ("new", "accepted", "suppressed", "grown")


@dataclass
class BaselineApplied:
    """Clusters split by baseline status."""

    new: list[Cluster] = field(default_factory=list)  # not covered (new or grown): these fail
    accepted: list[Cluster] = field(default_factory=list)
    suppressed: list[Cluster] = field(default_factory=list)
    grown: list[Cluster] = field(default_factory=list)  # also in ``new``

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new) - len(self.grown),
            "grown": len(self.grown),
            "accepted": len(self.accepted),
            "suppressed": len(self.suppressed),
        }


def _paths(cluster: Cluster) -> list[str]:
    seen: dict[str, None] = {}
    for m in cluster.members:
        seen.setdefault(m.doc if m.archive else m.path, None)
    return list(seen)


def _text(cluster: Cluster) -> str:
    t = " ".join(cluster.members[0].text.split()) if cluster.members else ""
    return t[:TEXT_LIMIT]


_JSON_TYPE = {"int": "a whole number", "str": "a string", "object": "an object", "strs": "a list of strings"}


def _type_ok(value: Any, kind: str) -> bool:
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "object":
        return isinstance(value, dict)
    if kind == "strs":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False  # pragma: no cover


def _show(value: Any) -> str:
    r = json.dumps(value, ensure_ascii=False)[:40] if not isinstance(value, (dict, list)) else type(value).__name__
    return "a list" if r == "list" else ("an object" if r == "dict" else r)


class _DuplicateKey(ValueError):
    """A JSON object names a key twice (json.loads would silently keep the last)."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k)
        out[k] = v
    return out


def validate_data(data: Any, path: str) -> None:
    """Check a parsed baseline against :data:`TOP_SCHEMA` and :data:`ENTRY_SCHEMA`."""
    def bad(where: str, msg: str) -> BaselineError:
        return BaselineError(f"corrupt baseline: {where}: {msg}", path)

    if not isinstance(data, dict):
        raise BaselineError("corrupt baseline: expected a JSON object", path)
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):
        raise BaselineError(f"unsupported baseline version {_show(version)} (this dedupe reads version {VERSION})",
                            path)
    for key, kind in TOP_SCHEMA.items():
        if key in data and not _type_ok(data[key], kind):
            raise bad(key, f"expected {_JSON_TYPE[kind]}, got {_show(data[key])}")
    choices = {"rules": set(RULES.values()), "kinds": set(KINDS)}
    for section, schema in ENTRY_SCHEMA.items():
        for fp, entry in data.get(section, {}).items():
            where = f"{section}[{fp[:40]!r}]"
            if not isinstance(entry, dict):
                raise bad(where, f"expected an object, got {_show(entry)}")
            for field_name, (kind, detail) in schema.items():
                if field_name not in entry:
                    continue
                v = entry[field_name]
                if not _type_ok(v, kind):
                    raise bad(f"{where}.{field_name}", f"expected {_JSON_TYPE[kind]}, got {_show(v)}")
                if isinstance(detail, tuple) and not detail[0] <= v <= detail[1]:
                    raise bad(f"{where}.{field_name}", f"must be between {detail[0]} and {detail[1]}, got {_show(v)}")
                if isinstance(detail, str) and v not in choices[detail]:
                    raise bad(f"{where}.{field_name}", f"unknown {detail[:-1]} {_show(v)}")
            if "rule" not in entry:  # an empty {} would suppress whatever has this fingerprint, unexplained
                raise bad(where, "an entry needs at least its \"rule\"")


class Baseline:
    """Accepted and suppressed findings, loaded from and saved to ``path``."""

    def __init__(self, path: str = DEFAULT_PATH, accepted: dict[str, Any] | None = None,
                 suppressions: dict[str, Any] | None = None, settings: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None, exists: bool = False) -> None:
        self.path = os.fspath(path)
        self.accepted: dict[str, dict[str, Any]] = accepted or {}
        self.suppressions: dict[str, dict[str, Any]] = suppressions or {}
        self.settings: dict[str, Any] = settings or {}
        self.extra: dict[str, Any] = extra or {}
        self.exists = exists

    # -- loading ---------------------------------------------------------------
    @classmethod
    def load(cls, path: str = DEFAULT_PATH) -> Baseline:
        """Read ``path``; a missing file is an empty baseline."""
        path = os.fspath(path)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
        except FileNotFoundError:
            return cls(path)
        except IsADirectoryError:
            raise BaselineError("is a directory, not a baseline file", path) from None
        except OSError as exc:
            raise BaselineError(f"cannot read: {exc.strerror or exc}", path) from None
        if len(raw) > MAX_BYTES:
            raise BaselineError(f"corrupt baseline: larger than {MAX_BYTES // (1024 * 1024)} MiB", path)
        try:
            data = json.loads(raw.decode("utf-8-sig"), object_pairs_hook=_unique_keys)
        except UnicodeDecodeError:
            raise BaselineError("not a baseline file (not UTF-8 text)", path) from None
        except json.JSONDecodeError as exc:
            raise BaselineError(f"corrupt baseline: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                                path) from None
        except RecursionError:
            raise BaselineError("corrupt baseline: JSON nested too deeply", path) from None
        except _DuplicateKey as exc:
            raise BaselineError(f"corrupt baseline: the key {str(exc)[:60]!r} is given twice (which one counts?)",
                                path) from None
        except ValueError as exc:  # e.g. an integer of thousands of digits
            raise BaselineError(f"corrupt baseline: {' '.join(str(exc).split())[:120]}", path) from None
        validate_data(data, path)
        accepted = data.get("accepted", {})
        suppressions = data.get("suppressions", {})
        settings = data.get("settings", {})
        extra = {k: v for k, v in data.items() if k not in ("version", "tool", "settings", "accepted", "suppressions")}
        return cls(path, dict(accepted), dict(suppressions), dict(settings), extra, exists=True)

    # -- queries ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.accepted) + len(self.suppressions)

    def status(self, cluster: Cluster) -> str:
        """``new``, ``accepted``, ``suppressed`` or ``grown`` (accepted, but more copies now)."""
        fp = cluster.fingerprint
        if fp in self.suppressions:
            return "suppressed"
        entry = self.accepted.get(fp)
        if entry is None:
            return "new"
        if len(cluster.members) > int(entry.get("count", 0)):
            return "grown"
        return "accepted"

    def accepted_count(self, fingerprint: str) -> int | None:
        entry = self.accepted.get(fingerprint)
        return int(entry.get("count", 0)) if entry is not None else None

    def reason(self, fingerprint: str) -> str:
        entry = self.suppressions.get(fingerprint)
        return str(entry.get("reason", "")) if entry is not None else ""

    def apply(self, clusters: Iterable[Cluster]) -> BaselineApplied:
        out = BaselineApplied()
        for c in clusters:
            s = self.status(c)
            if s == "accepted":
                out.accepted.append(c)
            elif s == "suppressed":
                out.suppressed.append(c)
            else:
                out.new.append(c)
                if s == "grown":
                    out.grown.append(c)
        return out

    # -- changes ------------------------------------------------------------------
    @staticmethod
    def _entry(cluster: Cluster, **more: Any) -> dict[str, Any]:
        return {"rule": cluster.rule, "kind": cluster.kind, "paths": _paths(cluster), "text": _text(cluster), **more}

    def accept(self, cluster: Cluster) -> None:
        """Accept ``cluster`` with its current number of copies (undoes a suppression)."""
        self.suppressions.pop(cluster.fingerprint, None)
        old = self.accepted.get(cluster.fingerprint, {})
        entry = {k: v for k, v in old.items() if k not in ("rule", "kind", "paths", "text", "count")}
        entry.update(self._entry(cluster, count=len(cluster.members)))
        self.accepted[cluster.fingerprint] = entry

    def suppress(self, cluster: Cluster, reason: str = "") -> None:
        """Suppress ``cluster`` whatever its number of copies, with a reason."""
        self.accepted.pop(cluster.fingerprint, None)
        created = datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self.suppressions[cluster.fingerprint] = self._entry(cluster, reason=reason, created=created)

    def forget(self, fingerprint: str) -> None:
        """Undo ``accept`` or ``suppress``."""
        self.accepted.pop(fingerprint, None)
        self.suppressions.pop(fingerprint, None)

    def update(self, clusters: Iterable[Cluster], settings: dict[str, Any] | None = None) -> dict[str, int]:
        """Make ``accepted`` exactly the current findings not suppressed.

        Stale fingerprints are pruned; suppressions are kept.  Returns counts
        ``added``, ``updated``, ``kept``, ``pruned``, ``accepted``.
        """
        clusters = list(clusters)
        new: dict[str, dict[str, Any]] = {}
        added = updated = kept = 0
        for c in clusters:
            fp = c.fingerprint
            if fp in self.suppressions:
                continue
            old = self.accepted.get(fp)
            entry = {k: v for k, v in (old or {}).items() if k not in ("rule", "kind", "paths", "text", "count")}
            entry.update(self._entry(c, count=len(c.members)))
            if fp in new:  # two clusters with one fingerprint: accept the larger count
                new[fp]["count"] = max(new[fp]["count"], entry["count"])
                continue
            new[fp] = entry
            if old is None:
                added += 1
            elif old.get("count") != entry["count"]:
                updated += 1
            else:
                kept += 1
        pruned = sum(1 for fp in self.accepted if fp not in new)
        self.accepted = new
        if settings is not None:
            self.settings = dict(settings)
        return {"added": added, "updated": updated, "kept": kept, "pruned": pruned, "accepted": len(new),
                "suppressions": len(self.suppressions)}

    # -- saving -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "version": VERSION,
            "tool": "dedupe",
            "settings": self.settings,
            "accepted": self.accepted,
            "suppressions": self.suppressions,
        }

    def dumps(self) -> str:
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        return re.sub(r"[\ud800-\udfff]", "\ufffd", text)  # lone surrogates cannot be written as UTF-8

    def save(self) -> None:
        """Write the file atomically (sorted keys, indented)."""
        try:
            write_atomic(self.path, self.dumps())
        except OSError as exc:
            raise BaselineError(f"cannot write: {exc.strerror or exc}", self.path) from None
        self.exists = True


def settings_record(settings: Settings) -> dict[str, Any]:
    """The settings a baseline records (what its fingerprints were made with), as ``check --update-baseline``
    and the review UI write them."""
    return {**settings.signature_settings(), **settings.record("baseline")}  # which: the settings table (config.py)
