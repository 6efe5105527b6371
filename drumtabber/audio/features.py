"""Spectrogram features and frame targets.

Features are computed with librosa (log-magnitude mel spectrogram) or madmom (log-filtered
spectrogram, 12 bands per octave, as in Vogl et al. and madmom's drum models); frames are
centred on multiples of the hop (frame ``i`` at ``i * hop_length / sample_rate`` s).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..errors import ConfigError

FEATURE_KINDS = ("mel", "logfilt")
TARGET_WIDENINGS = ("exact", "soft", "window")
# Value of the frames next to an onset frame with "soft" target widening (Vogl et al.,
# "Drum transcription via joint beat and drum modeling using CRNNs", ISMIR 2017, use 0.5).
SOFT_TARGET_VALUE = 0.5


@dataclass(frozen=True)
class FeatureConfig:
    """How to turn audio into a (frames, bands) feature matrix.

    The defaults are the seed project's: 250 mel bands, a 2048-sample window and a hop of
    441 samples at 44.1 kHz (100 frames per second).
    """

    kind: str = "mel"                 # "mel" (librosa) or "logfilt" (madmom, log-spaced bands)
    sample_rate: int = 44100
    n_fft: int = 2048                 # window length in samples
    hop_length: int = 441             # samples between frames
    n_mels: int = 250                 # bands of the mel spectrogram
    bands_per_octave: int = 12        # bands of the log-filtered spectrogram
    fmin: float = 20.0
    fmax: float = 20000.0
    diff: bool = False                # append the half-wave rectified first-order difference
    log_mul: float = 1.0              # features are log10(1 + log_mul * magnitude) (madmom's mul)
    level_db: float | None = None     # audio scaled to this gated level (dBFS) first; None: as is

    def __post_init__(self):
        if self.kind not in FEATURE_KINDS:
            raise ConfigError(f"features.kind: expected one of {', '.join(FEATURE_KINDS)}, "
                              f"found {self.kind!r}")
        for name in ("sample_rate", "n_fft", "hop_length", "n_mels", "bands_per_octave"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"features.{name}: expected a number above 0")
        if not (isinstance(self.log_mul, (int, float)) and 0 < self.log_mul <= 1e9):
            raise ConfigError(f"features.log_mul: expected a number above 0 (at most 1e9), "
                              f"found {self.log_mul!r}")
        if self.level_db is not None and (isinstance(self.level_db, bool) or not (
                isinstance(self.level_db, (int, float)) and -120 <= self.level_db <= 0)):
            raise ConfigError(f"features.level_db: expected a level from -120 to 0 dBFS, or "
                              f"none, found {self.level_db!r}")
        if not 0 <= self.fmin < self.fmax <= self.sample_rate / 2:
            raise ConfigError(f"features.fmin/fmax: expected 0 <= fmin < fmax <= "
                              f"{self.sample_rate / 2:g} (Nyquist), found {self.fmin:g}, "
                              f"{self.fmax:g}")

    @property
    def fps(self) -> float:
        return self.sample_rate / self.hop_length

    @classmethod
    def from_settings(cls, settings: dict, **overrides) -> "FeatureConfig":
        """From the ``features.*`` settings of :class:`drumtabber.config.Config`."""
        names = {f.name for f in fields(cls)}
        values = {k.split(".", 1)[1]: v for k, v in settings.items()
                  if k.startswith("features.") and k.split(".", 1)[1] in names}
        values.update(overrides)
        return cls(**values)


def n_frames_for(n_samples: int, hop_length: int) -> int:
    """Frames of a centred STFT over ``n_samples`` samples (librosa's convention)."""
    return 1 + n_samples // hop_length


# The gated level of a recording (ITU-R BS.1770's gating without its K-weighting filter):
# the mean power of 400 ms blocks (75 % overlap) above -70 dBFS, then of the blocks within
# 10 dB of that mean -- the level of the playing, not of silences and fades.
LEVEL_BLOCK_S = 0.4
LEVEL_ABSOLUTE_GATE_DB = -70.0
LEVEL_RELATIVE_GATE_DB = -10.0


def gated_level_db(samples: np.ndarray, sample_rate: int) -> float | None:
    """The gated level of mono audio in dBFS (a full-scale sine: -3 dB); None for silence."""
    x = np.asarray(samples, dtype=np.float64)
    size = max(1, int(LEVEL_BLOCK_S * sample_rate))
    if len(x) < size:
        power = np.array([np.mean(np.square(x))]) if len(x) else np.zeros(0)
    else:
        cumulative = np.concatenate([[0.0], np.cumsum(np.square(x))])
        starts = np.arange(0, len(x) - size + 1, max(1, size // 4))
        power = (cumulative[starts + size] - cumulative[starts]) / size
    power = power[power > 10 ** (LEVEL_ABSOLUTE_GATE_DB / 10)]
    if not len(power):
        return None
    power = power[power > np.mean(power) * 10 ** (LEVEL_RELATIVE_GATE_DB / 10)]
    return float(10 * np.log10(np.mean(power)))


def compute_features(samples: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Log-magnitude spectrogram features.

    Parameters
    ----------
    samples : np.ndarray, shape (n,)
        Mono audio at ``config.sample_rate``; with ``config.level_db``, scaled to that gated
        level first (:func:`gated_level_db`), so that a model hears every recording at the
        level of its training renders.
    config : FeatureConfig

    Returns
    -------
    np.ndarray, shape (n_frames, n_bands) or (n_frames, 2 * n_bands) with ``diff``
        ``log10(1 + log_mul * magnitude)`` per band, float32; ``n_frames = 1 + n // hop_length``.
    """
    from .onsets import frames_in_blocks
    samples = np.asarray(samples, dtype=np.float32)
    level = gated_level_db(samples, config.sample_rate) if config.level_db is not None else None
    if level is not None:
        samples = samples * np.float32(10 ** ((config.level_db - level) / 20))
    n_frames = n_frames_for(len(samples), config.hop_length)

    def spectrogram(block):
        if config.kind == "mel":
            import librosa
            return librosa.feature.melspectrogram(
                y=block, sr=config.sample_rate, n_fft=config.n_fft,
                hop_length=config.hop_length, n_mels=config.n_mels, fmin=config.fmin,
                fmax=config.fmax, power=1.0).T
        from madmom.audio.filters import LogarithmicFilterbank
        from madmom.audio.signal import Signal
        from madmom.audio.spectrogram import FilteredSpectrogram
        signal = Signal(block, sample_rate=config.sample_rate, num_channels=1)
        return np.asarray(FilteredSpectrogram(
            signal, frame_size=config.n_fft, hop_size=config.hop_length,
            filterbank=LogarithmicFilterbank, num_bands=config.bands_per_octave,
            fmin=config.fmin, fmax=config.fmax))
    # in blocks of the signal, so that memory stays bounded on long recordings
    spec = frames_in_blocks(spectrogram, samples, hop=config.hop_length, margin=config.n_fft,
                            n_frames=n_frames)
    feats = np.log10(1.0 + config.log_mul * spec).astype(np.float32)
    if config.diff:
        rise = np.maximum(0.0, np.diff(feats, axis=0, prepend=feats[:1]))
        feats = np.concatenate([feats, rise], axis=1)
    return feats


def onsets_to_targets(times_s, classes, *, n_classes: int, n_frames: int, fps: float,
                      widening: str = "exact", window_before: float = 0.5,
                      window_after: float = 0.5) -> np.ndarray:
    """Frame targets per class from onset times.

    Parameters
    ----------
    times_s : array, shape (k,)
        Onset times in seconds.
    classes : array of int, shape (k,)
        Class index of each onset.
    n_classes, n_frames : int
    fps : float
        Frames per second of the features.
    widening : {"exact", "soft", "window"}
        ``exact``: 1 at the frame nearest the onset.  ``soft``: also ``SOFT_TARGET_VALUE`` on
        the frames either side (target widening).  ``window``: the seed project's rule: 1 on
        every frame whose centre lies between ``window_before`` frames before the onset and
        ``window_after`` frames after it (fractions of a frame; 0.5/0.5 equals ``exact``).

    Returns
    -------
    np.ndarray, shape (n_frames, n_classes), float32
    """
    if widening not in TARGET_WIDENINGS:
        raise ConfigError(f"target widening: expected one of {', '.join(TARGET_WIDENINGS)}, "
                          f"found {widening!r}")
    targets = np.zeros((n_frames, n_classes), dtype=np.float32)
    times = np.asarray(times_s, dtype=np.float64) * fps
    classes = np.asarray(classes, dtype=np.int64)
    if widening == "window":
        first = np.ceil(times - window_before).astype(np.int64)
        last = np.floor(times + window_after).astype(np.int64)
        for lo, hi, c in zip(first, last, classes):
            lo, hi = max(lo, 0), min(hi, n_frames - 1)
            if lo <= hi:
                targets[lo:hi + 1, c] = 1.0
        return targets
    frames = np.floor(times + 0.5).astype(np.int64)
    inside = (frames >= 0) & (frames < n_frames)
    if widening == "soft":
        for shift in (-1, 1):
            near = frames + shift
            ok = (near >= 0) & (near < n_frames)
            np.maximum.at(targets, (near[ok], classes[ok]), SOFT_TARGET_VALUE)
    targets[frames[inside], classes[inside]] = 1.0
    return targets


def onsets_to_class_targets(onsets, class_names: list[str], *, n_frames: int, fps: float,
                           **widening) -> np.ndarray:
    """Frame targets from an onset table with a ``class`` column (see
    :func:`drumtabber.classes.map_onset_rows`), one column per name in ``class_names``.

    Returns
    -------
    np.ndarray, shape (n_frames, len(class_names)), float32
    """
    index = {name: i for i, name in enumerate(class_names)}
    kept = onsets[onsets["class"].isin(list(index))]
    return onsets_to_targets(kept["time"].to_numpy(), [index[c] for c in kept["class"]],
                             n_classes=len(class_names), n_frames=n_frames, fps=fps, **widening)
