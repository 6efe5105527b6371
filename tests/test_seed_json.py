"""The seed project's song JSON (mayhemsloth/Drum-Tabber, src/utils.py MusicAlignedTab), read
exactly as the seed reads it: ``song`` is the recording in the song's folder, and ``tempo
sections`` are section lengths in 16th-note cells, the first counted from the first drum
note's cell.  Times below are worked out by hand: a 16th-note cell at B BPM lasts 15/B s."""
from __future__ import annotations

import json
from fractions import Fraction as F

import numpy as np
import pytest
import soundfile

from drumtabber.alignment import load_alignment, load_song
from drumtabber.plugin_manager import PluginManager

MANAGER = PluginManager(entry_points=False)
QUARTERS_4_BARS = "HH|x---x---x---x---|x---x---x---x---|x---x---x---x---|x---x---x---x---|\n"


def seed_song(folder, tab: str, info: dict, **extra):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "song_tab.txt").write_text(tab)
    data = {"song": "song.wav", "tab_file": "song_tab.txt",
            "tab_char_labels": {"hi-hat": "HH"}, "alignment_info": info, **extra}
    (folder / "song.json").write_text(json.dumps(data))
    return folder / "song.json"


def hh_times(song) -> dict:
    """{cell index: exact time} of the hi-hat hits of a 16-cell-a-bar song."""
    return {(r["bar"] - 1) * 16 + int(F(r["beat"]) * 4): r["time_exact"]
            for r in song.onsets.to_dict("records")}


def test_sections_are_lengths_not_positions(tmp_path):
    # BPM 100 for cells 0-31, 150 for cells 32-47, 75 from cell 48 on (the example)
    path = seed_song(tmp_path / "a", QUARTERS_4_BARS,
                     {"triplets": False, "tempo change": True, "BPM": 100,
                      "first drum note onset": 1.0, "tempo sections": [[32, 150], [16, 75]]})
    song, findings = load_song(path, MANAGER)
    assert song is not None, findings
    times = hh_times(song)
    assert times[28] == 1 + 28 * F(15, 100)
    assert times[32] == 1 + 32 * F(15, 100)                           # 5.8 s
    assert times[44] == 1 + F(48, 10) + 12 * F(15, 150)
    assert times[48] == 1 + F(48, 10) + 16 * F(15, 150)               # 7.4 s
    assert times[56] == F(74, 10) + 8 * F(15, 75)                     # 9.0 s
    assert not [f for f in findings if f.code == "DT213"]              # first note in cell 0


def test_the_first_section_starts_at_the_first_drum_note(tmp_path):
    # first hit in cell 4; the first section's 8 cells are cells 4-11; 60 BPM from cell 12
    tab = "HH|----x---x---x---|x---x---x---x---|\n"
    path = seed_song(tmp_path / "b", tab, {"triplets": False, "tempo change": True, "BPM": 120,
                                           "first drum note onset": 2.0,
                                           "tempo sections": [[8, 60]]})
    song, findings = load_song(path, MANAGER)
    times = hh_times(song)
    assert times[4] == 2 and times[8] == 2 + 4 * F(15, 120)
    assert times[12] == 2 + 8 * F(15, 120)                            # 3.0 s: the change
    assert times[16] == 3 + 4 * F(15, 60)                             # 4.0 s
    [note] = [f for f in findings if f.code == "DT213"]
    assert "cell 4" in note.message and note.severity.value == "warning"


def test_sections_count_triplet_cells(tmp_path):
    # the 14-cell bar 1e+a2e+a3te4te: cells 8-13 are eighth-note triplets, so cell 11 is
    # beat 3; 60 BPM from there on
    tab = ("HH|x-x-x-x-xxxxxx|x---------------|\n"
           "  |1e+a2e+a3te4te|1e+a2e+a3e+a4e+a|\n")
    path = seed_song(tmp_path / "c", tab, {"triplets": True, "tempo change": True, "BPM": 120,
                                           "first drum note onset": 0,
                                           "tempo sections": [[11, 60]]})
    song, findings = load_song(path, MANAGER)
    assert song is not None, findings
    got = [r["time_exact"] for r in song.onsets.to_dict("records")]
    assert got[:4] == [0, F(1, 4), F(1, 2), F(3, 4)]
    assert got[4:7] == [1, 1 + F(1, 6), 1 + F(1, 3)]                 # triplets at 120 BPM
    assert got[7:10] == [F(3, 2), F(3, 2) + F(1, 3), F(3, 2) + F(2, 3)]   # at 60 BPM
    assert got[10] == F(5, 2)                                         # bar 2


def test_json_toml_round_trip_gives_the_same_times(tmp_path, run_cli):
    path = seed_song(tmp_path / "d", "HH|----x---x---x---|x---x---x---x---|\n",
                     {"triplets": False, "tempo change": True, "BPM": 120,
                      "first drum note onset": 2.0, "tempo sections": [[8, 60], [4, 90]]})
    out = tmp_path / "alignments"
    code, _, err = run_cli("import-seed", path.parent, "--out", out)
    assert code == 0, err
    toml_text = (out / "song.toml").read_text()
    assert 'file = "song.wav"' in toml_text                   # the link to the recording kept
    from_json, _ = load_song(path, MANAGER)
    from_toml, _ = load_song(out / "song.toml", MANAGER)
    assert list(from_toml.onsets["time_exact"]) == list(from_json.onsets["time_exact"])
    assert from_toml.alignment.audio_file == from_json.alignment.audio_file == "song.wav"


def test_song_names_the_recording_beside_the_json(tmp_path, run_cli):
    path = seed_song(tmp_path / "e", QUARTERS_4_BARS,
                     {"triplets": False, "tempo change": False, "BPM": 120,
                      "first drum note onset": 0.5})
    soundfile.write(path.parent / "song.wav", np.zeros(8000 * 10, np.float32), 8000)
    alignment, _ = load_alignment(path, MANAGER)
    assert alignment.audio_file == "song.wav" and alignment.song == "song"
    song, findings = load_song(path, MANAGER, audio_dir=tmp_path / "no-audio-here",
                               need_recording=True)
    assert song is not None and song.recording == path.parent / "song.wav", findings
    code, out, err = run_cli("align", path, "--audio-dir", path.parent)
    assert code == 0 and "DT208" not in err


@pytest.mark.parametrize("value, message", [
    (5, "song: expected a string"),
    ([1], "song: expected a string"),
])
def test_a_song_that_is_not_a_file_name(tmp_path, value, message):
    path = seed_song(tmp_path / "f", QUARTERS_4_BARS,
                     {"triplets": False, "tempo change": False, "BPM": 120,
                      "first drum note onset": 0.5})
    data = json.loads(path.read_text())
    data["song"] = value
    path.write_text(json.dumps(data))
    _, findings = load_alignment(path, MANAGER)
    assert any(f.code == "DT201" and message in f.message for f in findings)
