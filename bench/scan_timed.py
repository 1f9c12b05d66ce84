"""Run ``dedupe scan ARGS`` (the real console entry point) and record its stage timings.

    python bench/scan_timed.py TIMINGS.json ARGS...

Writes ``{"analyse", "match", "cluster", ..., "render", "write"}`` (seconds) to TIMINGS.json at exit:
the engine's own timings (``ScanResult.timings``) and the time the command spent in the functions it
calls to render and write the output (wrapped here; the command itself is unchanged).  Also
``"vmhwm_mb"``: this process's own peak resident memory (``VmHWM`` of ``/proc/self/status``, which
starts afresh at exec, unlike ``getrusage``'s ``ru_maxrss``, which carries the launching process's peak
over into its child).
"""

from __future__ import annotations

import atexit
import json
import sys
import time
from typing import Any

from dedupe.cli.main import run

scan_cmd = sys.modules["dedupe.cli.scan"]  # the module (the package's attribute is the command)

stages: dict[str, float] = {}
OUT = sys.argv[1] if len(sys.argv) > 1 else "timings.json"
WRAPPED = {"run_scan": None, "render": "render", "emit": "write", "write_output": "write"}


def wrap(name: str, stage: str | None) -> None:
    fn = getattr(scan_cmd, name, None)
    if fn is None:
        return

    def timed(*a: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        dt = time.perf_counter() - t0
        if stage is None:  # the engine: its own stage timings
            for k, v in getattr(out, "timings", {}).items():
                stages[k] = stages.get(k, 0.0) + v
            stages["engine_total"] = dt
        else:
            stages[stage] = stages.get(stage, 0.0) + dt
        return out

    setattr(scan_cmd, name, timed)


def vmhwm_mb() -> float | None:
    """Peak resident memory of this process's own address space (Linux), MB."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def save() -> None:
    out: dict[str, float | None] = {k: round(v, 3) for k, v in stages.items()}
    out["vmhwm_mb"] = vmhwm_mb()
    with open(OUT, "w") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    for n, s in WRAPPED.items():
        wrap(n, s)
    atexit.register(save)
    sys.argv = ["dedupe", "scan"] + sys.argv[2:]
    run()
