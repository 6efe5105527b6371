"""Alignment files -> onset tables: hand-computed times, the seed's JSON, and every finding."""
from __future__ import annotations

import csv
import hashlib
import io
import json
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest
import soundfile

from conftest import ROOT, SHARED_TABS
from drumtabber.alignment import align, load_alignment, load_song
from drumtabber.alignment.align import cell_to_quarters
from drumtabber.plugin_manager import PluginManager
from drumtabber.tabs import load_tab
from drumtabber.tempo import TempoMap

MANAGER = PluginManager(entry_points=False)


def run(tmp_path, toml: str, tab: str | None = None, audio_dir=None):
    """Load ``song.toml`` (and its tab ``song.txt``) as a song; (song or None, the findings
    that are not info)."""
    if tab is not None:
        (tmp_path / "song.txt").write_text(tab)
    path = tmp_path / "song.toml"
    path.write_text(toml)
    song, findings = load_song(path, MANAGER, audio_dir=audio_dir)
    return song, [f for f in findings if f.severity.value != "info"]


def rows(song):
    """The song's onset table as row dicts."""
    return song.onsets.to_dict("records")


def times(song, label=None):
    return [r["time_exact"] for r in rows(song) if label is None or r["label"] == label]


def test_may3beta_seed_alignment_from_the_repo():
    song, findings = load_song(ROOT / "alignments" / "may3beta.toml", MANAGER)
    assert song is not None and not [f for f in findings if f.severity.value == "error"]
    first = rows(song)[0]
    assert (first["time"], first["instrument"], first["bar"]) == (1.77, "kick", 1)
    # bar 5 beat 0 is 16 quarters after the first note: 1.770 + 16 x 60/135 s
    bar5 = [r for r in rows(song) if r["bar"] == 5 and r["beat"] == "0"]
    assert {r["time_exact"] for r in bar5} == {F("1.77") + 16 * F(60, 135)}


def test_the_pure_align_gives_the_song_loaders_onset_table():
    """``align(alignment, score)`` reads no file: the loader's table from the same parts."""
    song, _ = load_song(ROOT / "alignments" / "may3beta.toml", MANAGER)
    alignment, findings = load_alignment(ROOT / "alignments" / "may3beta.toml", MANAGER)
    assert alignment is not None and not findings
    result = align(alignment, song.score)
    assert not [f for f in result.findings if f.severity.value == "error"]
    assert result.onsets.equals(song.onsets)
    assert result.tempo_map.beats_to_seconds(4, 0) == song.tempo_map.beats_to_seconds(4, 0)


TRIPLET_TAB = """\
Time: 4/4
HH|x-x-x-x-|
BD|o-------|
  |1+2+3+4+|

Time: 7/8
HH|x-x-x-x-xxx--|
  |1+2+3+4+5te7+|
"""


def test_triplets_inside_a_tempo_section_inside_a_seven_eight_bar(tmp_path):
    result, findings = run(tmp_path, 'tab = "song.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 0.5\n'
                           '[[tempo.change]]\nbar = 2\nbpm = 90\n', TRIPLET_TAB)
    assert not findings
    # bar 1: 4 quarters at 120 -> 2 s; bar 2 at 90 quarters/min: an eighth lasts 1/3 s and
    # `5te` is an eighth-note triplet over beats 5-6: cells 2/9 s apart.
    start = F(5, 2)
    assert times(result, "HH") == [F(1, 2), 1, F(3, 2), 2, start, start + F(1, 3),
                                   start + F(2, 3), start + 1, start + F(4, 3),
                                   start + F(4, 3) + F(2, 9), start + F(4, 3) + F(4, 9)]


def test_pickup_before_the_first_drum_note(tmp_path):
    result, _ = run(tmp_path, 'tab = "song.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 2.0\n',
                    "BD|----o---|o-------|\n")
    # 8-column bars: eighth-note cells; the first note is beat 3 of bar 1
    assert times(result) == [2, 3]
    assert result.tempo_map.beats_to_seconds(0, 0) == 1       # the empty pickup beats


def test_ramp_followed_by_anchors(tmp_path):
    toml = ('tab = "song.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 0\n'
            '[[tempo.ramp]]\nfrom_bar = 2\nto_bar = 3\nto_bpm = 60\n'
            '[[anchor]]\nbar = 4\ntime_s = 10\n[[anchor]]\nbar = 4\nbeat = 2\ntime_s = 11\n')
    result, findings = run(tmp_path, toml, "BD|o---|o---|----|o-o-|\n")
    assert not findings
    import math
    got = [float(t) for t in times(result)]
    assert got == pytest.approx([0, 20 / (6 + 4 * math.log(2)), 10, 11])


def test_explicit_anchor_and_offset(tmp_path):
    toml = ('tab = "song.txt"\n[tempo]\nbpm = 60\noffset_s = -0.25\n'
            'anchor = { bar = 2, beat = "1/2", time_s = 10 }\n')
    result, _ = run(tmp_path, toml, "BD|o---|--o-|\n")       # 4 columns: one per beat
    assert times(result) == [F(10) - F(9, 2) - F(1, 4), F(10) + F(3, 2) - F(1, 4)]


def test_ten_minutes_of_sixteenth_triplets_end_within_a_microsecond(tmp_path):
    bar = "x" * 24
    tab = "\n\n".join(f"HH|{bar}|{bar}|{bar}|{bar}|\n  |" + "|".join(["1ts+ts2ts+ts3ts+ts4ts+ts"] * 4)
                      + "|" for _ in range(75))                # 300 bars of 4/4 at 120 = 600 s
    result, findings = run(tmp_path, 'tab = "song.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 0\n', tab)
    assert not findings and len(result.onsets) == 300 * 24
    last = rows(result)[-1]
    analytic = (299 * 4 + F(23, 6)) * F(1, 2)                 # last cell: 1/6 quarter early
    assert abs(last["time"] - float(analytic)) < 1e-6 and last["time_exact"] == analytic


def test_meter_change_in_the_alignment_file(tmp_path):
    tab = "HH|x-x-x-x-|x-x-x-x-x-x-x-|\n  |1+2+3+4+|1+2+3+4+5+6+7+|\n"
    result, findings = run(tmp_path, 'tab = "song.txt"\n[tempo]\nbpm = 60\nfirst_note_s = 0\n'
                           '[[meter]]\nbar = 2\nmeter = "7/8"\n', tab)
    assert not findings
    assert [str(b.meter) for b in result.score.bars] == ["4/4", "7/8"]
    assert times(result)[4:6] == [4, F(9, 2)]                  # eighths at 60 quarters/min


SEED_JSON = {
    "song": "May3Beta", "tab_file": "may3beta_tab.txt",
    "tab_char_labels": {"bass drum": "B ", "snare drum": "S ", "hi-hat": "HH", "crash": "C ",
                        "crash 2": "C2", "crash 3": "C3", "small tom": "sT",
                        "medium tom": "mT", "floor tom": "FT", "china": "G "},
    "alignment_info": {"triplets": False, "tempo change": True, "BPM": 135,
                       "first drum note onset": 1.770, "tempo sections": [[64, 140]]},
}


def seed_folder(tmp_path, data=SEED_JSON, tab="may3beta_tab.txt"):
    folder = tmp_path / "seed"
    folder.mkdir()
    (folder / tab).write_bytes((SHARED_TABS / tab).read_bytes())
    (folder / "may3beta.json").write_text(json.dumps(data))
    return folder


def test_seed_json_with_tempo_sections(tmp_path):
    folder = seed_folder(tmp_path)
    result, findings = load_song(folder / "may3beta.json", MANAGER)
    assert result is not None and not [f for f in findings if f.severity.value == "error"]
    # cell 64 = bar 5 start (16 cells a bar): 140 BPM from there on
    bar5 = F("1.77") + 16 * F(60, 135)
    got = {r["bar"]: r["time_exact"] for r in rows(result) if r["beat"] == "0"}
    assert got[5] == bar5
    assert result.tempo_map.beats_to_seconds(5, 0) == bar5 + 4 * F(60, 140)
    assert result.tempo_map.beats_to_seconds(3, 0) == F("1.77") + 12 * F(60, 135)


def test_seed_cells_count_triplet_columns(tmp_path):
    score = load_tab(SHARED_TABS / "forever_at_last_tab.txt", MANAGER).score
    tm = TempoMap(score.bars, qpm=F(120))
    assert cell_to_quarters(score, tm, 36) == 9                 # three 12-cell 3/4 bars
    assert cell_to_quarters(score, tm, 37) == 9 + F(1, 6)       # inside `1ts+ts`
    assert cell_to_quarters(score, tm, 50) == 12                # the 14-cell bar ends at 50


def test_align_cli_reads_seed_json_and_import_seed_writes_toml(tmp_path, run_cli):
    folder = seed_folder(tmp_path)
    code, from_json, _ = run_cli("align", folder / "may3beta.json")
    rows = list(csv.DictReader(io.StringIO(from_json)))
    assert code == 0 and list(rows[0])[:8] == ["time", "instrument", "gm_note", "articulation",
                                               "velocity", "bar", "beat", "line"]
    assert float(rows[0]["time"]) == 1.77
    out_dir = tmp_path / "alignments"
    code, out, _ = run_cli("import-seed", folder, "--out", out_dir)
    assert code == 0 and (out_dir / "may3beta.toml").is_file()
    code, again, _ = run_cli("align", out_dir / "may3beta.toml")
    assert code == 0 and again.splitlines() == from_json.splitlines()
    before = (out_dir / "may3beta.toml").read_text()
    code, _, err = run_cli("import-seed", folder, "--out", out_dir)
    assert code == 1 and "exists (use --force" in err
    assert (out_dir / "may3beta.toml").read_text() == before


def write_wav(path: Path, seconds: float, sr=8000):
    soundfile.write(path, np.zeros(int(seconds * sr), dtype="float32"), sr)
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_audio_checks(tmp_path, run_cli):
    audio = tmp_path / "audio"
    audio.mkdir()
    digest = write_wav(audio / "song.wav", 3.0)
    tab = "BD|o---|o---|\n"
    good = ('tab = "song.txt"\n[audio]\nfile = "song.wav"\nduration_s = 3.0\n'
            f'sha256 = "{digest}"\n[tempo]\nbpm = 120\nfirst_note_s = 0.5\n')
    result, findings = run(tmp_path, good, tab, audio_dir=audio)
    assert not findings
    code, out, _ = run_cli("align", tmp_path / "song.toml", "--audio-dir", audio, "--format", "json")
    assert code == 0 and [r["time"] for r in json.loads(out)] == [0.5, 2.5]


# One bad alignment file per finding code: (toml, tab, audio seconds or None, message, line)
BAD_ALIGNMENTS = {
    "DT201": ('tab = "song.txt"\n[tempo]\nbmp = 120\n', "BD|o---|\n", None, "unknown key tempo.bmp", 3),
    "DT202": ('tab = "missing.txt"\n[tempo]\nbpm = 120\n', None, None, "tab file not found", 1),
    "DT203": ('tab = "song.txt"\n[tempo]\nbpm = 120\n[[tempo.change]]\nbar = 9\nbpm = 100\n',
              "BD|o---|\n", None, "tempo change at bar 9 is past the end", 6),
    "DT204": ('tab = "song.txt"\n[tempo]\nbpm = 120\n[[anchor]]\nbar = 2\ntime_s = 5\n'
              '[[anchor]]\nbar = 3\ntime_s = 4\n', "BD|o---|o---|o---|\n", None,
              "anchors must increase", 9),
    "DT205": ('tab = "song.txt"\n[tempo]\nbpm = 120\n[[tempo.ramp]]\nfrom_bar = 1\nto_bar = 2\n'
              'to_bpm = 0\n', "BD|o---|o---|\n", None, "ramp reaches 0 BPM", 7),
    "DT206": ('tab = "song.txt"\n[tempo]\nbpm = 120\n[[meter]]\nbar = 1\nmeter = "7/8"\n',
              "BD|o---|\n  |1e+a|\n", None, "meter 7/8 does not fit bar 1", 6),
    "DT207": ('tab = "song.txt"\n[audio]\nfile = "song.wav"\n[tempo]\nbpm = 60\nfirst_note_s = 0\n',
              "BD|o---|o---|\n", 3.0, "last onset at 4.000 s is after the end", 1),
    "DT208": ('tab = "song.txt"\n[audio]\nfile = "other.wav"\n[tempo]\nbpm = 60\n',
              "BD|o---|\n", 3.0, "recording 'other.wav' not found", 1),
    "DT209": ('tab = "song.txt"\n[audio]\nfile = "song.wav"\nsha256 = "abc"\n[tempo]\nbpm = 60\n',
              "BD|o---|\n", 3.0, "a different recording", 1),
    "DT210": ('tab = "song.txt"\n[audio]\nfile = "song.wav"\nduration_s = 9\n[tempo]\nbpm = 60\n',
              "BD|o---|\n", 3.0, "lasts 3.00 s, the alignment file says 9.00 s", 1),
    "DT212": ('tab = "song.txt"\n[tempo]\nbpm = 60\n[seed]\ntriplets = false\n',
              "BD|o--|\n  |1te|\n", None, "says the tab has no triplets", 1),
    "DT213": ('tab = "song.txt"\n[tempo]\nbpm = 60\nfirst_note_s = 1\n[seed]\n'
              'tempo_sections = [[4, 90]]\n', "BD|--o-|o---|\n", None,
              "counted from the first drum note's cell 2", 6),
}


@pytest.mark.parametrize("code", sorted(BAD_ALIGNMENTS))
def test_each_alignment_finding(tmp_path, code):
    toml, tab, seconds, message, line = BAD_ALIGNMENTS[code]
    audio = None
    if seconds is not None:
        audio = tmp_path / "audio"
        audio.mkdir()
        write_wav(audio / "song.wav", seconds)
    _, findings = run(tmp_path, toml, tab, audio_dir=audio)
    hit = [f for f in findings if f.code == code]
    assert hit, [f.format() for f in findings]
    assert message in hit[0].message and hit[0].line == line


@pytest.mark.parametrize("text, message", [
    ("tab = \n", "not valid TOML"),
    ('tab = "song.txt"\n[tempo]\nbpm = "fast"\n', "tempo.bpm: expected a tempo from 1 to 2000 BPM"),
    ('tab = "song.txt"\n[tempo]\nbpm = 100\nbeat_unit = "crotchet-ish"\n', "expected a note value"),
    ('tab = "song.txt"\n[[anchor]]\nbar = 0\ntime_s = 1\n', "anchor.bar: expected a bar number"),
    ('[tempo]\nbpm = 100\n', "missing required key tab"),
])
def test_malformed_alignment_files(tmp_path, text, message):
    _, findings = run(tmp_path, text, "BD|o---|\n")
    assert any(f.code == "DT201" and message in f.message for f in findings), findings


def test_validate_checks_alignment_files_and_exit_codes(tmp_path, run_cli):
    (tmp_path / "song.txt").write_text("BD|o---|\n")
    (tmp_path / "good.toml").write_text('tab = "song.txt"\n[tempo]\nbpm = 100\n')
    (tmp_path / "bad.toml").write_text('tab = "nope.txt"\n[tempo]\nbpm = 100\n')
    code, out, _ = run_cli("validate", "--format", "json", tmp_path)
    findings = json.loads(out)
    assert code == 1 and [(Path(f["path"]).name, f["code"]) for f in findings] == [
        ("bad.toml", "DT202")]
    code, _, _ = run_cli("validate", ROOT / "tabs", ROOT / "alignments")
    assert code == 0


def test_align_cli_errors(tmp_path, run_cli):
    code, _, err = run_cli("align", tmp_path / "none.toml")
    assert code == 1 and "cannot read alignment file" in err
    code, _, _ = run_cli("align", ROOT / "alignments" / "may3beta.toml", "--format", "xml")
    assert code == 2


def test_a_double_stroke_gives_two_onsets_half_a_cell_apart(tmp_path):
    result, _ = run(tmp_path, 'tab = "song.txt"\n[tempo]\nbpm = 60\nfirst_note_s = 0\n',
                    "SD|o-d-D---|\n  |1+2+3+4+|\n")
    got = [(r["time_exact"], r["stroke"], r["articulation"]) for r in rows(result)]
    assert got == [(0, 1, ""), (1, 1, "double"), (F(5, 4), 2, "double"),
                    (2, 1, "accent+double"), (F(9, 4), 2, "accent+double")]


@pytest.mark.parametrize("text, message", [
    ('tab = "song.txt"\n[tempo]\nbpm = 120\nanchor = 5\n', "tempo.anchor: expected a table"),
    ('tab = "song.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 0\n'
     'anchor = { bar = 1, beat = 0, time_s = 2 }\n', "give first_note_s or anchor, not both"),
])
def test_conflicting_or_malformed_anchor(tmp_path, text, message):
    _, findings = run(tmp_path, text, "BD|o---|\n")
    assert [message in f.message for f in findings if f.code == "DT201"] == [True]


def test_seed_labels_of_the_wrong_type(tmp_path):
    data = dict(SEED_JSON, tab_char_labels="x")
    folder = seed_folder(tmp_path, data)
    _, findings = load_alignment(folder / "may3beta.json", MANAGER)
    assert any("tab_char_labels: expected an object" in f.message for f in findings)


@pytest.mark.parametrize("toml, message", [
    ('[[tempo.change]]\nbar = 1\nbeat = 7\nbpm = 100\n', "beat 7 is past the end of bar 1"),
    ('[[anchor]]\nbar = 2\nbeat = 40\ntime_s = 20\n', "beat 40 is past the end of bar 2"),
])
def test_beats_past_the_end_of_their_bar(tmp_path, toml, message):
    _, findings = run(tmp_path, 'tab = "song.txt"\n[tempo]\nbpm = 120\n' + toml,
                      "BD|o---|o---|\n")
    assert any(f.code == "DT203" and message in f.message for f in findings), findings


def test_absurd_tempo_is_rejected(tmp_path):
    _, findings = run(tmp_path, 'tab = "song.txt"\n[tempo]\nbpm = 1e-300\n', "BD|o---|\n")
    assert any("a tempo from 1 to 2000 BPM" in f.message for f in findings)
