"""Text made safe for a terminal or a CI log, and secrets kept out of it.

Article text and file names can hold control characters (ESC sequences
that clear a screen, BEL, backspaces), text-direction overrides that make a
line read differently from what it is, lone surrogates that cannot be
encoded, and line breaks that would start a new CI workflow command.
:func:`neutralize` shows each as a visible escape (``\\x1b``, ``\\u202e``,
``\\n``) instead, so what is printed is what is there.

:func:`redact` removes the password (and user) of every URL with
credentials (``redis://:pw@host``, ``rediss://user:pw@host``): index
locations are printed in messages, statistics, reports and JSON, and must
never publish a password.  :func:`display_url` is the form to show of one
index location.  :func:`defuse_mentions` keeps ``@name`` and ``#123`` in
Markdown from notifying people or linking issues.  The rules live in
:mod:`dedupe.safety` (a leaf module the lower layers use too).
"""

from __future__ import annotations

from dedupe.safety import defuse_commands, defuse_mentions, display_url, json_safe, neutralize, printable_name, redact

__all__ = ["defuse_commands", "defuse_mentions", "display_url", "json_safe", "neutralize", "printable_name", "redact"]
