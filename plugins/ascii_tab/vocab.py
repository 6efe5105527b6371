"""Vocabulary of ASCII drum tabs: line labels, hit symbols and legend keywords.

Kept apart from the parser so the parser and the writer read the same tables.
"""
from __future__ import annotations

import re

from drumtabber.score import Articulation as A
from drumtabber.score import Instrument as I

# ---------------------------------------------------------------------------------------
# Line labels.  A label names a *line role*: the base instrument of the line.  Toms are
# resolved per file (see TOM_RACK_NOTES), so their labels map to a tom rank instead.
# ---------------------------------------------------------------------------------------
TOM_HIGH, TOM_MID, TOM_LOW, TOM_FLOOR = "tom:1", "tom:2", "tom:3", "tom:floor"

LABELS: dict[str, object] = {}


def _labels(role, *names):
    for name in names:
        LABELS[name] = role


_labels(I.HIHAT_CLOSED, "HH", "Hh", "H", "hh", "HiH", "Hat", "HAT", "CH", "Hc", "HC")
_labels(I.HIHAT_OPEN, "OH", "Ho", "HO")
_labels(I.HIHAT_PEDAL, "Hf", "HF", "hf", "HP", "Hp", "FH", "PH", "HHf", "HFt")
_labels(I.SNARE, "SD", "S", "Sn", "SN", "Sd", "sd", "Snr", "SNR", "Snare")
_labels(I.SIDE_STICK, "SS", "XS", "CS")
_labels(I.KICK, "BD", "B", "K", "Kick", "KD", "Bd", "bd", "BK", "Kk", "KK", "B1", "B2",
        "BD1", "BD2", "K1", "K2")
_labels(TOM_HIGH, "T1", "HT", "sT", "ST", "1T", "t1", "Ht", "hT", "RT", "R1T", "T")
_labels(TOM_MID, "T2", "MT", "mT", "2T", "t2", "Mt", "M")
_labels(TOM_LOW, "T3", "LT", "lT", "3T", "t3", "Lt", "T4", "4T", "t4")
_labels(TOM_FLOOR, "FT", "fT", "Ft", "F1", "FT1", "FT2", "F2", "Fl", "F", "f")
_labels(I.CRASH, "C", "CC", "Cr", "CR", "C1", "Cc")
_labels(I.CRASH2, "C2", "C3", "C4", "CC2", "Cr2", "CR2")
_labels(I.RIDE, "R", "Rd", "RC", "RD", "Ri", "R1", "Rc")
_labels(I.RIDE2, "R2", "Rd2", "RC2")
_labels(I.RIDE_BELL, "RB", "Rb", "Bl", "BL", "Be")
_labels(I.CHINA, "G", "Ch", "CN", "Chi", "China", "CHN", "Cn")
_labels(I.SPLASH, "Sp", "SP", "SC", "Spl", "Splash", "sp")
_labels(I.COWBELL, "CB", "Cb", "Cow", "cb")
_labels(I.TAMBOURINE, "Tb", "TB", "Tam", "Tamb", "Ta")
_labels(I.HAND_CLAP, "Cl", "CLP", "Clp")
# One-letter lower-case labels, as in "c r h hf s b" (site-tabs/ratm_take_the_power_back.txt)
# and the toms "t" and "f" (site-tabs/tool_parabola.txt).
_labels(I.CRASH, "c")
_labels(I.RIDE, "r")
_labels(I.HIHAT_CLOSED, "h")
_labels(I.SNARE, "s")
_labels(I.KICK, "b", "k")
_labels(TOM_HIGH, "t")

# Labels whose meaning differs between tab sites: the legend decides, else the first
# reading is taken and a DT102 warning says so.
AMBIGUOUS_LABELS: dict[str, tuple] = {
    "CH": (I.HIHAT_CLOSED, I.CHINA),
    "Ch": (I.CHINA, I.HIHAT_CLOSED),
    "SC": (I.SPLASH, I.SIDE_STICK),
    "T": (TOM_HIGH, I.TAMBOURINE),
    # F is the floor tom on most tab sites (and surely so beside a foot hi-hat line, see
    # FOOT_HIHAT_ROLES in parse.py); some tabbers write it for the hi-hat foot.
    "F": (TOM_FLOOR, I.HIHAT_PEDAL),
    "f": (TOM_FLOOR, I.HIHAT_PEDAL),
    "M": (TOM_MID, I.MARACAS),
}

# A label that names a GM note directly: "GM56", "N42", or "42" (35-81).
GM_LABEL = re.compile(r"^(?:GM|N|P)?(3[5-9]|[4-7]\d|8[01])$")

# Rack-tom and floor-tom GM notes, high to low, by how many of each a file uses
# (GM: high tom 50, hi-mid 48, low-mid 47, low 45; high floor 43, low floor 41).
TOM_RACK_NOTES = {1: (50,), 2: (50, 47), 3: (50, 48, 47), 4: (50, 48, 47, 45)}
TOM_FLOOR_NOTES = {1: (43,), 2: (43, 41)}

# Labels the writer prints for each base instrument (first label wins; others via GM_LABEL).
WRITER_LABELS = {
    I.CRASH: "C", I.CRASH2: "C2", I.CHINA: "CN", I.SPLASH: "Sp", I.RIDE: "R", I.RIDE2: "R2",
    I.HIHAT_CLOSED: "HH", I.HIHAT_PEDAL: "Hf", I.SNARE: "SD", I.SIDE_STICK: "SS",
    I.TOM_HIGH: "T1", I.TOM_HIGH_MID: "T2", I.TOM_LOW_MID: "T3", I.TOM_LOW: "T4",
    I.TOM_FLOOR_HIGH: "FT", I.TOM_FLOOR_LOW: "F2", I.KICK: "BD", I.COWBELL: "CB",
    I.TAMBOURINE: "Tb",
}
# Instruments written on the line of another (open hi-hat is 'o' on the HH line, ...).
WRITER_LINE_OF = {I.HIHAT_OPEN: I.HIHAT_CLOSED, I.RIDE_BELL: I.RIDE}

# ---------------------------------------------------------------------------------------
# Hit symbols, by line kind.  Each symbol gives (instrument override or None, articulations).
# ---------------------------------------------------------------------------------------
_ = frozenset
PLAIN = _()
ACC, GH, FL, DB, RIM, CHK, BELL, HALF = (_({a}) for a in (
    A.ACCENT, A.GHOST, A.FLAM, A.DOUBLE, A.RIMSHOT, A.CHOKE, A.BELL, A.HALF_OPEN))

_COMMON = {"x": (None, PLAIN), "o": (None, PLAIN), "X": (None, ACC), "O": (None, ACC),
           "g": (None, GH), "f": (None, FL), "F": (None, FL | ACC), "d": (None, DB),
           "D": (None, DB | ACC), "@": (None, ACC)}

# "0" for "o" on drum lines ("BD|0---0---|"), as some tabbers type it.
_ZERO = {"0": (None, PLAIN)}

SYMBOLS: dict[str, dict[str, tuple]] = {
    "drum": {**_COMMON, **_ZERO, "r": (None, RIM), "R": (None, RIM | ACC), "G": (None, GH),
             "#": (None, CHK), "c": (I.SIDE_STICK, PLAIN)},
    "kick": {**_COMMON, **_ZERO},
    "hihat": {**_COMMON, "o": (I.HIHAT_OPEN, PLAIN), "O": (I.HIHAT_OPEN, ACC),
              "w": (I.HIHAT_OPEN, HALF), "W": (I.HIHAT_OPEN, HALF | ACC),
              "+": (None, PLAIN), "c": (None, PLAIN), "s": (I.HIHAT_PEDAL, PLAIN),
              "S": (I.HIHAT_PEDAL, PLAIN), "#": (None, CHK), "b": (None, BELL),
              "@": (I.HIHAT_OPEN, ACC)},
    "hihat_pedal": {"x": (None, PLAIN), "o": (None, PLAIN), "X": (None, ACC),
                    "O": (None, ACC), "s": (None, PLAIN), "S": (None, PLAIN),
                    "w": (I.HIHAT_OPEN, HALF), "W": (I.HIHAT_OPEN, HALF | ACC)},
    # r and R on a cymbal: the strokes of a roll, one a cell (site-tabs/tool_parabola.txt
    # writes "C |R-----------rrrrrrrr|")
    "cymbal": {**_COMMON, "#": (None, CHK), "c": (None, CHK), "b": (None, BELL),
               "B": (None, BELL | ACC), "@": (None, BELL), "w": (None, HALF),
               "r": (None, PLAIN), "R": (None, ACC)},
    "ride": {**_COMMON, "#": (None, CHK), "c": (None, CHK), "b": (I.RIDE_BELL, BELL),
             "B": (I.RIDE_BELL, BELL | ACC), "@": (I.RIDE_BELL, BELL)},
}

# Characters that mean "no hit here" inside a bar (em and en dashes are web-copy noise).
REST_CHARS = "-\u2014\u2013=_.~ \u00b7"


# Symbols that name an instrument of their own on any line ("c" is a cross stick on a snare
# line): kept only on lines of that instrument's family.
FAMILY_ONLY = {I.SIDE_STICK}


def line_kind(instrument: I) -> str:
    """Which symbol table a line whose base instrument is ``instrument`` uses."""
    if instrument == I.HIHAT_PEDAL:
        return "hihat_pedal"
    family = instrument.family
    if family in ("hihat", "kick", "ride"):
        return family
    return "cymbal" if family == "cymbal" else "drum"


# ---------------------------------------------------------------------------------------
# Legend keywords ("G = China", "|-g-|: ghost hit", "sT, mT, FT = small tom, ...").
# ---------------------------------------------------------------------------------------
INSTRUMENT_WORDS: list[tuple[re.Pattern, object]] = [
    (re.compile(p, re.I), role) for p, role in [
        (r"ride\s*bell|bell\s+of\s+(the\s+)?ride", I.RIDE_BELL),
        (r"china|chinese|\bstack", I.CHINA),
        (r"splash", I.SPLASH),
        (r"cow[\s-]*bell", I.COWBELL),
        (r"tambourine", I.TAMBOURINE),
        (r"\bclap", I.HAND_CLAP),
        (r"cross[\s-]*stick|side[\s-]*stick|rim\s*click", I.SIDE_STICK),
        (r"\bride", I.RIDE),
        (r"crash|\bcymbal", I.CRASH),
        (r"h[iy][\s-]*h?hats?|\bhh\b|\bhat\b", I.HIHAT_CLOSED),
        (r"snare", I.SNARE),
        (r"bass\s*drum|\bbass\b|kick", I.KICK),
        (r"floor", TOM_FLOOR),
        (r"\btom|\btoms\b", "tom"),
    ]]
TOM_RANK_WORDS = [(re.compile(p, re.I), role) for p, role in [
    (r"small|high|\bhi\b|rack\s*1|first|\b1\b|tom\s*#?1|left", TOM_HIGH),
    (r"medium|middle|\bmid|rack\s*2|second|\b2\b|tom\s*#?2", TOM_MID),
    (r"\blow?\b|third|\b3\b|tom\s*#?[34]", TOM_LOW),
]]
ARTICULATION_WORDS: list[tuple[re.Pattern, object]] = [
    (re.compile(p, re.I), meaning) for p, meaning in [
        (r"ghost", A.GHOST), (r"flam", A.FLAM), (r"drag|ruff", A.DRAG),
        (r"double", A.DOUBLE), (r"choke|grab", A.CHOKE), (r"accent", A.ACCENT),
        (r"rim\s*shot|\brim\b|\brims\b", A.RIMSHOT), (r"(?<!cow[\s-])\bbell\b", A.BELL),
        (r"wash|loose|half[\s-]*open|sloppy", A.HALF_OPEN),
        (r"stomp|\bfoot\b|pedal|\bclose\b.*\bfoot", "pedal"),
        (r"\bopen", "open"),
    ]]
HIHAT_SCOPE = re.compile(r"^\s*(if\s+)?on\s+(the\s+)?h[iy][\s-]*h?hats?\b[,:]?\s*", re.I)
KICK_SCOPE = re.compile(r"^\s*(if\s+)?on\s+(the\s+)?(bass\s*drum|kick)\b[,:]?\s*", re.I)
