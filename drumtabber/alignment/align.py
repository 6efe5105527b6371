"""The alignment itself, pure: an :class:`Alignment` + its tab's score -> tempo map and onset
table.  No plugin manager, no file reading, no audio."""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from fractions import Fraction

from ..findings import Finding, has_errors
from ..onset_table import onset_table
from ..score import Articulation, Score
from ..tempo import QUARTER, TempoMap, qpm_of
from ..textio import key_line
from .files import BPM_RANGE, Alignment, Position, _num


@dataclass
class AlignResult:
    """The tempo map and onset table of an aligned tab (None and an empty table when the
    alignment has errors), with every finding."""

    tempo_map: TempoMap | None
    onsets: object                                  # pandas DataFrame (drumtabber.onset_table)
    findings: list[Finding] = field(default_factory=list)


def cell_to_quarters(score: Score, tempo_map: TempoMap, cell: int):
    """Quarter-note position of the seed's ``cell``-th grid cell (0-based, bar lines removed),
    or None past the end of the tab."""
    for bar in score.bars:
        if cell < len(bar.cells):
            return tempo_map.position_to_quarters(bar.index, bar.cells[cell])
        cell -= len(bar.cells)
    return tempo_map.bar_quarters[-1] if cell == 0 else None


def first_note_cell(score: Score) -> int | None:
    """Index of the grid cell (0-based over all bars in playing order, bar lines removed)
    that holds the score's first hit, or None for a score without hits."""
    if not score.events:
        return None
    first = min(score.events, key=lambda e: (e.bar, e.beat))
    before = sum(len(b.cells) for b in score.bars[:first.bar])
    cells = score.bars[first.bar].cells
    return before + max(0, bisect.bisect_right(list(cells), first.beat) - 1)


def tab_key_line(a: Alignment) -> int:
    """The alignment file's line that names the tab (1 when unknown)."""
    try:
        lines = a.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return 1
    return key_line(lines, "tab") or key_line(lines, "tab_file") or 1


class _Aligner:
    """One alignment's checks and tempo-map pieces, collecting findings."""

    def __init__(self, a: Alignment, score: Score):
        self.a, self.score, self.findings = a, score, []
        self.n_bars = len(score.bars)
        self.positions = TempoMap(score.bars, qpm=Fraction(120))       # for positions only

    def add(self, line: int, code: str, message: str) -> None:
        self.findings.append(Finding(str(self.a.path), line, 1, code, message))

    def quarters(self, pos: Position, what: str):
        """Quarter-note position of ``pos``, or None (with a finding) past the tab's end."""
        n = self.n_bars
        if pos.bar > n + 1 or (pos.bar == n + 1 and pos.beat):
            self.add(pos.line, "DT203", f"{what} at bar {pos.bar} is past the end of the tab "
                     f"({n} bars)")
            return None
        if pos.bar <= n and pos.beat > self.score.bars[pos.bar - 1].meter.numerator:
            meter = self.score.bars[pos.bar - 1].meter
            self.add(pos.line, "DT203", f"{what} at beat {pos.beat} is past the end of bar "
                     f"{pos.bar} ({meter} has {meter.numerator} beats)")
            return None
        return self.positions.position_to_quarters(pos.bar - 1, pos.beat)

    def check_meters(self) -> None:
        for change in self.a.meters:
            pos, meter = change.at, change.meter
            if pos.bar > self.n_bars:
                self.add(pos.line, "DT203", f"meter change at bar {pos.bar} is past the end of "
                         f"the tab ({self.n_bars} bars)")
                continue
            for bar in self.score.bars[pos.bar - 1:]:
                if bar.meter.denominator != meter.denominator:
                    break
                if bar.meter.numerator != meter.numerator:
                    self.add(pos.line, "DT206", f"meter {meter} does not fit bar "
                             f"{bar.index + 1}: its columns count {bar.meter.numerator} beats")
                    break

    def changes(self) -> list:
        out, seen = [], {}
        for change in self.a.changes:
            q = self.quarters(change.at, "tempo change")
            if q is None:
                continue
            if q in seen:
                self.add(change.at.line, "DT201", f"two tempo changes at bar {change.at.bar} "
                         f"beat {change.at.beat} (lines {seen[q]} and {change.at.line})")
                continue
            seen[q] = change.at.line
            out.append((q, qpm_of(change.bpm, change.beat_unit)))
        sections = self.a.tempo_sections
        start = first_note_cell(self.score) if sections else None
        if sections and start:           # the seed counts its first section from there
            self.add(sections[0].line, "DT213", f"the first tempo section is counted from the "
                     f"first drum note's cell {start} (the tab's cells before it are empty), as "
                     "the seed project counts it")
        cell = start or 0
        for section in sections:          # each count is the length of one section
            cell += section.cells
            q = cell_to_quarters(self.score, self.positions, cell)
            if q is None:
                cells = sum(len(b.cells) for b in self.score.bars)
                self.add(section.line, "DT203", f"tempo section ending at cell {cell} is past "
                         f"the end of the tab ({cells} cells)")
            else:
                out.append((q, qpm_of(section.bpm, QUARTER)))
        return out

    def ramps(self) -> list:
        out = []
        for ramp in self.a.ramps:
            q0, q1 = self.quarters(ramp.start, "ramp start"), self.quarters(ramp.end, "ramp end")
            if q0 is None or q1 is None:
                continue
            tempi = [t for t in (ramp.from_bpm, ramp.to_bpm) if t is not None]
            if any(t <= 0 for t in tempi) or not all(BPM_RANGE[0] <= t <= BPM_RANGE[1]
                                                     for t in tempi):
                start = _num(ramp.from_bpm) if ramp.from_bpm is not None else "current"
                what = ("reaches 0 BPM or below" if any(t <= 0 for t in tempi) else
                        f"leaves {BPM_RANGE[0]}-{BPM_RANGE[1]} BPM")
                self.add(ramp.end.line, "DT205", f"ramp {what} ({start} -> {_num(ramp.to_bpm)})")
                continue
            if q1 <= q0:
                self.add(ramp.end.line, "DT201", "ramp must end after it starts")
                continue
            out.append((q0, q1, None if ramp.from_bpm is None else
                        qpm_of(ramp.from_bpm, ramp.beat_unit), qpm_of(ramp.to_bpm, ramp.beat_unit)))
        return out

    def anchors(self) -> list:
        out, last_q, last_t = [], None, None
        for anchor in sorted(self.a.anchors, key=lambda x: x.at.line):
            q = self.quarters(anchor.at, "anchor")
            if q is None:
                continue
            t = anchor.time_s
            if last_q is not None and (q <= last_q or t <= last_t):
                self.add(anchor.at.line, "DT204", f"anchors must increase: bar {anchor.at.bar} "
                         f"beat {anchor.at.beat} at {float(t):g} s comes after a later or "
                         "equal point")
                continue
            out.append((q, t))
            last_q, last_t = q, t
        return out

    def reference(self):
        """The point the tempo passes through: the anchor, or the first note's cell."""
        if self.a.anchor is not None:
            q = self.quarters(self.a.anchor.at, "anchor")
            return None if q is None else (q, self.a.anchor.time_s)
        if self.a.first_note_s is None:
            return None
        if not self.score.events:
            self.add(1, "DT202", "first_note_s given but the tab has no hits")
            return None
        first = min(self.score.events, key=lambda e: (e.bar, e.beat))
        return self.positions.position_to_quarters(first.bar, first.beat), self.a.first_note_s


def align(a: Alignment, score: Score, source_tempo: TempoMap | None = None) -> AlignResult:
    """Build the tempo map of ``score`` from the alignment's tempo facts and compute the
    onset table (:func:`onset_rows`).  Problems come back as findings (DT2xx).

    A source with its own timing (drum MIDI, a chart, MusicXML: ``source_tempo``) needs no
    tempo facts: with no BPM and no anchors its tempo map is used, moved by ``offset_s``."""
    empty = onset_table([])
    if not score.bars:
        where = tab_key_line(a)
        return AlignResult(None, empty, [Finding(str(a.path), where, 1, "DT202",
                                                 f"tab has no bars: {a.tab}")])
    s = _Aligner(a, score)
    s.check_meters()
    base = qpm_of(a.bpm, a.beat_unit) if a.bpm is not None else None
    changes, ramps, anchors = s.changes(), s.ramps(), s.anchors()
    reference = s.reference()
    if base is None and len(anchors) < 2 and source_tempo is not None and reference is None:
        import copy
        tempo_map = copy.copy(source_tempo)           # the source's timing, plus offset_s
        tempo_map.offset = source_tempo.offset + Fraction(a.offset_s)
        return AlignResult(tempo_map, onset_rows(score, tempo_map), s.findings)
    if base is None and len(anchors) < 2:
        s.add(1, "DT201", "no tempo: give [tempo] bpm or at least two [[anchor]]s")
    if a.triplets is False and any(p.denominator % 3 == 0 for b in score.bars for p in b.cells):
        s.add(1, "DT212", "the seed file says the tab has no triplets, but its count line "
              "marks some")
    if has_errors(s.findings):
        return AlignResult(None, empty, s.findings)
    resolved = []          # ramps without from_bpm start at the tempo in force there
    for q0, q1, r0, r1 in ramps:
        if r0 is None:
            r0 = TempoMap(score.bars, qpm=base or Fraction(120), changes=changes,
                          ramps=resolved).qpm_at(q0)
        resolved.append((q0, q1, r0, r1))
    if reference is not None and anchors:      # the first note is pinned like an anchor
        if any(q == reference[0] for q, _ in anchors):
            s.add(1, "DT204", "an anchor sits on the reference point")
            return AlignResult(None, empty, s.findings)
        anchors = sorted(anchors + [reference])
    from ..errors import AlignmentError
    try:
        tempo_map = TempoMap(score.bars, qpm=base, reference=reference, changes=changes,
                             ramps=resolved, anchors=anchors, offset_s=a.offset_s)
        onsets = onset_rows(score, tempo_map)
    except AlignmentError as exc:
        s.add(1, exc.code or "DT201", exc.message)
        return AlignResult(None, empty, s.findings)
    except (ValueError, OverflowError, ZeroDivisionError) as exc:   # extreme but valid values
        s.add(1, "DT201", f"the tempo map cannot be computed from these values: {exc}")
        return AlignResult(None, empty, s.findings)
    if len(onsets) and onsets["time"].iloc[0] < 0:
        s.add(1, "DT207", f"first onset at {onsets['time'].iloc[0]:.3f} s is before the start "
              "of the recording: check first_note_s, anchors and offset_s")
    return AlignResult(tempo_map, onsets, s.findings)


def cell_length(bar, beat) -> Fraction:
    """Beats from ``beat`` to the next grid cell of the bar (the bar's end for the last)."""
    later = [c for c in bar.cells if c > beat]
    return (min(later) if later else Fraction(bar.meter.numerator)) - beat


def onset_rows(score: Score, tempo_map: TempoMap):
    """The onset table (:mod:`drumtabber.onset_table`) of a score under a tempo map: one row
    per stroke, sorted by time, with ``time_exact`` (Fraction seconds).

    A double (two strokes in one grid cell, ``d``/``D``) gives two rows: the second stroke
    half a cell after the first (``stroke`` 2)."""
    rows = []
    for e in score.events:
        beats = [e.beat]
        if Articulation.DOUBLE in e.articulations:
            beats.append(e.beat + cell_length(score.bars[e.bar], e.beat) / 2)
        for stroke, beat in enumerate(beats, 1):
            t = tempo_map.beats_to_seconds(e.bar, beat)
            rows.append({"time": float(t), "time_exact": t, "instrument": e.instrument.value,
                         "gm_note": e.gm_note, "articulation": e.articulation_text(),
                         "velocity": e.velocity, "bar": e.bar + 1, "beat": str(beat),
                         "line": e.line, "column": e.column, "label": e.label,
                         "written_bar": e.written_bar, "repeat_pass": e.repeat_pass,
                         "stroke": stroke})
    return onset_table(rows)
