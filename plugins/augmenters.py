"""Built-in audio augmenters: label-aware shift and time stretch, and the level and timbre
transforms of audiomentations (Jordal et al.; labels unchanged).

Each augmenter takes mono audio, its sample rate, the onset table and a numpy random
generator, and returns the new audio and onset table (:class:`drumtabber.components.Augmenter`).
audiomentations draws its parameters from Python's and numpy's global generators: both are
seeded from the given generator before each call, so one seed gives one output.
"""
from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

import numpy as np

from drumtabber.components import NoOptions
from drumtabber.hookspecs import hookimpl
from drumtabber.onset_table import onset_table

__version__ = "0.1.0"


@dataclass
class ShiftOptions:
    max_fraction: float = 1.0       # the new start lies anywhere in this share of the song


class WrapShift:
    """The seed's shift: the song starts at a random point and the rest wraps round; each
    label moves with its sample (labels past the end wrap too)."""

    name = "shift"
    description = "start at a random point, wrap the rest round (labels wrap too)"
    Options = ShiftOptions

    def apply(self, samples, sample_rate, onsets, rng, options):
        n = len(samples)
        start = int(rng.integers(0, max(1, int(n * options.max_fraction))))
        moved = onsets.copy()
        moved["time"] = ((np.round(onsets["time"].to_numpy() * sample_rate) - start) % n
                         ) / sample_rate
        return np.roll(samples, -start), onset_table(moved)


@dataclass
class TrimOptions:
    max_start_fraction: float = 0.25   # cut up to this share of the song from the start ...
    max_end_fraction: float = 0.25     # ... and up to this share from the end


class Trim:
    """A random stretch of the song: cut from the start and the end; labels move back by
    the cut and those in the cut parts go."""

    name = "trim"
    description = "cut a random part off the start and the end (labels move with the audio)"
    Options = TrimOptions

    def apply(self, samples, sample_rate, onsets, rng, options):
        n = len(samples)
        start = int(rng.integers(0, max(1, int(n * options.max_start_fraction))))
        stop = n - int(rng.integers(0, max(1, int(n * options.max_end_fraction))))
        moved = onsets.copy()
        moved["time"] = (np.round(onsets["time"].to_numpy() * sample_rate) - start) / sample_rate
        moved = moved[(moved["time"] >= 0) & (moved["time"] < (stop - start) / sample_rate)]
        return samples[start:stop], onset_table(moved)


@dataclass
class StretchOptions:
    min_rate: float = 0.9           # < 1 slows down (the song lasts longer)
    max_rate: float = 1.1


class TimeStretch:
    """Faster or slower without a change of pitch (librosa's phase vocoder); every label
    scales with the audio's length."""

    name = "time-stretch"
    description = "faster or slower, same pitch (labels scale with the audio)"
    Options = StretchOptions

    def apply(self, samples, sample_rate, onsets, rng, options):
        import librosa
        rate = float(rng.uniform(options.min_rate, options.max_rate))
        stretched = librosa.effects.time_stretch(samples, rate=rate).astype(np.float32)
        moved = onsets.copy()
        moved["time"] = onsets["time"].to_numpy() * (len(stretched) / len(samples))
        moved = moved[moved["time"] < len(stretched) / sample_rate]
        return stretched, onset_table(moved)


class Audiomentation:
    """One audiomentations transform, always applied (a chain decides how often); its
    options are the transform's own, with its defaults."""

    def __init__(self, name: str, transform: str, description: str, defaults: dict):
        self.name, self.transform, self.description = name, transform, description
        self.Options = dataclasses.make_dataclass(
            f"{transform}Options",
            [(k, type(v), dataclasses.field(default=v)) for k, v in defaults.items()])

    def apply(self, samples, sample_rate, onsets, rng, options):
        import audiomentations
        random.seed(int(rng.integers(2**31)))
        np.random.seed(int(rng.integers(2**31)))
        transform = getattr(audiomentations, self.transform)(**dataclasses.asdict(options),
                                                             p=1.0)
        out = transform(samples=np.asarray(samples, np.float32), sample_rate=sample_rate)
        return np.asarray(out, np.float32), onsets


# name, audiomentations transform, description (labels unchanged for each)
# name, audiomentations transform, description, options with audiomentations' defaults
# (version 0.43); labels unchanged for each.
LEVEL_AND_TIMBRE = [
    ("gain", "Gain", "louder or softer by a random number of dB",
     {"min_gain_db": -12.0, "max_gain_db": 12.0}),
    ("polarity", "PolarityInversion", "the waveform upside down", {}),
    ("normalize", "Normalize", "peak normalisation", {}),
    ("gaussian-noise", "AddGaussianNoise", "white noise of a random amplitude",
     {"min_amplitude": 0.001, "max_amplitude": 0.015}),
    ("gaussian-snr", "AddGaussianSNR", "white noise at a random signal-to-noise ratio",
     {"min_snr_db": 5.0, "max_snr_db": 40.0}),
    ("color-noise", "AddColorNoise", "coloured noise at a random signal-to-noise ratio",
     {"min_snr_db": 5.0, "max_snr_db": 40.0, "min_f_decay": -6.0, "max_f_decay": 6.0}),
    ("clipping", "ClippingDistortion", "clipping at a random percentile",
     {"min_percentile_threshold": 0, "max_percentile_threshold": 40}),
    ("tanh-distortion", "TanhDistortion", "soft saturation",
     {"min_distortion": 0.01, "max_distortion": 0.7}),
    ("low-pass", "LowPassFilter", "a low-pass filter of random cutoff",
     {"min_cutoff_freq": 150.0, "max_cutoff_freq": 7500.0}),
    ("high-pass", "HighPassFilter", "a high-pass filter of random cutoff",
     {"min_cutoff_freq": 20.0, "max_cutoff_freq": 2400.0}),
    ("band-pass", "BandPassFilter", "a band-pass filter of random centre and width",
     {"min_center_freq": 200.0, "max_center_freq": 4000.0}),
    ("pitch-shift", "PitchShift", "a pitch shift of a random number of semitones",
     {"min_semitones": -4.0, "max_semitones": 4.0}),
]


@hookimpl
def register_augmenters(register):
    register(WrapShift())
    register(Trim())
    register(TimeStretch())
    for name, transform, description, defaults in LEVEL_AND_TIMBRE:
        register(Audiomentation(name, transform, description, defaults))


@dataclass(frozen=True)
class ChainPreset:
    name: str
    description: str
    text: str = dataclasses.field(repr=False)
    Options = NoOptions


# The seed project's augmentation table (mayhemsloth/Drum-Tabber, src/configs.py), with the
# augmenters built so far: its frequency mask, background noise, MP3 compression and
# spectrogram steps (bin dropout 0.25, multiplicative spectral noise 0.05) are not built yet.
SEED_CHAIN = """\
name = "seed"
description = "the seed project's augmentations (those built so far)"
[[step]]
augmenter = "shift"
p = 0.5
[[step]]
augmenter = "polarity"
p = 0.5
[[step]]
augmenter = "gaussian-snr"
p = 0.25
[[step]]
augmenter = "gaussian-noise"
p = 0.25
[[step]]
augmenter = "pitch-shift"
p = 0.25
[[step]]
augmenter = "normalize"
p = 0.25
[[step]]
augmenter = "clipping"
p = 0.25
[[step]]
augmenter = "gain"
p = 0.25
"""


@hookimpl
def register_chains(register):
    register(ChainPreset("seed", "the seed project's augmentations (those built so far)",
                         SEED_CHAIN))
