"""Timed sources on a tick grid: notes, tempo and time-signature events in ticks (MIDI
files, rhythm-game charts, Guitar Pro) into a quantised :class:`~drumtabber.score.Score`
with its exact :class:`~drumtabber.tempo.TempoMap` and each hit's performed time.

* **Bars** come from the time-signature events (``default_meter`` before the first one; a
  change that falls inside a bar starts at the next bar line) and the ticks per quarter.
  Bars cover every note and the source's last event.
* **Quantising**: each beat of each bar (the meter's beat unit) picks the grid that fits its
  notes best -- straight sixteenths or triplets -- by the smallest total distance from the
  notes to the grid, plus a penalty for the triplet grid and for two hits of one instrument
  on one cell.  Each note moves to the nearest cell of its beat's grid (or the next beat's
  downbeat); ``Bar.cells`` lists the cells of the grids used.
* **Events** carry the note's velocity; ``label`` is its note number; ``line`` and
  ``column`` are where the source wrote it (findings use the same).  A cymbal grabbed by
  polyphonic aftertouch soon after its hit gets ``Articulation.CHOKE``.
* **Tempo**: tempo events (microseconds a quarter) give a TempoMap over the bars; performed
  times come from :func:`mido.tick2second` piece by piece between tempo events.

A source is a list of :class:`TickNote` with a note map (note number -> instrument and
articulations; ``GM_NOTES``) handed to :func:`score_from_ticks`.
"""
from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from fractions import Fraction

from ..findings import Finding
from ..score import Articulation, Bar, Event, Instrument, Meter, Score
from ..tempo import TempoMap

# General MIDI puts percussion on channel 10 (0-based 9 in mido).
GM_DRUM_CHANNEL = 10
# The tempo in force before the first set-tempo event: 500,000 us per quarter = 120 BPM
# (Standard MIDI File spec, "Set Tempo" meta event).
DEFAULT_TEMPO_US = 500_000

# Grid candidates, in cells per quarter note (scaled to the meter's beat unit, doubled until
# whole: 3 per quarter becomes 3 per eighth in 6/8): sixteenths, and eighth-note triplets.
STRAIGHT_CELLS_PER_QUARTER = 4
TRIPLET_CELLS_PER_QUARTER = 3
# Cost added to the triplet grid of a beat, in beats: a beat chooses triplets only when they
# fit its notes this much better in total than sixteenths.  0.06 beat is 30 ms at 120 BPM,
# about a drummer's timing spread.  Measured on a third of the Groove MIDI Dataset's 4/4 beats,
# the share of off-beat notes put on the triplet grid: 0-3 % in afrobeat, funk, hip-hop, New
# Orleans and soul, 11 % rock, 14 % pop, 20 % jazz, 37 % rock shuffle (0.04: 0-3 %, 12 %,
# 17 %, 23 %, 44 %; 0.10: 0-1 %, 7 %, 7 %, 12 %, 22 %).  A lone swung eighth after a
# downbeat takes the triplet cell only between 0.613 and 0.678 of the beat.
TRIPLET_PENALTY_BEATS = Fraction(6, 100)
# Cost, in beats, of two hits of one instrument falling on one cell (a grid too coarse for a
# fill or roll); a flam collides on every grid and so changes nothing.
COLLISION_PENALTY_BEATS = Fraction(1, 4)
# Polyphonic aftertouch on a cymbal within this many quarter notes of its hit marks it choked
# (the TD-11 sends aftertouch 127 when the cymbal's edge is grabbed).
CHOKE_WINDOW_QUARTERS = 2

I = Instrument
A = Articulation
PLAIN = frozenset()

# General MIDI percussion (35-81), one instrument per note.
GM_NOTES: dict[int, tuple[Instrument, frozenset]] = {i.gm_note: (i, PLAIN) for i in Instrument}
CYMBALS = {"cymbal", "ride", "hihat"}      # instrument families a choke applies to
# Longest score read (bars): over 5 hours of 4/4 at 120 BPM.  More means broken delta times.
MAX_BARS = 10_000
# Time-signature denominators a Meter allows (drumtabber.score.Meter.parse).
METER_DENOMINATORS = (1, 2, 4, 8, 16, 32)


class TooLong(ValueError):
    """The file's events span more than MAX_BARS bars."""


@dataclass
class TickOptions:
    """How :func:`score_from_ticks` reads a source (the MIDI parser's options have these)."""

    note_map: str = "gm"            # its name, for findings
    channel: int = 0                # 1-16; 0: channel 10 if it has notes, else all channels
    straight_cells: int = STRAIGHT_CELLS_PER_QUARTER
    triplet_cells: int = TRIPLET_CELLS_PER_QUARTER


@dataclass
class TickNote:
    tick: int
    note: int
    velocity: int
    track: int           # 1-based
    message: int         # 1-based index in its track


def _cells_per_beat(per_quarter: int, denominator: int) -> int:
    cells = Fraction(per_quarter * 4, denominator)
    while cells.denominator != 1:
        cells *= 2
    return int(cells)


def tempo_pieces(tempos) -> list[tuple[int, int]]:
    """(start tick, us per quarter) pieces from tick 0; the last event at a tick wins."""
    pieces = {0: DEFAULT_TEMPO_US}
    for tick, tempo, *_ in sorted(tempos, key=lambda t: t[0]):
        pieces[tick] = tempo
    out = []
    for tick, tempo in sorted(pieces.items()):
        if not out or out[-1][1] != tempo:
            out.append((tick, tempo))
    return out


def ticks_to_seconds(ticks, pieces, ticks_per_quarter: int) -> list[float]:
    """Seconds of each tick, with :func:`mido.tick2second` on each constant-tempo piece."""
    import mido

    starts, offsets = [p[0] for p in pieces], [0.0]
    for (t0, tempo), (t1, _) in zip(pieces, pieces[1:]):
        offsets.append(offsets[-1] + mido.tick2second(t1 - t0, ticks_per_quarter, tempo))
    out = []
    for tick in ticks:
        i = bisect.bisect_right(starts, tick) - 1
        out.append(offsets[i] + mido.tick2second(tick - starts[i], ticks_per_quarter,
                                                 pieces[i][1]))
    return out


class Bars:
    """Bar lines in ticks, made on demand from the time-signature events."""

    def __init__(self, meters, default: Meter, tpq: int):
        self.changes = sorted(((t, m) for t, m, *_ in meters), key=lambda c: c[0])
        self.tpq = tpq
        self.starts: list[Fraction] = []
        self.meters: list[Meter] = []
        self.meter = default
        self._next = 0

    def length(self, i: int) -> Fraction:
        m = self.meters[i]
        return Fraction(self.tpq * 4 * m.numerator, m.denominator)

    def beat_ticks(self, i: int) -> Fraction:
        return Fraction(self.tpq * 4, self.meters[i].denominator)

    def _add(self) -> None:
        if len(self.starts) >= MAX_BARS:
            raise TooLong(f"its events span more than {MAX_BARS:,} bars (broken delta times?)")
        start = self.starts[-1] + self.length(-1) if self.starts else Fraction(0)
        while self._next < len(self.changes) and self.changes[self._next][0] <= start:
            self.meter = self.changes[self._next][1]
            self._next += 1
        self.starts.append(start)
        self.meters.append(self.meter)

    def index(self, tick) -> int:
        """The bar containing ``tick`` (bars are added up to it)."""
        while not self.starts or self.starts[-1] + self.length(-1) <= tick:
            self._add()
        return bisect.bisect_right(self.starts, tick) - 1


def _choose_grid(fracs, instruments, grids) -> tuple[int, list[int]]:
    """The grid (cells per beat) that fits the notes of one beat best, and each note's cell.

    ``fracs`` are the notes' offsets into the beat, in beats (0 <= f < 1); ``grids`` the
    candidates as (cells, penalty), preferred first when costs tie.  Each note goes to its
    nearest cell (``cells`` itself is the next beat's downbeat).
    """
    best = None
    for cells, penalty in grids:
        ks = [math.floor(f * cells + Fraction(1, 2)) for f in fracs]
        cost = penalty + sum(abs(f - Fraction(k, cells)) for f, k in zip(fracs, ks))
        cost += COLLISION_PENALTY_BEATS * (len(ks) - len(set(zip(ks, instruments))))
        if best is None or cost < best[0]:
            best = (cost, cells, ks)
    return best[1], best[2]


def usable_meta(src, meters, tempos, findings):
    """The time signatures and tempos a score can use; a DT110 finding for each other one."""
    good_meters, good_tempos = [], []
    for m in meters:
        tick, meter, track, msg = m
        if meter.numerator >= 1 and meter.denominator in METER_DENOMINATORS:
            good_meters.append(m)
        else:
            findings.append(Finding(src, track, msg, "DT110", f"time signature {meter} at tick "
                                    f"{tick} is not a meter drumtabber can use; ignored"))
    for t in tempos:
        if t[1] > 0:
            good_tempos.append(t)
        else:
            findings.append(Finding(src, t[2], t[3], "DT110", f"tempo of {t[1]} microseconds "
                                    f"per quarter at tick {t[0]}; ignored"))
    return good_meters, good_tempos


def score_from_ticks(src, options, note_map, default_meter, tpq, by_channel, tempos, meters,
                     touches, last_tick, findings):
    """Score, tempo map, performed seconds and grid of each event (findings are added)."""
    score = Score(source=src)
    if options.channel:
        notes = by_channel.get(options.channel, [])
    elif GM_DRUM_CHANNEL in by_channel:
        notes = by_channel[GM_DRUM_CHANNEL]
    else:
        notes = [n for ch in sorted(by_channel) for n in by_channel[ch]]
    notes.sort(key=lambda n: (n.tick, n.track, n.message))
    bars = Bars(meters, default_meter, tpq)
    pieces = tempo_pieces(tempos)

    # Unknown notes: a finding each, with the note number and time.
    known = []
    unknown = []
    for n in notes:
        (known if n.note in note_map else unknown).append(n)
    for n, t in zip(unknown, ticks_to_seconds([n.tick for n in unknown], pieces, tpq)):
        i = bars.index(n.tick)
        beat = (n.tick - bars.starts[i]) / bars.beat_ticks(i)
        findings.append(Finding(src, n.track, n.message, "DT101",
                                f"unknown drum note {n.note} at {t:.3f} s (tick {n.tick}, bar "
                                f"{i + 1} beat {float(beat):.2f}) in the {options.note_map!r} "
                                f"note map; hit skipped; known notes: "
                                f"{', '.join(str(k) for k in sorted(note_map))}"))

    # Quantise: group the notes by (bar, beat); each beat chooses its grid.
    groups: dict[tuple[int, int], list[int]] = {}
    for j, n in enumerate(known):
        i = bars.index(n.tick)
        b = int((n.tick - bars.starts[i]) // bars.beat_ticks(i))
        groups.setdefault((i, b), []).append(j)
    positions: list[Fraction] = [Fraction(0)] * len(known)     # quantised tick
    cells_of: list[int] = [0] * len(known)
    bar_grids: dict[tuple[int, int], int] = {}
    for (i, b), members in groups.items():
        den = bars.meters[i].denominator
        grids = [(_cells_per_beat(options.straight_cells, den), Fraction(0))]
        if options.triplet_cells:
            grids.append((_cells_per_beat(options.triplet_cells, den), TRIPLET_PENALTY_BEATS))
        beat_ticks = bars.beat_ticks(i)
        start = bars.starts[i] + b * beat_ticks
        fracs = [(known[j].tick - start) / beat_ticks for j in members]
        cells, ks = _choose_grid(fracs, [note_map[known[j].note][0] for j in members], grids)
        bar_grids[(i, b)] = cells
        for j, k in zip(members, ks):
            positions[j] = start + beat_ticks * Fraction(k, cells)
            cells_of[j] = cells

    # Bars: cover every quantised note and the file's last event.
    end = max([last_tick] + [p + 1 for p in positions])
    bars.index(end - 1 if end > 0 else 0)
    n_bars = bisect.bisect_left(bars.starts, end) if end > 0 else 0
    for i in range(n_bars):
        m = bars.meters[i]
        straight = _cells_per_beat(options.straight_cells, m.denominator)
        cells = tuple(b + Fraction(c, n) for b in range(m.numerator)
                      for n in [bar_grids.get((i, b), straight)] for c in range(n))
        score.bars.append(Bar(i, m, i + 1, 1, cells=cells))

    # Events, with chokes from polyphonic aftertouch.
    chokes = _choked(known, touches, tpq, options, note_map)
    for j, (n, q) in enumerate(zip(known, positions)):
        i = bisect.bisect_right(bars.starts, q) - 1
        instrument, arts = note_map[n.note]
        if j in chokes:
            arts = arts | {A.CHOKE}
        score.events.append(Event(
            bar=i, beat=(q - bars.starts[i]) / bars.beat_ticks(i), instrument=instrument,
            articulations=arts, velocity=n.velocity, written_bar=i + 1, repeat_pass=1,
            line=n.track, column=n.message, source=src, label=str(n.note)))

    # Tempo map and hints.
    qpm = [(Fraction(tick, tpq), Fraction(60_000_000, tempo)) for tick, tempo in pieces]
    tempo_map = TempoMap(score.bars, qpm=qpm[0][1], changes=qpm[1:]) if score.bars else None
    written = {tick: (track, msg) for tick, _, track, msg in tempos}
    for (tick, _), (_, rate) in zip(pieces, qpm):
        if tick not in written:
            continue                          # MIDI's default tempo, not written in the file
        bar = bars.index(tick) + 1
        score.tempo_hints.append((bar, float(rate)))
        findings.append(Finding(src, *written[tick], "DT111",
                                f"tempo {float(rate):.7g} BPM from bar {bar}"))
    score.tempo_hint_bpm = score.tempo_hints[0][1] if score.tempo_hints else None
    meter = None
    for tick, new, track, msg in sorted(meters, key=lambda m: m[0]):
        if new != meter:
            i = bars.index(tick)
            bar = i + 1 if bars.starts[i] == tick else i + 2     # mid-bar: from the next bar
            findings.append(Finding(src, track, msg, "DT111", f"meter {new} from bar {bar}"))
        meter = new
    score.meter_hint = score.bars[0].meter if meters and score.bars else None
    if not notes:
        findings.append(Finding(src, 1, 1, "DT002", "no drum notes (note-on events) found"))
    performed = ticks_to_seconds([n.tick for n in known], pieces, tpq)
    return score, tempo_map, performed, cells_of


def _choked(known, touches, tpq, options, note_map) -> set[int]:
    """Indexes of the cymbal hits grabbed by polyphonic aftertouch soon after the hit."""
    choked = set()
    if not touches:
        return choked
    last_hit: dict[int, int] = {}
    events = sorted([(n.tick, 0, j, n.note) for j, n in enumerate(known)]
                    + [(t, 1, -1, note) for t, ch, note in touches
                       if not options.channel or ch == options.channel])
    for tick, kind, j, note in events:
        if kind == 0:
            last_hit[note] = j
        elif note in last_hit:
            hit = known[last_hit[note]]
            if (note_map[hit.note][0].family in CYMBALS
                    and tick - hit.tick <= CHOKE_WINDOW_QUARTERS * tpq):
                choked.add(last_hit[note])
    return choked
