"""Mixed kits (``mix:BASE,FAMILY=KIT,...``): each drum family of a real Groove performance
played by its own kit, the renders summed, every note's onset where its kit starts it."""
from __future__ import annotations

import numpy as np
import pytest

from drumtabber.audio.io import load_audio
from drumtabber.audio.mixed_kit import mix_name, parse_mix
from drumtabber.audio.render import get_kit
from drumtabber.dataset.examples import read_performance, render_performance
from drumtabber.errors import UnknownComponentError
from drumtabber.score import Instrument
from tests.test_onsetmodel import (GROOVE, MANAGER, groove_performances, needs_fluidsynth,
                                   train_midi_folder)

RATE = 22050
KITS = ("h2-black-pearl", "h2-millo-drums")


def kits_installed(*names):
    return all(n in MANAGER.registry("kit").names() and get_kit(MANAGER, n).installed
               for n in names)


needs_kits = pytest.mark.skipif(not GROOVE.is_dir() or not kits_installed(*KITS),
                                reason="needs the Groove MIDI Dataset and hydrogen-drumkits")


@pytest.fixture(scope="module")
def performance():
    return read_performance(groove_performances("train", 3)[1]["midi_path"], MANAGER)


def render(performance, kit, path):
    onsets = render_performance(performance, get_kit(MANAGER, kit, installed=True), path,
                                sample_rate=RATE, gain=0.5)
    return onsets, load_audio(path, sample_rate=RATE)[0]


def test_mix_names_round_trip_and_bad_ones_are_named():
    name = mix_name("fluid-gm", {"hihat": "h2-audiophob", "kick": "fluid-gm", "ride": "x"})
    assert name == "mix:fluid-gm,hihat=h2-audiophob,ride=x"      # the base's own family left out
    assert parse_mix(name) == ("fluid-gm", {"hihat": "h2-audiophob", "ride": "x"}, "own", {})
    leveled = mix_name("fluid-gm", {"hihat": "h2-audiophob"}, "base")
    assert leveled == "mix:fluid-gm,hihat=h2-audiophob,levels=base"
    assert parse_mix(leveled) == ("fluid-gm", {"hihat": "h2-audiophob"}, "base", {})
    turned = mix_name("fluid-gm", {"hihat": "h2-audiophob"}, "own", {"hihat": -6.5, "kick": -3,
                                                                   "snare": 0})
    assert turned == "mix:fluid-gm,kick=fluid-gm:-3,hihat=h2-audiophob:-6.5"
    assert parse_mix(turned) == ("fluid-gm", {"kick": "fluid-gm", "hihat": "h2-audiophob"},
                                 "own", {"kick": -3.0, "hihat": -6.5})
    for bad, said in (("mix:", "base kit first"), ("mix:hihat=a", "base kit first"),
                      ("mix:a,hat=b", "found 'hat=b'"), ("mix:a,kick=b,kick=c", "named twice"),
                      ("mix:a,kick=b,levels=loud", "levels is own or base, not 'loud'"),
                      ("mix:a,kick=b:loud", "decibels from -60 to 24, not 'loud'"),
                      ("mix:a,kick=b:-99", "decibels from -60 to 24, not '-99'"),
                      ("mix:a,kick=:3", "FAMILY=KIT:DB")):
        with pytest.raises(UnknownComponentError, match=said):
            get_kit(MANAGER, bad)
    with pytest.raises(UnknownComponentError, match="unknown kit 'nokit'; valid names"):
        get_kit(MANAGER, "mix:fluid-gm,snare=nokit")


@needs_kits
def test_a_mix_of_one_kit_is_that_kit(performance, tmp_path):
    onsets, audio = render(performance, KITS[0], tmp_path / "kit.wav")
    mixed, mix_audio = render(performance, f"mix:{KITS[0]}", tmp_path / "mix.wav")
    assert np.array_equal(mixed["time"], onsets["time"]) and len(onsets) > 100
    assert np.allclose(mix_audio[:len(audio)], audio, atol=1e-6)


@needs_fluidsynth
@needs_kits
@pytest.mark.parametrize("a, b", [KITS, (KITS[0], "fluid-gm")])
def test_each_family_sounds_from_its_own_kit(performance, tmp_path, a, b):
    """Swapping the hi-hats of two kits both ways gives, summed, what the two kits give
    summed: each family's part is its kit's own render of those notes (its round robin, its
    choke), and each note starts where its kit starts it (FluidSynth at a block boundary
    after its MIDI time, a sample kit at the MIDI time)."""
    on_a, audio_a = render(performance, a, tmp_path / "a.wav")
    on_b, audio_b = render(performance, b, tmp_path / "b.wav")
    on_ab, audio_ab = render(performance, f"mix:{a},hihat={b}", tmp_path / "ab.wav")
    on_ba, audio_ba = render(performance, f"mix:{b},hihat={a}", tmp_path / "ba.wav")
    n = min(map(len, (audio_a, audio_b, audio_ab, audio_ba)))
    assert np.abs(audio_ab[:n] - audio_a[:n]).max() > 0.01      # the mix is another kit
    apart = np.abs(audio_ab[:n] + audio_ba[:n] - audio_a[:n] - audio_b[:n]) > 1e-5
    # FluidSynth's render of a whole kit is not quite the sum of renders of its parts: its
    # voices interact (exclusive classes, a stroke cut by another; 0.01 % of the samples here)
    assert not apart.any() if b in KITS else apart.mean() < 1e-3
    hats = np.array([Instrument(v).family == "hihat" for v in on_a["instrument"]])
    assert 50 < hats.sum() < len(hats)
    assert np.array_equal(on_ab["time"][hats], on_b["time"][hats])
    assert np.array_equal(on_ab["time"][~hats], on_a["time"][~hats])
    late = (on_ab["time"] - on_ab["midi_time"]).to_numpy()
    assert (np.abs(late[~hats]) <= 1 / RATE).all()
    if b == "fluid-gm":
        assert (late[hats] > 0.001).all()


@needs_fluidsynth
@needs_kits
def test_levels_base_plays_a_part_at_the_base_kits_level(performance, tmp_path):
    """The hi-hats alone of a real performance: mixed in from the quiet soundfont they are
    as loud as the soundfont plays them; with levels=base as loud as the base kit's, in the
    soundfont's sound."""
    from drumtabber.dataset.examples import performed_score
    from drumtabber.dataset.render import render_score
    from drumtabber.score import Score
    score = performed_score(performance)
    hats = Score(bars=score.bars, events=[e for e in score.events
                                          if e.instrument.family == "hihat"])

    def rms(kit):
        path = tmp_path / "h.wav"
        render_score(hats, performance.tempo_map, get_kit(MANAGER, kit, installed=True), path,
                     sample_rate=RATE, gain=0.5)
        audio = load_audio(path, sample_rate=RATE)[0]
        return float(np.sqrt(np.mean(audio ** 2))), audio
    base, gm = rms(KITS[0]), rms("fluid-gm")
    own = rms(f"mix:{KITS[0]},hihat=fluid-gm")
    leveled = rms(f"mix:{KITS[0]},hihat=fluid-gm,levels=base")
    assert gm[0] < 0.5 * base[0]                       # the soundfont's hi-hat is quieter
    assert own[0] == pytest.approx(gm[0], rel=1e-3)
    assert leveled[0] == pytest.approx(base[0], rel=1e-3)
    n = min(len(gm[1]), len(leveled[1]))
    assert np.allclose(leveled[1][:n] * (gm[0] / leveled[0]), gm[1][:n], atol=1e-5)


@needs_kits
def test_a_family_turned_down_is_its_own_render_at_that_gain(performance, tmp_path):
    """A real performance with the hi-hats 20 dB down: the kit's render less 0.9 of its
    hi-hats alone (a sample kit's parts sum exactly), every onset where it was."""
    from drumtabber.dataset.examples import performed_score
    from drumtabber.dataset.render import render_score
    from drumtabber.score import Score
    score = performed_score(performance)
    path = tmp_path / "h.wav"
    render_score(Score(bars=score.bars, events=[e for e in score.events
                                                if e.instrument.family == "hihat"]),
                 performance.tempo_map, get_kit(MANAGER, KITS[0], installed=True), path,
                 sample_rate=RATE, gain=0.5)
    hats = load_audio(path, sample_rate=RATE)[0]
    onsets, whole = render(performance, KITS[0], tmp_path / "k.wav")
    turned, quiet = render(performance, f"mix:{KITS[0]},hihat={KITS[0]}:-20", tmp_path / "q.wav")
    assert np.array_equal(turned["time"], onsets["time"])
    n = min(len(whole), len(quiet), len(hats))
    assert np.abs(hats[:n]).max() > 0.05
    assert np.allclose(whole[:n] - quiet[:n], 0.9 * hats[:n], atol=1e-5)


@needs_fluidsynth
@needs_kits
def test_train_mixes_kits_for_a_share_of_the_renders(tmp_path, run_cli):
    midi = train_midi_folder(tmp_path, 4)
    code, _, err = run_cli("train", midi, "--out", tmp_path / "model", "--kits",
                           ",".join(KITS), "--kits-per-file", "1", "--max-seconds", "4",
                           "--mix-kits", "1", "--mix-levels", "base", "--mix-gains", "12",
                           "-o", "epochs=1")
    assert code == 0, err
    assert "4 renders with mixed kits" in err
    import json
    info = json.loads((tmp_path / "model" / "model.json").read_text())["info"]
    assert info["mix_share"] == 1.0 and info["mix_levels"] == "base" and info["examples"] == 4
    assert info["mix_gains"] == 12.0
    code, _, err = run_cli("train", midi, "--out", tmp_path / "m2", "--mix-kits", "0.5",
                           "--mix-levels", "loud")
    assert code == 2 and "--mix-levels must be own or base" in err
    for bad in ("-1", "41", "nan"):
        code, _, err = run_cli("train", midi, "--out", tmp_path / "m2", "--mix-kits", "0.5",
                               "--mix-gains", bad)
        assert code == 2 and "--mix-gains must be decibels from 0 to 40" in err
    code, _, err = run_cli("train", midi, "--out", tmp_path / "m2", "--mix-gains", "6")
    assert code == 2 and "give --mix-kits SHARE too" in err and not (tmp_path / "m2").exists()
    for share in ("1.5", "-0.1", "nan"):
        code, _, err = run_cli("train", midi, "--out", tmp_path / "m2", "--mix-kits", share)
        assert code == 2 and "--mix-kits must be a share from 0 to 1" in err
        assert not (tmp_path / "m2").exists()


@needs_kits
def test_two_instruments_on_one_sample_of_a_part(tmp_path):
    """A Groove performance with both crashes struck on one tick, in a part whose kit has
    one crash sample for both: each note keeps its own row, at that kit's onset."""
    midi = GROOVE / "drummer1/session3/14_rock_94_beat_4-4.mid"
    performance = read_performance(midi, MANAGER)
    pearl, pearl_audio = render(performance, KITS[0], tmp_path / "a.wav")
    both = pearl.groupby(["tick", "key"])["instrument"].transform("count") > 1
    assert set(pearl.loc[both, "instrument"]) == {"crash", "crash2"}
    mixed, _ = render(performance, f"mix:{KITS[1]},cymbal={KITS[0]}", tmp_path / "m.wav")
    cymbals = np.array([Instrument(v).family == "cymbal" for v in pearl["instrument"]])
    assert list(mixed["instrument"]) == list(pearl["instrument"])
    assert np.array_equal(mixed["time"][cymbals], pearl["time"][cymbals])


@needs_fluidsynth
@needs_kits
def test_render_and_kits_commands_take_mixed_kits(tmp_path, run_cli):
    from tests.test_render import aligned
    toml, _ = aligned(tmp_path)
    kit = f"mix:fluid-gm,hihat={KITS[0]}"
    code, _, err = run_cli("render", toml, "--kit", kit, "--out", tmp_path / "m.wav",
                           "--onsets", tmp_path / "m.csv")
    assert code == 0 and f"rendered with {kit}" in err
    assert len(load_audio(tmp_path / "m.wav")[0]) > 0 and (tmp_path / "m.csv").is_file()
    code, _, err = run_cli("render", toml, "--kit", "mix:fluid-gm,hat=x", "--out",
                           tmp_path / "bad.wav")
    assert code == 2 and "FAMILY one of kick" in err and not (tmp_path / "bad.wav").exists()
    code, _, err = run_cli("kits")
    assert code == 0 and "mix:BASE,FAMILY=KIT" in err
