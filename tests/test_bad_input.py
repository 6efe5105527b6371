"""Bad input never crashes, hangs, eats memory or leaves a broken file: each family of fault
fed to the commands and library functions, with the error it must give."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
import soundfile

from conftest import ROOT
from drumtabber.alignment import load_alignment, load_song
from drumtabber.alignment.estimate import TempoEstimate, with_estimate
from drumtabber.alignment.files import write_alignment
from drumtabber.audio import AudioError, load_audio
from drumtabber.errors import DrumtabberError
from drumtabber.outputs import output_files, partial_path
from drumtabber.plugin_manager import PluginManager
from drumtabber.tempo import to_fraction

MANAGER = PluginManager(entry_points=False)
TAB = "HH|x-x-x-x-|x-x-x-x-|\nBD|o---o---|o---o---|\n"


def song_files(folder: Path, toml: str, tab: str = TAB, name: str = "song") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.txt").write_text(tab)
    path = folder / f"{name}.toml"
    path.write_text(f'tab = "{name}.txt"\n' + toml)
    return path


def codes(findings):
    return [f.code for f in findings]


# -- 1. outputs that are lost or unreadable ---------------------------------------------------
ESTIMATE = TempoEstimate(bpm=101.234, first_note_s=1.2345, confidence=3.0, beats_bpm=101.0)


@pytest.mark.parametrize("toml", [
    # tempo changes keep their own bpm and beat_unit
    '[tempo]\nbpm = 100\nbeat_unit = "1/8"\n[[tempo.change]]\nbar = 2\nbpm = 90\n'
    'beat_unit = "1/4"\n',
    "[tempo]   # a comment after the header\nbpm = 90\nfirst_note_s = 0.5\n",
    "[tempo]\nbpm = 90\nanchor = { bar = 1, beat = 0, time_s = 0.5 }\n",     # anchor replaced
    "tempo = { bpm = 90, first_note_s = 0.5 }\n",                              # inline table
    "",                                                                       # no [tempo] yet
])
def test_an_estimate_is_written_into_any_alignment_file(tmp_path, toml):
    path = song_files(tmp_path, toml + '[audio]\nfile = "song.wav"\n')
    alignment, _ = load_alignment(path)
    target = tmp_path / "out" / "new.toml"
    write_alignment(target, with_estimate(path.read_text(), alignment, ESTIMATE, target))
    written, findings = load_alignment(target)
    assert not [f for f in findings if f.severity.value == "error"], findings
    assert written.bpm == to_fraction(101.234) and written.first_note_s == to_fraction(1.2345)
    assert written.anchor is None and written.beat_unit == F(1, 4)
    assert [c.bpm for c in written.changes] == [c.bpm for c in alignment.changes]
    if "# a comment" in toml:
        assert "# a comment after the header" in target.read_text()
    song, findings = load_song(target, MANAGER)
    assert song is not None, findings


def test_an_alignment_that_does_not_load_back_is_not_written(tmp_path):
    target = tmp_path / "bad.toml"
    with pytest.raises(DrumtabberError, match="does not load back"):
        write_alignment(target, 'tab = "song.txt"\n[tempo]\nbpm = 0\n')
    assert not target.exists() and not list(tmp_path.iterdir())


def test_import_seed_writes_valid_toml_for_any_text(tmp_path, run_cli):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "tab.txt").write_text("HH|x-x-x-x-|\n")
    name = "Drum \U0001f941 Song \"quoted\" \\ back"
    (folder / f"{name}.json").write_text(json.dumps({
        "song": f"{name}.mp3", "tab_file": "tab.txt",
        "tab_char_labels": {"hi-hat \U0001f3b5": "HH"},
        "alignment_info": {"triplets": False, "tempo change": False, "BPM": 120,
                           "first drum note onset": 0.5}}))
    code, out, err = run_cli("import-seed", folder, "--out", tmp_path / "out")
    assert code == 0, err
    alignment, findings = load_alignment(tmp_path / "out" / f"{name}.toml")
    assert not findings and alignment.song == name and alignment.audio_file == f"{name}.mp3"
    assert alignment.labels == {"HH": "hi-hat \U0001f3b5"}


def test_outputs_appear_together_or_not_at_all(tmp_path):
    first, second = tmp_path / "a.wav", tmp_path / "sub" / "b.csv"
    first.write_text("the old file")
    with pytest.raises(RuntimeError):
        with output_files(first, second) as (p1, p2):
            p1.write_text("new")
            p2.write_text("new")
            raise RuntimeError("the job failed half way")
    assert first.read_text() == "the old file" and not second.exists()
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.wav"]
    with output_files(first, None, second) as (p1, none, p2):
        assert none is None
        p1.write_text("new")
        p2.write_text("new")
    assert first.read_text() == second.read_text() == "new"


def test_an_output_into_a_file_is_an_error_naming_it(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DrumtabberError) as exc:
        with output_files(blocker / "out.wav") as (p,):
            p.write_text("x")
    assert str(blocker / "out.wav") in str(exc.value)


def test_stale_partials_of_dead_processes_are_removed(tmp_path):
    target = tmp_path / "song.wav"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = tmp_path / f".song.{dead}.partial.wav"
    stale.write_bytes(b"RIFF" * 1000)
    stale_midi = tmp_path / f".song.{dead}.partial.mid"
    stale_midi.write_bytes(b"MThd")
    alive = tmp_path / f".song.{os.getppid()}.partial.wav"      # a process that still runs
    alive.write_bytes(b"RIFF")
    with output_files(target) as (p,):
        assert p == partial_path(target)
        p.write_text("done")
    assert not stale.exists() and not stale_midi.exists() and alive.exists()


def test_check_writes_clicks_and_png_or_neither(tmp_path, run_cli, monkeypatch):
    path = song_files(tmp_path, '[audio]\nfile = "song.wav"\n[tempo]\nbpm = 120\n'
                      'first_note_s = 0.5\n')
    (tmp_path / "audio").mkdir()
    rate = 22050
    samples = np.zeros(rate * 4, np.float32)
    for t in np.arange(0.5, 3.0, 0.25):
        samples[int(t * rate):int(t * rate) + 200] = np.random.default_rng(0).standard_normal(200)
    soundfile.write(tmp_path / "audio" / "song.wav", samples, rate)
    from drumtabber.audio import plots

    def broken_plot(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(plots, "plot_labels", broken_plot)
    code, _, err = run_cli("check", path, "--audio-dir", tmp_path / "audio", "--clicks",
                           tmp_path / "clicks.wav", "--png", tmp_path / "plot.png")
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert not (tmp_path / "clicks.wav").exists() and not (tmp_path / "plot.png").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name]


def test_render_leaves_no_wav_when_the_onsets_cannot_be_written(tmp_path, run_cli,
                                                                monkeypatch):
    path = song_files(tmp_path, "[tempo]\nbpm = 120\nfirst_note_s = 0.5\n")
    from drumtabber.dataset import render

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(render, "write_table", broken)
    code, _, err = run_cli("render", path, "--kit", "fluid-gm", "--out", tmp_path / "a.wav",
                           "--midi", tmp_path / "a.mid", "--onsets", tmp_path / "a.csv")
    assert code == 1 and "No space left" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["song.toml", "song.txt"]


def test_a_killed_render_leaves_no_renderer_running(tmp_path):
    long_tab = ("HH|" + "x-x-x-x-|" * 64 + "\n") * 60        # 15 minutes at 60 BPM
    path = song_files(tmp_path, "[tempo]\nbpm = 60\nfirst_note_s = 0.5\n", tab=long_tab)
    out = tmp_path / "long.wav"
    proc = subprocess.Popen([sys.executable, "-c", "from drumtabber.cli import main; main()",
                             "render", str(path), "--kit", "fluid-gm", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = None
    for _ in range(600):                          # wait until FluidSynth writes its partial
        partial = next((p for p in tmp_path.iterdir() if ".partial" in p.name and
                        p.suffix == ".wav" and ".long." in p.name), None)
        if partial is not None:
            break
        time.sleep(0.05)
    assert partial is not None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    size = partial.stat().st_size if partial.exists() else 0
    time.sleep(1.0)
    grown = partial.stat().st_size if partial.exists() else 0
    assert grown == size                          # nobody writes it any more
    assert not out.exists()
    short = song_files(tmp_path, "[tempo]\nbpm = 120\nfirst_note_s = 0.5\n", name="long")
    from drumtabber.dataset.render import render_alignment
    render_alignment(short, MANAGER, kit="fluid-gm", out_wav=out, force=True)
    assert out.is_file() and not [p for p in tmp_path.iterdir() if ".partial" in p.name]


# -- 2. bounded work for any input --------------------------------------------------------------
@pytest.mark.parametrize("toml, message", [
    ('[tempo]\nbpm = 120\n[[anchor]]\nbar = 1\nbeat = "1e99999999"\ntime_s = 1\n', "beat"),
    ('[tempo]\nbpm = 120\nfirst_note_s = "1e999999999"\n', "first_note_s"),
    ('[tempo]\nbpm = "1e-999999999"\n', "bpm"),
    ('[tempo]\nbpm = 120\nfirst_note_s = "1e100000"\n', "first_note_s"),
    ('[tempo]\nbpm = 120\nfirst_note_s = 1e300\n', "first_note_s"),
    ('[tempo]\nbpm = 120\noffset_s = "1/0"\n', "offset_s"),
    ("[tempo]\nbpm = " + "9" * 5000 + "\n", "not valid TOML"),
    ('[tempo]\nbpm = "' + "9" * 5000 + '"\n', "bpm"),
])
def test_out_of_range_numbers_are_refused_before_any_work(tmp_path, toml, message):
    _, findings = load_song(song_files(tmp_path, toml), MANAGER)
    assert any(f.code == "DT201" and message in f.message for f in findings), findings


def test_huge_numbers_in_seed_json(tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "tab.txt").write_text(TAB)
    (folder / "a.json").write_text(
        '{"song": "a.mp3", "tab_file": "tab.txt", "alignment_info": {"BPM": 120, '
        '"first drum note onset": "1e99999999", "tempo change": true, '
        '"tempo sections": [[64, NaN], [Infinity, 100]]}}')
    _, findings = load_alignment(folder / "a.json", MANAGER)
    assert findings and all(f.code == "DT201" for f in findings)
    assert any("first drum note onset" in f.message for f in findings)
    assert sum("tempo_sections" in f.message for f in findings) == 2
    (folder / "b.json").write_text('{"tab_file": "tab.txt", "alignment_info": {"BPM": '
                                   + "9" * 5000 + "}}")
    _, findings = load_alignment(folder / "b.json", MANAGER)
    assert codes(findings) == ["DT201"] and "not valid JSON" in findings[0].message


def test_thousands_of_tempo_changes_and_anchors(tmp_path):
    n = 3000
    toml = "[tempo]\nbpm = 120\nfirst_note_s = 0\n" + "".join(
        f"[[tempo.change]]\nbar = {k + 1}\nbpm = {100 + k % 50}\n" for k in range(n))
    song, findings = load_song(song_files(tmp_path, toml, tab="HH|x---|\n" * n), MANAGER)
    assert song is not None and len(song.onsets) == n, findings
    assert len(song.alignment.changes) == n


@pytest.mark.parametrize("kind", ["dev_zero", "fifo", "folder"])
def test_files_that_are_no_regular_files(tmp_path, kind, run_cli):
    path = tmp_path / "weird.txt"
    if kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    code, out, err = run_cli("show", path)
    assert code == 1 and "DT001" in err and ("regular file" in err or "folder" in err)
    if kind != "folder":                       # validate reads the files in a folder
        code, out, _ = run_cli("validate", path)
        assert code == 1 and "DT001" in out
    toml = tmp_path / "weird.toml"
    toml.symlink_to("/dev/zero")
    _, findings = load_alignment(toml)
    assert codes(findings) == ["DT001"] and "not a regular file" in findings[0].message
    aligned = song_files(tmp_path / "a", '[tempo]\nbpm = 120\n')
    aligned.write_text(f'tab = "{path}"\n[tempo]\nbpm = 120\n')
    _, findings = load_song(aligned, MANAGER)
    assert codes(findings) == ["DT202"] and "tab file not found" not in findings[0].message


def test_a_recording_that_is_a_device(tmp_path):
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "song.wav").symlink_to("/dev/zero")
    path = song_files(tmp_path, '[audio]\nfile = "song.wav"\nsha256 = "00"\n[tempo]\n'
                      'bpm = 120\n')
    _, findings = load_song(path, MANAGER, audio_dir=tmp_path / "audio")
    assert codes(findings) == ["DT208"] and "not a regular file" in findings[0].message
    with pytest.raises(AudioError, match="not a regular file"):
        load_audio(tmp_path / "audio" / "song.wav")


@pytest.mark.parametrize("text, message", [
    ("x = " + "[" * 100000 + "]" * 100000 + "\n", "nested too deeply"),
    (".".join(["a"] * 50000) + " = 1\n", "dotted parts"),
])
def test_deep_or_long_toml(tmp_path, text, message, run_cli):
    path = song_files(tmp_path, text)
    _, findings = load_alignment(path)
    assert codes(findings) == ["DT201"] and message in findings[0].message
    scheme = tmp_path / "scheme.toml"
    scheme.write_text(text)
    code, _, err = run_cli("classes", "--scheme-file", scheme)
    assert code == 1 and "DT301" in err and message in err
    config = tmp_path / "drumtabber.toml"
    config.write_text(text)
    code, _, err = run_cli("--config", config, "kits")
    assert code == 1 and message in err and "Traceback" not in err


def test_deeply_nested_json(tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "a.json").write_text("[" * 100000 + "]" * 100000)
    _, findings = load_alignment(folder / "a.json", MANAGER)
    assert codes(findings) == ["DT201"] and "nested too deeply" in findings[0].message


# -- 3. tracebacks that must become clear errors ------------------------------------------------
@pytest.mark.parametrize("sections", ["[[0, nan]]", "[[0, inf]]", "[[nan, 100]]",
                                      "[[inf, 100]]", "[[1.5, 100]]", "[[-1, 100]]"])
def test_bad_tempo_sections(tmp_path, sections, run_cli):
    path = song_files(tmp_path, f"[tempo]\nbpm = 120\nfirst_note_s = 0\n[seed]\n"
                      f"tempo_sections = {sections}\n")
    _, findings = load_song(path, MANAGER)
    assert "DT201" in codes(findings)
    code, out, err = run_cli("validate", tmp_path)
    assert code == 1 and "DT201" in out and "DT000" not in out


@pytest.mark.parametrize("ramp, code, message", [
    ("to_bpm = 1e-300", "DT205", "leaves 1-2000 BPM"),
    ("to_bpm = 5000", "DT205", "leaves 1-2000 BPM"),
    ("from_bpm = 1e300\nto_bpm = 1", "DT201", "from_bpm: expected a number"),
])
def test_ramps_to_absurd_tempi(tmp_path, ramp, code, message):
    path = song_files(tmp_path, "[tempo]\nbpm = 120\n[[tempo.ramp]]\nfrom_bar = 1\nto_bar = 2\n"
                      + ramp + "\n")
    _, findings = load_song(path, MANAGER)
    assert codes(findings) == [code] and message in findings[0].message


def test_audio_that_is_not_finite(tmp_path):
    path = tmp_path / "nan.wav"
    samples = np.zeros(8000, np.float32)
    samples[100] = np.nan
    soundfile.write(path, samples, 8000, subtype="FLOAT")
    with pytest.raises(AudioError, match="not finite"):
        load_audio(path)


def test_corrupt_mp3_is_not_called_missing(tmp_path):
    path = tmp_path / "bad.mp3"
    path.write_bytes(b"ID3" + b"\x00" * 100)
    with pytest.raises(AudioError) as exc:
        load_audio(path)
    assert "cannot decode audio" in str(exc.value) and "does not exist" not in str(exc.value)


@pytest.mark.parametrize("args", [["--humanize-ms", "inf"], ["--humanize-ms", "1e308"],
                                  ["--humanize-ms", "nan"], ["--humanize-velocity", "nan"],
                                  ["--seed", "-1"]])
def test_render_options_out_of_range(tmp_path, args, run_cli):
    path = song_files(tmp_path, "[tempo]\nbpm = 120\nfirst_note_s = 0.5\n")
    code, _, err = run_cli("render", path, "--kit", "fluid-gm", "--out", tmp_path / "x.wav",
                           *args)
    assert code == 2 and "Traceback" not in err and not (tmp_path / "x.wav").exists()


@pytest.mark.parametrize("value", ["inf", "nan", "0", "-5"])
def test_train_onsets_max_seconds(tmp_path, value, run_cli):
    code, _, err = run_cli("train-onsets", tmp_path, "--out", tmp_path / "model",
                           "--max-seconds", value)
    assert code == 2 and "--max-seconds" in err and not (tmp_path / "model").exists()


@pytest.mark.parametrize("pyproject, message", [
    ("[tool]\ndrumtabber = 5\n", "tool.drumtabber: expected a table"),
    ("tool = 5\n", "tool: expected a table"),
    ("[tool.drumtabber]\n[tool.drumtabber.features]\nhop_length = -1\n", "hop_length"),
    ("[tool.drumtabber.features]\nfmin = nan\n", "fmin"),
    ("[tool.drumtabber.features]\nsample_rate = 1000000000\n", "sample_rate"),
])
def test_bad_config_names_the_file(tmp_path, pyproject, message, monkeypatch, run_cli):
    (tmp_path / "pyproject.toml").write_text(pyproject)
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli("kits")
    assert code == 1 and message in err and "pyproject.toml" in err and "Traceback" not in err


@pytest.mark.parametrize("setting, args", [("[classes]\nscheme = \"nope\"\n", ["classes", "x"]),
                                           ("[training]\nbackend = \"nope\"\n", None)])
def test_an_unknown_configured_name_says_where_it_is_set(tmp_path, setting, args,
                                                         monkeypatch, run_cli):
    (tmp_path / "drumtabber.toml").write_text(setting)
    monkeypatch.chdir(tmp_path)
    if args is None:
        args = ["train-onsets", tmp_path, "--out", tmp_path / "m"]
    else:
        args = ["classes", "--tabs", ROOT / "tabs"]
    code, _, err = run_cli(*args)
    assert code == 2 and "nope" in err and "drumtabber.toml" in err


PLUGINS = {
    "raising": """
        from drumtabber.hookspecs import hookimpl
        @hookimpl
        def register_class_maps(register):
            raise RuntimeError("boom")
    """,
    "misnamed": """
        from drumtabber.hookspecs import hookimpl
        @hookimpl
        def register_class_maps(registrar):
            pass
    """,
    "exiting": """
        import sys
        sys.exit(0)
    """,
    "clashing": """
        from drumtabber.hookspecs import hookimpl
        @hookimpl
        def register_commands(app):
            @app.command("validate")
            def validate():
                print("not the real one")
    """,
}


@pytest.mark.parametrize("name, message", [("raising", "failed in register_class_maps"),
                                           ("misnamed", "does not fit"),
                                           ("exiting", "SystemExit"),
                                           ("clashing", "adds the command validate")])
def test_broken_plugins_are_named(tmp_path, name, message):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / f"{name}.py").write_text(textwrap.dedent(PLUGINS[name]))
    done = subprocess.run([sys.executable, "-c", "from drumtabber.cli import main; main()",
                           "--plugins-dir", str(folder), "validate", str(ROOT / "tabs")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert name in done.stderr and "Traceback" not in done.stderr


# -- 4. silent acceptance ---------------------------------------------------------------------
def test_a_toml_alignment_with_a_byte_order_mark(tmp_path):
    path = song_files(tmp_path, "[tempo]\nbpm = 120\nfirst_note_s = 0\n")
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    song, findings = load_song(path, MANAGER)
    assert song is not None and not findings


@pytest.mark.parametrize("toml, message", [
    ("audio = 5\n[tempo]\nbpm = 120\n", "audio: expected a table"),
    ("audio = [1]\n[tempo]\nbpm = 120\n", "audio: expected a table"),
    ("labels = 5\n[tempo]\nbpm = 120\n", "labels: expected a table"),
    ('seed = "x"\n[tempo]\nbpm = 120\n', "seed: expected a table"),
    ("tempo = 5\n", "tempo: expected a table"),
    ("[labels]\nG = 5\n[tempo]\nbpm = 120\n", "labels.G: expected the instrument"),
    ("[tempo]\nbpm = 120\n[[tempo.change]]\nbar = 2\nbpm = 100\n[[tempo.change]]\nbar = 2\n"
     "bpm = 90\n", "two tempo changes at bar 2"),
])
def test_wrong_types_are_findings(tmp_path, toml, message):
    _, findings = load_song(song_files(tmp_path, toml), MANAGER)
    assert any(f.code == "DT201" and message in f.message for f in findings), findings


def test_seed_json_values_of_the_wrong_type(tmp_path):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / "tab.txt").write_text(TAB)
    (folder / "a.json").write_text(json.dumps({
        "tab_file": "tab.txt", "audio_file": 5,
        "alignment_info": {"BPM": 120, "first drum note onset": 0}}))
    _, findings = load_alignment(folder / "a.json", MANAGER)
    assert any("audio_file: expected a string" in f.message for f in findings)


# -- long, silent and tiny recordings -------------------------------------------------------
def test_blocks_give_the_same_frames_as_the_whole_signal(monkeypatch):
    from drumtabber.audio import features, onsets
    rng = np.random.default_rng(0)
    samples = np.zeros(44100 * 20, np.float32)
    for t in rng.uniform(0.1, 19.5, 60):                 # noise bursts: onsets to find
        i = int(t * 44100)
        samples[i:i + 2000] += rng.standard_normal(2000).astype(np.float32) * 0.3
    whole = (onsets.onset_activation(samples, 44100), onsets.band_onset_envelopes(samples, 44100),
             onsets.fine_onset_envelope(samples, 44100),
             features.compute_features(samples, features.FeatureConfig()))
    monkeypatch.setattr(onsets, "BLOCK_FRAMES", 777)       # many blocks, odd sizes
    monkeypatch.setattr(onsets, "MADMOM_BLOCK_FRAMES", 333)
    blocks = (onsets.onset_activation(samples, 44100), onsets.band_onset_envelopes(samples, 44100),
              onsets.fine_onset_envelope(samples, 44100),
              features.compute_features(samples, features.FeatureConfig()))
    np.testing.assert_allclose(blocks[0], whole[0], atol=1e-6)
    for family in whole[1].curves:
        np.testing.assert_allclose(blocks[1].curves[family], whole[1].curves[family], atol=1e-6)
    np.testing.assert_allclose(blocks[2].values, whole[2].values, atol=1e-5)
    np.testing.assert_allclose(blocks[3], whole[3], atol=1e-6)
    assert whole[0].max() > 0.5                             # it did see the bursts


@pytest.fixture
def silent_song(tmp_path):
    path = song_files(tmp_path, '[audio]\nfile = "song.wav"\n[tempo]\nbpm = 120\n'
                      'first_note_s = 0.5\n')
    (tmp_path / "audio").mkdir()
    soundfile.write(tmp_path / "audio" / "song.wav", np.zeros(44100 * 8, np.int16), 44100,
                    subtype="PCM_16")
    return path, tmp_path / "audio"


def test_a_silent_recording_has_no_onsets(silent_song, run_cli):
    path, audio = silent_song
    code, out, err = run_cli("check", path, "--audio-dir", audio)
    assert code == 1 and "no onsets detected" in out and "inf" not in out
    code, out, err = run_cli("check", path, "--audio-dir", audio, "--format", "json")
    assert code == 1 and "Infinity" not in out and json.loads(out)["detected_onsets"] == 0
    code, out, err = run_cli("align", path, "--refine", "--model", "none", "--audio-dir", audio)
    assert code == 1 and "refinement rejected" in err and "Traceback" not in err
    assert "0 moved onto the audio" in err              # nothing moves onto silence
    code, _, err = run_cli("align", path, "--auto", "--audio-dir", audio)
    assert code == 1 and "no onsets in the recording" in err and "inf" not in err


def test_a_recording_too_short_to_estimate(tmp_path, run_cli):
    path = song_files(tmp_path, '[audio]\nfile = "song.wav"\n')
    (tmp_path / "audio").mkdir()
    soundfile.write(tmp_path / "audio" / "song.wav", np.zeros(1, np.float32), 8000)
    code, _, err = run_cli("align", path, "--auto", "--audio-dir", tmp_path / "audio")
    assert code == 1 and "too short to estimate" in err and "Traceback" not in err


@pytest.mark.slow
def test_an_hour_of_audio_checks_in_bounded_memory(tmp_path):
    """A one-hour silent recording checks with a peak resident memory under 2 GB (before,
    30 minutes took 8 GB).  About two minutes."""
    path = song_files(tmp_path, '[audio]\nfile = "song.wav"\n[tempo]\nbpm = 120\n'
                      'first_note_s = 0.5\n')
    (tmp_path / "audio").mkdir()
    soundfile.write(tmp_path / "audio" / "song.wav", np.zeros(44100 * 3600, np.int16), 44100,
                    subtype="PCM_16")
    code = ("import resource\n"
            "from drumtabber.cli import main\n"
            "try:\n"
            f"    main(['check', {str(path)!r}, '--audio-dir', {str(tmp_path / 'audio')!r}])\n"
            "finally:\n"
            "    print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 1 and "no onsets detected" in done.stdout, done.stderr[-2000:]
    peak_kb = int(done.stdout.split("peak")[-1])
    assert peak_kb < 2 * 2**20, f"{peak_kb / 2**20:.2f} GB"


def test_a_model_description_nested_too_deeply(tmp_path):
    from drumtabber.models import load_onset_model
    (tmp_path / "model.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DrumtabberError, match="nested too deeply"):
        load_onset_model(tmp_path, MANAGER)


def test_a_configured_tabs_dir_that_is_a_device(tmp_path, monkeypatch, run_cli):
    (tmp_path / "drumtabber.toml").write_text('tabs_dir = "/dev/zero"\nalignments_dir = "none"\n')
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("validate")
    assert code == 1 and "DT001" in out and "not a regular file" in out
