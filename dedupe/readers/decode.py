"""Bytes on disk to text: reading a file, detecting the encoding, newlines."""

from __future__ import annotations

import codecs

from dedupe.errors import InputError

__all__ = ["GZIP_MAGIC", "decode_text", "gunzip", "read_bytes"]

#: The first bytes of a gzip stream.
GZIP_MAGIC = b"\x1f\x8b"


def read_bytes(path: str) -> bytes:
    """The file's bytes, with OS errors turned into :class:`InputError`."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise InputError("no such file or directory", path) from None
    except IsADirectoryError:
        raise InputError("is a directory", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except OSError as exc:
        reason = (exc.strerror or str(exc) or "cannot read file").lower()
        raise InputError(reason, path) from None


def decode_text(data: bytes, path: str, warnings: list[str]) -> str:
    """Decode a text file: UTF-8 (BOM stripped), else cp1252, else latin-1.

    Newlines are normalised to ``"\\n"`` so that line/column positions count
    what an editor shows.  NUL bytes mean a binary file.
    """
    text: str | None = None
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError("binary file, not an article", path) from None
        if "\x00" in text:
            raise InputError("binary file, not an article", path)
    if text is None:
        if b"\x00" in data:
            raise InputError("binary file, not an article", path)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
                warnings.append("not valid UTF-8; decoded as cp1252")
            except UnicodeDecodeError:
                text = data.decode("latin-1")
                warnings.append("not valid UTF-8; decoded as latin-1")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text



def gunzip(data: bytes, path: str) -> bytes:
    """``data`` decompressed when it is a gzip stream (``.jsonl.gz``), else
    unchanged; a damaged stream is an :class:`InputError`."""
    if not data.startswith(GZIP_MAGIC):
        return data
    import gzip
    import zlib

    try:
        return gzip.decompress(data)
    except EOFError:
        raise InputError("truncated gzip file", path) from None
    except (OSError, zlib.error):
        raise InputError("not a valid gzip file", path) from None
