"""Drum onset models: the keras-cnn backend, model folders, training from rendered MIDI, and
label placement by a model in ``refine_labels``."""
from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from drumtabber.alignment.refine import (MODEL_PEAK_MIN, MODEL_WINDOW_S, ModelActivations,
                                         place_by_model)
from drumtabber.audio.onsets import activation_peaks
from drumtabber.errors import DrumtabberError
from drumtabber.models.onset_model import load_onset_model
from drumtabber.plugin_manager import PluginManager

GROOVE = ROOT.parent / "shared" / "data" / "groove-midi"
needs_fluidsynth = pytest.mark.skipif(shutil.which("fluidsynth") is None,
                                      reason="fluidsynth not installed (make setup installs it)")


MANAGER = PluginManager(entry_points=False)


def bundled_model_path() -> Path:
    """The model folder that ships with the built-in plugins (plugin drum_onsets)."""
    return MANAGER.get("model", "bundled").path


def groove_performances(split, n, **only):
    """Groove MIDI Dataset performances of one split, beats only (as training takes them)."""
    from drumtabber.dataset.examples import list_performances
    return list_performances(GROOVE, MANAGER, split=split, n=n, kind="beat", **only)


def train_midi_folder(tmp_path, n):
    """A folder of ``n`` Groove train-split beats (what `train` is pointed at)."""
    midi = tmp_path / "midi"
    midi.mkdir()
    for info in groove_performances("train", n):
        shutil.copy(info["midi_path"], midi / info["midi_path"].name)
    return midi


@pytest.fixture(scope="module")
def manager():
    return MANAGER


@pytest.fixture(scope="module")
def bundled(manager):
    return load_onset_model("bundled", manager)


def curve_with_peaks(n, fps, peaks):
    """An activation curve with triangular peaks {time: height} three frames wide."""
    curve = np.zeros(n, dtype=np.float32)
    for t, h in peaks.items():
        i = int(round(t * fps))
        curve[i] = max(curve[i], h)
        curve[i - 1] = max(curve[i - 1], h / 2)
        curve[i + 1] = max(curve[i + 1], h / 2)
    return curve


def test_activation_peaks_are_local_maxima_above_the_minimum_with_subframe_times():
    curve = np.array([0, 0.2, 0.8, 0.4, 0, 0.04, 0.02, 0, 0.5, 0.5, 0.1, 0], dtype=float)
    times, heights = activation_peaks(curve, 100.0, 0.05)
    assert list(heights) == [0.8, 0.5]
    # parabola through 0.2, 0.8, 0.4: vertex 0.5 * (0.2 - 0.4) / (0.2 - 1.6 + 0.4) = +0.1 frame
    assert times[0] == pytest.approx(0.021) and 0.08 <= times[1] <= 0.09
    # a hit on the very first or last frame is a peak too; NaN is no peak
    times, _ = activation_peaks(np.array([0.9, 0.3, np.nan, 0.1, 0.6]), 100.0, 0.05)
    assert times[0] == pytest.approx(0.0, abs=0.005) and times[-1] == pytest.approx(0.04, abs=0.005)


def test_place_by_model_keeps_order_and_leaves_labels_without_a_peak():
    fps = 100.0
    acts = np.zeros((400, 2), dtype=np.float32)
    # class 0: a flam (grace note 30 ms before a loud stroke) and a lone hit
    acts[:, 0] = curve_with_peaks(400, fps, {1.00: 0.4, 1.03: 0.9, 2.00: 0.7})
    # class 1: one peak too weak, one too far from its label
    acts[:, 1] = curve_with_peaks(400, fps, {1.50: MODEL_PEAK_MIN / 2,
                                             3.00 + MODEL_WINDOW_S + 0.02: 0.9})
    # class 0 again: two hits written at one time (crash and china) and a stroke 50 ms later
    acts[:, 0] += curve_with_peaks(400, fps, {3.50: 0.8, 3.55: 0.8})
    shifted = np.array([1.012, 1.02, 1.99, 1.51, 3.0, 2.5, 3.51, 3.51])
    classes = [0, 0, 0, 1, 1, -1, 0, 0]
    refined = shifted.copy()
    placed = place_by_model(refined, shifted, ModelActivations(acts, fps, np.array(classes)))
    # both strokes of the flam land on their own peaks, in order, although both labels are
    # nearer the loud one; the lone hit moves to its peak
    assert refined[:3] == pytest.approx([1.00, 1.03, 2.00], abs=0.002)
    assert list(placed > 0) == [True, True, True, False, False, False, True, True]
    assert placed[:3] == pytest.approx([0.4, 0.9, 0.7], abs=0.05)       # the peaks' heights
    assert list(refined[3:6]) == list(shifted[3:6])
    # the two labels at one time are one stroke: neither runs off to the next one
    assert refined[6:] == pytest.approx([3.50, 3.50], abs=0.002)


def test_place_by_model_on_a_long_song_is_split_and_still_exact():
    """Ten minutes of sixteenth notes (4,800 labels of one class, more than MATCH_PIECE in one
    run): every label lands on its own stroke, played up to 25 ms off the grid."""
    from drumtabber.alignment.refine import MATCH_PIECE, _pieces
    fps, n = 100.0, 4800
    grid = 1.0 + np.arange(n) * 0.125
    rng = np.random.default_rng(3)
    played = grid + rng.uniform(-0.025, 0.025, n)
    frames = int((played[-1] + 1) * fps)
    acts = np.zeros((frames, 1), dtype=np.float32)
    for t, h in zip(played, rng.uniform(0.3, 1.0, n)):
        i = int(round(t * fps))
        acts[i - 1:i + 2, 0] = np.maximum(acts[i - 1:i + 2, 0], [h / 2, h, h / 2])
    assert len(_pieces(grid)) > n // MATCH_PIECE
    refined = grid.copy()
    placed = place_by_model(refined, grid, ModelActivations(acts, fps, np.zeros(n, dtype=int)))
    assert placed.all()
    assert np.abs(refined - played).max() < 0.006          # the frame grid's resolution


def test_bundled_model_is_described_and_loads(bundled):
    meta = json.loads((bundled_model_path() / "model.json").read_text())
    assert meta["backend"] == "keras-cnn" and meta["classes"] == bundled.classes
    assert bundled.classes == ["kick", "snare", "tom", "hihat", "hihat_pedal", "cymbal", "ride"]
    assert meta["info"]["kits"] == ["fluid-gm", "timgm6mb", "avl-black-pearl", "avl-red-zeppelin"]
    assert bundled.class_index("hihat_pedal") == 4 and bundled.class_index("cowbell") == -1


@needs_fluidsynth
def test_bundled_model_finds_the_hits_of_a_performance_it_never_heard(bundled, tmp_path):
    """A Groove test-split performance (the model trained on the train split) rendered with
    AVL Black Pearl: peaks of kick, snare and hi-hat activations above 0.3 transcribe those
    classes (F-measure at 20 ms), and every class has a peak of at least MODEL_PEAK_MIN at
    nearly every one of its onsets (what the refinement looks for; the soft pedal hi-hat
    peaks lower than the rest)."""
    import mir_eval

    from drumtabber.audio import load_audio
    from drumtabber.classes import map_onset_rows
    from drumtabber.dataset.examples import read_performance, render_performance
    from drumtabber.score import Instrument
    performances = (read_performance(info["midi_path"], MANAGER)
                    for info in groove_performances("test", None, meter="4/4", max_seconds=60))
    performance = next(p for p in performances       # the first with hi-hat and pedal hi-hat
                       if all(sum(e.instrument is i for e in p.score.events) >= 20
                              for i in (Instrument.HIHAT_CLOSED, Instrument.HIHAT_PEDAL)))
    rows = render_performance(performance, MANAGER.get("kit", "avl-black-pearl"),
                              tmp_path / "a.wav")
    samples, rate = load_audio(tmp_path / "a.wav")
    acts = bundled.activations(samples, rate)
    rows = map_onset_rows(bundled.class_map, rows, None)
    transcribed, found = {}, {}
    for c, name in enumerate(bundled.classes):
        ref = np.sort(rows.loc[rows["class"] == name, "time"].to_numpy())
        if len(ref) < 10:
            continue
        est, _ = activation_peaks(acts[:, c], bundled.features.fps, 0.3)
        transcribed[name] = mir_eval.onset.f_measure(ref, est, window=0.020)[0]
        est, _ = activation_peaks(acts[:, c], bundled.features.fps, MODEL_PEAK_MIN)
        found[name] = mir_eval.onset.f_measure(ref, est, window=0.020)[2]      # recall
    assert set(found) >= {"kick", "snare", "hihat", "hihat_pedal"}
    assert all(transcribed[c] > 0.9 for c in ("kick", "snare", "hihat")), transcribed
    assert all(r >= 0.9 for r in found.values()), found


def test_model_folder_round_trip(bundled, manager, tmp_path):
    bundled.save(tmp_path / "copy")
    again = load_onset_model(tmp_path / "copy", manager)
    features = np.random.default_rng(0).random((300, bundled.features.n_mels), dtype=np.float32)
    assert np.allclose(bundled.backend.predict(bundled.network, features),
                       again.backend.predict(again.network, features), atol=1e-6)
    assert again.features == bundled.features and again.scheme == bundled.scheme


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "model.json").unlink(), "no onset model here"),
    (lambda d: (d / "model.json").write_text("{not json"), "not a model description"),
    (lambda d: (d / "model.json").write_text('{"format": "x"}'), "not a drumtabber onset model"),
    (lambda d: _edit(d, version=99), "format version 99"),
    (lambda d: _edit(d, backend="nope"), "unknown model backend 'nope'"),
    (lambda d: _edit(d, features={"kind": "fft"}), "features.kind"),
    (lambda d: (d / "weights.keras").unlink(), "weights file weights.keras is missing"),
    (lambda d: (d / "weights.keras").write_bytes(b"\0garbage"), "cannot load the Keras model"),
    (lambda d: _edit(d, scheme="[classes]\nx = ['no_such_drum']\n"), "class scheme is broken"),
    (lambda d: _edit(d, scheme=5), "mistypes 'scheme' and 'weights'"),
    (lambda d: _edit(d, features={"kind": "mel", "hop_length": 0}),
     "the model's feature settings: features.hop_length"),
    (lambda d: _edit(d, features={"kind": "mel", "n_mels": 40, "n_fft": 1024}),
     "the network does not take the model's 40 feature bands"),
    (lambda d: _edit(d, scheme=_more_classes(d)), "the listed classes"),
    (lambda d: _edit(d, scheme=_more_classes(d), classes=None),
     "gives 7 activations per frame; the class scheme has 8 classes"),
])
def test_broken_model_folders_are_clear_errors(tmp_path, manager, damage, message):
    folder = tmp_path / "m"
    shutil.copytree(bundled_model_path(), folder)
    damage(folder)
    with pytest.raises(Exception) as exc:
        load_onset_model(folder, manager)
    assert message in str(exc.value)


def _edit(folder: Path, **changes):
    meta = json.loads((folder / "model.json").read_text())
    meta.update(changes)
    meta = {k: v for k, v in meta.items() if v is not None}
    (folder / "model.json").write_text(json.dumps(meta))


def _more_classes(folder: Path) -> str:
    scheme = json.loads((folder / "model.json").read_text())["scheme"]
    return scheme.replace("[drop]\nfamilies = [\"percussion\"]\n",
                          "perc = { families = [\"percussion\"] }\n")


@needs_fluidsynth
def test_train_onsets_command_trains_a_model_that_refine_uses(tmp_path, run_cli):
    """Two Groove files rendered with one kit, twice each through the seed chain, a small
    network, two epochs: the command writes a model folder, `align --refine --model` loads
    and uses it."""
    midi = train_midi_folder(tmp_path, 2)
    code, _, err = run_cli("train-onsets", midi, "--out", tmp_path / "model", "--kits",
                           "fluid-gm", "--max-seconds", "8", "-o", "filters=4", "-o", "dense=16",
                           "-o", "epochs=2", "-o", "segment_frames=100", "--chain", "seed",
                           "--copies", "2")
    assert code == 0, err
    assert "training segments" in err and (tmp_path / "model" / "weights.keras").is_file()
    assert "2 copies each, augmented with chain seed" in err
    meta = json.loads((tmp_path / "model" / "model.json").read_text())
    assert meta["info"]["kits"] == ["fluid-gm"] and len(meta["info"]["history"]["loss"]) == 2
    assert meta["info"]["examples"] == 4 and meta["info"]["chain"] == "seed"
    code, _, err = run_cli("train-onsets", midi, "--out", tmp_path / "model")
    assert code == 1 and "already holds a model" in err
    alignment = ROOT / "alignments" / "example_shuffle.toml"
    (tmp_path / "audio").mkdir()
    assert run_cli("render", alignment, "--kit", "fluid-gm", "--out",
                   tmp_path / "audio" / "example_shuffle.wav")[0] == 0
    code, out, err = run_cli("align", alignment, "--refine", "--audio-dir", tmp_path / "audio",
                             "--model", tmp_path / "model")
    # a network this small may place labels badly enough for the refinement to be rejected;
    # either way the labels went through the model
    placed = re.search(r"\((\d+) by the onset model", err)
    assert placed and int(placed.group(1)) > 0, err
    if code == 0:
        plain = run_cli("align", alignment)[1]
        assert (len(list(csv.DictReader(io.StringIO(out))))
                == len(list(csv.DictReader(io.StringIO(plain)))) > 90)
    else:
        assert code == 1 and "refinement rejected" in err


@pytest.mark.parametrize("args, message", [
    (["--kits", "no-such-kit"], "unknown kit(s) no-such-kit"),
    (["-o", "epochs=0"], "keras-cnn.epochs"),
    (["-o", "colour=red"], "unknown option(s) colour"),
    (["--backend", "nope"], "unknown model backend 'nope'"),
])
def test_train_onsets_refuses_bad_options(tmp_path, run_cli, args, message):
    code, _, err = run_cli("train-onsets", tmp_path, "--out", tmp_path / "m", *args)
    assert code == 2 and message in err


def test_train_onsets_names_a_broken_chain_before_any_render(tmp_path, run_cli):
    chain = tmp_path / "mine.toml"
    chain.write_text('[[step]]\naugmenter = "gain"\np = 2\n')
    code, _, err = run_cli("train-onsets", tmp_path, "--out", tmp_path / "m", "--chain", chain)
    assert code == 1 and f"{chain}:3" in err and "p: expected a probability" in err
    assert not (tmp_path / "m").exists() and "Traceback" not in err
    code, _, err = run_cli("train-onsets", tmp_path, "--out", tmp_path / "m", "--copies", "0")
    assert code == 2 and "--copies must be 1-100" in err


def test_refine_with_a_missing_model_is_a_clean_error(tmp_path, run_cli):
    code, _, err = run_cli("align", ROOT / "alignments" / "example_shuffle.toml", "--refine",
                           "--audio-dir", tmp_path, "--model", tmp_path / "nothing")
    assert code == 1 and "no onset model here" in err and "Traceback" not in err


@needs_fluidsynth
def test_refine_with_the_model_places_ghost_notes_and_pedal_hihats(tmp_path, run_cli):
    """A Groove test-split performance with pedal hi-hats and snare ghost notes, its
    quantised tab aligned by BPM and first note: refined with the bundled model, the labels
    sit on the strokes (F20 >= 0.93 here), clearly better than with generic onsets only."""
    import mir_eval

    from drumtabber.dataset.examples import performance_case
    info = groove_performances("test", 10, meter="4/4", max_seconds=60)[0]
    truth = performance_case(info["midi_path"], "avl-black-pearl", tmp_path, MANAGER)
    assert "hihat_pedal" in truth and len(truth["snare"]) > 50

    def f20(out):
        rows = list(csv.DictReader(io.StringIO(out)))
        hits = 0
        for inst, ref in truth.items():
            est = np.sort([float(r["time"]) for r in rows if r["instrument"] == inst])
            hits += len(mir_eval.util.match_events(ref, est, 0.020))
        return 2 * hits / (len(rows) + sum(len(v) for v in truth.values()))

    scores = {}
    for model in ("bundled", "none"):
        code, out, err = run_cli("align", tmp_path / "song.toml", "--refine", "--audio-dir",
                                 tmp_path, "--model", model)
        assert code == 0, err
        scores[model] = f20(out)
    assert scores["bundled"] >= 0.93 and scores["bundled"] > scores["none"] + 0.05, scores


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_the_model_runs_the_same_on_other_keras_backends(bundled, backend, tmp_path):
    """The .keras file the TensorFlow backend trained gives the same activations under
    KERAS_BACKEND=torch or jax (what a GPU machine without TensorFlow runs)."""
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    features = np.random.default_rng(0).random((300, bundled.features.n_mels), dtype=np.float32)
    np.save(tmp_path / "x.npy", features)
    script = ("import sys, numpy as np, keras\n"
              "from drumtabber.models.onset_model import load_onset_model\n"
              "from drumtabber.plugin_manager import PluginManager\n"
              "m = load_onset_model('bundled', PluginManager(entry_points=False))\n"
              "np.save(sys.argv[2], m.backend.predict(m.network, np.load(sys.argv[1])))\n"
              "print(keras.backend.backend())\n")
    proc = subprocess.run([sys.executable, "-c", script, tmp_path / "x.npy", tmp_path / "y.npy"],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "KERAS_BACKEND": backend})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().endswith(backend)
    assert np.allclose(np.load(tmp_path / "y.npy"),
                       bundled.backend.predict(bundled.network, features), atol=1e-4)


def _piano_midi(path: Path) -> None:
    import mido
    mid = mido.MidiFile()
    track = mido.MidiTrack()
    mid.tracks.append(track)
    for note in range(60, 65):
        track.append(mido.Message("note_on", channel=0, note=note, velocity=80, time=240))
        track.append(mido.Message("note_off", channel=0, note=note, velocity=0, time=240))
    mid.save(str(path))


def test_train_onsets_skips_broken_and_non_drum_midi_with_reasons(tmp_path, run_cli):
    midi = tmp_path / "midi"
    midi.mkdir()
    (midi / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06\x00")
    _piano_midi(midi / "piano.mid")
    code, _, err = run_cli("train-onsets", midi, "--out", tmp_path / "m", "--kits", "fluid-gm")
    assert code == 1 and "Traceback" not in err
    assert "broken.mid: skipped: DT001" in err
    assert "piano.mid: skipped: DT101" in err
    assert "no example could be rendered" in err and not (tmp_path / "m").exists()


@pytest.mark.parametrize("setup, message", [
    (lambda d: (d / "info.csv").write_text("a,b\n1,2\n"),
     "not a Groove MIDI Dataset index: no column beat_type, duration, id, midi_filename"),
    (lambda d: (d / "info.csv").write_text(
        "id,split,beat_type,time_signature,duration,midi_filename\nx,test,beat,4-4,3,x.mid\n"),
     "info.csv lists no train-split files"),
    (lambda d: None, "no MIDI files (.mid, .midi)"),
])
def test_train_onsets_refuses_bad_midi_folders(tmp_path, run_cli, setup, message):
    setup(tmp_path)
    code, _, err = run_cli("train-onsets", tmp_path, "--out", tmp_path / "m")
    assert code == 1 and message in err and "Traceback" not in err


def test_train_onsets_checks_the_output_folder_before_any_work(tmp_path, run_cli):
    (tmp_path / "afile").write_text("x")
    midi = tmp_path / "midi"
    midi.mkdir()
    shutil.copy(groove_performances("train", 1)[0]["midi_path"], midi / "a.mid")
    code, _, err = run_cli("train-onsets", midi, "--out", tmp_path / "afile" / "sub")
    assert code == 1 and "cannot create the folder" in err and "rendering" not in err


def test_model_option_needs_refine(run_cli):
    code, _, err = run_cli("align", ROOT / "alignments" / "example_shuffle.toml", "--model", "none")
    assert code == 2 and "--model needs --refine" in err


def test_an_ensemble_averages_its_members_and_reads_back(bundled, manager, tmp_path, run_cli):
    """Two networks of one backend, features and scheme join into one model whose
    activations are the mean of theirs; its thresholds are left to be tuned anew; models of
    another backend cannot join, and nothing is written then."""
    from drumtabber.models import OnsetModel
    backend = bundled.backend
    small = backend.build(bundled.features.n_mels, len(bundled.classes),
                          backend.Options(filters=4, dense=8))
    OnsetModel(backend, small, bundled.features, bundled.scheme, {"note": "small"}).save(
        tmp_path / "small")
    (tmp_path / "small" / "history.png").write_bytes(b"\x89PNG curve")
    code, _, err = run_cli("ensemble", "bundled", tmp_path / "small", "--out", tmp_path / "both")
    assert code == 0, err
    both = load_onset_model(tmp_path / "both", manager)
    other = load_onset_model(tmp_path / "small", manager)
    features = np.random.default_rng(1).random((500, bundled.features.n_mels), dtype=np.float32)
    assert np.allclose(both.feature_activations(features),
                       (bundled.feature_activations(features)
                        + other.feature_activations(features)) / 2, atol=1e-5)
    meta = json.loads((tmp_path / "both" / "model.json").read_text())
    assert meta["weights"] == ["weights-0.keras", "weights-1.keras"]
    assert [m["path"] for m in meta["info"]["ensemble_of"]] == [
        str(bundled_model_path()), str(tmp_path / "small")]
    assert "thresholds" not in meta["info"]
    # each member's loss curve comes along (the bundled model has none)
    assert [p.name for p in (tmp_path / "both").glob("history*")] == ["history-1.png"]
    # a second ensemble over the first folder leaves no stale weights behind
    code, _, err = run_cli("ensemble", "bundled", "bundled", "bundled", "--out",
                           tmp_path / "both", "--force")
    assert code == 0 and sorted(p.name for p in (tmp_path / "both").glob("*.keras")) == [
        "weights-0.keras", "weights-1.keras", "weights-2.keras"]
    code, _, err = run_cli("ensemble", "bundled", "transcriber", "--out", tmp_path / "mixed")
    assert code == 1 and "cannot join models with other backend" in err
    assert not (tmp_path / "mixed").exists()
    code, _, err = run_cli("ensemble", "bundled", "--out", tmp_path / "one")
    assert code == 2 and "two models or more" in err
    code, _, err = run_cli("ensemble", "bundled", "bundled", "--out", tmp_path / "both")
    assert code == 1 and "--force" in err


def test_the_transcriber_hears_recordings_at_its_training_level(manager):
    """The shipped transcriber brings each recording to the median gated level of its
    training renders (``features.level_db``) before its features, so a real recording and the
    same recording 12 dB softer give the same activations; the onset model, without a level,
    hears them apart.  Recording: MDB Drums, MusicDelta_Reggae_Drum.wav
    (../shared/data/mdb-dev, CC BY-NC-SA 4.0)."""
    from drumtabber.audio.io import load_audio
    samples, rate = load_audio(ROOT.parent / "shared" / "data" / "mdb-dev" /
                               "MusicDelta_Reggae_Drum.wav", sample_rate=44100)
    samples, softer = samples[:6 * rate], samples[:6 * rate] * np.float32(10 ** (-12 / 20))
    levelled = load_onset_model("transcriber", manager)
    assert levelled.features.level_db == pytest.approx(-33.7)
    assert np.allclose(levelled.activations(samples, rate), levelled.activations(softer, rate),
                       atol=1e-3)
    plain = load_onset_model("bundled", manager)
    assert plain.features.level_db is None
    assert not np.allclose(plain.activations(samples, rate), plain.activations(softer, rate),
                           atol=1e-2)


@pytest.mark.parametrize("track", ["MusicDelta_Punk_Drum", "MusicDelta_Rockabilly_Drum"])
def test_views_make_the_activations_steadier_under_a_small_delay(bundled, track, tmp_path):
    """A model with two views hears a recording twice, framed half a hop apart: the
    activations of a real recording and of the same recording a quarter hop later differ
    less than with one view; the views go into model.json and read back, and a bad count
    there is named."""
    from drumtabber.audio.io import load_audio
    from drumtabber.models import OnsetModel
    samples, rate = load_audio(ROOT.parent / "shared" / "data" / "mdb-dev" / f"{track}.wav",
                               sample_rate=44100)
    samples = samples[:10 * rate]
    later = np.concatenate([np.zeros(bundled.features.hop_length // 4, samples.dtype),
                            samples])[:len(samples)]
    change = {}
    for views in (1, 2):
        model = OnsetModel(bundled.backend, bundled.network, bundled.features, bundled.scheme,
                           views=views)
        a, b = model.activations(samples, rate), model.activations(later, rate)
        assert a.shape == (1 + len(samples) // bundled.features.hop_length, len(model.classes))
        change[views] = float(np.abs(a - b).mean())
    assert change[2] < 0.85 * change[1]
    model.save(tmp_path / "two")
    assert load_onset_model(tmp_path / "two", MANAGER).views == 2
    meta = json.loads((tmp_path / "two" / "model.json").read_text())
    for bad in (0, 2.5, "2"):
        (tmp_path / "two" / "model.json").write_text(json.dumps({**meta, "views": bad}))
        with pytest.raises(DrumtabberError, match="'views'"):
            load_onset_model(tmp_path / "two", MANAGER)


@pytest.fixture(scope="module")
def groove_case(tmp_path_factory):
    """A Groove test-split performance (drummer1/eval_session/5, 138 BPM funk) rendered with
    AVL Black Pearl, with its quantised tab and alignment."""
    from drumtabber.dataset.examples import performance_case
    folder = tmp_path_factory.mktemp("groove_case")
    info = groove_performances("test", 10, meter="4/4", max_seconds=60)[1]
    performance_case(info["midi_path"], "avl-black-pearl", folder, MANAGER)
    text = (folder / "song.toml").read_text()
    bpm = float(re.search(r"bpm = ([\d.]+)", text).group(1))
    first = float(re.search(r"first_note_s = ([\d.]+)", text).group(1))
    return folder, text, bpm, first


@needs_fluidsynth
@pytest.mark.parametrize("change, accepted", [
    (lambda bpm, first: (None, None), True),
    (lambda bpm, first: (None, first + 60 / bpm), False),          # a beat late
    (lambda bpm, first: (None, first + 30 / bpm), False),          # an eighth late
    (lambda bpm, first: (bpm + 1, None), False),                   # 1 BPM off
    (lambda bpm, first: (2 * bpm, None), False),                   # twice the tempo
])
def test_refine_with_the_model_rejects_wrong_alignments(groove_case, run_cli, tmp_path, change,
                                                        accepted):
    folder, text, bpm, first = groove_case
    new_bpm, new_first = change(bpm, first)
    if new_bpm is not None:
        text = text.replace(f"bpm = {bpm:.4f}", f"bpm = {new_bpm:.4f}")
    if new_first is not None:
        text = text.replace(f"first_note_s = {first:.3f}", f"first_note_s = {new_first:.3f}")
    (tmp_path / "song.toml").write_text(text.replace('"song.txt"', f'"{folder / "song.txt"}"'))
    code, _, err = run_cli("align", tmp_path / "song.toml", "--refine", "--audio-dir", folder)
    assert (code == 0) == accepted, err
    assert accepted or "refinement rejected" in err


# -- the CRNN, class weights, checkpoints and resuming ------------------------------------
def _random_examples(n=6, frames=600, seed=0):
    """Features with a click in band 40 wherever class 0 has an onset (class 1 rare)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        feats = rng.normal(0, 0.1, (frames, 84)).astype(np.float32)
        targets = np.zeros((frames, 2), np.float32)
        targets[rng.choice(frames, 30, replace=False), 0] = 1.0
        targets[rng.choice(frames, 3, replace=False), 1] = 1.0
        feats[targets[:, 0] == 1, 35:45] += 3.0
        out.append((feats, targets))
    return out


def test_class_weights_favour_rare_classes():
    from drumtabber.plugins.keras_cnn import class_weights
    weights = class_weights(_random_examples())
    # rates 30/600 and 3/600: mean 16.5/600, so sqrt(16.5/30) -> 1 (clipped), sqrt(5.5)
    assert weights[0] == 1.0 and weights[1] == pytest.approx(np.sqrt(16.5 / 3), rel=1e-5)


def test_crnn_checkpoints_every_epoch_and_resumes(tmp_path):
    backend = MANAGER.get("model_backend", "keras-crnn")
    options = backend.Options(filters=4, gru_units=8, gru_layers=1, epochs=1, batch_size=4,
                              learning_rate=0.01, segment_frames=200, class_weighting="sqrt")
    examples = _random_examples()
    net = backend.build(84, 2, options)
    logs = []
    first = backend.train(net, examples, options, log=logs.append, work_dir=tmp_path)
    assert len(first["loss"]) == 1 and (tmp_path / "checkpoint.keras").is_file()
    assert json.loads((tmp_path / "progress.json").read_text())["epochs_done"] == 1
    # an interrupted run goes on from its checkpoint: epochs 2 to 6 only
    options.epochs = 6
    fresh = backend.build(84, 2, options)
    history = backend.train(fresh, examples, options, log=logs.append, work_dir=tmp_path,
                            resume=True)
    assert "resuming after epoch 1" in " ".join(logs)
    assert len(history["loss"]) == 6 and history["loss"][0] == first["loss"][0]
    assert history["val_loss"][-1] < history["val_loss"][0]
    activations = backend.predict(fresh, examples[0][0])
    assert activations.shape == (600, 2)
    onsets = examples[0][1][:, 0] == 1
    assert activations[onsets, 0].mean() > 2 * activations[~onsets, 0].mean()


@needs_fluidsynth
def test_train_command_with_the_crnn_and_sample_kits(tmp_path, run_cli):
    midi = train_midi_folder(tmp_path, 2)
    code, _, err = run_cli("train", midi, "--out", tmp_path / "model", "--backend",
                           "keras-crnn", "--kits", "h2-black-pearl,fluid-gm", "--kits-per-file",
                           "1", "--max-seconds", "6", "-o", "filters=4", "-o", "gru_units=8",
                           "-o", "epochs=2", "-o", "segment_frames=100")
    assert code == 0, err
    assert "(1 at random for each file)" in err
    folder = tmp_path / "model"
    meta = json.loads((folder / "model.json").read_text())
    assert meta["backend"] == "keras-crnn" and meta["info"]["examples"] == 2
    assert meta["info"]["kits_per_file"] == 1 and len(meta["info"]["history"]["loss"]) == 2
    assert (folder / "history.png").read_bytes()[:4] == b"\x89PNG"
    assert not (folder / ".training").exists()          # checkpoints go once the model is in
    loaded = load_onset_model(folder, MANAGER)
    assert loaded.classes == load_onset_model("bundled", MANAGER).classes
    # fine-tuning goes on from the trained network: its first epoch starts where that ended
    # (here on other seconds of the performances, drawn at random)
    code, _, err = run_cli("train", midi, "--out", tmp_path / "tuned", "--backend",
                           "keras-crnn", "--kits", "h2-black-pearl", "--max-seconds", "6",
                           "-o", "epochs=1", "-o", "segment_frames=100", "--init", folder,
                           "--window", "random")
    assert code == 0, err
    tuned = json.loads((tmp_path / "tuned" / "model.json").read_text())["info"]
    assert meta["info"]["window"] == "start" and tuned["window"] == "random"
    assert tuned["init"] == {"path": str(folder), "command": meta["info"]["command"]}
    history = meta["info"]["history"]["loss"]
    assert tuned["history"]["loss"][0] < history[0]
    assert load_onset_model(tmp_path / "tuned", MANAGER).network.count_params() == \
        loaded.network.count_params()               # filters=4 from --init, not the default
    for init, message in (("transcriber", "2 networks (an ensemble"),
                          ("bundled", "backend keras-cnn (this run: keras-crnn)")):
        code, _, err = run_cli("train", midi, "--out", tmp_path / "m3", "--backend",
                               "keras-crnn", "--init", init)
        assert code == 1 and message in err and "Traceback" not in err
        assert not (tmp_path / "m3").exists()
    code, _, err = run_cli("train", midi, "--out", tmp_path / "m2", "--backend", "keras-crnn",
                           "-o", "class_weighting=often")
    assert code == 2 and "keras-crnn.class_weighting" in err
    assert run_cli("train", midi, "--out", tmp_path / "m2", "--kits-per-file", "-1")[0] == 2
    code, _, err = run_cli("train", midi, "--out", tmp_path / "m2", "--window", "middle")
    assert code == 2 and "--window must be start or random" in err


@needs_fluidsynth
def test_examples_rendered_once_are_trained_on_elsewhere(tmp_path, run_cli):
    """`train --save-examples FILE` without --out renders only; `train FILE --out` trains on
    those examples (what a GPU machine without FluidSynth and the kits runs).  The file gives
    back the frames and targets exactly and the features within the 8-bit code's step (3 %
    of a value); the model records how its examples were made.  Render options with an
    examples file, another kind of file and a run without --out or --save-examples are
    refused, and nothing is written."""
    from dataclasses import asdict

    from drumtabber.audio.features import FeatureConfig
    from drumtabber.dataset.example_files import read_examples, write_examples
    from drumtabber.models.train import MODEL_FEATURES, render_examples
    midi = train_midi_folder(tmp_path, 2)
    features = FeatureConfig(**MODEL_FEATURES)
    examples, facts = render_examples(sorted(midi.glob("*.mid")), MANAGER,
                                      kits=["h2-black-pearl"], features=features,
                                      max_seconds=6, chain="realistic", log=lambda m: None)
    classes = MANAGER.get("class_map", "onsets").classes()
    write_examples(tmp_path / "direct.npz", examples, features=asdict(features),
                   scheme="onsets", classes=classes, facts=facts)
    stored, meta = read_examples(tmp_path / "direct.npz")
    assert meta["features"] == asdict(features) and meta["classes"] == classes
    assert meta["facts"]["frames"] == facts["frames"] == sum(len(f) for f, _ in stored)
    for (f, t), (g, u) in zip(examples, stored):
        assert np.array_equal(t, u) and set(np.unique(t)) == {0.0, 0.5, 1.0}
        heard = f > 1e-5
        assert heard.mean() > 0.5
        assert np.allclose(g[heard], f[heard], rtol=0.03, atol=0)
        assert np.all(g[~heard] <= 2e-5)

    code, _, err = run_cli("train", midi, "--save-examples", tmp_path / "ex.npz", "--kits",
                           "h2-black-pearl", "--max-seconds", "6")
    assert code == 0 and "wrote" in err and (tmp_path / "ex.npz").is_file()
    assert not (tmp_path / "model").exists()
    code, _, err = run_cli("train", tmp_path / "ex.npz", "--out", tmp_path / "model",
                           "--backend", "keras-crnn", "-o", "filters=4", "-o", "gru_units=8",
                           "-o", "epochs=2", "-o", "segment_frames=100")
    assert code == 0, err
    info = json.loads((tmp_path / "model" / "model.json").read_text())["info"]
    assert info["examples_file"] == str(tmp_path / "ex.npz") and info["examples"] == 2
    assert info["kits"] == ["h2-black-pearl"] and len(info["history"]["loss"]) == 2
    assert info["max_seconds"] == 6 and "render_command" in info and "command" in info
    assert load_onset_model(tmp_path / "model", MANAGER).features == features

    (tmp_path / "text.npz").write_text("not examples")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    for args, code_expected, message in (
            ([tmp_path / "ex.npz", "--out", tmp_path / "m2", "--kits", "fluid-gm", "--files",
              "3"], 2, "--kits, --files cannot apply"),
            ([tmp_path / "text.npz", "--out", tmp_path / "m2"], 1, "found no zip archive"),
            ([tmp_path / "other.npz", "--out", tmp_path / "m2"], 1,
             "expected a drumtabber-examples file"),
            ([midi], 2, "give --out (a model folder to write), --save-examples FILE")):
        code, _, err = run_cli("train", *args)
        assert code == code_expected and message in err and "Traceback" not in err, err
        assert not (tmp_path / "m2").exists()


@needs_fluidsynth
def test_tune_thresholds_through_a_chain_on_held_out_kits(tmp_path, run_cli):
    """Thresholds tuned on validation renders of a sample kit through a chain go into the
    model folder, with how they were tuned; a broken chain is named before any render."""
    folder = tmp_path / "model"
    shutil.copytree(bundled_model_path(), folder)
    code, out, err = run_cli("tune-thresholds", GROOVE, "--model", folder, "--kits",
                             "h2-millo-multilayered3", "--files", "2", "--max-seconds", "8",
                             "--chain", "seed")
    assert code == 0, err
    meta = json.loads((folder / "model.json").read_text())
    tuned = meta["info"]["thresholds"]
    assert set(tuned) == set(meta["classes"]) and all(0.05 <= t <= 0.95 for t in tuned.values())
    facts = meta["info"]["threshold_tuning"]
    assert facts["chain"] == "seed" and facts["kits"] == ["h2-millo-multilayered3"]
    assert facts["split"] == "validation" and facts["files"] == 2
    kick = facts["classes"]["kick"]
    assert kick["reference_onsets"] > 0 and kick["f"] >= kick["f_at_0.5"]
    assert re.search(r"^kick\s+threshold 0\.\d\d\s+F50 0\.\d{3}", out, re.M)
    assert meta["views"] == 1
    # tuned again for two views of each recording: they are stored with the thresholds
    code, out, err = run_cli("tune-thresholds", GROOVE, "--model", folder, "--kits",
                             "h2-millo-multilayered3", "--files", "2", "--max-seconds", "8",
                             "--chain", "seed", "--views", "2")
    assert code == 0, err
    assert json.loads((folder / "model.json").read_text())["views"] == 2
    before = (folder / "model.json").read_text()
    code, _, err = run_cli("tune-thresholds", GROOVE, "--model", folder, "--views", "9")
    assert code == 2 and "--views must be 1-8" in err
    assert (folder / "model.json").read_text() == before
    chain = tmp_path / "broken.toml"
    chain.write_text('[[step]]\naugmenter = "gain"\np = 2\n')
    code, _, err = run_cli("tune-thresholds", GROOVE, "--model", folder, "--chain", chain)
    assert code == 1 and f"{chain}:3" in err and "Traceback" not in err


def test_masks_for_pretraining_hide_spans_rows_and_columns():
    from drumtabber.plugins.keras_cnn import mask_features
    mask = mask_features(np.zeros((4, 200, 84), np.float32), 0.15, np.random.default_rng(0))
    assert set(np.unique(mask)) == {0.0, 1.0}
    for m in mask:
        assert 0.15 <= m.mean() < 0.25
        assert (m.min(axis=0) == 1).any() or (m.min(axis=1) == 1).any()   # a row or a column


def test_transformer_pretrains_by_masking_then_learns_the_onsets(tmp_path):
    backend = MANAGER.get("model_backend", "keras-transformer")
    options = backend.Options(filters=4, d_model=16, heads=2, layers=1, epochs=6,
                              batch_size=4, learning_rate=0.005, segment_frames=200,
                              pretrain_epochs=2, dropout=0.1)
    examples = _random_examples()
    net = backend.build(84, 2, options)
    history = backend.train(net, examples, options, log=lambda m: None)
    assert len(history["pretrain_loss"]) == 2
    assert history["pretrain_loss"][1] < history["pretrain_loss"][0]
    assert len(history["loss"]) == 6 and history["val_loss"][-1] < history["val_loss"][0]
    backend.save(net, tmp_path / "w.keras")
    again = backend.load(tmp_path / "w.keras")
    activations = backend.predict(again, examples[0][0])
    assert np.allclose(activations, backend.predict(net, examples[0][0]), atol=1e-5)
    onsets = examples[0][1][:, 0] == 1
    assert activations[onsets, 0].mean() > 2 * activations[~onsets, 0].mean()
    with pytest.raises(Exception, match="keras-transformer.mask_share"):
        backend.Options(mask_share=1.5)
