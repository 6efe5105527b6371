"""Conventions of drum tabs from tab sites and forums, each on a small tab written for it and
on the shared real tab that shows it.

Real tabs come from ../shared/data/site-tabs (see its README for origin and licence):
nliaudat/robot-drummer's RATM and Nirvana tabs (repo GPL-3.0; third-party transcriptions),
Stan15/TAB2XML and biltzerpos/TAB2XML (CC BY-SA 4.0), ben-tanen/drumtab-visualizer and
sgill994/TAB2MXL (no licence stated).  Their hand counts (benchmarks/tab_counts/) are the
written cells per drum family, checked by eye.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from fractions import Fraction as F
from pathlib import Path

import pytest

from conftest import ROOT
from drumtabber.plugins.ascii_tab import parse_tab
from drumtabber.score import Articulation as A
from drumtabber.score import Instrument as I
from drumtabber.score import Meter
from drumtabber.textio import read_text

SITE_TABS = ROOT.parent / "shared" / "data" / "site-tabs"
HAND_COUNTS = ROOT / "benchmarks" / "tab_counts"
# A family may miss this share of its written cells (the threshold is 5%; the cells
# still missed are listed in KNOWN_UNREAD with their findings).
MISS_SHARE = 0.05


def parse(text):
    return parse_tab(text, path="t.txt")


def site(name):
    text, found = read_text(SITE_TABS / name)
    result = parse_tab(text, path=name)
    result.findings[:0] = found
    return result


def codes(result):
    return [f.code for f in result.findings]


def errors(result):
    return [f.format() for f in result.findings if f.severity.value == "error"]


def on_line(result, line, first_pass=True):
    return [e for e in result.score.sorted_events()
            if e.line == line and (e.repeat_pass == 1 or not first_pass)]


def plays(result):
    return [(b.written_bar, b.repeat_pass) for b in result.score.bars]


# -- the instrument's letter as the hit, one-letter labels, a legend that redefines ---------
def test_the_instrument_letter_as_the_hit_symbol():
    result = parse("c|x-------|\nh|--x-x-x-|\ns|----s---|\nb|b-b---b-|\n")
    assert Counter(e.instrument for e in result.score.events) == {
        I.CRASH: 1, I.HIHAT_CLOSED: 3, I.SNARE: 1, I.KICK: 3}
    assert not result.findings
    # ratm_take_the_power_back.txt, lines 24-25: "s|...s-ss|", "b|b-b---..."
    real = site("ratm_take_the_power_back.txt")
    assert [e.instrument for e in on_line(real, 25)] == [I.KICK] * 6
    assert [e.instrument for e in on_line(real, 24)] == [I.SNARE] * 3


def test_another_lines_letter_names_that_drum():
    # a snare fill written with the snare's letter on a cow-bell line (no snare line there)
    result = parse("c1 = cowbell\n\nh |x-x-x-x-|\nc1|c---c---|\nc2|----s-ss|\ns |--s-----|\n")
    got = Counter((e.label, e.instrument) for e in result.score.events)
    assert got[("c1", I.COWBELL)] == 2 and got[("c2", I.SNARE)] == 3
    assert [f.code for f in result.findings if f.line == 5] == ["DT102"]
    real = site("ratm_take_the_power_back.txt")                # its line 133
    assert [e.instrument for e in on_line(real, 133)] == [I.COWBELL] * 4 + [I.SNARE] * 3


@pytest.mark.parametrize("label, instrument", [
    ("c", I.CRASH), ("r", I.RIDE), ("h", I.HIHAT_CLOSED), ("hf", I.HIHAT_PEDAL),
    ("s", I.SNARE), ("b", I.KICK), ("t", I.TOM_HIGH), ("f", I.TOM_FLOOR_HIGH)])
def test_one_letter_lower_case_labels(label, instrument):
    result = parse(f"{label}|x---x---|\nhf|--x---x-|\n" if label == "f" else f"{label}|x---x---|\n")
    assert {e.instrument for e in result.score.events if e.label == label} == {instrument}
    assert "DT101" not in codes(result)


def test_a_legend_that_redefines_a_label_or_a_symbol_wins():
    result = parse("c1= lower cow-bell\no = double note\n\nh |x-o-x-o-|\nc1|c-------|\n")
    assert {e.instrument for e in result.score.events if e.label == "c1"} == {I.COWBELL}
    assert [(e.instrument, e.articulations) for e in result.score.sorted_events()
            if e.label == "h"][1] == (I.HIHAT_CLOSED, frozenset({A.DOUBLE}))
    real = site("ratm_take_the_power_back.txt")     # legend "o = double note", "c1= ..."
    h = on_line(real, 152)                           # "h|...-----------ox-oo|xxxxxxoo|"
    assert {e.instrument for e in h} == {I.HIHAT_CLOSED}
    assert sum(A.DOUBLE in e.articulations for e in h) == 5
    assert {e.instrument for e in on_line(real, 132)} == {I.COWBELL}


# -- lines with no bar line after the label, labels on the right --------------------------
@pytest.mark.parametrize("text", [
    "C -x-------------|-x--------------|\nS -----o-------o-|-----o-------o--|\n",
    "C|x-------------|x---------------|\nS|----o-------o-|----o-------o---|\n",
    "HH:|x-------------|x---------------|\nSD:|----o-------o-|----o-------o---|\n",
    "|x---------------|x---------------| C\n|----o-------o---|----o-------o---| S\n",
])
def test_lines_with_no_bar_line_after_the_label(text):
    result = parse(text)
    assert len(result.score.bars) == 2 and not errors(result)
    assert len(result.score.events) == 6


def test_a_label_glued_to_its_first_bar():
    result = parse("C -x-x-x---------|\nS -o-o-o-f-------|\nHf-----------x---|\n")
    assert [e.instrument for e in result.score.events if e.label == "Hf"] == [I.HIHAT_PEDAL]
    assert not errors(result)
    # ratm_killing_in_the_name.txt, line 32 "Hf-----------x---|" (was skipped without a word)
    real = site("ratm_killing_in_the_name.txt")
    assert [e.instrument for e in on_line(real, 32)] == [I.HIHAT_PEDAL]
    assert [(e.instrument, e.beat, e.column) for e in on_line(real, 7)] == [(I.CRASH, 0, 4)]


# -- F, f, T, t -------------------------------------------------------------------------
def test_f_is_the_floor_tom_beside_a_foot_hi_hat_line():
    result = parse("S |o---o---|\nF |--o---o-|\nHf|x-x-x-x-|\n")
    assert {e.instrument for e in result.score.events if e.label == "F"} == {I.TOM_FLOOR_HIGH}
    assert "DT102" not in codes(result)
    lone = parse("S |o---o---|\nF |--o---o-|\n")
    assert {e.instrument for e in lone.score.events if e.label == "F"} == {I.TOM_FLOOR_HIGH}
    assert "read as floor tom" in next(f.message for f in lone.findings if f.code == "DT102")
    foot = parse("F = hi-hat foot\n\nS |o---o---|\nF |--o---o-|\n")
    assert {e.instrument for e in foot.score.events if e.label == "F"} == {I.HIHAT_PEDAL}
    # ratm_killing_in_the_name.txt, line 64: "F ...|---------oooooooo|" beside "Hf" lines
    real = site("ratm_killing_in_the_name.txt")
    assert {e.instrument for e in on_line(real, 64)} == {I.TOM_FLOOR_HIGH}
    assert not [f for f in real.findings if f.code == "DT102"]


def test_t_and_f_in_both_cases_are_four_toms():
    result = parse("t |o-------|\nT |--o-----|\nf |----o---|\nF |------o-|\nHf|x-x-x-x-|\n")
    assert [e.instrument for e in result.score.sorted_events() if e.label != "Hf"] == [
        I.TOM_HIGH, I.TOM_LOW_MID, I.TOM_FLOOR_HIGH, I.TOM_FLOOR_LOW]
    assert "DT102" not in codes(result)
    # tool_parabola.txt: t T f F and Hf lines
    real = site("tool_parabola.txt")
    toms = {e.label: e.instrument for e in real.score.events if e.label in "tTfF"}
    assert toms == {"t": I.TOM_HIGH, "T": I.TOM_LOW_MID, "f": I.TOM_FLOOR_HIGH,
                    "F": I.TOM_FLOOR_LOW}
    # soad_chop_suey_excerpt.txt: "t" beside "T", "T2", "FT"
    chop = site("soad_chop_suey_excerpt.txt")
    assert {e.instrument.family for e in chop.score.events if e.label in ("t", "T", "T2")} == {"tom"}


# -- digits as hits, count notation, count lines past 9, vertical meters ------------------
def test_zero_for_o_on_a_drum_line():
    result = parse("HH|x-x-x-x-|\nBD|0---0---|\n")
    assert [e.beat for e in result.score.events if e.label == "BD"] == [0, 2]
    assert not result.findings


def test_count_notation_digits_are_the_hits():
    result = parse("SD  -----2nnn------4nnn\nBD  11nn------33nn-----\nHH  1n1n 2n2n 3n3n 4n4n\n")
    got = defaultdict(list)
    for e in result.score.sorted_events():
        got[e.label].append(e.beat)
    assert got == {"SD": [1, 3], "BD": [0, F(1, 4), 2, F(9, 4)],
                   "HH": [0, F(1, 2), 1, F(3, 2), 2, F(5, 2), 3, F(7, 2)]}
    assert not result.findings and result.score.bars[0].meter == Meter(4, 4)
    # a beat of three cells is a triplet; a digit in the wrong beat gets a finding
    triplet = parse("BD  1nn1 nn2  3nn3 nn4\nHH  1n1n 2n2n 3n3n 4n4n\n")
    assert sorted(e.beat for e in triplet.score.events if e.label == "BD") == [
        0, F(3, 4), F(5, 3), 2, F(11, 4), F(11, 3)]
    wrong = parse("BD  1nnn 3nnn 3nnn 4nnn\nHH  1n1n 2n2n 3n3n 4n4n\n")
    assert "count digit '3' stands in beat 2" in " ".join(f.message for f in wrong.findings)
    # ratm_wake_up.txt, lines 19-21 (part 1) and 88-90 (part 11, triplets)
    real = site("ratm_wake_up.txt")
    assert [e.beat for e in on_line(real, 20)] == [0, F(1, 4), 2, F(9, 4)]
    assert [e.beat for e in on_line(real, 88)] == [1, F(4, 3), 3]
    assert not [f for f in real.findings if f.code in ("DT103", "DT104", "DT105")]


def test_count_line_digits_past_nine():
    result = parse("Time: 13/8\nC |X-------------------------|\n"
                   "  |1+2+3+4+5+6+7+8+9+0+1+2+3+|\n")
    assert result.score.bars[0].meter == Meter(13, 8) and "DT105" not in codes(result)
    # tool_parabola.txt, lines 142-148: a 13/8 bar counted "...8+9+0+1+2+3+"
    real = site("tool_parabola.txt")
    assert Meter(13, 8) in [b.meter for b in real.score.bars]
    assert not [f for f in real.findings if f.code == "DT105" and f.line == 148]


def test_a_vertical_time_signature_is_a_meter_not_a_bar():
    result = parse(" 6  C -x-x-x-x-x-x-|\n--- S -o-o-o-------|\n 8  B --o-o--o-o-o-|\n")
    assert [b.meter for b in result.score.bars] == [Meter(6, 8)]
    assert sorted(e.beat for e in result.score.events if e.label == "C") == [0, 1, 2, 3, 4, 5]
    assert not errors(result) and "DT111" in codes(result)
    # ratm_killing_in_the_name.txt, lines 24-26 (6/8, three plays) and the 5/4 mini-tab
    # beside the last bar of lines 74-78
    real = site("ratm_killing_in_the_name.txt")
    bars = [(b.written_bar, b.repeat_pass, str(b.meter)) for b in real.score.bars
            if b.line in (24, 74)]
    assert bars[:3] == [(9, 1, "6/8"), (9, 2, "6/8"), (9, 3, "6/8")]
    assert bars[-1][2] == "5/4"
    assert len(on_line(real, 75)) == 26


# -- repeats -----------------------------------------------------------------------------
@pytest.mark.parametrize("bracket", [
    "  |---repeat x3---|", "  |----repeat-3x----|", "  |_____x3_______|",
    "  |----REPEAT-3X---|", "   _______x3_______"])
def test_repeat_brackets_in_words(bracket):
    text = f"{bracket}\nHH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|\nBD|o-------o-------|o-------o-------|\n"
    result = parse(text)
    assert plays(result) == [(1, 1), (1, 2), (1, 3), (2, 1)]
    assert not errors(result)


def test_repeat_x3_reading_follows_the_tabs_note():
    tab = "\n |--repeat x3--|\nHH|x-x-x-x-x-x-x-|\n"
    plain = parse(tab)
    assert len(plain.score.bars) == 3
    assert "most common reading" in next(f.message for f in plain.findings if f.code == "DT111")
    more = parse("Note: repeat x3 = play it 4 times" + "\n" + tab)
    assert len(more.score.bars) == 4
    total = parse("The \"repeat x3\" thing tells you to play the measure 3 times, not play it\n"
                  "once and then repeat it 3 more times.\n" + tab)
    assert len(total.score.bars) == 3 and "DT107" not in codes(total)
    # ratm_take_the_power_back.txt says so in its note (lines 5-7): "repeat x15" is 15 plays
    real = site("ratm_take_the_power_back.txt")
    assert plays(real)[:16] == [(1, n) for n in range(1, 16)] + [(2, 1)]
    said = next(f for f in real.findings if f.code == "DT111" and "repeat" in f.message)
    assert "15 plays in total (as the tab's note at line 6 says)" in said.message
    assert "DT107" not in codes(real)


def test_nested_repeat_brackets():
    text = ("  |------REPEAT-2X------------|\n  |---REPEAT-3X---|\n"
            "HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|\n")
    assert plays(parse(text)) == [(1, 1), (1, 2), (1, 3), (2, 1), (1, 4), (1, 5), (1, 6), (2, 2)]
    # sabbath_war_pigs.txt, lines 81-82: REPEAT-1X over two bars, REPEAT-4X over the first
    real = site("sabbath_war_pigs.txt")
    assert [p for p in plays(real) if p[0] in (31, 32)] == [(31, 1), (31, 2), (31, 3), (31, 4),
                                                          (32, 1)]


def test_prose_and_split_repeat_notes():
    assert len(parse("Play it 20 times\nHH|x-x-x-x-|\n").score.bars) == 20
    split = parse("S -oo--o-----------| repeat\nF -oo--o-----------|   3x\n"
                  "Hf-x---x---x---x---|\n")
    assert plays(split) == [(1, 1), (1, 2), (1, 3)]
    # nirvana_lithium.txt: "|____x7____|" over the first two of four bars (line 19) and a
    # rule without end bars (line 66); ratm_killing_in_the_name.txt: "| repeat" / "|   3x"
    lithium = site("nirvana_lithium.txt")
    assert plays(lithium)[:16] == [(b, n) for n in range(1, 8) for b in (1, 2)] + [(3, 1), (4, 1)]
    assert [p for p in plays(lithium) if p[0] == 23][-1] == (23, 9)
    killing = site("ratm_killing_in_the_name.txt")
    assert [p for p in plays(killing) if p[0] == 21] == [(21, 1), (21, 2), (21, 3)]


def test_first_and_second_endings_under_a_rule():
    text = ("HH|:x-x-x-x-|x-x-x-x-:|\n\n  ___________________\n  |1.      |2.      |\n"
            "HH|x-x-----|x-x-x-x-|\n")
    result = parse(text)
    assert not errors(result) and len(result.score.events) == 22


# -- soft wraps, bar widths, triplets ----------------------------------------------------
def test_soft_wrapped_lines_are_joined():
    # quoted-printable mail wraps long lines with a trailing "="; no shared tab has one
    text = ("HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|x-x-x-=\nx-x-x-x-x-|\n"
            "SD|----o-------o---|----o-------o---|----o-=\n------o---|\n")
    result = parse(text)
    assert len(result.score.bars) == 3 and not result.findings
    got = sorted((e.line, e.column) for e in result.score.events if e.label == "SD")
    assert got == [(3, 8), (3, 16), (3, 25), (3, 33), (3, 42), (4, 7)]
    # a short line that ends in "=" ends in a rest: not joined to the count line under it
    short = parse("HH|x=x=x=x=x=x=x=x=|\n   1 + 2 + 3 + 4 +\n")
    assert len(short.score.events) == 8 and not errors(short)


def test_bars_of_other_widths_padding_and_triplets():
    mixed = parse("HH|x-x-x-x-x-x-x-x-|x-x-x-x-|\n")
    assert [str(b.meter) for b in mixed.score.bars] == ["4/4", "2/4"]
    padded = parse("C -x---------------|-x---x---x---x---|\n")
    assert sorted(e.beat for e in padded.score.events) == [0, 0, 1, 2, 3]
    for width, beat in ((12, F(1, 3)), (24, F(1, 6))):
        cells = "x--" * (width // 3)
        result = parse(f"HH|x-x-x-x-x-x-x-x-|{cells}|\n")
        assert result.score.bars[1].meter == Meter(4, 4)
        assert sorted(e.beat for e in result.score.events if e.bar == 1)[1] == 3 * beat
    sextuplets = parse("HH|x--x--x--x--x--x--|\n")
    assert sextuplets.score.bars[0].meter == Meter(3, 4)
    # sabbath_war_pigs.txt, lines 181-187: bars counted "1 +tl2tl+tl..." (5 cells, then 6)
    real = site("sabbath_war_pigs.txt")
    snare = [e.beat for e in on_line(real, 184)]
    assert snare[:2] == [F(2, 5), F(3, 5)] and F(1) + F(1, 6) in snare


# -- prose inside bars, mini-tabs, line ends and bytes -----------------------------------
def test_words_inside_a_bar_are_a_finding_not_hits():
    result = parse("H -----------------|-x-x-x-x-x-X-X-X-|\nS ------repeat-----|-----o----o--o---|\n")
    assert [e.label for e in result.score.events].count("S") == 3
    f = next(f for f in result.findings if f.code == "DT113")
    assert (f.line, f.column) == (2, 9) and "'repeat'" in f.message
    # ratm_killing_in_the_name.txt line 20; ratm_wake_up.txt: "roll" and "Fill for 6 Mesures"
    assert "DT113" in [f.code for f in site("ratm_killing_in_the_name.txt").findings
                       if f.line == 20]
    wake = site("ratm_wake_up.txt")
    assert {f.line for f in wake.findings if f.code == "DT113"} == {27, 30, 50}


def test_a_labelled_line_of_a_system_is_never_skipped_silently():
    result = parse("BD  1nnn---------------\nCC  roll roll roll roll\n")
    f = next(f for f in result.findings if f.code == "DT113")
    assert f.line == 2 and "'CC'" in f.message


def test_crlf_tabs_del_bytes_and_no_final_newline():
    text = "\x7f Song: x\r\nHH\t|x-x-x-x-|\r\nSD\t|--o---o-|"
    result = parse(text)
    assert len(result.score.events) == 6 and not result.findings
    # nirvana_lithium.txt has DEL bytes in its header; ratm_* are CRLF, wake_up has TABs
    for name in ("nirvana_lithium.txt", "ratm_wake_up.txt", "ratm_killing_in_the_name.txt"):
        assert site(name).score.events


# -- every written cell of the shared site tabs -------------------------------------------
# Cells no convention reads, each with the finding that names it.
KNOWN_UNREAD = {
    "soad_chop_suey_excerpt.txt": {(6, 5): "DT103"},          # "b" on the snare line
    "tool_parabola.txt": {(159, c): "DT103" for c in (13, 17, 19, 47, 51)},   # "s" on "C"
}


@pytest.mark.parametrize("name", sorted(p.name for p in SITE_TABS.iterdir()))
def test_site_tab_cells_read_as_their_hand_counted_family(name):
    doc = json.loads((HAND_COUNTS / f"{Path(name).stem}.json").read_text(encoding="utf-8"))
    result = site(name)
    read = defaultdict(set)
    for e in result.score.events:
        read[(e.line, e.column)].add(e.instrument.family)
    findings = {(f.line, f.column): f.code for f in result.findings}
    hand = Counter()
    missed = {}
    for line, _label, family, cols in doc["cells"]:
        for col in cols:
            hand[family] += 1
            if family not in read.get((line, col), ()):
                missed[(line, col)] = family
    assert {cell: findings.get(cell) for cell in missed} == KNOWN_UNREAD.get(name, {})
    for family, n in hand.items():
        assert sum(1 for f in missed.values() if f == family) <= max(1, MISS_SHARE * n)
    extra = [cell for cell in read if cell not in {(line, col) for line, _l, _f, cols in
                                                   doc["cells"] for col in cols}]
    assert extra == []
