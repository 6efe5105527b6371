"""Rock Band / Phase Shift ``notes.mid`` drum charts through the ``midi`` parser
(plugins/gm_midi/rockband.py): the drum track only, pads as cymbals or toms by the pro-drums
markers, the disco flip, 2x kick, the file's tempo, and song.ini's delay; files the tests
write with mido."""
from __future__ import annotations

import mido
import pytest

from drumtabber.plugin_manager import PluginManager
from drumtabber.tabs import load_tab

MANAGER = PluginManager(entry_points=False)
TPQ = 480


def chart(tmp_path, drums, *, name="PART DRUMS", delay=None):
    midi = mido.MidiFile(type=1, ticks_per_beat=TPQ)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=500000, time=0),
                           mido.MetaMessage("time_signature", numerator=4, denominator=4)])
    guitar = mido.MidiTrack([mido.MetaMessage("track_name", name="PART GUITAR"),
                             mido.Message("note_on", note=97, velocity=100, time=0),
                             mido.Message("note_off", note=97, velocity=0, time=240)])
    track = mido.MidiTrack([mido.MetaMessage("track_name", name=name)])
    now = 0
    for tick, kind, value in sorted(drums, key=lambda d: (d[0], d[1] != "off")):
        delta, now = tick - now, tick
        if kind == "text":
            track.append(mido.MetaMessage("text", text=value, time=delta))
        else:
            track.append(mido.Message("note_on" if kind == "on" else "note_off", note=value,
                                      velocity=100 if kind == "on" else 0, time=delta))
    midi.tracks += [meta, guitar, track]
    path = tmp_path / "notes.mid"
    midi.save(path)
    if delay is not None:
        (tmp_path / "song.ini").write_text(f"[song]\ndelay = {delay}\n")
    return load_tab(path, MANAGER)


def hit(tick, note):
    return [(tick, "on", note), (tick + 60, "off", note)]


def test_pads_markers_disco_flip_and_2x_kick(tmp_path):
    drums = (hit(0, 96) + hit(480, 97) + hit(960, 98)
             + [(1440, "on", 110), (1900, "off", 110)] + hit(1440, 98) + hit(1920, 99)
             + [(2400, "on", 112), (2500, "off", 112)] + hit(2400, 100) + hit(2400, 95)
             + [(2880, "text", "[mix 3 drums0d]")] + hit(2880, 97) + hit(3360, 98)
             + [(3840, "text", "[mix 3 drums0]")] + hit(3840, 97))
    r = chart(tmp_path, drums, delay=250)
    got = sorted((float(t), e.instrument.value) for e, t in zip(r.score.events, r.performed_s))
    assert got == [(0.0, "kick"), (0.5, "snare"), (1.0, "hihat_closed"), (1.5, "tom_high"),
                   (2.0, "ride"), (2.5, "kick"), (2.5, "tom_floor_high"),
                   (3.0, "hihat_closed"), (3.5, "snare"), (4.0, "snare")]
    assert any("delay 250 ms" in f.message for f in r.findings)
    assert not [f for f in r.findings if f.severity.value == "error"]


@pytest.mark.parametrize("name", ["PART DRUMS", "PART REAL_DRUMS_PS"])
def test_the_drum_track_is_read_and_the_guitar_left(tmp_path, name):
    r = chart(tmp_path, hit(0, 96) + hit(480, 97), name=name)
    assert [e.instrument.value for e in r.score.events] == ["kick", "snare"]


def test_a_midi_file_without_a_drum_part_is_read_as_drum_midi(tmp_path):
    """No PART DRUMS track: plain drum MIDI (every channel, the TD-11 map), where the
    guitar's note 97 is an unknown drum note, not a Rock Band snare."""
    r = chart(tmp_path, hit(0, 36) + hit(480, 38), name="Drums")
    assert [e.instrument.value for e in r.score.events] == ["kick", "snare"]
    assert any(f.code == "DT101" and "note 97" in f.message for f in r.findings)


def test_a_named_drum_track_of_a_general_midi_file(tmp_path):
    """General drum MIDI beyond the Groove layout: the drums on a named track of any channel
    (`midi.track`), the other tracks left out; a missing name lists the tracks."""
    chart(tmp_path, hit(0, 36) + hit(480, 38), name="Drums")
    r = load_tab(tmp_path / "notes.mid", MANAGER, options={"track": "Drums", "note_map": "gm"})
    assert [e.instrument.value for e in r.score.events] == ["kick", "snare"]
    assert not [f for f in r.findings if f.code == "DT101"]             # no guitar notes
    r = load_tab(tmp_path / "notes.mid", MANAGER, options={"track": "Kit"})
    assert r.findings[-1].code == "DT002" and "'PART GUITAR'" in r.findings[-1].message
