"""JSON lines: one article per record."""

from __future__ import annotations

import re

from dedupe.documents import Document
from dedupe.errors import InputError
from dedupe.readers.decode import decode_text, gunzip, too_large
from dedupe.readers.markers import plain_suppressions
from dedupe.readers.offsets import OffsetMap
from dedupe.readers.options import ReadOptions

__all__ = ["read_jsonl"]

_JSON_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_JSON_SPECIAL_RE = re.compile(r'["\\]')
_JSON_WS = " \t\n\r"


class _JsonScanError(Exception):
    """The raw scan disagrees with the parser (should not happen)."""


def _json_skip_ws(s: str, i: int) -> int:
    while i < len(s) and s[i] in _JSON_WS:
        i += 1
    return i


def _json_string(s: str, i: int, base: int, offsets: OffsetMap | None) -> tuple[str, int]:
    """Decode the JSON string literal starting at ``s[i] == '"'``.

    Returns the value and the index after the closing quote; when ``offsets``
    is given, appends for every decoded character the index (``base`` + its
    position in ``s``) where its encoding starts.
    """
    if s[i] != '"':
        raise _JsonScanError
    parts: list[str] = []
    j = i + 1
    search = _JSON_SPECIAL_RE.search
    while True:
        m = search(s, j)
        if m is None:
            raise _JsonScanError
        k = m.start()
        if k > j:
            parts.append(s[j:k])
            if offsets is not None:
                offsets.append_run(base + j, k - j)
        if s[k] == '"':
            return "".join(parts), k + 1
        esc = s[k + 1 : k + 2]
        if esc == "u":
            code = int(s[k + 2 : k + 6], 16)
            j = k + 6
            if 0xD800 <= code < 0xDC00 and s.startswith("\\u", j):
                low = int(s[j + 2 : j + 6], 16)
                if 0xDC00 <= low < 0xE000:
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    j += 6
            parts.append(chr(code))
        elif esc in _JSON_ESCAPES:
            parts.append(_JSON_ESCAPES[esc])
            j = k + 2
        else:
            raise _JsonScanError
        if offsets is not None:
            offsets.append_run(base + k, 1)


def _json_skip_value(s: str, i: int) -> int:
    """Index just after the JSON value starting at ``s[i]``."""
    if s[i] == '"':
        return _json_string(s, i, 0, None)[1]
    if s[i] in "[{":
        depth = 0
        while i < len(s):
            c = s[i]
            if c == '"':
                i = _json_string(s, i, 0, None)[1]
                continue
            if c in "[{":
                depth += 1
            elif c in "]}":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        raise _JsonScanError
    while i < len(s) and s[i] not in ",}]" + _JSON_WS:
        i += 1
    return i


def _json_field_offsets(line: str, base: int, field: str) -> OffsetMap:
    """Source offsets of the characters of the top-level string ``field`` of
    the JSON object on ``line`` (which starts at ``base`` in the file).  The
    last occurrence wins, as in :func:`json.loads`."""
    result: OffsetMap | None = None
    i = _json_skip_ws(line, 0)
    if line[i] != "{":
        raise _JsonScanError
    i = _json_skip_ws(line, i + 1)
    while i < len(line) and line[i] != "}":
        key, i = _json_string(line, i, 0, None)
        i = _json_skip_ws(line, i)
        if line[i] != ":":
            raise _JsonScanError
        i = _json_skip_ws(line, i + 1)
        if key == field and line[i] == '"':
            result = OffsetMap()
            _, i = _json_string(line, i, base, result)
        else:
            i = _json_skip_value(line, i)
        i = _json_skip_ws(line, i)
        if i < len(line) and line[i] == ",":
            i = _json_skip_ws(line, i + 1)
    if result is None:
        raise _JsonScanError
    return result


_SURROGATE_RE = re.compile("[\ud800-\udfff]")


def _clean(value: str, what: str, where: str, warnings: list[str]) -> str:
    """``value`` with lone surrogates (``\\ud800`` escapes of a broken
    export, which no output can encode) replaced by U+FFFD, same length so
    offsets stay exact; a warning names the record."""
    if _SURROGATE_RE.search(value) is None:
        return value
    count = len(_SURROGATE_RE.findall(value))
    warnings.append(f"{where}: {count} lone surrogate escape(s) in the {what} replaced by U+FFFD")
    return _SURROGATE_RE.sub("\ufffd", value)


def read_jsonl(path: str, data: bytes, options: ReadOptions) -> list[Document]:
    """JSON lines (``.jsonl``, ``.ndjson``, gzip-compressed or not): one
    document per non-blank line, each an article of its own.

    A record's id is ``path#<id>`` (its ``id_field``, else its line number)
    and its title the ``title_field``.  ``source_text`` is the whole
    (decompressed, decoded) file, shared by the records; each character of
    the text value maps to where its JSON encoding starts on the record's
    line, and the record keeps only that line's number and start
    (``source_line``), so a position's line is the record's line and its
    column points into the raw line.
    """
    import json

    warnings: list[str] = []
    src = decode_text(gunzip(data, path, options.max_decompressed_bytes, options.max_record_bytes), path, warnings)
    docs: list[Document] = []
    first_seen: dict[str, int] = {}
    field = options.text_field
    number = 0
    line_base = 0
    size = len(src)
    while line_base <= size:
        nl = src.find("\n", line_base)
        line_end = size if nl == -1 else nl
        number += 1
        if line_end - line_base > options.max_record_bytes:
            raise InputError(f"line {number}: " + too_large("record", options.max_record_bytes, "max-record-bytes"),
                             path)
        line = src[line_base:line_end]
        this_base, line_base = line_base, line_end + 1
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{where}: invalid JSON: {exc.msg} (column {exc.colno})", path
            ) from None
        except RecursionError:
            raise InputError(f"{where}: invalid JSON: nested too deeply", path) from None
        except ValueError as exc:  # e.g. an integer too long to convert
            raise InputError(f"{where}: invalid JSON: {str(exc).splitlines()[0]}", path) from None
        if not isinstance(record, dict):
            raise InputError(f"{where}: not a JSON object", path)
        if field not in record:
            raise InputError(f"{where}: no '{field}' field{_field_hint(record)}", path)
        text = record[field]
        if not isinstance(text, str):
            raise InputError(f"{where}: '{field}' is not a string", path)
        raw_id = record.get(options.id_field)
        if raw_id is None or isinstance(raw_id, (dict, list)):
            record_id = str(number)
        else:
            record_id = raw_id if isinstance(raw_id, str) else json.dumps(raw_id)
        record_warnings = list(warnings) if not docs else []  # a file's warnings once, on its first record
        record_id = _clean(record_id, "id", where, record_warnings)
        if record_id in first_seen:
            raise InputError(
                f"{where}: duplicate id '{record_id}' (first on line {first_seen[record_id]})",
                path,
            )
        first_seen[record_id] = number
        record_where = f"{where} (record '{record_id}')"
        text = _clean(text, "text", record_where, record_warnings)
        try:
            offsets = _json_field_offsets(line, this_base, field)
            if len(offsets) != len(text):
                raise _JsonScanError
        except (_JsonScanError, IndexError, ValueError):  # pragma: no cover - defensive
            offsets = OffsetMap.from_offsets([this_base] * len(text))
        title = record.get(options.title_field)
        if isinstance(title, str) and title.strip():
            title = _clean(" ".join(title.split()), "title", record_where, record_warnings)
        else:
            title = None
        docs.append(
            Document(
                id=f"{path}#{record_id}",
                path=path,
                text=text,
                format="jsonl",
                title=title,
                source_text=src,
                source_offsets=offsets,
                paragraphs_marked="\n\n" in text,
                suppressed=plain_suppressions(text),
                warnings=record_warnings,
                source_line=number,
                source_line_start=this_base,
            )
        )
    return docs


def _field_hint(record: dict[str, object]) -> str:
    """`` (text fields here: title, body; choose one with --text-field)``: where the text may be instead."""
    import json

    names = [json.dumps(k, ensure_ascii=True)[1:-1][:40] for k, v in record.items() if isinstance(v, str)][:6]
    return f" (text fields here: {', '.join(names)}; choose one with --text-field)" if names else ""
