"""Exceptions raised by the dedupe library.

Front ends turn these into one-line messages and exit codes; the library never
prints or exits.
"""

from __future__ import annotations


class DedupeError(Exception):
    """Base class for every error dedupe raises on purpose."""

    exit_code = 2

    def __init__(self, message: str, path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:  # "path: problem", the one-line form the CLI prints
        return f"{self.path}: {self.message}" if self.path else self.message


class InputError(DedupeError):
    """A document could not be read (missing, binary, malformed)."""


class ConfigError(DedupeError):
    """A configuration file or option is invalid."""


class IndexError_(DedupeError):
    """An archive index is missing, corrupt, unreachable or incompatible."""


class BaselineError(DedupeError):
    """A baseline file is corrupt or of an unknown version."""
