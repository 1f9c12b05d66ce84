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
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable

from dedupe.atomic import write_atomic
from dedupe.errors import BaselineError

DEFAULT_PATH = ".dedupe-baseline.json"
VERSION = 1
TEXT_LIMIT = 200
STATUSES = ("new", "accepted", "suppressed", "grown")


@dataclass
class BaselineApplied:
    """Clusters split by baseline status."""

    new: list = field(default_factory=list)  # not covered (new or grown): these fail
    accepted: list = field(default_factory=list)
    suppressed: list = field(default_factory=list)
    grown: list = field(default_factory=list)  # also in ``new``

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new) - len(self.grown),
            "grown": len(self.grown),
            "accepted": len(self.accepted),
            "suppressed": len(self.suppressed),
        }


def _paths(cluster) -> list[str]:
    seen: dict[str, None] = {}
    for m in cluster.members:
        seen.setdefault(m.doc if m.archive else m.path, None)
    return list(seen)


def _text(cluster) -> str:
    t = " ".join(cluster.members[0].text.split()) if cluster.members else ""
    return t[:TEXT_LIMIT]


class Baseline:
    """Accepted and suppressed findings, loaded from and saved to ``path``."""

    def __init__(self, path: str = DEFAULT_PATH, accepted: dict | None = None, suppressions: dict | None = None,
                 settings: dict | None = None, extra: dict | None = None, exists: bool = False) -> None:
        self.path = os.fspath(path)
        self.accepted: dict[str, dict[str, Any]] = accepted or {}
        self.suppressions: dict[str, dict[str, Any]] = suppressions or {}
        self.settings: dict[str, Any] = settings or {}
        self.extra: dict[str, Any] = extra or {}
        self.exists = exists

    # -- loading ---------------------------------------------------------------
    @classmethod
    def load(cls, path: str = DEFAULT_PATH) -> "Baseline":
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
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise BaselineError("not a baseline file (not UTF-8 text)", path) from None
        except json.JSONDecodeError as exc:
            raise BaselineError(f"corrupt baseline: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
                                path) from None
        if not isinstance(data, dict):
            raise BaselineError("corrupt baseline: expected a JSON object", path)
        version = data.get("version")
        if version != VERSION:
            raise BaselineError(
                f"unsupported baseline version {version!r} (this dedupe reads version {VERSION})", path
            )
        accepted = data.get("accepted", {})
        suppressions = data.get("suppressions", {})
        for name, section in (("accepted", accepted), ("suppressions", suppressions)):
            if not isinstance(section, dict):
                raise BaselineError(f"corrupt baseline: {name!r} must be an object", path)
            for fp, entry in section.items():
                if not isinstance(entry, dict):
                    raise BaselineError(f"corrupt baseline: {name}[{fp!r}] must be an object", path)
        for fp, entry in accepted.items():
            count = entry.get("count", 0)
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                raise BaselineError(f"corrupt baseline: accepted[{fp!r}].count must be a whole number", path)
        settings = data.get("settings", {})
        if not isinstance(settings, dict):
            raise BaselineError("corrupt baseline: 'settings' must be an object", path)
        extra = {k: v for k, v in data.items() if k not in ("version", "tool", "settings", "accepted", "suppressions")}
        return cls(path, dict(accepted), dict(suppressions), dict(settings), extra, exists=True)

    # -- queries ------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.accepted) + len(self.suppressions)

    def status(self, cluster) -> str:
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

    def apply(self, clusters: Iterable) -> BaselineApplied:
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
    def _entry(cluster, **more) -> dict[str, Any]:
        return {"rule": cluster.rule, "kind": cluster.kind, "paths": _paths(cluster), "text": _text(cluster), **more}

    def accept(self, cluster) -> None:
        """Accept ``cluster`` with its current number of copies (undoes a suppression)."""
        self.suppressions.pop(cluster.fingerprint, None)
        old = self.accepted.get(cluster.fingerprint, {})
        entry = {k: v for k, v in old.items() if k not in ("rule", "kind", "paths", "text", "count")}
        entry.update(self._entry(cluster, count=len(cluster.members)))
        self.accepted[cluster.fingerprint] = entry

    def suppress(self, cluster, reason: str = "") -> None:
        """Suppress ``cluster`` whatever its number of copies, with a reason."""
        self.accepted.pop(cluster.fingerprint, None)
        created = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
        self.suppressions[cluster.fingerprint] = self._entry(cluster, reason=reason, created=created)

    def forget(self, fingerprint: str) -> None:
        """Undo ``accept`` or ``suppress``."""
        self.accepted.pop(fingerprint, None)
        self.suppressions.pop(fingerprint, None)

    def update(self, clusters: Iterable, settings: dict[str, Any] | None = None) -> dict[str, int]:
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
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"

    def save(self) -> None:
        """Write the file atomically (sorted keys, indented)."""
        try:
            write_atomic(self.path, self.dumps())
        except OSError as exc:
            raise BaselineError(f"cannot write: {exc.strerror or exc}", self.path) from None
        self.exists = True
