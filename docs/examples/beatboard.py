"""BeatBoard drum tabs: an example drumtabber parser plugin (see docs/plugins.md).

BeatBoard is a made-up tab site with a strict, line-based format::

    #beatboard
    title=Money Beat
    tempo=120
    meter=4/4
    grid=8
    hat: x.x.x.x.|x.x.x.x>
    snr: ..x...x.|..x..gx.
    kik: x...x...|x..x.x..

* The first non-blank line is ``#beatboard``; later lines starting with ``#`` are comments.
* ``key=value`` header lines: ``title``, ``tempo`` (BPM), ``meter`` (``3/4``) and ``grid``
  (cells per bar, default 16).  ``tempo``, ``meter`` and ``grid`` may change between systems
  and apply from the next system on.
* An instrument line is ``label: cells``; bars are separated by ``|`` (a leading or trailing
  ``|`` is optional, spaces are ignored).  Each bar has exactly ``grid`` cells spread evenly over
  the bar, so cell ``c`` sits ``c * numerator / grid`` beats into the bar.
* Consecutive instrument lines form a system; a blank line ends it.  The bars of a system
  follow those of the previous one.
* Cells: ``.`` rest, ``x`` hit, ``>`` accent, ``g`` ghost, ``f`` flam, ``c`` choke.

Every problem is a finding with file, line and column; the parser never raises on bad text.

Load it with ``drumtabber-data --plugins-dir docs/examples ...`` or ship it in a package with
``[project.entry-points.drumtabber] beatboard = "mypackage.beatboard"``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from drumtabber.components import ParseHints, ParseResult
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Articulation, Bar, Event, Instrument, Meter, Score, velocity_for

__version__ = "1.0.0"

NAME = "beatboard"
MAGIC = "#beatboard"
SUFFIXES = (".bbt",)
# BeatBoard's editor writes sixteenth-note bars unless the file says otherwise.
DEFAULT_GRID = 16

# The site's instrument labels (matched case-insensitively).
LABELS = {
    "kik": Instrument.KICK,
    "snr": Instrument.SNARE,
    "stk": Instrument.SIDE_STICK,
    "hat": Instrument.HIHAT_CLOSED,
    "ohat": Instrument.HIHAT_OPEN,
    "phat": Instrument.HIHAT_PEDAL,
    "rid": Instrument.RIDE,
    "bel": Instrument.RIDE_BELL,
    "crs": Instrument.CRASH,
    "crs2": Instrument.CRASH2,
    "chn": Instrument.CHINA,
    "spl": Instrument.SPLASH,
    "tm1": Instrument.TOM_HIGH,
    "tm2": Instrument.TOM_LOW_MID,
    "tm3": Instrument.TOM_LOW,
    "flr": Instrument.TOM_FLOOR_HIGH,
    "flr2": Instrument.TOM_FLOOR_LOW,
    "cow": Instrument.COWBELL,
    "clp": Instrument.HAND_CLAP,
}

REST = "."
# Cell symbol -> articulations of the hit.
SYMBOLS = {
    "x": frozenset(),
    ">": frozenset({Articulation.ACCENT}),
    "g": frozenset({Articulation.GHOST}),
    "f": frozenset({Articulation.FLAM}),
    "c": frozenset({Articulation.CHOKE}),
}

_STAFF = re.compile(r"^(\s*)([^\s:=]+)\s*:(.*)$")
_HEADER = re.compile(r"^\s*([A-Za-z_]+)\s*=\s*(.*?)\s*$")


@dataclass
class BeatBoardOptions:
    default_meter: str = "4/4"       # meter of bars when the file has no meter= line
    default_grid: int = DEFAULT_GRID  # cells per bar when the file has no grid= line


def is_beatboard(path: Path | str, text: str) -> bool:
    """True for a ``.bbt`` file or one whose first non-blank line is ``#beatboard``."""
    if str(path).lower().endswith(SUFFIXES):
        return True
    for line in text.splitlines():
        if line.strip():
            return line.strip().lower() == MAGIC
    return False


def split_bars(cells: str, start_column: int) -> list[list[tuple[int, str]]]:
    """The bars of one instrument line: per bar, ``(column, symbol)`` for each cell.

    ``cells`` is the text after the ``label:``; ``start_column`` the 1-based column of its
    first character.  Spaces are dropped; one leading and one trailing ``|`` are optional.
    """
    bars: list[list[tuple[int, str]]] = [[]]
    stripped = cells.rstrip()
    first = len(stripped) - len(stripped.lstrip())
    for i, ch in enumerate(stripped):
        if ch.isspace():
            continue
        if ch == "|":
            if i == first or i == len(stripped) - 1:
                continue             # optional outer bar line
            bars.append([])
        else:
            bars[-1].append((start_column + i, ch))
    return bars if bars != [[]] else []


class _Parse:
    """One run of the parser over one file's text."""

    def __init__(self, text: str, path: str, options: BeatBoardOptions):
        self.lines = text.splitlines()
        self.path = path
        self.findings: list[Finding] = []
        self.score = Score(source=path)
        self.meter = self._default_meter(options.default_meter)
        self.grid = options.default_grid if options.default_grid > 0 else DEFAULT_GRID
        # Instrument lines of the system being read: (line, column, label, cells, cells column).
        self.system: list[tuple[int, int, str, str, int]] = []
        self.staff_count = 0

    def find(self, line: int, column: int, code: str, message: str) -> None:
        self.findings.append(Finding(self.path, line, column, code, message))

    def _default_meter(self, text: str) -> Meter:
        try:
            return Meter.parse(text)
        except ValueError:
            return Meter()

    # -- lines -----------------------------------------------------------------------
    def run(self) -> Score:
        for no, line in enumerate(self.lines, 1):
            stripped = line.strip()
            if not stripped:
                self.end_system()
                continue
            if stripped.startswith("#"):
                continue                        # the #beatboard line or a comment
            staff = _STAFF.match(line)
            if staff:
                indent, label, cells = staff.groups()
                cells_col = staff.start(3) + 1
                self.system.append((no, len(indent) + 1, label, cells, cells_col))
                self.staff_count += 1
                continue
            self.end_system()
            header = _HEADER.match(line)
            if header:
                self.read_header(no, header)
            else:
                col = len(line) - len(line.lstrip()) + 1
                self.find(no, col, "DT110", f"line not understood: {stripped!r} (expected "
                          "'label: cells', 'key=value' or a '#' comment); ignored")
        self.end_system()
        if not self.staff_count:
            self.find(1, 1, "DT002", "no BeatBoard instrument line ('label: cells') found")
        return self.score

    def read_header(self, no: int, header: re.Match) -> None:
        """Apply one ``key=value`` line (findings point at the value, or the unknown key)."""
        key, value = header.group(1).lower(), header.group(2)
        col = header.start(2) + 1
        written_bar = len(self.score.bars) + 1
        if key == "title":
            self.score.title = value
        elif key == "tempo":
            try:
                bpm = float(value)
                if not 0 < bpm < 1000:
                    raise ValueError
            except ValueError:
                self.find(no, col, "DT110", f"tempo={value!r} is not a tempo in BPM; ignored")
                return
            self.score.tempo_hints.append((written_bar, bpm))
            if self.score.tempo_hint_bpm is None:
                self.score.tempo_hint_bpm = bpm
            self.find(no, col, "DT111", f"tempo {bpm:g} BPM from bar {written_bar}")
        elif key == "meter":
            try:
                self.meter = Meter.parse(value)
            except ValueError:
                self.find(no, col, "DT110", f"meter={value!r} is not a meter such as 3/4; ignored")
                return
            if self.score.meter_hint is None:
                self.score.meter_hint = self.meter
            self.find(no, col, "DT111", f"meter {self.meter} from bar {written_bar}")
        elif key == "grid":
            if not value.isdigit() or int(value) < 1:
                self.find(no, col, "DT110", f"grid={value!r} is not a number of cells per "
                          "bar such as 8 or 16; ignored")
                return
            self.grid = int(value)
        else:
            self.find(no, header.start(1) + 1, "DT110", f"unknown header {key!r} "
                      "(known: grid, meter, tempo, title); ignored")

    # -- systems ---------------------------------------------------------------------
    def end_system(self) -> None:
        """Turn the instrument lines gathered so far into bars and events."""
        if not self.system:
            return
        lines, self.system = self.system, []
        staffs = []
        seen: dict[str, int] = {}
        for no, col, label, cells, cells_col in lines:
            instrument = LABELS.get(label.lower())
            if instrument is None:
                self.find(no, col, "DT101", f"unknown instrument label {label!r}; known: "
                          f"{', '.join(LABELS)}; line ignored")
                continue
            if label.lower() in seen:
                self.find(no, col, "DT109", f"label {label!r} used twice in one system "
                          f"(first on line {seen[label.lower()]})")
            seen.setdefault(label.lower(), no)
            staffs.append((no, col, label, instrument, split_bars(cells, cells_col)))
        if not staffs:
            return
        n_bars = max(len(bars) for *_, bars in staffs)
        first_no, _, first_label, _, first_bars = staffs[0]
        for no, col, label, _, bars in staffs:
            if len(bars) != n_bars:
                self.find(no, col, "DT104", f"{label!r} has {len(bars)} bar(s) where "
                          f"{first_label!r} on line {first_no} has {n_bars}")
        base = len(self.score.bars)
        for k in range(n_bars):
            start_col = next((bars[k][0][0] for *_, bars in staffs
                              if k < len(bars) and bars[k]), 1)
            self.score.bars.append(Bar(base + k, self.meter, base + k + 1, 1, first_no, start_col))
        for no, col, label, instrument, bars in staffs:
            for k, cells in enumerate(bars):
                self.read_bar(no, label, instrument, base + k, cells)

    def read_bar(self, no: int, label: str, instrument: Instrument, index: int,
                 cells: list[tuple[int, str]]) -> None:
        hits = []
        for c, (column, symbol) in enumerate(cells):
            if symbol == REST:
                continue
            arts = SYMBOLS.get(symbol)
            if arts is None:
                self.find(no, column, "DT103", f"unknown hit symbol {symbol!r} on {label!r}; "
                          f"known: {REST!r} rest, " + ", ".join(repr(s) for s in SYMBOLS))
                continue
            hits.append((c, column, arts))
        if len(cells) != self.grid:
            where = cells[0][0] if cells else 1
            self.find(no, where, "DT104", f"bar {index + 1} of {label!r} has {len(cells)} "
                      f"cell(s) but grid={self.grid}; its {len(hits)} hit(s) are skipped")
            return
        numerator = self.score.bars[index].meter.numerator
        for c, column, arts in hits:
            self.score.events.append(Event(
                bar=index, beat=Fraction(c * numerator, self.grid), instrument=instrument,
                articulations=arts, velocity=velocity_for(arts), written_bar=index + 1,
                repeat_pass=1, line=no, column=column, source=self.path, label=label))


def parse_beatboard(text: str, *, path: str | Path = "<beatboard>",
                    options: BeatBoardOptions | None = None) -> ParseResult:
    """Parse BeatBoard text into a :class:`~drumtabber.score.Score` and findings."""
    parse = _Parse(text, str(path), options or BeatBoardOptions())
    score = parse.run()
    parse.findings.sort(key=lambda f: (f.line, f.column, f.code))
    return ParseResult(score, parse.findings)


# --------------------------------------------------------------------------------------
# Plugin
# --------------------------------------------------------------------------------------
class BeatBoardParser:
    name = NAME
    description = "BeatBoard tabs (#beatboard, label: x.x.|x.x., .bbt files)"
    Options = BeatBoardOptions
    suffixes = SUFFIXES                 # folders are scanned for these files too

    def parse(self, text: str, *, path: Path | str = "<beatboard>", options=None,
              hints: ParseHints | None = None) -> ParseResult:
        # ``hints`` are what an alignment file says about the tab (extra labels, meters);
        # a BeatBoard file names its own labels and meters, so they are not needed here.
        return parse_beatboard(text, path=path, options=options)


PARSER = BeatBoardParser()


@hookimpl
def register_tab_parsers(register):
    register(PARSER)


@hookimpl
def choose_tab_parser(path, text):
    return NAME if is_beatboard(path, text) else None
