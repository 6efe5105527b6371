"""``jams``: per song a JAMS file ``{safe id}.jams`` and ``index.csv``.

A file has the song's title and duration and one ``tag_open`` annotation: an observation
per onset row (time, duration 0, the class as value, velocity / 127 as confidence), its
metadata naming drumtabber.  Every file is validated against the JAMS schema before saving.
"""
from __future__ import annotations

from drumtabber import __version__
from drumtabber.components import NoOptions
from drumtabber.errors import DrumtabberError

from .common import PerSongExporter, onset_labels, require_module

NAMESPACE = "tag_open"
INSTALL = "pip install jams (or pip install 'drumtabber[export]')"
MAX_VELOCITY = 127


def _jams():
    return require_module("jams", INSTALL)


def song_jam(jams, example):
    """The ``jams.JAMS`` of one song."""
    times, labels = onset_labels(example)
    duration = max(float(example.duration_s), float(times.max(initial=0.0)))
    jam = jams.JAMS()
    jam.file_metadata.title = example.title or example.song
    jam.file_metadata.duration = duration
    annotation = jams.Annotation(namespace=NAMESPACE, time=0, duration=duration)
    annotation.annotation_metadata = jams.AnnotationMetadata(
        data_source="drumtabber: a drum tab aligned to the recording",
        annotation_tools=f"drumtabber {__version__}",
        curator=jams.Curator(name="drumtabber"))
    annotation.sandbox.song, annotation.sandbox.split = example.song, example.split
    for t, label, velocity in zip(times, labels, example.onsets["velocity"]):
        annotation.append(time=float(t), duration=0.0, value=label,
                          confidence=int(velocity) / MAX_VELOCITY)
    jam.annotations.append(annotation)
    return jam


class JamsExporter(PerSongExporter):
    name = "jams"
    description = "per song a JAMS file with a tag_open annotation of the onsets"
    Options = NoOptions
    suffix = ".jams"

    def write_song(self, example, path, options) -> None:
        jams = _jams()
        jam = song_jam(jams, example)
        try:
            jam.validate()
        except jams.SchemaError as exc:
            raise DrumtabberError(f"song {example.song!r} is not valid JAMS: {exc}") from None
        jam.save(str(path))

    def read_song(self, path, options):
        annotation = _jams().load(str(path)).annotations.search(namespace=NAMESPACE)[0]
        return ([o.time for o in annotation.data], [o.value for o in annotation.data])
