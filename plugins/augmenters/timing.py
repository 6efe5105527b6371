"""Augmenters that move the audio in time: each label moves with its sample."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drumtabber.onset_table import onset_table


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
