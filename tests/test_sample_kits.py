"""Kits of one-shot samples (plugin hydrogen_kits): reading Hydrogen's drumkit.xml, telling
the pieces by name, velocity layers, round robin, the hi-hat choke, and the Debian kits."""
from __future__ import annotations

from fractions import Fraction as F

import numpy as np
import pytest

from drumtabber.audio import render as R
from drumtabber.errors import DrumtabberError
from drumtabber.plugin_manager import PluginManager
from drumtabber.plugins import hydrogen_kits as H
from drumtabber.score import Bar, Event, Instrument, Meter, Score
from drumtabber.tempo import TempoMap

soundfile = pytest.importorskip("soundfile")
RATE = 16000
I = Instrument


def tone(freq, seconds, lead=0):
    """A decaying sine of ``freq`` Hz after ``lead`` samples of silence."""
    t = np.arange(int(seconds * RATE)) / RATE
    return np.concatenate([np.zeros(lead), np.sin(2 * np.pi * freq * t) * np.exp(-3 * t)])


def write_kit(folder, pieces):
    """A drumkit.xml (Hydrogen 0.9 format, namespaced) with pieces [(name, [(freq, min,
    max, seconds)])]; each layer a decaying tone with 37 samples of leading silence."""
    folder.mkdir(parents=True, exist_ok=True)
    xml = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">',
           "<name>Test Kit 1.0</name><author>tests</author><license>CC0</license>"
           "<instrumentList>"]
    for n, (name, layers) in enumerate(pieces):
        xml.append(f"<instrument><id>{n}</id><name>{name}</name><volume>1</volume>"
                   "<gain>1</gain><instrumentComponent>")
        for k, (freq, low, high, seconds) in enumerate(layers):
            wav = f"p{n}-{k}.wav"
            soundfile.write(str(folder / wav), tone(freq, seconds, lead=37), RATE)
            xml.append(f"<layer><filename>{wav}</filename><min>{low}</min><max>{high}</max>"
                       "<gain>1</gain><pitch>0</pitch></layer>")
        xml.append("</instrumentComponent></instrument>")
    xml.append("</instrumentList></drumkit_info>")
    (folder / "drumkit.xml").write_text("\n".join(xml), encoding="utf-8")


FULL = [("Kick", [(60, 0, 1, 0.3)]), ("Snare", [(200, 0, 0.5, 0.2), (400, 0.5, 1, 0.2)]),
        ("Closed HH", [(3000, 0, 1, 0.1)]), ("Open HH", [(5000, 0, 1, 1.5)]),
        ("Tom Hi", [(300, 0, 1, 0.3)]), ("Floor Tom", [(100, 0, 1, 0.3)]),
        ("Crash", [(6000, 0, 1, 1.0)]),
        ("Ride", [(7000, 0, 1, 0.5), (7500, 0, 1, 0.5)])]       # two takes: round robin


def dominant(audio, start, seconds=0.02):
    """The strongest frequency (Hz) of ``seconds`` of audio from sample ``start``."""
    seg = audio[start:start + int(seconds * RATE)]
    spectrum = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 8 * len(seg)))
    return np.argmax(spectrum) * RATE / (8 * len(seg))


def render(kit, tmp_path, hits, qpm=120):
    """hits: [(beat, instrument, velocity)] in one 4/4 bar -> (audio, onset table)."""
    bars = [Bar(0, Meter(4, 4), 1), Bar(1, Meter(4, 4), 2)]
    score = Score(bars=bars, events=[Event(0, F(b), i, velocity=v) for b, i, v in hits])
    tempo_map = TempoMap(bars, qpm=F(qpm), reference=(0, F(0)))
    midi, rows = R.score_to_midi(score, tempo_map, kit=kit)
    wav = kit.render(midi, sample_rate=RATE, out_path=tmp_path / "take.wav")
    audio, rate = soundfile.read(str(wav), dtype="float32")
    assert rate == RATE and audio.ndim == 1
    return audio, R.rendered_onsets(midi, rows, RATE, kit)


@pytest.fixture
def kit(tmp_path):
    write_kit(tmp_path / "kits" / "Test Kit 1.0", FULL)
    kits = H.find_kits([tmp_path / "kits"])
    assert [k.name for k in kits] == ["h2-test-kit"]
    return kits[0]


def test_pieces_are_told_by_name_and_toms_ordered_low_to_high():
    names = ["Pearl Kick", "Pearl Side Stick", "Pearl Snare", "Pearl Snare Rimshot",
             "Sabian Hat Closed", "Sabian Hat Pedal", "Sabian Hat Semi-Open", "Sabian Hat Open",
             "Sabian Hat Choke", "Pearl Tom 1", "Pearl Tom 2", "Pearl Tom Floor",
             "Paiste Ride", "Paiste Bell", "Sabian Crash", "Sabian Crash Flink",
             "Crash/Ride (Paiste 18\")", "Zildjian Splash", "Cowbell", "Snare Roll"]
    pieces = [H.KitPiece(n, 1.0, ()) for n in names]
    found = {i: names[j] for i, j in H.assign_pieces(pieces).items()}
    assert found[I.KICK] == "Pearl Kick" and found[I.SIDE_STICK] == "Pearl Side Stick"
    assert found[I.SNARE] == "Pearl Snare" and found[I.SNARE_ELECTRIC] == "Pearl Snare Rimshot"
    assert found[I.HIHAT_PEDAL] == "Sabian Hat Pedal"
    assert found[I.HIHAT_OPEN] == "Sabian Hat Open"          # the open one, not the semi-open
    assert found[I.TOM_FLOOR_LOW] == "Pearl Tom Floor" and found[I.TOM_HIGH] == "Pearl Tom 1"
    assert found[I.TOM_LOW] == "Pearl Tom 2"
    assert found[I.RIDE] == "Paiste Ride" and found[I.RIDE_BELL] == "Paiste Bell"
    assert found[I.CRASH] == "Sabian Crash" and found[I.SPLASH] == "Zildjian Splash"
    assert found[I.RIDE2].startswith("Crash/Ride") and found[I.COWBELL] == "Cowbell"
    # chokes, flinks and rolls are never chosen
    assert not {"Sabian Hat Choke", "Sabian Crash Flink", "Snare Roll"} & set(found.values())


def test_missing_sounds_take_the_nearest_of_their_family(kit):
    name = {i: kit.pieces[k].name for i, k in kit.keys.items()}
    assert set(kit.keys) == set(Instrument)
    assert name[I.HIHAT_PEDAL] == "Closed HH" and name[I.CHINA] == "Crash"
    assert name[I.RIDE_BELL] == "Ride" and name[I.SIDE_STICK] == "Snare"
    assert name[I.COWBELL] == "Snare"                 # percussion -> the side stick's sound
    assert name[I.TOM_FLOOR_LOW] == "Floor Tom" and name[I.TOM_HIGH] == "Tom Hi"


def test_each_note_starts_its_sample_at_its_exact_time(kit, tmp_path):
    hits = [(0, I.KICK, 100), (1, I.SNARE, 100), (2, I.TOM_HIGH, 100), (3, I.CRASH, 100)]
    audio, onsets = render(kit, tmp_path, hits)
    assert list(onsets["time"]) == [0.0, 0.5, 1.0, 1.5]
    for t in onsets["time"][:3]:
        s = round(t * RATE)          # the sample's leading silence is trimmed: sound from s
        assert audio[s - 1] == pytest.approx(audio[s - 1] * 0, abs=1e-4) or t == 0
        assert np.abs(audio[s:s + 20]).max() > 0.01
    assert np.nonzero(audio)[0][0] == 0 and np.all(audio[-RATE // 4:] == 0)


def test_velocity_picks_the_layer_and_scales_it(kit, tmp_path):
    audio, onsets = render(kit, tmp_path, [(0, I.SNARE, 30), (2, I.SNARE, 120)])
    soft, loud = (round(t * RATE) for t in onsets["time"])
    assert dominant(audio, soft) == pytest.approx(200, abs=15)
    assert dominant(audio, loud) == pytest.approx(400, abs=15)
    ratio = np.abs(audio[loud:loud + 800]).max() / np.abs(audio[soft:soft + 800]).max()
    assert ratio == pytest.approx(120 / 30, rel=0.05)


def test_takes_of_one_layer_alternate(kit, tmp_path):
    audio, onsets = render(kit, tmp_path, [(b, I.RIDE, 90) for b in range(4)])
    freqs = [dominant(audio, round(t * RATE)) for t in onsets["time"]]
    assert freqs == pytest.approx([7000, 7500, 7000, 7500], abs=40)


def test_a_hihat_stroke_cuts_the_ringing_open_hihat(kit, tmp_path):
    audio, onsets = render(kit, tmp_path, [(0, I.HIHAT_OPEN, 100), (1, I.HIHAT_PEDAL, 100),
                                           (2, I.CRASH, 100)])
    pedal, crash = (round(t * RATE) for t in onsets["time"][1:])
    after = pedal + int(0.12 * RATE)         # the closed hat (0.1 s) and the fade are over
    assert np.abs(audio[after:crash]).max() < 1e-6
    # the crash is not cut by anything: it rings for its whole second
    assert np.abs(audio[crash + int(0.9 * RATE):crash + int(0.95 * RATE)]).max() > 1e-3


def test_a_broken_kit_is_left_out_and_read_drumkit_names_the_file(tmp_path):
    write_kit(tmp_path / "kits" / "good", FULL)
    (tmp_path / "kits" / "broken").mkdir()
    (tmp_path / "kits" / "broken" / "drumkit.xml").write_text("<drumkit_info><name>x",
                                                              encoding="utf-8")
    write_kit(tmp_path / "kits" / "electro", [("Kick 1", [(60, 0, 1, 0.2)]),
                                              ("Clap", [(900, 0, 1, 0.2)])])
    write_kit(tmp_path / "kits" / "words", FULL)
    xml = tmp_path / "kits" / "words" / "drumkit.xml"
    xml.write_text(xml.read_text().replace("<min>0.5</min>", "<min>loud</min>"))
    assert [k.name for k in H.find_kits([tmp_path / "kits"])] == ["h2-test-kit"]
    for folder in ("broken", "words"):
        with pytest.raises(DrumtabberError) as exc:
            H.read_drumkit(tmp_path / "kits" / folder / "drumkit.xml")
        assert f"{folder}/drumkit.xml" in str(exc.value) and "cannot read" in str(exc.value)


def test_kit_names():
    assert H.kit_name("The Black Pearl 1.0") == "h2-black-pearl"
    assert H.kit_name("Millo-Drums_v.1") == "h2-millo-drums"
    assert H.kit_name("Millo_MultiLayered2") == "h2-millo-multilayered2"


def test_the_debian_acoustic_kits_are_registered():
    """hydrogen-drumkits and hydrogen-data (make setup installs them)."""
    names = {k.name for k in PluginManager(entry_points=False).registry("kit")}
    acoustic = {"h2-black-pearl", "h2-gmrockkit", "h2-forzee-stereo-drumkit",
                "h2-bja-pacific", "h2-colomboacousticdrumkit", "h2-millo-multilayered2",
                "h2-millo-multilayered3", "h2-millo-drums", "h2-audiophob"}
    assert acoustic <= names
    # electronic and hand-percussion kits have no ride or tom: never a drum-kit stand-in
    assert not {"h2-tr808emulationkit", "h2-gimme-a-hand", "h2-circafrique"} & names
