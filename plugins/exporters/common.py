"""What the exporters share: safe file names, ``index.csv``, sharding by split, one row per
hit, a song's onset times and labels, and the read-back dict."""
from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np

from drumtabber.errors import ConfigError, DrumtabberError
from drumtabber.outputs import output_files, partial_path

INDEX = "index.csv"
INDEX_COLUMNS = ("song", "split", "file")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class SafeNames:
    """File names for song ids: characters outside ``[A-Za-z0-9._-]`` become ``_``; a name
    already given (ignoring case, for case-insensitive file systems) gets ``-2``, ``-3``;
    leading dots go (no hidden files)."""

    def __init__(self):
        self.used: set[str] = set()

    def __call__(self, song: str) -> str:
        base = _UNSAFE.sub("_", song).lstrip(".") or "_"
        name, k = base, 1
        while name.lower() in self.used:
            k += 1
            name = f"{base}-{k}"
        self.used.add(name.lower())
        return name


def write_index(out_dir: Path, rows: list[tuple[str, str, str]]) -> Path:
    """``index.csv`` (song, split, file) of a format with one file per song."""
    path = Path(out_dir) / INDEX
    with output_files(path) as (partial,):
        with open(partial, "w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f, lineterminator="\n")
            writer.writerow(INDEX_COLUMNS)
            writer.writerows(rows)
    return path


def read_index(out_dir: Path) -> list[dict]:
    """The rows of ``index.csv``, sorted by song."""
    path = Path(out_dir) / INDEX
    try:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    except OSError as exc:
        raise DrumtabberError(f"cannot read the index: {exc.strerror or exc}", path=path) from None
    return sorted(rows, key=lambda r: r["song"])


class PerSongExporter:
    """A format with one file per song (``{safe id}{suffix}``) and ``index.csv``: a subclass
    gives ``write_song(example, path, options)`` (``path``: the partial file to write) and
    ``read_song(path, options) -> (times, labels)``."""

    suffix = ""

    def export(self, examples, out_dir, options) -> list[Path]:
        out_dir = Path(out_dir)
        names, rows, written = SafeNames(), [], []
        for example in examples:
            path = out_dir / f"{names(example.song)}{self.suffix}"
            with output_files(path) as (partial,):
                self.write_song(example, partial, options)
            rows.append((example.song, example.split, path.name))
            written.append(path)
        return [*written, write_index(out_dir, rows)]

    def read(self, out_dir, options) -> list[dict]:
        out = []
        for row in read_index(out_dir):
            times, labels = self.read_song(Path(out_dir) / row["file"], options)
            out.append(read_back(row["song"], row["split"], times=times, labels=labels))
        return out


class Shards:
    """Files of songs grouped by split, ``{split}-{k:05d}{suffix}``, one open shard per split.

    ``open_shard(path)`` makes a shard writing ``path`` (the partial file): an object with
    ``add(example)``, ``full()`` and ``close()``.  A shard is closed and renamed onto its
    name once full (or at the end), so memory holds at most one open shard per split."""

    def __init__(self, out_dir: Path, suffix: str, open_shard):
        self.out_dir, self.suffix, self.open_shard = Path(out_dir), suffix, open_shard
        self.open: dict[str, tuple[Path, object]] = {}
        self.counts: dict[str, int] = {}
        self.written: list[Path] = []

    def add(self, example) -> None:
        split = example.split
        if split not in self.open:
            k = self.counts.get(split, 0)
            self.counts[split] = k + 1
            path = self.out_dir / f"{_UNSAFE.sub('_', split)}-{k:05d}{self.suffix}"
            self.open[split] = (path, self.open_shard(partial_path(path)))
        path, shard = self.open[split]
        shard.add(example)
        if shard.full():
            self._close(split)

    def _close(self, split: str) -> None:
        path, shard = self.open.pop(split)
        shard.close()
        os.replace(partial_path(path), path)
        self.written.append(path)

    def finish(self) -> list[Path]:
        for split in sorted(self.open):
            self._close(split)
        return sorted(self.written)

    def write(self, examples) -> list[Path]:
        """Add every example (consumed once) and close the shards; the files written."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        try:
            for example in examples:
                self.add(example)
        except BaseException:                     # no half-written shard stays behind
            for path, _ in self.open.values():
                partial_path(path).unlink(missing_ok=True)
            raise
        return self.finish()


def shard_files(out_dir: Path, suffix: str) -> list[Path]:
    """The shards under ``out_dir`` in name order (hidden partial files left out)."""
    return sorted(p for p in Path(out_dir).glob(f"*-[0-9][0-9][0-9][0-9][0-9]{suffix}")
                  if not p.name.startswith("."))


def shard_split(path: Path) -> str:
    return path.stem.rsplit("-", 1)[0]


def hits(onsets):
    """The onset table with one row per hit: rows that differ only by ``class`` (a hit that
    maps to two classes) become one, without the ``class`` column."""
    return onsets.drop(columns=["class"], errors="ignore").drop_duplicates(ignore_index=True)


def onset_labels(example) -> tuple[np.ndarray, list[str]]:
    """Onset times (float64 s) and classes of an example, one per onset row (sorted)."""
    onsets = example.onsets
    return (onsets["time"].to_numpy(dtype=np.float64),
            [str(c) for c in onsets["class"]])


def read_back(song: str, split: str, **values) -> dict:
    """A read-back dict (``READ_BACK_KEYS``): times as a float64 array, labels as a list."""
    out = {"song": str(song), "split": str(split)}
    if "times" in values:
        out["times"] = np.asarray(values.pop("times"), dtype=np.float64)
        out["labels"] = [str(label) for label in values.pop("labels")]
    out.update(values)
    return out


def require_positive(component: str, option: str, value: int) -> None:
    """Options check: an int option that must be at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{component}.{option}: expected a whole number >= 1, found {value!r}")


def require_module(name: str, install: str):
    """Import a module that an extra provides, or say how to install it."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError:
        raise DrumtabberError(f"this exporter needs {name}: {install}") from None
