"""MusicXML percussion parts (``.musicxml``, ``.xml``, ``.mxl``): the built-in ``musicxml``
parser plugin, on music21.

music21 gives the structure: measures (repeats expanded), time signatures, tempo marks and
each note's offset.  Each note's drum comes from its ``<instrument>``: the part list's
``<midi-unpitched>`` of that instrument, which is 1-based (39 means General MIDI 38, the
snare); a note without one is read by its staff position as common drum notation writes it
(F4 kick, C5 snare, E5 tom, G5 hi-hat, F5 ride, A5 crash; the writer of ``transcribe``
uses the same).  The file's tempo gives the tempo map (120 quarters a minute when it has
none), so a MusicXML file carries its own timing.
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

from drumtabber.components import ParseResult
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Bar, Event, Instrument, Meter, Score
from drumtabber.tempo import TempoMap

__version__ = "0.1.0"

SUFFIXES = (".musicxml", ".mxl", ".xml")
DEFAULT_QPM = 120
BY_POSITION = {("F", 4): Instrument.KICK, ("C", 5): Instrument.SNARE,
               ("E", 5): Instrument.TOM_HIGH, ("D", 5): Instrument.TOM_HIGH_MID,
               ("A", 4): Instrument.TOM_FLOOR_HIGH, ("G", 5): Instrument.HIHAT_CLOSED,
               ("F", 5): Instrument.RIDE, ("A", 5): Instrument.CRASH,
               ("D", 4): Instrument.HIHAT_PEDAL}


@dataclass
class MusicXmlOptions:
    part: str = ""                   # the part's name or id to read ("": the first with drums)


def _xml_text(path: Path, data: bytes) -> bytes:
    """The score's XML (an ``.mxl`` is a zip with the score named in its container)."""
    if data[:2] != b"PK":
        return data
    with zipfile.ZipFile(Path(path)) as z:
        names = [n for n in z.namelist() if n.endswith((".xml", ".musicxml"))
                 and not n.startswith("META-INF")]
        return z.read(names[0])


def instrument_keys(xml: bytes) -> dict[tuple, int]:
    """(part index, measure number, offset in quarters, step, octave) -> General MIDI note of
    every unpitched note whose ``<instrument>`` has a ``<midi-unpitched>``."""
    root = ElementTree.fromstring(xml)
    midi = {m.get("id"): int(m.findtext("midi-unpitched")) - 1
            for m in root.iter("midi-instrument") if m.findtext("midi-unpitched")}
    out = {}
    for index, part in enumerate(root.iter("part")):
        divisions = 1
        for measure in part.iter("measure"):
            now = last = Fraction(0)
            for item in measure:
                if item.tag == "attributes" and item.findtext("divisions"):
                    divisions = int(item.findtext("divisions"))
                elif item.tag in ("backup", "forward"):
                    step = Fraction(int(item.findtext("duration") or 0), divisions)
                    now += -step if item.tag == "backup" else step
                elif item.tag == "note":
                    at = last if item.find("chord") is not None else now
                    un = item.find("unpitched")
                    inst = item.find("instrument")
                    if un is not None and inst is not None and inst.get("id") in midi:
                        out[(index, measure.get("number"), at,
                             un.findtext("display-step"), int(un.findtext("display-octave")))
                            ] = midi[inst.get("id")]
                    if item.find("chord") is None:
                        last = now
                        now += Fraction(int(item.findtext("duration") or 0), divisions)
    return out


def read_musicxml(data: bytes, path, options: MusicXmlOptions) -> ParseResult:
    from music21 import converter
    src = str(path)
    try:
        xml = _xml_text(Path(path), data)
        keys = instrument_keys(xml)
        parsed = converter.parseData(xml.decode("utf-8"), format="musicxml")
    except Exception as exc:                         # music21 and ElementTree raise anything
        return ParseResult(Score(source=src), [Finding(src, 1, 1, "DT001", "not a readable "
                                                       f"MusicXML file: {exc}"[:300])])
    findings: list[Finding] = []
    parts = [p for p in parsed.parts if p.recurse().getElementsByClass("Unpitched")
             or p.recurse().getElementsByClass("PercussionChord")]
    if options.part:
        parts = [p for p in parsed.parts if options.part in (p.id, p.partName)]
    if not parts:
        return ParseResult(Score(source=src), [Finding(src, 1, 1, "DT002", "no percussion "
                                                       "part (unpitched notes) found")])
    part = parts[0]
    part_id = list(parsed.parts).index(part)
    try:
        part = part.expandRepeats()
    except Exception as exc:                         # broken repeat marks: as written
        findings.append(Finding(src, 1, 1, "DT114", f"repeats not expanded: {exc}"[:200]))
    bars, events, tempos, meter, quarters = [], [], [], Meter(4, 4), Fraction(0)
    for k, m in enumerate(part.getElementsByClass("Measure")):
        ts = m.timeSignature
        if ts is not None:
            meter = Meter(ts.numerator, ts.denominator)
        bars.append(Bar(k, meter, int(m.number or k + 1)))
        for mark in m.recurse().getElementsByClass("MetronomeMark"):
            qpm = mark.getQuarterBPM() if mark.number or mark.numberSounding else None
            if qpm:
                tempos.append((quarters + Fraction(mark.offset).limit_denominator(960),
                               Fraction(qpm).limit_denominator(1000)))
        for n in m.recurse().notes:
            offset = Fraction(n.getOffsetInHierarchy(m)).limit_denominator(960)
            tied = n.tie is not None and n.tie.type in ("stop", "continue")
            for x in (n.notes if hasattr(n, "notes") else [n]):
                if type(x).__name__ != "Unpitched" or tied or (
                        x.tie is not None and x.tie.type in ("stop", "continue")):
                    continue                  # a tied continuation is no new stroke
                key = (part_id, str(m.number), offset, x.displayStep, x.displayOctave)
                instrument = (Instrument.from_gm_note(keys[key]) if key in keys else
                              BY_POSITION.get((x.displayStep, x.displayOctave)))
                if instrument is None:
                    findings.append(Finding(src, int(m.number or k + 1), 1, "DT101",
                                            f"measure {m.number}: no drum for a note at "
                                            f"{x.displayStep}{x.displayOctave}; skipped"))
                    continue
                events.append(Event(k, offset * meter.denominator / 4, instrument,
                                    velocity=int(x.volume.velocity or 96),
                                    written_bar=int(m.number or k + 1), source=src))
        quarters += Fraction(meter.numerator * 4, meter.denominator)
    score = Score(bars=bars, events=sorted(events, key=lambda e: (e.bar, e.beat, e.gm_note)),
                  source=src)
    first = tempos[0][1] if tempos and tempos[0][0] == 0 else Fraction(DEFAULT_QPM)
    tempo_map = TempoMap(bars, qpm=first, changes=[t for t in tempos if t[0] > 0]) if bars \
        else None
    performed = ([float(tempo_map.quarters_to_seconds(tempo_map.position_to_quarters(
        e.bar, e.beat))) for e in score.events] if tempo_map else None)
    return ParseResult(score, findings, tempo_map=tempo_map, performed_s=performed)


class MusicXmlParser:
    name = "musicxml"
    description = "MusicXML percussion parts (.musicxml, .xml, .mxl; music21)"
    Options = MusicXmlOptions
    suffixes = SUFFIXES
    binary = True

    def parse(self, data, *, path="<musicxml>", options=None, hints=None) -> ParseResult:
        if isinstance(data, str):
            data = data.encode("utf-8")
        return read_musicxml(data, path, options or MusicXmlOptions())


@hookimpl
def register_tab_parsers(register):
    register(MusicXmlParser())


@hookimpl
def choose_tab_parser(path, text):
    return "musicxml" if str(path).lower().endswith(SUFFIXES) else None
