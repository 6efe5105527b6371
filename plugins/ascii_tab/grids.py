"""Bar grids: the beat offset of each column of a bar, from its count line
(``1e+a2e+a``, ``1 e & a``, the seed project's triplet pairs ``tq``/``te``/``ts``) or, without
one, from the bar's width and meter."""
from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache

_TRIPLET_QUARTERS = {"q": Fraction(2, 3), "e": Fraction(1, 3), "s": Fraction(1, 6)}
# Cells a beat of sixteenth-note triplets has; a bar whose width no beat count of the meter
# divides is read as such beats when it has at least MIN_TRIPLET_BAR cells (18: the 6/8 bar
# of three cells an eighth; shorter bars are spread evenly).
SEXTUPLET = 6
MIN_TRIPLET_BAR = 12
# Digits of a beat number read (the widest bars read have 2,500 beats); a longer run of
# digits is no beat number, and int() refuses strings of over 4,300 digits.
MAX_BEAT_DIGITS = 6


@lru_cache(maxsize=4096)
def grid_from_count(count: str, denominator: int):
    """Column -> beat offset for one bar's count text.

    Returns ``(positions, n_beats, problem)``: ``positions[c]`` is the beat offset of
    column ``c`` (None for padding before the first beat number), ``n_beats`` the bar length
    in beats, ``problem`` a message when the count is inconsistent, else "".
    A beat segment with ``tq``/``te``/``ts`` pairs follows the seed project: plain cells are
    sixteenth notes and a cell followed by a pair starts three triplet cells; a segment
    without pairs divides its beat equally among its columns (``1e+a``, ``1 e & a ``, ``1&a``).
    """
    width = len(count)
    starts = [m.start() for m in re.finditer(r"\d+", count)]
    numbers = [int(m.group()[:MAX_BEAT_DIGITS]) for m in re.finditer(r"\d+", count)]
    positions: list = [None] * width
    quarter = Fraction(denominator, 4)        # beats in one quarter note
    problem = ""
    offset = Fraction(0)
    expected = 1
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else width
        seg = count[start:end]
        if numbers[k] != expected and numbers[k] == expected % 10 and expected >= 10:
            numbers[k] = expected      # "9+0+1+2+": one digit a beat, 0 for 10, 1 for 11, ...
        if numbers[k] != expected and not problem:
            problem = f"beat {numbers[k]} where beat {expected} was expected"
        has_pairs = bool(re.search(r".t[qes]", seg))
        if not has_pairs:
            n = len(seg.rstrip("|)]")) or 1
            for j in range(end - start):
                positions[start + j] = offset + Fraction(j, n) if j < n else None
            seg_beats = Fraction(1)
        else:
            cursor, j = Fraction(0), 0
            while j < len(seg):
                if seg[j + 1:j + 2] == "t" and seg[j + 2:j + 3] in ("q", "e", "s") and j + 2 < len(seg):
                    cell = _TRIPLET_QUARTERS[seg[j + 2]] * quarter
                    for t in range(3):
                        positions[start + j + t] = offset + cursor + t * cell
                    cursor += 3 * cell
                    j += 3
                else:
                    positions[start + j] = offset + cursor
                    cursor += quarter / 4
                    j += 1
            seg_beats = cursor
        offset += seg_beats
        expected = numbers[k] + max(1, int(seg_beats))
    if offset.denominator != 1 and not problem:
        problem = f"count adds up to {offset} beats, not a whole number"
    return tuple(positions), max(1, -(-offset.numerator // offset.denominator)), problem


@lru_cache(maxsize=1024)
def grid_from_width(width: int, numerator: int, majority_width: int):
    """Column -> beat offset for a bar without a count line: ``(positions, n_beats, guess)``."""
    per_major = majority_width // numerator if majority_width % numerator == 0 else 0
    if width != majority_width and 0 < per_major <= 8 and width % per_major == 0:
        beats = width // per_major           # a short pickup or a long bar among the others
        return (tuple(Fraction(c, per_major) for c in range(width)), beats,
                "" if beats == numerator else
                f"{width}-column bar read as {beats} beats at {per_major} columns per beat, "
                f"like the other bars of its system")
    if width % numerator == 0 and width // numerator <= 8:
        per_beat = width // numerator
        guess = (f"{width}-column bar read as {numerator} beats of {per_beat} triplet cells"
                 if per_beat % 3 == 0 else "")
        return tuple(Fraction(c, per_beat) for c in range(width)), numerator, guess
    if width % numerator == 0 and width // numerator > 8 and width % 4 == 0:
        # no sane grid has more than 8 cells a beat: bar lines were left out
        return (tuple(Fraction(c, 4) for c in range(width)), width // 4,
                f"{width}-column bar read as {width // 4} beats of sixteenth notes (bar lines "
                "left out?)")
    if width > numerator and (width - 1) % numerator == 0 and (width - 1) // numerator in (2, 3, 4, 6, 8):
        per_beat = (width - 1) // numerator
        return (None,) + tuple(Fraction(c, per_beat) for c in range(width - 1)), numerator, ""
    for pad in (0, 1):
        cells = width - pad
        if cells >= MIN_TRIPLET_BAR and cells % SEXTUPLET == 0:
            # 18 cells in 4/4: three beats of six triplet cells (6/8 at three cells an
            # eighth, as site-tabs/sabbath_war_pigs.txt counts "1tl2tl3tl4tl5tl6tl")
            beats = cells // SEXTUPLET
            return ((None,) * pad + tuple(Fraction(c, SEXTUPLET) for c in range(cells)), beats,
                    f"{width}-column bar read as {beats} beats of {SEXTUPLET} triplet cells")
    return (tuple(Fraction(c * numerator, width) for c in range(width)), numerator,
            f"{width} columns do not divide into {numerator} beats; spread evenly")
