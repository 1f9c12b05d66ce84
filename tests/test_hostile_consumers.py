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
