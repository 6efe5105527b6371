"""Augmenters of the score, before it is rendered: ``onsets`` is what the render will play
(one row per note; ``event`` ties it to its note), so rendered audio and labels move
together."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from drumtabber.errors import ConfigError
from drumtabber.onset_table import onset_table

# a jitter is a normal deviate clipped at this many standard deviations
CLIP_SD = 3.0


@dataclass
class HumanizeOptions:
    timing_ms: float = 5.0           # standard deviation of each note's timing jitter
    velocity: float = 8.0            # ... and of its velocity

    def __post_init__(self):
        for name in ("timing_ms", "velocity"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise ConfigError(f"{name}: expected a finite number, 0 or more, found "
                                  f"{value!r}")


class Humanize:
    """Each note a little early or late and a little softer or louder, as a drummer plays
    (normal jitter clipped at 3 standard deviations; velocity kept within 1-127)."""

    name = "humanize"
    stage = "score"
    description = "timing and velocity jitter of each note before rendering (score)"
    Options = HumanizeOptions

    def apply(self, data, rate, onsets, rng, options):
        played = onsets.copy()
        n = len(played)
        if options.timing_ms:
            jitter = np.clip(rng.standard_normal(n), -CLIP_SD, CLIP_SD)
            played["time"] = np.maximum(0.0, played["time"].to_numpy()
                                        + jitter * options.timing_ms / 1000)
        if options.velocity:
            jitter = np.clip(rng.standard_normal(n), -CLIP_SD, CLIP_SD)
            played["velocity"] = np.clip(np.round(played["velocity"].to_numpy()
                                                  + jitter * options.velocity), 1, 127)
        return data, onset_table(played)
