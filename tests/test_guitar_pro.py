"""Guitar Pro drum tracks (plugins/guitar_pro.py, pyguitarpro): the percussion track, fret
values as General MIDI keys, repeats unrolled, meters, tempo, ghost notes; files the tests
write with pyguitarpro."""
from __future__ import annotations

import pytest

from drumtabber.plugin_manager import PluginManager
from drumtabber.tabs import load_tab

gp = pytest.importorskip("guitarpro")
MANAGER = PluginManager(entry_points=False)


def measure_beats(measure, keys, *, ghost=()):
    voice = measure.voices[0]
    for k, key in enumerate(keys):
        beat = gp.Beat(voice, status=gp.BeatStatus.normal)
        beat.duration = gp.Duration(value=4)
        if key:
            note = gp.Note(beat, value=key, velocity=95, string=1, type=gp.NoteType.normal)
            note.effect.ghostNote = k in ghost
            beat.notes.append(note)
        voice.beats.append(beat)


def song_file(tmp_path, *, repeat=False, three_four=False):
    song = gp.Song()
    song.tempo = 100
    guitar = song.tracks[0]
    guitar.name = "Guitar"
    drums = gp.Track(song, name="Drums", isPercussionTrack=True)
    drums.channel.channel = 9
    song.tracks.append(drums)
    header = gp.MeasureHeader(number=2, start=960 + 3840)
    if three_four:
        header.timeSignature.numerator = 3
    if repeat:
        song.measureHeaders[0].isRepeatOpen = True
        header.repeatClose = 2
    song.measureHeaders.append(header)
    for track in song.tracks:
        while len(track.measures) < 2:
            track.measures.append(gp.Measure(track, header))
    measure_beats(drums.measures[0], [36, 38, 36, 38], ghost={3})
    measure_beats(drums.measures[1], [36, 42, 49] if three_four else [36, 42, 46, 49])
    measure_beats(guitar.measures[0], [60, 62, 64, 65])
    gp.write(song, str(tmp_path / "song.gp5"))
    return load_tab(tmp_path / "song.gp5", MANAGER)


def test_the_drum_track_with_meters_tempo_and_ghosts(tmp_path):
    r = song_file(tmp_path, three_four=True)
    got = [(e.bar, e.beat, e.instrument.value, e.velocity) for e in r.score.sorted_events()]
    assert got == [(0, 0, "kick", 95), (0, 1, "snare", 95), (0, 2, "kick", 95),
                   (0, 3, "snare", 40), (1, 0, "kick", 95), (1, 1, "hihat_closed", 95),
                   (1, 2, "crash", 95)]
    assert [str(b.meter) for b in r.score.bars] == ["4/4", "3/4"]
    assert [round(t, 6) for t in sorted(r.performed_s)][:3] == [0.0, 0.6, 1.2]    # 100 BPM


def test_repeats_are_unrolled(tmp_path):
    r = song_file(tmp_path, repeat=True)
    assert len(r.score.bars) == 4
    kicks = sorted(t for e, t in zip(r.score.events, r.performed_s)
                   if e.instrument.value == "kick")
    assert [round(t, 6) for t in kicks] == [0.0, 1.2, 2.4, 4.8, 6.0, 7.2]


def test_no_drum_track_and_broken_files(tmp_path):
    (tmp_path / "bad.gp5").write_bytes(b"not guitar pro")
    r = load_tab(tmp_path / "bad.gp5", MANAGER)
    assert r.findings[-1].code == "DT001" and not r.score.events
    song = gp.Song()
    gp.write(song, str(tmp_path / "guitar.gp5"))
    r = load_tab(tmp_path / "guitar.gp5", MANAGER)
    assert r.findings[-1].code == "DT002" and "no percussion track" in r.findings[-1].message


def measures_file(tmp_path, n, **marks):
    """A drum track of ``n`` 4/4 measures of kicks; ``marks``: measure number (1-based) ->
    dict of MeasureHeader fields (``direction`` / ``fromDirection`` as sign names)."""
    song = gp.Song()
    drums = song.tracks[0]
    drums.isPercussionTrack, drums.name = True, "Drums"
    drums.channel.channel = 9
    while len(song.measureHeaders) < n:
        song.measureHeaders.append(gp.MeasureHeader(number=len(song.measureHeaders) + 1,
                                                    start=960 + 3840 * len(song.measureHeaders)))
    for number, fields in marks.items():
        header = song.measureHeaders[int(number[1:]) - 1]
        for key, value in fields.items():
            setattr(header, key, gp.DirectionSign(value) if "irection" in key else value)
    while len(drums.measures) < n:
        drums.measures.append(gp.Measure(drums, song.measureHeaders[len(drums.measures)]))
    for m in drums.measures:
        measure_beats(m, [36, 36, 36, 36])
    gp.write(song, str(tmp_path / "jumps.gp5"))
    return load_tab(tmp_path / "jumps.gp5", MANAGER)


def played(r):
    """The measure (1-based, as written) of each bar played: a note's line is its measure."""
    return [line for _, line in sorted({(e.bar, e.line) for e in r.score.events})]


def test_alternate_endings_play_on_their_passes(tmp_path):
    # |: 1 |1. 2 :|2. 3 | 4 : the first ending's repeat sign is not obeyed on pass 2
    r = measures_file(tmp_path, 4, m1={"isRepeatOpen": True},
                      m2={"repeatAlternative": 1, "repeatClose": 2}, m3={"repeatAlternative": 2})
    assert played(r) == [1, 2, 1, 3, 4]
    assert len(r.score.events) == 4 * 5


def test_da_segno_al_coda(tmp_path):
    r = measures_file(tmp_path, 6, m2={"direction": "Segno"}, m3={"fromDirection": "Da Coda"},
                      m5={"fromDirection": "Da Segno al Coda"}, m6={"direction": "Coda"})
    assert played(r) == [1, 2, 3, 4, 5, 2, 3, 6]
    assert any(f.code == "DT111" and "measure 5" in f.message and "measure 2" in f.message
               for f in r.findings)
    kicks = sorted(t for e, t in zip(r.score.events, r.performed_s))
    assert len(kicks) == 32 and round(kicks[-1] - kicks[0], 6) == round(31 * 0.5, 6)  # 120 BPM


def test_da_capo_al_fine_plays_repeats_once_with_the_last_ending(tmp_path):
    r = measures_file(tmp_path, 4, m1={"isRepeatOpen": True},
                      m2={"repeatAlternative": 1, "repeatClose": 2},
                      m3={"repeatAlternative": 2, "direction": "Fine"},
                      m4={"fromDirection": "Da Capo al Fine"})
    assert played(r) == [1, 2, 1, 3, 4, 1, 3]


def test_a_jump_to_a_missing_sign_is_reported_and_not_taken(tmp_path):
    r = measures_file(tmp_path, 3, m2={"fromDirection": "Da Segno"})
    assert played(r) == [1, 2, 3]
    bad = [f for f in r.findings if f.code == "DT107"]
    assert len(bad) == 1 and "measure 2" in bad[0].message and "'Segno'" in bad[0].message
