"""Legends of ASCII drum tabs: lines that name what a label or a symbol means
("SD = snare", "x = cross stick", "-g- = ghost note")."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from drumtabber.findings import Finding
from drumtabber.score import Articulation, Instrument

from . import vocab as V

_LEGEND_SYMBOL = re.compile(r"^\s*\|?-(\S{1,2}?)-\|?\s*[:=]\s*(.+)$")
_LEGEND_KEY = re.compile(r"^\s*([A-Za-z0-9#@+*]{1,5}(?:\s*,\s*[A-Za-z0-9#@+*]{1,5})*)\s*[=:]\s*(.+)$")
_LEGEND_SECTION = re.compile(r"(?i)^\s*(cymbals?|drums?|percussion|hi-?hats?)\s*:?\s*$")


@dataclass
class Legend:
    labels: dict = field(default_factory=dict)       # label -> role
    symbols: dict = field(default_factory=dict)      # (kind, symbol) -> (instrument|None, arts)
    multi: set = field(default_factory=set)          # symbols of two characters
    strikes: set = field(default_factory=set)        # symbols the legend calls a hit/strike


_GM_IN_TEXT = re.compile(r"(?i)\bGM\s*#?\s*(3[5-9]|[4-7]\d|8[01])\b")


def _role_from_text(text: str, label: str):
    m = _GM_IN_TEXT.search(text)
    if m:
        return Instrument.from_gm_note(int(m.group(1)))
    for pattern, role in V.INSTRUMENT_WORDS:
        if pattern.search(text):
            if role == "tom":
                for rank_pattern, rank in V.TOM_RANK_WORDS:
                    if rank_pattern.search(text):
                        return rank
                default = V.LABELS.get(label)
                return default if isinstance(default, str) else V.TOM_HIGH
            default = V.LABELS.get(label)
            # Keep numbered crashes/rides apart: "C2 = right crash" stays the second crash.
            if role == Instrument.CRASH and default in (Instrument.CRASH, Instrument.CRASH2):
                return default
            if role == Instrument.RIDE and default in (Instrument.RIDE, Instrument.RIDE2):
                return default
            if role == Instrument.HIHAT_CLOSED and re.search(r"(?i)\bopen", text):
                return Instrument.HIHAT_OPEN
            if role == Instrument.HIHAT_CLOSED and re.search(r"(?i)pedal|foot", text):
                return Instrument.HIHAT_PEDAL
            if role in (Instrument.CRASH, Instrument.RIDE) and re.search(r"[2-9]", label):
                return Instrument.CRASH2 if role == Instrument.CRASH else Instrument.RIDE2
            return role
    return None


def _meaning(text: str):
    """Articulations and hi-hat flags named in one legend clause, or None if none."""
    arts, flags = set(), set()
    for pattern, meaning in V.ARTICULATION_WORDS:
        if pattern.search(text):
            (arts if isinstance(meaning, Articulation) else flags).add(meaning)
    if not arts and not flags:
        return (frozenset(), frozenset()) if re.search(r"(?i)\bhit|normal|strike", text) else None
    return frozenset(arts), frozenset(flags)


def _symbol_entry(kind: str, arts: frozenset, flags: frozenset):
    instrument = None
    if kind in ("hihat", "hihat_pedal"):
        if "open" in flags or Articulation.HALF_OPEN in arts:
            instrument = Instrument.HIHAT_OPEN
        elif "pedal" in flags:
            instrument = Instrument.HIHAT_PEDAL
    if kind == "ride" and Articulation.BELL in arts:
        instrument = Instrument.RIDE_BELL
    return instrument, arts


_SECTION_KINDS = {"cymbal": ("hihat", "hihat_pedal", "cymbal", "ride"), "drum": ("drum", "kick"),
                  "percussion": ("drum",), "hihat": ("hihat", "hihat_pedal")}
_ALL_KINDS = tuple(V.SYMBOLS)


# Instruments a symbol's legend entry can name ("x = cross stick", "o = open hi-hat"): the
# symbol then means that way of playing on lines of that instrument's kind.
_PLAYED_AS = {Instrument.SIDE_STICK, Instrument.HIHAT_OPEN, Instrument.HIHAT_CLOSED,
              Instrument.HIHAT_PEDAL, Instrument.RIDE_BELL}


def read_legend(lines: list[str], staff_lines: set[int], path: str,
                used_symbols: frozenset = frozenset(),
                labels: frozenset = frozenset()) -> tuple[Legend, list]:
    """The legend of a tab and its findings.  ``used_symbols`` are the symbols of its staff
    lines, ``labels`` their labels: an entry for one of those that names nothing known gets
    a finding."""
    legend, findings, section = Legend(), [], None
    for no, line in enumerate(lines):
        if no in staff_lines or not line.strip():
            continue
        m = _LEGEND_SECTION.match(line)
        if m:
            word = m.group(1).lower()
            section = ("cymbal" if word.startswith("cymbal") else "hihat" if "hat" in word
                       else "percussion" if word.startswith("perc") else "drum")
            continue
        for entry in _legend_entries(line):
            _read_legend_entry(entry, no, legend, findings, section, path, used_symbols,
                               labels, line.find(entry) + 1)
    return legend, findings


def _legend_entries(line: str) -> list[str]:
    """One legend line may hold several entries: "x = closed hi-hat, o = open hi-hat"."""
    if line.count("=") + line.count(":") < 2:
        return [line]
    return [part for part in _LEGEND_SPLIT.split(line) if part.strip()]


_LEGEND_SPLIT = re.compile(r"(?:[,;]\s*|\s{2,})(?=[A-Za-z0-9#@+*()]{1,3}\s*[=:])")


def _read_legend_entry(line: str, no: int, legend: Legend, findings: list, section, path,
                       used_symbols: frozenset = frozenset(), labels: frozenset = frozenset(),
                       column: int = 1):
    m = _LEGEND_SYMBOL.match(line)
    key_is_symbol = bool(m)
    if not m:
        m = _LEGEND_KEY.match(line)
        if not m:
            return
    keys = [k.strip() for k in m.group(1).split(",")]
    desc = m.group(2).strip()
    if not key_is_symbol:
        descs = [d.strip() for d in desc.split(",")] if len(keys) > 1 else [desc]
        if len(descs) != len(keys):
            descs = [desc] * len(keys)
        roles = [_role_from_text(d, k) for k, d in zip(keys, descs)]
        meaning = _meaning(desc)
        played = roles[0] if len(keys) == 1 and roles[0] in _PLAYED_AS else None
        if len(keys) == 1 and keys[0] in used_symbols and (meaning is not None or played):
            _read_symbol_entry(keys[0], desc, no, legend, findings, section, path, played)
            return
        is_label = all(r is not None for r in roles) and (
            meaning is None or any(k in V.LABELS or k.upper() in V.LABELS for k in keys) or not all(
                k.islower() or len(k) == 1 for k in keys))
        if is_label and not (len(keys) == 1 and keys[0].islower() and meaning):
            for key, role in zip(keys, roles):
                legend.labels[key] = role
            return
        if len(keys) != 1 or len(keys[0]) > 2 or meaning is None:
            unknown = [k for k, r in zip(keys, roles) if r is None and k in labels]
            if unknown:                     # "HH = banjo": a staff label, no instrument
                findings.append(Finding(path, no + 1, column, "DT110", f"legend entry "
                                        f"{line.strip()[:60]!r} names no instrument known for "
                                        f"line {unknown[0]!r}; the line is read by its label"))
            return
    _read_symbol_entry(keys[0], desc, no, legend, findings, section, path, None)


def _read_symbol_entry(symbol: str, desc: str, no: int, legend: Legend, findings: list, section,
                       path, played):
    if played is not None:                  # "x = cross stick": on lines of that kind only
        meaning = _meaning(desc) or (frozenset(), frozenset())
        kinds = ("hihat", "hihat_pedal") if played.family == "hihat" else (V.line_kind(played),)
        for kind in kinds:
            legend.symbols[(kind, symbol)] = (played, meaning[0])
        if len(symbol) == 2:
            legend.multi.add(symbol)
        return
    if re.search(r"(?i)\bstrike|\bhit", desc):
        legend.strikes.add(symbol)
    clauses = [c for c in re.split(r";", desc) if c.strip()]
    general = _meaning(clauses[0]) if clauses else None
    kinds = _SECTION_KINDS.get(section, _ALL_KINDS)
    understood = False
    if general is not None and not (V.HIHAT_SCOPE.match(clauses[0]) or V.KICK_SCOPE.match(clauses[0])):
        for kind in kinds:
            legend.symbols[(kind, symbol)] = _symbol_entry(kind, *general)
        understood = True
    for clause in clauses:
        scoped = (("hihat", "hihat_pedal") if V.HIHAT_SCOPE.match(clause)
                  else ("kick",) if V.KICK_SCOPE.match(clause) else None)
        if scoped is None:
            continue
        meaning = _meaning(V.KICK_SCOPE.sub("", V.HIHAT_SCOPE.sub("", clause)))
        if meaning is None or meaning == (frozenset(), frozenset()):
            continue
        for kind in scoped:
            legend.symbols[(kind, symbol)] = _symbol_entry(kind, *meaning)
        understood = True
    if understood and len(symbol) == 2:
        legend.multi.add(symbol)
    if not understood:
        findings.append(Finding(path, no + 1, 1, "DT110",
                                f"legend entry for symbol {symbol!r} not understood: {desc!r}"))



def _role_name(role) -> str:
    if isinstance(role, Instrument):
        return role.value.replace("_", " ")
    return {V.TOM_HIGH: "high tom", V.TOM_MID: "mid tom", V.TOM_LOW: "low tom",
            V.TOM_FLOOR: "floor tom"}.get(role, str(role))
