"""Settings and configuration files.

:class:`Settings` holds every knob of the detection engine.  Values come, in
increasing priority, from the defaults, from ``[tool.dedupe]`` in
``pyproject.toml`` or from a ``.dedupe.toml`` (top-level keys, or a
``[tool.dedupe]`` table) found in the current directory or its parents, and
from command-line flags.  Keys may be written with dashes or underscores.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from dedupe.errors import ConfigError
from dedupe.kinds import DEFAULT_KINDS, KINDS, RULES, resolve

__all__ = ["KINDS", "RULES", "Settings", "Config", "load_config", "with_overrides"]

#: Units matching one of these (from their start, case-insensitive) are never flagged.
DEFAULT_BOILERPLATE = (
    r"(additional )?reporting by\b",
    r"(writing|editing|edited|compiled|produced|translated) by\b",
    r"reuters?\b\W*$",
    r"\(?(c|©)\)? ?(copyright|\d{4})",
    r"copyright\b",
    r"all rights reserved",
    r"(click|tap) here\b",
    r"(sign up|subscribe) (for|to)\b",
    r"follow (us|@)",
    r"this (story|article) (has been|was) (corrected|updated|refiled)",
    r"(our standards|for more on)\b",
    r"(?-i:[A-Z][A-Z'\-]+(?: [A-Z][A-Z'\-]+)*)(, [A-Z][a-z]{2,}\.? \d{1,2})?( \((reuters|ap|afp)\))? ?[-–—:]\s*$",
)

#: The other keys front ends read from the same files, with their schema:
#: ``(type, detail)`` where type is ``str`` (detail: choices or None), ``strs``
#: (a string or a list of strings), ``table`` (a table of string values).
#: Anything else is refused by name.
OTHER_SCHEMA: dict[str, tuple[str, Any]] = {
    "include": ("strs", None),
    "exclude": ("strs", None),
    "id_field": ("str", None),
    "text_field": ("str", None),
    "title_field": ("str", None),
    "rules": ("table", None),
    "baseline": ("str", None),
    "index": ("str", None),
    "fail_on": ("level", None),
    "format": ("str", None),  # a check format: checked against dedupe.output.registry by the front end
    "against": ("strs", None),
}
OTHER_KEYS = set(OTHER_SCHEMA)
_WANT = {"fail_on": "a level or a list of kinds", "baseline": "a file path", "index": "an index location"}


@dataclass(frozen=True)
class Settings:
    """Detection settings.

    Attributes:
        threshold: Jaccard similarity of shingle sets at or above which two
            units are reported.
        containment: share of the smaller unit's shingles found in the other
            at or above which they are reported even if their Jaccard is lower
            (a sentence repeated inside a longer one); 0 switches it off.
        min_words: units with fewer words are never flagged.
        shingle: ``word`` (word n-grams) or ``char`` (character n-grams).
        ngram: n of the n-grams.
        num_perm, seed: MinHash settings (as ``datasketch.MinHash``).
        hash: ``words64`` (SHA-1 per word, combined; fast) or ``sha1``
            (datasketch's default ``sha1_hash32`` of each shingle; slower).
        bands, rows: LSH banding; 0 means chosen for ``recall`` at the
            lowest threshold.
        recall: target probability that LSH proposes a pair at the threshold.
        kinds: finding kinds to report (default: all but ``restatement``).
        restate_across: look for restatements across the articles of a run
            too, not only inside each article.
        quotes: extract quotations as units of their own.
        exclude_quotes: ignore quoted words altogether (no quote units, and
            quoted words do not count in sentence comparison).
        boilerplate: extra regular expressions for units never flagged.
        jobs: worker processes for splitting and hashing (0: automatic).
    """

    threshold: float = 0.7
    containment: float = 0.8
    min_words: int = 8
    shingle: str = "word"
    ngram: int = 3
    num_perm: int = 128
    seed: int = 1
    hash: str = "words64"
    bands: int = 0
    rows: int = 0
    recall: float = 0.99
    kinds: tuple[str, ...] = DEFAULT_KINDS
    quotes: bool = True
    exclude_quotes: bool = False
    restate_across: bool = False
    boilerplate: tuple[str, ...] = ()
    jobs: int = 0
    max_bucket: int = 64
    max_posting: int = 256

    def validate(self, source: str | None = None) -> Settings:
        def bad(msg: str) -> ConfigError:
            return ConfigError(msg, source)

        if not 0.0 < self.threshold <= 1.0:
            raise bad(f"threshold must be in (0, 1], got {self.threshold}")
        if not 0.0 <= self.containment <= 1.0:
            raise bad(f"containment must be in [0, 1], got {self.containment}")
        if self.min_words < 1:
            raise bad(f"min-words must be at least 1, got {self.min_words}")
        if self.shingle not in ("word", "char"):
            raise bad(f"shingle must be 'word' or 'char', got {self.shingle!r}")
        if not 1 <= self.ngram <= 32:
            raise bad(f"ngram must be between 1 and 32, got {self.ngram}")
        if not 16 <= self.num_perm <= 1024:
            raise bad(f"num-perm must be between 16 and 1024, got {self.num_perm}")
        if self.hash not in ("words64", "sha1"):
            raise bad(f"hash must be 'words64' or 'sha1', got {self.hash!r}")
        if self.bands < 0 or self.rows < 0 or self.bands * self.rows > self.num_perm:
            raise bad(f"bands x rows must fit in num-perm ({self.num_perm})")
        if (self.bands == 0) != (self.rows == 0):
            raise bad("set both bands and rows, or neither")
        if not 0.5 <= self.recall < 1.0:
            raise bad(f"recall must be in [0.5, 1), got {self.recall}")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise bad(f"unknown kind {unknown[0]!r} (kinds: {', '.join(KINDS)})")
        for pat in self.boilerplate:
            try:
                re.compile(pat)
            except re.error as exc:
                raise bad(f"boilerplate pattern {pat!r} is not a valid regular expression: {exc}") from None
        if self.jobs < 0:
            raise bad(f"jobs must be 0 (automatic) or more, got {self.jobs}")
        return self

    def band_plan(self) -> tuple[int, int]:
        """The LSH ``(bands, rows)`` in use."""
        if self.bands:
            return self.bands, self.rows
        from dedupe.sketch.lsh import choose_bands

        return choose_bands(self.num_perm, self.threshold, self.recall)

    def signature_settings(self) -> dict[str, Any]:
        """What must match between an index and a query."""
        return {
            "shingle": self.shingle,
            "ngram": self.ngram,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "hash": self.hash,
            "scheme": "affine32",
        }


@dataclass
class Config:
    """Settings plus the other keys found in a configuration file."""

    settings: Settings = field(default_factory=Settings)
    extra: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key.replace("-", "_"), default)


_SETTING_NAMES = {f.name for f in fields(Settings)}


def _norm_key(key: str) -> str:
    return key.replace("-", "_")


def _describe(value: Any) -> str:
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."


def _coerce(name: str, value: Any, source: str) -> Any:
    """A setting's value checked against its declared type (range: :meth:`Settings.validate`)."""
    ftype = {f.name: f.type for f in fields(Settings)}[name]
    key = name.replace("_", "-")
    want = ftype  # as before: "expected float", "expected int", ...
    ok = True
    if ftype == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
        if ok and math.isnan(value):
            ok = False
    elif ftype == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif ftype == "bool":
        ok = isinstance(value, bool)
    elif ftype == "str":
        ok = isinstance(value, str)
    elif ftype.startswith("tuple"):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        value = tuple(value) if ok else value
    if not ok:
        raise ConfigError(f"{key}: expected {want}, got {_describe(value)}", source)
    return value


def _check_other(key: str, value: Any, source: str) -> Any:
    kind, detail = OTHER_SCHEMA[key]
    name = key.replace("_", "-")
    if key in _WANT and not (isinstance(value, str) and value.strip()) and not (
            kind in ("strs", "level") and isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{name}: expected {_WANT[key]}, got {_describe(value)}", source)
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{name}: expected a non-empty string, got {_describe(value)}", source)
        if detail is not None and value not in detail:
            raise ConfigError(f"{name}: expected one of {', '.join(detail)}, got {_describe(value)}", source)
        return value
    if kind == "strs":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise ConfigError(f"{name}: expected a string or a list of non-empty strings, got {_describe(value)}",
                              source)
        return list(value)
    if kind == "level":  # a level, or a list of kinds / rule ids (checked by check.rules.Policy)
        if not (isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))):
            raise ConfigError(f"{name}: expected a level or a list of kinds, got {_describe(value)}", source)
        return value
    if kind == "table":
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a table, got {_describe(value)}", source)
        for k, v in value.items():
            if not isinstance(v, str):
                raise ConfigError(f"{name}.{k}: expected a string, got {_describe(v)}", source)
        return dict(value)
    return value  # pragma: no cover


def settings_from_mapping(data: dict[str, Any], base: Settings | None = None, source: str = "config") -> tuple[Settings, dict]:
    """Split a mapping into Settings updates and the other known keys, each
    checked against its schema (type, then range); unknown keys are refused."""
    updates: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        k = _norm_key(str(key))
        if k in _SETTING_NAMES:
            updates[k] = _coerce(k, value, source)
            if k == "kinds":  # rule ids and short labels name kinds too
                updates[k] = tuple(resolved.name if (resolved := resolve(str(v))) else v for v in updates[k])
        elif k in OTHER_KEYS:
            extra[k] = _check_other(k, value, source)
        else:
            known = ", ".join(sorted(n.replace("_", "-") for n in (*_SETTING_NAMES, *OTHER_KEYS)))
            raise ConfigError(f"unknown setting {key!r} (known: {known})", source)
    settings = replace(base or Settings(), **updates)
    return settings.validate(source), extra


_TOML_AT_RE = re.compile(r"^(.*?)\s*\(at line (\d+), column (\d+)\)\s*$", re.DOTALL)
_TOML_EOF_RE = re.compile(r"^(.*?)\s*\(at end of document\)\s*$", re.DOTALL)


def _toml_error(exc: tomllib.TOMLDecodeError, text: str) -> str:
    """'line 3, column 8: invalid TOML: Cannot overwrite a value' from tomllib's message."""
    msg = str(exc)
    m = _TOML_AT_RE.match(msg)
    if m:
        return f"invalid TOML at line {m.group(2)}, column {m.group(3)}: {m.group(1)}"
    m = _TOML_EOF_RE.match(msg)
    if m:
        return f"invalid TOML at line {text.count(chr(10)) + 1} (end of file): {m.group(1)}"
    return f"invalid TOML: {msg}"


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """Parse a TOML file; any problem is a :class:`ConfigError` naming file, line and problem."""
    src = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError("no such file", src) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a configuration file", src) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", src) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"line {line}: not UTF-8 text", src) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_error(exc, text), src) from None
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deeply", src) from None


def find_config(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest ``.dedupe.toml``, or ``pyproject.toml`` with ``[tool.dedupe]``.

    A ``pyproject.toml`` met on the way that is not valid TOML is an error
    (:class:`ConfigError` naming file and line): it may hold the settings.
    """
    here = Path(start or os.getcwd()).resolve()
    for d in (here, *here.parents):
        cand = d / ".dedupe.toml"
        if cand.is_file():
            return cand
        py = d / "pyproject.toml"
        if py.is_file():
            data = read_toml(py)
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "dedupe" in tool:
                return py
        if (d / ".git").exists():
            break
    return None


def load_config(path: str | os.PathLike | None = None, search_from: str | None = None) -> Config:
    """Load a configuration file (or the nearest one when ``path`` is None)."""
    p = Path(path) if path else find_config(search_from)
    if p is None:
        return Config()
    src = str(p)
    data = read_toml(p)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError("[tool] must be a table", src)
    table = tool.get("dedupe")
    if table is None:
        table = {} if p.name == "pyproject.toml" else {k: v for k, v in data.items() if k != "tool"}
    if not isinstance(table, dict):
        raise ConfigError("[tool.dedupe] must be a table", src)
    settings, extra = settings_from_mapping(table, source=src)
    return Config(settings=settings, extra=extra, path=src)


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """``settings`` with the non-None ``overrides`` applied and validated."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return dataclasses.replace(settings, **clean).validate("command line")
