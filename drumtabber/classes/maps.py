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

from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

from ..components import build_options
from ..errors import PluginError, UnknownComponentError
from ..findings import CODES, Finding
from ..score import VELOCITY_NORMAL, Articulation, Event, Instrument

# A class with fewer events than this over a dataset is reported as tiny.  Our choice, not
# from the literature: at 50 onsets one missed hit moves the class's recall by 2 percentage
# points, so per-class scores (and class weights computed from counts) below that are noise.
TINY_CLASS_EVENTS = 50

FAMILIES = tuple(dict.fromkeys(i.family for i in Instrument))   # kick, snare, percussion, ...


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


def classes_of(class_map, instrument: Instrument, articulations=frozenset(), velocity: int = VELOCITY_NORMAL,
               options=None) -> tuple[str, ...]:
    """The classes of one hit; a class outside ``classes(options)`` is a scheme bug (ValueError)."""
    return _Mapper(class_map, options)(instrument, articulations, velocity)


def map_events(class_map, events: Iterable[Event], options) -> list[tuple[Event, tuple]]:
    """Each event with its classes (an empty tuple for a dropped or unmapped event)."""
    mapper = _Mapper(class_map, options)
    return [(e, mapper(e.instrument, e.articulations, e.velocity)) for e in events]


def map_onset_rows(class_map, onsets, options):
    """An onset table (:mod:`drumtabber.onset_table`) with a ``class`` column.

    A row whose hit maps to two classes becomes two rows; a row that maps to none is left
    out.  Rows need ``instrument`` (the value, ``"kick"``), ``articulation`` (values joined
    by ``+``) and ``velocity``.
    """
    from ..onset_table import onset_table
    mapper, keep, names = _Mapper(class_map, options), [], []
    for k, (instrument, articulation, velocity) in enumerate(zip(
            onsets["instrument"], onsets["articulation"], onsets["velocity"])):
        arts = frozenset(Articulation(a) for a in str(articulation or "").split("+") if a)
        for name in mapper(Instrument(instrument), arts, int(velocity or VELOCITY_NORMAL)):
            keep.append(k)
            names.append(name)
    out = onsets.iloc[keep].copy()
    out["class"] = names
    return onset_table(out)


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
        plain = classes_of(class_map, instrument, frozenset(), VELOCITY_NORMAL, options)
        variants = {}
        for art in Articulation:
            found = classes_of(class_map, instrument, frozenset({art}), VELOCITY_NORMAL, options)
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
            found = tuple(class_map.map_event(instrument, arts, VELOCITY_NORMAL, options))
            bad = [c for c in found if c not in names]
            if bad:
                problems.append(f"{what} maps to {bad}, not among the classes")
            if not found and instrument not in dropped and not (arts & dropped):
                problems.append(f"{what} maps to no class and is not dropped on purpose")
        if instrument in dropped and class_map.map_event(instrument, frozenset(), VELOCITY_NORMAL, options):
            problems.append(f"{instrument.value} is listed as dropped but maps to a class")
    return problems
