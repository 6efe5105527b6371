"""The onset table: one row per drum stroke, a pandas DataFrame sorted by time.

Every stage that has labels in seconds passes this table on: the alignment of a tab
(:func:`drumtabber.alignment.align`), a render (where each note sounds), a class map (adds
``class``), frame targets and the checks against the audio.  The schema, the check of it and
the file output (CSV, JSON, Parquet) are here and nowhere else.

Columns (``ONSET_COLUMNS``, in this order; ``ONSET_EXTRA_COLUMNS`` when a stage has them):

======================  =========  ==========================================================
time                    float64    seconds from the start of the recording
instrument              str        :class:`~drumtabber.score.Instrument` value (``"kick"``)
gm_note                 int64      General MIDI percussion note
articulation            str        articulation values joined by ``+`` (``""``: plain)
velocity                int64      MIDI velocity 1-127
bar                     int64      1-based bar in playing order (repeats expanded)
beat                    str        exact offset in beats from the bar's start (``"7/3"``)
line, column            int64      where the hit is written in the tab (1-based)
label                   str        the tab's label of the hit's line
written_bar             int64      the bar as written in the tab (1-based)
repeat_pass             int64      which pass of a repeat (1-based)
stroke                  int64      1, or 2 for the second stroke of a double
======================  =========  ==========================================================

Extra columns: ``time_exact`` (object: the exact :class:`~fractions.Fraction` seconds of the
tempo map), ``midi_time`` and ``score_time`` (float64, a render's MIDI time and the tempo map's
time before a score augmenter moved it), ``key`` and ``tick`` (int64, the kit's MIDI key and
the note's tick), ``class`` (str, the class of a class map), ``confidence``
(float64, a transcription's activation at the onset), ``event`` (int64, the note's index in ``Score.sorted_events()``: what a render plays, :func:`drumtabber.audio.render.score_onsets`),
``unlabelled`` (bool, a note a render plays that is no label: the foot closing an open
hi-hat; :func:`drumtabber.audio.render.labelled_onsets` drops those rows).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import DrumtabberError
from .outputs import output_files

if TYPE_CHECKING:
    import pandas as pd

ONSET_COLUMNS = {
    "time": "float64", "instrument": "str", "gm_note": "int64", "articulation": "str",
    "velocity": "int64", "bar": "int64", "beat": "str", "line": "int64", "column": "int64",
    "label": "str", "written_bar": "int64", "repeat_pass": "int64", "stroke": "int64",
}
ONSET_EXTRA_COLUMNS = {
    "time_exact": "object", "midi_time": "float64", "score_time": "float64", "key": "int64",
    "tick": "int64", "class": "str", "event": "int64", "confidence": "float64",
    "unlabelled": "bool",
}
# Columns a table must have to be an onset table at all (a render or a MIDI performance
# has no tab position).
REQUIRED_COLUMNS = ("time", "instrument", "gm_note", "articulation", "velocity")
# The columns of a render's onset table file (``render --onsets``).
RENDER_COLUMNS = ["time", "midi_time", "score_time", "instrument", "gm_note", "key",
                  "velocity", "articulation", "bar", "beat", "tick"]
TABLE_FORMATS = {".csv": "csv", ".json": "json", ".parquet": "parquet"}


def _dtype(name: str) -> str:
    return ONSET_COLUMNS.get(name) or ONSET_EXTRA_COLUMNS.get(name) or "object"


def onset_table(rows) -> "pd.DataFrame":
    """An onset table from row dicts (or a DataFrame): known columns in schema order with
    their dtypes, then any others, sorted by time (then GM note), index 0..n-1."""
    import pandas as pd
    frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    known = [c for c in [*ONSET_COLUMNS, *ONSET_EXTRA_COLUMNS] if c in frame.columns]
    frame = frame[known + [c for c in frame.columns if c not in known]]
    if frame.empty and not len(frame.columns):
        frame = pd.DataFrame({c: pd.Series(dtype=_pandas_dtype(t))
                              for c, t in ONSET_COLUMNS.items()})
    for column in known:
        frame[column] = frame[column].astype(_pandas_dtype(_dtype(column)))
    if len(frame):
        frame = frame.sort_values(["time", "gm_note"] if "gm_note" in frame else ["time"],
                                  kind="stable")
    return frame.reset_index(drop=True)


def _pandas_dtype(name: str):
    return object if name == "object" else name


def check_onset_table(frame) -> None:
    """Raise :class:`DrumtabberError` unless ``frame`` is an onset table: the required
    columns, each known column of its dtype, finite times sorted in increasing order."""
    import numpy as np
    import pandas as pd
    if not isinstance(frame, pd.DataFrame):
        raise DrumtabberError(f"an onset table is a pandas DataFrame, found {type(frame).__name__}")
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise DrumtabberError(f"onset table lacks column(s) {', '.join(missing)}")
    for column in frame.columns:
        want = _dtype(column)
        have = frame[column].dtype
        ok = (pd.api.types.is_string_dtype(have) if want == "str" else
              have == object if want == "object" else str(have) == want)
        if not ok:
            raise DrumtabberError(f"onset table column {column!r} is {have}, expected {want}")
    times = frame["time"].to_numpy()
    if not np.all(np.isfinite(times)):
        raise DrumtabberError("onset table has times that are not finite numbers")
    if np.any(np.diff(times) < 0):
        raise DrumtabberError("onset table is not sorted by time")


def _records(frame, columns) -> list[dict]:
    """Rows as dicts of plain Python values (JSON-ready)."""
    out = []
    for row in frame[columns].itertuples(index=False, name=None):
        out.append({c: (v.item() if hasattr(v, "item") else v) for c, v in zip(columns, row)})
    return out


def format_table(frame, columns: list[str], fmt: str, *, float_format: str | None = None) -> str:
    """A table as CSV text (header + one line per row; floats as ``float_format``, e.g.
    ``"%.6f"``, else in full) or a JSON list of objects."""
    columns = [c for c in columns if c in frame.columns]
    if fmt == "json":
        return json.dumps(_records(frame, columns), indent=1)
    if fmt != "csv":
        raise DrumtabberError(f"table format: expected csv or json, found {fmt!r}")
    return frame[columns].to_csv(index=False, lineterminator="\n", float_format=float_format)


def write_table(frame, path, columns: list[str] | None = None, *,
                float_format: str | None = None) -> Path:
    """Write a table as .csv, .json or .parquet (by the file's ending), complete or not at all
    (:func:`drumtabber.outputs.output_files`)."""
    path = Path(path)
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DrumtabberError(f"a table file ends in {', '.join(TABLE_FORMATS)}", path=path)
    columns = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    with output_files(path) as (partial,):
        if fmt == "parquet":
            plain = frame[[c for c in columns if _dtype(c) != "object"]]
            plain.to_parquet(partial, index=False)
        else:
            partial.write_text(format_table(frame, columns, fmt, float_format=float_format),
                               encoding="utf-8")
    return path


def read_table(path) -> "pd.DataFrame":
    """Read an onset table file written by :func:`write_table`."""
    import pandas as pd
    path = Path(path)
    fmt = TABLE_FORMATS.get(path.suffix.lower())
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        elif fmt == "json":
            frame = pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
        elif fmt == "csv":
            frame = pd.read_csv(path, dtype={"beat": str, "articulation": str, "label": str},
                                keep_default_na=False)
        else:
            raise DrumtabberError(f"a table file ends in {', '.join(TABLE_FORMATS)}", path=path)
    except (OSError, ValueError) as exc:
        raise DrumtabberError(f"cannot read the onset table: {exc}", path=path) from None
    return onset_table(frame)


def instrument_families(frame):
    """The instrument family of each row (``"kick"``, ``"hihat"``, ...), a numpy array."""
    import numpy as np

    from .score import Instrument
    family = {i.value: i.family for i in Instrument}
    return np.array([family[v] for v in frame["instrument"]], dtype=object)
