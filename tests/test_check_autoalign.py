"""Alignment checks, --auto and --refine on audio we synthesise with known onset times.

The audio: decaying noise bursts (hi-hat/snare-like) and decaying 60 Hz tones (kick-like) at
the performed times of a tab we write, with human-like jitter, so the truth is known exactly.
"""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import soundfile

from drumtabber.audio import AudioError, load_audio

SR = 22050
TAB = "\n\n".join(["""\
HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-xxx-|
SD|----o-------o---|----o-------o---|----o-------o---|----o-------o-oo|
BD|o-------o-o-----|o-------o-o-----|o-------o-o-----|o-------o-o-----|
  |1e+a2e+a3e+a4e+a|1e+a2e+a3e+a4e+a|1e+a2e+a3e+a4e+a|1e+a2e+a3e+a4e+a|"""] * 2) + "\n"


def synth(times, kinds, duration, seed=0):
    rng = np.random.default_rng(seed)
    y = np.zeros(int(duration * SR))
    n = int(0.12 * SR)
    t = np.arange(n) / SR
    for at, kind in zip(times, kinds):
        burst = (np.sin(2 * np.pi * 60 * t) * np.exp(-t * 30) if kind == "kick"
                 else rng.standard_normal(n) * np.exp(-t * 60))
        i = int(round(at * SR))
        y[i:i + n] += 0.3 * burst[:len(y) - i]
    return y.astype(np.float32)


@pytest.fixture
def song(tmp_path, run_cli):
    """A tab, its alignment (100 BPM, first note at 1 s) and a recording with +/-12 ms jitter."""
    (tmp_path / "audio").mkdir()
    (tmp_path / "song.txt").write_text(TAB)
    head = 'tab = "song.txt"\n[audio]\nfile = "song.wav"\n'
    (tmp_path / "good.toml").write_text(head + "[tempo]\nbpm = 100\nfirst_note_s = 1.0\n")
    (tmp_path / "shifted.toml").write_text(head + "[tempo]\nbpm = 100\nfirst_note_s = 1.06\n")
    (tmp_path / "notempo.toml").write_text(head)
    code, out, _ = run_cli("align", tmp_path / "good.toml")
    rows = list(csv.DictReader(io.StringIO(out)))
    times = np.array([float(r["time"]) for r in rows])
    uniq = np.unique(times)
    jitter = dict(zip(uniq, np.random.default_rng(1).uniform(-0.012, 0.012, len(uniq))))
    performed = np.array([t + jitter[t] for t in times])
    y = synth(performed, [r["instrument"] for r in rows], times.max() + 2)
    soundfile.write(tmp_path / "audio" / "song.wav", y, SR)
    return tmp_path, np.sort(performed)


def onset_times(out):
    return np.sort([float(r["time"]) for r in csv.DictReader(io.StringIO(out))])


def test_check_verdicts_clicks_and_png(song, run_cli):
    folder, _ = song
    code, out, _ = run_cli("check", folder / "good.toml", "--audio-dir", folder / "audio",
                           "--format", "json", "--clicks", folder / "clicks.wav",
                           "--png", folder / "labels.png", "--bars", "2-3")
    report = json.loads(out)
    assert code == 0 and report["verdict"] == "good"
    assert report["overall"]["median_ms"] < 10 and report["overall"]["within_50"] == 1.0
    assert {f["family"] for f in report["families"]} == {"hihat", "kick", "snare"}
    clicks, rate = soundfile.read(folder / "clicks.wav")
    assert rate == 44100 and len(clicks) == pytest.approx(len(load_audio(
        folder / "audio" / "song.wav", sample_rate=44100)[0]))
    assert (folder / "labels.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out, _ = run_cli("check", folder / "shifted.toml", "--audio-dir", folder / "audio")
    assert code == 1 and "verdict: misaligned" in out
    code, _, err = run_cli("check", folder / "good.toml", "--audio-dir", folder / "audio",
                           "--png", folder / "labels.png")
    assert code == 1 and "exists (use --force" in err


def test_refine_recovers_the_performed_times(song, run_cli):
    """The generic refinement (no onset model: these noise bursts are no drum kit)."""
    folder, performed = song
    code, out, err = run_cli("align", folder / "shifted.toml", "--refine", "--audio-dir",
                             folder / "audio", "--model", "none")
    assert code == 0 and "median per-beat correction" in err
    errors = np.abs(onset_times(out) - performed)
    assert np.median(errors) < 0.004 and np.mean(errors < 0.020) > 0.95


def test_refine_rejects_a_song_that_does_not_match(song, run_cli):
    folder, _ = song
    noise = np.random.default_rng(0).standard_normal(SR * 24).astype(np.float32) * 0.01
    soundfile.write(folder / "audio" / "song.wav", noise, SR)
    code, _, err = run_cli("align", folder / "good.toml", "--refine", "--audio-dir",
                           folder / "audio")
    assert code == 1 and "refinement rejected" in err


def test_auto_estimates_tempo_and_first_note_and_writes_a_new_file(song, run_cli):
    folder, performed = song
    target = folder / "estimated" / "song.toml"          # another folder: tab path rewritten
    code, out, err = run_cli("align", folder / "notempo.toml", "--auto", "--audio-dir",
                             folder / "audio", "--write", target)
    assert code == 0 and "confidence" in err
    assert abs(onset_times(out)[0] - performed[0]) < 0.02
    text = target.read_text()
    bpm = float(text.split("bpm = ")[1].split()[0])
    assert abs(bpm - 100) < 0.5
    code, out2, _ = run_cli("align", target)
    assert code == 0 and np.allclose(onset_times(out2), onset_times(out), atol=1e-3)
    code, _, err = run_cli("align", folder / "notempo.toml", "--auto", "--audio-dir",
                           folder / "audio", "--write", target)
    assert code == 1 and "never overwrites" in err


@pytest.mark.parametrize("name, content, message", [
    ("missing.wav", None, "audio file not found"),
    ("broken.wav", b"RIFF\x00\x00\x00\x00WAVEjunk", "cannot decode audio"),
    ("song.aiffx", b"abc", "unsupported audio format"),
])
def test_bad_audio_files(tmp_path, name, content, message):
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(AudioError, match=message) as exc:
        load_audio(path)
    assert name in str(exc.value)


def test_check_with_missing_recording_is_a_clean_error(song, run_cli):
    folder, _ = song
    (folder / "audio" / "song.wav").unlink()
    code, _, err = run_cli("check", folder / "good.toml", "--audio-dir", folder / "audio")
    assert code == 1 and "DT208" in err and "Traceback" not in err


def test_drift_is_the_slope_of_the_per_beat_corrections(song):
    from drumtabber.alignment import load_song
    from drumtabber.alignment.estimate import estimate_drift
    from drumtabber.alignment.refine import refine_labels
    from drumtabber.audio.onsets import onset_activation
    from drumtabber.plugin_manager import PluginManager
    folder, performed = song
    # the recording at 100 BPM, the labels at 100.5 BPM: labels drift early by 0.5 %,
    # i.e. the corrections grow by 300 ms per minute
    (folder / "fast.toml").write_text('tab = "song.txt"\n[audio]\nfile = "song.wav"\n'
                                      "[tempo]\nbpm = 100.5\nfirst_note_s = 1.0\n")
    song, findings = load_song(folder / "fast.toml", PluginManager(entry_points=False))
    assert song is not None, findings
    samples, rate = load_audio(folder / "audio" / "song.wav")
    refined = refine_labels(song.onsets["time"].to_numpy(), song.tempo_map,
                            onset_activation(samples, rate))
    assert estimate_drift(refined) == pytest.approx(300, rel=0.15)


@pytest.mark.skipif(__import__("shutil").which("fluidsynth") is None,
                    reason="fluidsynth not installed (make setup installs it)")
def test_refine_does_not_spoil_a_good_alignment_of_a_sampled_kit(tmp_path, run_cli):
    """A tab rendered with a real kit and 12 ms of human timing: refinement must keep the
    labels at least as close to where the notes sound as the tab's grid puts them."""
    import mir_eval

    from conftest import ROOT
    alignment = ROOT / "alignments" / "example_shuffle.toml"
    (tmp_path / "audio").mkdir()
    code, _, _ = run_cli("render", alignment, "--kit", "avl-black-pearl", "--out",
                         tmp_path / "audio" / "example_shuffle.wav", "--onsets",
                         tmp_path / "truth.csv", "--humanize-ms", "12", "--seed", "1")
    assert code == 0
    truth = list(csv.DictReader((tmp_path / "truth.csv").open()))

    def f20(rows):
        hits = 0
        for inst in {r["instrument"] for r in truth}:
            ref = np.sort([float(r["time"]) for r in truth if r["instrument"] == inst])
            est = np.sort([float(r["time"]) for r in rows if r["instrument"] == inst])
            hits += len(mir_eval.util.match_events(ref, est, 0.020))
        return 2 * hits / (len(truth) + len(rows))

    _, plain, _ = run_cli("align", alignment)
    code, refined, _ = run_cli("align", alignment, "--refine", "--audio-dir", tmp_path / "audio")
    plain_f = f20(list(csv.DictReader(io.StringIO(plain))))
    refined_f = f20(list(csv.DictReader(io.StringIO(refined))))
    assert code == 0 and refined_f >= plain_f - 0.02 and refined_f > 0.9


needs_fluidsynth = pytest.mark.skipif(__import__("shutil").which("fluidsynth") is None,
                                      reason="fluidsynth not installed (make setup installs it)")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """example_shuffle rendered with the AVL Black Pearl kit and 5 ms of human timing."""
    from drumtabber.cli import main
    from conftest import ROOT
    folder = tmp_path_factory.mktemp("rendered")
    text = (ROOT / "alignments" / "example_shuffle.toml").read_text()
    text = text.replace('"../tabs/', f'"{ROOT}/tabs/')
    (folder / "good.toml").write_text(text)
    with pytest.raises(SystemExit) as exc:
        main(["render", str(folder / "good.toml"), "--kit", "avl-black-pearl", "--out",
              str(folder / "audio" / "example_shuffle.wav"), "--humanize-ms", "5"])
    assert exc.value.code in (0, None)
    return folder, text


@needs_fluidsynth
@pytest.mark.parametrize("change, verdict, refined", [
    (("first_note_s = 0.5", "first_note_s = 0.5"), "good", True),
    (("first_note_s = 0.5", "first_note_s = 0.54"), "misaligned", True),        # 40 ms late
    (("first_note_s = 0.5", "first_note_s = 1.125"), "misaligned", False),      # a beat late
    (("first_note_s = 0.5", "first_note_s = 0.8125"), "misaligned", False),     # an eighth
    (("bpm = 96", "bpm = 97"), "misaligned", False),                            # wrong tempo
])
def test_verdicts_and_refinement_on_a_rendered_song(rendered, run_cli, tmp_path, change,
                                                    verdict, refined):
    folder, text = rendered
    (tmp_path / "song.toml").write_text(text.replace(*change, 1))
    audio = folder / "audio"
    code, out, _ = run_cli("check", tmp_path / "song.toml", "--audio-dir", audio, "--format", "json")
    assert json.loads(out)["verdict"] == verdict and code == (0 if verdict == "good" else 1)
    code, _, err = run_cli("align", tmp_path / "song.toml", "--refine", "--audio-dir", audio)
    assert (code == 0) == refined, err
