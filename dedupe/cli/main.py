"""Command-line interface: parse flags, call the library, print, exit.

Exit codes: 0 success; 1 findings that fail a check (``dedupe check``);
2 usage or input errors (bad flag, bad config, unreadable file), with a
one-line message per problem on stderr.

Each command group lives in a module of its own (``scan``, ``check``,
``index``, ``review``); this module only assembles them.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from dedupe.cli.check import check, report
from dedupe.cli.common import DedupeGroup
from dedupe.cli.doctor import doctor, version_option
from dedupe.cli.index import index_group
from dedupe.cli.review import review
from dedupe.cli.scan import scan


@click.group(cls=DedupeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@version_option
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error instead of a one-line message.")
def main(debug: bool) -> None:
    """Find repeated sentences and quotes in news copy."""


def run() -> None:
    """The ``dedupe`` console script: :func:`main`, then a quick exit.

    Before the command, the allocator is told to keep freed memory for
    reuse (:func:`dedupe.kernels.tune_allocator`).

    A large scan leaves a heap of hundreds of megabytes; tearing it down
    object by object at interpreter exit costs about a tenth of a second
    and achieves nothing.  So once the command has finished (its output
    written and flushed, files closed, atexit handlers run) the process
    exits directly.  Library callers and tests use :func:`main` and keep
    normal shutdown.
    """
    import atexit
    import os

    from dedupe import kernels

    kernels.tune_allocator()
    code: Any = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    try:
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # e.g. `dedupe scan ... | head`: not an error
        pass
    except Exception:
        sys.exit(code)  # something went wrong flushing: let the normal exit report it
    os._exit(code)


for _command in (scan, check, report, review, index_group, doctor):
    main.add_command(_command)


if __name__ == "__main__":  # pragma: no cover
    main()
