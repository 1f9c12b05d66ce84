"""Bytes on disk to text: reading a file, detecting the encoding, newlines."""

from __future__ import annotations

import codecs
import os
import stat

from dedupe.errors import InputError, InputWarning

__all__ = ["GZIP_MAGIC", "NotRegularFile", "decode_text", "file_kind", "gunzip", "not_regular", "out_of_memory",
           "read_bytes", "too_large"]

#: The first bytes of a gzip stream.
GZIP_MAGIC = b"\x1f\x8b"


class NotRegularFile(InputWarning):
    """A path that is not a regular file (a FIFO, socket or device): it is
    skipped, never opened for reading (a FIFO would block for ever).  Front
    ends report it as a warning (``warning`` is True), not as a failure."""



def file_kind(mode: int) -> str | None:
    """None for a regular file, else what it is ("fifo", "socket" ...)."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


def not_regular(path: str, kind: str) -> InputError:
    """The error for a path that is not a regular file."""
    if kind == "directory":
        return InputError("is a directory", path)
    return NotRegularFile(f"not a regular file ({kind}), skipped", path)


def _os_error(exc: OSError, path: str) -> InputError:
    if isinstance(exc, FileNotFoundError):
        return InputError("no such file or directory", path)
    if isinstance(exc, IsADirectoryError):
        return InputError("is a directory", path)
    if isinstance(exc, PermissionError):
        return InputError("permission denied", path)
    reason = (exc.strerror or str(exc) or "cannot read file").lower()
    return InputError(reason, path)


def too_large(what: str, limit: int, name: str) -> str:
    """The one-line message of a limit that cut: what, the limit, and its name (config key and flag)."""
    return (f"{what} larger than {name} ({limit:,} bytes): not read; raise it with --{name} "
            f"or {name} in a trusted config (--config / DEDUPE_CONFIG)")


def out_of_memory(what: str, limit: int, name: str) -> str:
    """The one-line message of a read that ran out of memory (a process memory cap, ``ulimit -v``): the
    limit that bounds it and how to lower it."""
    return (f"ran out of memory reading this {what}: not read (lower {name}, now {limit:,} bytes, with --{name} "
            f"or {name} in the config, or give the process more memory)")


def read_bytes(path: str, limit: int | None = None) -> bytes:
    """The file's bytes, with OS errors turned into :class:`InputError`
    (and a file over ``limit`` bytes refused, see ``max-file-bytes``).

    Only regular files are read: the path is checked with ``os.stat`` before
    it is opened, opened with ``O_NONBLOCK`` (so that a FIFO swapped in
    between cannot block) and checked again on the open descriptor.
    """
    try:
        kind = file_kind(os.stat(path).st_mode)
        if kind is not None:
            raise not_regular(path, kind)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)
            kind = file_kind(st.st_mode)
            if kind is not None:
                raise not_regular(path, kind)
            if limit is not None and st.st_size > limit:
                raise InputError(too_large("file", limit, "max-file-bytes"), path)
            data = os.read(fd, st.st_size + 1)
            if len(data) == st.st_size:  # asked one byte more than fstat said: that is all
                return data
            parts = [data]  # a file that changed size, or a read capped at 2 GB: read to the end
            size = len(data)
            while parts[-1]:
                parts.append(os.read(fd, 1 << 20))
                size += len(parts[-1])
                if limit is not None and size > limit:
                    raise InputError(too_large("file", limit, "max-file-bytes"), path)
            return b"".join(parts)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _os_error(exc, path) from None
    except (MemoryError, OverflowError):
        raise InputError("file too large to read", path) from None


def decode_text(data: bytes, path: str, warnings: list[str]) -> str:
    """Decode a text file: UTF-8 (BOM stripped), else cp1252, else latin-1.

    Newlines are normalised to ``"\\n"`` so that line/column positions count
    what an editor shows.  NUL bytes mean a binary file.
    """
    text: str | None = None
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    elif data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):  # before UTF-16: FF FE 00 00 starts both
        try:
            text = data.decode("utf-32")
        except UnicodeDecodeError:
            raise InputError("binary file, not an article", path) from None
        if "\x00" in text:
            raise InputError("binary file, not an article", path)
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



def gunzip(data: bytes, path: str, limit: int | None = None, max_line: int | None = None) -> bytes:
    """``data`` decompressed when it is a gzip stream (``.jsonl.gz``), else
    unchanged; a damaged stream is an :class:`InputError`.

    Decompression stops (an :class:`InputError` naming the limit) as soon as
    the output passes ``limit`` bytes (``max-decompressed-bytes``) or, with
    ``max_line``, a line passes ``max_line`` bytes (``max-record-bytes``): a
    small file that expands to gigabytes is refused without ever holding
    them.
    """
    if not data.startswith(GZIP_MAGIC):
        return data
    import zlib

    parts: list[bytes] = []
    size = 0
    line = 0  # bytes since the last newline
    lines = 1
    rest = data
    try:
        while rest:
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # one gzip member
            chunk_in = rest
            while True:
                out = d.decompress(chunk_in, 1 << 20)
                if out:
                    size += len(out)
                    if limit is not None and size > limit:
                        raise InputError(too_large("decompressed data", limit, "max-decompressed-bytes"), path)
                    if max_line is not None:
                        nl = out.rfind(b"\n")
                        if nl == -1:
                            line += len(out)
                        else:
                            first = out.find(b"\n")
                            if line + first > max_line:
                                raise InputError(f"line {lines}: " + too_large("record", max_line, "max-record-bytes"),
                                                 path)
                            lines += out.count(b"\n")
                            line = len(out) - nl - 1
                        if line > max_line:
                            raise InputError(f"line {lines}: " + too_large("record", max_line, "max-record-bytes"),
                                             path)
                    parts.append(out)
                chunk_in = d.unconsumed_tail
                if d.eof or (not out and not chunk_in):
                    break
            if not d.eof:
                raise EOFError
            rest = d.unused_data
            if rest and not rest.startswith(GZIP_MAGIC):
                break  # trailing garbage after the last member: ignored, as gzip does
    except MemoryError:
        raise InputError("gzip file too large to decompress", path) from None
    except EOFError:
        raise InputError("truncated gzip file", path) from None
    except zlib.error:
        raise InputError("not a valid gzip file", path) from None
    return b"".join(parts)
