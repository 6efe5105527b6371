"""``onsets-csv`` and ``onsets-parquet``: the onset table of every song in one file.

``onsets.csv`` / ``onsets.parquet`` has the columns ``TABLE_COLUMNS``: the song id and its
split, then the onset table's time, instrument, GM note, articulation, velocity and class
(one row per class a hit maps to).  Both are written song by song: CSV appended (one header),
Parquet with one row group per song.  A song without onsets has no rows.
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from drumtabber.components import NoOptions
from drumtabber.outputs import output_files

from .common import read_back, require_module

TABLE_COLUMNS = {"song": "str", "split": "str", "time": "float64", "instrument": "str",
                 "gm_note": "int64", "articulation": "str", "velocity": "int64",
                 "class": "str"}
INSTALL = "pip install 'drumtabber[audio]'"


def song_table(example):
    """The rows of one song: its onset table with ``song`` and ``split`` in front."""
    frame = example.onsets.assign(song=example.song, split=example.split)
    return frame[list(TABLE_COLUMNS)].astype(TABLE_COLUMNS)


@contextmanager
def _csv_appender(path: Path):
    with open(path, "w", encoding="utf-8", newline="") as f:
        def append(frame):
            frame.to_csv(f, index=False, header=f.tell() == 0, lineterminator="\n")
        yield append
        if f.tell() == 0:                      # no song: the header alone
            append(_empty())


@contextmanager
def _parquet_appender(path: Path):
    pa = require_module("pyarrow", INSTALL)
    pq = require_module("pyarrow.parquet", INSTALL)
    schema = pa.Schema.from_pandas(_empty(), preserve_index=False)
    with pq.ParquetWriter(path, schema) as writer:
        yield lambda frame: writer.write_table(
            pa.Table.from_pandas(frame, schema=schema, preserve_index=False))


def _empty():
    import pandas as pd
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in TABLE_COLUMNS.items()})


class OnsetTableExporter:
    """One exporter per table format (``csv`` or ``parquet``)."""

    Options = NoOptions
    APPENDERS = {"csv": _csv_appender, "parquet": _parquet_appender}

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.name = f"onsets-{fmt}"
        self.description = f"the onset tables of all songs in one {fmt.capitalize()} file"

    def path(self, out_dir) -> Path:
        return Path(out_dir) / f"onsets.{self.fmt}"

    def export(self, examples, out_dir, options) -> list[Path]:
        path = self.path(out_dir)
        with output_files(path) as (partial,), self.APPENDERS[self.fmt](partial) as append:
            for example in examples:
                append(song_table(example))
        return [path]

    def read_table(self, out_dir):
        """The whole table, as written."""
        import pandas as pd
        path = self.path(out_dir)
        if self.fmt == "parquet":
            return pd.read_parquet(path).astype(TABLE_COLUMNS)
        return pd.read_csv(path, dtype=TABLE_COLUMNS, keep_default_na=False)

    def read(self, out_dir, options) -> list[dict]:
        table = self.read_table(out_dir)
        return [read_back(song, rows["split"].iloc[0], times=rows["time"].to_numpy(),
                          labels=list(rows["class"]))
                for song, rows in table.groupby("song", sort=True)]
