"""The drumtabber-data commands on real tabs: output formats and exit codes."""
from __future__ import annotations

import csv
import io
import json

from conftest import SHARED_TABS


def test_validate_real_tabs_exit_zero_with_warnings(run_cli):
    code, out, err = run_cli("validate", SHARED_TABS)
    assert code == 0
    assert "ug_edge_cases.txt:28:1: DT109 warning:" in out
    assert "0 error(s), 1 warning(s)" in err


def test_validate_json_lists_findings_with_all_fields(run_cli, tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("HH|x-x-x-x-|\nZQ|o---o---|\nSD|--o-?-o-|\n")
    code, out, _ = run_cli("validate", "--format", "json", bad)
    assert code == 1
    findings = json.loads(out)
    assert [(f["line"], f["column"], f["code"], f["severity"]) for f in findings] == [
        (2, 1, "DT101", "error"), (3, 8, "DT103", "error")]
    assert findings[0]["path"] == str(bad)


def test_validate_usage_errors_exit_two(run_cli):
    assert run_cli("validate", "--format", "xml", SHARED_TABS)[0] == 2
    assert run_cli("validate", "--no-such-flag")[0] == 2


def test_validate_uses_configured_tabs_dir(run_cli, tmp_path, monkeypatch):
    (tmp_path / "tabs").mkdir()
    (tmp_path / "tabs" / "a.txt").write_text("HH|x-x-x-k-|\n")
    (tmp_path / "drumtabber.toml").write_text('tabs_dir = "tabs"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("validate")
    assert code == 1 and "a.txt:1:10: DT103" in out


def test_show_csv_columns_and_fraction_beats(run_cli):
    code, out, _ = run_cli("show", SHARED_TABS / "forever_at_last_tab.txt")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:8] == ["bar", "beat", "instrument", "gm_note", "articulation",
                                 "velocity", "line", "column"]
    bar4 = [(r["beat"], r["instrument"], r["gm_note"]) for r in rows if r["bar"] == "4"]
    assert ("1/6", "tom_low_mid", "47") in bar4 and ("5/6", "kick", "36") in bar4


def test_show_json_and_tab(run_cli):
    code, out, _ = run_cli("show", "--format", "json", SHARED_TABS / "tabtomidi_repetition_4x.txt")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 32 and {r["repeat_pass"] for r in rows} == {1, 2, 3, 4}
    code, out, _ = run_cli("show", "--format", "tab", SHARED_TABS / "tabtomidi_simple_4_4_beat.txt")
    assert code == 0 and "BPM: 100" in out and "|1e+a2e+a3e+a4e+a|" in out


def test_show_bad_input(run_cli, tmp_path):
    code, _, err = run_cli("show", tmp_path / "missing.txt")
    assert code == 1 and "missing.txt:1:1: DT001 error: cannot read file" in err
    code, _, err = run_cli("show", "--parser", "nope", SHARED_TABS / "ug_edge_cases.txt")
    assert code == 2 and "unknown tab parser 'nope'; valid names: ascii" in err
    code, _, err = run_cli("show", "--format", "yaml", SHARED_TABS / "ug_edge_cases.txt")
    assert code == 2


def test_plugins_lists_builtin_parser(run_cli):
    code, out, _ = run_cli("plugins")
    assert code == 0 and "ascii_tab 0.1.0  [builtin]" in out and "tab_parser: ascii" in out
    assert "tab_writer: ascii" in out              # the ASCII writer is a component of its own
    code, out, _ = run_cli("plugins", "--format", "json")
    ascii_tab = next(p for p in json.loads(out) if p["name"] == "ascii_tab")
    assert ascii_tab["components"] == {"tab_parser": ["ascii"], "tab_writer": ["ascii"]}


def test_plugins_kind_lists_descriptions_stages_and_options(run_cli):
    code, out, _ = run_cli("plugins", "--kind", "augmenter")
    assert code == 0
    assert "humanize [score]: " in out and "bin-dropout [features]: " in out
    assert "    share: float = 0.05" in out and "mp3 [audio]: MP3 encoding" in out
    code, out, _ = run_cli("plugins", "--kind", "augmenter", "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["gain"]["options"][0] == {"name": "min_gain_db", "type": "float",
                                          "default": -12.0}
    code, _, err = run_cli("plugins", "--kind", "nope")
    assert code == 2 and "expected one of tab_parser" in err


def test_missing_plugins_dir_is_a_usage_error(run_cli, tmp_path):
    code, _, err = run_cli("--plugins-dir", tmp_path / "nope", "plugins")
    assert code == 2 and "plugins folder not found" in err


def test_outputs_are_checked_before_any_work(run_cli, tmp_path):
    from conftest import ROOT
    alignment = ROOT / "alignments" / "example_shuffle.toml"
    (tmp_path / "afile").write_text("keep")
    (tmp_path / "plot.png").write_text("keep")
    cases = [
        (("render", alignment, "--kit", "fluid-gm", "--out", tmp_path / "afile" / "x.wav"),
         1, "is a file, not a folder"),
        (("render", alignment, "--kit", "fluid-gm", "--out", tmp_path / "song.mp3"),
         2, "expected a file ending in .wav"),
        (("render", alignment, "--kit", "fluid-gm", "--out", tmp_path), 2, "expected a file"),
        (("classes", "adtof", "--tabs", ROOT / "tabs", "--png", tmp_path / "plot.png"),
         1, "exists (use --force"),
        (("classes", "adtof", "--tabs", ROOT / "tabs", "--png", tmp_path / "plot"),
         2, "expected a file ending in .png"),
        (("check", alignment, "--png", tmp_path / "plot"), 2, "expected a file ending in .png"),
        (("import-seed", tmp_path, "--out", tmp_path / "afile"), 1, "no .json files"),
    ]
    for args, code, message in cases:
        got, _, err = run_cli(*args)
        assert (got, message in err, "Traceback" in err) == (code, True, False), (args, err)
    assert (tmp_path / "afile").read_text() == "keep"
    assert (tmp_path / "plot.png").read_text() == "keep"


def test_validate_skips_config_and_build_folders(run_cli, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "x.egg-info").mkdir()
    (tmp_path / "x.egg-info" / "SOURCES.txt").write_text("drumtabber/cli.py\n")
    (tmp_path / "song.txt").write_text("HH|x-x-x-x-|\n")
    code, out, _ = run_cli("validate", "--format", "json", tmp_path)
    assert code == 0 and json.loads(out) == []
