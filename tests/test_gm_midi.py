"""The built-in ``midi`` parser (plugins/gm_midi.py) on real and made-up drum MIDI files.

Real files come from the Groove MIDI Dataset v1.0.0 in ../shared/data/groove-midi: Gillick,
Roberts, Engel, Eck, Bamman, "Learning to Groove with Inverse Sequence Transformations",
ICML 2019; Creative Commons Attribution 4.0 (groove-midi/LICENSE).  Made-up files are written
with mido in the test.
"""
from __future__ import annotations

import csv
import io
import math
import shutil
import statistics
from collections import Counter
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

mido = pytest.importorskip("mido")

from drumtabber.alignment.validate import validate_paths  # noqa: E402
from drumtabber.findings import Severity  # noqa: E402
from drumtabber.plugin_manager import PluginManager  # noqa: E402
from drumtabber.plugins.gm_midi import TD11_NOTES, MidiOptions, read_midi  # noqa: E402
from drumtabber.score import Articulation, Instrument, Meter  # noqa: E402
from drumtabber.tabs import EVENT_COLUMNS, load_tab  # noqa: E402

GMD = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove-midi"
I = Instrument
RIM = frozenset({Articulation.RIMSHOT})

# Real performances: drummers 1, 3, 5, 6 and 7; funk, pop, rock, jazz, latin; 4/4, 3/4, 6/8,
# 5/8; beats and one fill; ride bell, crash 2 edge, rims and cross-stick among their notes.
FILES = [
    "drummer1/eval_session/1_funk-groove1_138_beat_4-4.mid",
    "drummer7/session2/97_pop_142_beat_4-4.mid",
    "drummer3/session1/13_rock_120_beat_4-4.mid",
    "drummer1/session2/4_jazz_120_beat_3-4.mid",
    "drummer6/session1/3_rock_80_beat_6-8.mid",
    "drummer5/session1/8_latin-venezuelan-merengue_162_beat_5-8.mid",
    "drummer7/session2/95_hiphop_75_fill_4-4.mid",
]
# Median |quantised - performed| allowed, in seconds.  Measured (2026-11, this parser): the
# beats 9-22 ms, the fill (32nd notes on a 16th grid, played loose) 57 ms.
MEDIAN_DEVIATION_S = {"beat": 0.025, "fill": 0.060}


@pytest.fixture(scope="module")
def info() -> dict[str, dict]:
    if not GMD.is_dir():
        pytest.skip(f"Groove MIDI Dataset not found: {GMD}")
    with open(GMD / "info.csv", newline="") as f:
        return {row["midi_filename"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def manager():
    return PluginManager(entry_points=False)


@pytest.fixture(scope="module", params=FILES, ids=lambda f: Path(f).stem)
def performance(request, info):
    """(info.csv row, mido file, MidiResult) of one real performance."""
    path = GMD / request.param
    return info[request.param], mido.MidiFile(path), read_midi(path)


def raw_notes(midi) -> list[tuple[int, int, float]]:
    """(note, tick, seconds) of every note-on with velocity > 0, by mido alone."""
    out, tick, seconds = [], 0, 0.0
    assert len(midi.tracks) == 1
    for msg, timed in zip(midi.tracks[0], midi):       # iterating a MidiFile gives seconds
        tick += msg.time
        seconds += timed.time
        if msg.type == "note_on" and msg.velocity > 0:
            out.append((msg.note, tick, seconds))
    return out


def make_midi(path: Path, messages, *, ticks_per_beat: int = 480) -> Path:
    """A type-0 MIDI file with ``messages`` (delta times in ticks) on one track."""
    midi = mido.MidiFile(type=0, ticks_per_beat=ticks_per_beat)
    midi.tracks.append(mido.MidiTrack(messages))
    midi.save(path)
    return path


def hit(note: int, delta: int, velocity: int = 100, channel: int = 9):
    return mido.Message("note_on", note=note, velocity=velocity, time=delta, channel=channel)


def meta(kind: str, delta: int = 0, **fields):
    return mido.MetaMessage(kind, time=delta, **fields)


# --------------------------------------------------------------------------------------
# The note map
# --------------------------------------------------------------------------------------
def test_td11_map_covers_every_note_of_the_dataset():
    # The 22 notes of the dataset page's table (magenta.tensorflow.org/datasets/groove).
    assert sorted(TD11_NOTES) == [22, 26, 36, 37, 38, 40, 42, 43, 44, 45, 46, 47, 48, 49, 50,
                                  51, 52, 53, 55, 57, 58, 59]


@pytest.mark.parametrize("note, instrument, articulations", [
    (36, I.KICK, frozenset()),
    (38, I.SNARE, frozenset()), (40, I.SNARE, RIM), (37, I.SIDE_STICK, frozenset()),
    (48, I.TOM_HIGH, frozenset()), (50, I.TOM_HIGH, RIM),
    (45, I.TOM_LOW_MID, frozenset()), (47, I.TOM_LOW_MID, RIM),
    (43, I.TOM_FLOOR_HIGH, frozenset()), (58, I.TOM_FLOOR_HIGH, RIM),
    (42, I.HIHAT_CLOSED, frozenset()), (22, I.HIHAT_CLOSED, frozenset()),
    (46, I.HIHAT_OPEN, frozenset()), (26, I.HIHAT_OPEN, frozenset()),
    (44, I.HIHAT_PEDAL, frozenset()),
    (49, I.CRASH, frozenset()), (55, I.CRASH, frozenset()),
    (57, I.CRASH2, frozenset()), (52, I.CRASH2, frozenset()),
    (51, I.RIDE, frozenset()), (59, I.RIDE, frozenset()),
    (53, I.RIDE_BELL, frozenset({Articulation.BELL})),
])
def test_td11_note(note, instrument, articulations):
    assert TD11_NOTES[note] == (instrument, articulations)


# --------------------------------------------------------------------------------------
# Real performances
# --------------------------------------------------------------------------------------
def test_no_note_is_lost(performance):
    _, midi, result = performance
    raw = raw_notes(midi)
    assert [f for f in result.findings if f.severity != Severity.INFO] == []
    assert Counter(int(e.label) for e in result.score.events) == Counter(n for n, _, _ in raw)
    assert (Counter((e.instrument, e.articulations - {Articulation.CHOKE})
                    for e in result.score.events)
            == Counter(TD11_NOTES[n] for n, _, _ in raw))
    assert sorted(e.velocity for e in result.score.events) == sorted(
        m.velocity for m in midi.tracks[0] if m.type == "note_on" and m.velocity > 0)


def test_tempo_is_info_csv_bpm(performance):
    row, _, result = performance
    bpm = float(row["bpm"])
    # MIDI stores microseconds per quarter: 60e6 / bpm rounded, so within bpm^2 / 120e6.
    assert result.score.tempo_hint_bpm == pytest.approx(bpm, abs=bpm ** 2 / 120e6)
    assert float(result.tempo_map.qpm_at(0)) == pytest.approx(bpm, abs=bpm ** 2 / 120e6)


def test_performed_times_are_midos(performance):
    _, midi, result = performance
    raw = raw_notes(midi)
    assert result.performed_s == pytest.approx([s for _, _, s in raw], abs=1e-9)
    [tempo] = {m.tempo for m in midi.tracks[0] if m.type == "set_tempo"}
    assert result.performed_s == [mido.tick2second(t, midi.ticks_per_beat, tempo)
                                  for _, t, _ in raw]


def test_quantised_times_stay_within_half_a_cell(performance):
    row, _, result = performance
    qpm = float(result.tempo_map.qpm_at(0))
    rows = result.onset_rows()
    assert len(rows) == len(result.score.events)
    for r, event in zip(rows, result.score.events):
        meter = result.score.bars[event.bar].meter
        cell_s = 60 / qpm * 4 / meter.denominator / r["grid_cells"]
        assert abs(r["deviation_s"]) <= cell_s / 2 + 1e-9, r
        assert event.beat in result.score.bars[event.bar].cells
    deviation = statistics.median(abs(r["deviation_s"]) for r in rows)
    assert deviation <= MEDIAN_DEVIATION_S[row["beat_type"]], (row["midi_filename"], deviation)


def test_events_are_in_time_order(performance):
    _, _, result = performance
    quantised = result.quantised_s()
    assert quantised == sorted(quantised)
    assert result.performed_s == sorted(result.performed_s)


def test_bars_follow_the_time_signature(performance):
    row, midi, result = performance
    num, den = map(int, row["time_signature"].split("-"))
    bars = result.score.bars
    assert {b.meter for b in bars} == {Meter(num, den)}
    assert result.score.meter_hint == Meter(num, den)
    assert [b.index for b in bars] == list(range(len(bars)))
    last_tick = sum(m.time for m in midi.tracks[0])
    bar_ticks = midi.ticks_per_beat * 4 * num // den
    assert len(bars) == math.ceil(last_tick / bar_ticks)
    end_s = float(result.tempo_map.beats_to_seconds(len(bars), 0))
    assert midi.length <= end_s < midi.length + 60 / result.score.tempo_hint_bpm * 4 * num / den
    for bar in bars:
        assert bar.cells[0] == 0 and list(bar.cells) == sorted(set(bar.cells))
        assert all(0 <= c < num for c in bar.cells)


def test_triplets_where_the_drummer_swings(info):
    # The 3/4 jazz performance swings its eighths: over a third of its notes off the beat
    # sit on the triplet grid; the straight rock beat has almost none.
    def triplet_share(name):
        result = read_midi(GMD / name)
        off = [c for e, c in zip(result.score.events, result.grid_cells)
               if e.beat.denominator != 1]
        return sum(c == 3 for c in off) / len(off)
    assert triplet_share("drummer1/session2/4_jazz_120_beat_3-4.mid") > 0.35
    assert triplet_share("drummer3/session1/13_rock_120_beat_4-4.mid") < 0.05


# --------------------------------------------------------------------------------------
# The command line and validate
# --------------------------------------------------------------------------------------
def test_show_prints_csv(run_cli, info):
    path = GMD / FILES[0]
    code, out, err = run_cli("show", path, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == EVENT_COLUMNS
    assert len(rows) == len(read_midi(path).score.events) == 410
    assert {r["label"] for r in rows} >= {"36", "38", "51", "55"}
    assert rows[0]["bar"] == "1" and rows[-1]["bar"] == "16"      # 17 bars; the last is the tail


def test_validate_finds_midi_files_in_folders(tmp_path, manager, run_cli, info):
    shutil.copy(GMD / FILES[0], tmp_path / "groove.mid")
    shutil.copy(GMD / FILES[4], tmp_path / "sixeight.MIDI")
    assert [f.code for f in validate_paths([tmp_path], manager)] == ["DT111"] * 4
    code, out, err = run_cli("validate", "--show-info", tmp_path)
    assert code == 0 and "0 error(s), 0 warning(s)" in err
    assert "groove.mid:1:6: DT111 info: tempo 137.9999 BPM from bar 1" in out
    assert "sixeight.MIDI:1:4: DT111 info: meter 6/8 from bar 1" in out


@pytest.mark.parametrize("name, expected", [
    ("a.mid", "midi"), ("B.MIDI", "midi"), ("c.txt", "ascii"), ("mid.tab", "ascii")])
def test_choose_parser_by_file_ending(manager, name, expected):
    assert manager.choose_tab_parser(Path(name), "").name == expected


def test_parser_component(manager):
    parser = manager.get("tab_parser", "midi")
    assert parser.suffixes == (".mid", ".midi") and parser.binary is True
    assert manager.registry("tab_parser").owner("midi") == "gm_midi"
    assert parser.Options is MidiOptions


def test_text_parsers_still_get_text(tmp_path, manager):
    tab = tmp_path / "t.txt"
    tab.write_text("HH|x-x-x-x-|\nBD|o---o---|\n")
    result = load_tab(tab, manager)
    assert [f.code for f in result.findings if f.severity != Severity.INFO] == []
    assert len(result.score.events) == 6


# --------------------------------------------------------------------------------------
# Made-up files: unknown notes, corrupt files, grids, tempo and meter changes
# --------------------------------------------------------------------------------------
def test_unknown_note_is_a_finding_with_note_and_time(tmp_path, manager, run_cli):
    path = make_midi(tmp_path / "odd.mid", [
        meta("set_tempo", tempo=500_000), hit(36, 0), hit(38, 480), hit(99, 480), hit(38, 480)])
    result = load_tab(path, manager)
    assert [(f.line, f.column, f.code) for f in result.findings] == [
        (1, 1, "DT111"), (1, 4, "DT101")]
    message = result.findings[1].message
    assert message.startswith("unknown drum note 99 at 1.000 s (tick 960, bar 1 beat 2.00) in "
                              "the 'td11' note map; hit skipped; known notes: 22, 26, 36")
    assert [e.label for e in result.score.events] == ["36", "38", "38"]
    code, out, _ = run_cli("validate", path)
    assert code == 1 and f"{path}:1:4: DT101 error: unknown drum note 99 at 1.000 s" in out


def test_gm_note_map(tmp_path):
    path = make_midi(tmp_path / "gm.mid", [hit(40, 0), hit(52, 0), hit(22, 0)])
    result = read_midi(path, options=MidiOptions(note_map="gm"))
    assert [e.instrument for e in result.score.events] == [I.SNARE_ELECTRIC, I.CHINA]
    assert [f.code for f in result.findings] == ["DT101"]


@pytest.mark.parametrize("data, why", [
    (b"", "it does not start with 'MThd'"),
    (b"HH|x-x-x-x-|\n", "it does not start with 'MThd'"),
    (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x00\x00\x00\x40\x00\x99",
     "it ends in the middle of a chunk (truncated?)"),
    (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0XXXX\x00\x00\x00\x00",
     "no MTrk header at start of track"),
    (b"MThd\x00\x00\x00\x06\x00\x02\x00\x01\x01\xe0MTrk\x00\x00\x00\x04\x00\xff\x2f\x00",
     "MIDI type 2 (independent sequences) is not supported"),
    (b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\xe7\x28MTrk\x00\x00\x00\x04\x00\xff\x2f\x00",
     "SMPTE (timecode) timing is not supported"),
], ids=["empty", "text", "truncated", "no-track", "type-2", "smpte"])
def test_corrupt_file_is_a_dt001_error(tmp_path, manager, run_cli, data, why):
    path = tmp_path / "broken.mid"
    path.write_bytes(data)
    findings = validate_paths([path], manager)
    assert [(f.line, f.column, f.code) for f in findings] == [(1, 1, "DT001")]
    assert findings[0].message.startswith("not a readable MIDI file: " + why)
    code, out, err = run_cli("validate", path)
    assert code == 1 and f"{path}:1:1: DT001 error: not a readable MIDI file: {why}" in out
    assert "Traceback" not in out + err


def test_truncated_real_file_is_a_dt001_error(tmp_path, manager, info):
    data = (GMD / FILES[0]).read_bytes()
    for size in (10, 100, len(data) // 2, len(data) - 1):
        path = tmp_path / f"cut{size}.mid"
        path.write_bytes(data[:size])
        assert [f.code for f in load_tab(path, manager).findings] == ["DT001"]


def test_forcing_the_midi_parser_on_a_text_file(run_cli):
    code, out, err = run_cli("show", "--parser", "midi", "docs/examples/groove.bbt")
    assert code == 1 and "DT001 error: not a readable MIDI file" in err


def test_bad_meta_events_are_findings_not_crashes(tmp_path, manager):
    path = make_midi(tmp_path / "meta.mid", [
        meta("time_signature", numerator=0, denominator=4), meta("set_tempo", tempo=0),
        hit(36, 0), hit(38, 480)])
    result = load_tab(path, manager)
    assert [f.code for f in result.findings] == ["DT110", "DT110"]
    assert [(e.bar, e.beat) for e in result.score.events] == [(0, 0), (0, 1)]
    huge = make_midi(tmp_path / "huge.mid", [hit(36, 0), hit(38, 0x0FFFFFFF), hit(38, 0x0FFFFFFF)])
    [finding] = load_tab(huge, manager).findings
    assert finding.code == "DT001" and "more than 10,000 bars" in finding.message


def test_no_notes_is_a_dt002_warning(tmp_path, manager):
    path = make_midi(tmp_path / "empty.mid", [meta("end_of_track", 1920)])
    result = load_tab(path, manager)
    assert [f.code for f in result.findings] == ["DT002"]
    assert len(result.score.bars) == 1 and result.score.events == []


def test_grid_per_beat(tmp_path):
    # Beat 1: straight sixteenths, beat 2: swung eighths 10 ticks late, beat 3: a triplet,
    # beat 4: a note just before the next bar's downbeat.
    q = 480
    path = make_midi(tmp_path / "grid.mid", [
        hit(42, 0), hit(42, 120), hit(42, 120), hit(42, 120),       # 0, 1/4, 1/2, 3/4
        hit(42, 120), hit(42, 310),                                  # 1, 1 + 2/3 (-10 ticks)
        hit(38, 150), hit(38, 160), hit(38, 160),                    # 2, 2 + 1/3, 2 + 2/3
        hit(36, 160 + q - 5),                                        # 4 - 5 ticks -> bar 2
    ])
    result = read_midi(path)
    assert [(e.bar, e.beat) for e in result.score.events] == [
        (0, 0), (0, F(1, 4)), (0, F(1, 2)), (0, F(3, 4)), (0, 1), (0, F(5, 3)),
        (0, 2), (0, F(7, 3)), (0, F(8, 3)), (1, 0)]
    assert result.grid_cells == [4, 4, 4, 4, 3, 3, 3, 3, 3, 4]
    assert result.score.bars[0].cells == (
        F(0), F(1, 4), F(1, 2), F(3, 4), F(1), F(4, 3), F(5, 3), F(2), F(7, 3), F(8, 3),
        F(3), F(13, 4), F(7, 2), F(15, 4))
    assert result.onset_rows()[5]["deviation_s"] == pytest.approx(10 / q * 0.5)


def test_options_choose_the_grids(tmp_path):
    path = make_midi(tmp_path / "fast.mid", [hit(38, 0), hit(38, 60), hit(38, 60), hit(38, 60)])
    assert [e.beat for e in read_midi(path, options=MidiOptions(straight_cells=8)).score.events
            ] == [0, F(1, 8), F(1, 4), F(3, 8)]
    # On the default sixteenth grid two of the four 32nd notes share a cell; none is lost.
    assert len(read_midi(path).score.events) == 4


def test_six_eight_beats_are_eighths(tmp_path):
    path = make_midi(tmp_path / "68.mid", [
        meta("time_signature", numerator=6, denominator=8),
        hit(36, 0), hit(42, 240), hit(42, 320), hit(42, 400), hit(38, 1920 - 960)])
    result = read_midi(path)
    assert result.score.bars[0].meter == Meter(6, 8)
    assert [(e.bar, e.beat) for e in result.score.events] == [
        (0, 0), (0, 1), (0, F(7, 3)), (0, 4), (1, 2)]


def test_tempo_and_meter_changes(tmp_path):
    q = 480
    path = make_midi(tmp_path / "changes.mid", [
        meta("set_tempo", tempo=500_000), hit(36, 0),
        meta("set_tempo", 4 * q, tempo=250_000), hit(36, 0),           # bar 2 at 240 BPM
        meta("time_signature", 2 * q, numerator=3, denominator=4),     # mid-bar: from bar 3
        hit(38, 2 * q), hit(36, 3 * q)])
    result = read_midi(path)
    bars = result.score.bars
    assert [b.meter for b in bars] == [Meter(4, 4), Meter(4, 4), Meter(3, 4), Meter(3, 4)]
    assert [(e.bar, e.beat) for e in result.score.events] == [(0, 0), (1, 0), (2, 0), (3, 0)]
    assert result.performed_s == pytest.approx([0, 2, 3, 3.75])
    assert result.quantised_s() == pytest.approx(result.performed_s)
    assert result.score.tempo_hints == [(1, 120.0), (2, 240.0)]
    messages = [f.message for f in result.findings]
    assert messages == ["tempo 120 BPM from bar 1", "tempo 240 BPM from bar 2",
                        "meter 3/4 from bar 3"]


def test_drums_on_channel_10_else_every_channel(tmp_path):
    mixed = make_midi(tmp_path / "mixed.mid", [hit(90, 0, channel=0), hit(36, 0), hit(38, 480)])
    assert [e.label for e in read_midi(mixed).score.events] == ["36", "38"]
    only = make_midi(tmp_path / "only.mid", [hit(36, 0, channel=0), hit(38, 480, channel=3)])
    assert [e.label for e in read_midi(only).score.events] == ["36", "38"]
    chosen = read_midi(mixed, options=MidiOptions(channel=1, note_map="gm"))
    assert [f.code for f in chosen.findings] == ["DT101"] and chosen.score.events == []


def test_cymbal_choke_from_aftertouch(tmp_path):
    path = make_midi(tmp_path / "choke.mid", [
        hit(49, 0), mido.Message("polytouch", note=49, value=127, channel=9, time=300),
        hit(49, 3000), hit(36, 0)])
    events = read_midi(path).score.events
    assert [sorted(a.value for a in e.articulations) for e in events] == [["choke"], [], []]


def test_bad_option_is_a_dt001(tmp_path, manager):
    path = make_midi(tmp_path / "x.mid", [hit(36, 0)])
    result = load_tab(path, manager, options={"note_map": "yamaha"})
    assert [f.code for f in result.findings] == ["DT001"]
    assert "unknown note map 'yamaha'; valid: td11, gm" in result.findings[0].message


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tpq=st.sampled_from([96, 480, 960]), tempo=st.integers(250_000, 1_500_000),
       meter=st.sampled_from([(4, 4), (3, 4), (6, 8), (5, 8), (7, 8), (2, 2)]),
       hits=st.lists(st.tuples(st.integers(0, 700), st.sampled_from(sorted(TD11_NOTES))),
                     min_size=1, max_size=40))
def test_any_performance_keeps_every_note_within_half_a_cell(tmp_path_factory, tpq, tempo,
                                                             meter, hits):
    path = make_midi(tmp_path_factory.mktemp("prop") / "p.mid", [
        meta("time_signature", numerator=meter[0], denominator=meter[1]),
        meta("set_tempo", tempo=tempo)] + [hit(note, delta) for delta, note in hits],
        ticks_per_beat=tpq)
    result = read_midi(path)
    events = result.score.events
    assert Counter(int(e.label) for e in events) == Counter(n for _, n in hits)
    assert [f.code for f in result.findings] == ["DT111", "DT111"]
    beat_s = tempo / 1e6 * 4 / meter[1]
    for event, row in zip(events, result.onset_rows()):
        assert event.beat in result.score.bars[event.bar].cells
        assert abs(row["deviation_s"]) <= beat_s / row["grid_cells"] / 2 + 1e-9
    assert result.quantised_s() == sorted(result.quantised_s())
