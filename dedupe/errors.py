"""Exceptions raised by the dedupe library.

Front ends turn these into one-line messages and exit codes; the library never
prints or exits.
"""

from __future__ import annotations

from dedupe.safety import display_url, redact


class DedupeError(Exception):
    """Base class for every error dedupe raises on purpose."""

    exit_code = 2
    #: A warning, not a failure: the input was skipped for a reason the user should know (exit code unchanged).
    warning = False

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:  # "path: problem", the one-line form the CLI prints (URL credentials redacted)
        if not self.path:
            return redact(self.message)
        return f"{display_url(self.path) if '://' in self.path else redact(self.path)}: {redact(self.message)}"


class InputError(DedupeError):
    """A document could not be read (missing, binary, malformed)."""


class InputWarning(InputError):
    """An input skipped for a reason that is not a failure (a FIFO, socket or device in a folder)."""

    warning = True


class ConfigError(DedupeError):
    """A configuration file or option is invalid."""


class ArchiveIndexError(DedupeError):
    """An archive index is missing, corrupt, unreachable or incompatible."""


class BaselineError(DedupeError):
    """A baseline file is corrupt or of an unknown version."""
