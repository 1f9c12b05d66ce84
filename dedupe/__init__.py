"""dedupe: find repeated sentences and quotes in news copy.

The library is headless (no terminal UI imports).  Typical use::

    from dedupe import scan, Settings
    result = scan(["drafts/"], Settings(threshold=0.7))
    for cluster in result.clusters:
        print(cluster.kind, cluster.similarity, [m.path for m in cluster.members])
"""

from dedupe.api import scan
from dedupe.config import KINDS, RULES, Settings, load_config
from dedupe.documents import Document
from dedupe.errors import ConfigError, DedupeError, InputError
from dedupe.findings import Cluster, DocumentInfo, Member, Overlap, Pair, ScanResult

__version__ = "0.1.0"

__all__ = [
    "KINDS", "RULES", "Settings", "load_config", "Document", "ConfigError", "DedupeError", "InputError",
    "Cluster", "DocumentInfo", "Member", "Overlap", "Pair", "ScanResult", "scan", "__version__",
]
