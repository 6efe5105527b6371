"""Built-in augmenters and chains.

- ``timing``: shift with wrap-around, trim, time stretch (labels move with the audio);
- ``sound``: level and timbre on audiomentations, reverb, MP3, background noise or a
  rendered band (labels unchanged);
- ``spectral``: frequency mask, bin dropout, spectral noise (on the features);
- ``score``: before rendering: humanising (timing and velocity of the notes), the balance of
  the kit's families, stretches played on an open hi-hat (or opened by the stick and closed
  by the foot), stretches with one family left out or thinned;
- ``chains/*.toml``: the shipped chains (``seed``, ``realistic``, ``training``,
  ``training-foot``).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from drumtabber.components import NoOptions
from drumtabber.hookspecs import hookimpl

from .score import Accent, Balance, FootClose, Humanize, Mute, OpenHihat, Thin
from .sound import augmenters as sound_augmenters
from .spectral import BinDropout, FrequencyMask, SpectralNoise
from .timing import TimeStretch, Trim, WrapShift

__version__ = "0.2.0"

CHAINS = Path(__file__).parent / "chains"


@hookimpl
def register_augmenters(register):
    for augmenter in [WrapShift(), Trim(), TimeStretch(), *sound_augmenters(), FrequencyMask(),
                      BinDropout(), SpectralNoise(), Humanize(), Balance(), OpenHihat(),
                      FootClose(), Mute(), Thin(), Accent()]:
        register(augmenter)


@dataclass(frozen=True)
class ChainPreset:
    name: str
    description: str
    text: str = field(repr=False)
    Options = NoOptions


@hookimpl
def register_chains(register):
    for path in sorted(CHAINS.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
        register(ChainPreset(data.get("name", path.stem), data.get("description", ""), text))
