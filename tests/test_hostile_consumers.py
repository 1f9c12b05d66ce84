"""What reaches a consumer from a hostile pull request: secrets, forged workflow commands, raw controls,
numbers that are not numbers, boilerplate patterns that crash or hang, an oversized step summary, a rule
lowered by the tree's configuration.  Each case is run from the CLI as an attacker would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import invoke

REPEAT = ("The city council voted on Tuesday to approve the new budget for the coming year after a long debate "
          "in the chamber.")
OTHER = "Officials in the district said the new plan would cost about forty million dollars over ten years."


def _write(p: Path, data: str) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(data, encoding="utf-8")


# -- 1. credentials in index URLs, whatever characters they hold ----------------------------------------

SECRET_URLS = [
    ("redis://us er:pa ss@127.0.0.1:1/0", ("us er", "pa ss")),
    ("redis://us%20er:pa%20ss@127.0.0.1:1/0", ("us%20er", "pa%20ss", "us er", "pa ss")),
    ("rediss://admin:se cret@127.0.0.1:1/0", ("admin", "se cret")),
    ("redis://:pa/ss@127.0.0.1:1/0", ("pa/ss",)),
    ("redis://:pa#ss@127.0.0.1:1/0", ("pa#ss",)),
    ("redis://:p@ss word@127.0.0.1:1/0", ("p@ss word",)),
    ("redis://127.0.0.1:1/0?password=sec ret&name=x", ("sec ret",)),
    ("unix:///tmp/nosuch.sock?db=0&password=sec%20ret", ("sec ret", "sec%20ret")),
    ("unix://:sec%20ret@/tmp/nosuch.sock", ("sec ret", "sec%20ret")),
]


@pytest.mark.parametrize(("url", "secrets"), SECRET_URLS)
def test_display_url_redacts_the_whole_userinfo_and_password_parameters(url: str, secrets: tuple[str, ...]) -> None:
    from dedupe.errors import ArchiveIndexError
    from dedupe.safety import display_url, forget_secrets, redact

    forget_secrets()
    shown = display_url(url)
    for s in secrets:
        assert s not in shown, shown
        # a library's message quoting the secret in any spelling, after the location was shown once
        assert s not in redact(f"AUTH failed for {s} at 127.0.0.1"), s
        assert s not in str(ArchiveIndexError(f"cannot connect ({s})", url)), s
    assert "***" in shown and "127.0.0.1" in shown or "/tmp/nosuch.sock" in shown, shown
    forget_secrets()
    assert s not in redact(f"{url}: cannot connect"), url  # free text with no URL shown before


@pytest.mark.parametrize(("url", "secrets"), SECRET_URLS)
def test_no_command_prints_a_credential_of_an_unreachable_index(url: str, secrets: tuple[str, ...],
                                                               tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT + "\n")
    _write(tmp_path / ".dedupe.toml", f"index = {json.dumps(url)}\n")
    runs = [["index", "add", "a.txt", "--index", url], ["index", "stats", "--index", url],
            ["index", "stats", "--index", url, "--format", "json"], ["index", "stats"], ["index", "list"],
            ["check", "a.txt", "--against", url], ["check", "a.txt", "--against", url, "--format", "json"],
            ["scan", "a.txt", "--against", url], ["report", "a.txt", "--against", url, "-o", "r.html"]]
    for args in runs:
        r = invoke(*args, cwd=tmp_path, env={"DEDUPE_CONFIG": None})
        assert r.returncode == 2, (args, r.stderr)
        out = r.stdout + r.stderr
        for s in secrets:
            assert s not in out, (args, s, out)
        assert "***" in out, (args, out)


def test_a_password_with_spaces_is_redacted_in_stats_of_a_live_index(tmp_path: Path) -> None:
    from redis_servers import RedisServer

    server = RedisServer()
    try:
        server.client().config_set("requirepass", "pa ss wd")
        _write(tmp_path / "a.txt", REPEAT + "\n")
        _write(tmp_path / "b.txt", REPEAT + "\n")
        for url in (f"redis://:pa ss wd@127.0.0.1:{server.port}/1", f"redis://:pa%20ss%20wd@127.0.0.1:{server.port}/2",
                    f"redis://default:pa%20ss%20wd@127.0.0.1:{server.port}/3"):
            add = invoke("index", "add", "a.txt", "--index", url, cwd=tmp_path)
            assert add.returncode == 0, add.stderr  # a percent-encoded password is decoded, as redis-py does
            text = invoke("index", "stats", "--index", url, cwd=tmp_path)
            js = invoke("index", "stats", "--index", url, "--format", "json", cwd=tmp_path)
            check = invoke("check", "b.txt", "--against", url, "--format", "json", cwd=tmp_path)
            assert text.returncode == js.returncode == 0 and check.returncode == 1, (text.stderr, js.stderr)
            assert json.loads(js.stdout)["location"].startswith("redis://***@127.0.0.1:")
            for r in (add, text, js, check):
                out = r.stdout + r.stderr
                assert "pa ss" not in out and "pa%20ss" not in out and "ss wd" not in out, out
            assert "redis://***@127.0.0.1" in text.stdout
        wrong = invoke("index", "stats", "--index", f"redis://:wr ong@127.0.0.1:{server.port}/1", cwd=tmp_path)
        assert wrong.returncode == 2 and "wr ong" not in wrong.stderr and "***@" in wrong.stderr, wrong.stderr
    finally:
        server.stop()


# -- 2. record ids, titles and article text with controls: one neutralising path per consumer ----------

HOSTILE_TEXT = ("The city council voted on Tuesday \u202eto approve\x07 the new\n::error title=x::y budget \x1b[31m for "
                "the coming year after a long debate in the chamber.")


def _hostile_tree(d: Path) -> None:
    rec = {"id": "a\n::error::forged\u202e\x1b[2J", "title": "T\n::error::t\u202e\u2028", "text": REPEAT}
    _write(d / "x.jsonl", json.dumps(rec) + "\n" + json.dumps({"id": "b\n::warning::x", "text": REPEAT}) + "\n")
    _write(d / "a.txt", HOSTILE_TEXT + "\n")
    _write(d / "b.txt", HOSTILE_TEXT + "\n")
    _write(d / "c.html", f"<html><head><title>Ti\n::error::tle\u202e</title></head><body><p>{HOSTILE_TEXT}</p>"
                         "</body></html>\n")


def _assert_neutral(out: str, where: str, github: bool = False) -> None:
    import re

    for ln in out.split("\n"):
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2028\u2029]", ln), (where, ln)
        if github and ln.startswith(("::warning file=", "::error file=", "::notice file=")):
            continue
        assert not ln.lstrip().startswith("::"), (where, ln)


def _formats() -> list[str]:
    from dedupe.output.registry import CHECK_FORMATS

    return list(CHECK_FORMATS)


@pytest.mark.parametrize("fmt", _formats())
def test_every_check_format_neutralises_ids_titles_and_text(fmt: str, tmp_path: Path) -> None:
    d = tmp_path / "d"
    _hostile_tree(d)
    out = tmp_path / "out"
    r = invoke("check", d, "--format", fmt, cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # DD201 repeats: warnings
    _assert_neutral(r.stdout, fmt, github=fmt == "github")
    _assert_neutral(r.stderr, fmt)
    assert "forged" in r.stdout, r.stdout[:500]
    if fmt == "json":  # the same values (the raw article text), written as JSON escapes
        assert "\u202e" in json.dumps(json.loads(r.stdout), ensure_ascii=False)
    invoke("check", d, "--format", f"{fmt}={out / ('o.' + fmt)}", cwd=tmp_path)
    _assert_neutral((out / ("o." + fmt)).read_text(encoding="utf-8"), fmt, github=fmt == "github")


@pytest.mark.parametrize("args", [["scan"], ["scan", "--all"], ["scan", "--format", "json"], ["report"],
                                  ["report", "--format", "markdown"], ["check", "--format", "text"]])
def test_every_command_neutralises_ids_titles_and_text(args: list[str], tmp_path: Path) -> None:
    d = tmp_path / "d"
    _hostile_tree(d)
    r = invoke(args[0], d, *args[1:], cwd=tmp_path)
    assert r.returncode in (0, 1), r.stderr
    _assert_neutral(r.stdout, " ".join(args))
    _assert_neutral(r.stderr, " ".join(args))
    assert "\\u202e" in r.stdout or "\\\\u202e" in r.stdout, r.stdout[:300]


def test_reports_written_to_files_are_neutral(tmp_path: Path) -> None:
    d = tmp_path / "d"
    _hostile_tree(d)
    for name in ("r.html", "r.md"):
        r = invoke("report", d, "-o", tmp_path / name, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        text = (tmp_path / name).read_text(encoding="utf-8")
        _assert_neutral(text, name)
        assert "\\u202e" in text and "forged" in text


def test_index_commands_neutralise_record_ids(tmp_path: Path) -> None:
    d = tmp_path / "d"
    _hostile_tree(d)
    ix = tmp_path / "ix"
    for args in (["index", "add", d, "--index", ix], ["index", "list", "--index", ix],
                 ["index", "stats", "--index", ix], ["check", d / "a.txt", "--against", ix]):
        r = invoke(*args, cwd=tmp_path)
        assert r.returncode in (0, 1), (args, r.stderr)
        _assert_neutral(r.stdout + r.stderr, str(args[:2]))


# -- 3. article text that starts a line with "::" (after spaces or tabs) -----------------------------------

@pytest.mark.parametrize("lead", ["", "  ", "\t", " \t ", "\u3000", "\u00a0"])
def test_article_text_never_starts_a_workflow_command(lead: str, tmp_path: Path) -> None:
    line = f"{lead}::error title=x::y then the mayor said the council would meet again on Friday to vote."
    _write(tmp_path / "a.txt", f"{line}\n\n{line}\n")
    _write(tmp_path / "b.txt", f"{line}\n\n{OTHER}\n")
    for args in (["scan", "."], ["scan", ".", "--all"], ["check", "."], ["check", ".", "--format", "github"],
                 ["check", ".", "--format", "markdown"], ["check", ".", "--format", "junit"],
                 ["report", ".", "--format", "markdown"], ["report", "."],
                 ["index", "add", ".", "--index", tmp_path / "ix"]):
        r = invoke(*args, cwd=tmp_path)
        assert r.returncode in (0, 1), (args, r.stderr)
        _assert_neutral(r.stdout + r.stderr, str(args), github="github" in args)
    assert "\\::error title=x::y" in invoke("scan", ".", cwd=tmp_path).stdout


def test_defuse_commands_rule() -> None:
    from dedupe.safety import defuse_commands

    assert defuse_commands("a\n  ::error::x\n\t::w\n::e\n\x1b[32m::y") == "a\n  \\::error::x\n\t\\::w\n\\::e\n\x1b[32m\\::y"
    assert defuse_commands("::warning file=a::x\n  ::e", keep_commands=True) == "::warning file=a::x\n  \\::e"
    assert defuse_commands("a :: b") == "a :: b"


# -- 4. numbers that are not numbers ------------------------------------------------------------------------

def _float_keys() -> list[str]:
    from dedupe.config import SETTING_KEYS

    return [k.dashed for k in SETTING_KEYS.values() if k.type == "float"]


@pytest.mark.parametrize("value", ["nan", "NaN", "-nan", "inf", "-inf", "1e999", "2", "-1"])
@pytest.mark.parametrize("key", _float_keys())
def test_a_float_setting_must_be_a_finite_number_in_range(key: str, value: str, tmp_path: Path) -> None:
    from dedupe.config import SETTING_KEYS

    k = next(k for k in SETTING_KEYS.values() if k.dashed == key)
    _write(tmp_path / "a.txt", REPEAT + "\n")
    runs = []
    if k.commands:
        runs.append((["scan", "a.txt", f"--{key}", value], None))
        runs.append((["index", "add", "a.txt", "--index", "ix", f"--{key}", value], None) if "index" in k.commands
                    else (["check", "a.txt", f"--{key}", value], None))
    toml = {"nan": "nan", "NaN": "nan", "-nan": "-nan", "inf": "inf", "-inf": "-inf", "1e999": "1e999"}.get(value, value)
    runs.append((["check", "a.txt", "--format", "json"], f"{key} = {toml}\n"))
    for args, config in runs:
        if config is not None:
            _write(tmp_path / ".dedupe.toml", config)
        r = invoke(*args, cwd=tmp_path)
        (tmp_path / ".dedupe.toml").unlink(missing_ok=True)
        assert r.returncode == 2, (args, config, r.stdout, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and key in r.stderr, r.stderr
        assert "nan" not in r.stdout.lower(), r.stdout
    assert not (tmp_path / "ix").exists()


def test_minus_zero_is_zero(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT + "\n")
    for run in (["check", "a.txt", "--format", "json", "--containment", "-0"], ["check", "a.txt", "--format", "json"]):
        if len(run) == 4:
            _write(tmp_path / ".dedupe.toml", "containment = -0.0\n")
        r = invoke(*run, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert '"containment": -0.0' not in r.stdout and '"containment": 0.0' in r.stdout, r.stdout[-800:]


# -- 5. boilerplate patterns with inline flags ----------------------------------------------------------------

def test_a_boilerplate_pattern_with_inline_flags_works(tmp_path: Path) -> None:
    _write(tmp_path / "a.txt", REPEAT + "\n")
    _write(tmp_path / "b.txt", REPEAT + "\n")
    _write(tmp_path / ".dedupe.toml", 'boilerplate = ["(?i)^the city council voted", "(?m)^Reporting by"]\n')
    r = invoke("check", "a.txt", "b.txt", cwd=tmp_path)
    assert r.returncode == 0 and "unexpected" not in r.stderr, r.stderr
    assert "2 units suppressed by boilerplate" in r.stdout + r.stderr, r.stdout


# -- 7. the step summary fits a comment --------------------------------------------------------------------

def test_the_step_summary_is_capped_like_a_comment_with_the_cut_counted(tmp_path: Path) -> None:
    from dedupe.output.ci import COMMENT_MAX_CHARS

    d = tmp_path / "d"
    for i in range(150):
        body = (f"The city council voted on Tuesday to approve the new budget number {i} for the coming year after "
                f"a long debate.\n\nOfficials in district {i} said the new plan would cost about forty million "
                "dollars over ten years, the mayor said.\n")
        _write(d / f"a{i}.txt", body)
        _write(d / f"b{i}.txt", body)
    summary = tmp_path / "summary.md"
    r = invoke("check", d, "--format", "github", cwd=tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1, r.stderr
    text = summary.read_text(encoding="utf-8")
    assert len(text) <= COMMENT_MAX_CHARS, len(text)
    assert "not shown" in text or "not listed" in text or "not detailed" in text, text[-500:]


# -- 8. a rule lowered by the tree's configuration is said in the verdict ---------------------------------

def test_a_rule_lowered_by_the_config_is_said_in_the_verdict(tmp_path: Path) -> None:
    _write(tmp_path / "r.txt", f"{REPEAT}\n\n{REPEAT}\n")
    _write(tmp_path / ".dedupe.toml", 'rules = {DD101 = "note"}\n')
    r = invoke("check", "r.txt", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "rules lowered: DD101 error -> note" in r.stdout + r.stderr, r.stdout + r.stderr
