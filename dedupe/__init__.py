"""dedupe: find repeated sentences and quotes in news copy.

The library is headless (no terminal UI imports).  Typical use::

    from dedupe import scan, Settings
    result = scan(["drafts/"], Settings(threshold=0.7))
    for cluster in result.clusters:
        print(cluster.kind, cluster.similarity, [m.path for m in cluster.members])

The names below are imported when first used (PEP 562), so importing the
command line or one module of the library does not import the whole engine
(``dedupe --version``, ``index list`` and ``index stats`` never load the
splitter or the clustering).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "scan": "dedupe.api",
    "KINDS": "dedupe.config", "RULES": "dedupe.config", "Settings": "dedupe.config", "load_config": "dedupe.config",
    "Document": "dedupe.documents",
    "ConfigError": "dedupe.errors", "DedupeError": "dedupe.errors", "InputError": "dedupe.errors",
    "Cluster": "dedupe.findings", "DocumentInfo": "dedupe.findings", "Member": "dedupe.findings",
    "Overlap": "dedupe.findings", "Pair": "dedupe.findings", "ScanResult": "dedupe.findings",
}

__all__ = [
    "KINDS", "RULES", "Settings", "load_config", "Document", "ConfigError", "DedupeError", "InputError",
    "Cluster", "DocumentInfo", "Member", "Overlap", "Pair", "ScanResult", "scan", "__version__",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors
    from dedupe.api import scan
    from dedupe.config import KINDS, RULES, Settings, load_config
    from dedupe.documents import Document
    from dedupe.errors import ConfigError, DedupeError, InputError
    from dedupe.findings import Cluster, DocumentInfo, Member, Overlap, Pair, ScanResult


def __getattr__(name: str) -> Any:
    where = _WHERE.get(name)
    if where is None:
        raise AttributeError(f"module 'dedupe' has no attribute {name!r}")
    value = getattr(importlib.import_module(where), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
