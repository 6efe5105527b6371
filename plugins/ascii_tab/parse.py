"""The ASCII tab parser: systems, labels, legends and hits, read into a score."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from drumtabber.components import ParseHints, ParseResult
from drumtabber.findings import Finding
from drumtabber.score import Instrument, Meter, Score

from . import vocab as V
from .bars import _Bars
from .legend import _LEGEND_SYMBOL, Legend, _role_from_text, _role_name, read_legend
from .lines import (_BARE, STAFF_SYMBOL_SHARE, System, _staff_share, is_bracket, is_count_line,
                    is_string_tab, match_bare_staff, match_staff)
from .prepare import prepare_text
from .repeats import _REPEAT_NOTE, _REPEAT_TOKEN, _WORD_TIMES, _Repeats, read_count

_TEMPO = re.compile(r"(?i)(?:\bbpm\b|\btempo\b|\bspeed\b|\u2669|(?<![\w])[qj](?=\s*=))\s*+[-:=~]*+"
                    r"\s*+~?\s*+(\d{2,3}(?:\.\d+)?)|(\d{2,3}(?:\.\d+)?)\s*bpm\b")
_METER_LINE = re.compile(
    r"(?i)^\W*(?:time(?:\s*+signature)?\s*+[:=]?\s*+|meter\s*+[:=]?\s*+)?"
    r"(\d{1,2})\s*+/\s*+(\d{1,2})\W*$")
_HEADER_METER = re.compile(r"(?i)(?:time(?:\s*+signature)?|timing(?:\s++is)?|meter)\s*+[:=]?\s*+"
                           r"(\d{1,2})\s*/\s*(\d{1,2})"
                           r"|\b(\d{1,2})\s*/\s*(\d{1,2})\s*(?:time|meter)\b")
# A line of meters written over the bars they start ("  4/4          6/4",
# site-tabs/tool_parabola.txt).
_METER_ROW = re.compile(r"^\s*\d{1,2}/\d{1,2}(?:\s+\d{1,2}/\d{1,2})*\s*$")
_METER_TOKEN = re.compile(r"(\d{1,2})/(\d{1,2})")
# Labels known before the legend is read, for lines written without bar lines.
_BARE_LABELS = frozenset(V.LABELS) | {k.upper() for k in V.LABELS if len(k) > 1}
# A label of one letter (and a number: "c1", "c2"), whose letter can be the line's hit
# symbol (site-tabs/ratm_take_the_power_back.txt: "b|b-b---", "s|----s---", "c1|----ccc-").
_OWN_LETTER = re.compile(r"^[A-Za-z]\d?$")
# Instruments that make a lone "F" line surely the floor tom: a foot hi-hat line beside it.
FOOT_HIHAT_ROLES = {Instrument.HIHAT_PEDAL}
# Roles of tom lines: beside one, a "T" line is a tom, not a tambourine.
TOM_ROLES = {V.TOM_HIGH, V.TOM_MID, V.TOM_LOW, V.TOM_FLOOR}


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
class _Parse(_Bars, _Repeats):
    """One reading of a tab.  ``legend_hints`` (label -> instrument words) are read as legend
    lines after the ``legend`` option; ``meter_hints`` (written bar -> meter) are meter changes
    over those of the ``meters`` option."""

    def __init__(self, text: str, path: str, options: AsciiTabOptions,
                 legend_hints: dict | None = None, meter_hints: dict | None = None):
        self.path = path
        self.options = options
        self.legend_hints = dict(legend_hints or {})
        self.source = prepare_text(text)
        self.lines = self.source.lines
        self.findings: list[Finding] = []
        self.default_meter = Meter.parse(options.default_meter)
        self.meter_changes = parse_meter_changes(options.meters)
        self.meter_changes.update(meter_hints or {})
        self._spans, self._span_at, self._cut = 0, {}, set()    # repeats (see .repeats)
        self._said: set = set()            # (line, symbol) of findings made once a line

    def find(self, no: int, col: int, code: str, message: str):
        line, column = self.source.position(no, col)
        self.findings.append(Finding(self.path, line, column, code, message))

    # -- pass 1: systems ---------------------------------------------------------------
    def staff_lines(self) -> dict:
        staffs, bare = {}, []
        for no, text in enumerate(self.lines):
            if "|" in text:
                st = match_staff(text)
                if st is None or is_bracket(text):
                    continue
            elif text[:1].isalpha() or text.lstrip()[:1].isalpha():
                st = match_bare_staff(text, _BARE_LABELS)
                if st is None:
                    continue
                bare.append(no)
            else:
                continue
            st.no = no
            staffs[no] = st
        for no in bare:                # a line without bar lines counts beside another only
            start = staffs[no].bars[0][0]
            if not any(k in staffs or self._labelled(k, start) for k in (no - 1, no + 1)):
                del staffs[no]
        return staffs

    def _labelled(self, no: int, start: int) -> bool:
        """Whether line ``no`` is a known label, spaces, then text from column ``start`` (where
        the bars of the staff beside it start): a line of that system."""
        m = _BARE.match(self.lines[no]) if 0 <= no < len(self.lines) else None
        return bool(m and m.group(2) in _BARE_LABELS and m.end() == start
                    and ":" not in m.group(3))

    def systems(self) -> tuple[list, dict, list]:
        lines = self.lines
        staffs = self.staff_lines()
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
        self.attach_stacked_meters(systems)
        return systems, staffs, prose

    def attach_stacked_meters(self, systems: list) -> None:
        """A time signature written vertically beside a system (`` 6 ``/``---``/`` 8 ``)
        starts at the bar it stands before and holds to the end of that system."""
        for stack in self.source.meters:
            for system in systems:
                nos = {st.no for st in system.staffs}
                if not nos & set(stack.rows):
                    continue
                ref = system.staffs[0]
                k = next((k for k, (s, e) in enumerate(ref.bars) if e > stack.column), None)
                if k is not None:
                    system.bar_meters[k] = stack.meter
                    self.find(stack.no, stack.column, "DT111", f"meter {stack.meter} written "
                              f"stacked beside bar {k + 1} of the system at line "
                              f"{self.source.position(ref.no, 0)[0]}: read for that bar and "
                              "the rest of its system")
                break

    # -- labels ------------------------------------------------------------------------
    def resolve_labels(self, systems, legend: Legend) -> dict:
        roles, first_seen = {}, {}
        labels = {st.label for system in systems for st in system.staffs}
        plain = [legend.labels.get(lab, V.LABELS.get(lab)) for lab in labels
                 if lab not in V.AMBIGUOUS_LABELS]
        sure = set()                 # readings made sure by the other lines of the tab
        if any(role in FOOT_HIHAT_ROLES for role in plain):
            sure.add(V.TOM_FLOOR)    # F beside a foot hi-hat line: the floor tom
        if any(role in TOM_ROLES for role in plain):
            sure.add(V.TOM_HIGH)     # T beside other toms: a tom
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
                        if role not in sure:
                            self.find(st.no, 0, "DT102", f"label {st.label!r} could mean "
                                      + " or ".join(_role_name(o) for o in options)
                                      + f"; read as {_role_name(role)} (add a legend line such "
                                      f"as '{st.label} = {_role_name(options[1])}' to choose)")
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

        def twin(lab):          # "t" and "T", "f" and "F": the small letter is the smaller drum
            return 0 if lab.islower() and lab.upper() in roles else 1
        racks = sorted((lab for lab, r in roles.items() if r in order),
                       key=lambda lab: (order[roles[lab]], twin(lab), first_seen[lab]))
        floors = sorted((lab for lab, r in roles.items() if r == V.TOM_FLOOR),
                        key=lambda lab: (twin(lab), first_seen[lab]))
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
    def symbol_table(self, instrument: Instrument, legend: Legend, label: str = "") -> dict:
        """The symbols of a line: its kind's table, the legend's, and the letter of a
        one-letter label as a plain hit ("b-b---b-" on a "b" line, "c" on "c1") where
        neither gives that letter."""
        kind = V.line_kind(instrument)
        table = {s: (inst or instrument, arts) for s, (inst, arts) in V.SYMBOLS[kind].items()
                 if inst not in V.FAMILY_ONLY or inst.family == instrument.family}
        for (k, symbol), (inst, arts) in legend.symbols.items():
            if k == kind:
                table[symbol] = (inst or instrument, arts)
        letter = label[:1]
        if _OWN_LETTER.match(label):
            for own, arts in ((letter.lower(), V.PLAIN), (letter.upper(), V.ACC)):
                table.setdefault(own, (instrument, arts))
        return table

    def letter_roles(self, systems, roles: dict) -> dict:
        """In a tab whose lines use their own letter as the hit ("s" on the "s" line), the
        one-letter labels: a line's symbol that is another line's letter names that drum."""
        own = False
        for system in systems:
            for st in system.staffs:
                role, letter = roles.get(st.label), st.label[:1]
                if (_OWN_LETTER.match(st.label) and isinstance(role, Instrument)
                        and letter not in V.SYMBOLS[V.line_kind(role)]
                        and letter in st.text[st.bars[0][0]:st.bars[-1][1]]):
                    own = True
                    break
        return {lab: r for lab, r in roles.items()
                if own and len(lab) == 1 and isinstance(r, Instrument)}

    # -- pass 2: bars and hits ---------------------------------------------------------
    def run(self) -> Score:
        systems, staffs, prose = self.systems()
        score = Score(source=self.path)
        legend = Legend()
        chars: set = set()
        for st in staffs.values():
            chars.update(st.text[st.bars[0][0]:st.bars[-1][1]])
        used = frozenset(chars - set(V.REST_CHARS) - {"|"})
        if self.options.read_legend:
            legend, found = read_legend(self.lines, set(staffs), self.path, used,
                                        frozenset(st.label for st in staffs.values()))
            self.findings.extend(self._moved(found))
        extras = [self.options.legend.split("\n")] if self.options.legend else []
        if self.legend_hints:       # read like a legend option of "G = china" lines
            extras.append([f"{label} = {words}" for label, words in self.legend_hints.items()])
        for extra_lines in extras:
            extra, found = read_legend(extra_lines, set(), self.path)
            legend.labels.update(extra.labels)
            legend.symbols.update(extra.symbols)
            legend.multi |= extra.multi
            self.findings.extend(found)
        self.find_repeat_convention(prose)
        self.read_prose(prose, systems, score)
        for no in prose:
            self.check_unread_staff(no, staffs)
        if not systems:
            self.find(0, 0, "DT002", "no drum tab found (no lines such as 'HH|x-x-x-x-|')")
            return score
        roles = self.resolve_labels(systems, legend)
        tables = {lab: self.symbol_table(r, legend, lab) for lab, r in roles.items()
                  if isinstance(r, Instrument)}
        self.letters = self.letter_roles(systems, roles)
        written = []          # [(Bar-like dict, hits, system)]
        first_bar_of_system = []
        for system in systems:
            first_bar_of_system.append(len(written) + 1)
            written.extend(self.read_system(system, roles, tables, legend, len(written), score))
        first_bar_of_system.append(len(written) + 1)
        for i, system in enumerate(systems):
            if system.section_repeat is None:
                continue
            j, times, no, col = system.section_repeat
            first, last = first_bar_of_system[i], first_bar_of_system[j + 1] - 1
            inside = written[first - 1:last]
            if any(wb.get("repeats") for wb in inside):
                self.find(no, 0, "DT107", f"section repeat ({times} times) holds repeats of its "
                          "own; nested repeats are not expanded: write the section out")
                continue
            span = self._span(first, last, times, no, col)
            for wb in inside:
                self._add_span(wb, span)
        score.tempo_hints = [(first_bar_of_system[i], bpm) for i, bpm in score.tempo_hints]
        written = self.insert_section_replays(prose, systems, written, first_bar_of_system)
        self.expand_repeats(systems, written, score)
        return score

    def _moved(self, findings: list) -> list:
        """Findings made on logical lines, placed on the file's own lines and columns."""
        if not self.source.wraps and len(self.source.origin) == len(self.lines):
            return findings
        out = []
        for f in findings:
            line, column = self.source.position(f.line - 1, f.column - 1)
            out.append(Finding(f.path, line, column, f.code, f.message))
        return out

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
            if _METER_ROW.match(text) and self.read_meter_row(no, text, systems, starts,
                                                              meter_from, score):
                continue
            m = _METER_LINE.match(text) or _HEADER_METER.search(text)
            if m:
                num, den = [g for g in m.groups() if g][:2]
                try:
                    meter = Meter.parse(f"{num}/{den}")
                except ValueError:
                    first = next(k for k, g in enumerate(m.groups(), 1) if g)
                    meter = self.bad_meter(no, m.start(first), f"{num}/{den}")
                if meter is not None:
                    if score.meter_hint is None:
                        score.meter_hint = meter
                    nxt = next((i for i, s in enumerate(starts) if s > no), None)
                    if nxt is not None:
                        meter_from[nxt] = meter
                    self.find(no, m.start(), "DT111", f"meter hint {meter}")
            m = _REPEAT_NOTE.search(text.replace("\u00d7", "x"))
            if (m and not _TEMPO.search(text) and not _METER_LINE.match(text)
                    and no not in self.convention_lines):
                group = next(k for k, g in enumerate(m.groups(), 1) if g)
                value = m.group(group)
                times = _WORD_TIMES.get(value.lower()) or read_count(value)
                times = self.capped(times, no, m.start(group), m.group())
                times = self.plays(times, no, m.start(), m.group())
                self.attach_repeat_note(no, times, systems, starts, ends, m.start(group))
        current = None
        for i, system in enumerate(systems):
            current = meter_from.get(i, current)
            system.meter = current

    def read_meter_row(self, no, text, systems, starts, meter_from, score) -> bool:
        """Meters written over the bars they start ("  4/4        6/4"): one over the
        first bar holds from there on, one over a later bar from that bar, and the last goes
        on past the system.  False when the line is not over a system."""
        nxt = next((i for i, s in enumerate(starts) if s > no), None)
        if nxt is None or starts[nxt] - no > 2:
            return False
        ref = systems[nxt].staffs[0]
        ends = [e for _, e in ref.bars]
        for m in _METER_TOKEN.finditer(text):
            try:
                meter = Meter.parse(m.group())
            except ValueError:
                self.bad_meter(no, m.start(), m.group())
                continue
            k = bisect_right(ends, m.start())          # the first bar that ends past it
            if k == len(ends):
                continue
            if k == 0:
                meter_from[nxt] = meter
            else:
                systems[nxt].bar_meters[k] = meter
                meter_from[nxt + 1] = meter
            if score.meter_hint is None:
                score.meter_hint = meter
            self.find(no, m.start(), "DT111", f"meter hint {meter}"
                      + (f" from bar {k + 1} of the system below" if k else ""))
        return True

    def bad_meter(self, no: int, col: int, text: str) -> None:
        """A meter hint that is no meter ("Time: 7/0") is ignored, with a finding."""
        self.find(no, col, "DT108", f"meter hint {text} is not a meter (beats 1 or more, a "
                  "beat note of 1, 2, 4, 8, 16 or 32): ignored, the bars' meter is guessed")

    def check_unread_staff(self, no: int, staffs: dict) -> None:
        """A prose line that looks like a drum staff (bars of hit symbols), or that starts
        with an instrument label inside a system, gets a finding, so that no hit and no
        line of a drum system is lost without a word."""
        text = self.lines[no]
        beside = staffs.get(no - 1) or staffs.get(no + 1)
        if beside is not None and "|" not in text and self._labelled(no, beside.bars[0][0]):
            m = _BARE.match(text)
            self.find(no, m.start(2), "DT113", f"line {m.group(2)!r} of the system could not "
                      f"be read: {text[m.end():].strip()[:40]!r} holds no cells; none of it "
                      "is used")
            return
        text = _REPEAT_TOKEN.sub("", text)
        first, last = text.find("|"), text.rfind("|")
        if last - first <= 4 or _LEGEND_SYMBOL.match(text):
            return
        inner = text[first + 1:last]
        if _staff_share(inner) >= STAFF_SYMBOL_SHARE and re.search(r"[xXoO]", inner):
            self.find(no, first, "DT113", "this looks like a drum staff line but could not be "
                      "read (no instrument label before the first '|'?); its hits are not used")


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
