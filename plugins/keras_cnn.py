"""Model backends ``keras-cnn``, ``keras-crnn`` and ``keras-transformer``: frame-wise drum
onset networks in Keras 3.

``keras-cnn`` follows the CNN of R. Vogl, M. Dorfer, G. Widmer, P. Knees, "Drum transcription
via joint beat and drum modeling using convolutional recurrent neural networks" (ISMIR 2017):
two blocks of two 3x3 convolutions with batch normalisation, each followed by max pooling over
frequency only (so every output frame stays aligned with its input frame), then dense layers
per frame (here 1-D convolutions over a few frames) and one sigmoid per class.  ``keras-crnn``
is the same paper's (and ADTOF's) CRNN: the same convolution blocks, then bidirectional GRU
layers over the frames, and one sigmoid per class.  ``keras-transformer`` puts a Transformer
encoder over the frames after the same convolution blocks (the seed's time-series
transformer), optionally pretrained on the training audio by masking (random time spans,
whole frequency rows and time columns, about 15 % of the values, as the seed did).  Inputs
are normalised per band by a ``Normalization`` layer adapted on the training features.

Training (both): Adam, binary cross-entropy (optionally weighting each class's onsets by how
rare the class is), the learning rate cut when the validation loss stalls, early stopping on
it (the best epoch's weights are kept), and, given a work folder, a checkpoint after every
epoch from which an interrupted run resumes.

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
    prefix = "keras-cnn"            # class attributes: the backend's name in messages
    counts = ()                     # and its own options that must be 1 or more
    filters: int = 16               # channels of the first block; the second has twice as many
    dense: int = 128                # units of the per-frame dense layer
    context: int = 5                # frames the dense layer sees (odd)
    dropout: float = 0.3
    segment_frames: int = 400       # training segment length (4 s at 100 frames per second)
    batch_size: int = 16
    epochs: int = 12
    learning_rate: float = 1e-3
    validation_share: float = 0.1
    patience: int = 5               # epochs without a better validation loss before stopping
    class_weighting: str = "none"   # "none", or "sqrt": onsets of class c weigh sqrt(mean rate
                                    # / rate of c), 1-10 (rare toms and cymbals count more)
    seed: int = 0

    def __post_init__(self):
        if self.class_weighting not in ("none", "sqrt"):
            raise ConfigError(f"{self.prefix}.class_weighting: expected none or sqrt, found "
                              f"{self.class_weighting!r}")
        for name in ("filters", "dense", "context", "segment_frames", "batch_size", "epochs",
                     "patience") + self.counts:
            if getattr(self, name) < 1:
                raise ConfigError(f"{self.prefix}.{name}: expected a number of at least 1, found "
                                  f"{getattr(self, name)!r}")
        if self.context % 2 == 0:
            raise ConfigError(f"{self.prefix}.context: expected an odd number, found "
                              f"{self.context}")
        if not 0 <= self.dropout < 1 or not 0 <= self.validation_share < 1:
            raise ConfigError(f"{self.prefix}.dropout and validation_share: expected 0 <= value "
                              "< 1")


@dataclass
class CrnnOptions(CnnOptions):
    prefix = "keras-crnn"
    counts = ("gru_units", "gru_layers")
    gru_units: int = 60             # per direction
    gru_layers: int = 2


@dataclass
class TransformerOptions(CnnOptions):
    prefix = "keras-transformer"
    counts = ("d_model", "heads", "layers")
    d_model: int = 64               # width of the frames the encoder sees
    heads: int = 4
    layers: int = 3
    pretrain_epochs: int = 0        # masked-feature pretraining on the training audio first
    mask_share: float = 0.15        # of the feature values hidden in pretraining

    def __post_init__(self):
        super().__post_init__()
        if not 0 < self.mask_share < 1 or self.pretrain_epochs < 0:
            raise ConfigError(f"{self.prefix}.mask_share: expected 0 < value < 1 and "
                              "pretrain_epochs 0 or more")


def mask_features(x: np.ndarray, share: float, rng) -> np.ndarray:
    """Where to hide values of feature segments (batch, frames, bands) for masked
    pretraining, as the seed did: random time spans (3-10 frames), whole frequency rows and
    whole time columns, about ``share`` of the values in all.  Returns a 0/1 mask."""
    n, frames, bands = x.shape
    mask = np.zeros(x.shape, dtype=np.float32)
    for i in range(n):
        while mask[i].mean() < share:
            kind = rng.integers(3)
            if kind == 0:                                   # a span of frames, every band
                start, length = rng.integers(frames), rng.integers(3, 11)
                mask[i, start:start + length] = 1.0
            elif kind == 1:                                 # a frequency row, every frame
                mask[i, :, rng.integers(bands)] = 1.0
            else:                                           # one time column
                mask[i, rng.integers(frames)] = 1.0
    return mask


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


def class_weights(examples) -> np.ndarray:
    """Per class, the weight of its onset frames under ``class_weighting = "sqrt"``:
    sqrt(mean onset rate over the classes / the class's rate), clipped to 1-10."""
    onsets = sum((t >= 1.0).sum(axis=0) for _, t in examples).astype(np.float64)
    rate = np.maximum(onsets, 1.0) / max(1, sum(len(t) for _, t in examples))
    return np.clip(np.sqrt(rate.mean() / rate), 1.0, 10.0).astype(np.float32)


def _weighted_crossentropy(keras, weights):
    w = keras.ops.convert_to_tensor(weights)

    def loss(y, p):
        p = keras.ops.clip(p, 1e-7, 1.0 - 1e-7)
        return -keras.ops.mean(w * y * keras.ops.log(p) + (1.0 - y) * keras.ops.log(1.0 - p),
                               axis=-1)
    return loss


CHECKPOINT = "checkpoint.keras"       # in the work folder: the network after the last epoch
PROGRESS = "progress.json"            # and the epochs done with their history


class _Progress:
    """A Keras callback that writes a checkpoint and the history after every epoch."""

    def __new__(cls, keras, folder, history):
        import json
        from pathlib import Path

        class Callback(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                for k, v in (logs or {}).items():
                    history.setdefault(k, []).append(float(v))
                self.model.save(str(Path(folder) / CHECKPOINT))
                (Path(folder) / PROGRESS).write_text(json.dumps(
                    {"epochs_done": epoch + 1, "history": history}), encoding="utf-8")
        return Callback()


class KerasCnnBackend:
    name = "keras-cnn"
    description = "frame-wise CNN onset model (Vogl et al. 2017) in Keras 3, any backend"
    Options = CnnOptions
    suffix = ".keras"

    def _conv_blocks(self, keras, inputs, n_bands, o):
        """Normalisation and the two convolution blocks: (batch, frames, features)."""
        layers = keras.layers
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
        return layers.Reshape((-1, bands * 2 * o.filters))(x)

    def _head(self, keras, x, o):
        layers = keras.layers
        x = layers.Conv1D(o.dense, o.context, padding="same", activation="relu")(x)
        x = layers.Dropout(o.dropout)(x)
        return layers.Conv1D(o.dense, 1, activation="relu")(x)

    def build(self, n_bands: int, n_classes: int, options=None):
        o = options or self.Options()
        keras = _keras()
        keras.utils.set_random_seed(o.seed)
        inputs = keras.Input(shape=(None, n_bands), name="features")
        x = self._head(keras, self._conv_blocks(keras, inputs, n_bands, o), o)
        outputs = keras.layers.Conv1D(n_classes, 1, activation="sigmoid", name="onsets")(x)
        return keras.Model(inputs, outputs, name=f"drum_onsets_{self.name.split('-')[1]}")

    def train(self, model, examples, options=None, *, log=print, work_dir=None,
              resume: bool = False) -> dict:
        """Fit ``model`` on ``examples`` (pairs of features (frames, bands) and targets
        (frames, classes)); a share of the examples is held out for validation.  With
        ``work_dir``, a checkpoint is written there after every epoch and, with ``resume``,
        training goes on from the one found there.  Returns the per-epoch losses."""
        import json
        import sys
        from pathlib import Path
        o = options or self.Options()
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
        pretraining = []
        if getattr(o, "pretrain_epochs", 0) and not resume:
            pretraining = self.pretrain(model, x, o, log)
        loss = "binary_crossentropy"
        if o.class_weighting == "sqrt":
            weights = class_weights(fit)
            loss = _weighted_crossentropy(keras, weights)
            log(f"{self.name}: onset weights per class " +
                " ".join(f"{w:.2f}" for w in weights))
        history: dict = {}
        initial_epoch = 0
        progress = Path(work_dir) / PROGRESS if work_dir else None
        if resume and progress is not None and progress.is_file():
            done = json.loads(progress.read_text(encoding="utf-8"))
            model.set_weights(self.load(Path(work_dir) / CHECKPOINT).get_weights())
            initial_epoch, history = int(done["epochs_done"]), done["history"]
            log(f"{self.name}: resuming after epoch {initial_epoch} from {work_dir}")
        monitor = "val_loss" if data else "loss"
        lr = history.get("learning_rate", [o.learning_rate])[-1]     # where a run left off
        model.compile(optimizer=keras.optimizers.Adam(lr), loss=loss)
        callbacks = [keras.callbacks.ReduceLROnPlateau(factor=0.3, patience=2, min_lr=1e-5,
                                                       monitor=monitor),
                     keras.callbacks.EarlyStopping(monitor=monitor, patience=o.patience,
                                                   restore_best_weights=True)]
        if work_dir is not None:
            Path(work_dir).mkdir(parents=True, exist_ok=True)
            callbacks.append(_Progress(keras, work_dir, history))
        log(f"{self.name}: {len(x)} training segments of {o.segment_frames} frames from "
            f"{len(fit)} examples, {len(data[0]) if data else 0} validation segments, "
            f"{model.count_params():,} parameters (backend {keras.backend.backend()})")
        fitted = model.fit(x, y, batch_size=o.batch_size, epochs=o.epochs,
                           initial_epoch=initial_epoch, validation_data=data, shuffle=True,
                           callbacks=callbacks, verbose=1 if sys.stdout.isatty() else 2)
        if work_dir is None:
            history = {k: [float(v) for v in vals] for k, vals in fitted.history.items()}
        return {**history, "pretrain_loss": pretraining} if pretraining else history

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


class KerasCrnnBackend(KerasCnnBackend):
    name = "keras-crnn"
    description = ("CRNN onset model (Vogl et al. 2017, ADTOF): convolutions, bidirectional "
                   "GRUs, in Keras 3, any backend")
    Options = CrnnOptions

    def _head(self, keras, x, o):
        layers = keras.layers
        for _ in range(o.gru_layers):
            x = layers.Bidirectional(layers.GRU(o.gru_units, return_sequences=True))(x)
            x = layers.Dropout(o.dropout)(x)
        return x


class KerasTransformerBackend(KerasCnnBackend):
    name = "keras-transformer"
    description = ("Transformer encoder over frames (after the convolution blocks) with "
                   "optional masked pretraining, in Keras 3, any backend")
    Options = TransformerOptions

    def _head(self, keras, x, o):
        """Frames projected to ``d_model``, positions from a convolution over frames
        (wav2vec 2.0's relative position embedding), then pre-norm encoder blocks."""
        layers = keras.layers
        x = layers.Dense(o.d_model)(x)
        x = layers.Add()([x, layers.Conv1D(o.d_model, 15, padding="same",
                                           activation="gelu")(x)])
        for _ in range(o.layers):
            h = layers.LayerNormalization()(x)
            h = layers.MultiHeadAttention(o.heads, o.d_model // o.heads,
                                          dropout=o.dropout / 2)(h, h)
            x = layers.Add()([x, layers.Dropout(o.dropout)(h)])
            h = layers.LayerNormalization()(x)
            h = layers.Dense(4 * o.d_model, activation="gelu")(h)
            h = layers.Dense(o.d_model)(h)
            x = layers.Add()([x, layers.Dropout(o.dropout)(h)])
        return layers.LayerNormalization()(x)

    def pretrain(self, model, x: np.ndarray, o, log) -> list[float]:
        """Masked-feature pretraining of every layer below the output: the network sees
        segments with ``mask_share`` of their values replaced by the band's mean and learns
        to give back the (standardised) hidden values."""
        keras = _keras()
        rng = np.random.default_rng(o.seed + 1)
        mean, std = x.mean(axis=(0, 1)), x.std(axis=(0, 1)) + 1e-6
        mask = mask_features(x, o.mask_share, rng)
        hidden = np.where(mask > 0, mean, x).astype(np.float32)
        target = np.concatenate([(x - mean) / std, mask], axis=-1).astype(np.float32)
        bands = x.shape[-1]
        recon = keras.layers.Dense(bands, name="reconstruction")(model.get_layer("onsets").input)
        pre = keras.Model(model.input, recon)

        def masked_mse(y, p):
            values, where = y[..., :bands], y[..., bands:]
            return (keras.ops.sum(where * keras.ops.square(p - values))
                    / keras.ops.maximum(keras.ops.sum(where), 1.0))
        pre.compile(optimizer=keras.optimizers.Adam(o.learning_rate), loss=masked_mse)
        log(f"{self.name}: masked pretraining, {mask.mean():.0%} of the values hidden")
        fitted = pre.fit(hidden, target, batch_size=o.batch_size, epochs=o.pretrain_epochs,
                         shuffle=True, verbose=2)
        return [float(v) for v in fitted.history["loss"]]


@hookimpl
def register_model_backends(register):
    register(KerasCnnBackend())
    register(KerasCrnnBackend())
    register(KerasTransformerBackend())
