"""ASCII drum tabs: the generic parser (asked last) and the tab writer.

Reads the tabs people post on the web: systems of labelled lines (``HH|x-x-|``) between prose,
legends, section headers and lyrics; count lines (``1e+a2e+a``, ``1 e & a``) with the seed
project's triplet pairs (``tq`` ``te`` ``ts``); repeat brackets and repeat notes; tempo and
meter headers.  Where the tab is ambiguous the most likely reading is taken and a finding
says so; no hit is dropped without a finding.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from math import gcd
from pathlib import Path

from drumtabber.components import ParseResult
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Articulation, Bar, Event, Instrument, Meter, Score, velocity_for

from . import _ascii_vocab as V

NAME = "ascii"

# Share of a staff line's bar characters that must be rests or known hit symbols for the
# line to count as a staff (prose with '|' in it falls far below this).
STAFF_SYMBOL_SHARE = 0.6
# Longest label accepted in front of a staff line ("Snare", "China").
MAX_LABEL_LEN = 20
# Lines between a prose repeat note and the system it belongs to.
REPEAT_NOTE_REACH = 2

_STAFF_CHARS = set(V.REST_CHARS) | set("xXoOgGfFdDrRbB#@sScwW+*")
_COUNT_CHARS = set("0123456789e+&atqs .-|()[]iplndu")
_BAR_DELIMS = "|()[]"
_LABEL_RE = re.compile(r"^[A-Za-z0-9#&](?:[A-Za-z0-9#&.()'/+-]| (?! )){0,%d}$" % (MAX_LABEL_LEN - 1))
_REPEAT_TOKEN = re.compile(r"(?i)(?<![a-z0-9])(?:x\s?(\d{1,3})|(\d{1,3})\s?x)(?![a-z0-9])")
_REPEAT_NOTE = re.compile(
    r"(?i)\b(?:repeat(?:ed)?|play(?:ed)?)\s*(?:x\s*(\d+)|(\d+)\s*(?:x|times)\b)"
    r"|^\W*(?:x\s?(\d+)|(\d+)\s?x)\W*$"
    r"|^[^|]{0,40}?(?:^|[\s(\[-])(?:x\s?(\d+)|(\d+)\s?x|(\d+)\s*times)\b[^|]{0,20}$"
    r"|^[^|]{0,40}?\b(twice|thrice)\b[^|]{0,20}$")   # "Intro x2", "Verse (4x)", "play twice"
_WORD_TIMES = {"twice": 2, "thrice": 3}
_SECTION_WORD = (r"(intro|verse|pre-?chorus|chorus|bridge|outro|solo|breakdown|interlude|"
                 r"groove|riff|ending|coda|refrain)")
_HEADER = re.compile(rf"(?i)^\W*{_SECTION_WORD}\b[^|=]{{0,30}}$")
_REFERENCE = re.compile(
    rf"(?i)^\W*(?:repeat|play|back\s+to|same\s+as|go\s+to)\s+(?:the\s+)?(?:first\s+)?{_SECTION_WORD}\b"
    rf"|^\W*{_SECTION_WORD}\b[^|]{{0,20}}?\b(?:again|as\s+before|same\s+as\s+before)\b")
_BRACKET_BODY = re.compile(r"^[|\-=_ ]*(?:(?:x\s?\d{1,3}|\d{1,3}\s?x)[|\-=_ ]*)+$", re.I)
_TEMPO = re.compile(r"(?i)(?:\bbpm\b|\btempo\b|\bspeed\b|\u2669|(?<![\w])[qj](?=\s*=))\s*[-:=~]*"
                    r"\s*~?\s*(\d{2,3}(?:\.\d+)?)|(\d{2,3}(?:\.\d+)?)\s*bpm\b")
_METER_LINE = re.compile(
    r"(?i)^\W*(?:time(?:\s*signature)?\s*[:=]?\s*|meter\s*[:=]?\s*)?(\d{1,2})\s*/\s*(\d{1,2})\W*$")
_HEADER_METER = re.compile(r"(?i)(?:time(?:\s*signature)?|meter)\s*[:=]?\s*(\d{1,2})\s*/\s*(\d{1,2})"
                           r"|\b(\d{1,2})\s*/\s*(\d{1,2})\s*(?:time|meter)\b")
_LEGEND_SYMBOL = re.compile(r"^\s*\|?-(\S{1,2}?)-\|?\s*[:=]\s*(.+)$")
_LEGEND_KEY = re.compile(r"^\s*([A-Za-z0-9#@+*]{1,5}(?:\s*,\s*[A-Za-z0-9#@+*]{1,5})*)\s*[=:]\s*(.+)$")
_LEGEND_SECTION = re.compile(r"(?i)^\s*(cymbals?|drums?|percussion|hi-?hats?)\s*:?\s*$")
_TRIPLET_QUARTERS = {"q": Fraction(2, 3), "e": Fraction(1, 3), "s": Fraction(1, 6)}


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
# Legend
# --------------------------------------------------------------------------------------
@dataclass
class Legend:
    labels: dict = field(default_factory=dict)       # label -> role
    symbols: dict = field(default_factory=dict)      # (kind, symbol) -> (instrument|None, arts)
    multi: set = field(default_factory=set)          # symbols of two characters
    strikes: set = field(default_factory=set)        # symbols the legend calls a hit/strike


_GM_IN_TEXT = re.compile(r"(?i)\bGM\s*#?\s*(3[5-9]|[4-7]\d|8[01])\b")


def _role_from_text(text: str, label: str):
    m = _GM_IN_TEXT.search(text)
    if m:
        return Instrument.from_gm_note(int(m.group(1)))
    for pattern, role in V.INSTRUMENT_WORDS:
        if pattern.search(text):
            if role == "tom":
                for rank_pattern, rank in V.TOM_RANK_WORDS:
                    if rank_pattern.search(text):
                        return rank
                default = V.LABELS.get(label)
                return default if isinstance(default, str) else V.TOM_HIGH
            default = V.LABELS.get(label)
            # Keep numbered crashes/rides apart: "C2 = right crash" stays the second crash.
            if role == Instrument.CRASH and default in (Instrument.CRASH, Instrument.CRASH2):
                return default
            if role == Instrument.RIDE and default in (Instrument.RIDE, Instrument.RIDE2):
                return default
            if role == Instrument.HIHAT_CLOSED and re.search(r"(?i)\bopen", text):
                return Instrument.HIHAT_OPEN
            if role == Instrument.HIHAT_CLOSED and re.search(r"(?i)pedal|foot", text):
                return Instrument.HIHAT_PEDAL
            if role in (Instrument.CRASH, Instrument.RIDE) and re.search(r"[2-9]", label):
                return Instrument.CRASH2 if role == Instrument.CRASH else Instrument.RIDE2
            return role
    return None


def _meaning(text: str):
    """Articulations and hi-hat flags named in one legend clause, or None if none."""
    arts, flags = set(), set()
    for pattern, meaning in V.ARTICULATION_WORDS:
        if pattern.search(text):
            (arts if isinstance(meaning, Articulation) else flags).add(meaning)
    if not arts and not flags:
        return (frozenset(), frozenset()) if re.search(r"(?i)\bhit|normal|strike", text) else None
    return frozenset(arts), frozenset(flags)


def _symbol_entry(kind: str, arts: frozenset, flags: frozenset):
    instrument = None
    if kind in ("hihat", "hihat_pedal"):
        if "open" in flags or Articulation.HALF_OPEN in arts:
            instrument = Instrument.HIHAT_OPEN
        elif "pedal" in flags:
            instrument = Instrument.HIHAT_PEDAL
    if kind == "ride" and Articulation.BELL in arts:
        instrument = Instrument.RIDE_BELL
    return instrument, arts


_SECTION_KINDS = {"cymbal": ("hihat", "hihat_pedal", "cymbal", "ride"), "drum": ("drum", "kick"),
                  "percussion": ("drum",), "hihat": ("hihat", "hihat_pedal")}
_ALL_KINDS = tuple(V.SYMBOLS)


# Instruments a symbol's legend entry can name ("x = cross stick", "o = open hi-hat"): the
# symbol then means that way of playing on lines of that instrument's kind.
_PLAYED_AS = {Instrument.SIDE_STICK, Instrument.HIHAT_OPEN, Instrument.HIHAT_CLOSED,
              Instrument.HIHAT_PEDAL, Instrument.RIDE_BELL}


def read_legend(lines: list[str], staff_lines: set[int], path: str,
                used_symbols: frozenset = frozenset()) -> tuple[Legend, list]:
    legend, findings, section = Legend(), [], None
    for no, line in enumerate(lines):
        if no in staff_lines or not line.strip():
            continue
        m = _LEGEND_SECTION.match(line)
        if m:
            word = m.group(1).lower()
            section = ("cymbal" if word.startswith("cymbal") else "hihat" if "hat" in word
                       else "percussion" if word.startswith("perc") else "drum")
            continue
        for entry in _legend_entries(line):
            _read_legend_entry(entry, no, legend, findings, section, path, used_symbols)
    return legend, findings


def _legend_entries(line: str) -> list[str]:
    """One legend line may hold several entries: "x = closed hi-hat, o = open hi-hat"."""
    if line.count("=") + line.count(":") < 2:
        return [line]
    return [part for part in _LEGEND_SPLIT.split(line) if part.strip()]


_LEGEND_SPLIT = re.compile(r"(?:[,;]\s*|\s{2,})(?=[A-Za-z0-9#@+*()]{1,3}\s*[=:])")


def _read_legend_entry(line: str, no: int, legend: Legend, findings: list, section, path,
                       used_symbols: frozenset = frozenset()):
    m = _LEGEND_SYMBOL.match(line)
    key_is_symbol = bool(m)
    if not m:
        m = _LEGEND_KEY.match(line)
        if not m:
            return
    keys = [k.strip() for k in m.group(1).split(",")]
    desc = m.group(2).strip()
    if not key_is_symbol:
        descs = [d.strip() for d in desc.split(",")] if len(keys) > 1 else [desc]
        if len(descs) != len(keys):
            descs = [desc] * len(keys)
        roles = [_role_from_text(d, k) for k, d in zip(keys, descs)]
        meaning = _meaning(desc)
        played = roles[0] if len(keys) == 1 and roles[0] in _PLAYED_AS else None
        if len(keys) == 1 and keys[0] in used_symbols and (meaning is not None or played):
            _read_symbol_entry(keys[0], desc, no, legend, findings, section, path, played)
            return
        is_label = all(r is not None for r in roles) and (
            meaning is None or any(k in V.LABELS for k in keys) or not all(
                k.islower() or len(k) == 1 for k in keys))
        if is_label and not (len(keys) == 1 and keys[0].islower() and meaning):
            for key, role in zip(keys, roles):
                legend.labels[key] = role
            return
        if len(keys) != 1 or len(keys[0]) > 2 or meaning is None:
            return
    _read_symbol_entry(keys[0], desc, no, legend, findings, section, path, None)


def _read_symbol_entry(symbol: str, desc: str, no: int, legend: Legend, findings: list, section,
                       path, played):
    if played is not None:                  # "x = cross stick": on lines of that kind only
        meaning = _meaning(desc) or (frozenset(), frozenset())
        kinds = ("hihat", "hihat_pedal") if played.family == "hihat" else (V.line_kind(played),)
        for kind in kinds:
            legend.symbols[(kind, symbol)] = (played, meaning[0])
        if len(symbol) == 2:
            legend.multi.add(symbol)
        return
    if re.search(r"(?i)\bstrike|\bhit", desc):
        legend.strikes.add(symbol)
    clauses = [c for c in re.split(r";", desc) if c.strip()]
    general = _meaning(clauses[0]) if clauses else None
    kinds = _SECTION_KINDS.get(section, _ALL_KINDS)
    understood = False
    if general is not None and not (V.HIHAT_SCOPE.match(clauses[0]) or V.KICK_SCOPE.match(clauses[0])):
        for kind in kinds:
            legend.symbols[(kind, symbol)] = _symbol_entry(kind, *general)
        understood = True
    for clause in clauses:
        scoped = (("hihat", "hihat_pedal") if V.HIHAT_SCOPE.match(clause)
                  else ("kick",) if V.KICK_SCOPE.match(clause) else None)
        if scoped is None:
            continue
        meaning = _meaning(V.KICK_SCOPE.sub("", V.HIHAT_SCOPE.sub("", clause)))
        if meaning is None or meaning == (frozenset(), frozenset()):
            continue
        for kind in scoped:
            legend.symbols[(kind, symbol)] = _symbol_entry(kind, *meaning)
        understood = True
    if understood and len(symbol) == 2:
        legend.multi.add(symbol)
    if not understood:
        findings.append(Finding(path, no + 1, 1, "DT110",
                                f"legend entry for symbol {symbol!r} not understood: {desc!r}"))


# --------------------------------------------------------------------------------------
# Count lines and bar grids
# --------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def grid_from_count(count: str, denominator: int):
    """Column -> beat offset for one bar's count text.

    Returns ``(positions, n_beats, problem)``: ``positions[c]`` is the beat offset of
    column ``c`` (None for padding before the first beat number), ``n_beats`` the bar length
    in beats, ``problem`` a message when the count is inconsistent, else "".
    A beat segment with ``tq``/``te``/``ts`` pairs follows the seed project: plain cells are
    sixteenth notes and a cell followed by a pair starts three triplet cells; a segment
    without pairs divides its beat equally among its columns (``1e+a``, ``1 e & a ``, ``1&a``).
    """
    width = len(count)
    starts = [m.start() for m in re.finditer(r"\d+", count)]
    numbers = [int(m.group()) for m in re.finditer(r"\d+", count)]
    positions: list = [None] * width
    quarter = Fraction(denominator, 4)        # beats in one quarter note
    problem = ""
    offset = Fraction(0)
    expected = 1
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else width
        seg = count[start:end]
        if numbers[k] != expected and not problem:
            problem = f"beat {numbers[k]} where beat {expected} was expected"
        has_pairs = bool(re.search(r".t[qes]", seg))
        if not has_pairs:
            n = len(seg.rstrip("|)]")) or 1
            for j in range(end - start):
                positions[start + j] = offset + Fraction(j, n) if j < n else None
            seg_beats = Fraction(1)
        else:
            cursor, j = Fraction(0), 0
            while j < len(seg):
                if seg[j + 1:j + 2] == "t" and seg[j + 2:j + 3] in ("q", "e", "s") and j + 2 < len(seg):
                    cell = _TRIPLET_QUARTERS[seg[j + 2]] * quarter
                    for t in range(3):
                        positions[start + j + t] = offset + cursor + t * cell
                    cursor += 3 * cell
                    j += 3
                else:
                    positions[start + j] = offset + cursor
                    cursor += quarter / 4
                    j += 1
            seg_beats = cursor
        offset += seg_beats
        expected = numbers[k] + max(1, int(seg_beats))
    if offset.denominator != 1 and not problem:
        problem = f"count adds up to {offset} beats, not a whole number"
    return tuple(positions), max(1, -(-offset.numerator // offset.denominator)), problem


@lru_cache(maxsize=1024)
def grid_from_width(width: int, numerator: int, majority_width: int):
    """Column -> beat offset for a bar without a count line: ``(positions, n_beats, guess)``."""
    per_major = majority_width // numerator if majority_width % numerator == 0 else 0
    if width != majority_width and 0 < per_major <= 8 and width % per_major == 0:
        beats = width // per_major           # a short pickup or a long bar among the others
        return (tuple(Fraction(c, per_major) for c in range(width)), beats,
                "" if beats == numerator else
                f"{width}-column bar read as {beats} beats at {per_major} columns per beat, "
                f"like the other bars of its system")
    if width % numerator == 0 and width // numerator <= 8:
        per_beat = width // numerator
        guess = (f"{width}-column bar read as {numerator} beats of {per_beat} triplet cells"
                 if per_beat % 3 == 0 else "")
        return tuple(Fraction(c, per_beat) for c in range(width)), numerator, guess
    if width % numerator == 0 and width // numerator > 8 and width % 4 == 0:
        # no sane grid has more than 8 cells a beat: bar lines were left out
        return (tuple(Fraction(c, 4) for c in range(width)), width // 4,
                f"{width}-column bar read as {width // 4} beats of sixteenth notes (bar lines "
                "left out?)")
    if width > numerator and (width - 1) % numerator == 0 and (width - 1) // numerator in (2, 3, 4, 6, 8):
        per_beat = (width - 1) // numerator
        return (None,) + tuple(Fraction(c, per_beat) for c in range(width - 1)), numerator, ""
    return (tuple(Fraction(c * numerator, width) for c in range(width)), numerator,
            f"{width} columns do not divide into {numerator} beats; spread evenly")


# --------------------------------------------------------------------------------------
# Line classification and systems
# --------------------------------------------------------------------------------------
@dataclass
class StaffLine:
    no: int                 # 0-based line index
    label: str
    text: str
    bars: list              # [(start, end)] column spans of bar contents
    post: str               # text after the last bar line
    signs: list = field(default_factory=list)   # per bar: (opens a repeat "|:", closes ":|")
    open_last: bool = False                     # the last bar has no closing bar line


_OPENER = re.compile(r"^(\s*[A-Za-z][\w.()'/+-]{0,7})(?:\s+|\s*:)(?=[-xXoO][-xXoOgfdr]{3})")
_COUNT_LABEL = re.compile(r"\d(?:\s*[+&ea.]\s*|\s+\d)+[\s+&ea.]*")


_NOT_STAFF = str.maketrans("", "", "".join(_STAFF_CHARS) + "|")


def _staff_share(inner: str) -> float:
    """Share of characters that are rests, bar lines or hit symbols."""
    return 1 - len(inner.translate(_NOT_STAFF)) / len(inner)


def match_staff(text: str) -> StaffLine | None:
    first = text.find("|")
    m = _OPENER.match(text) if first > 0 else None
    if m and first > m.end():        # "HH x-x-x-x-|..." / "HH:x-x-x-x-|...": no opening bar
        text = text[:m.end() - 1] + "|" + text[m.end():] if text[m.end() - 1] in " :" else text
        first = m.end() - 1
    last = text.rfind("|")
    if first < 0:
        return None
    label = text[:first].strip().rstrip(":").strip()
    if not label and last > first:   # "|x-x-x-x-| HH": the label on the right
        label = text[last + 1:].strip()
        text = text[:last + 1]
    if not label or not _LABEL_RE.match(label) or _COUNT_LABEL.fullmatch(label):
        return None
    inner = text[first + 1:last] if last > first else text[first + 1:].rstrip()
    if not inner:
        return None
    if _staff_share(inner) < STAFF_SYMBOL_SHARE:
        return None
    spans, signs = _bar_spans(text, first, last)
    post = text[last + 1:]
    tail = post.rstrip()
    if len(tail) >= 2 and all(ch in _STAFF_CHARS and ch != " " for ch in tail):
        spans.append((last + 1, last + 1 + len(tail)))      # a last bar left open: "|x-x-"
        signs.append((tail.startswith(":"), False))
        post = post[len(tail):]
    if not spans:
        return None
    return StaffLine(-1, label, text, spans, post, signs, open_last=post != text[last + 1:])


def _bar_spans(text: str, first: int, last: int) -> tuple[list, list]:
    """Column spans of the bars between ``|`` lines; repeat signs ``|:`` and ``:|`` are not
    columns, they are returned per bar as (opens, closes)."""
    spans, signs = [], []
    start = first + 1
    for i in range(first + 1, last + 1):
        if text[i] == "|":
            a, b = start, i
            opens = a < b and text[a] == ":"
            closes = b - 1 > a and text[b - 1] == ":"
            a, b = a + opens, b - closes
            if b > a:
                spans.append((a, b))
                signs.append((opens, closes))
            start = i + 1
    return spans, signs


_VOLTA = re.compile(r"(?<![\w.])([1-9])(?:\.|st|nd|rd|th)(?![\w])")


def is_volta(text: str) -> bool:
    """A line of first/second endings over the bars: "   |1.-------|2.------|"."""
    if not _VOLTA.search(text):
        return False
    rest = _VOLTA.sub("", text)
    return all(ch in " |-_[]=." for ch in rest) and len(text.strip()) >= 2


def is_bracket(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    if is_volta(text):
        return True
    body = stripped[stripped.find("|"):] if "|" in stripped else stripped
    if not body.startswith(("|", "-", "=", "_")):
        return False
    return bool(_BRACKET_BODY.match(body))


def is_count_line(text: str, ref: StaffLine) -> bool:
    lo, hi = ref.bars[0][0] - 1, ref.bars[-1][1] + 1
    if text[:max(lo, 0)].strip().lower() not in ("", "count", "c"):
        return False
    part = text[max(lo, 0):hi]
    # a line of bar numbers ("1       2       3") has one number a bar, a count line more
    numbers = len(re.findall(r"\d+", part))
    return (numbers >= 1.5 * len(ref.bars) or (numbers >= len(ref.bars) and re.search(
                r"[e+&a]|t[qes]", part) is not None)) and all(ch in _COUNT_CHARS for ch in part)


_STRING_LABELS = set("eBGDAEbgda")


def is_string_tab(system) -> bool:
    """A guitar or bass tab (lines e B G D A E with fret numbers) pasted among drum lines."""
    labels = [st.label for st in system.staffs]
    return (len(labels) >= 4 and all(lab in _STRING_LABELS for lab in labels)
            and any(ch.isdigit() for st in system.staffs for s, e in st.bars
                    for ch in st.text[s:e]))


@dataclass
class System:
    staffs: list
    count: str | None = None          # the count line text
    count_no: int | None = None
    brackets: list = field(default_factory=list)   # [(line index, text)]
    repeat_times: int = 1             # from a prose note such as "(repeat 3 times)"
    section_repeat: tuple | None = None   # (last system index, times, note line): "Chorus x2"
    meter: Meter | None = None

    @property
    def first_no(self) -> int:
        return (self.brackets[0][0] if self.brackets else self.staffs[0].no)

    @property
    def last_no(self) -> int:
        return self.count_no if self.count_no is not None else self.staffs[-1].no


# --------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------
class _Parse:
    def __init__(self, text: str, path: str, options: AsciiTabOptions):
        self.path = path
        self.options = options
        self.lines = (text.expandtabs(8).replace("\u00a0", " ").replace("\u2502", "|")
                      .replace("\u2503", "|").split("\n"))
        self.findings: list[Finding] = []
        self.default_meter = Meter.parse(options.default_meter)
        self.meter_changes = parse_meter_changes(options.meters)

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
        if self.options.legend:
            extra, found = read_legend(self.options.legend.split("\n"), set(), self.path)
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

    def repeat_section(self, no, i, times, systems, starts, ends) -> None:
        """A note above system ``i``: "Chorus x2" repeats the whole section (the systems up
        to the next header line); a bare "x2" or "(repeat twice)" the one system."""
        words = re.sub(r"(?i)\b(repeat(ed)?|play(ed)?|times?|twice|thrice)\b|[x\u00d7]\s?\d+|\d+\s?x",
                       "", self.lines[no])
        j = i
        if re.search(r"[A-Za-z]{2}", words):
            while j + 1 < len(systems) and all(not self.lines[k].strip()
                                               for k in range(ends[j] + 1, starts[j + 1])):
                j += 1
        if j == i:
            systems[i].repeat_times = times
        else:
            systems[i].section_repeat = (j, times, no)

    def attach_repeat_note(self, no, times, systems, starts, ends):
        blank = lambda a, b: any(not self.lines[k].strip() for k in range(a, b))  # noqa: E731
        # right under a system it repeats that system; right over one, the one below; then
        # the nearest within reach, below first
        for i in [i for i, end in enumerate(ends) if no - end == 1]:
            systems[i].repeat_times = times
            return
        for i, start in enumerate(starts):
            if 0 < start - no <= REPEAT_NOTE_REACH and not blank(no + 1, start):
                self.repeat_section(no, i, times, systems, starts, ends)
                return
        for i, end in enumerate(ends):
            if 0 < no - end <= REPEAT_NOTE_REACH and not blank(end + 1, no):
                systems[i].repeat_times = times
                return
        self.find(no, 0, "DT107", f"repeat note ({times} times) is not next to a system; "
                  "put it directly above or below the lines it repeats")

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

    # -- repeats -----------------------------------------------------------------------
    def find_repeats(self, system: System, bars: list) -> None:
        ref = system.staffs[0]
        for no, text in system.brackets:
            for m in _VOLTA.finditer(text) if is_volta(text) else ():
                # the ending's number marks the bar it stands over and the bars its line covers
                ending = int(m.group(1))
                covered = [k for k, (s, e) in enumerate(ref.bars) if s - 1 <= m.start() < e]
                for k in range(covered[0] if covered else len(bars), len(bars)):
                    if k > covered[0] and (_VOLTA.search(text[ref.bars[k][0] - 1:ref.bars[k][1]])
                                           or not text[ref.bars[k][0]:ref.bars[k][1]].strip()):
                        break
                    bars[k]["ending"] = ending
                if not covered:
                    self.find(no, m.start(), "DT107", f"ending {ending}. stands over no bar")
            for m in _REPEAT_TOKEN.finditer(text if not is_volta(text) else ""):
                times = int(m.group(1) or m.group(2))
                left, right = m.start() - 1, m.end()
                while left >= 0 and text[left] in "-=_ ":
                    left -= 1
                while right < len(text) and text[right] in "-=_ ":
                    right += 1
                if left < 0 or text[left] != "|" or right >= len(text) or text[right] != "|":
                    self.find(no, m.start(), "DT107", f"repeat bracket x{times} is not closed "
                              "by '|' at both ends")
                    continue
                covered = [k for k, (s, e) in enumerate(ref.bars)
                           if min(e, right) - max(s, left) > (e - s) / 2]
                if not covered:
                    self.find(no, m.start(), "DT107", f"repeat bracket x{times} covers no bar")
                    continue
                for k in covered:
                    bars[k]["repeat"] = (bars[covered[0]]["written"], bars[covered[-1]]["written"], times)
        open_at = None
        for k, (opens, closes) in enumerate(ref.signs):
            if opens:
                open_at = k
            if closes:
                first = 0 if open_at is None else open_at
                m = _REPEAT_TOKEN.search(ref.text[ref.bars[k][1]:ref.bars[k][1] + 8]) or (
                    _REPEAT_TOKEN.search(ref.post) if k == len(ref.bars) - 1 else None)
                times = int(m.group(1) or m.group(2)) if m else 2
                for j in range(first, k + 1):
                    bars[j]["repeat"] = (bars[first]["written"], bars[k]["written"], times)
                open_at = None
        if open_at is not None:
            self.find(ref.no, ref.bars[open_at][0] - 1, "DT107", "repeat sign '|:' is never "
                      "closed by ':|' in this system")
        trailing = [m for st in system.staffs for m in [_REPEAT_TOKEN.search(st.post)] if m]
        if trailing and system.repeat_times == 1 and not any(ref.signs[-1]):
            system.repeat_times = int(trailing[0].group(1) or trailing[0].group(2))
        if system.repeat_times > 1:
            span = (bars[0]["written"], bars[-1]["written"], system.repeat_times)
            for bar in bars:
                bar.setdefault("repeat", span)

    def insert_section_replays(self, prose, systems, written, first_bar_of_system) -> list:
        """"Repeat chorus", "Verse again": the bars of the first section of that name are
        played again at that point (sections are named by header lines such as "[Chorus]")."""
        def key(name):
            return re.sub(r"[\s-]", "", name.lower())
        headers = {no: key(m.group(1)) for no in prose for m in [_HEADER.match(self.lines[no])] if m}
        section_of, current = [], None
        for i, system in enumerate(systems):
            before = systems[i - 1].last_no if i else -1
            named = [no for no in headers if before < no < system.first_no]
            if named:
                current = headers[max(named)]
            section_of.append(current)
        starts = [s.first_no for s in systems]
        insertions = []
        for no in prose:
            m = _REFERENCE.match(self.lines[no])
            if not m:
                continue
            nxt = next((i for i, start in enumerate(starts) if start > no), len(systems))
            if nxt < len(systems) and all(not self.lines[k].strip()
                                          for k in range(no + 1, starts[nxt])):
                continue                     # "Chorus again" written out below: a header
            name = key(m.group(1) or m.group(2))
            first = next((i for i in range(nxt) if section_of[i] == name), None)
            if first is None:
                self.find(no, 0, "DT107", f"{self.lines[no].strip()!r}: no section {name!r} "
                          "before this line to repeat; write it out")
                continue
            last = first
            while last + 1 < nxt and section_of[last + 1] == name:
                last += 1
            bars = written[first_bar_of_system[first] - 1:first_bar_of_system[last + 1] - 1]
            insertions.append((first_bar_of_system[nxt] - 1, bars))
            self.find(no, 0, "DT111", f"section {name!r} played again here ({len(bars)} bars)")
        for n, (position, bars) in enumerate(sorted(insertions, key=lambda x: -x[0]), 1):
            copies = [wb | {"replay": n} for wb in bars]   # its own repeats are played too
            written = written[:position] + copies + written[position:]
        return written

    def expand_repeats(self, systems, written: list, score: Score) -> None:
        passes: Counter = Counter()              # times each written bar has been played
        i = 0
        while i < len(written):
            span = written[i].get("repeat")
            if span is None:
                group, times = [written[i]], 1
            else:
                first, last, times = span
                j = i
                while (j < len(written) and written[j]["written"] <= last
                       and written[j].get("replay") == written[i].get("replay")):
                    j += 1
                group = written[i:max(j, i + 1)]
            for rep in range(1, times + 1):
                for wb in group:
                    if times > 1 and wb.get("ending", rep) != rep:
                        continue                  # a first ending on a later pass, ...
                    passes[wb["written"]] += 1
                    n = passes[wb["written"]]
                    index = len(score.bars)
                    score.bars.append(Bar(index, wb["meter"], wb["written"], n,
                                          wb["line"], wb["column"], wb["cells"]))
                    for beat, instrument, arts, line, col, label in wb["hits"]:
                        score.events.append(Event(index, beat, instrument, arts,
                                                  velocity_for(arts), wb["written"], n,
                                                  line, col, self.path, label))
            i += len(group)


def _role_name(role) -> str:
    if isinstance(role, Instrument):
        return role.value.replace("_", " ")
    return {V.TOM_HIGH: "high tom", V.TOM_MID: "mid tom", V.TOM_LOW: "low tom",
            V.TOM_FLOOR: "floor tom"}.get(role, str(role))


def parse_tab(text: str, *, path: str | Path = "<tab>", options: AsciiTabOptions | None = None
              ) -> ParseResult:
    """Parse ASCII drum tab text into a :class:`~drumtabber.score.Score` and findings."""
    options = options or AsciiTabOptions()
    parse = _Parse(text, str(path), options)
    score = parse.run()
    parse.findings.sort(key=lambda f: (f.line, f.column, f.code))
    return ParseResult(score, parse.findings)


# --------------------------------------------------------------------------------------
# Writer
# --------------------------------------------------------------------------------------
def _symbol_index():
    """(line instrument, played instrument, articulations) -> symbol, from the parse tables."""
    index = {}
    for base in Instrument:
        kind = V.line_kind(base)
        first = "oO" if kind in ("drum", "kick") else "xX"
        for symbol, (inst, arts) in sorted(V.SYMBOLS[kind].items(),
                                           key=lambda item: (item[0] not in first,
                                                             not item[0].isalpha())):
            index.setdefault((base, inst or base, arts), symbol)
    return index


_WRITE_SYMBOL = _symbol_index()


def writer_line(instrument: Instrument) -> tuple[Instrument, str]:
    """The line (base instrument, label) an instrument is written on."""
    base = V.WRITER_LINE_OF.get(instrument, instrument)
    return base, V.WRITER_LABELS.get(base, f"GM{base.gm_note}")


def _count_segment(number: int, offsets: list, denominator: int) -> str:
    den = 1
    for x in offsets:
        den = den * x.denominator // gcd(den, x.denominator)
    digits = str(number)
    if denominator == 4 and 4 % den and den in (3, 6):
        return digits + ("te" if den == 3 else "ts+ts")
    cells = 4 if 4 % den == 0 else den
    if cells == 4:
        return digits + "e+a"
    return digits + " " * max(0, cells - len(digits))


def _systems_of(bars: list, bars_per_line: int):
    """Split bars into systems of at most ``bars_per_line`` bars of one meter."""
    chunk: list = []
    for bar in bars:
        if chunk and (len(chunk) == bars_per_line or bar.meter != chunk[0].meter):
            yield chunk
            chunk = []
        chunk.append(bar)
    if chunk:
        yield chunk


def write_tab(score: Score, *, bars_per_line: int = 4, dropped: list | None = None) -> str:
    """Render a score as an ASCII tab with a count line under each system.

    Each beat gets the coarsest grid that holds its hits: ``1e+a`` (sixteenths), ``1te``
    (eighth-note triplets), ``1ts+ts`` (sixteenth triplets), else equal columns.  Two hits of
    one instrument from one source line (a MIDI note played twice in one cell) are written as
    a double stroke where the line has a symbol for it; identical hits from different tab
    lines (C2 and C3 both read as the second crash) are written once.  Hits that cannot be written (no symbol; another hit already in the cell) raise
    ValueError, or, when a ``dropped`` list is given, are appended to it as messages and the
    first hit of the cell is kept.
    """

    def cannot(message: str):
        if dropped is None:
            raise ValueError(message)
        dropped.append(message)

    by_bar: dict[int, list] = {}
    for e in score.events:
        by_bar.setdefault(e.bar, []).append(e)
    lines_used = sorted({writer_line(e.instrument) for e in score.events},
                        key=lambda bl: _WRITE_ORDER.get(bl[0], 100 + bl[0].gm_note))
    lines_used = lines_used or [writer_line(Instrument.KICK)]
    width = max([len(lab) for _, lab in lines_used] + [2])
    out = []
    if score.tempo_hint_bpm:
        out += [f"BPM: {score.tempo_hint_bpm:g}", ""]
    toms = [(lab, base) for base, lab in lines_used if base.family == "tom"]
    if toms:       # tom labels are ranked per file when read; the legend pins each one
        out += [f"{lab} = {base.value.replace('_', ' ')} (GM {base.gm_note})" for lab, base in toms]
        out.append("")
    meter = None
    for chunk in _systems_of(score.bars, bars_per_line):
        if chunk[0].meter != meter and (chunk[0].meter != Meter() or meter is not None):
            out.append(f"Time: {chunk[0].meter}")
        in_system = {writer_line(e.instrument) for bar in chunk for e in by_bar.get(bar.index, [])}
        system_lines = [line for line in lines_used if line in in_system] or lines_used[:1]
        rows = {line: [] for line in system_lines}
        count_row = []
        for bar in chunk:
            events = by_bar.get(bar.index, [])
            segs, starts = [], []
            col = 0
            whole_bar = [e.beat - int(e.beat) for e in events] or [Fraction(0)]
            uniform = _count_segment(1, whole_bar, bar.meter.denominator)
            for b in range(bar.meter.numerator):
                offs = [e.beat - b for e in events if b <= e.beat < b + 1]
                if uniform[1:] in ("e+a", "te", "ts+ts"):      # one grid fits the whole bar
                    offs = whole_bar
                seg = _count_segment(b + 1, offs or [Fraction(0)], bar.meter.denominator)
                positions, _, _ = grid_from_count(seg, bar.meter.denominator)
                starts.append({p: col + j for j, p in enumerate(positions) if p is not None})
                segs.append(seg)
                col += len(seg)
            count_row.append("".join(segs))
            cells = {line: ["-"] * col for line in system_lines}
            written: dict = {}
            for e in events:
                line = writer_line(e.instrument)
                b = int(e.beat)
                pos = starts[b].get(e.beat - b) if b < len(starts) else None
                symbol = _WRITE_SYMBOL.get((line[0], e.instrument, e.articulations))
                where = f"bar {bar.index + 1} beat {e.beat}"
                if pos is None or symbol is None:
                    cannot(f"cannot write {e.instrument.value} "
                           f"{sorted(a.value for a in e.articulations)} at {where}")
                    continue
                if (pos, line) in written and written[pos, line] == (e.instrument, e.label):
                    double = _WRITE_SYMBOL.get((line[0], e.instrument,
                                                e.articulations | {Articulation.DOUBLE}))
                    if double and cells[line][pos] in (symbol, double):
                        cells[line][pos] = double
                        continue
                if cells[line][pos] != "-" and cells[line][pos] != symbol:
                    cannot(f"two hits on line {line[1]} at {where}: kept "
                           f"{written[pos, line][0].value}, not {e.instrument.value}")
                    continue
                cells[line][pos] = symbol
                written.setdefault((pos, line), (e.instrument, e.label))
            for line in system_lines:
                rows[line].append("".join(cells[line]))
        meter = chunk[0].meter
        for line in system_lines:
            out.append(line[1].ljust(width) + "|" + "|".join(rows[line]) + "|")
        out.append(" " * width + "|" + "|".join(count_row) + "|")
        out.append("")
    return "\n".join(out)


_WRITE_ORDER = {inst: i for i, inst in enumerate([
    Instrument.CHINA, Instrument.SPLASH, Instrument.CRASH, Instrument.CRASH2, Instrument.RIDE,
    Instrument.RIDE2, Instrument.HIHAT_CLOSED, Instrument.SNARE, Instrument.SIDE_STICK,
    Instrument.TOM_HIGH, Instrument.TOM_HIGH_MID, Instrument.TOM_LOW_MID, Instrument.TOM_LOW,
    Instrument.TOM_FLOOR_HIGH, Instrument.TOM_FLOOR_LOW, Instrument.KICK, Instrument.HIHAT_PEDAL])}


# --------------------------------------------------------------------------------------
# Plugin
# --------------------------------------------------------------------------------------
class AsciiTabParser:
    name = NAME
    description = "ASCII drum tabs as posted on tab sites (generic; asked last)"
    Options = AsciiTabOptions

    def parse(self, text: str, *, path: Path | str = "<tab>", options=None) -> ParseResult:
        return parse_tab(text, path=path, options=options)

    def write(self, score: Score, **kwargs) -> str:
        return write_tab(score, **kwargs)


PARSER = AsciiTabParser()


@hookimpl
def register_tab_parsers(register):
    register(PARSER)


@hookimpl(trylast=True)
def choose_tab_parser(path, text):
    return NAME
