"""The ASCII tab parser: systems, labels, legends and hits, read into a score."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from drumtabber.components import ParseHints, ParseResult
from drumtabber.findings import Finding
from drumtabber.score import Articulation, Instrument, Meter, Score

from . import vocab as V
from .grids import grid_from_count, grid_from_width
from .legend import _LEGEND_SYMBOL, Legend, _role_from_text, _role_name, read_legend
from .lines import (_BAR_DELIMS, STAFF_SYMBOL_SHARE, System, _staff_share, is_bracket,
                    is_count_line, is_string_tab, match_staff)
from .repeats import _REPEAT_NOTE, _REPEAT_TOKEN, _WORD_TIMES, _Repeats

_TEMPO = re.compile(r"(?i)(?:\bbpm\b|\btempo\b|\bspeed\b|\u2669|(?<![\w])[qj](?=\s*=))\s*[-:=~]*"
                    r"\s*~?\s*(\d{2,3}(?:\.\d+)?)|(\d{2,3}(?:\.\d+)?)\s*bpm\b")
_METER_LINE = re.compile(
    r"(?i)^\W*(?:time(?:\s*signature)?\s*[:=]?\s*|meter\s*[:=]?\s*)?(\d{1,2})\s*/\s*(\d{1,2})\W*$")
_HEADER_METER = re.compile(r"(?i)(?:time(?:\s*signature)?|meter)\s*[:=]?\s*(\d{1,2})\s*/\s*(\d{1,2})"
                           r"|\b(\d{1,2})\s*/\s*(\d{1,2})\s*(?:time|meter)\b")


@dataclass
class AsciiTabOptions:
    default_meter: str = "4/4"     # meter of bars when the file names none
    read_legend: bool = True       # let the file's legend redefine labels and symbols
    legend: str = ""               # extra legend lines ("G = china"), read after the file's
    meters: str = ""               # meter changes by written bar: "1=4/4, 9=7/8"


def parse_meter_changes(text: str) -> dict[int, Meter]:
    """``"1=4/4, 9=7/8"`` -> {1: 4/4, 9: 7/8}; ValueError names the bad entry."""
    out = {}
    for item in filter(None, (part.strip() for part in text.replace(";", ",").split(","))):
        bar, sep, meter = item.partition("=")
        try:
            out[int(bar)] = Meter.parse(meter)
        except ValueError:
            raise ValueError(f"meter change {item!r}: expected BAR=NUM/DEN such as 9=7/8") from None
    return out


# --------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------
class _Parse(_Repeats):
    """One reading of a tab.  ``legend_hints`` (label -> instrument words) are read as legend
    lines after the ``legend`` option; ``meter_hints`` (written bar -> meter) are meter changes
    over those of the ``meters`` option."""

    def __init__(self, text: str, path: str, options: AsciiTabOptions,
                 legend_hints: dict | None = None, meter_hints: dict | None = None):
        self.path = path
        self.options = options
        self.legend_hints = dict(legend_hints or {})
        self.lines = (text.expandtabs(8).replace("\u00a0", " ").replace("\u2502", "|")
                      .replace("\u2503", "|").split("\n"))
        self.findings: list[Finding] = []
        self.default_meter = Meter.parse(options.default_meter)
        self.meter_changes = parse_meter_changes(options.meters)
        self.meter_changes.update(meter_hints or {})

    def find(self, no: int, col: int, code: str, message: str):
        self.findings.append(Finding(self.path, no + 1, col + 1, code, message))

    # -- pass 1: systems ---------------------------------------------------------------
    def systems(self) -> tuple[list, dict, list]:
        lines = self.lines
        staffs = {}
        for no, text in enumerate(lines):
            if "|" in text:
                st = match_staff(text)
                if st is not None and not is_bracket(text):
                    st.no = no
                    staffs[no] = st
        systems, prose = [], []
        no = 0
        while no < len(lines):
            st = staffs.get(no)
            if st is None:
                prose.append(no)
                no += 1
                continue
            system = System([st])
            k = no - 1
            while k >= 0 and is_bracket(lines[k]) and (not systems or k > systems[-1].last_no):
                system.brackets.insert(0, (k, lines[k]))
                if prose and prose[-1] == k:
                    prose.pop()
                k -= 1
            no += 1
            labels = {st.label}
            chunk = 1                          # staff lines since the last blank line
            while no < len(lines) and (no in staffs or (
                    # web copies put a blank line between single staff lines of one system
                    chunk == 1 and not lines[no].strip() and no + 1 in staffs
                    and staffs[no + 1].bars == st.bars and staffs[no + 1].label not in labels
                    and no + 2 not in staffs)):
                if no not in staffs:
                    no, chunk = no + 1, 0
                    continue
                chunk += 1
                nxt = staffs[no]
                if nxt.label in labels:
                    self.find(no, 0, "DT109", f"label {nxt.label!r} appears twice in one "
                              "system; reading the second as the start of a new system")
                    break
                labels.add(nxt.label)
                system.staffs.append(nxt)
                no += 1
            if no < len(lines) and no not in staffs and is_count_line(lines[no], st):
                system.count, system.count_no = lines[no], no
                no += 1
            else:                              # some tabs put the count line above the staff
                above = st.no - 1 - len(system.brackets)
                if (above >= 0 and above not in staffs and prose and prose[-1] == above
                        and is_count_line(lines[above], st)):
                    system.count, system.count_no = lines[above], above
                    prose.pop()
            if is_string_tab(system):
                self.find(st.no, 0, "DT112", f"guitar or bass tab of {len(system.staffs)} "
                          "strings skipped (string labels, fret numbers)")
                continue
            systems.append(system)
        return systems, staffs, prose

    # -- labels ------------------------------------------------------------------------
    def resolve_labels(self, systems, legend: Legend) -> dict:
        roles, first_seen = {}, {}
        for system in systems:
            for st in system.staffs:
                if st.label in roles or st.label in first_seen:
                    continue
                first_seen[st.label] = st.no
                role = legend.labels.get(st.label)
                if role is None:
                    if st.label in V.AMBIGUOUS_LABELS:
                        options = V.AMBIGUOUS_LABELS[st.label]
                        role = options[0]
                        self.find(st.no, 0, "DT102", f"label {st.label!r} could mean "
                                  + " or ".join(_role_name(o) for o in options)
                                  + f"; read as {_role_name(role)} (add a legend line such as "
                                  f"'{st.label} = {_role_name(options[1])}' to choose)")
                    else:
                        role = V.LABELS.get(st.label)
                        if role is None:
                            for key, value in V.LABELS.items():
                                if len(key) > 1 and key.lower() == st.label.lower():
                                    role = value
                                    break
                        if role is None:
                            m = V.GM_LABEL.match(st.label)
                            role = Instrument.from_gm_note(int(m.group(1))) if m else None
                        if role is None and len(st.label) > 2:    # "Hi-Hat", "Crash 2", "Tom 1"
                            role = _role_from_text(st.label, st.label)
                if role is None:
                    self.find(st.no, 0, "DT101", f"unknown instrument label {st.label!r}; "
                              "add a legend line such as 'X = ride' or use a standard label "
                              "(HH, SD, BD, T1, FT, C, R, ...)")
                roles[st.label] = role
        return self._resolve_toms(roles, first_seen)

    @staticmethod
    def _resolve_toms(roles: dict, first_seen: dict) -> dict:
        order = {V.TOM_HIGH: 0, V.TOM_MID: 1, V.TOM_LOW: 2}
        racks = sorted((lab for lab, r in roles.items() if r in order),
                       key=lambda lab: (order[roles[lab]], first_seen[lab]))
        floors = sorted((lab for lab, r in roles.items() if r == V.TOM_FLOOR),
                        key=lambda lab: first_seen[lab])
        if not floors and len(racks) >= 3:          # T1 T2 T3 without FT: T3 is the floor tom
            floors = [racks.pop()]
        out = dict(roles)
        for labels, table in ((racks[:4], V.TOM_RACK_NOTES), (floors[:2], V.TOM_FLOOR_NOTES)):
            for lab, note in zip(labels, table.get(len(labels), ())):
                out[lab] = Instrument.from_gm_note(note)
        for lab in racks[4:] + floors[2:]:
            out[lab] = Instrument.TOM_LOW
        return out

    # -- symbols -----------------------------------------------------------------------
    def symbol_table(self, instrument: Instrument, legend: Legend) -> dict:
        kind = V.line_kind(instrument)
        table = {s: (inst or instrument, arts) for s, (inst, arts) in V.SYMBOLS[kind].items()}
        for (k, symbol), (inst, arts) in legend.symbols.items():
            if k == kind:
                table[symbol] = (inst or instrument, arts)
        return table

    # -- pass 2: bars and hits ---------------------------------------------------------
    def run(self) -> Score:
        systems, staffs, prose = self.systems()
        score = Score(source=self.path)
        legend = Legend()
        used = frozenset(ch for st in staffs.values() for a, b in st.bars
                         for ch in st.text[a:b] if ch not in V.REST_CHARS)
        if self.options.read_legend:
            legend, found = read_legend(self.lines, set(staffs), self.path, used)
            self.findings.extend(found)
        extras = [self.options.legend.split("\n")] if self.options.legend else []
        if self.legend_hints:       # read like a legend option of "G = china" lines
            extras.append([f"{label} = {words}" for label, words in self.legend_hints.items()])
        for extra_lines in extras:
            extra, found = read_legend(extra_lines, set(), self.path)
            legend.labels.update(extra.labels)
            legend.symbols.update(extra.symbols)
            legend.multi |= extra.multi
            self.findings.extend(found)
        self.read_prose(prose, systems, score)
        for no in prose:
            self.check_unread_staff(no)
        if not systems:
            self.find(0, 0, "DT002", "no drum tab found (no lines such as 'HH|x-x-x-x-|')")
            return score
        roles = self.resolve_labels(systems, legend)
        tables = {lab: self.symbol_table(r, legend) for lab, r in roles.items()
                  if isinstance(r, Instrument)}
        written = []          # [(Bar-like dict, hits, system)]
        first_bar_of_system = []
        for system in systems:
            first_bar_of_system.append(len(written) + 1)
            written.extend(self.read_system(system, roles, tables, legend, len(written), score))
        first_bar_of_system.append(len(written) + 1)
        for i, system in enumerate(systems):
            if system.section_repeat is None:
                continue
            j, times, no = system.section_repeat
            first, last = first_bar_of_system[i], first_bar_of_system[j + 1] - 1
            inside = written[first - 1:last]
            if any("repeat" in wb for wb in inside):
                self.find(no, 0, "DT107", f"section repeat ({times} times) holds repeats of its "
                          "own; nested repeats are not expanded: write the section out")
                continue
            for wb in inside:
                wb["repeat"] = (first, last, times)
        score.tempo_hints = [(first_bar_of_system[i], bpm) for i, bpm in score.tempo_hints]
        written = self.insert_section_replays(prose, systems, written, first_bar_of_system)
        self.expand_repeats(systems, written, score)
        return score

    def read_prose(self, prose: list, systems: list, score: Score) -> None:
        starts = [s.first_no for s in systems]
        ends = [s.last_no for s in systems]
        meter = None
        meter_from: dict[int, Meter] = {}
        for no in prose:
            text = self.lines[no]
            if not text.strip():
                continue
            m = _TEMPO.search(text)
            if m:
                bpm = float(m.group(1) or m.group(2))
                if score.tempo_hint_bpm is None:
                    score.tempo_hint_bpm = bpm
                nxt = next((i for i, s in enumerate(starts) if s > no), len(starts))
                score.tempo_hints.append((nxt, bpm))      # system index until bars are known
                self.find(no, m.start(), "DT111", f"tempo hint {bpm:g} BPM")
            m = _METER_LINE.match(text) or _HEADER_METER.search(text)
            if m:
                num, den = [g for g in m.groups() if g][:2]
                try:
                    meter = Meter.parse(f"{num}/{den}")
                except ValueError:
                    meter = None
                if meter is not None:
                    if score.meter_hint is None:
                        score.meter_hint = meter
                    nxt = next((i for i, s in enumerate(starts) if s > no), None)
                    if nxt is not None:
                        meter_from[nxt] = meter
                    self.find(no, m.start(), "DT111", f"meter hint {meter}")
            m = _REPEAT_NOTE.search(text.replace("\u00d7", "x"))
            if m and not _TEMPO.search(text) and not _METER_LINE.match(text):
                value = next(g for g in m.groups() if g)
                times = _WORD_TIMES.get(value.lower()) or int(value)
                self.attach_repeat_note(no, times, systems, starts, ends)
        current = None
        for i, system in enumerate(systems):
            current = meter_from.get(i, current)
            system.meter = current

    def check_unread_staff(self, no: int) -> None:
        """A prose line that looks like a drum staff (bars of hit symbols) gets a finding,
        so that no hit is lost without a word."""
        text = _REPEAT_TOKEN.sub("", self.lines[no])
        first, last = text.find("|"), text.rfind("|")
        if last - first <= 4 or _LEGEND_SYMBOL.match(text):
            return
        inner = text[first + 1:last]
        if _staff_share(inner) >= STAFF_SYMBOL_SHARE and re.search(r"[xXoO]", inner):
            self.find(no, first, "DT113", "this looks like a drum staff line but could not be "
                      "read (no instrument label before the first '|'?); its hits are not used")

    def read_system(self, system: System, roles, tables, legend: Legend, first_bar: int,
                    score: Score) -> list:
        ref = system.staffs[0]
        system_meter = system.meter or score.meter_hint or self.default_meter
        widths = Counter(e - s for s, e in ref.bars)
        top = max(widths.values())
        majority = max(w for w, n in widths.items() if n == top)     # ties: the full bar
        grids, meters = [], []
        for k, (s, e) in enumerate(ref.bars):
            changed = [b for b in self.meter_changes if b <= first_bar + k + 1]
            meter = self.meter_changes[max(changed)] if changed else system_meter
            meters.append(meter)
            grids.append(self.bar_grid(system, k, s, e, meter, majority))
        for st in system.staffs[1:]:
            if [b for b in st.bars] != ref.bars:
                self.find(st.no, 0, "DT104",
                          f"bar lines of {st.label!r} do not line up with those of "
                          f"{ref.label!r} (line {ref.no + 1}): bars at columns "
                          f"{[s + 1 for s, _ in st.bars]} vs {[s + 1 for s, _ in ref.bars]}, "
                          f"widths {[e - s for s, e in st.bars]} vs {[e - s for s, e in ref.bars]}")
        bars = []
        for k, (s, e) in enumerate(ref.bars):
            positions, beats = grids[k]
            bars.append({"written": first_bar + len(bars) + 1,
                         "meter": Meter(beats, meters[k].denominator),
                         "line": ref.no + 1, "column": s + 1, "hits": [],
                         "cells": tuple(p for p in positions if p is not None)})
        multi = legend.multi
        seen = {}
        for st in system.staffs:
            role = roles.get(st.label)
            if not isinstance(role, Instrument):
                continue
            table = tables[st.label]
            for k, (s, e) in enumerate(st.bars):
                if k >= len(bars):
                    hits = sum(1 for ch in st.text[s:e] if ch not in V.REST_CHARS)
                    self.find(st.no, s, "DT104", f"bar {k + 1} of {st.label!r} has no matching "
                              f"bar in {ref.label!r}; its {hits} hit(s) are not read")
                    continue
                positions, _ = grids[k]
                rs, re_ = ref.bars[k]
                width = e - s
                rwidth = re_ - rs
                c = s
                while c < e:
                    ch = st.text[c]
                    if ch in V.REST_CHARS:
                        c += 1
                        continue
                    symbol = st.text[c:c + 2] if st.text[c:c + 2] in multi else ch
                    entry = table.get(symbol)
                    # an open last bar that stops early keeps its columns; other odd widths
                    # are stretched onto the first line's bar
                    keep = width == rwidth or (st.open_last and k == len(st.bars) - 1
                                               and width < rwidth)
                    col = c - s if keep else (c - s) * rwidth // width
                    if entry is None:
                        self.find(st.no, c, "DT103", f"unknown symbol {symbol!r} on line "
                                  f"{st.label!r} ({_role_name(role)}); known here: "
                                  f"{''.join(sorted(table))}")
                    elif (symbol == "#" and "#" not in legend.strikes and c > s
                          and st.text[c - 1] not in V.REST_CHARS
                          and bars[k]["hits"] and bars[k]["hits"][-1][4] == c
                          and bars[k]["hits"][-1][3] == st.no + 1):
                        # "x#": the cymbal hit just before is choked, not hit again
                        hit = bars[k]["hits"][-1]
                        bars[k]["hits"][-1] = (hit[0], hit[1], hit[2] | {Articulation.CHOKE},
                                               *hit[3:])
                    else:
                        beat = positions[col] if col < len(positions) else None
                        if beat is None:
                            self.find(st.no, c, "DT105", f"hit {symbol!r} falls outside the "
                                      "counted beats of its bar; placed on the downbeat")
                            beat = Fraction(0)
                        instrument, arts = entry
                        key = (k, col, instrument)          # one cell of the bar
                        if key in seen and seen[key] != symbol:
                            self.find(st.no, c, "DT106", f"{instrument.value} written twice in "
                                      f"one cell ({seen[key]!r} and {symbol!r})")
                        seen[key] = symbol
                        bars[k]["hits"].append((beat, instrument, arts, st.no + 1, c + 1, st.label))
                    c += len(symbol)
        self.find_repeats(system, bars)
        return bars

    def bar_grid(self, system: System, k: int, s: int, e: int, meter: Meter, majority: int):
        ref = system.staffs[0]
        if system.count is not None:
            rest = system.count[e + 1:]
            if k == len(ref.bars) - 1 and _REPEAT_TOKEN.fullmatch(rest.strip()):
                system.repeat_times = max(system.repeat_times, int(
                    _REPEAT_TOKEN.fullmatch(rest.strip()).group(1)
                    or _REPEAT_TOKEN.fullmatch(rest.strip()).group(2)))
            elif k == len(ref.bars) - 1 and any(ch.isdigit() for ch in rest):
                self.find(system.count_no, e + 1, "DT105", "count line runs on past the last "
                          f"bar line of {ref.label!r}: it does not line up with the bars")
            count = system.count[s:e].ljust(e - s)
            delims = [i for i, ch in enumerate(count) if ch in _BAR_DELIMS]
            edge = system.count[s - 1:s] if s else ""
            if delims or (edge.strip() and edge not in _BAR_DELIMS):
                self.find(system.count_no, s + (delims[0] if delims else -1), "DT105",
                          f"count line bar lines do not line up with bar {k + 1} of "
                          f"{ref.label!r}")
            if count.strip(" -."):
                clean = "".join(" " if ch in _BAR_DELIMS else ch for ch in count)
                positions, beats, problem = grid_from_count(clean, meter.denominator)
                if meter.denominator == 8 and meter.numerator == 3 * beats != 3:
                    # 6/8, 9/8, 12/8 counted in dotted quarters ("1 & a 2 & a")
                    positions = tuple(p * 3 if p is not None else None for p in positions)
                    beats = meter.numerator
                if problem:
                    self.find(system.count_no, s, "DT105", f"count of bar {k + 1}: {problem}")
                return positions, beats
        positions, beats, guess = grid_from_width(e - s, meter.numerator, majority)
        if guess:
            self.find(ref.no, s, "DT108", guess + " (add a count line or a meter such as "
                      "'Time: 3/4' to confirm)")
        return positions, beats


def _read(text: str, path: str, options: AsciiTabOptions, legend_hints: dict,
          meter_hints: dict) -> ParseResult:
    parse = _Parse(text, path, options, legend_hints, meter_hints)
    score = parse.run()
    parse.findings.sort(key=lambda f: (f.line, f.column, f.code))
    return ParseResult(score, parse.findings)


def parse_tab(text: str, *, path: str | Path = "<tab>", options: AsciiTabOptions | None = None,
              hints: ParseHints | None = None) -> ParseResult:
    """Parse ASCII drum tab text into a :class:`~drumtabber.score.Score` and findings.

    ``hints`` (an alignment file's :class:`~drumtabber.components.ParseHints`) add to the
    options: each ``hints.legend`` entry is read as a legend line ``"G = china"`` after the
    file's legend and the ``legend`` option.  ``hints.meters`` count bars in playing order,
    the ``meters`` option in written bars: the tab is read once without them, each hinted
    bar is looked up there (``Bar.written_bar``) and the tab is read again with the meter
    starting at that written bar (over the option's change there, if any).  A hinted bar
    past the end of the tab is ignored.
    """
    options = options or AsciiTabOptions()
    legend_hints = dict(hints.legend) if hints is not None else {}
    result = _read(text, str(path), options, legend_hints, {})
    if hints is not None and hints.meters:
        bars = result.score.bars
        changes = {bars[bar - 1].written_bar: meter for bar, meter in hints.meters.items()
                   if 1 <= bar <= len(bars)}
        if changes:
            result = _read(text, str(path), options, legend_hints, changes)
    return result
