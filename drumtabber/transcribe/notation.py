"""A transcribed score as MusicXML percussion (music21), so notation programs open it: one
percussion staff, each hit an unpitched note on its instrument's usual line, hits at one
position a chord, rests between."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from ..score import Instrument, Score

# The staff position (display step and octave) of each instrument family in common drum
# notation; the rest sit on the middle line.
DISPLAY = {"kick": ("F", 4), "snare": ("C", 5), "tom": ("E", 5), "hihat": ("G", 5),
           "cymbal": ("A", 5), "ride": ("F", 5)}


def _unpitched(instrument: Instrument, quarters: Fraction):
    from music21 import note
    n = note.Unpitched()
    step, octave = DISPLAY.get(instrument.family, ("B", 4))
    n.displayStep, n.displayOctave = step, octave
    n.notehead = "x" if instrument.family in ("hihat", "cymbal", "ride") else "normal"
    n.quarterLength = quarters
    return n


def write_musicxml(score: Score, path: Path, *, title: str = "") -> Path:
    """Write ``score`` as a MusicXML file."""
    from music21 import clef, instrument, metadata, meter, note, percussion, stream
    part = stream.Part()
    part.insert(0, instrument.UnpitchedPercussion())
    by_bar: dict[int, dict[Fraction, list]] = {}
    for e in score.events:
        by_bar.setdefault(e.bar, {}).setdefault(Fraction(e.beat), []).append(e.instrument)
    previous = None
    for bar in score.bars:
        quarter = Fraction(4, bar.meter.denominator)
        length = bar.meter.numerator * quarter
        m = stream.Measure(number=bar.index + 1)
        if bar.index == 0:
            m.insert(0, clef.PercussionClef())
        if bar.meter != previous:
            m.insert(0, meter.TimeSignature(f"{bar.meter.numerator}/{bar.meter.denominator}"))
            previous = bar.meter
        hits = sorted(by_bar.get(bar.index, {}).items())
        points = [b * quarter for b, _ in hits]
        if not points or points[0] > 0:
            m.append(note.Rest(quarterLength=points[0] if points else length))
        for k, (at, (_, instruments)) in enumerate(zip(points, hits)):
            gap = (points[k + 1] if k + 1 < len(points) else length) - at
            # a stroke lasts to the next one or the next beat, whichever comes first, and
            # rests fill the rest: a note across a beat would be split into two strokes
            duration = min(gap, (at // quarter + 1) * quarter - at)
            notes = [_unpitched(i, duration) for i in sorted(set(instruments),
                                                             key=lambda i: i.gm_note)]
            m.append(notes[0] if len(notes) == 1 else percussion.PercussionChord(
                notes, quarterLength=duration))
            if gap > duration:
                m.append(note.Rest(quarterLength=gap - duration))
        part.append(m)
    out = stream.Score()
    out.metadata = metadata.Metadata(title=title or "drum transcription")
    out.insert(0, part)
    out.write("musicxml", fp=str(path), makeNotation=True)
    return Path(path)
