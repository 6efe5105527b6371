"""Rock Band / Phase Shift ``notes.mid`` drum charts, read by the ``midi`` parser when the file
has a ``PART REAL_DRUMS_PS`` or ``PART DRUMS`` track (that one is read, the first when both):

====================  ================================================================
note                  drum (expert difficulty)
====================  ================================================================
96, 95 (2x kick)      kick
97                    snare
98 / 99 / 100         hi-hat / ride / crash; high / mid / floor tom while tom marker
                      110 / 111 / 112 is held (pro drums)
====================  ================================================================

The text events ``[mix 3 drumsNd]`` switch the disco flip on for expert (snare and hi-hat
swap places) until the next ``[mix 3 drumsN]``.  ``song.ini``'s ``delay`` (ms) is reported
for the alignment file's ``offset_s``.  The tempo map and meters are the file's own.
"""
from __future__ import annotations

import re
from pathlib import Path

from drumtabber.findings import Finding
from drumtabber.score import Instrument as I
from drumtabber.tabs.ticks import TickNote

DRUM_TRACKS = ("PART REAL_DRUMS_PS", "PART DRUMS")
PADS = {96: "kick", 95: "kick", 97: "red", 98: "yellow", 99: "blue", 100: "green"}
TOM_MARKERS = {110: "yellow", 111: "blue", 112: "green"}
CYMBALS = {"kick": I.KICK, "red": I.SNARE, "yellow": I.HIHAT_CLOSED, "blue": I.RIDE,
           "green": I.CRASH}
TOMS = {"yellow": I.TOM_HIGH, "blue": I.TOM_HIGH_MID, "green": I.TOM_FLOOR_HIGH}
MIX = re.compile(r"\[mix\s+3\s+drums\d(d?)")
DISCO = {"red": "yellow", "yellow": "red"}


def drum_track(midi):
    """``(track number, track)`` of the chart's drum part, or None for another MIDI file."""
    named = {getattr(t, "name", "").strip(): (k, t) for k, t in enumerate(midi.tracks, 1)}
    return next((named[n] for n in DRUM_TRACKS if n in named), None)


def _spans(events, note):
    """Tick intervals during which ``note`` is held."""
    spans, start = [], None
    for tick, msg in events:
        if msg.type in ("note_on", "note_off") and msg.note == note:
            if msg.type == "note_on" and msg.velocity > 0:
                start = tick if start is None else start
            elif start is not None:
                spans.append((start, tick))
                start = None
    return spans


def rock_band_notes(track_no: int, track, path) -> tuple[list[TickNote], list[Finding]]:
    """The expert drum hits of a Rock Band drum track as General MIDI notes."""
    events, tick = [], 0
    for msg in track:
        tick += msg.time
        events.append((tick, msg))
    toms = {TOM_MARKERS[n]: _spans(events, n) for n in TOM_MARKERS}
    findings = []
    delay = _ini_delay(Path(path))
    if delay:
        findings.append(Finding(str(path), 1, 1, "DT111", f"song.ini delay {delay:g} ms: the "
                                "audio starts that much later (the alignment's offset_s)"))
    notes, disco = [], False
    for k, (tick, msg) in enumerate(events, 1):
        if msg.type == "text" or msg.type == "lyrics":
            m = MIX.search(getattr(msg, "text", ""))
            if m:
                disco = bool(m.group(1))
            continue
        if msg.type != "note_on" or msg.velocity == 0 or msg.note not in PADS:
            continue
        pad = PADS[msg.note]
        if disco:
            pad = DISCO.get(pad, pad)
        tom = pad in TOMS and any(a <= tick < b for a, b in toms[pad])
        instrument = TOMS[pad] if tom else CYMBALS[pad]
        notes.append(TickNote(tick, instrument.gm_note, msg.velocity, track_no, k))
    return notes, findings


def _ini_delay(path: Path) -> float:
    ini = path.parent / "song.ini"
    if not ini.is_file():
        return 0.0
    for line in ini.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip().lower() == "delay":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 0.0
