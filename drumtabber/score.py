"""The score model: drum hits at exact positions.

A :class:`Score` is a list of :class:`Bar` objects in playing order (repeats expanded) and a
list of :class:`Event` objects.  An event's position is ``bar`` (index into ``Score.bars``)
plus ``beat``, a :class:`fractions.Fraction` counting beats from the start of the bar, where a
beat is the note value of the bar's meter denominator (a quarter in 4/4, an eighth in 7/8).
Nothing is rounded until a tempo map turns positions into seconds.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from fractions import Fraction
from functools import lru_cache


class Instrument(str, Enum):
    """Canonical instrument vocabulary, rooted in General MIDI percussion (GM notes 35-81)."""

    def __new__(cls, value: str, gm_note: int, family: str):
        obj = str.__new__(cls, value)
        obj._value_ = value
        obj.gm_note = gm_note
        obj.family = family
        return obj

    KICK_ACOUSTIC = ("kick_acoustic", 35, "kick")
    KICK = ("kick", 36, "kick")
    SIDE_STICK = ("side_stick", 37, "snare")
    SNARE = ("snare", 38, "snare")
    HAND_CLAP = ("hand_clap", 39, "percussion")
    SNARE_ELECTRIC = ("snare_electric", 40, "snare")
    TOM_FLOOR_LOW = ("tom_floor_low", 41, "tom")
    HIHAT_CLOSED = ("hihat_closed", 42, "hihat")
    TOM_FLOOR_HIGH = ("tom_floor_high", 43, "tom")
    HIHAT_PEDAL = ("hihat_pedal", 44, "hihat")
    TOM_LOW = ("tom_low", 45, "tom")
    HIHAT_OPEN = ("hihat_open", 46, "hihat")
    TOM_LOW_MID = ("tom_low_mid", 47, "tom")
    TOM_HIGH_MID = ("tom_high_mid", 48, "tom")
    CRASH = ("crash", 49, "cymbal")
    TOM_HIGH = ("tom_high", 50, "tom")
    RIDE = ("ride", 51, "ride")
    CHINA = ("china", 52, "cymbal")
    RIDE_BELL = ("ride_bell", 53, "ride")
    TAMBOURINE = ("tambourine", 54, "percussion")
    SPLASH = ("splash", 55, "cymbal")
    COWBELL = ("cowbell", 56, "percussion")
    CRASH2 = ("crash2", 57, "cymbal")
    VIBRASLAP = ("vibraslap", 58, "percussion")
    RIDE2 = ("ride2", 59, "ride")
    BONGO_HIGH = ("bongo_high", 60, "percussion")
    BONGO_LOW = ("bongo_low", 61, "percussion")
    CONGA_MUTE_HIGH = ("conga_mute_high", 62, "percussion")
    CONGA_OPEN_HIGH = ("conga_open_high", 63, "percussion")
    CONGA_LOW = ("conga_low", 64, "percussion")
    TIMBALE_HIGH = ("timbale_high", 65, "percussion")
    TIMBALE_LOW = ("timbale_low", 66, "percussion")
    AGOGO_HIGH = ("agogo_high", 67, "percussion")
    AGOGO_LOW = ("agogo_low", 68, "percussion")
    CABASA = ("cabasa", 69, "percussion")
    MARACAS = ("maracas", 70, "percussion")
    WHISTLE_SHORT = ("whistle_short", 71, "percussion")
    WHISTLE_LONG = ("whistle_long", 72, "percussion")
    GUIRO_SHORT = ("guiro_short", 73, "percussion")
    GUIRO_LONG = ("guiro_long", 74, "percussion")
    CLAVES = ("claves", 75, "percussion")
    WOODBLOCK_HIGH = ("woodblock_high", 76, "percussion")
    WOODBLOCK_LOW = ("woodblock_low", 77, "percussion")
    CUICA_MUTE = ("cuica_mute", 78, "percussion")
    CUICA_OPEN = ("cuica_open", 79, "percussion")
    TRIANGLE_MUTE = ("triangle_mute", 80, "percussion")
    TRIANGLE_OPEN = ("triangle_open", 81, "percussion")

    @classmethod
    def from_gm_note(cls, note: int) -> "Instrument":
        """The instrument for a GM percussion note; ValueError outside 35-81."""
        try:
            return _BY_GM[note]
        except KeyError:
            raise ValueError(f"GM percussion note {note} is outside 35-81") from None


_BY_GM = {i.gm_note: i for i in Instrument}


class Articulation(str, Enum):
    """How a hit is played, beyond which instrument it is on."""

    ACCENT = "accent"
    GHOST = "ghost"
    FLAM = "flam"
    DRAG = "drag"
    DOUBLE = "double"          # two strokes in one grid cell
    CHOKE = "choke"            # cymbal grabbed right after the hit
    RIMSHOT = "rimshot"
    HALF_OPEN = "half_open"    # washy / loose hi-hat
    BELL = "bell"


# MIDI velocities for plain, accented and ghost hits (common drum-programming values:
# GM drum maps treat ~100 as normal, ~120+ as accent, ~40 as ghost).
VELOCITY_NORMAL = 96
VELOCITY_ACCENT = 120
VELOCITY_GHOST = 40


@lru_cache(maxsize=None)          # a few sets of articulations, one call per parsed hit
def velocity_for(articulations: frozenset) -> int:
    """The default MIDI velocity of a hit with these articulations."""
    if Articulation.ACCENT in articulations:
        return VELOCITY_ACCENT
    if Articulation.GHOST in articulations:
        return VELOCITY_GHOST
    return VELOCITY_NORMAL


@dataclass(frozen=True, slots=True)
class Meter:
    """A time signature: ``numerator`` beats of a ``denominator`` note each."""

    numerator: int = 4
    denominator: int = 4

    def __str__(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @classmethod
    def parse(cls, text: str) -> "Meter":
        num, _, den = text.strip().partition("/")
        meter = cls(int(num), int(den))
        if meter.numerator < 1 or meter.denominator not in (1, 2, 4, 8, 16, 32):
            raise ValueError(f"not a meter: {text!r}")
        return meter


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar in playing order."""

    index: int                      # position in Score.bars (playing order), 0-based
    meter: Meter
    written_bar: int                # bar number as written in the file, 1-based
    repeat_pass: int = 1            # 1 on the first time through, 2 on the first repeat, ...
    line: int = 0                   # source line of the system the bar is in (1-based)
    column: int = 0                 # source column where the bar starts (1-based)
    cells: tuple = ()               # beat of each grid cell (tab column), when the source has a grid



@dataclass(slots=True, unsafe_hash=True)
class Event:
    """One drum hit.  Treat it as immutable (``dataclasses.replace`` makes a changed copy):
    it is hashed by value.  Not ``frozen``: a frozen dataclass's ``__init__`` sets each field
    through ``object.__setattr__``, five times slower, and parsing a tab makes one per hit
    (a fifth of ``validate``'s time, ``benchmarks/validate_speed.py``)."""

    bar: int                        # index into Score.bars
    beat: Fraction                  # beats from the start of the bar
    instrument: Instrument
    articulations: frozenset = frozenset()
    velocity: int = VELOCITY_NORMAL
    written_bar: int = 0
    repeat_pass: int = 1
    line: int = 0                   # source position of the symbol, 1-based
    column: int = 0
    source: str = ""                # source file
    label: str = ""                 # the tab line label the hit was written on ("HH", "S")

    @property
    def gm_note(self) -> int:
        return self.instrument.gm_note

    def key(self) -> tuple:
        """What the hit is musically, without where it was written."""
        return (self.bar, self.beat, self.instrument, self.articulations)

    def articulation_text(self) -> str:
        return "+".join(sorted(a.value for a in self.articulations))


@dataclass
class Score:
    """Drum events at exact positions, bars in playing order, and hints read from headers."""

    bars: list[Bar] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    tempo_hint_bpm: float | None = None   # first tempo found in the file's text
    tempo_hints: list = field(default_factory=list)   # (written bar, 1-based; bpm) per tempo mark
    meter_hint: Meter | None = None
    title: str = ""
    source: str = ""

    def sorted_events(self) -> list[Event]:
        return sorted(self.events, key=lambda e: (e.bar, e.beat, e.instrument.gm_note))

    def musical_content(self) -> tuple:
        """Meters of the bars and the hits, ignoring source positions (for round-trip checks)."""
        return (tuple(b.meter for b in self.bars),
                tuple(sorted((e.key() for e in self.events),
                             key=lambda k: (k[0], k[1], k[2].gm_note, sorted(k[3])))))
