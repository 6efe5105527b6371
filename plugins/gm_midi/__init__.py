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

A Rock Band / Phase Shift chart (a ``PART DRUMS`` track) is read by its own lanes
(:mod:`.rockband`).  ``mido`` is imported when a file is read, not when the plugin loads.
"""
from __future__ import annotations

import dataclasses
import importlib.util
import io
from dataclasses import dataclass, field
from pathlib import Path

from drumtabber.components import ParseResult
from drumtabber.errors import ConfigError
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Meter, Score
from drumtabber.tabs.ticks import (GM_DRUM_CHANNEL, GM_NOTES, STRAIGHT_CELLS_PER_QUARTER,
                                   TRIPLET_CELLS_PER_QUARTER, TickNote, TooLong,
                                   score_from_ticks, usable_meta)
from drumtabber.tempo import TempoMap

from .groove import TD11_NOTES, list_performances  # noqa: F401  (a hook of this plugin)

__version__ = "0.1.0"

NAME = "midi"
SUFFIXES = (".mid", ".midi")

NOTE_MAPS = {"td11": TD11_NOTES, "gm": GM_NOTES}


@dataclass
class MidiOptions:
    note_map: str = "td11"          # td11 (Roland TD-11 / Groove MIDI Dataset) or gm
    default_meter: str = "4/4"      # meter before the first time-signature event
    channel: int = 0                # 1-16; 0: channel 10 if it has notes, else all channels
    track: str = ""                 # read only the track of this name (any channel)
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
    notes: dict[int, list[TickNote]] = {}
    tempos, meters, touches = [], [], []
    last = 0
    for track_no, track in enumerate(midi.tracks, 1):
        tick = 0
        for msg_no, msg in enumerate(track, 1):
            tick += msg.time
            if msg.type == "note_on" and msg.velocity > 0:
                notes.setdefault(msg.channel + 1, []).append(
                    TickNote(tick, msg.note, msg.velocity, track_no, msg_no))
            elif msg.type == "set_tempo":
                tempos.append((tick, msg.tempo, track_no, msg_no))
            elif msg.type == "time_signature":
                meters.append((tick, Meter(msg.numerator, msg.denominator), track_no, msg_no))
            elif msg.type == "polytouch" and msg.value > 0:
                touches.append((tick, msg.channel + 1, msg.note))
        last = max(last, tick)
    names = [getattr(t, "name", "").strip() for t in midi.tracks]
    return midi.ticks_per_beat, notes, tempos, meters, touches, last, names


def _rock_band(data: bytes, path):
    """The notes of a Rock Band / Phase Shift drum chart (:mod:`.rockband`), or None."""
    import mido

    from .rockband import drum_track, rock_band_notes
    found = drum_track(mido.MidiFile(file=io.BytesIO(data)))
    return None if found is None else rock_band_notes(*found, path)


def _why(exc: Exception) -> str:
    """What mido's exception says about a broken file, in words."""
    if isinstance(exc, EOFError):
        return "it ends in the middle of a chunk (truncated?)"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    if isinstance(exc, KeyError):
        return f"unknown message type or value {exc}"
    return str(exc) or type(exc).__name__


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
        tpq, by_channel, tempos, meters, touches, last_tick, names = _read_messages(data)
        chart = _rock_band(data, path)
    except (OSError, EOFError, ValueError, KeyError, IndexError, TypeError) as exc:
        return MidiResult(score, None, findings=[Finding(
            src, 1, 1, "DT001", f"not a readable MIDI file: {_why(exc)}")])

    findings: list[Finding] = []
    if options.track:                  # one named track, whatever its channel
        if options.track not in names:
            return MidiResult(score, None, findings=[Finding(
                src, 1, 1, "DT002", f"no track named {options.track!r}; tracks: "
                f"{', '.join(repr(n) for n in names if n) or '(none named)'}")])
        number = names.index(options.track) + 1
        by_channel = {GM_DRUM_CHANNEL: [n for ch in by_channel.values() for n in ch
                                        if n.track == number]}
        options = dataclasses.replace(options, channel=GM_DRUM_CHANNEL)
    if chart is not None:              # a Rock Band drum chart: its drum track, as GM notes
        notes, findings = chart
        by_channel, touches, note_map = {GM_DRUM_CHANNEL: notes}, [], GM_NOTES
        options = dataclasses.replace(options, channel=GM_DRUM_CHANNEL, note_map="gm")
    meters, tempos = usable_meta(src, meters, tempos, findings)
    try:
        score, tempo_map, performed, cells = score_from_ticks(
            src, options, note_map, default_meter, tpq, by_channel, tempos, meters, touches,
            last_tick, findings)
    except TooLong as exc:
        return MidiResult(Score(source=src), None, findings=[Finding(
            src, 1, 1, "DT001", f"not a readable MIDI file: {exc}")])
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return MidiResult(score, tempo_map, performed, findings, cells)


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
    register(PARSER)


@hookimpl
def choose_tab_parser(path, text):
    return NAME if str(path).lower().endswith(SUFFIXES) else None


