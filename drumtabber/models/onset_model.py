"""Drum onset models: a model backend's network plus what the core needs to use it.

A model is a folder: ``model.json`` (the backend's name, the feature settings, the class
scheme as TOML text, how it was trained) and the backend's weights file (``weights`` plus the
backend's suffix), or several (an ensemble: networks of one backend, features and scheme
whose activations are averaged; ``weights`` is then a list), and how many ``views`` of a
recording it hears (test-time augmentation: the features computed again with the frames moved
by a fraction of a hop, the activations of each view brought back to the frames of the
first and averaged; 1 by default).  The core knows no network: it
asks the backend named in ``model.json`` (a plugin component of kind ``model_backend``) to
load and run it.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from ..alignment.refine import ModelActivations
from ..audio.features import FeatureConfig, compute_features
from ..audio.io import resample
from ..audio.onsets import frames_in_blocks
from ..classes import parse_scheme
from ..errors import ConfigError, DrumtabberError
from ..score import VELOCITY_NORMAL, Instrument
from ..textio import parse_json, read_input_text

FORMAT = "drumtabber-onset-model"
# Frames of context a network sees on either side of a frame, at most, for computing its
# activations in blocks: the bundled CNN sees 4 (its 3x3 convolutions) + 2 (a 5-frame
# dense context); 64 leaves room for wider networks.
MODEL_CONTEXT_FRAMES = 64
MAX_VIEWS = 8
FORMAT_VERSION = 1
META = "model.json"


def scheme_from_text(text: str, where: str):
    class_map, findings = parse_scheme(text, path=where)
    if class_map is None:
        raise DrumtabberError("the model's class scheme is broken: "
                              + "; ".join(f.message for f in findings), path=where)
    return class_map


@dataclass
class OnsetModel:
    backend: object
    network: object                                # or a list of networks: an ensemble
    features: FeatureConfig
    scheme: str                                    # class scheme, TOML text
    info: dict = field(default_factory=dict)       # training facts
    path: Path | None = None
    views: int = 1                                 # frame offsets averaged (see above)

    def __post_init__(self):
        self.class_map = scheme_from_text(self.scheme, str(self.path or "<model>"))
        self.classes = self.class_map.classes()

    def activations(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        """Onset activation per class, shape (frames, classes), at ``features.fps``: the
        mean over the model's views, view ``v`` framed ``v / views`` of a hop later."""
        samples = resample(samples, sample_rate, self.features.sample_rate)
        out = self.feature_activations(compute_features(samples, self.features))
        hop = self.features.hop_length
        frames = np.arange(len(out), dtype=np.float64)
        for v in range(1, self.views):
            shift = v * hop // self.views
            moved = self.feature_activations(compute_features(samples[shift:], self.features))
            at = np.arange(len(moved)) + shift / hop          # in frames of the first view
            out += np.stack([np.interp(frames, at, moved[:, k]) for k in range(out.shape[1])],
                            axis=1).astype(out.dtype)
        return out / self.views

    def feature_activations(self, features: np.ndarray) -> np.ndarray:
        """Onset activation per class of features computed with ``self.features``."""
        # in blocks of frames (memory bounded on long recordings), each with context
        return frames_in_blocks(self.predict, features, hop=1, margin=MODEL_CONTEXT_FRAMES,
                                n_frames=len(features))

    @property
    def networks(self) -> list:
        return list(self.network) if isinstance(self.network, (list, tuple)) else [self.network]

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The network's activations of a block of features; an ensemble's mean."""
        outs = [np.asarray(self.backend.predict(n, features)) for n in self.networks]
        return outs[0] if len(outs) == 1 else np.mean(outs, axis=0)

    def placement(self, samples: np.ndarray, sample_rate: int, instruments) -> ModelActivations:
        """The ``model`` argument of :func:`drumtabber.alignment.refine.refine_labels` for
        labels of these instruments."""
        return ModelActivations(self.activations(samples, sample_rate), self.features.fps,
                                np.array([self.class_index(i) for i in instruments]))

    def class_index(self, instrument) -> int:
        """Index of the instrument's class (-1: the model has no class for it)."""
        found = self.class_map.map_event(Instrument(instrument), frozenset(), VELOCITY_NORMAL)
        return self.classes.index(found[0]) if found else -1

    def save(self, folder: Path) -> Path:
        """Write the model folder (a new folder, or one holding an earlier model)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        names = ([f"weights{self.backend.suffix}"] if len(self.networks) == 1 else
                 [f"weights-{k}{self.backend.suffix}" for k in range(len(self.networks))])
        for name, network in zip(names, self.networks):
            partial = folder / f".{name}.{os.getpid()}.partial{self.backend.suffix}"
            self.backend.save(network, partial)
            os.replace(partial, folder / name)
        for stale in folder.glob(f"weights*{self.backend.suffix}"):   # an earlier model's
            if stale.name not in names:
                stale.unlink()
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "backend": self.backend.name,
                "weights": names[0] if len(names) == 1 else names,
                "features": asdict(self.features), "views": self.views,
                "scheme": self.scheme, "classes": self.classes, "info": self.info}
        (folder / META).write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return folder


def load_onset_model(path, manager) -> OnsetModel:
    """Read a model folder (or its ``model.json``), or a model a plugin ships by its name
    (``"bundled"``: see ``drumtabber-data plugins``); errors name the file and what is
    wrong."""
    if str(path) in manager.registry("model").names():
        path = manager.get("model", str(path)).path
    path = Path(path)
    meta_path = path / META if path.is_dir() else path
    if not meta_path.is_file():
        raise DrumtabberError(f"no onset model here: expected a folder with {META}", path=path)
    try:
        meta = parse_json(read_input_text(meta_path), path=meta_path)
    except DrumtabberError as exc:
        raise DrumtabberError(f"not a model description (JSON): {exc.message}", path=meta_path,
                              line=exc.line) from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise DrumtabberError(f"not a drumtabber onset model: expected \"format\": \"{FORMAT}\"",
                              path=meta_path)
    if meta.get("version") != FORMAT_VERSION:
        raise DrumtabberError(f"model format version {meta.get('version')!r}; this drumtabber "
                              f"reads version {FORMAT_VERSION}", path=meta_path)
    try:
        features = FeatureConfig(**meta["features"])
        backend = manager.get("model_backend", meta["backend"])
        names = meta["weights"] if isinstance(meta["weights"], list) else [meta["weights"]]
        if (not isinstance(meta["scheme"], str) or not names
                or not all(isinstance(n, str) for n in names)):
            raise TypeError("'scheme' and 'weights' (text or a list of file names expected)")
        weights = [meta_path.parent / n for n in names]
        views = meta.get("views", 1)
        if isinstance(views, bool) or not isinstance(views, int) or not 1 <= views <= MAX_VIEWS:
            raise TypeError(f"'views' (a whole number 1-{MAX_VIEWS} expected, not {views!r})")
    except (KeyError, TypeError) as exc:
        raise DrumtabberError(f"model description lacks or mistypes {exc}", path=meta_path) from None
    except ConfigError as exc:
        raise DrumtabberError(f"the model's feature settings: {exc}", path=meta_path) from None
    for w in weights:
        if not w.is_file():
            raise DrumtabberError(f"the model's weights file {w.name} is missing", path=w)
    networks = [backend.load(w) for w in weights]
    model = OnsetModel(backend, networks[0] if len(networks) == 1 else networks, features,
                       meta["scheme"], meta.get("info", {}), meta_path.parent, views)
    if meta.get("classes", model.classes) != model.classes:
        raise DrumtabberError(f"the listed classes {meta['classes']} are not the scheme's "
                              f"{model.classes}", path=meta_path)
    _check_shapes(model, meta_path)
    return model


def _check_shapes(model: OnsetModel, where: Path) -> None:
    """The network must take the feature bands and give one activation per class."""
    silence = np.zeros(2 * model.features.n_fft, np.float32)
    n_bands = compute_features(silence, model.features).shape[1]
    try:
        out = model.predict(np.zeros((8, n_bands), np.float32))
    except Exception as exc:           # the backend's own shape error
        raise DrumtabberError(f"the network does not take the model's {n_bands} feature bands: "
                              f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}",
                              path=where) from None
    if out.shape != (8, len(model.classes)):
        raise DrumtabberError(f"the network gives {out.shape[-1]} activations per frame; the "
                              f"class scheme has {len(model.classes)} classes", path=where)


def ensemble(models: list[OnsetModel], out: Path, info: dict | None = None) -> Path:
    """One model of several (their networks' activations averaged), written to ``out``: they
    must share backend, features and class scheme.  Thresholds are left to be tuned anew."""
    first, out = models[0], Path(out)
    for m in models[1:]:
        differs = [what for what, a, b in (("backend", m.backend.name, first.backend.name),
                                           ("features", m.features, first.features),
                                           ("class scheme", m.classes, first.classes)) if a != b]
        if differs:
            raise DrumtabberError(f"cannot join models with other {', '.join(differs)} "
                                  f"than {first.path}", path=m.path)
    members = [{"path": str(m.path), **{k: v for k, v in m.info.items()
                                        if k not in ("thresholds", "threshold_tuning")}}
               for m in models]
    networks = [n for m in models for n in m.networks]
    OnsetModel(first.backend, networks, first.features, first.scheme,
               {**(info or {}), "ensemble_of": members}, out).save(out)
    (out / "history.png").unlink(missing_ok=True)          # an earlier model's
    for k, m in enumerate(models):                          # each member's loss curve
        if m.path is not None and (m.path / "history.png").is_file():
            shutil.copyfile(m.path / "history.png", out / f"history-{k}.png")
    return out
