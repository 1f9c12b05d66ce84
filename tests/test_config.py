"""Configuration files: discovery, formats, validation, precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedupe.config import Settings, find_config, load_config, settings_from_mapping, with_overrides
from dedupe.errors import ConfigError


def write(p: Path, text: str) -> Path:
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_when_no_file(tmp_path):
    (tmp_path / ".git").mkdir()
    cfg = load_config(search_from=str(tmp_path))
    assert cfg.path is None and cfg.settings == Settings()


def test_pyproject_tool_dedupe(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n\n[tool.dedupe]\nthreshold = 0.8\nmin-words = 6\nexclude = ["archive/*"]\n')
    cfg = load_config(search_from=str(tmp_path))
    assert cfg.path == str(tmp_path / "pyproject.toml")
    assert cfg.settings.threshold == 0.8 and cfg.settings.min_words == 6
    assert cfg.get("exclude") == ["archive/*"]


def test_pyproject_without_table_is_skipped(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    write(tmp_path / "repo" / "pyproject.toml", '[project]\nname = "x"\n')
    assert find_config(tmp_path / "repo") is None


def test_dedupe_toml_top_level_and_table(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / ".dedupe.toml", 'containment = 0\nkinds = "repeated-quote, cross-article"\nfail-on = "warning"\n')
    cfg = load_config(search_from=str(tmp_path))
    assert cfg.settings.containment == 0.0
    assert cfg.settings.kinds == ("repeated-quote", "cross-article")
    assert cfg.get("fail-on") == "warning"
    write(tmp_path / ".dedupe.toml", "[tool.dedupe]\nngram = 4\n")
    assert load_config(search_from=str(tmp_path)).settings.ngram == 4


def test_dedupe_toml_wins_over_pyproject_and_parents_searched(tmp_path):
    (tmp_path / ".git").mkdir()
    write(tmp_path / "pyproject.toml", "[tool.dedupe]\nthreshold = 0.9\n")
    write(tmp_path / ".dedupe.toml", "threshold = 0.75\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    cfg = load_config(search_from=str(deep))
    assert cfg.path == str(tmp_path / ".dedupe.toml") and cfg.settings.threshold == 0.75


def test_search_stops_at_repository_root(tmp_path):
    write(tmp_path / ".dedupe.toml", "threshold = 0.75\n")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert find_config(tmp_path / "repo") is None


@pytest.mark.parametrize(
    "text,message",
    [
        ('threshold = "high"\n', "threshold: expected float"),
        ("min_words = 2.5\n", "min-words: expected int"),
        ("quotes = 1\n", "quotes: expected bool"),
        ("threshold = 1.5\n", "threshold must be in (0, 1]"),
        ("bogus = 1\n", "unknown setting 'bogus'"),
        ('kinds = ["nope"]\n', "unknown kind 'nope'"),
        ('boilerplate = ["(unclosed"]\n', "not a valid regular expression"),
        ("threshold = \n", "invalid TOML"),
        ("[tool]\ndedupe = 3\n", "must be a table"),
    ],
)
def test_bad_config_errors(tmp_path, text, message):
    p = write(tmp_path / ".dedupe.toml", text)
    with pytest.raises(ConfigError) as info:
        load_config(p)
    assert message in str(info.value)
    assert str(info.value).startswith(str(p) + ": ")


def test_missing_explicit_file(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.toml")


def test_overrides_win_and_none_ignored():
    base, _ = settings_from_mapping({"threshold": 0.9, "min-words": 5})
    s = with_overrides(base, threshold=0.6, min_words=None)
    assert s.threshold == 0.6 and s.min_words == 5
    with pytest.raises(ConfigError, match="command line"):
        with_overrides(base, ngram=0)


def test_band_plan():
    assert Settings(bands=16, rows=8).band_plan() == (16, 8)
    b, r = Settings().band_plan()
    assert b * r <= 128 and r >= 1
    with pytest.raises(ConfigError):
        Settings(bands=16, rows=0).validate()
    with pytest.raises(ConfigError):
        Settings(bands=32, rows=8).validate()
