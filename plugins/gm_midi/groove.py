"""The Groove MIDI Dataset (Magenta, CC BY 4.0) as a collection of drum performances."""
from __future__ import annotations

import csv
from pathlib import Path

from drumtabber.errors import ConfigError
from drumtabber.hookspecs import hookimpl

GROOVE_INDEX = "info.csv"
GROOVE_COLUMNS = {"id", "split", "beat_type", "time_signature", "duration", "midi_filename"}


@hookimpl
def list_performances(folder):
    """The Groove MIDI Dataset's performances from its ``info.csv`` (Gillick et al. 2019):
    its own train/validation/test split, beat or fill, meter ("4-4" there, "4/4" here),
    duration, tempo, drummer and style; ``index``: the info.csv file."""
    index = Path(folder) / GROOVE_INDEX
    if not index.is_file():
        return None
    with open(index, newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh)
        missing = GROOVE_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise ConfigError(f"not a Groove MIDI Dataset index: no column "
                              f"{', '.join(sorted(missing))} (expected "
                              f"{', '.join(sorted(GROOVE_COLUMNS))})", path=index)
        rows = []
        for no, r in enumerate(reader, 2):
            try:
                duration = float(r["duration"])
            except (TypeError, ValueError):
                raise ConfigError(f"duration: expected seconds, found {r['duration']!r}",
                                  path=index, line=no) from None
            rows.append({"id": r["id"], "midi_path": Path(folder) / r["midi_filename"],
                         "split": r["split"], "kind": r["beat_type"],
                         "meter": r["time_signature"].replace("-", "/"),
                         "duration_s": duration, "bpm": r.get("bpm"),
                         "drummer": r.get("drummer"), "style": r.get("style"),
                         "index": index})
    return sorted(rows, key=lambda r: r["id"])
