"""Guitar Pro 3-5 drum tracks (``.gp3``, ``.gp4``, ``.gp5``, ``.gtp``): the built-in
``guitarpro`` parser plugin, on pyguitarpro, through the core's tick pipeline
(:mod:`drumtabber.tabs.ticks`): a Guitar Pro file carries its own timing.

The percussion track is read (the first, or option ``track`` by name); a drum note's fret
value is its General MIDI key.  Measures are unrolled through their repeats (a repeat
closed with ``n`` plays its section ``n`` times, twice when the file says less; alternate
endings play on the passes they name); each measure's time signature is its meter; the
song's tempo and the tempo changes of mix tables give the tempo map.  Ghost notes get
velocity 40, accented ones 127; a tied note is no new stroke.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from drumtabber.components import ParseResult
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Meter, Score
from drumtabber.tabs.ticks import GM_NOTES, TickNote, TickOptions, score_from_ticks

__version__ = "0.1.0"

SUFFIXES = (".gp3", ".gp4", ".gp5", ".gtp")
QUARTER = 960                       # Guitar Pro's ticks per quarter note
GHOST_VELOCITY, ACCENT_VELOCITY = 40, 127
MAX_PLAYED_MEASURES = 10_000


@dataclass
class GuitarProOptions:
    track: str = ""                 # the drum track's name ("": the first percussion track)


def playing_order(headers) -> list[tuple[int, int]]:
    """(measure index, pass) in playing order, repeats unrolled."""
    order, i, start, pass_no = [], 0, 0, 1
    while i < len(headers) and len(order) < MAX_PLAYED_MEASURES:
        h = headers[i]
        if h.isRepeatOpen and i != start:        # a new section starts here
            start, pass_no = i, 1
        ending = h.repeatAlternative or 0
        if not ending or ending & (1 << (pass_no - 1)):
            order.append((i, pass_no))
        if h.repeatClose is not None and h.repeatClose >= 0:
            if pass_no < max(2, h.repeatClose):
                pass_no += 1
                i = start
                continue
            start, pass_no = i + 1, 1            # a later close repeats from here
        i += 1
    return order


def read_guitar_pro(data: bytes, path, options: GuitarProOptions) -> ParseResult:
    import guitarpro
    src = str(path)
    try:
        song = guitarpro.parse(io.BytesIO(data))
    except Exception as exc:                 # pyguitarpro raises anything on a broken file
        return ParseResult(Score(source=src), [Finding(
            src, 1, 1, "DT001", f"not a readable Guitar Pro file: {type(exc).__name__}: "
            f"{exc}"[:300])])
    tracks = [t for t in song.tracks if (t.name.strip() == options.track if options.track
                                         else t.isPercussionTrack)]
    if not tracks:
        names = ", ".join(repr(t.name) for t in song.tracks)
        wanted = f"track named {options.track!r}" if options.track else "percussion track"
        return ParseResult(Score(source=src), [Finding(
            src, 1, 1, "DT002", f"no {wanted} found; tracks: {names}")])
    track = tracks[0]
    headers = [m.header for m in track.measures]
    notes, tempos, meters, findings = [], [(0, round(60_000_000 / song.tempo), 1, 1)], [], []
    tick = 0
    for k, (i, _) in enumerate(playing_order(headers)):
        measure, header = track.measures[i], headers[i]
        meter = Meter(header.timeSignature.numerator, header.timeSignature.denominator.value)
        meters.append((tick, meter, i + 1, 1))
        for voice in measure.voices:
            for beat in voice.beats:
                at = tick + beat.start - header.start
                change = getattr(beat.effect, "mixTableChange", None)
                if change is not None and change.tempo is not None and change.tempo.value > 0:
                    tempos.append((at, round(60_000_000 / change.tempo.value), i + 1, 1))
                for note in beat.notes:
                    if note.type in (guitarpro.NoteType.tie, guitarpro.NoteType.rest):
                        continue              # a tied note is no new stroke
                    velocity = (GHOST_VELOCITY if note.effect.ghostNote else
                                ACCENT_VELOCITY if note.effect.accentuatedNote else
                                note.velocity)
                    notes.append(TickNote(at, note.value, velocity, i + 1, 1))
        tick += QUARTER * 4 * meter.numerator // meter.denominator
    score, tempo_map, performed, _ = score_from_ticks(
        src, TickOptions(), GM_NOTES, meters[0][1] if meters else Meter(4, 4), QUARTER,
        {10: notes}, tempos, meters, [], tick, findings)
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return ParseResult(score, findings, tempo_map=tempo_map,
                       performed_s=performed if tempo_map else None)


class GuitarProParser:
    name = "guitarpro"
    description = "Guitar Pro 3-5 drum tracks (.gp3, .gp4, .gp5, .gtp; pyguitarpro)"
    Options = GuitarProOptions
    suffixes = SUFFIXES
    binary = True

    def parse(self, data, *, path="<guitarpro>", options=None, hints=None) -> ParseResult:
        return read_guitar_pro(data, path, options or GuitarProOptions())


@hookimpl
def register_tab_parsers(register):
    register(GuitarProParser())


@hookimpl
def choose_tab_parser(path, text):
    return "guitarpro" if str(path).lower().endswith(SUFFIXES) else None
