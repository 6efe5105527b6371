"""Model backend ``keras-cnn``: a convolutional frame-wise drum onset model in Keras 3.

The network follows the CNN of R. Vogl, M. Dorfer, G. Widmer, P. Knees, "Drum transcription via
joint beat and drum modeling using convolutional recurrent neural networks" (ISMIR 2017): two
blocks of two 3x3 convolutions with batch normalisation, each followed by max pooling over
frequency only (so every output frame stays aligned with its input frame), then dense layers
per frame (here 1-D convolutions over a few frames) and one sigmoid per class.  Inputs are
normalised per band by a ``Normalization`` layer adapted on the training features.

It runs on any Keras 3 backend (``KERAS_BACKEND``: tensorflow on the CPU, jax or torch on a
GPU); models are saved in the ``.keras`` format, which every backend reads.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drumtabber.errors import ConfigError, DrumtabberError
from drumtabber.extras import missing_extra
from drumtabber.hookspecs import hookimpl


@dataclass
class CnnOptions:
    filters: int = 16               # channels of the first block; the second has twice as many
    dense: int = 128                # units of the per-frame dense layer
    context: int = 5                # frames the dense layer sees (odd)
    dropout: float = 0.3
    segment_frames: int = 400       # training segment length (4 s at 100 frames per second)
    batch_size: int = 16
    epochs: int = 12
    learning_rate: float = 1e-3
    validation_share: float = 0.1
    seed: int = 0

    def __post_init__(self):
        for name in ("filters", "dense", "context", "segment_frames", "batch_size", "epochs"):
            if getattr(self, name) < 1:
                raise ConfigError(f"keras-cnn.{name}: expected a number of at least 1, found "
                                  f"{getattr(self, name)!r}")
        if self.context % 2 == 0:
            raise ConfigError(f"keras-cnn.context: expected an odd number, found {self.context}")
        if not 0 <= self.dropout < 1 or not 0 <= self.validation_share < 1:
            raise ConfigError("keras-cnn.dropout and validation_share: expected 0 <= value < 1")


def _keras():
    import os
    import sys
    if sys.modules.get("keras") is not None:
        return sys.modules["keras"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # TensorFlow's C++ start-up lines (oneDNN, CPU features) ignore that setting: the first
    # import runs with the process's stderr pointed at /dev/null.
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        import keras
    except ImportError:                             # the [models] extra is not installed
        raise missing_extra("keras") from None
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
    return keras


def _segments(examples, length: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """Cut every (features, targets) pair into segments of ``length`` frames (the last one of
    each example padded with silence), in random order."""
    xs, ys = [], []
    for feats, targets in examples:
        n = len(feats)
        for start in range(0, max(1, n - length // 4), length):
            x, y = feats[start:start + length], targets[start:start + length]
            if len(x) < length:
                x = np.pad(x, ((0, length - len(x)), (0, 0)))
                y = np.pad(y, ((0, length - len(y)), (0, 0)))
            xs.append(x)
            ys.append(y)
    order = rng.permutation(len(xs))
    return (np.asarray(xs, dtype=np.float32)[order], np.asarray(ys, dtype=np.float32)[order])


class KerasCnnBackend:
    name = "keras-cnn"
    description = "frame-wise CNN onset model (Vogl et al. 2017) in Keras 3, any backend"
    Options = CnnOptions
    suffix = ".keras"

    def build(self, n_bands: int, n_classes: int, options: CnnOptions | None = None):
        o = options or CnnOptions()
        keras = _keras()
        layers = keras.layers
        keras.utils.set_random_seed(o.seed)
        inputs = keras.Input(shape=(None, n_bands), name="features")
        x = layers.Normalization(axis=-1, name="norm")(inputs)
        x = layers.Reshape((-1, n_bands, 1))(x)
        bands = n_bands
        for block, filters in enumerate((o.filters, 2 * o.filters)):
            for _ in range(2):
                x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
                x = layers.BatchNormalization()(x)
                x = layers.Activation("relu")(x)
            x = layers.MaxPooling2D(pool_size=(1, 3), name=f"pool{block}")(x)
            x = layers.Dropout(o.dropout / 2)(x)
            bands //= 3
        x = layers.Reshape((-1, bands * 2 * o.filters))(x)
        x = layers.Conv1D(o.dense, o.context, padding="same", activation="relu")(x)
        x = layers.Dropout(o.dropout)(x)
        x = layers.Conv1D(o.dense, 1, activation="relu")(x)
        outputs = layers.Conv1D(n_classes, 1, activation="sigmoid", name="onsets")(x)
        return keras.Model(inputs, outputs, name="drum_onsets_cnn")

    def train(self, model, examples, options: CnnOptions | None = None, *, log=print) -> dict:
        """Fit ``model`` on ``examples`` (pairs of features (frames, bands) and targets
        (frames, classes)); a share of the examples is held out for validation.  Returns the
        per-epoch losses."""
        o = options or CnnOptions()
        keras = _keras()
        rng = np.random.default_rng(o.seed)
        examples = list(examples)
        order = rng.permutation(len(examples))
        n_val = int(round(len(examples) * o.validation_share)) if len(examples) > 1 else 0
        val = [examples[i] for i in order[:n_val]]
        fit = [examples[i] for i in order[n_val:]]
        frames = np.concatenate([f for f, _ in fit]).astype(np.float32)
        model.get_layer("norm").adapt(frames[:, None, :])           # (frames, 1, bands)
        x, y = _segments(fit, o.segment_frames, rng)
        data = _segments(val, o.segment_frames, rng) if val else None
        model.compile(optimizer=keras.optimizers.Adam(o.learning_rate),
                      loss="binary_crossentropy")
        callbacks = [keras.callbacks.ReduceLROnPlateau(factor=0.3, patience=2, min_lr=1e-5,
                                                       monitor="val_loss" if data else "loss")]
        log(f"keras-cnn: {len(x)} training segments of {o.segment_frames} frames from "
            f"{len(fit)} examples, {len(data[0]) if data else 0} validation segments "
            f"(backend {keras.backend.backend()})")
        history = model.fit(x, y, batch_size=o.batch_size, epochs=o.epochs, validation_data=data,
                            shuffle=True, callbacks=callbacks, verbose=2)
        return {k: [float(v) for v in vals] for k, vals in history.history.items()}

    def predict(self, model, features: np.ndarray) -> np.ndarray:
        """Onset activations (frames, classes) in [0, 1] for features (frames, bands)."""
        out = model.predict_on_batch(np.asarray(features, dtype=np.float32)[None])
        return np.asarray(out)[0]

    def save(self, model, path) -> None:
        """Save the network without its optimizer state (a third of the size)."""
        keras = _keras()
        bare = keras.Model.from_config(model.get_config())
        bare.set_weights(model.get_weights())
        bare.save(str(path))

    def load(self, path):
        keras = _keras()
        try:
            return keras.saving.load_model(str(path), compile=False)
        except Exception as exc:                     # corrupt file, other format, ...
            raise DrumtabberError(f"cannot load the Keras model: not a readable .keras (zip) "
                                  f"model file ({type(exc).__name__}: {exc})",
                                  path=path) from None


@hookimpl
def register_model_backends(register):
    register(KerasCnnBackend())
