"""User class schemes in TOML (``docs/classes.md``), checked with DT3xx findings."""
from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from ..components import NoOptions
from ..findings import Finding, has_errors
from ..score import Articulation, Instrument
from ..errors import DrumtabberError
from ..textio import key_line, parse_toml, read_input_file
from .maps import FAMILIES, SchemeFinding

@dataclass(frozen=True)
class ClassRule:
    """Which hits one class of a user scheme takes."""

    name: str
    instruments: frozenset = frozenset()
    families: frozenset = frozenset()
    articulations: frozenset = frozenset()        # any of them
    not_articulations: frozenset = frozenset()    # none of them

    def matches(self, instrument: Instrument, articulations: frozenset) -> bool:
        if (self.instruments or self.families) and not (
                instrument in self.instruments or instrument.family in self.families):
            return False
        if self.articulations and not (self.articulations & articulations):
            return False
        return not (self.not_articulations & articulations)


class TomlClassMap:
    """A class scheme read from a TOML file (see ``docs/classes.md``)."""

    Options = NoOptions

    def __init__(self, name: str, description: str, rules: list[ClassRule], *,
                 drop_instruments=frozenset(), drop_articulations=frozenset(), path=None,
                 text: str = ""):
        self.name = name
        self.text = text                  # the TOML text it was read from
        self.description = description
        self.rules = rules
        self.drop_instruments = frozenset(drop_instruments)
        self.drop_articulations = frozenset(drop_articulations)
        self.path = path

    def classes(self, options=None) -> list[str]:
        return [r.name for r in self.rules]

    def drops(self, options=None):
        return self.drop_instruments | self.drop_articulations

    def map_event(self, instrument, articulations, velocity, options=None) -> tuple[str, ...]:
        if instrument in self.drop_instruments or self.drop_articulations & articulations:
            return ()
        return tuple(r.name for r in self.rules if r.matches(instrument, articulations))


_TOP_KEYS = {"name", "description", "classes", "drop"}
_RULE_KEYS = {"instruments", "families", "articulations", "not_articulations"}
_DROP_KEYS = {"instruments", "families", "articulations"}


def parse_instrument(value) -> Instrument:
    """An instrument from a scheme file: its value (``"kick"``), name (``"KICK"``) or GM note
    (``36``); ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        return Instrument.from_gm_note(value)
    text = str(value).strip()
    for instrument in Instrument:
        if text.lower() in (instrument.value, instrument.name.lower()):
            return instrument
    if text.isdigit():
        return Instrument.from_gm_note(int(text))
    raise ValueError(f"unknown instrument {value!r}")


class _SchemeReader:
    """Reads one scheme file's tables, collecting findings with file and line."""

    def __init__(self, path: Path, text: str):
        self.path, self.lines, self.findings = path, text.splitlines(), []

    def add(self, code: str, line: int, message: str, column: int = 1):
        self.findings.append(SchemeFinding(str(self.path), line, column, code, message))

    def line_of_key(self, key: str, start: int = 1, table: str | None = None) -> int:
        """Line of ``key = ...`` (or of the table header ``[table.key]``) at or after ``start``."""
        return key_line(self.lines, key, start=start, table=table, index=len(self.lines)) or (
            start if start > 0 else 1)

    def line_of_table(self, table: str) -> int:
        for no, text in enumerate(self.lines, 1):
            if re.match(rf"^\s*\[\s*{re.escape(table)}\s*[\].]", text):
                return no
        return self.line_of_key(table)

    def line_of_value(self, value, start: int) -> tuple[int, int]:
        needles = [f'"{value}"', f"'{value}'"] if isinstance(value, str) else [str(value)]
        for no in range(max(start, 1), len(self.lines) + 1):
            for needle in needles:
                col = self.lines[no - 1].find(needle)
                if col >= 0:
                    return no, col + 1
        return start, 1

    def names(self, table: dict, key: str, line: int, what: str) -> list:
        value = table.get(key, [])
        if isinstance(value, (str, int)):
            value = [value]
        if not isinstance(value, list):
            self.add("DT301", self.line_of_key(key, line), f"{what}.{key}: expected a list, "
                     f"found {type(value).__name__}")
            return []
        return value

    def instruments(self, values: list, line: int, what: str) -> set:
        found = set()
        for value in values:
            try:
                found.add(parse_instrument(value))
            except ValueError:
                no, col = self.line_of_value(value, line)
                close = difflib.get_close_matches(str(value).lower(),
                                                  [i.value for i in Instrument], n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.add("DT302", no, f"{what}: unknown instrument {value!r}{hint}; instruments "
                         "are the names `drumtabber-data classes full` lists, or GM notes 35-81",
                         col)
        return found

    def families(self, values: list, line: int, what: str) -> set:
        bad = [v for v in values if v not in FAMILIES]
        for value in bad:
            no, col = self.line_of_value(value, line)
            self.add("DT302", no, f"{what}: unknown family {value!r}; known: "
                     f"{', '.join(FAMILIES)}", col)
        return {v for v in values if v in FAMILIES}

    def articulations(self, values: list, line: int, what: str) -> set:
        known = {a.value: a for a in Articulation}
        for value in values:
            if value not in known:
                no, col = self.line_of_value(value, line)
                self.add("DT302", no, f"{what}: unknown articulation {value!r}; known: "
                         f"{', '.join(known)}", col)
        return {known[v] for v in values if v in known}


def parse_scheme(text: str, *, path: Path | str = "<scheme>") -> tuple[TomlClassMap | None,
                                                                     list[Finding]]:
    """A user class scheme from TOML text, and findings (file, line) about it.

    The scheme is None when the file has errors.  Layout::

        name = "kick-snare-hats"          # default: the file name without .toml
        description = "..."
        [classes]                         # in output order
        kick = ["kick", "kick_acoustic"]  # a list: instruments (value, name or GM note)
        snare = { families = ["snare"] }
        hihat_open = { instruments = ["hihat_open"], not_articulations = ["half_open"] }
        accent = { articulations = ["accent"] }   # an extra label on any accented hit
        [drop]                            # left out on purpose
        families = ["percussion"]
    """
    path = Path(path)
    r = _SchemeReader(path, text)
    try:
        data = parse_toml(text, path=path)
    except DrumtabberError as exc:
        r.add("DT301", exc.line or 1, exc.message, exc.column or 1)
        return None, r.findings
    for key in data:
        if key not in _TOP_KEYS:
            r.add("DT301", r.line_of_key(key), f"unknown key {key!r}; valid keys: "
                  f"{', '.join(sorted(_TOP_KEYS))}")
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        r.add("DT301", r.line_of_key("name"), f"name: expected a non-empty string, found {name!r}")
        name = path.stem
    description = data.get("description", f"user scheme from {path.name}")
    if not isinstance(description, str):
        r.add("DT301", r.line_of_key("description"), "description: expected a string")
        description = ""

    # [drop]
    drop_instruments, drop_articulations, dropped_names = set(), set(), {}
    drop = data.get("drop", {})
    drop_line = r.line_of_table("drop")
    if not isinstance(drop, dict):
        r.add("DT301", drop_line, "drop: expected a table with instruments, families, "
              "articulations")
        drop = {}
    for key in drop:
        if key not in _DROP_KEYS:
            r.add("DT301", r.line_of_key(key, drop_line), f"drop: unknown key {key!r}; valid "
                  f"keys: {', '.join(sorted(_DROP_KEYS))}")
    for instrument in r.instruments(r.names(drop, "instruments", drop_line, "drop"),
                                    drop_line, "drop"):
        drop_instruments.add(instrument)
        dropped_names[instrument] = "drop.instruments"
    for family in r.families(r.names(drop, "families", drop_line, "drop"), drop_line, "drop"):
        for instrument in Instrument:
            if instrument.family == family:
                drop_instruments.add(instrument)
                dropped_names.setdefault(instrument, f"drop.families {family!r}")
    drop_articulations = r.articulations(r.names(drop, "articulations", drop_line, "drop"),
                                         drop_line, "drop")

    # [classes]
    rules = []
    classes = data.get("classes")
    classes_line = r.line_of_table("classes")
    if not isinstance(classes, dict) or not classes:
        r.add("DT301", classes_line, "classes: expected a table of at least one class "
              "(class name = [instruments] or { instruments, families, articulations, "
              "not_articulations })")
        classes = {}
    for cname, spec in classes.items():
        line = r.line_of_key(cname, classes_line, table="classes")
        what = f"class {cname!r}"
        if isinstance(spec, list):
            spec = {"instruments": spec}
        if not isinstance(spec, dict):
            r.add("DT301", line, f"{what}: expected a list of instruments or a table, found "
                  f"{type(spec).__name__}")
            continue
        for key in spec:
            if key not in _RULE_KEYS:
                r.add("DT301", r.line_of_key(key, line), f"{what}: unknown key {key!r}; valid "
                      f"keys: {', '.join(sorted(_RULE_KEYS))}")
        rule = ClassRule(
            cname,
            frozenset(r.instruments(r.names(spec, "instruments", line, what), line, what)),
            frozenset(r.families(r.names(spec, "families", line, what), line, what)),
            frozenset(r.articulations(r.names(spec, "articulations", line, what), line, what)),
            frozenset(r.articulations(r.names(spec, "not_articulations", line, what), line,
                                      what)))
        if not any(spec.get(k) for k in _RULE_KEYS):
            r.add("DT301", line, f"{what} selects nothing: give instruments, families, "
                  "articulations or not_articulations")
            continue
        for instrument in Instrument:
            named = instrument in rule.instruments or instrument.family in rule.families
            if named and instrument in drop_instruments:
                r.add("DT304", line, f"{what} takes {instrument.value}, which "
                      f"{dropped_names[instrument]} drops")
        rules.append(rule)
    if has_errors(r.findings):
        return None, r.findings
    return TomlClassMap(name.strip(), description, rules, drop_instruments=drop_instruments,
                        drop_articulations=drop_articulations, path=path, text=text), r.findings


def load_scheme_file(path: Path | str) -> tuple[TomlClassMap | None, list[Finding]]:
    """Read and validate a user scheme file; see :func:`parse_scheme`."""
    path = Path(path)
    text, problems = read_input_file(path, what="class scheme")
    return parse_scheme(text, path=path) if text is not None else (None, problems)


def options_text(options) -> str:
    """``key=value`` for each option (``(none)`` for a scheme without options)."""
    if options is None or not dataclasses.fields(options):
        return "(none)"
    values = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    return " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                    for k, v in values.items())
