"""Augmenters of level and timbre, on audiomentations (Jordal et al.): labels unchanged.

audiomentations draws its parameters from Python's and numpy's global generators: both are
seeded from the given generator before each call, so one seed gives one output.  Reverb
delays the sound by the impulse response's direct path; the output is moved back by it, so
each hit sounds where its label is.
"""
from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drumtabber.errors import ConfigError

from .band import band_under

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff")


def seed_globals(rng) -> None:
    random.seed(int(rng.integers(2**31)))
    np.random.seed(int(rng.integers(2**31)))


class Audiomentation:
    """One audiomentations transform, always applied (a chain decides how often); its
    options are the transform's own, with its defaults; ``fixed`` are arguments the user
    does not choose (those that would move the sound away from its labels)."""

    def __init__(self, name: str, transform: str, description: str, defaults: dict,
                 fixed: dict | None = None):
        self.name, self.transform, self.description = name, transform, description
        self.fixed = dict(fixed or {})
        self.Options = dataclasses.make_dataclass(
            f"{transform}Options",
            [(k, type(v), dataclasses.field(default=v)) for k, v in defaults.items()])

    def build(self, options):
        import audiomentations
        return getattr(audiomentations, self.transform)(**dataclasses.asdict(options),
                                                        **self.fixed, p=1.0)

    def apply(self, samples, sample_rate, onsets, rng, options):
        seed_globals(rng)
        transform = self.build(options)
        out = transform(samples=np.asarray(samples, np.float32), sample_rate=sample_rate)
        return self.finish(np.asarray(out, np.float32), len(samples), transform,
                           sample_rate), onsets

    def finish(self, out, n, transform, sample_rate):
        return out


class Reverb(Audiomentation):
    """A reverb transform whose output starts at the direct sound of its impulse response
    and keeps the input's length."""

    def finish(self, out, n, transform, sample_rate):
        delay = int(np.argmax(np.abs(self.impulse(transform, sample_rate))))
        out = out[delay:delay + n]
        return np.pad(out, (0, n - len(out))).astype(np.float32)

    def impulse(self, transform, sample_rate):
        return transform.room.rir[0][0]             # RoomSimulator's


def audio_files(folder: str) -> list[Path]:
    path = Path(folder).expanduser()
    if not path.is_dir():
        raise ConfigError(f"folder: {folder!r} is not a folder")
    files = [p for p in path.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES]
    if not files:
        raise ConfigError(f"folder: {folder!r} holds no audio files "
                          f"({', '.join(AUDIO_SUFFIXES)})")
    return files


@dataclass
class BackgroundOptions:
    folder: str = ""                 # recordings to mix in; "" = a band rendered here
    min_snr_db: float = 3.0
    max_snr_db: float = 30.0

    def __post_init__(self):
        if self.folder:
            audio_files(self.folder)
        if not self.min_snr_db <= self.max_snr_db:
            raise ConfigError("min_snr_db must not be above max_snr_db")


class BackgroundNoise:
    """A recording from a folder (audiomentations' AddBackgroundNoise), or without a folder
    a band rendered for the song (bass on the kick labels, chords), under the drums at a
    random signal-to-noise ratio."""

    name = "background-noise"
    description = "a recording from a folder, or a rendered band, under the drums"
    Options = BackgroundOptions

    def apply(self, samples, sample_rate, onsets, rng, options):
        samples = np.asarray(samples, np.float32)
        if not options.folder:
            snr = float(rng.uniform(options.min_snr_db, options.max_snr_db))
            return band_under(samples, sample_rate, onsets, rng, snr), onsets
        import audiomentations
        seed_globals(rng)
        transform = audiomentations.AddBackgroundNoise(
            sounds_path=[str(p) for p in audio_files(options.folder)],
            min_snr_db=options.min_snr_db, max_snr_db=options.max_snr_db, p=1.0)
        return np.asarray(transform(samples=samples, sample_rate=sample_rate),
                          np.float32), onsets


@dataclass
class ImpulseOptions:
    folder: str = ""                 # impulse responses (one audio file each); "" = synthetic
    min_rt60: float = 0.2            # a synthetic response's decay time (s) ...
    max_rt60: float = 1.0
    min_wet: float = 0.1             # ... and its level against the direct sound (energy
    max_wet: float = 0.7             # ratio as amplitude: 0.3 = a tail 10 dB under it)

    def __post_init__(self):
        if self.folder:
            audio_files(self.folder)
        if not (0 < self.min_rt60 <= self.max_rt60 <= 10 and 0 <= self.min_wet <= self.max_wet):
            raise ConfigError("expected 0 < min_rt60 <= max_rt60 <= 10 and "
                              "0 <= min_wet <= max_wet")


class ImpulseResponse(Reverb):
    """Convolution with an impulse response drawn from a folder, or with a synthetic one
    (the direct sound, then after a pre-delay noise decaying by 60 dB in a random RT60, its
    energy ``wet`` squared against the direct sound's)."""

    name = "impulse-response"
    transform = "ApplyImpulseResponse"
    description = ("convolution with an impulse response from a folder (or a synthetic "
                   "one); the direct sound stays on its label")
    Options = ImpulseOptions

    def __init__(self):
        self.fixed = {}

    def apply(self, samples, sample_rate, onsets, rng, options):
        if options.folder:
            return super().apply(samples, sample_rate, onsets, rng, options)
        from scipy.signal import fftconvolve
        rt60 = float(rng.uniform(options.min_rt60, options.max_rt60))
        t = np.arange(int(rt60 * sample_rate)) / sample_rate
        ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
        ir *= float(rng.uniform(options.min_wet, options.max_wet)) / max(
            1e-9, float(np.sqrt(np.sum(ir ** 2))))
        pre = int(rng.uniform(0.002, 0.02) * sample_rate)
        ir = np.concatenate([[1.0], np.zeros(pre), ir])
        samples = np.asarray(samples, np.float32)
        out = fftconvolve(samples, ir)[:len(samples)]
        peak = np.abs(out).max()
        scale = np.abs(samples).max() / peak if peak > 0 else 1.0
        return (out * scale).astype(np.float32), onsets

    def build(self, options):
        import audiomentations
        return audiomentations.ApplyImpulseResponse(
            ir_path=[str(p) for p in audio_files(options.folder)],
            leave_length_unchanged=False, p=1.0)

    def impulse(self, transform, sample_rate):
        from audiomentations.core.audio_loading_utils import load_sound_file
        return load_sound_file(transform.parameters["ir_file_path"], sample_rate)[0]


# name, audiomentations transform, description, options with audiomentations' defaults
# (version 0.43)[, fixed arguments]; labels unchanged for each.
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
    # the pass filters run forwards and backwards (zero phase), so no hit is delayed
    ("low-pass", "LowPassFilter", "a low-pass filter of random cutoff",
     {"min_cutoff_freq": 150.0, "max_cutoff_freq": 7500.0}, {"zero_phase": True}),
    ("high-pass", "HighPassFilter", "a high-pass filter of random cutoff",
     {"min_cutoff_freq": 20.0, "max_cutoff_freq": 2400.0}, {"zero_phase": True}),
    ("band-pass", "BandPassFilter", "a band-pass filter of random centre and width",
     {"min_center_freq": 200.0, "max_center_freq": 4000.0}, {"zero_phase": True}),
    ("parametric-eq", "SevenBandParametricEQ", "seven bands cut or boosted at random",
     {"min_gain_db": -12.0, "max_gain_db": 12.0}),
    ("peaking-eq", "PeakingFilter", "one band cut or boosted (random centre, gain, Q)",
     {"min_center_freq": 50.0, "max_center_freq": 7500.0, "min_gain_db": -24.0,
      "max_gain_db": 24.0, "min_q": 0.5, "max_q": 5.0}),
    ("low-shelf", "LowShelfFilter", "the lows cut or boosted (random corner and gain)",
     {"min_center_freq": 50.0, "max_center_freq": 4000.0, "min_gain_db": -18.0,
      "max_gain_db": 18.0, "min_q": 0.1, "max_q": 0.999}),
    ("high-shelf", "HighShelfFilter", "the highs cut or boosted (random corner and gain)",
     {"min_center_freq": 300.0, "max_center_freq": 7500.0, "min_gain_db": -18.0,
      "max_gain_db": 18.0, "min_q": 0.1, "max_q": 0.999}),
    ("pitch-shift", "PitchShift", "a pitch shift of a random number of semitones",
     {"min_semitones": -4.0, "max_semitones": 4.0}),
    ("limiter", "Limiter", "a look-ahead limiter (delay compensated), as on a master bus",
     {"min_threshold_db": -24.0, "max_threshold_db": -2.0, "min_attack": 0.0005,
      "max_attack": 0.025, "min_release": 0.05, "max_release": 0.7}),
]


def augmenters() -> list:
    out = [Audiomentation(*row) for row in LEVEL_AND_TIMBRE]
    out.append(Audiomentation(
        "mp3", "Mp3Compression", "MP3 encoding at a random bitrate (kbps; delay removed)",
        {"min_bitrate": 8, "max_bitrate": 64},
        {"backend": "fast-mp3-augment", "preserve_delay": False}))
    out.append(Reverb(
        "room", "RoomSimulator", "a simulated room's reverb (pyroomacoustics); the direct "
        "sound stays on its label",
        {"min_absorption_value": 0.075, "max_absorption_value": 0.4,
         "min_mic_distance": 0.15, "max_mic_distance": 0.35, "max_order": 3},
        # ray tracing draws from pyroomacoustics' own unseeded generator
        {"leave_length_unchanged": False, "use_ray_tracing": False}))
    return out + [ImpulseResponse(), BackgroundNoise()]
