"""Rendering: score -> MIDI (times, tempo, meter, humanising) -> FluidSynth audio on every kit.

The audio tests need the fluidsynth program and the kits' soundfonts (Debian packages
fluidsynth, fluid-soundfont-gm, timgm6mb-soundfont, avldrums.lv2-soundfont) and skip a kit
whose soundfont is missing.  Renders are short and at 16 kHz; the 44.1/48 kHz versions are
marked slow.
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import replace
from fractions import Fraction as F

import numpy as np
import pandas as pd
import pytest

from drumtabber.alignment import load_alignment, load_song
from drumtabber.audio import fluidsynth as FS
from drumtabber.audio import render as R
from drumtabber.errors import DrumtabberError, UnknownComponentError
from drumtabber.onset_table import RENDER_COLUMNS
from drumtabber.plugin_manager import PluginManager
from drumtabber.plugins.ascii_tab import parse_tab
from drumtabber.plugins.soundfont_kits import AVL_KEYS
from drumtabber.score import Bar, Event, Instrument, Meter, Score
from drumtabber.tempo import TempoMap

mido = pytest.importorskip("mido")
soundfile = pytest.importorskip("soundfile")

MANAGER = PluginManager(entry_points=False)
# The kits reach the core as components of the plugin manager (plugin soundfont_kits).
KITS = {kit.name: kit for kit in MANAGER.registry("kit")}
HAS_FLUIDSYNTH = shutil.which("fluidsynth") is not None
needs_fluidsynth = pytest.mark.skipif(not HAS_FLUIDSYNTH, reason="fluidsynth not installed")
TEST_RATE = 16000                 # Hz: short, cheap renders
GAP_S = 2.0                       # between the hits of the every-instrument score
WINDOW_S = 0.03                   # energy windows before / after an onset
# An onset "sounds" when the energy after it is this many times the energy before it.
SOUNDS_RATIO = 4.0


def kit_params():
    return [pytest.param(name, marks=pytest.mark.skipif(
        not kit.installed, reason=f"soundfont of {name} not installed ({kit.package})"))
        for name, kit in KITS.items()]


def get_kit(name):
    return R.get_kit(MANAGER, name)


def first_sample_delay(name):
    """Samples from a note's predicted onset to its voice's first non-zero sample."""
    return 1 if hasattr(KITS[name], "soundfont") else 0


# -- the every-instrument score: one hit per instrument, GAP_S apart, parsed from a tab ----
def every_instrument_tab() -> str:
    """One line per GM note 35-81 (labels "35" ... "81"), one hit per beat, 4/4 bars."""
    notes = [i.gm_note for i in Instrument]
    n_bars = (len(notes) + 3) // 4
    lines = []
    for j, note in enumerate(notes):
        cells = ["-"] * (n_bars * 4)
        cells[j] = "x"
        bars = ["".join(cells[b * 4:b * 4 + 4]) for b in range(n_bars)]
        lines.append(f"{note}|" + "|".join(bars) + "|")
    return "Time: 4/4\n" + "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def every_instrument():
    result = parse_tab(every_instrument_tab(), path="every_instrument.txt")
    assert not [f for f in result.findings if f.severity.value == "error"]
    score = result.score
    assert {e.instrument for e in score.events} == set(Instrument)
    tempo_map = TempoMap(score.bars, qpm=F(60) / F(str(GAP_S)), reference=(0, F(1, 2)))
    return score, tempo_map


@pytest.fixture(scope="module")
def renders(every_instrument, tmp_path_factory):
    """kit name -> (mono audio, onset rows (dicts), the MIDI) at TEST_RATE, rendered once."""
    score, tempo_map = every_instrument
    out = tmp_path_factory.mktemp("renders")
    cache = {}

    def get(name, sample_rate=TEST_RATE):
        if (name, sample_rate) not in cache:
            kit = get_kit(name)
            midi, rows = R.score_to_midi(score, tempo_map, kit=kit)
            wav = kit.render(midi, sample_rate=sample_rate,
                             out_path=out / f"{name}-{sample_rate}.wav")
            audio, sr = soundfile.read(str(wav), dtype="float32", always_2d=True)
            assert sr == sample_rate
            onsets = R.rendered_onsets(midi, rows, sr, kit)
            cache[name, sample_rate] = (audio.mean(axis=1), onsets.to_dict("records"), midi)
        return cache[name, sample_rate]
    return get


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if len(x) else 0.0


def detected_onset(audio, sample_rate, time_s):
    """Where the audio starts near ``time_s``: the first sample 20 ms before to 30 ms after
    whose magnitude is over 4x the level of the 30 ms before that (and over 1e-4)."""
    start = round((time_s - 0.02) * sample_rate)
    floor = np.abs(audio[start - int(WINDOW_S * sample_rate):start]).max(initial=0.0)
    segment = np.abs(audio[start:round((time_s + 0.03) * sample_rate)])
    above = np.nonzero(segment > max(4 * floor, 1e-4))[0]
    return (start + above[0]) / sample_rate if len(above) else None


# -- kits -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", list(KITS))
def test_every_instrument_has_a_key_on_every_kit(name):
    kit = KITS[name]
    assert set(kit.keys) == set(Instrument)
    assert all(0 <= k <= 127 for k in kit.keys.values())
    if not hasattr(kit, "soundfont"):        # a sample kit: its keys are its pieces
        assert set(kit.keys.values()) <= set(range(len(kit.pieces)))
    elif kit.bank == 128:                    # GM: the key is the GM note, on channel 10
        assert kit.channel == 9 and all(kit.keys[i] == i.gm_note for i in Instrument)
    else:                                    # AVL: not GM, a melodic channel, keys 36-61
        assert kit.channel != 9 and (kit.bank, kit.program) == (0, 0)
        assert set(kit.keys.values()) <= set(range(36, 62))
        # never a choke (50, 52, 58), the hi-hat swish (48) or a silent key (22, 26)
        assert not set(kit.keys.values()) & {22, 26, 48, 50, 52, 58}


def test_avl_collapses_toms_onto_one_rack_and_one_floor_tom():
    keys = AVL_KEYS
    rack = {Instrument.TOM_HIGH, Instrument.TOM_HIGH_MID, Instrument.TOM_LOW_MID,
            Instrument.TOM_LOW}
    assert {keys[i] for i in rack} == {45}
    assert {keys[Instrument.TOM_FLOOR_HIGH], keys[Instrument.TOM_FLOOR_LOW]} == {41}
    assert (keys[Instrument.HIHAT_OPEN], keys[Instrument.CRASH2], keys[Instrument.RIDE_BELL]) == (
        46, 57, 53)


def test_unknown_kit_lists_the_valid_names():
    with pytest.raises(UnknownComponentError) as exc:
        R.get_kit(MANAGER, "tr-808")
    assert "'tr-808'" in str(exc.value)
    assert all(name in str(exc.value) for name in KITS)


def test_missing_soundfont_names_the_file_and_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(FS, "SOUNDFONT_DIRS", (tmp_path,))
    kit = KITS["avl-black-pearl"]
    assert not kit.installed
    with pytest.raises(DrumtabberError) as exc:
        FS.render_audio(mido.MidiFile(), kit, out_path=tmp_path / "x.wav")
    message = str(exc.value)
    assert "Black_Pearl_4_LV2.sf2" in message and "avldrums.lv2-soundfont" in message
    assert not (tmp_path / "x.wav").exists()


@needs_fluidsynth
def test_fluidsynth_failure_reports_its_error(tmp_path):
    bad = tmp_path / "bad.sf2"
    bad.write_bytes(b"not a soundfont")
    kit = KITS["timgm6mb"].with_soundfont(bad)
    score = Score(bars=[Bar(0, Meter(), 1)], events=[Event(0, F(0), Instrument.SNARE)])
    midi, _ = R.score_to_midi(score, TempoMap(score.bars, qpm=F(120)), kit=kit)
    with pytest.raises(DrumtabberError) as exc:
        FS.render_audio(midi, kit, sample_rate=TEST_RATE, out_path=tmp_path / "x.wav")
    assert "fluidsynth failed" in str(exc.value) and "not a SoundFont" in str(exc.value)
    assert list(tmp_path.iterdir()) == [bad]            # no partial output left behind


# -- every mapped instrument sounds at its onset, on every kit ------------------------------
@needs_fluidsynth
@pytest.mark.parametrize("name", kit_params())
def test_each_instrument_sounds_at_its_onset(renders, name):
    audio, rows, _ = renders(name)
    assert len(rows) == len(Instrument)
    quiet = []
    for row in rows:
        s, w = round(row["time"] * TEST_RATE), int(WINDOW_S * TEST_RATE)
        before, after = rms(audio[s - w:s]), rms(audio[s:s + w])
        if not (after > SOUNDS_RATIO * before and after > 1e-3):
            quiet.append((row["instrument"], row["key"], round(after / max(before, 1e-9), 1)))
    assert not quiet, f"{name}: no clear onset for {quiet}"


@needs_fluidsynth
@pytest.mark.parametrize("name", kit_params())
def test_onset_table_matches_where_the_audio_starts(renders, name, capsys):
    audio, rows, _ = renders(name)
    # The first voice starts in silence: its first non-zero sample is the predicted one + 1
    # on FluidSynth (the volume envelope's first value is 0), the predicted one on a kit
    # of one-shot samples.
    first = int(np.nonzero(audio)[0][0])
    assert first - round(rows[0]["time"] * TEST_RATE) == first_sample_delay(name)
    errors_ms = []
    for row in rows:
        onset = detected_onset(audio, TEST_RATE, row["time"])
        assert onset is not None, row
        errors_ms.append((onset - row["time"]) * 1000)
    errors_ms = np.abs(errors_ms)
    with capsys.disabled():
        print(f"\n{name}: |detected - table| median {np.median(errors_ms):.2f} ms, "
              f"max {errors_ms.max():.2f} ms over {len(rows)} notes at {TEST_RATE} Hz")
    assert np.median(errors_ms) <= 1.5          # the attack's first ms, under a threshold
    assert np.percentile(errors_ms, 90) <= 4.0


@needs_fluidsynth
@pytest.mark.slow
@pytest.mark.parametrize("sample_rate", [44100, 48000])
@pytest.mark.parametrize("name", kit_params())
def test_onsets_at_full_sample_rates(renders, name, sample_rate):
    audio, rows, _ = renders(name, sample_rate)
    assert (int(np.nonzero(audio)[0][0]) - round(rows[0]["time"] * sample_rate)
            == first_sample_delay(name))
    errors_ms = [abs(detected_onset(audio, sample_rate, r["time"]) - r["time"]) * 1000
                 for r in rows]
    assert np.median(errors_ms) <= 1.0 and np.percentile(errors_ms, 90) <= 3.0


def one_late_note_in_a_ramp(humanize):
    """A snare deep in a ramp across a 7/8 bar: dozens of tempo events come before it."""
    bars = [Bar(i, m, i + 1) for i, m in enumerate([Meter(4, 4), Meter(7, 8), Meter(3, 4)])]
    score = Score(bars=bars, events=[Event(2, F(5, 3), Instrument.SNARE)])
    tempo_map = TempoMap(bars, qpm=F(90), reference=(0, F("0.123")),
                         ramps=[(F(1), F(9), F(90), F(170))])
    return score, tempo_map


@needs_fluidsynth
@pytest.mark.parametrize("kit", ["timgm6mb", "avl-red-zeppelin"])
@pytest.mark.parametrize("sample_rate,humanize", [(8000, None), (22050, 6.0), (44100, None),
                                                  (48000, 6.0)])
def test_fluidsynth_timing_model_is_sample_exact_after_tempo_changes(tmp_path, kit,
                                                                     sample_rate, humanize):
    if not KITS[kit].installed:
        pytest.skip(f"{kit} not installed")
    kit = get_kit(kit)
    score, tempo_map = one_late_note_in_a_ramp(humanize)
    midi, rows = R.score_to_midi(score, tempo_map, kit=kit,
                                 played=humanized(score, tempo_map, humanize, seed=4))
    assert len([m for m in midi.tracks[0] if m.type == "set_tempo"]) > 10
    wav = FS.render_audio(midi, kit, sample_rate=sample_rate, out_path=tmp_path / "one.wav")
    audio, _ = soundfile.read(str(wav))
    (row,) = R.rendered_onsets(midi, rows, sample_rate, kit).to_dict("records")
    first = int(np.nonzero(np.abs(audio).sum(axis=1))[0][0])
    assert first == round(row["time"] * sample_rate) + 1
    # FluidSynth starts a note 64 samples plus under ~1 ms + one block after its MIDI time
    latency = row["time"] - row["midi_time"]
    assert 64 / sample_rate - 0.0005 <= latency <= 64 / sample_rate + 0.0011 + 64 / sample_rate


# -- MIDI: times, tempo and meter events, round trip ----------------------------------------
RAMP_TAB = """\
Time: 4/4
HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|
SD|----o-------o---|----o-------o-o-|
BD|o-------o-------|o-------o-------|

Time: 7/8
HH|x-x-x-x-x-x-x-|x-x-x-x-x-x-x-|
SD|----o-----o---|----o-----oooo|
BD|o-------o-----|o-------o-----|
"""

RAMP_TOML = """\
tab = "ramp.txt"
[tempo]
bpm = 100
first_note_s = 0.4
[[tempo.ramp]]
from_bar = 1
from_beat = 2
to_bar = 3
to_bpm = 160
[[tempo.change]]
bar = 4
beat = 3
bpm = 70
"""


def aligned(tmp_path, toml=RAMP_TOML, tab=RAMP_TAB):
    (tmp_path / "ramp.txt").write_text(tab)
    path = tmp_path / "ramp.toml"
    path.write_text(toml)
    alignment, findings = load_alignment(path, MANAGER)
    assert not findings
    song, findings = load_song(path, MANAGER)
    assert song is not None and not [f for f in findings if f.severity.value == "error"], findings
    return path, song


def test_midi_round_trip_matches_the_tempo_map_through_a_ramp(tmp_path):
    _, result = aligned(tmp_path)
    midi, rows = R.score_to_midi(result.score, result.tempo_map, kit=get_kit("fluid-gm"))
    path = tmp_path / "ramp.mid"
    midi.save(str(path))
    back = mido.MidiFile(str(path))
    now, notes, meters = 0.0, [], []
    for msg in back:                          # mido turns ticks into seconds itself
        now += msg.time
        if msg.type == "note_on" and msg.velocity > 0:
            assert msg.channel == 9
            notes.append((now, msg.note))
        elif msg.type == "time_signature":
            meters.append((msg.numerator, msg.denominator))
    assert len(notes) == len(rows) == len(result.onsets)
    expected = sorted(zip(result.onsets["time"], result.onsets["gm_note"]))
    assert [n for _, n in sorted(notes)] == [n for _, n in expected]
    worst = max(abs(t - e) for (t, _), (e, _) in zip(sorted(notes), expected))
    assert worst < 0.001
    assert (rows["midi_time"] - rows["score_time"]).abs().max() <= 2 * R.TEMPO_TOLERANCE_S
    # a pickup bar of five 32nds: 0.4 s at 100 BPM is 2/3 of a quarter (no faster than the song)
    assert meters == [(5, 32), (4, 4), (7, 8)]
    assert len([m for m in back.tracks[0] if m.type == "set_tempo"]) > 8     # the ramp
    # the table is what is in the MIDI file
    assert sorted(rows["midi_time"]) == [t for _, _, t in R.midi_note_times(back)]


def test_count_in_and_pickup_keep_bars_and_times(tmp_path):
    tab = "HH|----x-x-|x-x-x-x-|\n"              # the first hit on beat 3 of bar 1
    # first bar starts after 0 s: whole count-in bars in front
    _, late = aligned(tmp_path, 'tab = "ramp.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 3.1\n', tab)
    midi, rows = R.score_to_midi(late.score, late.tempo_map, kit=get_kit("timgm6mb"))
    # bar 1 starts at 2.1 s = 4.2 quarters at 120 BPM: a 4/4 bar and a 1/32 pickup bar
    meters = [(k, m.numerator, m.denominator) for k, m in R.midi_messages(midi)
              if m.type == "time_signature"]
    assert meters == [(0, 4, 4), (3840, 1, 32), (3960, 4, 4)]
    assert rows["tick"].iloc[0] == 3960 + 2 * R.TICKS_PER_QUARTER
    assert abs(rows["midi_time"].iloc[0] - 3.1) < 1e-5
    tempi = [m.tempo for _, m in R.midi_messages(midi) if m.type == "set_tempo"]
    assert tempi[0] >= tempi[1] == 500000        # the count-in is no faster than the song
    # first bar starts before 0 s (a pickup): tick 0 is 0 s inside bar 1
    _, early = aligned(tmp_path, 'tab = "ramp.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 0.3\n', tab)
    midi, rows = R.score_to_midi(early.score, early.tempo_map, kit=get_kit("timgm6mb"))
    assert [round(t, 5) for t in rows["midi_time"]] == [round(t, 5) for t in early.onsets["time"]]


def test_hits_before_zero_seconds_are_refused():
    bars = [Bar(0, Meter(), 1)]
    score = Score(bars=bars, events=[Event(0, F(0), Instrument.KICK)])
    with pytest.raises(DrumtabberError, match="before the start"):
        R.score_to_midi(score, TempoMap(bars, qpm=F(120), offset_s=-1), kit=get_kit("fluid-gm"))


def test_velocities_and_keys_follow_the_events_and_the_kit(tmp_path):
    _, result = aligned(tmp_path)
    score = result.score
    score.events[0] = replace(score.events[0], velocity=120)
    _, rows = R.score_to_midi(score, result.tempo_map, kit=get_kit("avl-black-pearl"))
    assert set(rows["velocity"]) == {96, 120}
    assert all(r["key"] == AVL_KEYS[Instrument(r["instrument"])] for r in rows.to_dict("records"))
    midi, _ = R.score_to_midi(score, result.tempo_map, kit=get_kit("avl-black-pearl"))
    assert {m.channel for m in midi.tracks[0] if m.type == "note_on"} == {0}


# -- humanising ---------------------------------------------------------------------------
def midi_bytes(midi) -> bytes:
    buf = io.BytesIO()
    midi.save(file=buf)
    return buf.getvalue()


def humanized(score, tempo_map, timing_ms, velocity=0.0, *, seed):
    """What a render plays after the humanize augmenter (None: the score as it is)."""
    if not timing_ms and not velocity:
        return None
    human = MANAGER.get("augmenter", "humanize")
    return human.apply(None, None, R.score_onsets(score, tempo_map), np.random.default_rng(seed),
                       human.Options(timing_ms, velocity))[1]


def test_humanize_is_reproducible_with_a_seed(tmp_path):
    _, result = aligned(tmp_path)
    args = (result.score, result.tempo_map)
    kit = get_kit("fluid-gm")
    midi_a, rows_a = R.score_to_midi(*args, kit=kit, played=humanized(*args, 8, 10, seed=7))
    midi_b, rows_b = R.score_to_midi(*args, kit=kit, played=humanized(*args, 8, 10, seed=7))
    midi_c, rows_c = R.score_to_midi(*args, kit=kit, played=humanized(*args, 8, 10, seed=8))
    assert rows_a.equals(rows_b) and midi_bytes(midi_a) == midi_bytes(midi_b)
    assert not rows_a.equals(rows_c) and midi_bytes(midi_a) != midi_bytes(midi_c)
    shifts_ms = ((rows_a["midi_time"] - rows_a["score_time"]) * 1000).to_numpy()
    assert 4 < shifts_ms.std() < 12
    assert np.abs(shifts_ms).max() <= 3 * 8 + 0.01
    assert rows_a["velocity"].nunique() > 5
    assert rows_a["velocity"].between(1, 127).all()
    # the score times stay the tempo map's, and the table is still what the MIDI holds
    plain = sorted(result.onsets["time"])
    assert sorted(round(t, 9) for t in rows_a["score_time"]) == [round(t, 9) for t in plain]
    assert sorted(rows_a["midi_time"]) == [t for _, _, t in R.midi_note_times(midi_a)]


def test_playing_the_score_as_it_is_equals_no_played_table(tmp_path):
    _, result = aligned(tmp_path)
    args = (result.score, result.tempo_map)
    kit = get_kit("fluid-gm")
    pd.testing.assert_frame_equal(R.score_to_midi(*args, kit=kit)[1], R.score_to_midi(
        *args, kit=kit, played=R.score_onsets(*args))[1])
    # a score augmenter that leaves notes out: those are not played
    some = R.score_onsets(*args).iloc[::2]
    midi, rows = R.score_to_midi(*args, kit=kit, played=some)
    assert len(rows) == len(some) == len(R.midi_note_times(midi))


# -- CLI ----------------------------------------------------------------------------------
@needs_fluidsynth
def test_cli_render_writes_audio_midi_and_onsets(run_cli, tmp_path):
    if not KITS["timgm6mb"].installed:
        pytest.skip("timgm6mb-soundfont not installed")
    toml, result = aligned(tmp_path)
    wav, mid, onsets = tmp_path / "out" / "a.wav", tmp_path / "a.mid", tmp_path / "a.csv"
    code, out, err = run_cli("render", toml, "--kit", "timgm6mb", "--out", wav, "--midi", mid,
                             "--onsets", onsets, "--sample-rate", TEST_RATE,
                             "--humanize-ms", "3", "--seed", "2")
    assert code == 0, err
    assert out.split() == [str(wav), str(mid), str(onsets)]
    info = soundfile.info(str(wav))
    assert info.samplerate == TEST_RATE and info.subtype == "FLOAT"
    rows = list(csv.DictReader(onsets.open()))
    assert list(rows[0]) == RENDER_COLUMNS and len(rows) == len(result.onsets)
    assert all(0 < float(r["time"]) - float(r["midi_time"]) < 0.01 for r in rows)
    assert len(mido.MidiFile(str(mid)).tracks[0]) > len(rows)
    # never overwrite without --force
    before = wav.stat().st_mtime_ns, wav.read_bytes()
    code, _, err = run_cli("render", toml, "--kit", "timgm6mb", "--out", wav,
                           "--sample-rate", TEST_RATE)
    assert code == 1 and "exists" in err and "--force" in err
    assert (wav.stat().st_mtime_ns, wav.read_bytes()) == before
    code, _, err = run_cli("render", toml, "--kit", "timgm6mb", "--out", tmp_path / "b.wav",
                           "--onsets", onsets, "--sample-rate", TEST_RATE)
    assert code == 1 and str(onsets) in err and not (tmp_path / "b.wav").exists()
    code, _, err = run_cli("render", toml, "--kit", "timgm6mb", "--out", wav,
                           "--sample-rate", TEST_RATE, "--force")
    assert code == 0, err and wav.read_bytes() != before[1]


def test_cli_render_unknown_kit_lists_the_valid_names(run_cli, tmp_path):
    toml, _ = aligned(tmp_path)
    code, _, err = run_cli("render", toml, "--kit", "tr808", "--out", tmp_path / "x.wav")
    assert code == 2 and "unknown kit 'tr808'" in err
    assert all(name in err for name in KITS)
    assert not (tmp_path / "x.wav").exists()


def test_cli_render_bad_alignment_fails_with_its_findings(run_cli, tmp_path):
    if not KITS["fluid-gm"].installed:
        pytest.skip("fluid-soundfont-gm not installed")
    toml = tmp_path / "bad.toml"
    toml.write_text('tab = "missing.txt"\n[tempo]\nbpm = 100\n')
    code, _, err = run_cli("render", toml, "--kit", "fluid-gm", "--out", tmp_path / "x.wav")
    assert code == 1 and "DT202" in err


def test_cli_kits_lists_every_kit_and_whether_it_is_installed(run_cli, tmp_path, monkeypatch):
    code, out, _ = run_cli("kits")
    assert code == 0 and all(name in out for name in KITS)
    # kit lists are sorted by name
    assert [line.split()[0] for line in out.splitlines()[::2]] == sorted(KITS)
    code, out, _ = run_cli("kits", "--format", "json")
    kits = {k["name"]: k for k in json.loads(out)}
    assert set(kits) == set(KITS) and list(kits) == sorted(KITS)
    assert all(k["installed"] == KITS[n].installed for n, k in kits.items())
    assert (kits["fluid-gm"]["channel"], kits["avl-black-pearl"]["channel"]) == (10, 1)
    monkeypatch.setattr(FS, "SOUNDFONT_DIRS", (tmp_path,))
    code, out, _ = run_cli("kits")
    assert code == 0 and "missing (apt-get install avldrums.lv2-soundfont)" in out
    toml, _ = aligned(tmp_path)
    code, _, err = run_cli("render", toml, "--kit", "timgm6mb", "--out", tmp_path / "x.wav")
    assert code == 1 and "TimGM6mb.sf2" in err and "timgm6mb-soundfont" in err
    assert run_cli("kits", "--format", "xml")[0] == 2
    code, _, err = run_cli("render", toml, "--kit", "timgm6mb", "--out", tmp_path / "x.wav",
                           "--soundfont", tmp_path / "none.sf2")
    assert code == 1 and "soundfont not found" in err


@needs_fluidsynth
def test_cli_render_with_a_soundfont_given_by_path(run_cli, tmp_path, monkeypatch):
    installed = KITS["timgm6mb"].soundfont_path()
    if installed is None:
        pytest.skip("timgm6mb-soundfont not installed")
    monkeypatch.setattr(FS, "SOUNDFONT_DIRS", ())
    toml, _ = aligned(tmp_path)
    code, _, err = run_cli("render", toml, "--kit", "timgm6mb", "--out", tmp_path / "x.wav",
                           "--sample-rate", "8000", "--soundfont", installed)
    assert code == 0, err
    assert soundfile.info(str(tmp_path / "x.wav")).samplerate == 8000
