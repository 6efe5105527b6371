"""Settings: defaults < config file < environment < command line, with sources and errors."""
from __future__ import annotations

from pathlib import Path

import pytest

from drumtabber.config import Config
from drumtabber.errors import ConfigError


def test_defaults_without_any_config_file(tmp_path):
    cfg = Config(cwd=tmp_path, env={})
    assert cfg["features.hop_length"] == 441 and cfg["features.n_mels"] == 250
    assert cfg.sources["tabs_dir"] == "default" and cfg.file is None
    assert cfg["training.classes"] == "onsets" and cfg["classes.scheme"] == "drumtabber"


def test_drumtabber_toml_env_and_flags_in_order(tmp_path):
    (tmp_path / "drumtabber.toml").write_text(
        'tabs_dir = "my_tabs"\n[features]\nhop_length = 512\nn_mels = 128\n')
    sub = tmp_path / "deeper"
    sub.mkdir()
    cfg = Config(cwd=sub, env={"DRUMTABBER_FEATURES__N_MELS": "80"},
                 overrides={"features.hop_length": 220})
    assert cfg["tabs_dir"] == tmp_path / "my_tabs"          # relative to the config file
    assert cfg["features.n_mels"] == 80
    assert cfg.sources["features.n_mels"] == "environment DRUMTABBER_FEATURES__N_MELS"
    assert cfg["features.hop_length"] == 220 and cfg.sources["features.hop_length"] == "command line"
    assert cfg.sources["tabs_dir"].endswith("drumtabber.toml line 1")


def test_pyproject_tool_table(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n[tool.drumtabber]\n'
                                             'default_meter = "6/8"\n')
    cfg = Config(cwd=tmp_path, env={})
    assert cfg["default_meter"] == "6/8" and "pyproject.toml line 4" in cfg.sources["default_meter"]


@pytest.mark.parametrize("content, message", [
    ('tab_dir = "x"\n', "unknown setting 'tab_dir'"),
    ('[features]\nhop_length = "fast"\n', "features.hop_length: expected int, found 'fast'"),
    ('default_meter = "four"\n', "expected a meter such as 4/4"),
    ('tabs_dir = \n', "not valid TOML"),
])
def test_bad_config_file_names_file_line_and_expectation(tmp_path, content, message):
    (tmp_path / "drumtabber.toml").write_text(content)
    with pytest.raises(ConfigError) as exc:
        Config(cwd=tmp_path, env={})
    assert message in str(exc.value) and "drumtabber.toml" in str(exc.value)


def test_bad_line_number_reported(tmp_path):
    (tmp_path / "drumtabber.toml").write_text('tabs_dir = "a"\n\n[features]\nhop_length = 1.5\n')
    with pytest.raises(ConfigError) as exc:
        Config(cwd=tmp_path, env={})
    assert exc.value.line == 4


def test_bad_environment_value():
    with pytest.raises(ConfigError, match=r"\$DRUMTABBER_TRAINING__EPOCHS.*expected int"):
        Config(cwd=Path("/"), env={"DRUMTABBER_TRAINING__EPOCHS": "many"})


def test_config_command_shows_values_and_sources(run_cli, tmp_path):
    cfg = tmp_path / "drumtabber.toml"
    cfg.write_text("[training]\nepochs = 3\n")
    code, out, _ = run_cli("--config", cfg, "config")
    assert code == 0
    line = next(l for l in out.splitlines() if l.startswith("training.epochs"))
    assert " 3 " in line and "drumtabber.toml line 2" in line
    classes = next(l for l in out.splitlines() if l.startswith("training.classes"))
    assert classes.split() == ["training.classes", "onsets", "(default)"]
    code, _, err = run_cli("--config", tmp_path / "missing.toml", "config")
    assert code == 1 and "config file not found" in err
