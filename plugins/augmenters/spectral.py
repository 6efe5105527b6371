"""Augmenters of the features (the seed's spectrogram augmentations): ``data`` is the
feature matrix (frames, bands) of log-magnitudes, where 0 is silence; labels unchanged."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drumtabber.errors import ConfigError


def _share(value: float, what: str) -> None:
    if not 0 <= value <= 1:
        raise ConfigError(f"{what}: expected a share from 0 to 1, found {value!r}")


@dataclass
class MaskOptions:
    min_fraction: float = 0.03       # the masked band's width, as a share of the bands
    max_fraction: float = 0.25

    def __post_init__(self):
        _share(self.min_fraction, "min_fraction")
        _share(self.max_fraction, "max_fraction")
        if self.min_fraction > self.max_fraction:
            raise ConfigError("min_fraction must not be above max_fraction")


class FrequencyMask:
    """A band of neighbouring bins silenced over the whole example (SpecAugment's
    frequency masking)."""

    name = "frequency-mask"
    stage = "features"
    description = "silence a random band of neighbouring bins (features)"
    Options = MaskOptions

    def apply(self, features, fps, onsets, rng, options):
        bands = features.shape[1]
        width = int(round(rng.uniform(options.min_fraction, options.max_fraction) * bands))
        start = int(rng.integers(0, bands - width + 1))
        out = np.array(features, dtype=np.float32)
        out[:, start:start + width] = 0
        return out, onsets


@dataclass
class DropoutOptions:
    share: float = 0.05              # the share of time-frequency bins zeroed

    def __post_init__(self):
        _share(self.share, "share")


class BinDropout:
    """A random share of the time-frequency bins zeroed (the seed's bin dropout: 5%)."""

    name = "bin-dropout"
    stage = "features"
    description = "zero a random share of the time-frequency bins (features)"
    Options = DropoutOptions

    def apply(self, features, fps, onsets, rng, options):
        keep = rng.random(np.shape(features)) >= options.share
        return (np.asarray(features, np.float32) * keep).astype(np.float32), onsets


@dataclass
class SpectralNoiseOptions:
    min_factor: float = 0.95         # each bin multiplied by a factor drawn from this range
    max_factor: float = 1.05

    def __post_init__(self):
        if not 0 <= self.min_factor <= self.max_factor:
            raise ConfigError("expected 0 <= min_factor <= max_factor")


class SpectralNoise:
    """Each time-frequency bin multiplied by its own random factor (the seed's
    multiplicative spectral noise, 0.95-1.05)."""

    name = "spectral-noise"
    stage = "features"
    description = "multiply each time-frequency bin by a random factor (features)"
    Options = SpectralNoiseOptions

    def apply(self, features, fps, onsets, rng, options):
        factors = rng.uniform(options.min_factor, options.max_factor, np.shape(features))
        return (np.asarray(features, np.float32) * factors).astype(np.float32), onsets
