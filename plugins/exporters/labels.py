"""``labels``: per song a text file of ``time<TAB>label`` lines, the annotation style of
MDB Drums, ENST-Drums and ADTOF, and ``index.csv`` (song, split, file).

With ``vocabulary = ""`` the labels are the export's classes (one line per class a hit maps
to); with ``"mdb"`` they are MDB Drums' classes (KD SD HH TT CY OT), one line per hit, by the
hit's instrument family.
"""
from __future__ import annotations

from dataclasses import dataclass

from drumtabber.errors import ConfigError
from drumtabber.score import Instrument

from .common import PerSongExporter, hits, onset_labels

# MDB Drums' class labels (Southall et al., ISMIR 2017 late-breaking demo: KD kick, SD snare,
# HH hi-hat, TT toms, CY cymbals, OT other) by drumtabber's instrument families: side stick
# and rimshots are snare hits, ride and bell are cymbals, percussion is other.
MDB_BY_FAMILY = {"kick": "KD", "snare": "SD", "hihat": "HH", "tom": "TT", "cymbal": "CY",
                 "ride": "CY"}
MDB_OTHER = "OT"
VOCABULARIES = ("", "mdb")
TIME_FORMAT = "{:.6f}"                  # microseconds, as the datasets' files give them


def mdb_label(instrument: str) -> str:
    """The MDB Drums class of an instrument value (``"kick"`` -> ``"KD"``)."""
    return MDB_BY_FAMILY.get(Instrument(instrument).family, MDB_OTHER)


@dataclass
class LabelsOptions:
    vocabulary: str = ""

    def __post_init__(self):
        if self.vocabulary not in VOCABULARIES:
            raise ConfigError(f"labels.vocabulary: expected one of "
                              f"{', '.join(repr(v) for v in VOCABULARIES)}, "
                              f"found {self.vocabulary!r}")


class LabelsExporter(PerSongExporter):
    name = "labels"
    description = "per song a text file of time<TAB>label lines (MDB Drums / ENST / ADTOF style)"
    Options = LabelsOptions
    suffix = ".txt"

    def write_song(self, example, path, options) -> None:
        if options.vocabulary == "mdb":
            rows = hits(example.onsets)
            times, labels = rows["time"], [mdb_label(i) for i in rows["instrument"]]
        else:
            times, labels = onset_labels(example)
        path.write_text("".join(f"{TIME_FORMAT.format(t)}\t{label}\n"
                                for t, label in zip(times, labels)), encoding="utf-8")

    def read_song(self, path, options):
        lines = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
                 if line.strip()]
        return [float(t) for t, _ in lines], [label for _, label in lines]
