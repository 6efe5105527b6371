"""Readers of an export's formats, as the dataset card shows them: a plain numpy reader of
the npz shards, a ``tf.data`` reader of the TFRecord shards and a PyTorch map-style
``Dataset`` of fixed-length segments (needs only numpy; ``torch.utils.data.DataLoader``
takes it as it is).  The tests run this very code on an export."""
from __future__ import annotations

# format name -> (title, Python code)
READERS = {
    'npz': ('Plain numpy', '''\
import numpy as np
from pathlib import Path

def read_npz(folder, split="train"):
    """(song id, features, targets) of every song of a split."""
    for shard in sorted(Path(folder).glob(f"{split}-*.npz")):
        with np.load(shard) as z:
            for i, song in enumerate(z["songs"]):
                rows = z["song_index"] == i
                yield str(song), z["features"][rows], z["targets"][rows]
'''),
    'tfrecord': ('tf.data', '''\
import tensorflow as tf
from pathlib import Path

SPEC = {"song": tf.io.FixedLenFeature([], tf.string),
        "features": tf.io.FixedLenFeature([], tf.string),
        "targets": tf.io.FixedLenFeature([], tf.string),
        "n_frames": tf.io.FixedLenFeature([], tf.int64),
        "n_bands": tf.io.FixedLenFeature([], tf.int64),
        "n_classes": tf.io.FixedLenFeature([], tf.int64)}

def decode(record):
    x = tf.io.parse_single_example(record, SPEC)
    features = tf.reshape(tf.io.decode_raw(x["features"], tf.float32), [x["n_frames"], x["n_bands"]])
    targets = tf.reshape(tf.io.decode_raw(x["targets"], tf.float32), [x["n_frames"], x["n_classes"]])
    return features, targets

def tf_dataset(folder, split="train"):
    files = sorted(str(p) for p in Path(folder).glob(f"{split}-*.tfrecord"))
    return tf.data.TFRecordDataset(files).map(decode)
'''),
    'torch': ('A PyTorch Dataset of fixed-length segments over the npz shards (`torch.utils.data.DataLoader(FrameSegments("npz"), batch_size=32, shuffle=True)`)', '''\
import numpy as np
from pathlib import Path

class FrameSegments:
    """Segments of `length` frames (features, targets) from the npz shards of a split."""

    def __init__(self, folder, split="train", length=100):
        self.features, self.targets, self.starts = [], [], []
        for shard in sorted(Path(folder).glob(f"{split}-*.npz")):
            with np.load(shard) as z:
                for i in range(len(z["songs"])):
                    rows = z["song_index"] == i
                    self.features.append(z["features"][rows])
                    self.targets.append(z["targets"][rows])
                    song = len(self.features) - 1
                    n = int(rows.sum())
                    self.starts += [(song, s) for s in range(0, max(1, n - length + 1), length)]
        self.length = length

    def __len__(self):
        return len(self.starts)

    def __getitem__(self, index):
        song, start = self.starts[index]
        stop = start + self.length
        f, t = self.features[song][start:stop], self.targets[song][start:stop]
        pad = self.length - len(f)             # a song shorter than one segment
        return (np.pad(f, ((0, pad), (0, 0))), np.pad(t, ((0, pad), (0, 0))))
'''),
}
# which readers a format's export gets
READERS_OF_FORMAT = {"npz": ("npz", "torch"), "tfrecord": ("tfrecord",)}


def reader_text(formats) -> str:
    """The card's section on reading the formats present."""
    parts = []
    for fmt in formats:
        for name in READERS_OF_FORMAT.get(fmt, ()):
            title, code = READERS[name]
            parts.append(f"{title}:\n\n```python\n{code}```\n")
    return "\n".join(parts)
