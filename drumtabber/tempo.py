"""Tempo maps: score positions (bar, beat) <-> seconds.

Positions are first turned into *quarter notes from the start of the first bar* (exact
:class:`~fractions.Fraction`), using each bar's meter.  Time is a piecewise function of that
axis: constant-tempo pieces are exact Fractions, linear BPM ramps integrate to a logarithm
(float), and measured anchors are joined by constant-tempo pieces.  A global offset is added
last.  Everything stays exact until a ramp or a float input forces a float.
"""
from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from .errors import AlignmentError
from .score import Bar

QUARTER = Fraction(1, 4)       # note value of a quarter, as a fraction of a whole note


# Numbers read from files are at most this large or this precise: a decimal of more digits or
# an exponent beyond +/-30 (a "1e99999999" would take minutes to become a Fraction) is no
# tempo, time or beat of a song.
MAX_NUMBER_DIGITS = 40
MAX_EXPONENT = 30
_NUMBER_TEXT = re.compile(r"^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?\s*$")
_FRACTION_TEXT = re.compile(r"^\s*[+-]?\d+\s*/\s*\d+\s*$")


def to_fraction(value) -> Fraction:
    """An exact Fraction of an int, Fraction, decimal or fraction string ("7/3") or float (by
    its shortest repr).  ValueError for NaN and infinities, and for numbers of more than
    ``MAX_NUMBER_DIGITS`` digits or an exponent beyond ``MAX_EXPONENT`` (checked before any
    Fraction is made)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, bool):
        raise ValueError("a truth value is not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {value!r}")
        return Fraction(repr(value))
    if isinstance(value, int):
        if value.bit_length() > 4 * MAX_NUMBER_DIGITS:
            raise ValueError("a number with too many digits")
        return Fraction(value)
    if isinstance(value, str):
        m = _NUMBER_TEXT.match(value)
        if (not m and not _FRACTION_TEXT.match(value)) or sum(c.isdigit() for c in value) > \
                MAX_NUMBER_DIGITS or (m and m.group(1) and abs(int(m.group(1))) > MAX_EXPONENT):
            raise ValueError(f"not a number of at most {MAX_NUMBER_DIGITS} digits and an "
                             f"exponent within +/-{MAX_EXPONENT}")
        return Fraction(value.replace(" ", ""))
    raise TypeError(f"not a number: {type(value).__name__}")


def qpm_of(bpm, beat_unit: Fraction = QUARTER) -> Fraction:
    """Quarter notes per minute of a tempo given as ``bpm`` beats of ``beat_unit`` each."""
    return to_fraction(bpm) * to_fraction(beat_unit) / QUARTER


@dataclass(frozen=True)
class _Piece:
    q0: object          # start on the quarter axis (-inf for the first piece)
    qa: Fraction        # a point of the piece where the time is known
    ta: object          # time at qa (Fraction, or float after a ramp)
    qpm: Fraction       # tempo at qa (quarters per minute)
    slope: Fraction     # qpm change per quarter (0 = constant tempo)

    def time(self, q):
        if self.slope == 0:
            return self.ta + (q - self.qa) * 60 / self.qpm
        return float(self.ta) + 60 / float(self.slope) * math.log1p(
            float(self.slope) * float(q - self.qa) / float(self.qpm))

    def quarters(self, t):
        if self.slope == 0:
            return self.qa + (t - self.ta) * self.qpm / 60
        k, r0 = float(self.slope), float(self.qpm)
        return float(self.qa) + r0 / k * math.expm1((float(t) - float(self.ta)) * k / 60)

    def qpm_at(self, q):
        return self.qpm + self.slope * (q - self.qa)


class TempoMap:
    """Maps (bar, beat) positions of a score's bars to seconds and back.

    Parameters
    ----------
    bars : sequence of Bar
        The score's bars in playing order (only their meters are used).
    qpm : Fraction or None
        Base tempo in quarter notes per minute (see :func:`qpm_of`); may be None when at least
        two ``anchors`` give the tempo.
    reference : (quarters, seconds) or None
        A point the tempo-derived time must pass through (default: quarter 0 at 0 s).
    changes : list of (quarters, qpm)
        Sudden tempo changes.
    ramps : list of (q_start, q_end, qpm_start, qpm_end)
        Linear tempo ramps (tempo linear in score position); after ``q_end`` the tempo stays
        at ``qpm_end`` until the next change.
    anchors : list of (quarters, seconds)
        Measured points; between two anchors the tempo is constant, outside them the tempo
        pieces continue from the nearest anchor.
    offset_s : number
        Added to every time.
    """

    def __init__(self, bars: Sequence[Bar], *, qpm=None, reference=None, changes=(), ramps=(),
                 anchors=(), offset_s=0):
        self.bar_quarters = []        # start of each bar on the quarter axis, plus the end
        acc = Fraction(0)
        for bar in bars:
            self.bar_quarters.append(acc)
            acc += Fraction(bar.meter.numerator * 4, bar.meter.denominator)
        self.bar_quarters.append(acc)
        self.bars = list(bars)
        self.offset = to_fraction(offset_s)
        anchors = sorted((to_fraction(q), to_fraction(t)) for q, t in anchors)
        for (qa, ta), (qb, tb) in zip(anchors, anchors[1:]):
            if qb == qa or tb <= ta:
                raise AlignmentError(f"anchors must increase in both position and time: "
                                     f"{float(ta):g} s at quarter {qa} then {float(tb):g} s "
                                     f"at quarter {qb}", code="DT204")
        if qpm is None:
            if len(anchors) < 2:
                raise AlignmentError("no tempo: give a BPM or at least two anchors", code="DT201")
        if qpm is None and len(anchors) >= 2:     # extrapolate with the anchors' own tempo
            (qa, ta), (qb, tb) = anchors[0], anchors[1]
            (qy, ty), (qz, tz) = anchors[-2], anchors[-1]
            qpm = (qb - qa) * 60 / (tb - ta)
            changes = list(changes) + [(qz, (qz - qy) * 60 / (tz - ty))]
        self.pieces = self._tempo_pieces(qpm, changes, ramps)
        self._starts = [p.q0 for p in self.pieces]       # a shift moves times, not starts
        self._start_times = None
        if reference is not None and not anchors:
            self._shift_to(to_fraction(reference[0]), to_fraction(reference[1]))
        # measured anchors: (quarters, seconds, tempo-map seconds)
        self.anchors = [(q, t, self._tempo_time(q)) for q, t in anchors]
        self._anchor_axes = ([a[0] for a in self.anchors], [a[1] for a in self.anchors])

    # -- construction --------------------------------------------------------------------
    def _tempo_pieces(self, qpm, changes, ramps) -> list[_Piece]:
        events = [(to_fraction(q), 0, to_fraction(r), None) for q, r in changes]
        events += [(to_fraction(a), 1, (to_fraction(r0), to_fraction(r1)), to_fraction(b))
                   for a, b, r0, r1 in ramps]
        events.sort(key=lambda e: (e[0], e[1]))
        pieces = [_Piece(-math.inf, Fraction(0), Fraction(0), to_fraction(qpm), Fraction(0))]
        busy_until = None
        for q, kind, value, q_end in events:
            if busy_until is not None and q < busy_until:
                raise AlignmentError(f"tempo change at quarter {q} falls inside a ramp that "
                                     f"ends at quarter {busy_until}")
            t = pieces[-1].time(q)
            if kind == 0:
                if value <= 0:
                    raise AlignmentError(f"tempo must be above 0 BPM, found {float(value):g}",
                                         code="DT205")
                pieces.append(_Piece(q, q, t, value, Fraction(0)))
                busy_until = None
            else:
                r0, r1 = value
                if q_end <= q:
                    raise AlignmentError(f"ramp must end after it starts (quarter {q} to {q_end})")
                if r0 <= 0 or r1 <= 0:
                    raise AlignmentError(f"ramp reaches 0 BPM or below ({float(r0):g} -> "
                                         f"{float(r1):g})", code="DT205")
                ramp = _Piece(q, q, t, r0, (r1 - r0) / (q_end - q))
                pieces.append(ramp)
                pieces.append(_Piece(q_end, q_end, ramp.time(q_end), r1, Fraction(0)))
                busy_until = q_end
        return pieces

    def _piece_index(self, q) -> int:
        return max(0, bisect.bisect_right(self._starts, q) - 1)

    def _anchor_span(self, value, index: int):
        """The two anchors around ``value`` (index 0: quarters, 1: seconds), or one at an end."""
        anchors = self.anchors
        if value <= anchors[0][index]:
            return anchors[0], None
        if value >= anchors[-1][index]:
            return anchors[-1], None
        i = bisect.bisect_right(self._anchor_axes[index], value) - 1
        return anchors[i], anchors[i + 1]

    def _shift_to(self, q, t) -> None:
        delta = t - self.pieces[self._piece_index(q)].time(q)
        self.pieces = [_Piece(p.q0, p.qa, p.ta + delta, p.qpm, p.slope) for p in self.pieces]
        self._start_times = None

    def _tempo_time(self, q):
        return self.pieces[self._piece_index(q)].time(q)

    def _tempo_quarters(self, t):
        if self._start_times is None:
            self._start_times = [p.time(p.q0) if p.q0 != -math.inf else -math.inf
                                 for p in self.pieces]
        return self.pieces[max(0, bisect.bisect_right(self._start_times, t) - 1)].quarters(t)

    # -- conversions ---------------------------------------------------------------------
    def position_to_quarters(self, bar: int, beat) -> Fraction:
        """Quarter notes from the start of bar 0 to ``beat`` beats into bar ``bar`` (0-based)."""
        if not 0 <= bar <= len(self.bars):
            raise AlignmentError(f"bar {bar + 1} is outside the tab's {len(self.bars)} bars")
        den = self.bars[bar].meter.denominator if bar < len(self.bars) else 4
        return self.bar_quarters[bar] + to_fraction(beat) * 4 / den

    def quarters_to_position(self, q) -> tuple[int, object]:
        """(bar, beat) of a point on the quarter axis; before the first bar the beat is
        negative, past the last bar the last bar runs on (beat beyond its length)."""
        i = bisect.bisect_right(self.bar_quarters, q) - 1
        i = min(max(i, 0), len(self.bars) - 1) if self.bars else 0
        den = self.bars[i].meter.denominator if self.bars else 4
        return i, (q - self.bar_quarters[i]) * den / 4

    def quarters_to_seconds(self, q):
        """Seconds at ``q`` quarters.  Between two anchors the tempo map's shape (ramps,
        changes) is kept and stretched to fit them; with none there, the tempo is constant."""
        tq = self._tempo_time(q)
        if not self.anchors:
            return tq + self.offset
        (qa, ta, Ta), b = self._anchor_span(q, 0)
        if b is None:
            return ta + (tq - Ta) + self.offset
        qb, tb, Tb = b
        return ta + (tq - Ta) * (tb - ta) / (Tb - Ta) + self.offset

    def seconds_to_quarters(self, t):
        t = t - (self.offset if not isinstance(t, float) else float(self.offset))
        if not self.anchors:
            return self._tempo_quarters(t)
        (qa, ta, Ta), b = self._anchor_span(t, 1)
        if b is None:
            return self._tempo_quarters(Ta + (t - ta))
        qb, tb, Tb = b
        return self._tempo_quarters(Ta + (t - ta) * (Tb - Ta) / (tb - ta))

    def beats_to_seconds(self, bar: int, beat):
        """Seconds of a score position (``bar`` 0-based, ``beat`` within the bar)."""
        return self.quarters_to_seconds(self.position_to_quarters(bar, beat))

    def seconds_to_beats(self, t) -> tuple[int, object]:
        """The (bar, beat) sounding at ``t`` seconds."""
        return self.quarters_to_position(self.seconds_to_quarters(t))

    def qpm_at(self, q):
        return self.pieces[self._piece_index(q)].qpm_at(q)
