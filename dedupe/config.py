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

__all__ = ["KEYS", "KINDS", "RULES", "SETTING_KEYS", "FRONT_END_KEYS", "Key", "Settings", "Config", "load_config",
           "with_overrides"]

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

# -- the table of settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    """One key of the configuration: a :class:`Settings` field or a front-end key.

    Everything about a key is here: its type (``float``, ``int``, ``bool``,
    ``str``, ``strs`` a string or a list of strings, ``kinds``, ``table`` of
    strings, ``level`` a level or a list of kinds), default, range (``low`` /
    ``high``, open or closed) or ``choices``, ``help`` (the CLI flag's and the
    documentation's), the ``commands`` whose CLI has the flag (``engine``:
    scan, check, report, review; ``index``: index add and rebuild; ``read``:
    every command that reads files), the ``flag`` spelling when not
    ``--name`` and a ``short`` one, and ``stored``: the records that keep it
    (``signature``: what an index and a query must share; ``index``: the
    index's stored settings; ``baseline``: the baseline's).  The CLI flags,
    the configuration schema and its validation, and the stored settings are
    all generated from this table.
    """

    name: str
    type: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    commands: frozenset[str] = frozenset()
    flag: str | None = None
    short: str | None = None
    stored: frozenset[str] = frozenset()
    setting: bool = True  # a Settings field (False: a front-end key, kept in Config.extra)
    want: str | None = None  # what a wrong value is told it should be
    #: It widens what is read or written (links out of the tree): only a flag or a trusted configuration
    #: (``--config`` / ``DEDUPE_CONFIG``) may set it; the tree's own configuration is warned and ignored.
    trusted: bool = False

    @property
    def dashed(self) -> str:
        return self.name.replace("_", "-")

    def range_text(self) -> str:
        lo = "(" if self.low_open else "["
        hi = ")" if self.high_open else "]"
        return f"{lo}{_num(self.low)}, {_num(self.high)}{hi}"

    def check_range(self, value: Any, source: str) -> None:
        """A :class:`ConfigError` naming the key when ``value`` is out of range or not a choice."""
        if self.choices is not None and value not in self.choices:
            if self.type == "str":
                alts = " or ".join(repr(c) for c in self.choices)
                raise ConfigError(f"{self.dashed} must be {alts}, got {value!r}", source)
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{self.dashed} must be a finite number, got {value}", source)
        if self.low is None and self.high is None:
            return
        below = self.low is not None and (value <= self.low if self.low_open else value < self.low)
        above = self.high is not None and (value >= self.high if self.high_open else value > self.high)
        if below or above:
            if self.high is None:
                raise ConfigError(f"{self.dashed} must be at least {_num(self.low)}, got {value}", source)
            if self.type == "int":
                raise ConfigError(f"{self.dashed} must be between {_num(self.low)} and {_num(self.high)}, got {value}",
                                  source)
            raise ConfigError(f"{self.dashed} must be in {self.range_text()}, got {value}", source)


def _num(v: float | None) -> str:
    return "" if v is None else (str(int(v)) if float(v).is_integer() else str(v))


ENGINE, INDEX, READ = "engine", "index", "read"
_ENGINE = frozenset({ENGINE})
_BOTH = frozenset({ENGINE, INDEX})
_SIG = frozenset({"signature", "index", "baseline"})


def setting(default: Any, help: str, **spec: Any) -> Any:
    """A :class:`Settings` field and its :class:`Key` (name and type are the field's)."""
    return field(default=default, metadata={"key": spec, "help": help})


#: Sentences no boilerplate pattern may match (one that does would switch every finding off).
_ORDINARY_SENTENCES = ("", "The council met on Tuesday to discuss the budget for next year.",
                       "\u201cWe will appeal,\u201d the governor said.")


@dataclass(frozen=True)
class Settings:
    """Detection settings: every field carries its :class:`Key` (see :data:`KEYS`).

    ``bands``, ``rows``: LSH banding; 0 means chosen for ``recall`` at the
    lowest threshold.  ``kinds``: finding kinds to report (default: all but
    ``restatement``).  ``hash``: ``words64`` (SHA-1 per word, combined;
    fast) or ``sha1`` (datasketch's default ``sha1_hash32`` of each shingle).
    """

    threshold: float = setting(
        0.7, "Jaccard similarity to report (default 0.7); also the least containment for --containment matches, "
        "and the lowest threshold an index is built for (it sets the LSH bands).",
        low=0.0, high=1.0, low_open=True, commands=_BOTH, stored=frozenset({"index", "baseline"}))
    containment: float = setting(
        0.8, "Share of the shorter unit found in the longer to report (default 0.8; 0 = off).",
        low=0.0, high=1.0, commands=_ENGINE, stored=frozenset({"baseline"}))
    min_words: int = setting(
        8, "Ignore sentences and quotes shorter than this (default 8); an index does not hold shorter ones.",
        low=1, high=100_000, commands=_BOTH, stored=frozenset({"index", "baseline"}))
    shingle: str = setting("word", "Shingle words or characters.", choices=("word", "char"), commands=_BOTH,
                           stored=_SIG)
    ngram: int = setting(3, "Shingle size (default 3 words).", low=1, high=32, commands=_BOTH, stored=_SIG)
    num_perm: int = setting(128, "MinHash permutations (default 128).", low=16, high=1024, commands=_BOTH,
                            stored=_SIG)
    seed: int = setting(1, "MinHash seed (as datasketch.MinHash).", low=0, high=2**32 - 1, stored=_SIG)
    hash: str = setting("words64", "Shingle hash: words64 (fast) or sha1 (datasketch's sha1_hash32).",
                        choices=("words64", "sha1"), stored=_SIG)
    bands: int = setting(0, "LSH bands (0: chosen for recall at the threshold).", low=0, high=1024,
                         stored=frozenset({"index"}))
    rows: int = setting(0, "LSH rows per band (0: chosen for recall at the threshold).", low=0, high=1024,
                        stored=frozenset({"index"}))
    recall: float = setting(0.99, "Probability that LSH proposes a pair at the threshold.", low=0.5, high=1.0,
                            high_open=True)
    kinds: tuple[str, ...] = setting(
        DEFAULT_KINDS, f"Comma-separated kinds to report: names, rule ids or labels ({', '.join(KINDS)}).",
        type="kinds", commands=_ENGINE)
    quotes: bool = setting(True, "Do not report repeated quotes separately (config: quotes = false).",
                           commands=_ENGINE, flag="--no-quotes",
                           stored=frozenset({"index"}))
    exclude_quotes: bool = setting(
        False, "Ignore quoted words: no quote findings, quotes do not count in sentences.", commands=_ENGINE,
        stored=frozenset({"index"}))
    restate_across: bool = setting(
        False, "Look for restatements (--kinds restatement) across the articles of the run too, not only inside each.",
        commands=_ENGINE)
    boilerplate: tuple[str, ...] = setting((), "Extra regular expressions for units never flagged.", type="strs",
                                           stored=frozenset({"index"}))
    jobs: int = setting(0, "Worker processes (0 = automatic).", low=0, high=1024, commands=_BOTH, short="-j")
    max_bucket: int = setting(64, "Largest LSH bucket compared pairwise.", low=1, high=2**31 - 1)
    max_posting: int = setting(256, "Most frequent shingle still used for containment.", low=1, high=2**31 - 1)

    def validate(self, source: str | None = None) -> Settings:
        src = source or "config"
        for key in SETTING_KEYS.values():
            value = getattr(self, key.name)
            if key.type in ("float", "int", "str"):
                key.check_range(value, src)
        if self.bands * self.rows > self.num_perm:
            raise ConfigError(f"bands x rows must fit in num-perm ({self.num_perm})", src)
        if (self.bands == 0) != (self.rows == 0):
            raise ConfigError("set both bands and rows, or neither", src)
        if not self.kinds:
            raise ConfigError("kinds: an empty list would report nothing and pass every check; "
                              f"name at least one kind ({', '.join(KINDS)})", src)
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ConfigError(f"unknown kind {unknown[0]!r} (kinds: {', '.join(KINDS)})", src)
        for pat in self.boilerplate:
            try:
                rx = re.compile(pat, re.IGNORECASE)
            except re.error as exc:
                raise ConfigError(f"boilerplate pattern {pat!r} is not a valid regular expression: {exc}",
                                  src) from None
            if any(rx.match(probe) for probe in _ORDINARY_SENTENCES):  # '.*', '.+', '\\w', '[a-z]' ...
                raise ConfigError(f"boilerplate pattern {pat!r} matches ordinary sentences: it would switch the check "
                                  "off (anchor it to the boilerplate, e.g. '^Reporting by ')", src)
        return self

    def record(self, which: str) -> dict[str, Any]:
        """The settings a record keeps (``signature``, ``index`` or ``baseline``: see :class:`Key`), tuples as lists."""
        return {k.name: list(v) if isinstance(v := getattr(self, k.name), tuple) else v
                for k in SETTING_KEYS.values() if which in k.stored}

    def band_plan(self) -> tuple[int, int]:
        """The LSH ``(bands, rows)`` in use."""
        if self.bands:
            return self.bands, self.rows
        from dedupe.sketch.lsh import choose_bands

        return choose_bands(self.num_perm, self.threshold, self.recall)

    def signature_settings(self) -> dict[str, Any]:
        """What must match between an index and a query."""
        return {**self.record("signature"), "scheme": "affine32"}


def _key_of(f: dataclasses.Field[Any]) -> Key:
    spec = dict(f.metadata["key"])
    ftype = spec.pop("type", None) or str(f.type)
    return Key(f.name, ftype, f.default, f.metadata["help"], **spec)


#: Every Settings field's key, in field order.
SETTING_KEYS: dict[str, Key] = {f.name: _key_of(f) for f in fields(Settings)}

#: The readers' resource limits (bytes) and their defaults: a hostile file cannot make a run take unbounded
#: memory or time.  Each is a key of the table (config key and flag ``--max-file-bytes`` ...).
READ_LIMITS: dict[str, tuple[int, str]] = {
    "max_file_bytes": (256 << 20, "Largest file read, in bytes (standard input too)"),
    "max_decompressed_bytes": (256 << 20, "Largest decompressed size of a .gz file, in bytes"),
    "max_record_bytes": (4 << 20, "Largest article, in bytes: one JSON line, a one-article file, a .docx's XML"),
}

#: The keys front ends read from the same files (kept in :attr:`Config.extra`).
FRONT_END_KEYS: dict[str, Key] = {k.name: k for k in (
    Key("include", "strs", (), "Glob of files to read when walking directories (repeatable).", commands=frozenset({READ}),
        setting=False),
    Key("exclude", "strs", (), "Glob of files or directories to skip (repeatable).", commands=frozenset({READ}),
        setting=False),
    Key("id_field", "str", "id", "JSON lines: field holding the article id (default id).", commands=frozenset({READ}),
        setting=False),
    Key("text_field", "str", "text", "JSON lines: field holding the article text (default text).",
        commands=frozenset({READ}), setting=False),
    Key("title_field", "str", "title", "JSON lines: field holding the article title (default title).",
        commands=frozenset({READ}), setting=False),
    Key("rules", "table", None, "Level of each rule (DD101 = \"warning\", \"off\").", setting=False),
    Key("baseline", "str", None, "Baseline file.", setting=False, want="a file path"),
    Key("index", "str", None, "Index location (a path or redis:// URL).", setting=False, want="an index location"),
    Key("fail_on", "level", None, "What fails the check.", setting=False, want="a level or a list of kinds"),
    # the check formats are checked against dedupe.output.registry by the front end (a higher layer)
    Key("format", "str", None, "Output format of dedupe check.", setting=False),
    Key("against", "strs", (), "Archive to compare against: article files or directories (repeatable).",
        commands=_ENGINE, setting=False),
    Key("follow_external_symlinks", "bool", False,
        "Read symbolic links whose target is outside the walked folder or the repository (default: skipped with a "
        "warning; a pull request's links may point anywhere on the runner). Only a flag or a trusted --config / "
        "DEDUPE_CONFIG may set it.", commands=frozenset({READ}), setting=False, trusted=True),
    *(Key(name, "int", default, f"{what} (default {default:,}).", low=1, high=2**40, commands=frozenset({READ}),
          setting=False) for name, (default, what) in READ_LIMITS.items()),
)}

#: Every key of the configuration: the settings, then the front ends' keys.
KEYS: dict[str, Key] = {**SETTING_KEYS, **FRONT_END_KEYS}


@dataclass
class Config:
    """Settings plus the other keys found in a configuration file."""

    settings: Settings = field(default_factory=Settings)
    extra: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    #: Named by the user (``--config``, ``DEDUPE_CONFIG``), not found in the tree: its paths are the user's.
    trusted: bool = False

    def get(self, key: str, default: Any = None) -> Any:
        return self.extra.get(key.replace("-", "_"), default)


_FIELD_TYPES = {f.name: str(f.type) for f in fields(Settings)}


def _norm_key(key: str) -> str:
    return key.replace("-", "_")


def _describe(value: Any) -> str:
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."


def _coerce(name: str, value: Any, source: str) -> Any:
    """A setting's value checked against its declared type (range: :meth:`Settings.validate`)."""
    ftype = _FIELD_TYPES[name]
    key = name.replace("_", "-")
    want = ftype  # as before: "expected float", "expected int", ...
    ok = True
    if ftype == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) + 0.0 if ok else value  # -0.0 is 0.0
        if ok and not math.isfinite(value):  # nan, inf: no range comparison refuses nan
            ok, want = False, "a finite number"
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
    spec = FRONT_END_KEYS[key]
    kind, detail, want = spec.type, spec.choices, spec.want
    name = spec.dashed
    if want is not None and not (isinstance(value, str) and value.strip()) and not (
            kind in ("strs", "level") and isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{name}: expected {want}, got {_describe(value)}", source)
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
    if kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: expected true or false, got {_describe(value)}", source)
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{name}: expected a whole number, got {_describe(value)}", source)
        spec.check_range(value, source)
        return value
    if kind == "table":
        if not isinstance(value, dict):
            raise ConfigError(f"{name}: expected a table, got {_describe(value)}", source)
        for k, v in value.items():
            if not isinstance(v, str):
                raise ConfigError(f"{name}.{k}: expected a string, got {_describe(v)}", source)
        return dict(value)
    return value  # pragma: no cover


def settings_from_mapping(data: dict[str, Any], base: Settings | None = None, source: str = "config") -> tuple[Settings, dict[str, Any]]:
    """Split a mapping into Settings updates and the other known keys, each
    checked against its schema (type, then range); unknown keys are refused."""
    updates: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in data.items():
        k = _norm_key(str(key))
        if k in SETTING_KEYS:
            updates[k] = _coerce(k, value, source)
            if SETTING_KEYS[k].type == "kinds":  # rule ids and short labels name kinds too
                updates[k] = tuple(resolved.name if (resolved := resolve(str(v))) else v for v in updates[k])
        elif k in FRONT_END_KEYS:
            extra[k] = _check_other(k, value, source)
        else:
            known = ", ".join(sorted(key.dashed for key in KEYS.values()))
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


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
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


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
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


def load_config(path: str | os.PathLike[str] | None = None, search_from: str | None = None) -> Config:
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
