"""Alignment files: a tab + tempo facts about its recording, read into an :class:`Alignment`.

An alignment file is TOML (see ``docs/alignment.md``)::

    tab = "../tabs/may3beta_tab.txt"      # relative to this file
    [audio]
    file = "May3Beta.mp3"                 # looked up under --audio-dir
    [tempo]
    bpm = 135
    first_note_s = 1.770                  # start of the grid cell holding the first drum note

Other projects' files (the seed project's song JSON) are read by alignment-reader plugin
components (:class:`~drumtabber.components.AlignmentReader`).  Bar numbers in
alignment files are 1-based bars in playing order (repeats expanded), as ``show`` prints them;
``beat`` is the offset in beats from the start of that bar (a number or a fraction "7/3").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..findings import Finding
from ..score import Meter
from ..tempo import QUARTER, to_fraction
from ..errors import DrumtabberError
from ..textio import key_line, parse_toml, read_input_file

# The core's own alignment files; reader plugins add their suffixes (alignment_suffixes).
TOML_SUFFIX = ".toml"

# Tempi outside this range (beats per minute) are typing errors, not music.
BPM_RANGE = (1, 2000)
# No time (s), beat, bar offset or cell count of a song is larger than this (~115 days).
MAX_MAGNITUDE = 10**7


def shown(value, width: int = 60) -> str:
    """A value as a finding shows it: its repr, cut to ``width`` characters (a huge number or
    a long string must not flood the message, nor fail to print)."""
    try:
        text = repr(value)
    except ValueError:                       # an int too long to print
        text = "a number of more than 4,300 digits"
    return text if len(text) <= width else text[:width - 3] + "..."

_BEAT_UNITS = {"whole": Fraction(1), "half": Fraction(1, 2), "quarter": Fraction(1, 4),
               "eighth": Fraction(1, 8), "sixteenth": Fraction(1, 16),
               "dotted half": Fraction(3, 4), "dotted quarter": Fraction(3, 8),
               "dotted eighth": Fraction(3, 16)}


@dataclass
class Position:
    """A point of the tab: 1-based bar in playing order, beats from its start, and the
    alignment file's line that names it."""

    bar: int
    beat: Fraction
    line: int


@dataclass
class TempoChange:
    at: Position
    bpm: Fraction
    beat_unit: Fraction


@dataclass
class Ramp:
    """A linear tempo ramp from ``start`` to ``end``; ``from_bpm`` None: the tempo in force."""

    start: Position
    end: Position
    from_bpm: Fraction | None
    to_bpm: Fraction
    beat_unit: Fraction


@dataclass
class Anchor:
    at: Position
    time_s: Fraction


@dataclass
class MeterChange:
    at: Position
    meter: Meter


@dataclass
class TempoSection:
    """One of the seed's tempo sections: ``cells`` 16th-note cells long, then ``bpm``.

    The seed counts the first section from the cell of the first drum note; each later count
    is the length of the next section, so the tempo changes at the running sums."""

    cells: int
    bpm: Fraction
    line: int


@dataclass
class Alignment:
    path: Path
    tab: Path | None = None
    song: str = ""
    artist: str = ""                 # groups a dataset's splits (one artist, one split)
    source: str = ""                 # where the tab came from (a URL, a book)
    license: str = ""                # the tab's licence as its source states it
    parser: str | None = None
    audio_file: str | None = None
    duration_s: float | None = None
    sha256: str | None = None
    bpm: Fraction | None = None
    beat_unit: Fraction = QUARTER
    first_note_s: Fraction | None = None
    anchor: Anchor | None = None                   # the one reference point, if not first_note_s
    offset_s: Fraction = Fraction(0)
    changes: list[TempoChange] = field(default_factory=list)
    ramps: list[Ramp] = field(default_factory=list)
    anchors: list[Anchor] = field(default_factory=list)
    meters: list[MeterChange] = field(default_factory=list)
    tempo_sections: list[TempoSection] = field(default_factory=list)
    labels: dict = field(default_factory=dict)     # tab label -> instrument words
    triplets: bool | None = None                   # the seed's flag, checked against the tab


class TableReader:
    """Typed access to a TOML/JSON table that reports problems with file, line and key."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()
        self.findings: list[Finding] = []
        self._headers: dict[str, list[int]] = {}

    def line(self, key: str, table: str | None = None, index: int = 0) -> int:
        """Line of ``key`` (in the ``index``-th ``[table]``), or of that table's header."""
        start = 1
        if table:
            headers = self._headers.get(table)
            if headers is None:             # once per table: a file of 5,000 entries stays fast
                pattern = re.compile(rf"\s*\[+\s*{re.escape(table)}\s*\]+")
                headers = [no for no, text in enumerate(self.lines, 1) if pattern.match(text)]
                self._headers[table] = headers
            if index < len(headers):
                start = headers[index]
        found = key_line(self.lines, key, start=start)
        if found is None and table:
            found = key_line(self.lines, table)
        return found or 1

    def finding(self, code: str, line: int, message: str, *, column: int = 1) -> Finding:
        return Finding(str(self.path), line, column, code, message)

    def error(self, code: str, line: int, message: str):
        self.findings.append(self.finding(code, line, message))

    def get(self, table: dict, key: str, kind, *, where: str = "", required=False, line=None,
            default=None):
        line = line or self.line(key)
        if key not in table:
            if required:
                self.error("DT201", line, f"missing required key {where}{key}")
            return default
        value = table[key]
        try:
            if kind == "fraction":
                number = to_fraction(value)
                if abs(number) > MAX_MAGNITUDE:
                    raise ValueError
                return number
            if kind in ("positive", "bpm"):
                number = to_fraction(value)
                if number <= 0 or number > MAX_MAGNITUDE or (
                        kind == "bpm" and not BPM_RANGE[0] <= number <= BPM_RANGE[1]):
                    raise ValueError
                return number
            if kind == "bar":
                if isinstance(value, bool) or not isinstance(value, int) or not \
                        1 <= value <= MAX_MAGNITUDE:
                    raise ValueError
                return value
            if kind == "unit":
                return _beat_unit(value)
            if kind == "meter":
                return Meter.parse(str(value))
            if kind == "str":
                if not isinstance(value, str):
                    raise ValueError
                return value
            if kind == "bool":
                if not isinstance(value, bool):
                    raise ValueError
                return value
        except (ValueError, ZeroDivisionError, TypeError):
            expected = {"fraction": f"a number or a fraction such as \"7/3\" (at most "
                                    f"{MAX_MAGNITUDE:.0e} either way)",
                        "positive": "a number above 0", "bar": "a bar number from 1",
                        "bpm": f"a tempo from {BPM_RANGE[0]} to {BPM_RANGE[1]} BPM",
                        "unit": "a note value such as \"1/4\", \"3/8\" or \"quarter\"",
                        "meter": "a meter such as \"7/8\"", "str": "a string",
                        "bool": "true or false"}[kind]
            self.error("DT201", line, f"{where}{key}: expected {expected}, found {shown(value)}")
            return default
        raise AssertionError(kind)

    def table(self, data: dict, key: str) -> dict:
        """The table ``[key]`` of ``data`` ({} when absent); anything else there is a finding."""
        value = data.get(key, {})
        if isinstance(value, dict):
            return value
        self.error("DT201", self.line(key), f"{key}: expected a table [{key}], found "
                   f"{shown(value)}")
        return {}

    def unknown(self, table: dict, allowed: set, where: str, table_name=None, index=0):
        for key in table:
            if key not in allowed:
                self.error("DT201", self.line(key, table_name, index),
                           f"unknown key {where}{key}; expected one of: {', '.join(sorted(allowed))}")


def _beat_unit(value) -> Fraction:
    if isinstance(value, str) and value.strip().lower() in _BEAT_UNITS:
        return _BEAT_UNITS[value.strip().lower()]
    if isinstance(value, bool):
        raise ValueError
    unit = to_fraction(value)
    if not 0 < unit <= 64:              # a note value: at most 64 whole notes
        raise ValueError
    return unit


def read_position(reader: TableReader, table: dict, where: str, line: int, bar_key="bar",
              beat_key="beat") -> Position | None:
    bar = reader.get(table, bar_key, "bar", where=where, required=True, line=line)
    beat = reader.get(table, beat_key, "fraction", where=where, line=line, default=Fraction(0))
    if bar is None or beat is None:
        return None
    if beat < 0:
        reader.error("DT201", line, f"{where}{beat_key}: expected a beat offset of 0 or more")
        return None
    return Position(bar, beat, line)


def alignment_suffixes(manager) -> tuple[str, ...]:
    """File endings of alignment files: TOML and each alignment reader's ``suffixes``."""
    return tuple(sorted({TOML_SUFFIX} | {s.lower() for r in manager.registry("alignment_reader")
                                          for s in r.suffixes}))


def load_alignment(path: Path, manager=None) -> tuple[Alignment | None, list[Finding]]:
    """Read an alignment file: TOML here, other formats (the seed's song JSON) by the
    alignment-reader plugin whose ``suffixes`` end the file's name.  Problems come back as
    findings; the alignment is None when the file could not be read at all."""
    path = Path(path)
    text, problems = read_input_file(path, what="alignment file")
    if text is None:
        return None, problems
    reader = TableReader(path, text)
    if path.suffix.lower() != TOML_SUFFIX:
        if manager is None:
            from ..plugin_manager import get_plugin_manager
            manager = get_plugin_manager()
        component = next((r for r in manager.registry("alignment_reader")
                          if path.name.lower().endswith(tuple(x.lower() for x in r.suffixes))),
                         None)
        if component is None:
            return None, [Finding(str(path), 1, 1, "DT201", "not an alignment file: expected "
                                  f"one of {', '.join(alignment_suffixes(manager))}")]
        return component.read(text, path=path, reader=reader), reader.findings
    try:
        data = parse_toml(text, path=path)
    except DrumtabberError as exc:
        return None, [Finding(str(path), exc.line or 1, exc.column or 1, "DT201", exc.message)]
    return _from_toml(data, path, reader), reader.findings


def _from_toml(data: dict, path: Path, r: TableReader) -> Alignment:
    a = Alignment(path)
    r.unknown(data, {"tab", "song", "artist", "source", "license", "parser", "audio", "tempo",
                     "anchor", "meter", "labels", "seed"}, "")
    tab = r.get(data, "tab", "str", required=True)
    a.tab = (path.parent / tab) if tab else None
    a.song = r.get(data, "song", "str", default="") or ""
    for key in ("artist", "source", "license"):
        setattr(a, key, r.get(data, key, "str", default="") or "")
    a.parser = r.get(data, "parser", "str")
    audio = r.table(data, "audio")
    if audio:
        r.unknown(audio, {"file", "duration_s", "sha256"}, "audio.", "audio")
        a.audio_file = r.get(audio, "file", "str", where="audio.")
        duration = r.get(audio, "duration_s", "positive", where="audio.")
        a.duration_s = float(duration) if duration is not None else None
        a.sha256 = r.get(audio, "sha256", "str", where="audio.")
    tempo = r.table(data, "tempo")
    r.unknown(tempo, {"bpm", "beat_unit", "first_note_s", "anchor", "offset_s", "change",
                      "ramp"}, "tempo.", "tempo")
    a.bpm = r.get(tempo, "bpm", "bpm", where="tempo.")
    a.beat_unit = r.get(tempo, "beat_unit", "unit", where="tempo.", default=QUARTER)
    a.first_note_s = r.get(tempo, "first_note_s", "fraction", where="tempo.")
    a.offset_s = r.get(tempo, "offset_s", "fraction", where="tempo.", default=Fraction(0))
    if "anchor" in tempo and not isinstance(tempo["anchor"], dict):
        r.error("DT201", r.line("anchor", "tempo"), "tempo.anchor: expected a table such as "
                f"{{ bar = 1, beat = 0, time_s = 1.5 }}, found {tempo['anchor']!r}")
    elif "anchor" in tempo and a.first_note_s is not None:
        r.error("DT201", r.line("anchor", "tempo"), "tempo: give first_note_s or anchor, "
                "not both")
    elif isinstance(tempo.get("anchor"), dict):
        line = r.line("anchor", "tempo")
        pos = read_position(r, tempo["anchor"], "tempo.anchor.", line)
        t = r.get(tempo["anchor"], "time_s", "fraction", where="tempo.anchor.", required=True,
                  line=line)
        if pos and t is not None:
            a.anchor = Anchor(pos, t)
    for i, item in enumerate(_table_list(r, tempo, "change", "tempo.change")):
        line = r.line("bpm", "tempo.change", i)
        r.unknown(item, {"bar", "beat", "bpm", "beat_unit"}, "tempo.change.", "tempo.change", i)
        pos = read_position(r, item, "tempo.change.", line)
        bpm = r.get(item, "bpm", "bpm", where="tempo.change.", required=True, line=line)
        unit = r.get(item, "beat_unit", "unit", where="tempo.change.", line=line, default=a.beat_unit)
        if pos and bpm is not None:
            a.changes.append(TempoChange(pos, bpm, unit))
    for i, item in enumerate(_table_list(r, tempo, "ramp", "tempo.ramp")):
        line = r.line("to_bpm", "tempo.ramp", i)
        r.unknown(item, {"from_bar", "from_beat", "to_bar", "to_beat", "from_bpm", "to_bpm",
                         "beat_unit"}, "tempo.ramp.", "tempo.ramp", i)
        start = read_position(r, item, "tempo.ramp.", line, "from_bar", "from_beat")
        end = read_position(r, item, "tempo.ramp.", line, "to_bar", "to_beat")
        bpm0 = r.get(item, "from_bpm", "fraction", where="tempo.ramp.", line=line)
        bpm1 = r.get(item, "to_bpm", "fraction", where="tempo.ramp.", required=True, line=line)
        unit = r.get(item, "beat_unit", "unit", where="tempo.ramp.", line=line, default=a.beat_unit)
        if start and end and bpm1 is not None:
            a.ramps.append(Ramp(start, end, bpm0, bpm1, unit))
    for i, item in enumerate(_table_list(r, data, "anchor", "anchor")):
        line = r.line("time_s", "anchor", i)
        r.unknown(item, {"bar", "beat", "time_s"}, "anchor.", "anchor", i)
        pos = read_position(r, item, "anchor.", line)
        t = r.get(item, "time_s", "fraction", where="anchor.", required=True, line=line)
        if pos and t is not None:
            a.anchors.append(Anchor(pos, t))
    for i, item in enumerate(_table_list(r, data, "meter", "meter")):
        line = r.line("meter", "meter", i)
        r.unknown(item, {"bar", "meter"}, "meter.", "meter", i)
        bar = r.get(item, "bar", "bar", where="meter.", required=True, line=line)
        meter = r.get(item, "meter", "meter", where="meter.", required=True, line=line)
        if bar and meter:
            a.meters.append(MeterChange(Position(bar, Fraction(0), line), meter))
    labels = r.table(data, "labels")
    for label, words in labels.items():
        if isinstance(words, str) and words.strip():
            a.labels[str(label)] = words
        else:
            r.error("DT201", r.line(str(label), "labels"), f"labels.{label}: expected the "
                    f"instrument in words (a string such as \"china\"), found {shown(words)}")
    seed = r.table(data, "seed")
    if seed:
        r.unknown(seed, {"tempo_sections", "triplets"}, "seed.", "seed")
        a.triplets = r.get(seed, "triplets", "bool", where="seed.")
        a.tempo_sections = read_tempo_sections(r, seed.get("tempo_sections", []),
                                           r.line("tempo_sections"))
    return a


def _table_list(r: TableReader, table: dict, key: str, name: str) -> list:
    value = table.get(key, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        r.error("DT201", r.line(key), f"{name}: expected [[{name}]] tables")
        return []
    return value


def read_tempo_sections(r: TableReader, value, line: int) -> list[TempoSection]:
    """The seed's ``[[cells, bpm], ...]`` pairs (checked; problems go to ``r``)."""
    out = []
    if not isinstance(value, list):
        r.error("DT201", line, "tempo_sections: expected a list of [cells, bpm] pairs")
        return out
    for item in value:
        try:
            cells, bpm = item
            if isinstance(cells, bool) or not isinstance(cells, (int, float)) or \
                    cells != int(cells) or not 0 <= cells <= MAX_MAGNITUDE:
                raise ValueError
            bpm = to_fraction(bpm)
            if not BPM_RANGE[0] <= bpm <= BPM_RANGE[1]:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            r.error("DT201", line, f"tempo_sections: expected [cells, bpm] with whole cells >= 0 "
                    f"and a bpm from {BPM_RANGE[0]} to {BPM_RANGE[1]}, found {shown(item)}")
            continue
        out.append(TempoSection(int(cells), bpm, line))
    return out


def alignment_to_toml(a: Alignment, *, tab_relative_to: Path) -> str:
    """Our TOML form of an alignment (used by ``import-seed``), written by a TOML library so
    that any text (an emoji in a song's name) stays valid TOML."""
    import os

    import tomlkit
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"Converted from the seed project's {a.path.name}"))
    if a.song:
        doc["song"] = a.song
    doc["tab"] = os.path.relpath(a.tab, tab_relative_to) if a.tab else ""
    audio = tomlkit.table()
    if a.audio_file:
        audio["file"] = a.audio_file
    else:
        audio.add(tomlkit.comment('file = "..."   # the recording, looked up under --audio-dir'))
    doc["audio"] = audio
    tempo = tomlkit.table()
    tempo["bpm"] = toml_number(a.bpm)
    tempo["first_note_s"] = toml_number(a.first_note_s)
    tempo["first_note_s"].comment("start of the cell of the first drum note")
    doc["tempo"] = tempo
    if a.labels:
        labels = tomlkit.table()
        labels.add(tomlkit.comment("tab label = instrument, from the seed's tab_char_labels"))
        for label, words in sorted(a.labels.items()):
            labels[label] = words
        doc["labels"] = labels
    if a.tempo_sections or a.triplets is not None:
        seed = tomlkit.table()
        if a.triplets is not None:
            seed["triplets"] = a.triplets
        if a.tempo_sections:
            seed["tempo_sections"] = [[t.cells, toml_number(t.bpm)] for t in a.tempo_sections]
            seed["tempo_sections"].comment("[cells in the section, next BPM]")
        doc["seed"] = seed
    return tomlkit.dumps(doc)


def toml_number(x):
    """An exact number as TOML can hold it: an int when whole, else the nearest float."""
    x = to_fraction(x)
    return x.numerator if x.denominator == 1 else float(x)


def write_alignment(path: Path, text: str, manager=None) -> Path:
    """Write an alignment file, complete or not at all, after reading it back: text that
    does not load (or loads with errors) raises DrumtabberError with the findings."""
    from ..findings import has_errors
    from ..outputs import output_files
    path = Path(path)
    with output_files(path) as (partial,):
        partial.write_text(text, encoding="utf-8")
        alignment, findings = load_alignment(partial, manager)
        if alignment is None or has_errors(findings):
            raise DrumtabberError("the alignment file written does not load back: " + "; ".join(
                f"line {f.line}: {f.message}" for f in findings if f.severity.value == "error"),
                path=path)
    return path


def _num(x) -> str:
    return repr(toml_number(x))


