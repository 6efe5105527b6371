"""``midi``: per song a General MIDI drum file ``{safe id}.mid`` and ``index.csv``.

Every hit (one note per hit, not per class) sounds at its label time: the file carries the
song's tempo map and meters (:func:`drumtabber.audio.render.score_to_midi`) and each hit
plays its score event, moved to the label's time when it differs (a humanised or stretched
copy).  A song without a score, or whose onset table has no bar and beat to find the events
by, is written at a constant 120 quarters a minute instead.  Note times come back to within
half a tick (0.26 ms at 120 BPM; 960 ticks a quarter).
"""
from __future__ import annotations

from drumtabber.audio.render import labels_to_midi, midi_note_times
from drumtabber.components import NoOptions
from drumtabber.score import Instrument

from .common import PerSongExporter, hits

def song_midi(example):
    """The ``mido.MidiFile`` of one song."""
    return labels_to_midi(hits(example.onsets), example.score, example.tempo_map)


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
