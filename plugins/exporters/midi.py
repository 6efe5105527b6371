"""``midi``: per song a General MIDI drum file ``{safe id}.mid`` and ``index.csv``.

Every hit (one note per hit, not per class) sounds at its label time: the file carries the
song's tempo map and meters (:func:`drumtabber.audio.render.score_to_midi`) and each hit
plays its score event, moved to the label's time when it differs (a humanised or stretched
copy).  A song without a score, or whose onset table has no bar and beat to find the events
by, is written at a constant 120 quarters a minute instead.  Note times come back to within
half a tick (0.26 ms at 120 BPM; 960 ticks a quarter).
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from fractions import Fraction

from drumtabber.audio.render import TICKS_PER_QUARTER, midi_note_times, score_to_midi
from drumtabber.components import NoOptions
from drumtabber.score import Bar, Event, Instrument, Meter, Score
from drumtabber.tempo import TempoMap

from .common import PerSongExporter, hits

# The tempo of a file without a tempo map (the MIDI default: 500000 us a quarter).
FALLBACK_QPM = 120


@dataclass(frozen=True)
class GeneralMidiKit:
    """What :func:`score_to_midi` needs of a kit: General MIDI drums on channel 10
    (index 9), bank 128, program 0, each instrument on its GM note."""

    name: str = "general-midi"
    channel: int = 9
    bank: int = 128
    program: int = 0

    def key_for(self, instrument: Instrument) -> int:
        return instrument.gm_note


GM_KIT = GeneralMidiKit()


def played_rows(rows, event_index):
    import pandas as pd
    return pd.DataFrame({"event": event_index, "time": rows["time"].to_numpy(),
                         "velocity": rows["velocity"].to_numpy()})


def score_played(score: Score, rows):
    """What :func:`score_to_midi` plays for these hits: each row's event is its
    instrument's last event in its bar at or before its beat (the event at its position,
    or the double whose second stroke it is); None when a row has no such event."""
    if not {"bar", "beat"} <= set(rows.columns):
        return None
    events: dict[tuple, tuple[list, list]] = {}
    for i, e in enumerate(score.sorted_events()):     # sorted by bar, then beat
        beats, index = events.setdefault((e.bar, e.instrument.value), ([], []))
        beats.append(e.beat)
        index.append(i)
    chosen = []
    for bar, beat, instrument in zip(rows["bar"], rows["beat"], rows["instrument"]):
        beats, index = events.get((int(bar) - 1, instrument), ([], []))
        k = bisect.bisect_right(beats, Fraction(beat)) - 1
        if k < 0:
            return None
        chosen.append(index[k])
    return played_rows(rows, chosen)


def constant_tempo_score(rows):
    """A 4/4 score at ``FALLBACK_QPM`` with one event per hit on the tick nearest its time,
    its tempo map and what to play (each hit at its own time)."""
    qpm, tpq = FALLBACK_QPM, TICKS_PER_QUARTER
    quarters = [Fraction(max(0, round(t * qpm / 60 * tpq)), tpq) for t in rows["time"]]
    bars = [Bar(i, Meter(4, 4), i + 1) for i in range(int(max(quarters, default=0) // 4) + 1)]
    events = [Event(int(q // 4), q % 4, Instrument(i), velocity=int(v))
              for q, i, v in zip(quarters, rows["instrument"], rows["velocity"])]
    order = sorted(range(len(events)),
                   key=lambda k: (events[k].bar, events[k].beat, events[k].gm_note))
    score = Score(bars=bars, events=[events[k] for k in order])
    return score, TempoMap(bars, qpm=qpm), played_rows(rows.iloc[order], range(len(order)))


def song_midi(example):
    """The ``mido.MidiFile`` of one song."""
    rows = hits(example.onsets)
    played = None
    if example.score is not None and example.tempo_map is not None:
        played = score_played(example.score, rows)
    if played is None:
        score, tempo_map, played = constant_tempo_score(rows)
    else:
        score, tempo_map = example.score, example.tempo_map
    midi, _ = score_to_midi(score, tempo_map, kit=GM_KIT, played=played)
    return midi


class MidiExporter(PerSongExporter):
    name = "midi"
    description = "per song a General MIDI drum file with the song's tempo map"
    Options = NoOptions
    suffix = ".mid"

    def write_song(self, example, path, options) -> None:
        song_midi(example).save(path)

    def read_song(self, path, options):
        import mido
        notes = midi_note_times(mido.MidiFile(path))
        return ([t for _, _, t in notes],
                [Instrument.from_gm_note(key).value for _, key, _ in notes])
