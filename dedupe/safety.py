"""The one rule for text from files, file names and URLs that reaches an output.

:func:`neutralize` shows control characters (ESC, BEL, backspace), bidi
controls, lone surrogates and line breaks as visible escapes (``\\x1b``,
``\\u202e``, ``\\n``), so what is printed is what is there and a name cannot
start a CI workflow command (``::error::``) on a line of its own.
:func:`printable_name` is the form of a file name every output shows (and
fingerprints hash): not-UTF-8 bytes as ``\\xe9``, unsafe characters escaped.

Index locations (``redis://:password@host:6379/0``) are printed in messages,
statistics, reports and JSON; :func:`redact` removes the user and password of
every URL in a text, so no output of dedupe publishes them.  A leaf module:
the errors, the documents, the index backends and the output layer
(:mod:`dedupe.output.sanitize`) all use these rules.
"""

from __future__ import annotations

import re

__all__ = ["defuse_commands", "defuse_mentions", "display_url", "neutralize", "printable_name", "forget_secrets", "json_safe", "redact", "remember_secrets"]

# C0 and C1 controls (tab kept), DEL, bidirectional controls, lone surrogates, non-characters.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_UNSAFE_KEEP_NL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    if c == "\n":
        return "\\n"
    if c == "\r":
        return "\\r"
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


def neutralize(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every unsafe character replaced by a visible escape."""
    pattern = _UNSAFE_KEEP_NL if keep_newlines else _UNSAFE
    return pattern.sub(_escape, text) if pattern.search(text) else text


def printable_name(name: str) -> str:
    """A file name as every output shows, stores and hashes it: the bytes of
    a name that is not UTF-8 (a lone surrogate in Python) as ``\\xe9``, then
    every unsafe character (newline, ESC, bidi control) as a visible escape,
    and ``./`` before a name that starts with ``::``.
    The same name always gives the same text, so fingerprints are stable."""
    if name.isascii() and name.isprintable() and not name.startswith("::"):
        return name
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        name = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    if name.startswith("::"):  # a relative name at the start of an output line would be a workflow command
        name = "./" + name
    return neutralize(name)

# A GitHub runner reads any stdout line whose trimmed form starts with "::" as a workflow command; leading
# white space (any Unicode space) and colour codes do not stop it.
_COMMAND_LINE = re.compile(r"^((?:[^\S\n]|\x1b\[[0-9;]*m)*)::", re.MULTILINE)
_INDENTED_COMMAND = re.compile(r"^((?:[^\S\n]|\x1b\[[0-9;]*m)+)::", re.MULTILINE)


def defuse_commands(text: str, keep_commands: bool = False) -> str:
    """``text`` with a backslash before the ``::`` that starts a line (after spaces, tabs or colour codes),
    so no line of it is a CI workflow command (``    ::error::x`` -> ``    \\::error::x``).  With
    ``keep_commands`` (the ``github`` format, whose own commands start at column 0 and whose data is
    escaped) only indented lines are changed."""
    if "::" not in text:
        return text
    pattern = _INDENTED_COMMAND if keep_commands else _COMMAND_LINE
    return pattern.sub(lambda m: m.group(1) + "\\::", text)


# What JSON may hold raw but a terminal or log must not get: C1 controls, bidi controls, line/paragraph
# separators, lone surrogates, non-characters (C0 controls are escaped by every JSON encoder already).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
                          "\ufffe\uffff]")


def json_safe(encoded: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with every character a terminal, a CI log or a
    viewer would act on written as its ``\\uXXXX`` escape: the same JSON value, nothing raw on screen."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", encoded) if _JSON_UNSAFE.search(encoded) else encoded


def printable_title(title: str) -> str:
    """A document's title (an HTML ``<title>``, a JSON record's field) as every output shows it: white space
    (line breaks too) collapsed to single spaces, every other unsafe character escaped."""
    if title.isascii() and title.isprintable():
        return title
    return neutralize(" ".join(title.split()))


# -- credentials of URLs -----------------------------------------------------------
#
# Redaction is structural where the URL is known (an index location, a Spark master): the whole userinfo
# (everything between ``://`` and the last ``@``: a password may hold spaces, ``/``, ``#`` or ``?``) and the
# value of every credential-like query parameter (``?password=...``) become ``***``.  Each such URL's
# secrets (as written, percent-decoded and percent-encoded) are remembered for the run, so a message that
# quotes them in any form (a library's error) has them redacted too.  In free text, where a URL's end is not
# known, a userinfo runs from ``://`` to the last ``@`` of the line before a ``/`` that starts a path.
_SCHEME = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://")
_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>(?:(?!://)[^/\n\r]|/(?=[^\s/@]*@))*@)")
_SECRET_PARAM = re.compile(r"(?i)(?P<name>[?&;][^=&;#?\s]*(?:pass|pwd|user|auth|token|secret|key|cred)[^=&;#?\s]*=)"
                           r"(?P<value>[^&;#\n\r]*)")
_SECRET_PARAM_TEXT = re.compile(_SECRET_PARAM.pattern.replace(r"[^&;#\n\r]*", r"[^&;#\s]*"))
_SECRETS: set[str] = set()
_MIN_REMEMBERED = 3  # shorter secrets are redacted in their URL only (replacing "ab" everywhere garbles text)


def _remember(secret: str) -> None:
    from urllib.parse import quote, unquote

    for form in (secret, unquote(secret), quote(secret, safe=""), quote(unquote(secret), safe="")):
        if len(form) >= _MIN_REMEMBERED:
            _SECRETS.add(form)


def remember_secrets(location: str) -> None:
    """Remember the credentials of ``location`` (a URL) for the run: every later :func:`redact` removes
    them from any text, in any of their spellings."""
    m = _SCHEME.match(location)
    if m is None:
        return
    rest = location[m.end():]
    at = rest.rfind("@")
    if at > 0:
        userinfo = rest[:at]
        _remember(userinfo)
        for part in userinfo.split(":"):
            _remember(part)
    for p in _SECRET_PARAM.finditer(rest):
        _remember(p.group("value"))


def forget_secrets() -> None:
    """Forget the secrets remembered so far (a new command starts with none)."""
    _SECRETS.clear()


def display_url(location: str) -> str:
    """An index location (or any URL) as it may be shown: the whole userinfo and every credential-like query
    value replaced by ``***`` (``redis://u s:p w@h/0?password=x`` -> ``redis://***@h/0?password=***``).
    Its secrets are remembered for :func:`redact`."""
    m = _SCHEME.match(location)
    if m is None:
        return redact(location)
    remember_secrets(location)
    rest = location[m.end():]
    at = rest.rfind("@")
    if at >= 0:
        rest = "***" + rest[at:]
    rest = _SECRET_PARAM.sub(lambda p: p.group("name") + "***", rest)
    return m.group(0) + rest


def redact(text: str) -> str:
    """``text`` with the credentials of every URL in it replaced by ``***``
    (``redis://:secret@host:6379/0`` -> ``redis://***@host:6379/0``), and every secret remembered from a
    URL shown before (:func:`display_url`, :func:`remember_secrets`) in any spelling."""
    if _SECRETS:
        for secret in sorted(_SECRETS, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, "***")
    if "://" not in text:
        return text
    if "@" in text:
        text = _CREDENTIALS.sub(lambda m: m.group("scheme") + "***@", text)
    if "=" in text:
        text = _SECRET_PARAM_TEXT.sub(
            lambda p: p.group(0) if p.group("value").startswith("***") else p.group("name") + "***", text)
    return text


# @name (a user or team: notified) and #123 / GH-123 / owner/repo#123 (a cross-reference) in a PR comment
_MENTION = re.compile(r"(?<![\w`])@(?=[\w-])|#(?=\w)|(?<=\bGH)-(?=\d)", re.IGNORECASE)
WORD_JOINER = "\u2060"


def defuse_mentions(text: str) -> str:
    """``text`` for Markdown that GitHub or GitLab renders (a PR comment, the
    step summary): a word joiner (U+2060, invisible) after every ``@`` and
    ``#`` that starts a word, so ``@alice`` notifies nobody and ``#123``
    links to nothing, while reading the same."""
    if "@" not in text and "#" not in text and "-" not in text:
        return text
    return _MENTION.sub(lambda m: m.group(0) + WORD_JOINER, text)
