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


# -- one table each: a toy entry reaches every front end with no other edit ---------------------


def _patched_package(tmp_path: Path, path: str, old: str, new: str) -> dict[str, str]:
    """A copy of the package with one edit (``old`` -> ``new`` in ``path``); the environment that runs it."""
    import shutil

    root = tmp_path / "pkg"
    shutil.copytree(REPO / "dedupe", root / "dedupe", ignore=shutil.ignore_patterns("__pycache__"))
    target = root / "dedupe" / path
    src = target.read_text("utf-8")
    assert src.count(old) == 1, f"{path}: the anchor of the edit is not unique"
    target.write_text(src.replace(old, new), "utf-8")
    from helpers import cli_env

    return cli_env({"PYTHONPATH": str(root)})


def _run(env: dict[str, str], *args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI of the patched copy (run outside the repository: ``-m`` puts the working directory first)."""
    cwd = cwd or Path(env["PYTHONPATH"])
    return subprocess.run([sys.executable, "-m", "dedupe", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_a_toy_output_format_needs_only_its_registry_entry(tmp_path):
    env = _patched_package(
        tmp_path, "output/registry.py",
        '    Format("markdown", ',
        '    Format("toy", "A toy format for the tests.", lambda cr, **_: f"toy check: {len(cr.findings)}\\n",\n'
        '           lambda result, **_: f"toy scan: {len(result.clusters)}\\n"),\n'
        '    Format("markdown", ')
    r = _run(env, "check", SEED, "--format", "toy", "--no-baseline")
    assert r.returncode == 1 and r.stdout.startswith("toy check: "), r.stderr
    r = _run(env, "scan", SEED, "--format", "toy")
    assert r.returncode == 0 and r.stdout == "toy scan: 2\n", r.stderr
    for cmd in ("check", "scan"):
        assert "toy" in _run(env, cmd, "--help").stdout
    work = tmp_path / "work"
    work.mkdir()
    (work / ".dedupe.toml").write_text('format = "toy"\n', "utf-8")
    r = _run(env, "check", SEED, "--no-baseline", cwd=work)
    assert r.returncode == 1 and r.stdout.startswith("toy check: "), r.stderr
    (work / ".dedupe.toml").write_text('format = "toys"\n', "utf-8")
    r = _run(env, "check", SEED, cwd=work)
    assert r.returncode == 2 and ".dedupe.toml: format: expected one of " in r.stderr and "toy," in r.stderr


def test_a_toy_finding_kind_needs_only_its_registry_entry(tmp_path):
    env = _patched_package(
        tmp_path, "kinds.py",
        "\n)\n\nBY_NAME",
        '\n    Kind("toy-kind", "DD901", "warning", "toy", "Toy repeat", "ToyRepeat", "A toy repeat.",\n'
        '         "What a toy repeat means.", "What to do about a toy repeat.", default=False),\n)\n\nBY_NAME')
    r = _run(env, "scan", SEED, "--kinds", "DD901,sentence", "--format", "json")
    assert r.returncode == 0, r.stderr
    assert "toy-kind" in "".join(_run(env, "scan", "--help").stdout.split())
    work = tmp_path / "work"
    work.mkdir()
    (work / ".dedupe.toml").write_text('kinds = ["toy", "repeated-sentence"]\n[rules]\nDD901 = "error"\n', "utf-8")
    r = _run(env, "check", SEED, "--no-baseline", "--fail-on", "toy-kind", "--format", "sarif", cwd=work)
    assert r.returncode == 0, r.stderr  # nothing of the toy kind was found: nothing fails
    rules = {x["id"]: x for x in json.loads(r.stdout)["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["DD901"]["name"] == "ToyRepeat" and rules["DD901"]["shortDescription"]["text"] == "A toy repeat."
    # its implementation (here: relabelled clusters) is rendered with the registry's texts everywhere
    code = (
        "import dataclasses, sys\n"
        "from dedupe import scan\n"
        "from dedupe.check.rules import evaluate\n"
        "from dedupe.output.registry import FORMATS, render\n"
        "from dedupe.output.report import render_html_report\n"
        "from dedupe.tui.widgets import KIND_SHORT\n"
        f"r = scan([{str(SEED)!r}])\n"
        "r.clusters = [dataclasses.replace(c, kind='toy-kind') for c in r.clusters]\n"
        "out = {n: render(r, n) for n in FORMATS}\n"
        "assert 'DD901' in out['sarif'] and 'Toy repeat' in out['github'] and 'toy-kind' in out['json'], out\n"
        "assert 'toy repeat' in render_html_report(r).lower()\n"
        "assert KIND_SHORT['toy-kind'] == ('toy', 'toy', 't')\n"
        "assert evaluate(r).exit_code == 0\n"
    )
    p = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr


def test_every_kind_is_documented_in_the_rules_page():
    page = (REPO / "dedupe" / "check" / "rules.md").read_text("utf-8")
    for k in kinds.REGISTRY:
        assert f'<a id="{k.rule.lower()}"></a>' in page and f"`{k.name}`" in page, k.name


def test_a_toy_input_format_needs_only_its_reader_spec(tmp_path):
    env = _patched_package(
        tmp_path, "readers/formats.py",
        '    ReaderSpec("docx", ',
        '    ReaderSpec("toy", (".toy",), read_txt),\n    ReaderSpec("docx", ')
    work = tmp_path / "work"
    work.mkdir()
    (work / "draft.toy").write_bytes(SEED.read_bytes())
    r = _run(env, "scan", "draft.toy", "--format", "json", cwd=work)
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["clusters"]) == 2
    r = _run(env, "scan", work, "--format", "json", cwd=work)  # found by the directory walk
    assert r.returncode == 0 and len(json.loads(r.stdout)["clusters"]) == 2, r.stderr
    (work / "notes.pdf").write_bytes(b"%PDF-1.4")
    r = _run(env, "scan", "notes.pdf", cwd=work)
    assert r.returncode == 2 and ".toy" in r.stderr and "unsupported file type" in r.stderr
    empty = work / "empty"
    empty.mkdir()
    r = _run(env, "check", empty, cwd=work)
    assert r.returncode == 2 and "supported: .txt, .md, .html, .toy, .docx, .jsonl;" in r.stderr, r.stderr
    code = "from dedupe.readers import FORMATS, spec_for; assert 'toy' in FORMATS and not spec_for('a.toy').many"
    assert subprocess.run([sys.executable, "-c", code], env=env, cwd=work).returncode == 0


def test_the_reader_table_is_the_only_list_of_formats():
    from dedupe.readers import FORMATS as INPUT_FORMATS
    from dedupe.readers import SPECS, SUPPORTED_EXTENSIONS, format_for, spec_for
    from dedupe.readers.registry import READERS

    assert tuple(SPECS) == INPUT_FORMATS == tuple(READERS)
    assert all(READERS[n] is s.read for n, s in SPECS.items())
    for ext, name in SUPPORTED_EXTENSIONS.items():
        assert format_for(f"a{ext}") == name and spec_for(f"dir/a{ext.upper()}") is SPECS[name]
    assert [s.name for s in SPECS.values() if s.many] == ["jsonl"]
    assert [s.name for s in SPECS.values() if not s.byte_lines] == ["docx"]


def test_a_toy_setting_needs_only_its_table_entry(tmp_path):
    """One field in Settings: a flag of every engine and index command, a checked config key, stored in
    the baseline and the index (the implementation would read ``settings.toy_limit``)."""
    env = _patched_package(
        tmp_path, "config.py",
        "\n    def validate(self, source: str | None = None) -> Settings:",
        '    toy_limit: int = setting(5, "A toy limit.", low=1, high=9, commands=_BOTH,\n'
        '                             stored=frozenset({"index", "baseline"}))\n'
        "\n    def validate(self, source: str | None = None) -> Settings:")
    for cmd in (["scan"], ["check"], ["report"], ["review"], ["index", "add"], ["index", "rebuild"]):
        assert "--toy-limit INTEGER RANGE" in _run(env, *cmd, "--help").stdout, cmd
    work = tmp_path / "work"
    work.mkdir()
    (work / "a.txt").write_bytes(SEED.read_bytes())
    r = _run(env, "scan", "a.txt", "--toy-limit", "10", cwd=work)
    assert r.returncode == 2 and "--toy-limit" in r.stderr and "10" in r.stderr
    for body, words in (("toy-limit = 99", "toy-limit must be between 1 and 9, got 99"),
                        ('toy_limit = "x"', "toy-limit: expected int, got 'x'")):
        (work / ".dedupe.toml").write_text(body + "\n", "utf-8")
        r = _run(env, "scan", "a.txt", cwd=work)
        assert r.returncode == 2 and r.stderr.strip() == f"dedupe: error: {work / '.dedupe.toml'}: {words}", r.stderr
    (work / ".dedupe.toml").write_text("toy-limit = 3\n", "utf-8")
    r = _run(env, "check", "a.txt", "--update-baseline", cwd=work)
    assert r.returncode == 0, r.stderr
    assert json.loads((work / ".dedupe-baseline.json").read_text("utf-8"))["settings"]["toy_limit"] == 3
    r = _run(env, "index", "add", "a.txt", "--index", work / "ix", "--toy-limit", "4", cwd=work)
    assert r.returncode == 0, r.stderr
    r = _run(env, "index", "stats", "--index", work / "ix", "--format", "json", cwd=work)
    assert json.loads(r.stdout)["settings"]["toy_limit"] == 4
    r = _run(env, "index", "add", "a.txt", "--index", work / "ix", "--toy-limit", "5", cwd=work)
    assert r.returncode == 2 and "toy-limit=4" in r.stderr, r.stderr  # an index refuses other settings


def test_the_tables_reference_is_current():
    """docs/tables.md is generated from the tables (python scripts/tables_reference.py)."""
    p = subprocess.run([sys.executable, str(REPO / "scripts" / "tables_reference.py"), "--check"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
