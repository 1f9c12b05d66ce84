"""The ``json`` format: the documented machine schema of a scan (``version`` 1)."""

from __future__ import annotations

import json

from dedupe.findings import ScanResult


def render_json(result: ScanResult) -> str:
    # Compact: json's C encoder only runs without indentation (10x faster on
    # a large corpus); pipe through `jq` to read it.
    return json.dumps(result.to_dict(), ensure_ascii=False) + "\n"
