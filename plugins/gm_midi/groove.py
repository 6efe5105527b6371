"""The Groove MIDI Dataset (Magenta, CC BY 4.0): its Roland TD-11 note map, and the dataset
as a collection of drum performances."""
from __future__ import annotations

import csv
from pathlib import Path

from drumtabber.errors import ConfigError
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Articulation, Instrument

I = Instrument
PLAIN = frozenset()
RIM = frozenset({Articulation.RIMSHOT})

# Roland TD-11 notes as recorded in the Groove MIDI Dataset, after the dataset's page
# (magenta.tensorflow.org/datasets/groove, "Roland Mapping" and "Paper Mapping" columns) and
# Roland's TD-11/TD-17 default note map.  Zones of one pad become one instrument (edge and bow
# alike); the three toms become the GM notes of a three-tom kit (high 50, low-mid 47, high
# floor 43), as the dataset's paper mapping and the ASCII parser's three-tom kit do.
TD11_NOTES: dict[int, tuple[Instrument, frozenset]] = {
    36: (I.KICK, PLAIN),                    # Kick
    38: (I.SNARE, PLAIN),                   # Snare (head)
    40: (I.SNARE, RIM),                     # Snare (rim)
    37: (I.SIDE_STICK, PLAIN),              # Snare X-Stick
    48: (I.TOM_HIGH, PLAIN),                # Tom 1
    50: (I.TOM_HIGH, RIM),                  # Tom 1 (rim)
    45: (I.TOM_LOW_MID, PLAIN),             # Tom 2
    47: (I.TOM_LOW_MID, RIM),               # Tom 2 (rim)
    43: (I.TOM_FLOOR_HIGH, PLAIN),          # Tom 3 (head)
    58: (I.TOM_FLOOR_HIGH, RIM),            # Tom 3 (rim)
    46: (I.HIHAT_OPEN, PLAIN),              # HH open (bow)
    26: (I.HIHAT_OPEN, PLAIN),              # HH open (edge)
    42: (I.HIHAT_CLOSED, PLAIN),            # HH closed (bow)
    22: (I.HIHAT_CLOSED, PLAIN),            # HH closed (edge)
    44: (I.HIHAT_PEDAL, PLAIN),             # HH pedal
    49: (I.CRASH, PLAIN),                   # Crash 1 (bow)
    55: (I.CRASH, PLAIN),                   # Crash 1 (edge)
    57: (I.CRASH2, PLAIN),                  # Crash 2 (bow)
    52: (I.CRASH2, PLAIN),                  # Crash 2 (edge)
    51: (I.RIDE, PLAIN),                    # Ride (bow)
    59: (I.RIDE, PLAIN),                    # Ride (edge)
    53: (I.RIDE_BELL, frozenset({Articulation.BELL})),  # Ride (bell)
}

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
