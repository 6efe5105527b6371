"""Built-in exporters, one module per format family:

- ``npz``: frame features and targets in ``.npz`` shards per split;
- ``tfrecord``: one ``tf.train.Example`` per song in TFRecord shards per split;
- ``tables``: ``onsets-csv`` and ``onsets-parquet``, the onset tables of all songs in one file;
- ``labels``: per song a ``time<TAB>label`` text file (MDB Drums / ENST / ADTOF style);
- ``midi``: per song a General MIDI drum file with the song's tempo map;
- ``jams_files``: per song a JAMS file;
- ``common``: what they share (safe file names, ``index.csv``, shards, read-back dicts).
"""
from __future__ import annotations

from drumtabber.hookspecs import hookimpl

from .jams_files import JamsExporter
from .labels import LabelsExporter
from .midi import MidiExporter
from .npz import NpzExporter
from .tables import OnsetTableExporter
from .tfrecord import TfrecordExporter

__version__ = "0.1.0"


@hookimpl
def register_exporters(register):
    for exporter in [NpzExporter(), TfrecordExporter(), OnsetTableExporter("csv"),
                     OnsetTableExporter("parquet"), LabelsExporter(), MidiExporter(),
                     JamsExporter()]:
        register(exporter)
