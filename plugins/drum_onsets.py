"""The drum onset models drumtabber ships, and the class scheme they are trained on.

``models/drum-onsets`` (``--model bundled``; ``make onset-model``) places labels in
``align --refine``; ``models/drum-transcriber`` (``--model transcriber``; ``make
transcriber``) is what ``transcribe`` and ``evaluate`` use.  Both were trained by
``drumtabber-data train-onsets``; docs/models.md says how and what each scores.  Their
classes are the ``onsets`` scheme below.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from drumtabber.classes import parse_scheme
from drumtabber.components import NoOptions
from drumtabber.hookspecs import hookimpl

__version__ = "0.1.0"

# The classes an onset model tells apart: instrument families, with the pedal hi-hat, whose
# soft chick sits under kick and snare, a class of its own.
ONSET_SCHEME = """\
name = "onsets"
description = "drum onset classes: families, the pedal hi-hat apart"
[classes]
kick = { families = ["kick"] }
snare = { families = ["snare"] }
tom = { families = ["tom"] }
hihat = ["hihat_closed", "hihat_open"]
hihat_pedal = ["hihat_pedal"]
cymbal = { families = ["cymbal"] }
ride = { families = ["ride"] }
[drop]
families = ["percussion"]
"""
ONSET_CLASSES, _ = parse_scheme(ONSET_SCHEME, path="drumtabber.plugins.drum_onsets")


@dataclass(frozen=True)
class ShippedModel:
    name: str
    description: str
    path: Path = field(repr=False)
    Options = NoOptions


BUNDLED = ShippedModel("bundled", "drum onset model (Keras CNN, 7 classes) trained on Groove "
                       "MIDI renders with four soundfont kits",
                       Path(__file__).resolve().parent / "models" / "drum-onsets")


TRANSCRIBER = ShippedModel("transcriber", "drum transcription model (an ensemble of two Keras "
                           "CRNNs, 7 classes) trained on Groove MIDI renders with eleven "
                           "soundfont and sample kits through the realistic chain",
                           Path(__file__).resolve().parent / "models" / "drum-transcriber")


@hookimpl
def register_class_maps(register):
    register(ONSET_CLASSES)


@hookimpl
def register_models(register):
    register(BUNDLED)
    register(TRANSCRIBER)
