"""Bars and hits of one system: each bar's grid (from its count line, its width and meter, or
the beats of count notation) and the symbols of each line read into the cells of its bars."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from fractions import Fraction

from drumtabber.score import Articulation, Instrument, Meter

from . import vocab as V
from .grids import grid_from_count, grid_from_width
from .legend import _role_name
from .lines import _BAR_DELIMS, NOT_SYMBOL_LETTER, System, words_in
from .repeats import _REPEAT_TOKEN, read_count

# One beat of count notation: a run of cells between spaces ("1n1n 2n2n 3n3n 4n4n").
_BEAT = re.compile(r"\S+")
# Cells a beat of tuplets has (triplets, quintuplets, sextuplets, septuplets): a bar whose
# width gives its meter's beats so many cells each may be such a bar among bars of 16ths.
TUPLET_CELLS = (3, 5, 6, 7)
# Blank columns at the edge of a bar are a gap, not cells, from this many on (one space
# is how some tabbers part the cells: "|x x x x |").
MIN_BLANK_GAP = 2
# In count notation these fill the cells that are not hit.
_COUNT_FILL = "n"


class _Bars:
    """The bar reading of :class:`~.parse._Parse` (a mixin: it uses the parse's ``find``,
    ``source``, ``meter_changes``, ``default_meter`` and ``letters``)."""

    def read_system(self, system: System, roles, tables, legend, first_bar: int,
                    score) -> list:
        ref = system.staffs[0]
        system_meter = system.meter or score.meter_hint or self.default_meter
        self.trim_blank_columns(system)
        widths = Counter(e - s for s, e in ref.bars)
        top = max(widths.values())
        majority = max(w for w, n in widths.items() if n == top)     # ties: the full bar
        grids, meters = [], []
        written, written_at = None, 0
        counted = system.counted
        for k, (s, e) in enumerate(ref.bars):
            if k in system.bar_meters:          # a meter written over or beside this bar
                written, written_at = system.bar_meters[k], first_bar + k + 1
            changed = [b for b in self.meter_changes if b <= first_bar + k + 1]
            stated = False                      # a meter the tab itself writes
            if changed and max(changed) >= written_at:
                meter = self.meter_changes[max(changed)]
            else:
                meter = written or system_meter
                stated = bool(written or system.meter)     # not a hint further down
            meters.append(meter)
            if counted:
                grids.append(self.count_grid(system, k, meter))
            else:
                grids.append(self.bar_grid(system, k, s, e, meter, majority, stated)
                             + (None,))
        for st in system.staffs[1:]:
            if st.bars != ref.bars and not (counted and len(st.bars) == len(ref.bars)):
                self.find(st.no, 0, "DT104",
                          f"bar lines of {st.label!r} do not line up with those of "
                          f"{ref.label!r} (line {self.source.position(ref.no, 0)[0]}): bars at "
                          f"columns {[s + 1 for s, _ in st.bars]} vs "
                          f"{[s + 1 for s, _ in ref.bars]}, widths "
                          f"{[e - s for s, e in st.bars]} vs {[e - s for s, e in ref.bars]}")
        bars = []
        for k, (s, e) in enumerate(ref.bars):
            positions, beats, _ = grids[k]
            line, column = self.source.position(ref.no, s)
            bars.append({"written": first_bar + len(bars) + 1,
                         "meter": Meter(beats, meters[k].denominator),
                         "line": line, "column": column, "hits": [],
                         "cells": tuple(p for p in positions if p is not None)})
        seen: dict = {}
        for st in system.staffs:
            role = roles.get(st.label)
            if not isinstance(role, Instrument):
                continue
            where = (self.source.position(st.no, 0)[0], st.no in self.source.wraps,
                     bool(NOT_SYMBOL_LETTER.search(st.text, st.bars[0][0], st.bars[-1][1])))
            for k, (s, e) in enumerate(st.bars):
                if k >= len(bars):
                    hits = sum(1 for ch in st.text[s:e] if ch not in V.REST_CHARS)
                    self.find(st.no, s, "DT104", f"bar {k + 1} of {st.label!r} has no matching "
                              f"bar in {ref.label!r}; its {hits} hit(s) are not read")
                    continue
                self.read_cells(system, st, k, grids[k], role, tables[st.label], legend,
                                bars[k], seen, where)
        self.find_repeats(system, bars)
        return bars

    def trim_blank_columns(self, system: System) -> None:
        """Columns left blank on every line at the start or end of a bar are not cells (a
        mini-tab set beside the last bar, its meter lifted out: "|    -------x-----|")."""
        ref = system.staffs[0]
        inside = slice(ref.bars[0][0], ref.bars[-1][1])
        if (all(" " not in st.text[inside] for st in system.staffs)
                or any(st.bars != ref.bars for st in system.staffs[1:])):
            return
        for k, (s, e) in enumerate(ref.bars):
            texts = [st.text[s:e].ljust(e - s) for st in system.staffs]
            lead = min(len(t) - len(t.lstrip(" ")) for t in texts)
            trail = min(len(t) - len(t.rstrip(" ")) for t in texts)
            lead, trail = (n if n >= MIN_BLANK_GAP else 0 for n in (lead, trail))
            if (lead or trail) and lead + trail < e - s:
                for st in system.staffs:
                    st.bars[k] = (s + lead, e - trail)

    def count_grid(self, system: System, k: int, meter: Meter):
        """Bar ``k`` of a system in count notation.  Its beats are runs of cells between
        spaces ("1n1n 2n2n 3n3n 4n4n"); a run as wide as several beats and the gaps between
        them holds that many ("-----2nnn" is two).  A line with a run for every beat keeps its
        own (triplets: "1nn1 nn2  3nn3 nn4"); the others take the columns of the line with the
        most beats.  Returns ``(positions, beats, per_line)``."""
        runs_of = {}
        for st in system.staffs:
            if k < len(st.bars):
                a, b = st.bars[k]
                runs_of[st.no] = [(a + m.start(), a + m.end()) for m in _BEAT.finditer(st.text[a:b])]
        widths = Counter(y - x for runs in runs_of.values() if len(runs) > 1 for x, y in runs)
        beat_width = widths.most_common(1)[0][0] if widths else 0
        split = {no: _split_runs(runs, beat_width) for no, runs in runs_of.items()}
        n = max((len(spans) for spans in split.values()), default=0)
        if n <= 1:                              # no spaces anywhere: the meter's beats
            n = meter.numerator
            ref_spans = None
        else:
            ref_spans = next((runs for runs in runs_of.values() if len(runs) == n),
                             next(spans for spans in split.values() if len(spans) == n))
        per_line = {}
        for st in system.staffs:
            if st.no not in runs_of:
                continue
            a, b = st.bars[k]
            spans = runs_of[st.no] if len(runs_of[st.no]) == n else ref_spans or [
                (a + i * (b - a) // n, a + (i + 1) * (b - a) // n) for i in range(n)]
            positions: list = [None] * (b - a)
            for i, (x, y) in enumerate(spans):
                for c in range(max(x, a), min(y, b)):
                    positions[c - a] = i + Fraction(c - x, y - x)
            per_line[st.no] = tuple(positions)
        ref = system.staffs[0]
        return per_line.get(ref.no, ()), n, per_line

    def read_cells(self, system, st, k: int, grid, role, table: dict, legend, bar: dict,
                   seen: dict, where: tuple) -> None:
        """The hits of bar ``k`` of one line into ``bar``; every cell that cannot be read
        gets a finding with its line and column.  ``where``: the line's number in the file,
        whether it was soft-wrapped, whether it holds letters that may be words."""
        positions, _, per_line = grid
        ref = system.staffs[0]
        s, e = st.bars[k]
        rs, re_ = ref.bars[k]
        width, rwidth = e - s, re_ - rs
        if per_line is not None:
            positions, width, rwidth = per_line[st.no], 1, 1
        # an open last bar that stops early keeps its columns; other odd widths are
        # stretched onto the first line's bar
        keep = width == rwidth or (st.open_last and k == len(st.bars) - 1 and width < rwidth)
        text = st.text
        line, wrapped, lettered = where
        skip: set = set()
        if lettered and NOT_SYMBOL_LETTER.search(text, s, e):
            for a, b in words_in(text[s:e], table):
                self.find(st.no, s + a, "DT113", f"words {text[s + a:s + b]!r} inside bar "
                          f"{k + 1} of {st.label!r} are not hits; the bar is read without them")
                skip.update(range(s + a, s + b))
        rests = V.REST_CHARS + _COUNT_FILL if per_line is not None else V.REST_CHARS
        hit_char = _not_in(rests)                 # jumps over runs of rests at once
        multi = legend.multi
        c = s
        while c < e:
            found = hit_char.search(text, c, e)
            if found is None:
                break
            c = found.start()
            ch = text[c]
            if c in skip:
                c += 1
                continue
            symbol = text[c:c + 2] if multi and text[c:c + 2] in multi else ch
            col = c - s if keep else (c - s) * rwidth // width
            beat = positions[col] if col < len(positions) else None
            entry = table.get(symbol)
            if per_line is not None and ch.isdigit():
                entry = (role, V.PLAIN)
                beat = self._counted_beat(st, c, int(ch), beat)
            elif entry is None and symbol in self.letters:
                entry = (self.letters[symbol], V.PLAIN)
                if (st.no, symbol) not in self._said:
                    self._said.add((st.no, symbol))
                    self.find(st.no, c, "DT102", f"symbol {symbol!r} on line {st.label!r} is the "
                              f"letter of line {symbol!r}: read as a {_role_name(entry[0])} hit "
                              "here and in the rest of this line")
            if entry is None:
                self.find(st.no, c, "DT103", f"unknown symbol {symbol!r} on line "
                          f"{st.label!r} ({_role_name(role)}); known here: "
                          f"{''.join(sorted(table))}")
            elif (symbol == "#" and "#" not in legend.strikes and c > s
                  and text[c - 1] not in V.REST_CHARS and bar["hits"]
                  and bar["hits"][-1][3:5] == (self.source.position(st.no, c - 1) if wrapped
                                               else (line, c))):
                # "x#": the cymbal hit just before is choked, not hit again
                hit = bar["hits"][-1]
                bar["hits"][-1] = (hit[0], hit[1], hit[2] | {Articulation.CHOKE}, *hit[3:])
            else:
                if beat is None:
                    self.find(st.no, c, "DT105", f"hit {symbol!r} falls outside the "
                              "counted beats of its bar; placed on the downbeat")
                    beat = Fraction(0)
                instrument, arts = entry
                key = (k, col, instrument, st.no if per_line is not None else None)
                if key in seen and seen[key] != symbol:
                    self.find(st.no, c, "DT106", f"{instrument.value} written twice in "
                              f"one cell ({seen[key]!r} and {symbol!r})")
                seen[key] = symbol
                here = self.source.position(st.no, c) if wrapped else (line, c + 1)
                bar["hits"].append((beat, instrument, arts, *here, st.label))
            c += len(symbol)

    def _counted_beat(self, st, c: int, digit: int, beat):
        """The beat of a digit of count notation; a digit that names another beat than the
        one it stands in, or stands between beats, gets a finding."""
        named = Fraction((digit - 1) % 10)            # "0" is beat 10
        if beat is None:
            self.find(st.no, c, "DT105", f"count digit '{digit}' stands between beats; read "
                      f"on beat {int(named) + 1}")
            return named
        if int(beat) % 10 != named:
            self.find(st.no, c, "DT105", f"count digit '{digit}' stands in beat "
                      f"{int(beat) + 1} of its bar; read where it stands")
        return beat

    def bar_grid(self, system: System, k: int, s: int, e: int, meter: Meter, majority: int,
                 stated: bool = False):
        """Bar ``k``'s grid: ``(positions, beats)``, from the count line, else the width.
        A count whose beats differ from a meter the tab writes (``stated``) gets a finding;
        the count is read."""
        ref = system.staffs[0]
        if system.count is not None:
            rest = system.count[e + 1:]
            token = _REPEAT_TOKEN.fullmatch(rest.strip())
            if k == len(ref.bars) - 1 and token:
                col = e + 1 + rest.index(token.group())
                times = self.capped(read_count(token.group(1) or token.group(2)),
                                    system.count_no, col, token.group())
                if times > system.repeat_times:
                    system.repeat_times, system.repeat_at = times, (system.count_no, col)
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
                elif stated and beats != meter.numerator:
                    self.find(system.count_no, s, "DT105", f"count of bar {k + 1} has {beats} "
                              f"beats but the tab's meter is {meter}: read as "
                              f"{beats}/{meter.denominator}, as counted")
                return positions, beats
        positions, beats, guess = grid_from_width(e - s, meter.numerator, majority)
        width = e - s
        per_beat = width // meter.numerator if width % meter.numerator == 0 else 0
        if per_beat in TUPLET_CELLS:
            # a bar of tuplets (12, 20, 24 cells in 4/4) or of sixteenths (3, 5, 6 beats):
            # the reading on whose grid its hits sit plainer, the grid's own on a tie
            tuplets = (tuple(Fraction(c, per_beat) for c in range(width)), meter.numerator,
                       f"{width}-column bar read as {meter.numerator} beats of {per_beat} cells")
            sixteenths = (tuple(Fraction(c, 4) for c in range(width)), width // 4,
                          f"{width}-column bar read as {width // 4} beats of sixteenth notes")
            other = sixteenths if beats == meter.numerator else tuplets
            if other is sixteenths and width % 4:
                other = None
            cols = [c - s for st in system.staffs if k < len(st.bars) and st.bars[k] == (s, e)
                    for c in range(s, e) if st.text[c] not in V.REST_CHARS]
            if other and cols and _plainness(other[0], cols) < _plainness(positions, cols):
                positions, beats, guess = other[0], other[1], other[2] + " (its hits sit on that grid)"
            elif not guess and beats == meter.numerator:
                guess = tuplets[2]
        if guess:
            self.find(ref.no, s, "DT108", guess + " (add a count line or a meter such as "
                      "'Time: 3/4' to confirm)")
        return positions, beats


def _split_runs(runs: list, beat_width: int) -> list:
    """Runs of count notation split into beats of ``beat_width`` cells and one gap each."""
    if not beat_width:
        return runs
    out = []
    for x, y in runs:
        n = max(1, round((y - x + 1) / (beat_width + 1)))
        for i in range(n):
            start = x + i * (beat_width + 1)
            out.append((start, y if i == n - 1 else start + beat_width))
    return out


def _plainness(positions: tuple, cols: list) -> int:
    """How far from the beats the hits at ``cols`` sit on a grid: the sum of the
    denominators of their positions (a hit on a beat counts 1, on an eighth 2, ...)."""
    return sum(positions[c].denominator if c < len(positions) and positions[c] is not None
               else 100 for c in cols)


@lru_cache(maxsize=None)
def _not_in(chars: str):
    """A pattern that finds the next character not among ``chars``."""
    return re.compile(f"[^{re.escape(chars)}]")
