"""One registry of finding kinds and one of output formats, read by every front end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dedupe import kinds
from dedupe.check.rules import DEFAULT_SEVERITY, RULE_INFO
from dedupe.cli.main import main
from dedupe.config import KINDS, RULES
from dedupe.output.registry import FORMATS
from dedupe.output.report import KIND_LABEL
from dedupe.tui.model import KIND_LABELS

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_f6852705ebf30c58.txt"


def test_every_table_of_kinds_comes_from_the_registry():
    assert KINDS == tuple(k.name for k in kinds.REGISTRY)
    assert RULES == {k.name: k.rule for k in kinds.REGISTRY}
    assert DEFAULT_SEVERITY == {k.name: k.level for k in kinds.REGISTRY}
    assert {i.kind: i.id for i in RULE_INFO.values()} == RULES
    assert {k: v for k, v in KIND_LABELS.items() if k in KINDS} == {k.name: k.label for k in kinds.REGISTRY}
    assert set(KIND_LABEL) == set(KINDS)


def test_a_kind_is_found_by_name_rule_id_or_label():
    for k in kinds.REGISTRY:
        assert kinds.resolve(k.name) is k
        assert kinds.resolve(k.rule.lower()) is k
        assert kinds.resolve(k.label.upper()) is k
    assert kinds.resolve("nonsense") is None


def test_kinds_flag_takes_rule_ids_and_labels():
    r = CliRunner().invoke(main, ["scan", str(SEED), "--format", "json", "--kinds", "DD102,sentence"])
    assert r.exit_code == 0, r.output
    got = {c["kind"] for c in json.loads(r.stdout)["clusters"]}
    assert got and got <= {"repeated-quote", "repeated-sentence"}
    bad = CliRunner().invoke(main, ["scan", str(SEED), "--kinds", "DD999"])
    assert bad.exit_code == 2 and "unknown kind 'DD999'" in bad.output


def test_every_format_renders_without_importing_anything_first():
    """``render(result, "sarif")`` works in a fresh process that imported only the registry."""
    code = (
        "import json, sys\n"
        "from dedupe import scan\n"
        "from dedupe.output.registry import FORMATS, render\n"
        f"r = scan([{str(SEED)!r}])\n"
        "for name in FORMATS:\n"
        "    out = render(r, name)\n"
        "    assert out.strip(), name\n"
        "print(json.loads(render(r, 'sarif'))['version'])\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "2.1.0"


def test_scan_and_check_offer_the_registry_formats():
    from dedupe.cli.scan import scan as scan_cmd

    scan_choices = next(p for p in scan_cmd.params if p.name == "fmt").type.choices
    assert set(scan_choices) == {n for n, f in FORMATS.items() if f.scan}
