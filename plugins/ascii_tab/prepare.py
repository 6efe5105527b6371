"""The text of a tab made ready for reading: line ends, TAB characters and control bytes,
lines soft-wrapped with a trailing ``=``, and time signatures written vertically beside a
system (`` 6 `` over ``---`` over `` 8 ``), with a map back to the file's own lines and
columns for every finding and hit."""
from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from drumtabber.score import Meter

# Control characters other than TAB and LF (DEL bytes in headers, form feeds, stray CRs):
# read as spaces so that the columns of the line stay where they are.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# TAB stops every 8 columns, as terminals and most editors that tabbers used show them.
TAB_SIZE = 8
# A soft-wrapped line ends in "=" and goes on in the next line (quoted-printable mail, as
# forum posts were often copied); the next line is a continuation when it does not open a
# line of its own with a label.
# The wrap comes at the mail program's line width (quoted-printable: 76) and the rest goes on
# at the next line's first column; a shorter line that ends in "=" ends in a rest.
MIN_WRAP_WIDTH = 40
_OWN_LABEL = re.compile(r"^\s*[A-Za-z][A-Za-z0-9 ]{0,19}?\s*[|:]")
# A vertical time signature: a number of one or two digits over a fraction bar of one to
# three dashes over a number, each standing apart (space, '|' or the line's edge around it).
_STACK_NUMBER = re.compile(r"(?:(?<=[\s|])|^)(\d{1,2})(?=[\s|]|$)")
_STACK_BAR = re.compile(r"(?:(?<=[\s|])|^)(-{1,3}|_{1,3})(?=\s)")
_DENOMINATORS = (1, 2, 4, 8, 16, 32)
_DIGIT = re.compile(r"\d")
_WRAP_END = re.compile(r"=[ \t]*$", re.M)


@dataclass(frozen=True)
class StackedMeter:
    """A time signature written vertically: its fraction bar's line and first column."""

    no: int              # logical line (0-based) of the fraction bar
    column: int          # 0-based column where the stack starts
    meter: Meter
    rows: tuple          # the logical lines of the stack (numerator, bar, denominator)


@dataclass
class Prepared:
    """The logical lines of a tab and where each came from in the file."""

    lines: list
    origin: list                                      # logical line -> file line (0-based)
    wraps: dict = field(default_factory=dict)         # logical line -> [(col, file line, col0)]
    meters: list = field(default_factory=list)        # StackedMeter

    def position(self, no: int, col: int) -> tuple[int, int]:
        """1-based (line, column) in the file of logical line ``no``, column ``col``."""
        if no >= len(self.origin):
            return no + 1, col + 1
        for start, line, base in reversed(self.wraps.get(no, ())):
            if col >= start:
                return line + 1, col - start + base + 1
        return self.origin[no] + 1, col + 1


def prepare_text(text: str) -> Prepared:
    """Split ``text`` into logical lines: line ends normalised, control bytes blanked, TABs
    expanded, soft-wrapped lines joined and vertical time signatures lifted out."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(text):
        text = _CONTROL.sub(" ", text)
    raw = (text.expandtabs(TAB_SIZE).replace("\u00a0", " ").replace("\u2502", "|")
           .replace("\u2503", "|").split("\n"))
    prepared = Prepared(raw, list(range(len(raw))))
    if _WRAP_END.search(text):
        prepared = _join_wraps(raw)
    prepared.meters = _lift_stacked_meters(prepared.lines)
    return prepared


def _join_wraps(raw: list) -> Prepared:
    """Lines soft-wrapped with a trailing "=" joined to the lines that go on with them."""
    lines, origin, wraps = [], [], {}
    no = 0
    while no < len(raw):
        line, first = raw[no], no
        pieces = []
        while (line.rstrip().endswith("=") and "|" in line and no + 1 < len(raw)
               and len(line.rstrip()) - (pieces[-1][0] if pieces else 0) >= MIN_WRAP_WIDTH
               and raw[no + 1][:1].strip() and not _OWN_LABEL.match(raw[no + 1])):
            line = line.rstrip()[:-1]
            no += 1
            pieces.append((len(line), no, 0))
            line += raw[no]
        if pieces:
            wraps[len(lines)] = pieces
        lines.append(line)
        origin.append(first)
        no += 1
    return Prepared(lines, origin, wraps)


def _lift_stacked_meters(lines: list) -> list:
    """Find vertical time signatures, blank them in ``lines`` and return them.  Each line's
    numbers and fraction bars are found once, so a line of thousands is read in linear time."""
    found = []
    for k in range(len(lines) - 2):
        top = lines[k]
        if not _DIGIT.search(top) or "-" not in lines[k + 1] and "_" not in lines[k + 1]:
            continue
        if not any("|" in lines[j] for j in (k, k + 1, k + 2)):
            continue                     # a fraction in prose, not beside a staff
        bars = [m.span(1) for m in _STACK_BAR.finditer(lines[k + 1])]
        lows = list(_STACK_NUMBER.finditer(lines[k + 2]))
        bar_ends, low_spans = [e for _, e in bars], [n.span(1) for n in lows]
        low_ends = [e for _, e in low_spans]
        taken: set = set()               # (1, bar) and (2, number below) already in a stack
        for m in _STACK_NUMBER.finditer(top):
            bar = _first_meeting(bars, bar_ends, *m.span(1), taken, 1)
            low = (_first_meeting(low_spans, low_ends, *bars[bar], taken, 2)
                   if bar is not None else None)
            if (low is None or int(lows[low].group(1)) not in _DENOMINATORS
                    or int(m.group(1)) < 1):
                continue
            taken |= {(1, bar), (2, low)}
            spans = (m.span(1), bars[bar], low_spans[low])
            for j, (a, b) in zip((k, k + 1, k + 2), spans):
                lines[j] = lines[j][:a] + " " * (b - a) + lines[j][b:]
            found.append(StackedMeter(k + 1, min(a for a, _ in spans),
                                      Meter(int(m.group(1)), int(lows[low].group(1))),
                                      (k, k + 1, k + 2)))
    return found


def _first_meeting(spans: list, ends: list, a: int, b: int, taken: set, kind: int):
    """The index of the first of ``spans`` (sorted, apart; ``ends`` their ends) that meets
    columns ``a``..``b`` and is not ``(kind, index)`` in ``taken``, else None."""
    i = bisect_left(ends, a)
    while i < len(spans) and spans[i][0] <= b:
        if (kind, i) not in taken:
            return i
        i += 1
    return None
