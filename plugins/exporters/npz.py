"""``npz``: frame features and targets in NumPy ``.npz`` shards, one set of shards per split.

Each shard ``{split}-{k:05d}.npz`` holds whole songs, their frames concatenated:
``features`` (frames, bands) float32, ``targets`` (frames, classes) float32, ``frame_times``
float64 (seconds from each song's start), ``song_index`` int32 (per frame, into ``songs``),
``songs`` and ``classes`` (str arrays) and ``fps``.  A new shard starts once one holds
``shard_frames`` frames or more.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import Shards, read_back, require_positive, shard_files, shard_split

# 100k frames: 1000 s of audio at 100 frames a second, 16 MB of 40-band float32 features,
# a shard that loads in one read and still mixes many songs.
SHARD_FRAMES = 100_000


@dataclass
class NpzOptions:
    shard_frames: int = SHARD_FRAMES
    compress: bool = False

    def __post_init__(self):
        require_positive("npz", "shard_frames", self.shard_frames)


class _NpzShard:
    """The songs of one shard, kept until it is written."""

    def __init__(self, path: Path, options: NpzOptions):
        self.path, self.options, self.examples = path, options, []
        self.frames = 0

    def add(self, example) -> None:
        self.examples.append(example)
        self.frames += len(example.features)

    def full(self) -> bool:
        return self.frames >= self.options.shard_frames

    def close(self) -> None:
        first = self.examples[0]
        features = [np.asarray(e.features, np.float32) for e in self.examples]
        targets = [np.asarray(e.targets, np.float32) for e in self.examples]
        save = np.savez_compressed if self.options.compress else np.savez
        save(self.path,
             features=np.concatenate(features), targets=np.concatenate(targets),
             frame_times=np.concatenate([np.arange(len(f)) / e.fps
                                         for f, e in zip(features, self.examples)]),
             song_index=np.concatenate([np.full(len(f), i, np.int32)
                                        for i, f in enumerate(features)]),
             songs=np.array([e.song for e in self.examples], dtype=str),
             classes=np.array(first.classes, dtype=str), fps=np.float64(first.fps))


class NpzExporter:
    name = "npz"
    description = "frame features and targets in NumPy .npz shards per split"
    Options = NpzOptions

    def export(self, examples, out_dir, options) -> list[Path]:
        return Shards(out_dir, ".npz", lambda path: _NpzShard(path, options)).write(examples)

    def read(self, out_dir, options) -> list[dict]:
        out = []
        for path in shard_files(out_dir, ".npz"):
            with np.load(path) as shard:
                index = shard["song_index"]
                for i, song in enumerate(shard["songs"]):
                    mask = index == i
                    out.append(read_back(song, shard_split(path),
                                         features=shard["features"][mask],
                                         targets=shard["targets"][mask]))
        return sorted(out, key=lambda d: d["song"])
