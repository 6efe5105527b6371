"""The ASCII tab writer: a score as systems of labelled lines with a count line under each,
written with the symbols the parser reads back."""
from __future__ import annotations

from dataclasses import dataclass
from math import gcd

from drumtabber.errors import DrumtabberError
from drumtabber.score import Articulation, Instrument, Meter, Score

from . import vocab as V


@dataclass
class AsciiTabWriterOptions:
    bars_per_line: int = 4         # bars in one system (fewer where the meter changes)


def _symbol_index():
    """(line instrument, played instrument, articulations) -> symbol, from the parse tables."""
    index = {}
    for base in Instrument:
        kind = V.line_kind(base)
        first = "oO" if kind in ("drum", "kick") else "xX"
        for symbol, (inst, arts) in sorted(V.SYMBOLS[kind].items(),
                                           key=lambda item: (item[0] not in first,
                                                             not item[0].isalpha())):
            index.setdefault((base, inst or base, arts), symbol)
    return index


_WRITE_SYMBOL = _symbol_index()
_LINE_OF: dict = {}                # instrument -> writer_line(instrument), filled as used


def writer_line(instrument: Instrument) -> tuple[Instrument, str]:
    """The line (base instrument, label) an instrument is written on."""
    base = V.WRITER_LINE_OF.get(instrument, instrument)
    return base, V.WRITER_LABELS.get(base, f"GM{base.gm_note}")


# The finest grid a beat is written on: 960 columns, the finest MIDI resolution in common use
# (960 ticks a quarter note); a hit finer than that was not played on any grid, and a beat of
# a million columns (a hit at beat 1/1000003) would be a line no one reads.
MAX_CELLS_PER_BEAT = 960
# The widest bar written (columns): a hundred times the 10,000-column bars that tests read back
# (a tab line of 1 MB; the linter's "huge file" is 10 MB).
MAX_BAR_COLUMNS = 1_000_000


class TabWriteError(DrumtabberError, ValueError):
    """A hit the ASCII writer cannot write (no symbol, off the bar, finer than any grid)."""


def _beat_cells(beats, denominator: int) -> int:
    """Columns of a beat whose hits are at ``beats`` (their offsets' least common
    denominator): 4 (``1e+a``) where that holds them, 3 or 6 (``1te``, ``1ts+ts``) for
    triplets of a quarter note, else one column per cell; 0 when finer than
    MAX_CELLS_PER_BEAT."""
    den = 1
    for beat in beats:
        d = beat.denominator
        if den % d:
            den = den * d // gcd(den, d)
            if den > MAX_CELLS_PER_BEAT:
                return 0
    if denominator == 4 and 4 % den and den in (3, 6):
        return den
    return 4 if 4 % den == 0 else den


def _count_segment(number: int, cells: int, denominator: int) -> str:
    """The count of one beat of ``cells`` columns; beats from 10 on are numbered by their last
    digit ("9e+a0e+a1e+a", as the parser reads them) so that every column is a cell."""
    digit = str(number % 10)
    if cells == 4:
        return digit + "e+a"
    if denominator == 4 and cells in (3, 6):
        return digit + ("te" if cells == 3 else "ts+ts")
    return digit + " " * (cells - 1)


def _systems_of(bars: list, bars_per_line: int):
    """Split bars into systems of at most ``bars_per_line`` bars of one meter."""
    chunk: list = []
    for bar in bars:
        if chunk and (len(chunk) == bars_per_line or bar.meter != chunk[0].meter):
            yield chunk
            chunk = []
        chunk.append(bar)
    if chunk:
        yield chunk


def write_tab(score: Score, *, bars_per_line: int = 4, dropped: list | None = None) -> str:
    """Render a score as an ASCII tab with a count line under each system.

    Each beat gets the coarsest grid that holds its hits: ``1e+a`` (sixteenths), ``1te``
    (eighth-note triplets), ``1ts+ts`` (sixteenth triplets), else equal columns (up to
    MAX_CELLS_PER_BEAT).  Two hits of one instrument from one source line (a MIDI note played
    twice in one cell) are written as a double stroke where the line has a symbol for it;
    identical hits from different tab lines (C2 and C3 both read as the second crash) are
    written once.  Two different hits on one line's cell cannot both be written: that raises
    :class:`TabWriteError` (a ValueError), or, when a ``dropped`` list is given, is appended to
    it as a message and the first hit of the cell is kept.  A hit that cannot be written at
    all (no symbol for it, outside its bar, finer than any grid) always raises
    :class:`TabWriteError` (a DrumtabberError) naming the bar and the hit.  Time and memory
    are linear in the hits and the columns written.
    """

    def cannot(message: str):
        if dropped is None:
            raise TabWriteError(message, path=score.source or None)
        dropped.append(message)

    by_bar: dict[int, list] = {}
    for e in score.events:
        by_bar.setdefault(e.bar, []).append(e)
    lines_used = sorted({writer_line(e.instrument) for e in score.events},
                        key=lambda bl: _WRITE_ORDER.get(bl[0], 100 + bl[0].gm_note))
    lines_used = lines_used or [writer_line(Instrument.KICK)]
    width = max([len(lab) for _, lab in lines_used] + [2])
    out = []
    if score.tempo_hint_bpm:
        out += [f"BPM: {score.tempo_hint_bpm:g}", ""]
    toms = [(lab, base) for base, lab in lines_used if base.family == "tom"]
    if toms:       # tom labels are ranked per file when read; the legend pins each one
        out += [f"{lab} = {base.value.replace('_', ' ')} (GM {base.gm_note})" for lab, base in toms]
        out.append("")
    meter = None
    for chunk in _systems_of(score.bars, bars_per_line):
        if chunk[0].meter != meter and (chunk[0].meter != Meter() or meter is not None):
            out.append(f"Time: {chunk[0].meter}")
        in_system = {writer_line(e.instrument) for bar in chunk for e in by_bar.get(bar.index, [])}
        system_lines = [line for line in lines_used if line in in_system] or lines_used[:1]
        rows = {line: [] for line in system_lines}
        count_row = []
        for bar in chunk:
            count, cells = _write_bar(score, bar, by_bar.get(bar.index, []), system_lines,
                                      cannot)
            count_row.append(count)
            for line in system_lines:
                rows[line].append(cells[line])
        meter = chunk[0].meter
        for line in system_lines:
            out.append(line[1].ljust(width) + "|" + "|".join(rows[line]) + "|")
        out.append(" " * width + "|" + "|".join(count_row) + "|")
        out.append("")
    return "\n".join(out)


def _write_bar(score: Score, bar, events: list, system_lines: list, cannot) -> tuple:
    """One bar: its count text and the cells of each line, ``(count, {line: text})``."""
    denominator = bar.meter.denominator
    n_beats = bar.meter.numerator

    def fail(e, why: str):
        raise TabWriteError(f"cannot write {e.instrument.value} "
                            f"{sorted(a.value for a in e.articulations)} at bar {bar.index + 1} "
                            f"beat {e.beat}: {why}", path=score.source or None)

    in_beat: dict[int, list] = {}
    for e in events:
        b = e.beat.numerator // e.beat.denominator
        if not 0 <= b < n_beats:
            fail(e, f"the bar has {n_beats} beats")
        in_beat.setdefault(b, []).append(e)
    uniform = _beat_cells([e.beat for e in events], denominator)
    if uniform not in (3, 4, 6) or (uniform != 4 and denominator != 4):
        uniform = 0                               # no one grid fits the whole bar
    segs, starts, cells_of = [], [], []
    col = 0
    for b in range(n_beats):
        cells = uniform or _beat_cells([e.beat for e in in_beat.get(b, ())], denominator)
        if not cells:
            fine = max(in_beat[b], key=lambda e: e.beat.denominator)
            fail(fine, f"its beat needs a grid finer than {MAX_CELLS_PER_BEAT} columns")
        segs.append(_count_segment(b + 1, cells, denominator))
        starts.append(col)
        cells_of.append(cells)
        col += cells
        if col > MAX_BAR_COLUMNS:
            raise TabWriteError(f"cannot write bar {bar.index + 1}: it needs over "
                                f"{MAX_BAR_COLUMNS:,} columns ({n_beats} beats of "
                                f"{bar.meter})", path=score.source or None)
    cells = {line: ["-"] * col for line in system_lines}
    written: dict = {}
    for e in events:
        line = _LINE_OF.get(e.instrument) or _LINE_OF.setdefault(e.instrument,
                                                                  writer_line(e.instrument))
        n, d = e.beat.numerator, e.beat.denominator
        b = n // d                         # the cells of its beat hold its grid: d divides
        pos = starts[b] + (n - b * d) * cells_of[b] // d
        symbol = _WRITE_SYMBOL.get((line[0], e.instrument, e.articulations))
        if symbol is None:
            fail(e, f"line {line[1]} has no symbol for it")
        where = f"bar {bar.index + 1} beat {e.beat}"
        if (pos, line) in written and written[pos, line] == (e.instrument, e.label):
            double = _WRITE_SYMBOL.get((line[0], e.instrument,
                                        e.articulations | {Articulation.DOUBLE}))
            if double and cells[line][pos] in (symbol, double):
                cells[line][pos] = double
                continue
        if cells[line][pos] != "-" and cells[line][pos] != symbol:
            cannot(f"two hits on line {line[1]} at {where}: kept "
                   f"{written[pos, line][0].value}, not {e.instrument.value}")
            continue
        cells[line][pos] = symbol
        written.setdefault((pos, line), (e.instrument, e.label))
    return "".join(segs), {line: "".join(cells[line]) for line in system_lines}


_WRITE_ORDER = {inst: i for i, inst in enumerate([
    Instrument.CHINA, Instrument.SPLASH, Instrument.CRASH, Instrument.CRASH2, Instrument.RIDE,
    Instrument.RIDE2, Instrument.HIHAT_CLOSED, Instrument.SNARE, Instrument.SIDE_STICK,
    Instrument.TOM_HIGH, Instrument.TOM_HIGH_MID, Instrument.TOM_LOW_MID, Instrument.TOM_LOW,
    Instrument.TOM_FLOOR_HIGH, Instrument.TOM_FLOOR_LOW, Instrument.KICK, Instrument.HIHAT_PEDAL])}
