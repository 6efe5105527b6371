"""Drum MIDI files (``.mid``, ``.midi``): the built-in ``midi`` parser plugin.

Reads drum performances such as the Groove MIDI Dataset (Gillick et al., ICML 2019; a Roland
TD-11 kit, CC BY 4.0) into a quantised :class:`~drumtabber.score.Score`, and keeps what
quantising throws away: :func:`read_midi` also returns the file's tempo map and the
performed onset time of every event, so the deviation of each quantised position from the
performance is known.

* **Notes -> instruments**: the ``td11`` note map (default) reads the Roland TD-11 notes the
  Groove MIDI Dataset uses, edge and rim zones included (rims are rimshots); the ``gm`` map
  reads General MIDI percussion 35-81 as they are.  A note with no instrument is a DT101
  finding with its note number and time, never dropped silently.  Notes on channel 10 are
  read when the file has any, otherwise notes on every channel (option ``channel``).
* **Bars** come from the time-signature events (4/4, or ``default_meter``, before the first
  one; a change that falls inside a bar starts at the next bar line) and the file's ticks per
  quarter note.  Bars cover every note and the file's last event.
* **Quantising**: each beat of each bar (the meter's beat unit) picks the grid that fits its
  notes best -- straight sixteenths or triplets -- by the smallest total distance from the
  notes to the grid, plus a penalty for the triplet grid and for two hits of one instrument
  on one cell.  Each note moves to the nearest cell of its beat's grid (or the next beat's
  downbeat); ``Bar.cells`` lists the cells of the grids used.
* **Events** carry the MIDI velocity; ``label`` is the MIDI note number; ``line`` and
  ``column`` are the 1-based track and message number of the note-on (findings use the same).
  A cymbal grabbed by polyphonic aftertouch soon after its hit (the TD-11's choke) gets
  ``Articulation.CHOKE``.
* **Tempo**: set-tempo events give a :class:`~drumtabber.tempo.TempoMap` over the score's
  bars (exact: quarter notes and microseconds are integers in MIDI); performed times come
  from :func:`mido.tick2second` piece by piece between tempo events.

``mido`` is imported when a file is read, not when the plugin loads.
"""
from __future__ import annotations

import bisect
import importlib.util
import io
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from drumtabber.components import ParseResult
from drumtabber.errors import ConfigError
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Articulation, Bar, Event, Instrument, Meter, Score
from drumtabber.tempo import TempoMap

from .groove import TD11_NOTES, list_performances  # noqa: F401  (a hook of this plugin)

__version__ = "0.1.0"

NAME = "midi"
SUFFIXES = (".mid", ".midi")

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
NOTE_MAPS = {"td11": TD11_NOTES, "gm": GM_NOTES}
CYMBALS = {"cymbal", "ride", "hihat"}      # instrument families a choke applies to
# Longest score read (bars): over 5 hours of 4/4 at 120 BPM.  More means broken delta times.
MAX_BARS = 10_000
# Time-signature denominators a Meter allows (drumtabber.score.Meter.parse).
METER_DENOMINATORS = (1, 2, 4, 8, 16, 32)


class _TooLong(ValueError):
    """The file's events span more than MAX_BARS bars."""


@dataclass
class MidiOptions:
    note_map: str = "td11"          # td11 (Roland TD-11 / Groove MIDI Dataset) or gm
    default_meter: str = "4/4"      # meter before the first time-signature event
    channel: int = 0                # 1-16; 0: channel 10 if it has notes, else all channels
    straight_cells: int = STRAIGHT_CELLS_PER_QUARTER   # straight grid, cells per quarter
    triplet_cells: int = TRIPLET_CELLS_PER_QUARTER     # triplet grid, cells per quarter; 0: none


@dataclass
class MidiResult:
    """A MIDI file read: the quantised score, its tempo map and the performance.

    ``performed_s[i]`` is the performed onset time in seconds of ``score.events[i]``.
    """

    score: Score
    tempo_map: TempoMap | None
    performed_s: list[float] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    grid_cells: list[int] = field(default_factory=list)    # cells per beat of each event's grid

    def quantised_s(self) -> list[float]:
        """Time in seconds of each event's quantised position (same order as the events)."""
        return [float(self.tempo_map.beats_to_seconds(e.bar, e.beat)) for e in self.score.events]

    def onset_rows(self) -> list[dict]:
        """One row per event: position, instrument, MIDI note, velocity, performed and
        quantised time, and ``deviation_s`` (quantised minus performed)."""
        rows = []
        for e, performed, quantised, cells in zip(self.score.events, self.performed_s,
                                                  self.quantised_s(), self.grid_cells):
            rows.append({"bar": e.bar + 1, "beat": e.beat, "instrument": e.instrument.value,
                         "note": int(e.label), "articulation": e.articulation_text(),
                         "velocity": e.velocity, "performed_s": performed,
                         "quantised_s": quantised, "deviation_s": quantised - performed,
                         "grid_cells": cells})
        return rows


@dataclass
class _Note:
    tick: int
    note: int
    velocity: int
    track: int           # 1-based
    message: int         # 1-based index in its track


def _read_messages(data: bytes):
    """(ticks per quarter, notes per channel, tempos, meters, aftertouch, last tick)."""
    import mido

    if not data.startswith(b"MThd"):
        raise ValueError("it does not start with 'MThd' (not a Standard MIDI File)")
    midi = mido.MidiFile(file=io.BytesIO(data))
    if midi.type == 2:
        raise ValueError("MIDI type 2 (independent sequences) is not supported")
    if not 0 < midi.ticks_per_beat < 0x8000:      # the top bit set means SMPTE frames
        raise ValueError("SMPTE (timecode) timing is not supported; ticks per quarter note "
                         "are needed")
    notes: dict[int, list[_Note]] = {}
    tempos, meters, touches = [], [], []
    last = 0
    for track_no, track in enumerate(midi.tracks, 1):
        tick = 0
        for msg_no, msg in enumerate(track, 1):
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                notes.setdefault(msg.channel + 1, []).append(
                    _Note(tick, msg.note, msg.velocity, track_no, msg_no))
            elif msg.type == "set_tempo":
                tempos.append((tick, msg.tempo, track_no, msg_no))
            elif msg.type == "time_signature":
                meters.append((tick, Meter(msg.numerator, msg.denominator), track_no, msg_no))
            elif msg.type == "polytouch" and msg.value > 0:
                touches.append((tick, msg.channel + 1, msg.note))
        last = max(last, tick)
    return midi.ticks_per_beat, notes, tempos, meters, touches, last


def _why(exc: Exception) -> str:
    """What mido's exception says about a broken file, in words."""
    if isinstance(exc, EOFError):
        return "it ends in the middle of a chunk (truncated?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, KeyError):
        return f"unknown message type or value {exc}"
    return str(exc) or type(exc).__name__


def _cells_per_beat(per_quarter: int, denominator: int) -> int:
    cells = Fraction(per_quarter * 4, denominator)
    while cells.denominator != 1:
        cells *= 2
    return int(cells)


def _tempo_pieces(tempos) -> list[tuple[int, int]]:
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


class _Bars:
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
            raise _TooLong(f"its events span more than {MAX_BARS:,} bars (broken delta times?)")
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


def read_midi(path: Path | str, *, data: bytes | None = None,
              options: MidiOptions | None = None) -> MidiResult:
    """Read a drum MIDI file into a quantised score, its tempo map and the performed times.

    Parameters
    ----------
    path : path-like
        The file (read unless ``data`` is given; also the ``source`` of score and findings).
    data : bytes, optional
        The file's content.
    options : MidiOptions, optional

    Returns
    -------
    MidiResult
        ``score`` (events sorted by time), ``tempo_map``, ``performed_s`` (n_events,) in
        seconds, ``grid_cells`` (n_events,) and ``findings``.  An unreadable file gives an
        empty score, no tempo map and a DT001 finding.
    """
    options = options or MidiOptions()
    src = str(path)
    note_map = NOTE_MAPS.get(options.note_map)
    if note_map is None:
        raise ConfigError(f"midi.note_map: unknown note map {options.note_map!r}; valid: "
                          f"{', '.join(NOTE_MAPS)}", path=src)
    try:
        default_meter = Meter.parse(options.default_meter)
    except ValueError:
        raise ConfigError(f"midi.default_meter: expected a meter such as 4/4, found "
                          f"{options.default_meter!r}", path=src) from None
    if options.straight_cells < 1 or options.triplet_cells < 0:
        raise ConfigError("midi.straight_cells must be 1 or more and midi.triplet_cells 0 or "
                          f"more, found {options.straight_cells} and {options.triplet_cells}",
                          path=src)
    score = Score(source=src)
    if importlib.util.find_spec("mido") is None:
        return MidiResult(score, None, findings=[Finding(
            src, 1, 1, "DT001", "reading MIDI files needs the mido package: pip install mido")])
    try:
        if data is None:
            data = Path(path).read_bytes()
        if isinstance(data, str):                 # text handed over by mistake: not MIDI
            data = data.encode("utf-8", "replace")
        tpq, by_channel, tempos, meters, touches, last_tick = _read_messages(data)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        return MidiResult(score, None, findings=[Finding(
            src, 1, 1, "DT001", f"not a readable MIDI file: {_why(exc)}")])

    findings: list[Finding] = []
    meters, tempos = _usable_meta(src, meters, tempos, findings)
    try:
        score, tempo_map, performed, cells = _build(src, options, note_map, default_meter, tpq,
                                                    by_channel, tempos, meters, touches,
                                                    last_tick, findings)
    except _TooLong as exc:
        return MidiResult(Score(source=src), None, findings=[Finding(
            src, 1, 1, "DT001", f"not a readable MIDI file: {exc}")])
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return MidiResult(score, tempo_map, performed, findings, cells)


def _usable_meta(src, meters, tempos, findings):
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


def _build(src, options, note_map, default_meter, tpq, by_channel, tempos, meters, touches,
           last_tick, findings):
    """Score, tempo map, performed seconds and grid of each event (findings are added)."""
    score = Score(source=src)
    if options.channel:
        notes = by_channel.get(options.channel, [])
    elif GM_DRUM_CHANNEL in by_channel:
        notes = by_channel[GM_DRUM_CHANNEL]
    else:
        notes = [n for ch in sorted(by_channel) for n in by_channel[ch]]
    notes.sort(key=lambda n: (n.tick, n.track, n.message))
    bars = _Bars(meters, default_meter, tpq)
    pieces = _tempo_pieces(tempos)

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


# --------------------------------------------------------------------------------------
# Plugin
# --------------------------------------------------------------------------------------
class MidiParser:
    name = NAME
    description = "drum MIDI files (.mid, .midi; Roland TD-11 / Groove MIDI Dataset or GM notes)"
    Options = MidiOptions
    suffixes = SUFFIXES                 # folders are scanned for these files too
    binary = True                       # parse_file hands over the file's bytes

    def parse(self, data: bytes, *, path: Path | str = "<midi>", options=None,
              hints=None) -> ParseResult:
        result = read_midi(path, data=data, options=options)
        return ParseResult(result.score, result.findings, tempo_map=result.tempo_map,
                           performed_s=result.performed_s if result.tempo_map else None)


PARSER = MidiParser()


@hookimpl
def register_tab_parsers(register):
    from .chart import ChartParser
    register(PARSER)
    register(ChartParser())


@hookimpl
def choose_tab_parser(path, text):
    name = str(path).lower()
    return NAME if name.endswith(SUFFIXES) else "chart" if name.endswith(".chart") else None


