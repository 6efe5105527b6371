"""Class maps: from drum events to the classes a model is trained on.

The core knows no scheme.  Schemes are plugin components registered through the
``register_class_maps`` hook (the built-ins are in ``plugins/classmaps.py``) or user schemes
read from TOML files (:func:`load_scheme_file`).  This module holds what every scheme
shares: the protocol, applying a map to events and onset rows, counting events per class,
the contract check, and reading and validating user schemes.

A class map has ``name``, ``description``, an ``Options`` dataclass and three methods:

* ``classes(options) -> list[str]``: the class names, in output order;
* ``map_event(instrument, articulations, velocity, options) -> tuple[str, ...]``: the classes
  of one hit (zero or more; each one of ``classes(options)``);
* ``drops(options) -> collection of Instrument and Articulation``: what the scheme leaves out
  on purpose.  A hit that maps to no class is *dropped* when its instrument or one of its
  articulations is listed there, and *unmapped* (a gap in the scheme, reported) otherwise.
"""
from __future__ import annotations

import dataclasses
import difflib
import re
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Collection, Iterable, Protocol, runtime_checkable

from .components import Component, build_options
from .errors import PluginError, UnknownComponentError
from .findings import CODES, Finding, Severity
from .score import Articulation, Event, Instrument

# A class with fewer events than this over a dataset is reported as tiny.  Our choice, not
# from the literature: at 50 onsets one missed hit moves the class's recall by 2 percentage
# points, so per-class scores (and class weights computed from counts) below that are noise.
TINY_CLASS_EVENTS = 50

FAMILIES = tuple(dict.fromkeys(i.family for i in Instrument))   # kick, snare, percussion, ...


@runtime_checkable
class ClassMap(Component, Protocol):
    """What a class-mapping scheme provides (see the module docstring)."""

    def classes(self, options) -> list[str]: ...

    def map_event(self, instrument: Instrument, articulations: frozenset, velocity: int,
                  options) -> tuple[str, ...]: ...

    def drops(self, options) -> Collection: ...


# Finding codes of class schemes: the DT3xx codes of drumtabber.findings.CODES.
SCHEME_CODES = {code: value for code, value in CODES.items() if code.startswith("DT3")}
SchemeFinding = Finding


# --------------------------------------------------------------------------------------
# Looking schemes up
# --------------------------------------------------------------------------------------
def class_maps(manager, user_schemes: Iterable = ()) -> dict[str, tuple[object, str]]:
    """Every scheme by name: the registered components plus ``user_schemes``.

    Returns ``{name: (class_map, source)}`` sorted by name; ``source`` is ``plugin NAME`` or
    the scheme file.  A user scheme named like another scheme is a :class:`PluginError`.
    """
    registry = manager.registry("class_map")
    found = {name: (registry.get(name), f"plugin {registry.owner(name)}")
             for name in registry.names()}
    for scheme in user_schemes:
        if scheme.name in found:
            raise PluginError(f"class map {scheme.name!r} is defined twice: by "
                              f"{found[scheme.name][1]} and by {scheme.path}")
        found[scheme.name] = (scheme, str(scheme.path))
    return dict(sorted(found.items()))


def resolve_class_map(manager, name: str, values: dict | None = None, *,
                      user_schemes: Iterable = (), source: str = "options"):
    """The scheme ``name`` and its validated options: ``(class_map, options)``.

    An unknown name raises :class:`UnknownComponentError` listing the valid ones; bad option
    keys or values raise :class:`ConfigError` naming the option.
    """
    schemes = class_maps(manager, user_schemes)
    if name not in schemes:
        raise UnknownComponentError(f"unknown class map {name!r}; valid names: "
                                    f"{', '.join(schemes) or '(none registered)'}")
    class_map = schemes[name][0]
    return class_map, build_options(class_map, values, source=source)


# --------------------------------------------------------------------------------------
# Applying a map
# --------------------------------------------------------------------------------------
def is_dropped(class_map, instrument: Instrument, articulations: frozenset, options) -> bool:
    """Whether the scheme leaves this kind of hit out on purpose."""
    dropped = set(class_map.drops(options))
    return instrument in dropped or bool(dropped & set(articulations))


class _Mapper:
    """A scheme with fixed options, answering each kind of hit once (a dataset has few kinds)."""

    def __init__(self, class_map, options):
        self.class_map, self.options = class_map, options
        self.known = class_map.classes(options)
        self._cache: dict[tuple, tuple[str, ...]] = {}

    def __call__(self, instrument: Instrument, articulations, velocity: int) -> tuple[str, ...]:
        key = (instrument, frozenset(articulations), velocity)
        found = self._cache.get(key)
        if found is None:
            found = tuple(self.class_map.map_event(instrument, key[1], velocity, self.options))
            bad = [c for c in found if c not in self.known]
            if bad:
                raise ValueError(f"class map {self.class_map.name!r} mapped {instrument.value} "
                                 f"to {', '.join(bad)}, not among its classes {self.known}")
            self._cache[key] = found
        return found


def classes_of(class_map, instrument: Instrument, articulations=frozenset(), velocity: int = 96,
               options=None) -> tuple[str, ...]:
    """The classes of one hit; a class outside ``classes(options)`` is a scheme bug (ValueError)."""
    return _Mapper(class_map, options)(instrument, articulations, velocity)


def map_events(class_map, events: Iterable[Event], options) -> list[tuple[Event, tuple]]:
    """Each event with its classes (an empty tuple for a dropped or unmapped event)."""
    mapper = _Mapper(class_map, options)
    return [(e, mapper(e.instrument, e.articulations, e.velocity)) for e in events]


def map_onset_rows(class_map, rows: Iterable[dict], options) -> list[dict]:
    """Onset rows (``drumtabber.align.onset_rows``) with a ``class`` column.

    A row whose hit maps to two classes becomes two rows; a row that maps to none is left
    out.  Rows need ``instrument`` (the value, ``"kick"``), ``articulation`` (values joined
    by ``+``) and ``velocity``.
    """
    mapper, out = _Mapper(class_map, options), []
    for row in rows:
        arts = frozenset(Articulation(a) for a in str(row.get("articulation") or "").split("+")
                         if a)
        for name in mapper(Instrument(row["instrument"]), arts, int(row.get("velocity") or 96)):
            out.append({**row, "class": name})
    return out


@dataclass
class ClassCounts:
    """Events per class over a set of events, with what was dropped and what is unmapped."""

    classes: list[str]
    counts: dict[str, int]                   # every class, in class order (0 when empty)
    events: int = 0                          # events looked at
    dropped: int = 0                         # events left out on purpose
    unmapped: dict = field(default_factory=dict)   # Instrument -> events neither mapped nor dropped
    files: int = 0                           # files the events came from, when counted over files

    def empty(self) -> list[str]:
        return [c for c in self.classes if self.counts[c] == 0]

    def tiny(self, threshold: int = TINY_CLASS_EVENTS) -> list[str]:
        return [c for c in self.classes if 0 < self.counts[c] < threshold]


def count_classes(class_map, events: Iterable[Event], options) -> ClassCounts:
    """Count events per class; events of several classes count once in each."""
    names = class_map.classes(options)
    counts = dict.fromkeys(names, 0)
    result = ClassCounts(names, counts)
    dropped = set(class_map.drops(options))
    for event, found in map_events(class_map, events, options):
        result.events += 1
        for name in found:
            counts[name] += 1
        if not found:
            if event.instrument in dropped or dropped & event.articulations:
                result.dropped += 1
            else:
                result.unmapped.setdefault(event.instrument, []).append(event)
    return result


def class_warnings(counts: ClassCounts, *, threshold: int = TINY_CLASS_EVENTS,
                   skip_empty: bool = False) -> list[str]:
    """One line per empty class and per class with fewer than ``threshold`` events."""
    lines = [] if skip_empty else [f"class {c!r} has no events" for c in counts.empty()]
    lines += [f"class {c!r} has only {counts.counts[c]} event(s) (under {threshold})"
              for c in counts.tiny(threshold)]
    return lines


def unmapped_findings(class_map, counts: ClassCounts) -> list[SchemeFinding]:
    """A DT303 warning per instrument of the data the scheme neither maps nor drops, placed at
    the instrument's first hit."""
    where = getattr(class_map, "path", None)
    fix = (f"add it to a class or to [drop] in {where}" if where
           else "this scheme has a gap; please report it")
    out = []
    for instrument, events in counts.unmapped.items():
        first = min(events, key=lambda e: (e.source, e.line, e.column))
        out.append(SchemeFinding(
            first.source or "<events>", first.line or 1, first.column or 1, "DT303",
            f"{instrument.value} (GM {instrument.gm_note}, {len(events)} hit(s)) is neither "
            f"mapped to a class nor dropped by class map {class_map.name!r}; {fix}"))
    return out


# --------------------------------------------------------------------------------------
# What a scheme does to each instrument, and the contract every scheme keeps
# --------------------------------------------------------------------------------------
def mapping_table(class_map, options) -> list[dict]:
    """One row per instrument: the classes of a plain hit, whether it is dropped on purpose,
    and the articulations that change its classes (``variants``: articulation -> classes)."""
    rows = []
    for instrument in Instrument:
        plain = classes_of(class_map, instrument, frozenset(), 96, options)
        variants = {}
        for art in Articulation:
            found = classes_of(class_map, instrument, frozenset({art}), 96, options)
            if found != plain:
                variants[art.value] = list(found)
        rows.append({"instrument": instrument.value, "gm_note": instrument.gm_note,
                     "classes": list(plain),
                     "dropped": not plain and is_dropped(class_map, instrument, frozenset(),
                                                         options),
                     "variants": variants})
    return rows


def check_class_map(class_map, options) -> list[str]:
    """What breaks the class-map contract (empty when the scheme keeps it).

    Class names are unique non-empty strings; every hit of every instrument, plain or with
    one articulation, maps to classes among ``classes(options)`` or is dropped on purpose;
    an instrument the scheme says it drops maps to no class when played plainly.
    """
    problems = []
    names = class_map.classes(options)
    if not all(isinstance(n, str) and n for n in names):
        problems.append(f"class names must be non-empty strings: {names!r}")
    if len(set(names)) != len(names):
        repeated = sorted(n for n, k in Counter(names).items() if k > 1)
        problems.append(f"class names repeat: {repeated}")
    dropped = set(class_map.drops(options))
    for item in dropped:
        if not isinstance(item, (Instrument, Articulation)):
            problems.append(f"drops() lists {item!r}, not an Instrument or Articulation")
    for instrument in Instrument:
        for arts in [frozenset()] + [frozenset({a}) for a in Articulation]:
            what = instrument.value + "".join(f"+{a.value}" for a in arts)
            found = tuple(class_map.map_event(instrument, arts, 96, options))
            bad = [c for c in found if c not in names]
            if bad:
                problems.append(f"{what} maps to {bad}, not among the classes")
            if not found and instrument not in dropped and not (arts & dropped):
                problems.append(f"{what} maps to no class and is not dropped on purpose")
        if instrument in dropped and class_map.map_event(instrument, frozenset(), 96, options):
            problems.append(f"{instrument.value} is listed as dropped but maps to a class")
    return problems


# --------------------------------------------------------------------------------------
# User schemes in TOML
# --------------------------------------------------------------------------------------
@dataclass
class NoOptions:
    """A user scheme has no options."""


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
                 drop_instruments=frozenset(), drop_articulations=frozenset(), path=None):
        self.name = name
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
_TOML_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


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
        pattern = re.compile(rf"""^\s*(["']?){re.escape(key)}\1\s*=""")
        header = re.compile(rf"^\s*\[\s*{re.escape(table)}\.\s*(['\"]?){re.escape(key)}\1\s*\]"
                            ) if table else None
        for no in range(max(start, 1), len(self.lines) + 1):
            text = self.lines[no - 1]
            if pattern.match(text) or (header and header.match(text)):
                return no
        return start if start > 0 else 1

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
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_POSITION.search(str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
        r.add("DT301", line, f"not valid TOML: {_TOML_POSITION.sub('', str(exc)).strip()}", col)
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
    if any(f.severity == Severity.ERROR for f in r.findings):
        return None, r.findings
    return TomlClassMap(name.strip(), description, rules, drop_instruments=drop_instruments,
                        drop_articulations=drop_articulations, path=path), r.findings


def load_scheme_file(path: Path | str) -> tuple[TomlClassMap | None, list[Finding]]:
    """Read and validate a user scheme file; see :func:`parse_scheme`."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        return None, [Finding(str(path), 1, 1, "DT001", f"cannot read class scheme: {reason}")]
    return parse_scheme(text, path=path)


def options_text(options) -> str:
    """``key=value`` for each option (``(none)`` for a scheme without options)."""
    if options is None or not dataclasses.fields(options):
        return "(none)"
    values = {f.name: getattr(options, f.name) for f in dataclasses.fields(options)}
    return " ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                    for k, v in values.items())
