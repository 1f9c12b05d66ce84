"""The ``dedupe`` command (Click).  ``main`` is the group, ``run`` the console script."""

from dedupe.cli.main import main, run

__all__ = ["main", "run"]
