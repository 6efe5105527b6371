"""Alignment files: a tab + tempo facts -> the onset table of a recording.

An alignment file is TOML (see ``docs/alignment.md``)::

    tab = "../tabs/may3beta_tab.txt"      # relative to this file
    [audio]
    file = "May3Beta.mp3"                 # looked up under --audio-dir
    [tempo]
    bpm = 135
    first_note_s = 1.770                  # start of the grid cell holding the first drum note

The seed project's JSON song files are read too (:func:`seed_to_alignment`).  Bar numbers in
alignment files are 1-based bars in playing order (repeats expanded), as ``show`` prints them;
``beat`` is the offset in beats from the start of that bar (a number or a fraction "7/3").
"""
from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import AlignmentError
from .findings import Finding
from .score import Meter, Score
from .tempo import QUARTER, TempoMap, qpm_of, to_fraction

ALIGNMENT_SUFFIXES = (".toml", ".json")
# A recording whose length differs from the alignment file's duration_s by more than this is
# reported (container padding and decoder delay stay well under it).
DURATION_TOLERANCE_S = 0.5

# Tempi outside this range (beats per minute) are typing errors, not music.
BPM_RANGE = (1, 2000)

# Columns of the onset table, sorted by time.
ONSET_COLUMNS = ["time", "instrument", "gm_note", "articulation", "velocity", "bar", "beat",
                 "line", "column", "label", "written_bar", "repeat_pass", "stroke"]

_BEAT_UNITS = {"whole": Fraction(1), "half": Fraction(1, 2), "quarter": Fraction(1, 4),
               "eighth": Fraction(1, 8), "sixteenth": Fraction(1, 16),
               "dotted half": Fraction(3, 4), "dotted quarter": Fraction(3, 8),
               "dotted eighth": Fraction(3, 16)}


@dataclass
class Position:
    bar: int                 # 1-based, playing order
    beat: Fraction
    line: int


@dataclass
class Alignment:
    path: Path
    tab: Path | None = None
    song: str = ""
    parser: str | None = None
    audio_file: str | None = None
    duration_s: float | None = None
    sha256: str | None = None
    bpm: Fraction | None = None
    beat_unit: Fraction = QUARTER
    first_note_s: Fraction | None = None
    anchor: tuple | None = None                    # (Position, seconds)
    offset_s: Fraction = Fraction(0)
    changes: list = field(default_factory=list)    # (Position, bpm, beat_unit)
    ramps: list = field(default_factory=list)      # (Position, Position, bpm0|None, bpm1, unit)
    anchors: list = field(default_factory=list)    # (Position, seconds)
    meters: list = field(default_factory=list)     # (Position, Meter)
    tempo_sections: list = field(default_factory=list)   # (cells, bpm, line)
    labels: dict = field(default_factory=dict)     # tab label -> instrument words
    triplets: bool | None = None                   # the seed's flag, checked against the tab


class _Reader:
    """Typed access to a TOML/JSON table that reports problems with file, line and key."""

    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()
        self.findings: list[Finding] = []

    def line(self, key: str, table: str | None = None, index: int = 0) -> int:
        start = 0
        if table:
            headers = [i for i, ln in enumerate(self.lines)
                       if re.match(rf"\s*\[+\s*{re.escape(table)}\s*\]+", ln)]
            if index < len(headers):
                start = headers[index]
        leaf = key.rsplit(".", 1)[-1]
        for i in range(start, len(self.lines)):
            if re.match(rf"\s*\"?{re.escape(leaf)}\"?\s*[=:]", self.lines[i]):
                return i + 1
        return start + 1

    def error(self, code: str, line: int, message: str):
        self.findings.append(Finding(str(self.path), line, 1, code, message))

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
                if isinstance(value, bool):
                    raise ValueError
                return to_fraction(value) if not isinstance(value, str) else Fraction(value)
            if kind in ("positive", "bpm"):
                number = to_fraction(value) if not isinstance(value, bool) else None
                if number is None or number <= 0 or (kind == "bpm" and not
                                                     BPM_RANGE[0] <= number <= BPM_RANGE[1]):
                    raise ValueError
                return number
            if kind == "bar":
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
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
            expected = {"fraction": "a number or a fraction such as \"7/3\"",
                        "positive": "a number above 0", "bar": "a bar number from 1",
                        "bpm": f"a tempo from {BPM_RANGE[0]} to {BPM_RANGE[1]} BPM",
                        "unit": "a note value such as \"1/4\", \"3/8\" or \"quarter\"",
                        "meter": "a meter such as \"7/8\"", "str": "a string",
                        "bool": "true or false"}[kind]
            self.error("DT201", line, f"{where}{key}: expected {expected}, found {value!r}")
            return default
        raise AssertionError(kind)

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
    unit = Fraction(value) if isinstance(value, str) else to_fraction(value)
    if unit <= 0:
        raise ValueError
    return unit


def _position(reader: _Reader, table: dict, where: str, line: int, bar_key="bar",
              beat_key="beat") -> Position | None:
    bar = reader.get(table, bar_key, "bar", where=where, required=True, line=line)
    beat = reader.get(table, beat_key, "fraction", where=where, line=line, default=Fraction(0))
    if bar is None or beat is None:
        return None
    if beat < 0:
        reader.error("DT201", line, f"{where}{beat_key}: expected a beat offset of 0 or more")
        return None
    return Position(bar, beat, line)


def load_alignment(path: Path) -> tuple[Alignment | None, list[Finding]]:
    """Read an alignment file (TOML, or the seed's JSON).  Problems come back as findings."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Finding(str(path), 1, 1, "DT001", f"cannot read alignment file: {exc}")]
    reader = _Reader(path, text)
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return None, [Finding(str(path), exc.lineno, exc.colno, "DT201",
                                  f"not valid JSON: {exc.msg}")]
        if not isinstance(data, dict):
            return None, [Finding(str(path), 1, 1, "DT201", "expected a JSON object")]
        alignment = seed_to_alignment(data, path, reader)
    else:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            m = re.search(r"line (\d+), column (\d+)", str(exc))
            line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
            return None, [Finding(str(path), line, col, "DT201", f"not valid TOML: {exc}")]
        alignment = _from_toml(data, path, reader)
    return alignment, reader.findings


def _from_toml(data: dict, path: Path, r: _Reader) -> Alignment:
    a = Alignment(path)
    r.unknown(data, {"tab", "song", "parser", "audio", "tempo", "anchor", "meter", "labels",
                     "seed"}, "")
    tab = r.get(data, "tab", "str", required=True)
    a.tab = (path.parent / tab) if tab else None
    a.song = r.get(data, "song", "str", default="") or ""
    a.parser = r.get(data, "parser", "str")
    audio = data.get("audio", {})
    if isinstance(audio, dict):
        r.unknown(audio, {"file", "duration_s", "sha256"}, "audio.", "audio")
        a.audio_file = r.get(audio, "file", "str", where="audio.")
        duration = r.get(audio, "duration_s", "positive", where="audio.")
        a.duration_s = float(duration) if duration is not None else None
        a.sha256 = r.get(audio, "sha256", "str", where="audio.")
    tempo = data.get("tempo", {})
    if not isinstance(tempo, dict):
        r.error("DT201", r.line("tempo"), "tempo: expected a table [tempo]")
        tempo = {}
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
        pos = _position(r, tempo["anchor"], "tempo.anchor.", line)
        t = r.get(tempo["anchor"], "time_s", "fraction", where="tempo.anchor.", required=True,
                  line=line)
        if pos and t is not None:
            a.anchor = (pos, t)
    for i, item in enumerate(_table_list(r, tempo, "change", "tempo.change")):
        line = r.line("bpm", "tempo.change", i)
        r.unknown(item, {"bar", "beat", "bpm", "beat_unit"}, "tempo.change.", "tempo.change", i)
        pos = _position(r, item, "tempo.change.", line)
        bpm = r.get(item, "bpm", "bpm", where="tempo.change.", required=True, line=line)
        unit = r.get(item, "beat_unit", "unit", where="tempo.change.", line=line, default=a.beat_unit)
        if pos and bpm is not None:
            a.changes.append((pos, bpm, unit))
    for i, item in enumerate(_table_list(r, tempo, "ramp", "tempo.ramp")):
        line = r.line("to_bpm", "tempo.ramp", i)
        r.unknown(item, {"from_bar", "from_beat", "to_bar", "to_beat", "from_bpm", "to_bpm",
                         "beat_unit"}, "tempo.ramp.", "tempo.ramp", i)
        start = _position(r, item, "tempo.ramp.", line, "from_bar", "from_beat")
        end = _position(r, item, "tempo.ramp.", line, "to_bar", "to_beat")
        bpm0 = r.get(item, "from_bpm", "fraction", where="tempo.ramp.", line=line)
        bpm1 = r.get(item, "to_bpm", "fraction", where="tempo.ramp.", required=True, line=line)
        unit = r.get(item, "beat_unit", "unit", where="tempo.ramp.", line=line, default=a.beat_unit)
        if start and end and bpm1 is not None:
            a.ramps.append((start, end, bpm0, bpm1, unit))
    for i, item in enumerate(_table_list(r, data, "anchor", "anchor")):
        line = r.line("time_s", "anchor", i)
        r.unknown(item, {"bar", "beat", "time_s"}, "anchor.", "anchor", i)
        pos = _position(r, item, "anchor.", line)
        t = r.get(item, "time_s", "fraction", where="anchor.", required=True, line=line)
        if pos and t is not None:
            a.anchors.append((pos, t))
    for i, item in enumerate(_table_list(r, data, "meter", "meter")):
        line = r.line("meter", "meter", i)
        r.unknown(item, {"bar", "meter"}, "meter.", "meter", i)
        bar = r.get(item, "bar", "bar", where="meter.", required=True, line=line)
        meter = r.get(item, "meter", "meter", where="meter.", required=True, line=line)
        if bar and meter:
            a.meters.append((Position(bar, Fraction(0), line), meter))
    labels = data.get("labels", {})
    if isinstance(labels, dict):
        a.labels = {str(k): str(v) for k, v in labels.items()}
    seed = data.get("seed", {})
    if isinstance(seed, dict):
        r.unknown(seed, {"tempo_sections", "triplets"}, "seed.", "seed")
        a.triplets = r.get(seed, "triplets", "bool", where="seed.")
        a.tempo_sections = _tempo_sections(r, seed.get("tempo_sections", []),
                                           r.line("tempo_sections"))
    return a


def _table_list(r: _Reader, table: dict, key: str, name: str) -> list:
    value = table.get(key, [])
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        r.error("DT201", r.line(key), f"{name}: expected [[{name}]] tables")
        return []
    return value


def _tempo_sections(r: _Reader, value, line: int) -> list:
    out = []
    if not isinstance(value, list):
        r.error("DT201", line, "tempo_sections: expected a list of [cells, bpm] pairs")
        return out
    for item in value:
        if (not isinstance(item, (list, tuple)) or len(item) != 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in item)
                or item[0] < 0 or item[1] <= 0):
            r.error("DT201", line, f"tempo_sections: expected [cells, bpm] with cells >= 0 and "
                    f"bpm > 0, found {item!r}")
            continue
        out.append((int(item[0]), to_fraction(item[1]), line))
    return out


# -- the seed project's JSON -------------------------------------------------------------
def seed_to_alignment(data: dict, path: Path, r: _Reader) -> Alignment:
    """The seed's song JSON: ``song``, ``tab_file``, ``tab_char_labels`` and ``alignment_info``
    (``BPM``, ``first drum note onset``, ``triplets``, ``tempo change``, ``tempo sections``)."""
    a = Alignment(path)
    a.song = str(data.get("song", ""))
    tab = r.get(data, "tab_file", "str", required=True)
    a.tab = path.parent / tab if tab else None
    labels = data.get("tab_char_labels", {})
    if not isinstance(labels, dict):
        r.error("DT201", r.line("tab_char_labels"), "tab_char_labels: expected an object of "
                f"piece name -> tab label, found {labels!r}")
        labels = {}
    for piece, label in labels.items():
        if not isinstance(label, str):
            r.error("DT201", r.line(str(piece)), f"tab_char_labels: {piece!r}: expected the "
                    f"tab label (a string), found {label!r}")
    a.labels = {str(v).strip(): str(k) for k, v in labels.items()
                if isinstance(v, str) and v.strip()}
    info = data.get("alignment_info")
    if not isinstance(info, dict):
        r.error("DT201", r.line("alignment_info"), "missing required key alignment_info")
        return a
    a.bpm = r.get(info, "BPM", "bpm", where="alignment_info.", required=True)
    a.first_note_s = r.get(info, "first drum note onset", "fraction", where="alignment_info.",
                           required=True)
    a.triplets = r.get(info, "triplets", "bool", where="alignment_info.")
    if info.get("tempo change"):
        a.tempo_sections = _tempo_sections(r, info.get("tempo sections", []),
                                           r.line("tempo sections"))
    for key in ("song_file", "audio_file", "mp3_file"):
        if isinstance(data.get(key), str):
            a.audio_file = data[key]
    return a


def alignment_to_toml(a: Alignment, *, tab_relative_to: Path) -> str:
    """Our TOML form of an alignment (used by ``import-seed``)."""
    import os
    lines = [f"# Converted from the seed project's {a.path.name}", ""]
    if a.song:
        lines.append(f"song = {json.dumps(a.song)}")
    rel = os.path.relpath(a.tab, tab_relative_to) if a.tab else ""
    lines += [f"tab = {json.dumps(rel)}", "", "[audio]"]
    lines.append(f"file = {json.dumps(a.audio_file)}" if a.audio_file else
                 "# file = \"...\"      # the recording, looked up under --audio-dir")
    lines += ["", "[tempo]", f"bpm = {_num(a.bpm)}",
              f"first_note_s = {_num(a.first_note_s)}   # start of the cell of the first drum note"]
    if a.labels:
        lines += ["", "[labels]   # tab label = instrument, from the seed's tab_char_labels"]
        lines += [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in sorted(a.labels.items())]
    if a.tempo_sections or a.triplets is not None:
        lines += ["", "[seed]"]
        if a.triplets is not None:
            lines.append(f"triplets = {'true' if a.triplets else 'false'}")
        if a.tempo_sections:
            pairs = ", ".join(f"[{c}, {_num(b)}]" for c, b, _ in a.tempo_sections)
            lines.append(f"tempo_sections = [{pairs}]   # [16th-note cells from the start, next BPM]")
    return "\n".join(lines) + "\n"


def _num(x) -> str:
    x = to_fraction(x)
    return str(x.numerator) if x.denominator == 1 else repr(float(x))


# -- alignment -----------------------------------------------------------------------------
def cell_to_quarters(score: Score, tempo_map: TempoMap, cell: int):
    """Quarter-note position of the seed's ``cell``-th grid cell (0-based, bar lines removed),
    or None past the end of the tab."""
    for bar in score.bars:
        if cell < len(bar.cells):
            return tempo_map.position_to_quarters(bar.index, bar.cells[cell])
        cell -= len(bar.cells)
    return tempo_map.bar_quarters[-1] if cell == 0 else None


@dataclass
class AlignResult:
    score: Score | None
    tempo_map: TempoMap | None
    rows: list
    findings: list


def parser_options(a: Alignment, score: Score | None = None) -> dict:
    """Options for the tab parser implied by the alignment file (labels, meter changes)."""
    options = {}
    if a.labels:
        options["legend"] = "\n".join(f"{k} = {v}" for k, v in a.labels.items())
    if a.meters and score is not None:
        changes = []
        for pos, meter in a.meters:
            if pos.bar <= len(score.bars):
                changes.append(f"{score.bars[pos.bar - 1].written_bar}={meter}")
        options["meters"] = ",".join(changes)
    return options


def align(a: Alignment, manager, *, audio_dir: Path | None = None, settings=None) -> AlignResult:
    """Parse the alignment's tab, build its tempo map and compute the onset table."""
    from .validate import parse_file

    f = lambda line, code, msg: Finding(str(a.path), line, 1, code, msg)  # noqa: E731
    findings: list[Finding] = []
    if a.tab is None or not a.tab.is_file():
        findings.append(f(_line_of_tab(a), "DT202",
                          f"tab file not found: {a.tab}"))
        return AlignResult(None, None, [], findings)
    kwargs = dict(settings=settings, parser_name=a.parser)
    if a.parser is not None and a.parser not in manager.registry("tab_parser").names():
        findings.append(f(1, "DT201", f"unknown parser {a.parser!r}; valid names: "
                          f"{', '.join(manager.registry('tab_parser').names())}"))
        return AlignResult(None, None, [], findings)
    result = parse_file(a.tab, manager, options=_accepted(manager, a, parser_options(a)), **kwargs)
    if a.meters:
        result = parse_file(a.tab, manager,
                            options=_accepted(manager, a, parser_options(a, result.score)), **kwargs)
    score = result.score
    findings.extend(result.findings)
    if not score.bars:
        findings.append(f(_line_of_tab(a), "DT202", f"tab has no bars: {a.tab}"))
        return AlignResult(score, None, [], findings)
    n_bars = len(score.bars)

    for pos, meter in a.meters:
        if pos.bar > n_bars:
            findings.append(f(pos.line, "DT203", f"meter change at bar {pos.bar} is past the end "
                              f"of the tab ({n_bars} bars)"))
            continue
        for bar in score.bars[pos.bar - 1:]:
            if bar.meter.denominator != meter.denominator:
                break
            if bar.meter.numerator != meter.numerator:
                findings.append(f(pos.line, "DT206", f"meter {meter} does not fit bar "
                                  f"{bar.index + 1}: its columns count {bar.meter.numerator} "
                                  f"beats"))
                break

    def quarters(pos: Position, what: str):
        if pos.bar > n_bars + 1 or (pos.bar == n_bars + 1 and pos.beat):
            findings.append(f(pos.line, "DT203", f"{what} at bar {pos.bar} is past the end of "
                              f"the tab ({n_bars} bars)"))
            return None
        if pos.bar <= n_bars and pos.beat > score.bars[pos.bar - 1].meter.numerator:
            findings.append(f(pos.line, "DT203", f"{what} at beat {pos.beat} is past the end of "
                              f"bar {pos.bar} ({score.bars[pos.bar - 1].meter} has "
                              f"{score.bars[pos.bar - 1].meter.numerator} beats)"))
            return None
        return tm0.position_to_quarters(pos.bar - 1, pos.beat)

    tm0 = TempoMap(score.bars, qpm=Fraction(120))       # for positions only
    base = qpm_of(a.bpm, a.beat_unit) if a.bpm is not None else None
    changes, ramps, anchors = [], [], []
    for pos, bpm, unit in a.changes:
        q = quarters(pos, "tempo change")
        if q is not None:
            changes.append((q, qpm_of(bpm, unit)))
    for start, end, bpm0, bpm1, unit in a.ramps:
        q0, q1 = quarters(start, "ramp start"), quarters(end, "ramp end")
        if q0 is None or q1 is None:
            continue
        if bpm1 <= 0 or (bpm0 is not None and bpm0 <= 0):
            findings.append(f(end.line, "DT205", f"ramp reaches 0 BPM or below "
                              f"({_num(bpm0) if bpm0 is not None else 'current'} -> {_num(bpm1)})"))
            continue
        if q1 <= q0:
            findings.append(f(end.line, "DT201", "ramp must end after it starts"))
            continue
        ramps.append((q0, q1, qpm_of(bpm0, unit) if bpm0 is not None else None, qpm_of(bpm1, unit)))
    for cells, bpm, line in a.tempo_sections:
        q = cell_to_quarters(score, tm0, cells)
        if q is None:
            findings.append(f(line, "DT203", f"tempo section at cell {cells} is past the end of "
                              f"the tab ({sum(len(b.cells) for b in score.bars)} cells)"))
        else:
            changes.append((q, qpm_of(bpm, QUARTER)))
    last_q, last_t = None, None
    for pos, t in sorted(a.anchors, key=lambda x: x[0].line):
        q = quarters(pos, "anchor")
        if q is None:
            continue
        if last_q is not None and (q <= last_q or t <= last_t):
            findings.append(f(pos.line, "DT204", f"anchors must increase: bar {pos.bar} beat "
                              f"{pos.beat} at {float(t):g} s comes after a later or equal point"))
            continue
        anchors.append((q, t))
        last_q, last_t = q, t
    reference = None
    if a.anchor is not None:
        q = quarters(a.anchor[0], "anchor")
        if q is not None:
            reference = (q, a.anchor[1])
    elif a.first_note_s is not None:
        if not score.events:
            findings.append(f(1, "DT202", "first_note_s given but the tab has no hits"))
        else:
            first = min(score.events, key=lambda e: (e.bar, e.beat))
            reference = (tm0.position_to_quarters(first.bar, first.beat), a.first_note_s)
    if base is None and len(anchors) < 2:
        findings.append(f(1, "DT201", "no tempo: give [tempo] bpm or at least two [[anchor]]s"))
    if a.triplets is False and any(p.denominator % 3 == 0 for b in score.bars for p in b.cells):
        findings.append(f(1, "DT212", "the seed file says the tab has no triplets, but its "
                          "count line marks some"))
    if any(x.severity.value == "error" for x in findings):
        return AlignResult(score, None, [], findings)
    # ramps without from_bpm start at the tempo in force there
    resolved = []
    for q0, q1, r0, r1 in ramps:
        if r0 is None:
            probe = TempoMap(score.bars, qpm=base or Fraction(120), changes=changes,
                             ramps=resolved)
            r0 = probe.qpm_at(q0)
        resolved.append((q0, q1, r0, r1))
    if reference is not None and anchors:      # the first note is pinned like an anchor
        if any(q == reference[0] for q, _ in anchors):
            findings.append(f(1, "DT204", "an anchor sits on the reference point"))
            return AlignResult(score, None, [], findings)
        anchors = sorted(anchors + [reference])
    try:
        tempo_map = TempoMap(score.bars, qpm=base, reference=reference, changes=changes,
                             ramps=resolved, anchors=anchors, offset_s=a.offset_s)
    except AlignmentError as exc:
        code = "DT205" if "BPM" in exc.message else "DT204" if "anchor" in exc.message else "DT201"
        findings.append(f(1, code, exc.message))
        return AlignResult(score, None, [], findings)
    rows = onset_rows(score, tempo_map)
    if rows and rows[0]["time"] < 0:
        findings.append(f(1, "DT207", f"first onset at {rows[0]['time']:.3f} s is before the "
                          "start of the recording: check first_note_s, anchors and offset_s"))
    if audio_dir is not None:
        findings.extend(check_audio(a, rows, Path(audio_dir)))
    return AlignResult(score, tempo_map, rows, findings)


def _accepted(manager, a: Alignment, options: dict) -> dict:
    """Only the options the tab's parser knows (a site parser may have no legend option)."""
    import dataclasses
    try:
        text = a.tab.read_text(encoding="utf-8", errors="replace")
        parser = (manager.get("tab_parser", a.parser) if a.parser
                  else manager.choose_tab_parser(a.tab, text))
    except Exception:
        return {}
    names = {fl.name for fl in dataclasses.fields(parser.Options)}
    return {k: v for k, v in options.items() if k in names}


def _line_of_tab(a: Alignment) -> int:
    try:
        for no, line in enumerate(a.path.read_text(encoding="utf-8").splitlines(), 1):
            if re.match(r'\s*"?(tab|tab_file)"?\s*[=:]', line):
                return no
    except OSError:
        pass
    return 1


def cell_length(bar, beat) -> Fraction:
    """Beats from ``beat`` to the next grid cell of the bar (the bar's end for the last)."""
    later = [c for c in bar.cells if c > beat]
    return (min(later) if later else Fraction(bar.meter.numerator)) - beat


def onset_rows(score: Score, tempo_map: TempoMap) -> list[dict]:
    """One row per stroke with its time in seconds, sorted by time.

    A double (two strokes in one grid cell, ``d``/``D``) gives two rows: the second stroke
    half a cell after the first (``stroke`` 2)."""
    from .score import Articulation
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
    rows.sort(key=lambda r: (r["time"], r["gm_note"]))
    return rows


def find_audio(a: Alignment, audio_dir: Path) -> Path | None:
    """The recording under ``audio_dir`` (searched recursively by file name)."""
    if not a.audio_file:
        return None
    direct = audio_dir / a.audio_file
    if direct.is_file():
        return direct
    matches = sorted(audio_dir.rglob(Path(a.audio_file).name)) if audio_dir.is_dir() else []
    return matches[0] if matches else None


def check_audio(a: Alignment, rows: list, audio_dir: Path) -> list[Finding]:
    """Checks against the recording: it exists, its checksum and duration match, and the
    last onset falls before its end."""
    line = 1
    findings = []
    if not a.audio_file:
        return [Finding(str(a.path), 1, 1, "DT208", "no [audio] file named: nothing to check")]
    path = find_audio(a, audio_dir)
    if path is None:
        return [Finding(str(a.path), line, 1, "DT208",
                        f"recording {a.audio_file!r} not found under {audio_dir}")]
    if a.sha256:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest.lower() != a.sha256.lower():
            findings.append(Finding(str(a.path), line, 1, "DT209",
                                    f"{path.name}: sha256 is {digest}, the alignment file says "
                                    f"{a.sha256}: a different recording or encoding"))
    try:
        import soundfile
        duration = soundfile.info(str(path)).duration
    except Exception as exc:
        findings.append(Finding(str(a.path), line, 1, "DT208",
                                f"{path.name}: cannot read the recording: {exc}"))
        return findings
    if a.duration_s is not None and abs(duration - a.duration_s) > DURATION_TOLERANCE_S:
        findings.append(Finding(str(a.path), line, 1, "DT210",
                                f"{path.name} lasts {duration:.2f} s, the alignment file says "
                                f"{a.duration_s:.2f} s"))
    if rows and rows[-1]["time"] > duration:
        findings.append(Finding(str(a.path), line, 1, "DT207",
                                f"last onset at {rows[-1]['time']:.3f} s is after the end of "
                                f"{path.name} ({duration:.3f} s)"))
    return findings
