"""The ASCII tab parser and writer on real tabs and on every kind of bad input.

Real tabs come from ../shared/data/tabs (see its README): the seed project's tabs
(mayhemsloth/Drum-Tabber), JoshRosen/tabtomidi's test tabs (BSD-3-Clause) and
emanuelet/drum-tabs' ultimate-guitar edge cases (MIT).
"""
from __future__ import annotations

import importlib
import re
from collections import Counter
from fractions import Fraction as F
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import drumtabber.plugins.ascii_tab as ascii_plugin
from drumtabber.components import ParseHints, TabParser, TabWriter
from drumtabber.findings import CODES
from drumtabber.plugins.ascii_tab import (AsciiTabOptions, grid_from_count, grid_from_width,
                                          parse_tab, write_tab)
from drumtabber.score import Articulation as A
from drumtabber.score import Bar, Event, Instrument as I, Meter, Score, velocity_for
from drumtabber.textio import read_text

TABS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tabs"
ALL_TABS = sorted(p.name for p in TABS.iterdir())


def parse_file(name):
    text, findings = read_text(TABS / name)
    result = parse_tab(text, path=name)
    return result.score, findings + result.findings


def parse(text):
    return parse_tab(text, path="t.txt")


def codes(result):
    return [f.code for f in result.findings]


# Hits per line label in two systems of each file, counted by hand (systems given as the
# file's 1-based line ranges of the staff lines; each written bar counted once).
HAND_COUNTS = {
    "may3beta_tab.txt": ([(30, 31), (34, 37)], {"S": 16, "B": 4, "sT": 2, "FT": 4}),
    "forever_at_last_tab.txt": ([(27, 32), (35, 38)],
                                {"sT": 1, "mT": 1, "FT": 2, "HH": 21, "S": 27, "B": 29, "C2": 1}),
    "mookies_last_christmas_tab.txt": ([(26, 29), (32, 35)], {"C": 2, "HH": 28, "S": 11, "B": 25}),
    "the_dark_tab.txt": ([(35, 40), (43, 46)],
                         {"mT": 4, "FT": 6, "R": 2, "HH": 4, "S": 64, "B": 24}),
    "ug_edge_cases.txt": ([(15, 21), (24, 27)],
                          {"H": 20, "C2": 1, "2T": 7, "1T": 1, "3T": 15, "S": 7, "B": 10, "C1": 2}),
    "tabtomidi_repetition_1x_2x_1x.txt": ([(4, 6)], {"HH": 9, "S": 3, "B": 12}),
    "tabtomidi_repetition_4x.txt": ([(4, 6)], {"HH": 3, "S": 1, "B": 4}),
    "tabtomidi_simple_4_4_beat.txt": ([(3, 5)], {"HH": 6, "S": 2, "B": 8}),
    "tabtomidi_two_bar_repetition.txt": ([(2, 4)], {"R": 16, "S": 4, "B": 8}),
    "tabtomidi_variable_bar_lengths.txt": ([(3, 5)], {"HH": 6, "S": 2, "B": 8}),
}


def test_hand_counts_cover_every_shared_tab():
    assert sorted(HAND_COUNTS) == ALL_TABS


@pytest.mark.parametrize("name", ALL_TABS)
def test_real_tab_parses_without_errors(name):
    score, findings = parse_file(name)
    assert [f.format() for f in findings if f.severity.value == "error"] == []
    assert score.events and score.bars


@pytest.mark.parametrize("name", sorted(HAND_COUNTS))
def test_hits_per_label_match_hand_counts(name):
    score, _ = parse_file(name)
    ranges, expected = HAND_COUNTS[name]
    got = Counter(e.label for e in score.events
                  if e.repeat_pass == 1 and any(a <= e.line <= b for a, b in ranges))
    assert dict(got) == expected


def test_may3beta_instruments_and_articulations():
    score, _ = parse_file("may3beta_tab.txt")
    first = [e for e in score.events if 30 <= e.line <= 37]
    kinds = Counter((e.label, e.instrument, e.articulations) for e in first)
    assert kinds[("S", I.SNARE, frozenset({A.RIMSHOT}))] == 16      # `r` rims in the intro
    assert kinds[("sT", I.TOM_HIGH, frozenset())] == 2               # sT, mT, FT: 50, 47, 43
    assert kinds[("FT", I.TOM_FLOOR_HIGH, frozenset())] == 4
    # Legend: X on the hi-hat is "loose/washy"; w is washy; O accented open.
    # line 50: HH|-xxxxxxx-xxxxxxx|X---w---W---O---|xxxxxxxx-xo--o-o|w---w---W---O---|
    system = [e for e in score.events if e.line == 50 and e.repeat_pass == 1]
    assert Counter((e.instrument, e.articulations) for e in system) == {
        (I.HIHAT_CLOSED, frozenset()): 23, (I.HIHAT_OPEN, frozenset({A.HALF_OPEN})): 4,
        (I.HIHAT_OPEN, frozenset({A.HALF_OPEN, A.ACCENT})): 2, (I.HIHAT_OPEN, frozenset()): 3,
        (I.HIHAT_OPEN, frozenset({A.ACCENT})): 2}
    assert score.tempo_hint_bpm == 135


def test_the_dark_legend_bells_stomps_ghosts():
    score, _ = parse_file("the_dark_tab.txt")
    sys1 = [e for e in score.events if 35 <= e.line <= 40]
    kinds = Counter((e.label, e.instrument, e.articulations) for e in sys1)
    assert kinds[("R", I.RIDE_BELL, frozenset({A.BELL}))] == 2
    assert kinds[("HH", I.HIHAT_PEDAL, frozenset())] == 2            # the `s` of `Xs`
    assert kinds[("HH", I.HIHAT_OPEN, frozenset({A.HALF_OPEN}))] == 2  # the `X` of `Xs`
    assert kinds[("FT", I.TOM_FLOOR_HIGH, frozenset({A.FLAM}))] == 1
    sys2 = [e for e in score.events if 43 <= e.line <= 46]
    assert Counter(e.articulations for e in sys2 if e.label == "S")[frozenset({A.GHOST})] == 56


def test_forever_at_last_three_four_and_sixteenth_triplets():
    score, _ = parse_file("forever_at_last_tab.txt")
    assert Counter(str(b.meter) for b in score.bars[:4]) == {"3/4": 4}
    bar4 = sorted((e.beat, e.label) for e in score.events if e.bar == 3)
    # count line `1ts+ts2e+a3e+a`: beat 1 holds two sixteenth-note triplets
    assert bar4 == [(F(0), "sT"), (F(1, 6), "mT"), (F(1, 3), "FT"), (F(1, 2), "FT"),
                    (F(2, 3), "B"), (F(5, 6), "B"), (F(1), "B"), (F(1), "HH")]
    # `x` on drums is a ghost note in this file's legend ("during a drum solo")
    # line 116: S |xxxoOxxxooOx|xoxooxxooOxx|Oxoooooo----|o-----o-oooo|
    solo = [e for e in score.events if e.line == 116 and e.repeat_pass == 1]
    assert Counter(e.articulations for e in solo) == {
        frozenset({A.GHOST}): 14, frozenset(): 20, frozenset({A.ACCENT}): 4}


def test_ug_legend_multichar_symbols_and_repeat_note():
    score, findings = parse_file("ug_edge_cases.txt")
    intro = [b for b in score.bars if b.line == 15]
    assert [(b.written_bar, b.repeat_pass) for b in intro] == [(1, 1), (2, 1), (1, 2), (2, 2),
                                                              (1, 3), (2, 3)]
    flams = [e for e in score.events if e.label == "S" and A.FLAM in e.articulations]
    assert len(flams) == 3 and {e.beat for e in flams} == {F(14, 4)}   # `ff`: one hit
    grab = [e for e in score.events if e.line == 28]
    assert [(e.instrument, e.articulations) for e in grab][0] == (I.CRASH, frozenset({A.CHOKE}))
    assert {e.instrument for e in score.events if e.label == "3T"} == {I.TOM_FLOOR_HIGH}
    assert "DT109" in [f.code for f in findings]


@pytest.mark.parametrize("name, bars", [
    ("tabtomidi_repetition_1x_2x_1x.txt", [(1, 1), (2, 1), (2, 2), (3, 1)]),
    ("tabtomidi_repetition_4x.txt", [(1, 1), (1, 2), (1, 3), (1, 4)]),
    ("tabtomidi_two_bar_repetition.txt", [(1, 1), (2, 1), (1, 2), (2, 2)]),
    ("tabtomidi_simple_4_4_beat.txt", [(1, 1), (2, 1)]),
])
def test_repeat_brackets_expand_and_keep_written_bar(name, bars):
    score, _ = parse_file(name)
    assert [(b.written_bar, b.repeat_pass) for b in score.bars] == bars
    for e in score.events:
        assert score.bars[e.bar].written_bar == e.written_bar


def test_variable_bar_lengths_and_spaced_count_line():
    score, _ = parse_file("tabtomidi_variable_bar_lengths.txt")
    assert [str(b.meter) for b in score.bars] == ["4/4", "2/4", "2/4"]
    bar3 = sorted((e.beat, e.label) for e in score.events if e.bar == 2)
    assert bar3 == [(F(0), "B"), (F(0), "S"), (F(1), "B"), (F(1), "HH")]


# -- count lines and grids ----------------------------------------------------------------
@pytest.mark.parametrize("count, beats, expected", [
    ("1e+a2e+a3e+a4e+a", 4, {1: F(1, 4), 4: F(1), 15: F(15, 4)}),
    ("1 e & a 2 e & a ", 2, {1: F(1, 8), 2: F(1, 4), 8: F(1)}),
    ("1e+a2e+a3te4te", 4, {8: F(2), 9: F(7, 3), 10: F(8, 3), 11: F(3), 13: F(11, 3)}),
    ("1e+a2e+a3tq", 4, {8: F(2), 9: F(8, 3), 10: F(10, 3)}),
    ("1ts+ts2e+a", 2, {1: F(1, 6), 3: F(1, 2), 5: F(5, 6), 6: F(1)}),
    ("1&a2&a3&a4&a", 4, {1: F(1, 3), 11: F(11, 3)}),
])
def test_grid_from_count(count, beats, expected):
    positions, n_beats, problem = grid_from_count(count, 4)
    assert problem == "" and n_beats == beats and len(positions) == len(count)
    for col, beat in expected.items():
        assert positions[col] == beat


def test_grid_from_count_in_eighth_note_meter_uses_the_beat_unit():
    positions, n_beats, _ = grid_from_count("1e+a2e+a3e+a4e+a5e+a6e+a7e+a", 8)
    assert n_beats == 7 and positions[2] == F(1, 2)
    positions, n_beats, _ = grid_from_count("1te", 8)   # an eighth-triplet spans a quarter
    assert n_beats == 2 and positions[1] == F(2, 3)


@pytest.mark.parametrize("width, beats, expected", [
    (16, 4, {4: F(1)}), (8, 4, {1: F(1, 2)}), (32, 4, {1: F(1, 8)}),
    (12, 4, {1: F(1, 3), 3: F(1)}), (24, 4, {1: F(1, 6)}),
])
def test_grid_from_width(width, beats, expected):
    positions, n_beats, _ = grid_from_width(width, 4, width)
    assert n_beats == beats
    for col, beat in expected.items():
        assert positions[col] == beat


def test_padded_first_column_is_not_a_cell():
    result = parse("HH|-x-x-x-x-x-x-x-x|\nSD|-----o-------o---|\n")
    assert sorted(e.beat for e in result.score.events if e.label == "SD") == [F(1), F(3)]


def test_meter_header_and_eighth_note_bars():
    result = parse("Time: 7/8\n\nHH|x-x-x-x-x-x-x-|\nBD|o-----o-------|\n")
    assert str(result.score.bars[0].meter) == "7/8"
    assert str(result.score.meter_hint) == "7/8"
    assert sorted(e.beat for e in result.score.events if e.label == "BD") == [F(0), F(3)]


def test_tempo_hints():
    score = parse("100 BPM\nHH|x-x-x-x-|x-x-x-x-|\n\nTempo: 140\nHH|x-x-x-x-|\n").score
    assert score.tempo_hint_bpm == 100 and score.tempo_hints == [(1, 100.0), (3, 140.0)]


def test_legend_overrides_labels_and_symbols():
    text = "G = China\nCH = china cymbal\n|-z-|: ghost note\nG |x---|\nCH|x---|\nS |z---|\n"
    result = parse(text)
    assert "DT102" not in codes(result)
    assert {(e.label, e.instrument) for e in result.score.events} >= {("G", I.CHINA),
                                                                       ("CH", I.CHINA)}
    assert [e.articulations for e in result.score.events if e.label == "S"] == [
        frozenset({A.GHOST})]


def test_cp1252_crlf_tabs_read_like_utf8(tmp_path):
    text = "Song: Mookie\u2019s\nHH|x-x-x-x-|\nSD|--o---o-|\n"
    (tmp_path / "a.txt").write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    decoded, found = read_text(tmp_path / "a.txt")
    assert [f.code for f in found] == ["DT003"]
    assert parse(decoded).score.musical_content() == parse(text).score.musical_content()


def test_tab_characters_are_expanded():
    result = parse("HH\t|x-x-x-x-|\nSD\t|--o---o-|\n")
    assert len(result.score.events) == 6 and not codes(result)


# -- one bad input per finding code ---------------------------------------------------------
BAD_INPUTS = {
    "DT002": ("Just some prose.\nNo tab here.\n", "no drum tab found"),
    "DT101": ("HH|x-x-x-x-|\nQZ|o---o---|\n", "unknown instrument label 'QZ'"),
    "DT102": ("CH|x-x-x-x-|\nSD|--o---o-|\n", "label 'CH' could mean"),
    "DT103": ("HH|x-x-x-k-|\nSD|--o---o-|\n", "unknown symbol 'k'"),
    "DT104": ("HH|x-x-x-x-|x-x-x-x-|\nSD|--o---o-|--o--o-|\n", "do not line up"),
    "DT105": ("HH|x-x-x-x-x-x-x-x-|\n  |1e+a2e+a3e+a5e+a|\n", "beat 5 where beat 4"),
    "DT106": ("HH|x-x-x-x-|\nHh|X-------|\n", "written twice in one cell"),
    "DT107": ("   |---x2------\nHH|x-x-x-x-|\n", "not closed"),
    "DT108": ("HH|x-x-x-x-x-|\n", "spread evenly"),
    "DT109": ("HH|x-x-x-x-|\nSD|--o---o-|\nHH|x-------|\n", "appears twice"),
    "DT110": ("|-q-|: something else entirely\nHH|x-x-x-x-|\n", "not understood"),
    "DT111": ("BPM: 148\nHH|x-x-x-x-|\n", "tempo hint 148"),
    "DT113": ("HH|x-x-x-x-|\n  |o---o---|\n\n", "looks like a drum staff line"),
    "DT114": ("HH|x-x-x-x-|\nREPEAT 999999999x\n", "asks for 999,999,999 plays"),
    "DT112": ("HH|x-x-x-x-|\n\ne|---0---|\nB|---1---|\nG|---0---|\nD|---2---|\nA|---3---|\n"
              "E|-------|\n", "guitar or bass tab of 6 strings skipped"),
}


@pytest.mark.parametrize("code", sorted(BAD_INPUTS))
def test_each_finding_code_is_triggered_with_its_message(code):
    text, message = BAD_INPUTS[code]
    result = parse(text)
    hits = [f for f in result.findings if f.code == code]
    assert hits, codes(result)
    assert message in hits[0].message
    assert 1 <= hits[0].line <= text.count("\n") + 1


def _test_table(name: str):
    """The table ``name`` of the one test module that defines it (BAD_ALIGNMENTS in the
    alignment tests, BAD_SCHEMES in the class map tests), found by scanning the test files,
    so that moving or renaming a test module keeps this check."""
    here = Path(__file__).resolve().parent
    pattern = re.compile(rf"^{name}\b\s*(:[^=]*)?=", re.MULTILINE)
    [module] = [p.stem for p in sorted(here.glob("test_*.py"))
                if pattern.search(p.read_text(encoding="utf-8"))]
    return getattr(importlib.import_module(module), name)


def test_every_code_has_a_test():
    bad_alignments = _test_table("BAD_ALIGNMENTS")
    bad_schemes = _test_table("BAD_SCHEMES")
    # file-level codes: test_validate_robustness.py, the alignment tests; DT303: the class
    # map tests; DT401: tests/test_augment_chains.py
    tested = (set(BAD_INPUTS) | set(bad_alignments) | {code for _, _, code, _ in bad_schemes}
              | {"DT000", "DT001", "DT003", "DT303", "DT401"})
    assert tested == set(CODES)


def test_unknown_symbol_position_and_other_hits_kept():
    result = parse("HH|x-x-x-k-|\nSD|--o---o-|\n")
    f = next(f for f in result.findings if f.code == "DT103")
    assert (f.line, f.column) == (1, 10)
    assert len(result.score.events) == 5


def test_repeat_note_below_a_system_and_unattached_note():
    result = parse("HH|x-x-x-x-|\nREPEAT 8x\n")
    assert [b.repeat_pass for b in result.score.bars] == list(range(1, 9))
    result = parse("HH|x-x-x-x-|\n\n\n\n(repeat 3 times)\n\n\n\nSD|o---|\n")
    assert "DT107" in codes(result)


def test_toms_ranked_per_file():
    score = parse("T1|o---|\nT2|-o--|\nT3|--o-|\n").score
    assert [e.instrument for e in score.sorted_events()] == [I.TOM_HIGH, I.TOM_LOW_MID,
                                                             I.TOM_FLOOR_HIGH]
    score = parse("HT|o---|\nFT|-o--|\n").score
    assert [e.instrument for e in score.sorted_events()] == [I.TOM_HIGH, I.TOM_FLOOR_HIGH]


# -- writer -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALL_TABS)
def test_write_then_parse_keeps_every_hit_of_real_tabs(name):
    score, _ = parse_file(name)
    again = parse(write_tab(score))
    assert not [f for f in again.findings if f.severity.value != "info"]
    assert set(again.score.musical_content()[1]) == set(score.musical_content()[1])
    assert again.score.musical_content()[0] == score.musical_content()[0]


# Every (instrument, articulations) the writer must express, by line.
WRITABLE = [
    (I.HIHAT_CLOSED, frozenset()), (I.HIHAT_CLOSED, frozenset({A.ACCENT})),
    (I.HIHAT_OPEN, frozenset()), (I.HIHAT_OPEN, frozenset({A.HALF_OPEN})),
    (I.HIHAT_PEDAL, frozenset()), (I.SNARE, frozenset()), (I.SNARE, frozenset({A.GHOST})),
    (I.SNARE, frozenset({A.RIMSHOT})), (I.SNARE, frozenset({A.FLAM})),
    (I.SNARE, frozenset({A.DOUBLE})), (I.KICK, frozenset()), (I.KICK, frozenset({A.ACCENT})),
    (I.TOM_HIGH, frozenset()), (I.TOM_HIGH_MID, frozenset()), (I.TOM_LOW_MID, frozenset()),
    (I.TOM_LOW, frozenset()), (I.TOM_FLOOR_HIGH, frozenset()), (I.TOM_FLOOR_LOW, frozenset()),
    (I.CRASH, frozenset()), (I.CRASH, frozenset({A.CHOKE})), (I.CRASH2, frozenset({A.ACCENT})),
    (I.RIDE, frozenset()), (I.RIDE_BELL, frozenset({A.BELL})), (I.CHINA, frozenset()),
    (I.SPLASH, frozenset()), (I.COWBELL, frozenset()), (I.TAMBOURINE, frozenset()),
    (I.CONGA_LOW, frozenset()),
]
_LINE = {I.HIHAT_OPEN: I.HIHAT_CLOSED, I.RIDE_BELL: I.RIDE}


@st.composite
def grid_scores(draw):
    meters = draw(st.lists(st.sampled_from([Meter(4, 4), Meter(3, 4), Meter(2, 4), Meter(5, 4)]),
                           min_size=1, max_size=6))
    bars = [Bar(i, m, i + 1) for i, m in enumerate(meters)]
    events, taken = [], set()
    for bar in bars:
        for _ in range(draw(st.integers(0, 10))):
            beat = draw(st.integers(0, bar.meter.numerator - 1))
            sub = draw(st.sampled_from([F(0), F(1, 4), F(1, 2), F(3, 4), F(1, 3), F(2, 3),
                                        F(1, 6), F(5, 6)]))
            inst, arts = draw(st.sampled_from(WRITABLE))
            key = (bar.index, beat + sub, _LINE.get(inst, inst))
            if key in taken:
                continue
            # a beat mixing sixteenths and triplets needs a finer grid; keep one grid per beat
            grid = 4 if (sub * 4).denominator == 1 else 6
            if (bar.index, beat, 10 - grid) in taken:
                continue
            taken |= {key, (bar.index, beat, grid)}
            events.append(Event(bar.index, beat + sub, inst, arts, velocity_for(arts)))
    return Score(bars=bars, events=events)


@settings(max_examples=150, deadline=None)
@given(grid_scores())
def test_parse_of_write_is_identity_on_sixteenth_and_triplet_grids(score):
    text = write_tab(score)
    result = parse(text)
    assert not [f for f in result.findings if f.severity.value != "info"], text
    assert result.score.musical_content() == score.musical_content(), text
    assert [e.velocity for e in result.score.sorted_events()] == [
        e.velocity for e in score.sorted_events()]


def test_writer_doubles_repeated_hits_and_reports_what_it_cannot_write():
    bars = [Bar(0, Meter(4, 4), 1)]
    same = [Event(0, F(0), I.SNARE, label="38"), Event(0, F(0), I.SNARE, label="38")]
    assert "SD|d---------------|" in write_tab(Score(bars=bars, events=same))
    clash = [Event(0, F(0), I.RIDE, label="51"), Event(0, F(0), I.RIDE_BELL,
                                                        frozenset({A.BELL}), label="53")]
    with pytest.raises(ValueError, match="two hits on line R at bar 1 beat 0"):
        write_tab(Score(bars=bars, events=clash))
    dropped = []
    text = write_tab(Score(bars=bars, events=clash), dropped=dropped)
    assert dropped == ["two hits on line R at bar 1 beat 0: kept ride, not ride_bell"]
    assert [e.instrument for e in parse(text).score.events] == [I.RIDE]


@pytest.mark.parametrize("label, instrument", [
    ("Hi-Hat:", I.HIHAT_CLOSED), ("Hi Hat", I.HIHAT_CLOSED), ("Hihat", I.HIHAT_CLOSED),
    ("Crash", I.CRASH), ("Crash 2", I.CRASH2), ("Ride", I.RIDE), ("Bass", I.KICK),
    ("Snare Drum", I.SNARE), ("Floor", I.TOM_FLOOR_HIGH), ("Tom 1", I.TOM_HIGH),
])
def test_spelled_out_labels(label, instrument):
    result = parse(f"{label}|x---x---|\n")
    assert [e.instrument for e in result.score.events] == [instrument] * 2
    assert not [f for f in result.findings if f.severity.value == "error"]


def test_repeat_count_after_the_last_bar_line():
    score = parse("HH|x-x-x-x-|\nSD|--o---o-|  x4\n\nC |x-------|\n").score
    assert [(b.written_bar, b.repeat_pass) for b in score.bars] == [
        (1, 1), (1, 2), (1, 3), (1, 4), (2, 1)]


def test_repeat_signs_are_not_columns_and_expand():
    score = parse("HH|:x-x-x-x-|x-x-x-x-:|x3\nBD|:o-------|o-------:|\n\nC |x-------|\n").score
    assert [(b.written_bar, b.repeat_pass) for b in score.bars] == [
        (1, 1), (2, 1), (1, 2), (2, 2), (1, 3), (2, 3), (3, 1)]
    assert sorted({e.beat for e in score.events if e.bar == 0}) == [0, 1, 2, 3]
    result = parse("HH|:x-x-x-x-|x-x-x-x-|\n")
    assert "DT107" in codes(result)


def test_count_line_wider_than_the_bars_is_reported():
    result = parse("HH|x-x-x-x-x-x-x-x-|\nBD|o-------o-------|\n   1 e + a 2 e + a 3 e + a 4 e + a\n")
    assert any(f.code == "DT105" and "runs on past the last bar line" in f.message
               for f in result.findings)


def test_width_that_fits_no_grid_is_spread_not_padded():
    result = parse("Time: 3/4\nHH|x-x-x-x-x-x-x-x-|\n")
    assert "DT108" in codes(result) and "DT105" not in codes(result)
    assert sorted(e.beat for e in result.score.events)[:2] == [0, F(3, 8)]


@pytest.mark.parametrize("header, passes", [("Intro x2", 2), ("Verse (4x)", 4), ("[Chorus x3]", 3)])
def test_section_header_with_a_repeat_count(header, passes):
    score = parse(f"{header}\nHH|x-x-x-x-|\nBD|o---o---|\n\nOutro\nC |x-------|\n").score
    assert [b.repeat_pass for b in score.bars] == list(range(1, passes + 1)) + [1]


def test_bars_without_bar_lines_are_read_as_sixteenths():
    result = parse("HH|" + "x-" * 32 + "||\nB |" + "o" + "-" * 15 + "o" + "-" * 47 + "||\n")
    assert "DT108" in codes(result) and result.score.bars[0].meter == Meter(16, 4)
    assert sorted(e.beat for e in result.score.events if e.label == "B") == [0, 4]


def test_a_line_of_bar_numbers_is_not_a_count_line():
    result = parse("HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|\n   1               2\n")
    assert [str(b.meter) for b in result.score.bars] == ["4/4", "4/4"]
    assert not [f for f in result.findings if f.severity.value == "error"]


@pytest.mark.parametrize("label, instrument", [
    ("Open HH", I.HIHAT_OPEN), ("HH Pedal", I.HIHAT_PEDAL), ("Hi-hat foot", I.HIHAT_PEDAL)])
def test_hi_hat_labels_that_name_how_it_is_played(label, instrument):
    assert {e.instrument for e in parse(f"{label}|x---x---|\n").score.events} == {instrument}


# -- styles seen on tab sites and forums ----------------------------------------------------
def counts_of(text):
    return Counter(e.instrument for e in parse(text).score.events)


def test_long_labels_and_an_open_last_bar():
    got = counts_of("Splash Cymbal |x---------------|\nHi-Hat (foot) |--x---x---x---x-|\n"
                    "Snare         |----o-------o---|\n")
    assert got == {I.SPLASH: 1, I.HIHAT_PEDAL: 4, I.SNARE: 2}
    score = parse("HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-\nBD|o-------o-------|o-------o-------\n").score
    assert len(score.bars) == 2 and len(score.events) == 20


def test_blank_lines_between_the_lines_of_one_system():
    score = parse("HH|x-x-x-x-|x-x-x-x-|\n\nSD|--o---o-|--o---o-|\n\nBD|o---o---|o---o---|\n").score
    assert len(score.bars) == 2 and len(score.events) == 16


@pytest.mark.parametrize("legend, expected", [
    ("C = Crash   R = Ride   HH = Hi-Hat", {I.CRASH: 1, I.RIDE: 3}),
    ("x = closed hi-hat    o = open hi-hat", {I.HIHAT_CLOSED: 3, I.HIHAT_OPEN: 1}),
])
def test_several_legend_entries_on_one_line(legend, expected):
    tab = "C |x-------|\nR |--x-x-x-|\n" if "Crash" in legend else "HH|x-x-x-o-|\n"
    assert counts_of(f"{legend}\n\n{tab}") == expected


def test_legend_symbols_that_name_a_way_of_playing():
    got = counts_of("B = ride bell\nx = cross stick\nR |x-B-x-B-|\nSD|x---o---|\nB |o---o---|\n")
    assert got == {I.RIDE: 2, I.RIDE_BELL: 2, I.SIDE_STICK: 1, I.SNARE: 1, I.KICK: 2}


def test_compound_meter_counted_in_dotted_quarters():
    result = parse("Time signature: 12/8\nHH|xxxxxxxxxxxx|\nSD|---o-----o--|\n  |1&a2&a3&a4&a|\n")
    assert str(result.score.bars[0].meter) == "12/8"
    assert sorted(e.beat for e in result.score.events if e.label == "SD") == [3, 9]
    assert str(parse("This one is in 6/8 time\nHH|x-x-x-|\n").score.meter_hint) == "6/8"


@pytest.mark.parametrize("note, passes", [
    ("Chorus (play 4 times)", 4), ("Verse - 2 times", 2), ("Fill (play twice)", 2),
    ("Verse \u00d72", 2), ("Outro x4 (fade out)", 4)])
def test_repeat_wordings(note, passes):
    score = parse(f"{note}\nHH|x-x-x-x-|\n").score
    assert [b.repeat_pass for b in score.bars] == list(range(1, passes + 1))


def test_repeat_count_at_the_end_of_the_count_line():
    score = parse("HH|x-x-x-x-|\n  |1+2+3+4+|  x4\n").score
    assert len(score.bars) == 4


def test_choke_after_a_cymbal_hit_and_a_choke_that_is_a_hit():
    events = parse("# = choke\nC |x#------|\n").score.events
    assert [(e.beat, e.articulations) for e in events] == [(0, frozenset({A.CHOKE}))]
    events = parse("|-#-|: strike then choke\nC |x#------|\n").score.events
    assert len(events) == 2


def test_hi_mid_lo_toms_and_a_pickup_bar():
    got = parse("Hi Tom |o---|\nMid Tom|-o--|\nLo Tom |--o-|\nFloor  |---o|\n").score
    assert [e.instrument for e in got.sorted_events()] == [I.TOM_HIGH, I.TOM_HIGH_MID,
                                                          I.TOM_LOW_MID, I.TOM_FLOOR_HIGH]
    score = parse("SD|--oo|o-------o-------|\n").score
    assert str(score.bars[0].meter) == "1/4"
    assert sorted(e.beat for e in score.events if e.bar == 0) == [F(1, 2), F(3, 4)]


@pytest.mark.parametrize("endings", ["            |1.-------|2.------|", "            1.        2."])
def test_first_and_second_endings(endings):
    text = f"{endings}\nHH|:x-x-x-x-|x-x-x-x-:|o-o-o-o-|\nBD|:o---o---|o-o-o-o-:|o-------|\n"
    result = parse(text)
    assert [(b.written_bar, b.repeat_pass) for b in result.score.bars] == [
        (1, 1), (2, 1), (1, 2), (3, 1)]
    assert not codes(result)


@pytest.mark.parametrize("text", [
    "HH x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|\nSD ----o-------o---|----o-------o---|\n",
    "HH:x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|\nSD:----o-------o---|----o-------o---|\n",
    "|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-| HH\n|----o-------o---|----o-------o---| SD\n",
    "HH|x\u00a0x\u00a0x\u00a0x\u00a0x\u00a0x\u00a0x\u00a0x\u00a0|x-x-x-x-x-x-x-x-|\n"
    "SD|----o-------o---|----o-------o---|\n",
])
def test_staff_lines_without_the_usual_bar_lines_and_labels(text):
    result = parse(text)
    assert len(result.score.bars) == 2
    assert Counter(e.instrument for e in result.score.events) == {I.HIHAT_CLOSED: 16, I.SNARE: 4}
    assert not [f for f in result.findings if f.severity.value == "error"]


def test_repeat_note_under_a_system_repeats_that_system():
    score = parse("Verse\nHH|x-x-x-x-|\nBD|o---o---|\n(repeat 4 times)\nFill\n"
                  "HH|x-x-----|\nSD|----oooo|\n").score
    assert [(b.written_bar, b.repeat_pass) for b in score.bars] == [
        (1, 1), (1, 2), (1, 3), (1, 4), (2, 1)]


def test_count_lines_with_bar_lines_above_or_below_the_staff():
    below = parse("HH|x-x-x-x-x-x-|x-x-x-x-x-x-|\nSD|----o-------|----o-------|\n"
                  "   1 + 2 + 3 + |1 + 2 + 3 + |\n")
    above = parse("  |1 + 2 + 3 + |1 + 2 + 3 + |\nHH|x-x-x-x-x-x-|x-x-x-x-x-x-|\n"
                  "SD|----o-------|----o-------|\n")
    for result in (below, above):
        assert [str(b.meter) for b in result.score.bars] == ["3/4", "3/4"]
        assert sorted(e.beat for e in result.score.events if e.label == "SD") == [1, 1]
        assert not codes(result)


def test_open_last_bar_cut_short_keeps_its_columns():
    result = parse("HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|\nBD|o-------o-------|o-------o-----\n")
    assert sorted((e.bar, e.beat) for e in result.score.events if e.label == "BD") == [
        (0, 0), (0, 2), (1, 0), (1, 2)]


def test_tempo_marks_in_other_spellings():
    score = parse("\u2669=120\nq = 96\nTempo - 140\nSpeed: 100\nHH|x---|\n").score
    assert [bpm for _, bpm in score.tempo_hints] == [120, 96, 140, 100]


def test_section_header_repeat_covers_the_whole_section():
    score = parse("[Chorus] x2\nHH|x-x-x-x-|\nBD|o---o---|\n\nHH|x-x-x-x-|\nSD|--o---o-|\n\n"
                  "[Outro]\nC |x-------|\n").score
    assert [(b.written_bar, b.repeat_pass) for b in score.bars] == [
        (1, 1), (2, 1), (1, 2), (2, 2), (3, 1)]
    score = parse("x2\nHH|x-x-x-x-|\n\nHH|x-x-----|\n").score       # a bare count: one system
    assert [(b.written_bar, b.repeat_pass) for b in score.bars] == [(1, 1), (1, 2), (2, 1)]
    result = parse("Verse x2\nHH|x-x-x-x-|\n\nHH|:x-x-----:|\n")
    assert "DT107" in codes(result)


def test_repeat_a_named_section():
    score = parse("[Intro]\nHH|x-x-x-x-|\n\n[Verse]\nSD|o-o-o-o-|\n\nRepeat intro\n\n"
                  "[Outro]\nC |x-------|\n").score
    assert [(b.written_bar, b.repeat_pass) for b in score.bars] == [(1, 1), (2, 1), (1, 2), (3, 1)]
    score = parse("Chorus x2\nHH|x-x-x-x-|\n\nVerse\nSD|o-o-o-o-|\n\nChorus again\n").score
    assert [b.written_bar for b in score.bars] == [1, 1, 2, 1, 1]
    assert "DT107" in codes(parse("HH|x-x-x-x-|\n\nRepeat bridge\n"))


# -- hints from alignment files and the plugin's components -------------------------------
UNKNOWN_LABEL = "ZZ|x---x---x---x---|\nSD|----o-------o---|\n"


def test_legend_hints_read_like_the_legend_option():
    plain = parse(UNKNOWN_LABEL)
    assert "DT101" in codes(plain)
    hinted = parse_tab(UNKNOWN_LABEL, path="t.txt", hints=ParseHints(legend={"ZZ": "china"}))
    assert hinted == parse_tab(UNKNOWN_LABEL, path="t.txt",
                               options=AsciiTabOptions(legend="ZZ = china"))
    assert "DT101" not in codes(hinted)
    assert {e.instrument for e in hinted.score.events} == {I.CHINA, I.SNARE}
    # hints add to the legend option and are read after it
    both = parse_tab("ZZ|x---|\nQQ|-o--|\nSD|--o-|\n", path="t.txt",
                     options=AsciiTabOptions(legend="ZZ = china\nQQ = splash"),
                     hints=ParseHints(legend={"QQ": "cowbell"}))
    assert [e.instrument for e in both.score.sorted_events()] == [I.CHINA, I.COWBELL, I.SNARE]


# Bar 2 is written once in 7/8 (14 columns) and played twice: playing bar 3 is its second pass.
REPEATED_7_8 = [
    "  |----------------|------x2------|\n"
    "HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-|\n"
    "BD|o-------o-------|o-----o-------|\n",
    "HH|x-x-x-x-x-x-x-x-|:x-x-x-x-x-x-x-:|\n"
    "BD|o-------o-------|:o-----o-------:|\n",
]


@pytest.mark.parametrize("text", REPEATED_7_8)
def test_meter_hints_count_playing_bars_and_move_to_the_written_bar(text):
    plain = parse(text)
    assert [(b.written_bar, b.repeat_pass) for b in plain.score.bars] == [(1, 1), (2, 1), (2, 2)]
    assert "DT108" in codes(plain)                       # 14 columns do not fit 4/4
    hinted = parse_tab(text, path="t.txt", hints=ParseHints(meters={3: Meter(7, 8)}))
    assert hinted == parse_tab(text, path="t.txt", options=AsciiTabOptions(meters="2=7/8"))
    assert [b.meter for b in hinted.score.bars] == [Meter(4, 4), Meter(7, 8), Meter(7, 8)]
    assert "DT108" not in codes(hinted)
    # what the core did before hints: legend option, a first reading, then written bars
    first = parse_tab(text, path="t.txt")
    meters = f"{first.score.bars[3 - 1].written_bar}=7/8"
    assert hinted == parse_tab(text, path="t.txt", options=AsciiTabOptions(meters=meters))
    # the playing bar is not the written bar: "3=7/8" names a bar the tab does not write
    assert parse_tab(text, path="t.txt", options=AsciiTabOptions(meters="3=7/8")) == plain
    # a hinted bar past the end of the tab is left to the alignment stage to report
    assert parse_tab(text, path="t.txt", hints=ParseHints(meters={9: Meter(7, 8)})) == plain
    assert parse_tab(text, path="t.txt", hints=ParseHints()) == plain


def test_parser_and_writer_components():
    [parser] = _registered(ascii_plugin.register_tab_parsers)
    [writer] = _registered(ascii_plugin.register_tab_writers)
    assert parser.name == writer.name == "ascii" and writer.description
    assert isinstance(parser, TabParser) and isinstance(writer, TabWriter)
    assert not hasattr(parser, "write")
    assert writer.Options().bars_per_line == 4
    assert ascii_plugin.choose_tab_parser(Path("t.txt"), UNKNOWN_LABEL) == "ascii"
    hints = ParseHints(legend={"ZZ": "china"})
    assert parser.parse(UNKNOWN_LABEL, path="t.txt", hints=hints) == parse_tab(
        UNKNOWN_LABEL, path="t.txt", hints=hints)


def test_writer_component_round_trips_a_real_tab():
    # ../shared/data/tabs/may3beta_tab.txt: the seed project's sample tab
    # (mayhemsloth/Drum-Tabber, sample_dataset/may3beta_tab.txt; see ../shared/data/README.md)
    [writer] = _registered(ascii_plugin.register_tab_writers)
    score, _ = parse_file("may3beta_tab.txt")
    dropped = []
    text = writer.write(score, dropped=dropped)
    assert dropped == [] and text == write_tab(score)
    again = parse(text)
    assert not [f for f in again.findings if f.severity.value != "info"]
    # identical hits of two source lines (C2 and C3, both the second crash) are written once
    assert set(again.score.musical_content()[1]) == set(score.musical_content()[1])
    assert again.score.musical_content()[0] == score.musical_content()[0]
    narrow = writer.write(score, options=writer.Options(bars_per_line=2))
    assert narrow == write_tab(score, bars_per_line=2)
    assert parse(narrow).score.musical_content() == again.score.musical_content()


def _registered(hook) -> list:
    found = []
    hook(found.append)
    return found
