"""The ASCII tab writer: a score as systems of labelled lines with a count line under each,
written with the symbols the parser reads back."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import gcd

from drumtabber.score import Articulation, Instrument, Meter, Score

from . import vocab as V
from .grids import grid_from_count


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


def writer_line(instrument: Instrument) -> tuple[Instrument, str]:
    """The line (base instrument, label) an instrument is written on."""
    base = V.WRITER_LINE_OF.get(instrument, instrument)
    return base, V.WRITER_LABELS.get(base, f"GM{base.gm_note}")


def _count_segment(number: int, offsets: list, denominator: int) -> str:
    den = 1
    for x in offsets:
        den = den * x.denominator // gcd(den, x.denominator)
    digits = str(number)
    if denominator == 4 and 4 % den and den in (3, 6):
        return digits + ("te" if den == 3 else "ts+ts")
    cells = 4 if 4 % den == 0 else den
    if cells == 4:
        return digits + "e+a"
    return digits + " " * max(0, cells - len(digits))


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
    (eighth-note triplets), ``1ts+ts`` (sixteenth triplets), else equal columns.  Two hits of
    one instrument from one source line (a MIDI note played twice in one cell) are written as
    a double stroke where the line has a symbol for it; identical hits from different tab
    lines (C2 and C3 both read as the second crash) are written once.  Hits that cannot be written (no symbol; another hit already in the cell) raise
    ValueError, or, when a ``dropped`` list is given, are appended to it as messages and the
    first hit of the cell is kept.
    """

    def cannot(message: str):
        if dropped is None:
            raise ValueError(message)
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
            events = by_bar.get(bar.index, [])
            segs, starts = [], []
            col = 0
            whole_bar = [e.beat - int(e.beat) for e in events] or [Fraction(0)]
            uniform = _count_segment(1, whole_bar, bar.meter.denominator)
            for b in range(bar.meter.numerator):
                offs = [e.beat - b for e in events if b <= e.beat < b + 1]
                if uniform[1:] in ("e+a", "te", "ts+ts"):      # one grid fits the whole bar
                    offs = whole_bar
                seg = _count_segment(b + 1, offs or [Fraction(0)], bar.meter.denominator)
                positions, _, _ = grid_from_count(seg, bar.meter.denominator)
                starts.append({p: col + j for j, p in enumerate(positions) if p is not None})
                segs.append(seg)
                col += len(seg)
            count_row.append("".join(segs))
            cells = {line: ["-"] * col for line in system_lines}
            written: dict = {}
            for e in events:
                line = writer_line(e.instrument)
                b = int(e.beat)
                pos = starts[b].get(e.beat - b) if b < len(starts) else None
                symbol = _WRITE_SYMBOL.get((line[0], e.instrument, e.articulations))
                where = f"bar {bar.index + 1} beat {e.beat}"
                if pos is None or symbol is None:
                    cannot(f"cannot write {e.instrument.value} "
                           f"{sorted(a.value for a in e.articulations)} at {where}")
                    continue
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
            for line in system_lines:
                rows[line].append("".join(cells[line]))
        meter = chunk[0].meter
        for line in system_lines:
            out.append(line[1].ljust(width) + "|" + "|".join(rows[line]) + "|")
        out.append(" " * width + "|" + "|".join(count_row) + "|")
        out.append("")
    return "\n".join(out)


_WRITE_ORDER = {inst: i for i, inst in enumerate([
    Instrument.CHINA, Instrument.SPLASH, Instrument.CRASH, Instrument.CRASH2, Instrument.RIDE,
    Instrument.RIDE2, Instrument.HIHAT_CLOSED, Instrument.SNARE, Instrument.SIDE_STICK,
    Instrument.TOM_HIGH, Instrument.TOM_HIGH_MID, Instrument.TOM_LOW_MID, Instrument.TOM_LOW,
    Instrument.TOM_FLOOR_HIGH, Instrument.TOM_FLOOR_LOW, Instrument.KICK, Instrument.HIHAT_PEDAL])}
