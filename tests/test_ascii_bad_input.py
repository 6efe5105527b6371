"""Bad input to the ASCII tab plugin never crashes, hangs, eats memory or writes a broken tab.

Huge repeat counts are capped (DT114), impossible meter hints, legend entries that name no
instrument and count lines that disagree with the tab's meter get a finding, and the writer
writes a 10,000-column bar whole or fails with a DrumtabberError naming the hit.
"""
from __future__ import annotations

from fractions import Fraction as F

import pytest

from drumtabber.errors import DrumtabberError
from drumtabber.plugins.ascii_tab import parse_tab, write_tab
from drumtabber.plugins.ascii_tab.repeats import (MAX_NESTED_REPEATS, MAX_PLAYED_BARS,
                                                  MAX_PLAYED_HITS, MAX_REPEAT_TIMES)
from drumtabber.plugins.ascii_tab.writer import MAX_CELLS_PER_BEAT
from drumtabber.score import Bar, Event, Instrument, Meter, Score

STAVE = "HH|x-x-x-x-|\nSD|--o---o-|\n"


def parse(text):
    result = parse_tab(text, path="t.txt")
    assert "DT000" not in [f.code for f in result.findings]
    return result


def found(result, code):
    return [(f.line, f.column, f.message) for f in result.findings if f.code == code]


# -- 1. the writer --------------------------------------------------------------------------
def test_a_10000_column_bar_round_trips_with_every_hit():
    text = "SD|" + "o" * 10_000 + "|\n"
    score = parse(text).score
    assert len(score.events) == 10_000
    dropped: list = []
    written = write_tab(score, dropped=dropped)
    assert dropped == []
    again = parse(written)
    assert len(again.score.events) == 10_000
    assert again.score.musical_content() == score.musical_content()


def test_beats_from_10_on_are_counted_by_their_last_digit():
    bars = [Bar(0, Meter(12, 8), 1)]
    events = [Event(0, F(b) + F(1, 4), Instrument.SNARE) for b in range(12)]
    written = write_tab(Score(bars=bars, events=events))
    assert "|1e+a2e+a3e+a4e+a5e+a6e+a7e+a8e+a9e+a0e+a1e+a2e+a|" in written
    assert parse(written).score.musical_content() == Score(bars=bars,
                                                           events=events).musical_content()


@pytest.mark.parametrize("beat, meter, message", [
    (F(1, 1_000_003), Meter(4, 4), f"finer than {MAX_CELLS_PER_BEAT} columns"),
    (F(5), Meter(4, 4), "the bar has 4 beats"),
    (F(-1, 2), Meter(4, 4), "the bar has 4 beats"),
])
def test_a_hit_that_cannot_be_written_is_an_error_naming_it(beat, meter, message):
    score = Score(bars=[Bar(0, meter, 1)], events=[Event(0, beat, Instrument.SNARE)],
                  source="song.txt")
    for dropped in (None, []):
        with pytest.raises(DrumtabberError, match=f"song.txt: cannot write snare .* at bar 1 "
                                                  f"beat {beat}: .*{message}"):
            write_tab(score, dropped=dropped)


def test_show_format_tab_fails_on_a_hit_it_cannot_write(tmp_path, run_cli):
    path = tmp_path / "fine.txt"
    # a count of 5,000 digits: one beat of 5,000 cells, finer than any grid the writer has
    path.write_text("HH|" + "x" * 5002 + "|\n  |1 " + "0" * 5000 + "|\n", encoding="utf-8")
    code, out, err = run_cli("show", path, "--format", "tab")
    assert code == 1
    assert "cannot write hihat_closed" in err and "bar 1 beat" in err


# -- 2. repeat counts -----------------------------------------------------------------------
@pytest.mark.parametrize("text, line, column, count", [
    (STAVE + "(repeat 1000000 times)\n", 3, 9, "1,000,000"),
    (STAVE + "REPEAT 999999999x\n", 3, 8, "999,999,999"),
    (STAVE + "x999999999\n", 3, 2, "999,999,999"),
    ("[Chorus] x1000000\n" + STAVE + "\nBD|o---|\n", 1, 11, "1,000,000"),
    ("  |----x999999999----|\n" + STAVE, 1, 8, "999,999,999"),
    ("  |----x5000----|\n" + STAVE, 1, 8, "5,000"),
    ("HH|:x-x-x-x-:|x999999999\n", 1, 15, "999,999,999"),
    ("HH|x-x-x-x-| x999999999\n", 1, 14, "999,999,999"),
    (STAVE + "  |1+2+3+4+| x99999\n", 3, 14, "99,999"),
    (STAVE + "REPEAT " + "9" * 5000 + "x\n", 3, 8, "over 999,999,999,999"),
], ids=["prose", "REPEAT", "note-below", "section", "bracket", "bracket-4-digits", "sign",
        "trailing", "count-line", "5000-digits"])
def test_a_huge_repeat_count_is_an_error_and_played_once(text, line, column, count):
    result = parse(text)
    [(at_line, at_column, message)] = found(result, "DT114")
    assert (at_line, at_column) == (line, column)
    assert f"asks for {count} plays" in message and f"more than the {MAX_REPEAT_TIMES}" in message
    assert {b.repeat_pass for b in result.score.bars} == {1}
    assert found(result, "DT113") == []          # "|----x5000----|" is a bracket, not a staff


def test_a_count_of_three_digits_is_still_read():
    result = parse(STAVE + "(repeat 999 times)\n")
    assert len(result.score.bars) == 999 and not found(result, "DT114")


@pytest.mark.parametrize("text", [
    "  |----x999----|\nHH|:x-x-x-x-:|x999\n(repeat 999 times)\n",          # 999 ** 3 nested
    "HH|" + "x-x-x-x-|" * 12 + "\n(repeat 999 times)\n",                  # 11,988 bars
    "[Chorus] x999\n  |--x999--|\nHH|:x-x-:|x999\n\nSD|o-o-|\n\n[Verse]\nBD|o---|\n",
    "HH|" + "x" * 10_000 + "|\n(repeat 999 times)\n",                     # 9,990,000 hits
], ids=["nested", "long-system", "nested-section", "hits"])
def test_the_repeats_never_grow_the_song_past_the_cap(text):
    result = parse(text)
    written = len({b.written_bar for b in result.score.bars})
    assert len(result.score.bars) <= written + MAX_PLAYED_BARS
    assert len(result.score.events) <= 10_000 + MAX_PLAYED_HITS
    assert found(result, "DT114")
    assert any("cut short" in m and "10,000 bars" in m for _, _, m in found(result, "DT114"))


def test_section_replays_stop_at_the_cap():
    text = "[Chorus]\nHH|" + "x-x-x-x-|" * 500 + "\n\n" + "Repeat chorus\n\n" * 100
    result = parse(text)
    assert len(result.score.bars) <= 500 + MAX_PLAYED_BARS
    assert any("is not played again here" in m for _, _, m in found(result, "DT114"))


def test_sections_replaying_each_other_thousands_of_times_stay_bounded():
    text = "".join(f"[Verse]\n{STAVE}\nRepeat verse\n\n" for _ in range(2000))
    result = parse(text)
    assert len(result.score.bars) <= 2000 + MAX_PLAYED_BARS


def test_ten_thousand_nested_brackets_nest_only_so_deep():
    result = parse("  |---x2---|\n" * 10_000 + "HH|x-x-x-x-|\n")
    assert len(result.score.bars) == 2 ** MAX_NESTED_REPEATS
    assert "would nest more than" in found(result, "DT114")[0][2]


# -- 3. silent acceptance -------------------------------------------------------------------
@pytest.mark.parametrize("hint, column", [("Time: 0/0", 7), ("Time: 7/0", 7),
                                          ("Time signature: 4/3", 17), ("   4/0", 4)])
def test_a_meter_hint_that_is_no_meter_gets_a_finding(hint, column):
    result = parse(hint + "\n" + STAVE)
    [(line, col, message)] = found(result, "DT108")
    assert (line, col) == (1, column)
    assert "is not a meter" in message and "ignored" in message
    assert [b.meter for b in result.score.bars] == [Meter(4, 4)]


@pytest.mark.parametrize("legend", ["HH = banjo", "HH: banjo", "SD = snare, HH = banjo"])
def test_a_legend_entry_naming_no_instrument_gets_a_finding(legend):
    result = parse(legend + "\n\n" + STAVE)
    [(line, column, message)] = found(result, "DT110")
    assert line == 1 and column == legend.index("HH") + 1
    assert "names no instrument known for line 'HH'" in message


def test_prose_with_a_colon_is_not_a_legend_entry():
    assert found(parse("Album: Banjo\nTuning = standard\n\n" + STAVE), "DT110") == []


def test_a_count_line_that_disagrees_with_the_meter_gets_a_finding():
    result = parse("Time: 3/4\nHH|x-x-x-x-|\n  |1+2+3+4+|\n")
    [(line, column, message)] = found(result, "DT105")
    assert (line, column) == (3, 4)
    assert "has 4 beats but the tab's meter is 3/4" in message
    assert [b.meter for b in result.score.bars] == [Meter(4, 4)]
    # a meter further down says nothing about the bars above it
    assert found(parse("HH|x-x-x-x-|\n  |1+2+3+4+|\n\nTime: 3/4\n" + STAVE), "DT105") == []


# -- 4. more bad inputs ---------------------------------------------------------------------
# Inputs whose unbounded reading took minutes or ran out of memory.  How long each takes
# against a real tab of the same size is measured by benchmarks/huge_tabs.py (a ratio in one
# process, not a timed test); here: each is read whole, with its bars bounded.
HUGE_INPUTS = {
    "1M-columns": "HH|" + "x-" * 500_000 + "|\n",
    "long-count": "HH|" + "x-" * 50_000 + "|\n  |" + "1e+a2e+a3e+a4e+a" * 6250 + "|\n",
    "digits": "HH|" + "x" * 5002 + "|\n  |1 " + "0" * 5000 + "|\n",
    "labels": "".join(f"Q{i}|x-x-x-x-|\n" for i in range(10_000)),
    "legend": "".join(f"Q{i} = snare\n" for i in range(10_000)) + "\nQ1|o---|\n",
    "prose": "repeat " * 200_000 + "\n" + STAVE,
    "tempo-spaces": "tempo" + " " * 20_000 + "!\n" + STAVE,
    "meter-spaces": "time" + " " * 20_000 + "4/4x\n" + STAVE,
    "stacks": "1 " * 20_000 + "\n" + "- " * 20_000 + "\n" + "4 " * 20_000 + "\n|\n",
    "meter-row": "  " + " ".join(["4/4"] * 30_000) + "\nHH|" + "x-x-x-x-|" * 10_000 + "\n",
    "endings": "   " + "|1.--|2.--" * 2000 + "|\nHH|:" + "x---|" * 4000 + ":|x999\n",
}


@pytest.mark.parametrize("text", HUGE_INPUTS.values(), ids=HUGE_INPUTS.keys())
def test_huge_inputs_are_read_whole_with_bounded_bars(text):
    result = parse(text)
    assert len(result.score.bars) <= 10_000 + MAX_PLAYED_BARS
