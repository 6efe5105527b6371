"""Training examples kept in one compact file: rendered once, trained on anywhere.

Rendering takes FluidSynth, the Debian sample kits and most of a training run's time; a GPU
machine has none of them and takes 64 MiB of files per call.  ``train --save-examples FILE``
writes the examples of a run here, and ``train FILE`` trains on them (any Keras backend).

The file is an ``.npz`` (zip, deflated) holding

* ``features``: every example's frames, one after the other, as 8-bit codes of the
  logarithm of the feature value (between ``log(FLOOR)`` and the log of the largest value:
  steps of about 5 % of a value, 0.4 dB, on any feature setting; values under ``FLOOR``
  become ``FLOOR``), shape (frames, bands), uint8;
* ``targets``: the frame targets times ``TARGET_SCALE`` (0, 0.5 and 1 are exact), uint8;
* ``lengths``: frames per example; ``names``: each example's name;
* ``meta``: JSON text -- the format, the feature settings, the class scheme's name and
  classes, the quantisation's range and how the examples were made.
"""
from __future__ import annotations

import json
import zipfile

import numpy as np

from ..errors import DrumtabberError

FORMAT = "drumtabber-examples"
FORMAT_VERSION = 1
# Feature values at or under this are silence at every setting: log10(1 + m * x) with
# librosa's mel magnitudes x (1e-5 of them is -100 dB re. full scale) and m >= 1.
FLOOR = 1e-6
LEVELS = 255
TARGET_SCALE = 254            # even, so the soft targets' 0.5 is exact
MAX_BYTES = 8 * 2**30         # an examples file larger than this is not one of ours


def write_examples(path, examples: list, *, features: dict, scheme: str, classes: list[str],
                   facts: dict, names: list[str] | None = None):
    """Write ``examples`` (pairs of features (frames, bands) and targets (frames, classes))
    to ``path`` (complete or not at all)."""
    from ..outputs import output_files
    feats = np.concatenate([f for f, _ in examples]).astype(np.float32)
    targets = np.concatenate([t for _, t in examples])
    low, high = np.log(FLOOR), np.log(max(float(feats.max()), FLOOR) + FLOOR)
    codes = np.round((np.log(np.maximum(feats, FLOOR)) - low) / (high - low) * LEVELS)
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "features": features,
            "scheme": scheme, "classes": list(classes), "log_range": [low, high],
            "facts": facts}
    with output_files(path) as (part,):
        with open(part, "wb") as handle:
            np.savez_compressed(
                handle, features=codes.astype(np.uint8),
                targets=np.round(targets * TARGET_SCALE).astype(np.uint8),
                lengths=np.array([len(f) for f, _ in examples], dtype=np.int64),
                names=np.array(names or [""] * len(examples), dtype=str),
                meta=np.array(json.dumps(meta)))
    return path


def read_examples(path) -> tuple[list, dict]:
    """The examples of a file :func:`write_examples` wrote, and its ``meta``; a
    DrumtabberError naming the file says what is wrong with another."""
    from ..textio import input_file_problem
    problem = input_file_problem(path, limit=MAX_BYTES)
    if problem:
        raise DrumtabberError(f"examples file {problem}", path=path)
    expected = f"a {FORMAT} file (.npz) written by `train --save-examples`"
    if not zipfile.is_zipfile(path):
        raise DrumtabberError(f"expected {expected}; found no zip archive", path=path)
    try:
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            if meta.get("format") != FORMAT or meta.get("version") != FORMAT_VERSION:
                raise ValueError(f"format {meta.get('format')!r} version {meta.get('version')!r}")
            low, high = (float(v) for v in meta["log_range"])
            feats = np.exp(z["features"].astype(np.float32) / LEVELS * (high - low) + low)
            feats = np.where(z["features"] == 0, 0.0, feats).astype(np.float32)
            targets = z["targets"].astype(np.float32) / TARGET_SCALE
            lengths = z["lengths"]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
        raise DrumtabberError(f"expected {expected}; cannot read it ({type(exc).__name__}: "
                              f"{exc})", path=path) from None
    if (lengths.sum() != len(feats) or len(targets) != len(feats) or (lengths < 1).any()
            or targets.shape[1] != len(meta["classes"])):
        raise DrumtabberError(f"expected {expected}; its arrays do not agree (frames "
                              f"{len(feats)} and {len(targets)}, lengths {lengths.sum()}, "
                              f"{targets.shape[1]} target columns for {len(meta['classes'])} "
                              "classes)", path=path)
    bounds = np.cumsum(lengths)[:-1]
    return list(zip(np.split(feats, bounds), np.split(targets, bounds))), meta
