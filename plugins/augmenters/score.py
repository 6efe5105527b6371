"""Augmenters of the score, before it is rendered: ``onsets`` is what the render will play
(one row per note; ``event`` ties it to its note), so rendered audio and labels move
together."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from drumtabber.errors import ConfigError
from drumtabber.onset_table import onset_table
from drumtabber.score import Instrument

# a jitter is a normal deviate clipped at this many standard deviations
CLIP_SD = 3.0


def check_numbers(options, names, low: float = 0.0, high: float = math.inf) -> None:
    """Each named option a finite number within [low, high], else a ConfigError naming it."""
    for name in names:
        value = getattr(options, name)
        if not (isinstance(value, (int, float)) and not isinstance(value, bool)
                and math.isfinite(value) and low <= value <= high):
            span = f"from {low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"
            raise ConfigError(f"{name}: expected a finite number {span}, found {value!r}")


@dataclass
class HumanizeOptions:
    timing_ms: float = 5.0           # standard deviation of each note's timing jitter
    velocity: float = 8.0            # ... and of its velocity

    def __post_init__(self):
        check_numbers(self, ("timing_ms", "velocity"))


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


@dataclass
class BalanceOptions:
    min_factor: float = 0.5          # each family's velocities scaled by a factor drawn
    max_factor: float = 1.25         # log-uniformly from this range

    def __post_init__(self):
        check_numbers(self, ("min_factor", "max_factor"), 0.01, 10.0)
        if self.min_factor > self.max_factor:
            raise ConfigError(f"min_factor ({self.min_factor}) is above max_factor "
                              f"({self.max_factor})")


class Balance:
    """The kit's balance of one mix: every family (kick, snare, toms, hi-hat, cymbals, ride,
    percussion) louder or softer as a whole, as microphones and mixes place them (a quiet
    hi-hat under a loud room, a loud ride); velocity kept within 1-127."""

    name = "balance"
    stage = "score"
    description = "each drum family louder or softer as a whole before rendering (score)"
    Options = BalanceOptions

    def apply(self, data, rate, onsets, rng, options):
        played = onsets.copy()
        families = np.array([Instrument(v).family for v in played["instrument"]])
        low, high = math.log(options.min_factor), math.log(options.max_factor)
        factor = np.ones(len(played))
        for family in sorted(set(families)):
            factor[families == family] = math.exp(rng.uniform(low, high))
        played["velocity"] = np.clip(np.round(played["velocity"].to_numpy() * factor), 1, 127)
        return data, onset_table(played)


@dataclass
class StretchOptions:
    share: float = 0.3               # chance that a stretch of the song is changed
    min_s: float = 2.0               # stretches last from min_s to max_s seconds
    max_s: float = 8.0

    def __post_init__(self):
        check_numbers(self, ("share",), 0.0, 1.0)
        check_numbers(self, ("min_s", "max_s"), 0.1, 600.0)
        if self.min_s > self.max_s:
            raise ConfigError(f"min_s ({self.min_s}) is above max_s ({self.max_s})")


def stretches(times, rng, options):
    """The song cut into stretches of min_s to max_s seconds: each note's stretch number,
    and for each stretch whether it is chosen (with chance ``share``)."""
    end = float(np.max(times)) if len(times) else 0.0
    edges = [0.0]
    while edges[-1] <= end:
        edges.append(edges[-1] + rng.uniform(options.min_s, options.max_s))
    chosen = rng.random(len(edges) - 1) < options.share
    return np.searchsorted(edges, times, side="right") - 1, chosen


class OpenHihat:
    """Stretches of the song with the hi-hat played open: closed strokes there become open
    ones, as drummers ride a loose, open hi-hat in rock and punk (labels keep the stroke;
    the render plays the open sound, cut by the next closed or pedal stroke)."""

    name = "open-hihat"
    stage = "score"
    description = "closed hi-hat strokes opened in random stretches of the song (score)"
    Options = StretchOptions

    def apply(self, data, rate, onsets, rng, options):
        played = onsets.copy()
        stretch, opened = stretches(played["time"].to_numpy(), rng, options)
        swap = (played["instrument"].to_numpy() == Instrument.HIHAT_CLOSED.value) & opened[stretch]
        played.loc[swap, "instrument"] = Instrument.HIHAT_OPEN.value
        played.loc[swap, "gm_note"] = Instrument.HIHAT_OPEN.gm_note
        return data, onset_table(played)


FAMILIES = ("kick", "snare", "tom", "hihat", "cymbal", "ride", "percussion")


@dataclass
class MuteOptions(StretchOptions):
    families: str = "hihat,cymbal,ride,kick,snare"    # which may fall silent (comma-separated)

    def __post_init__(self):
        super().__post_init__()
        names = [f.strip() for f in str(self.families).split(",") if f.strip()]
        if not names or any(f not in FAMILIES for f in names):
            raise ConfigError(f"families: expected some of {', '.join(FAMILIES)} "
                              f"(comma-separated), found {self.families!r}")
        self.families = ",".join(names)


class Mute:
    """Stretches of the song with one drum family left out (drawn among ``families`` for
    each chosen stretch), notes and labels alike: Groove's drummers keep the hi-hat going
    under every kick and snare, recorded songs have stretches of kick and snare alone, a
    ride without a hi-hat, a break without a kick; the network should hear each drum rather
    than expect it from the others."""

    name = "mute"
    stage = "score"
    description = "one drum family left out in random stretches of the song (score)"
    Options = MuteOptions

    def apply(self, data, rate, onsets, rng, options):
        played = onsets.copy()
        stretch, muted = stretches(played["time"].to_numpy(), rng, options)
        silent = rng.choice(np.array(options.families.split(","), dtype=object),
                            size=len(muted))
        families = np.array([Instrument(v).family for v in played["instrument"]], dtype=object)
        drop = muted[stretch] & (families == silent[stretch])
        if drop.all():                      # a song of one family: keep it whole
            return data, onsets
        return data, onset_table(played.loc[~drop].reset_index(drop=True))


@dataclass
class ThinOptions(MuteOptions):
    families: str = "hihat,ride"                      # which may be thinned (comma-separated)


class Thin:
    """Stretches of the song with one timekeeping family (drawn among ``families`` for each
    chosen stretch) playing every other stroke, the first or the second of each pair at
    random: Groove's eighth-note hi-hat becomes quarters on the beat or on the off-beat,
    so kicks and snares between the strokes come without a hi-hat, as in punk, polka or
    reggae beats; the network should hear a stroke rather than expect it from the
    pattern."""

    name = "thin"
    stage = "score"
    description = "every other stroke of one family left out in random stretches (score)"
    Options = ThinOptions

    def apply(self, data, rate, onsets, rng, options):
        played, _, drop = every_other_stroke(onsets, rng, options, options.families)
        return data, onset_table(played.loc[~drop].reset_index(drop=True))


def every_other_stroke(onsets, rng, options, families: str):
    """``onsets`` sorted by time (``played``), and in stretches of the song
    (:func:`stretches`) each with one family drawn among ``families`` (comma-separated),
    that family's strokes there in time order as two masks over ``played``: the first,
    third, ... (``kept``) and the second, fourth, ... (``other``), the pair's order drawn
    for each stretch."""
    played = onsets.sort_values("time", kind="stable").reset_index(drop=True)
    stretch, chosen = stretches(played["time"].to_numpy(), rng, options)
    family = rng.choice(np.array(families.split(","), dtype=object), size=len(chosen))
    phase = rng.integers(2, size=len(chosen))
    of_row = np.array([Instrument(v).family for v in played["instrument"]], dtype=object)
    kept = np.zeros(len(played), dtype=bool)
    other = np.zeros(len(played), dtype=bool)
    for k in np.flatnonzero(chosen):
        strokes = np.flatnonzero((stretch == k) & (of_row == family[k]))
        other[strokes[phase[k]::2]] = True
        kept[strokes[1 - phase[k]::2]] = True
    return played, kept, other


@dataclass
class FootCloseOptions(StretchOptions):
    # The closing: a pedal note of velocity 1 to this.  1 (the default) is the cut alone: an
    # audible chick with no label taught networks that soft hi-hats are no strokes.
    velocity: float = 1.0

    def __post_init__(self):
        super().__post_init__()
        check_numbers(self, ("velocity",), 1.0, 127.0)


class FootClose:
    """Stretches of the song with the hi-hat opened by the stick and closed by the foot:
    every other hi-hat stroke there is played open and the stroke after it becomes the
    pedal closing the hat (a note that cuts the ring), as punk and rock drummers play
    open on the beat and close with the kick.  The closing is not a stroke of the hi-hat
    and gets no label (an ``unlabelled`` row: rendered, then left out of the onset table),
    so the network learns that a ringing hat falling silent is no hit."""

    name = "foot-close"
    stage = "score"
    description = "open hi-hat strokes closed by the foot, unlabelled, in random stretches (score)"
    Options = FootCloseOptions

    def apply(self, data, rate, onsets, rng, options):
        played, opened, closing = every_other_stroke(onsets, rng, options, "hihat")
        if "unlabelled" not in played.columns:
            played["unlabelled"] = False
        for mask, instrument in ((opened, Instrument.HIHAT_OPEN),
                                 (closing, Instrument.HIHAT_PEDAL)):
            played.loc[mask, "instrument"] = instrument.value
            played.loc[mask, "gm_note"] = instrument.gm_note
        played.loc[closing, "velocity"] = rng.integers(1, int(options.velocity) + 1,
                                                       size=int(closing.sum()))
        played.loc[closing, "unlabelled"] = True
        return data, onset_table(played)


@dataclass
class AccentOptions(StretchOptions):
    rate: float = 0.5                # chance a kick or snare stroke there becomes an accent
    timing_ms: float = 4.0           # standard deviation of each added note's timing jitter
    min_velocity: float = 80.0       # added notes' velocities drawn from this to 127

    def __post_init__(self):
        super().__post_init__()
        check_numbers(self, ("rate",), 0.0, 1.0)
        check_numbers(self, ("timing_ms",))
        check_numbers(self, ("min_velocity",), 1.0, 127.0)


ACCENT = (Instrument.KICK, Instrument.SNARE, Instrument.CRASH)


class Accent:
    """Stretches of the song with accents: kick or snare strokes there (each with chance
    ``rate``) joined by whichever of kick, snare and crash are missing, struck together, as
    rock and punk drummers hit accents, stops and crash-ridden choruses.  Groove's drummers
    nearly never do (63 of its 33,934 snare strokes come with a kick and a crash), and
    networks trained on it take kick, snare and crash together for kick and crash alone.
    The added notes are labelled strokes, each a few ms from the stroke it joins.  The
    hi-hat falls silent there (the hand is on the crash): hats labelled under the crashes'
    wash, where they are barely heard, taught networks to find hats wherever a cymbal
    rings."""

    name = "accent"
    stage = "score"
    description = "kick, snare and crash struck together in random stretches (score)"
    Options = AccentOptions

    def apply(self, data, rate, onsets, rng, options):
        played = onsets.sort_values("time", kind="stable").reset_index(drop=True)
        times = played["time"].to_numpy()
        stretch, chosen = stretches(times, rng, options)
        families = np.array([Instrument(v).family for v in played["instrument"]], dtype=object)
        base = (chosen[stretch] & np.isin(families, ["kick", "snare"])
                & (rng.random(len(played)) < options.rate))
        added = []
        for i in np.flatnonzero(base):
            near = set(families[np.abs(times - times[i]) < 0.03])
            for instrument in ACCENT:
                if instrument.family not in near:
                    row = played.iloc[i].copy()
                    row["instrument"], row["gm_note"] = instrument.value, instrument.gm_note
                    jitter = np.clip(rng.standard_normal(), -CLIP_SD, CLIP_SD)
                    row["time"] = max(0.0, times[i] + jitter * options.timing_ms / 1000)
                    row["velocity"] = int(rng.integers(int(options.min_velocity), 128))
                    added.append(row)
        silent = chosen[stretch] & (families == "hihat")
        if silent.all():                    # a song of hi-hat alone: keep it whole
            return data, onsets
        return data, onset_table(pd.concat([played.loc[~silent],
                                            pd.DataFrame(added, columns=played.columns)],
                                           ignore_index=True))
