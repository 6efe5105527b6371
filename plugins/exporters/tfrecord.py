"""``tfrecord``: one ``tf.train.Example`` per song in TFRecord shards per split.

Each shard ``{split}-{k:05d}.tfrecord`` holds ``songs_per_shard`` songs.  An example's
features: ``song``, ``split`` (bytes), ``features`` and ``targets`` (bytes: float32, C order,
shapes ``(n_frames, n_bands)`` and ``(n_frames, n_classes)``), ``n_frames``, ``n_bands``,
``n_classes`` (int64), ``fps`` (float), ``onset_times`` (float list: float32, so a time keeps
about 7 significant digits, 1 us at 16 s) and ``onset_labels`` (bytes list, the classes).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .common import (Shards, onset_labels, read_back, require_module, require_positive,
                     shard_files)

# 64 songs of a few minutes: shards of tens of MB, large enough for fast sequential reads,
# small enough that a dataset of hundreds of songs has several shards to interleave.
SONGS_PER_SHARD = 64
INSTALL = "pip install 'drumtabber[models]'"


def _tf():
    return require_module("tensorflow", INSTALL)


@dataclass
class TfrecordOptions:
    songs_per_shard: int = SONGS_PER_SHARD

    def __post_init__(self):
        require_positive("tfrecord", "songs_per_shard", self.songs_per_shard)


def song_example(tf, example):
    """The ``tf.train.Example`` of one song."""
    features = np.ascontiguousarray(example.features, np.float32)
    targets = np.ascontiguousarray(example.targets, np.float32)
    times, labels = onset_labels(example)

    def data(*values):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=list(values)))

    def ints(value):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(value)]))

    def floats(values):
        return tf.train.Feature(float_list=tf.train.FloatList(value=list(values)))

    return tf.train.Example(features=tf.train.Features(feature={
        "song": data(example.song.encode()), "split": data(example.split.encode()),
        "features": data(features.tobytes()), "targets": data(targets.tobytes()),
        "n_frames": ints(features.shape[0]), "n_bands": ints(features.shape[1]),
        "n_classes": ints(targets.shape[1]), "fps": floats([example.fps]),
        "onset_times": floats(times), "onset_labels": data(*(c.encode() for c in labels)),
    }))


class _TfrecordShard:
    def __init__(self, tf, path: Path, options: TfrecordOptions):
        self.tf, self.options, self.songs = tf, options, 0
        self.writer = tf.io.TFRecordWriter(str(path))

    def add(self, example) -> None:
        self.writer.write(song_example(self.tf, example).SerializeToString())
        self.songs += 1

    def full(self) -> bool:
        return self.songs >= self.options.songs_per_shard

    def close(self) -> None:
        self.writer.close()


class TfrecordExporter:
    name = "tfrecord"
    description = "one tf.train.Example per song (features, targets, onsets) in TFRecord shards"
    Options = TfrecordOptions

    def export(self, examples, out_dir, options) -> list[Path]:
        tf = _tf()
        return Shards(out_dir, ".tfrecord",
                      lambda path: _TfrecordShard(tf, path, options)).write(examples)

    def read(self, out_dir, options) -> list[dict]:
        tf = _tf()
        scalar = {k: tf.io.FixedLenFeature([], tf.string)
                  for k in ("song", "split", "features", "targets")}
        scalar |= {k: tf.io.FixedLenFeature([], tf.int64)
                   for k in ("n_frames", "n_bands", "n_classes")}
        description = {**scalar, "fps": tf.io.FixedLenFeature([], tf.float32),
                       "onset_times": tf.io.VarLenFeature(tf.float32),
                       "onset_labels": tf.io.VarLenFeature(tf.string)}
        out = []
        files = [str(p) for p in shard_files(out_dir, ".tfrecord")]
        if not files:
            return []
        for record in tf.data.TFRecordDataset(files):
            x = tf.io.parse_single_example(record, description)
            n_frames = int(x["n_frames"])
            out.append(read_back(
                x["song"].numpy().decode(), x["split"].numpy().decode(),
                features=np.frombuffer(x["features"].numpy(), np.float32).reshape(
                    n_frames, int(x["n_bands"])),
                targets=np.frombuffer(x["targets"].numpy(), np.float32).reshape(
                    n_frames, int(x["n_classes"])),
                times=tf.sparse.to_dense(x["onset_times"]).numpy(),
                labels=[b.decode() for b in tf.sparse.to_dense(x["onset_labels"]).numpy()]))
        return sorted(out, key=lambda d: d["song"])
