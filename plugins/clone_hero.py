"""Clone Hero ``.chart`` drum charts (the rhythm-game charts ADTOF built its dataset from): the
built-in ``chart`` parser plugin, through the core's tick pipeline
(:mod:`drumtabber.tabs.ticks`, as drum MIDI): a chart carries its own timing.

- ``[Song]``: ``Resolution`` (ticks per quarter; 192 when missing), ``Offset`` (s, the audio
  offset of tick 0: reported, for the alignment file's ``offset_s``);
- ``[SyncTrack]``: ``B`` tempo events (millibeats per minute) and ``TS`` meters
  (``TS 7 3`` = 7/8: the denominator is a power of two, 4 when left out);
- ``[ExpertDrums]`` (else the hardest drum track there is) notes ``N lane length``:

  ====  ==================================  =====================================
  lane  4-lane and pro drums                5-lane drums (``five_lane_drums``)
  ====  ==================================  =====================================
  0     kick                                kick
  32    kick (double-kick pedal)            kick
  1     snare                               snare
  2     high tom; hi-hat with marker 66     hi-hat
  3     mid tom; ride with marker 67        mid tom
  4     floor tom; crash with marker 68     crash
  5     -                                   floor tom
  ====  ==================================  =====================================

  Without pro-drums markers (``pro_drums`` not set in ``song.ini``) lanes 2-4 of a 4-lane
  chart are ambiguous pads: yellow is read as the hi-hat, blue as a tom, green as the crash
  (the usual mapping of non-pro charts).  Accent markers 34-38 give velocity 127, ghost
  markers 40-44 velocity 40; star power (``S``) and text events are skipped.

``song.ini`` beside the chart tells pro and 5-lane charts apart.  A line that makes no sense
is a finding with its line number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from drumtabber.components import ParseResult
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Instrument as I
from drumtabber.score import Meter, Score
from drumtabber.tabs.ticks import GM_NOTES, TickNote, TickOptions, score_from_ticks

__version__ = "0.1.0"

DEFAULT_RESOLUTION = 192
DIFFICULTIES = ("Expert", "Hard", "Medium", "Easy")
ACCENT_VELOCITY, GHOST_VELOCITY, NORMAL_VELOCITY = 127, 40, 96
# chart lanes as General MIDI drum notes (the "gm" note map of the MIDI reader)
FOUR_LANE = {0: I.KICK, 32: I.KICK, 1: I.SNARE, 2: I.HIHAT_CLOSED, 3: I.TOM_HIGH_MID,
             4: I.CRASH}
PRO_TOMS = {2: I.TOM_HIGH, 3: I.TOM_HIGH_MID, 4: I.TOM_FLOOR_HIGH}
PRO_CYMBALS = {2: I.HIHAT_CLOSED, 3: I.RIDE, 4: I.CRASH}
FIVE_LANE = {0: I.KICK, 32: I.KICK, 1: I.SNARE, 2: I.HIHAT_CLOSED, 3: I.TOM_HIGH_MID,
             4: I.CRASH, 5: I.TOM_FLOOR_HIGH}
CYMBAL_MARKERS = {66: 2, 67: 3, 68: 4}
_LINE = re.compile(r"^\s*(\d+)\s*=\s*([A-Za-z]+)\s*(.*?)\s*$")


@dataclass
class ChartOptions:
    difficulty: str = "Expert"       # the drum track to read: Expert, Hard, Medium or Easy


def _sections(text: str):
    """``{name: [(line number, text), ...]}`` of a chart's ``[Name] { ... }`` sections."""
    sections, name, inside = {}, None, False
    for no, line in enumerate(text.splitlines(), 1):
        s = line.strip().lstrip("\ufeff")
        if s.startswith("[") and s.endswith("]"):
            name, inside = s[1:-1], False
            sections.setdefault(name, [])
        elif s == "{":
            inside = True
        elif s == "}":
            inside = False
        elif inside and name is not None and s:
            sections[name].append((no, s))
    return sections


def song_ini(path: Path) -> dict[str, str]:
    """``song.ini`` beside the chart (lower-case keys), or nothing."""
    ini = Path(path).parent / "song.ini"
    if not ini.is_file():
        return {}
    out = {}
    for line in ini.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            out[key.strip().lower()] = value.strip().lower()
    return out


def read_chart(text: str, path, options: ChartOptions) -> ParseResult:
    """The chart's drums as a score with its tempo map and performed times."""
    src = str(path)
    findings: list[Finding] = []
    sections = _sections(text)
    if not sections:
        return ParseResult(Score(source=src), [Finding(src, 1, 1, "DT001", "not a .chart "
                                                       "file: no [Section] found")])
    resolution, offset = DEFAULT_RESOLUTION, 0.0
    for no, line in sections.get("Song", []):
        key, _, value = line.partition("=")
        key, value = key.strip(), value.strip().strip('"')
        try:
            if key == "Resolution":
                resolution = int(value)
            elif key == "Offset":
                offset = float(value)
        except ValueError:
            findings.append(Finding(src, no, 1, "DT110", f"{key}: expected a number, found "
                                    f"{value!r}; ignored"))
    if not 0 < resolution < 100_000:
        findings.append(Finding(src, 1, 1, "DT110", f"Resolution {resolution}: using "
                                f"{DEFAULT_RESOLUTION}"))
        resolution = DEFAULT_RESOLUTION
    if offset:
        findings.append(Finding(src, 1, 1, "DT111", f"Offset {offset:g} s: the audio starts "
                                "that much before tick 0 (the alignment file's offset_s)"))
    tempos, meters = [], []
    for no, line in sections.get("SyncTrack", []):
        m = _LINE.match(line)
        kind, values = (m.group(2), m.group(3).split()) if m else ("", [])
        try:
            if kind == "B":
                tempos.append((int(m.group(1)), round(60_000_000_000 / int(values[0])), no, 1))
            elif kind == "TS":
                denominator = 2 ** int(values[1]) if len(values) > 1 else 4
                meters.append((int(m.group(1)), Meter(int(values[0]), denominator), no, 1))
            elif kind != "A":                             # anchors: editor-only
                raise ValueError
        except (ValueError, IndexError, ZeroDivisionError):
            findings.append(Finding(src, no, 1, "DT110", f"[SyncTrack]: cannot read "
                                    f"{line[:60]!r}; ignored"))
    ini = song_ini(Path(path))
    five = ini.get("five_lane_drums") in ("true", "1")
    pro = ini.get("pro_drums") in ("true", "1")
    track = next((f"{d}Drums" for d in [options.difficulty, *DIFFICULTIES]
                  if f"{d}Drums" in sections), None)
    if track is None:
        return ParseResult(Score(source=src), findings + [Finding(
            src, 1, 1, "DT002", "no drum track ([ExpertDrums], [HardDrums], ...) found")])
    notes, markers = [], {}
    for no, line in sections[track]:
        m = _LINE.match(line)
        if not m or m.group(2) not in ("N", "S", "E"):
            findings.append(Finding(src, no, 1, "DT103", f"[{track}]: cannot read "
                                    f"{line[:60]!r}; skipped"))
            continue
        if m.group(2) != "N":
            continue
        tick, lane = int(m.group(1)), int((m.group(3).split() or ["-1"])[0])
        if lane in CYMBAL_MARKERS or 34 <= lane <= 38 or 40 <= lane <= 44:
            markers.setdefault(tick, set()).add(lane)
        else:
            notes.append((tick, lane, no))
    lanes = FIVE_LANE if five else FOUR_LANE
    by_note, unknown = [], 0
    for tick, lane, no in notes:
        here = markers.get(tick, set())
        if not five and lane in PRO_TOMS and (pro or here & set(CYMBAL_MARKERS)):
            cymbal = any(CYMBAL_MARKERS[c] == lane for c in here if c in CYMBAL_MARKERS)
            instrument = (PRO_CYMBALS if cymbal else PRO_TOMS)[lane]
        elif lane in lanes:
            instrument = lanes[lane]
        else:
            unknown += 1
            findings.append(Finding(src, no, 1, "DT101", f"unknown drum lane {lane} at tick "
                                    f"{tick}; skipped"))
            continue
        velocity = (ACCENT_VELOCITY if 34 + lane in here else
                    GHOST_VELOCITY if 40 + lane in here else NORMAL_VELOCITY)
        by_note.append(TickNote(tick, instrument.gm_note, velocity, no, 1))
    last = max([t for t, _, _ in notes] + [0])
    score, tempo_map, performed, _ = score_from_ticks(src, TickOptions(), GM_NOTES,
                                                      Meter(4, 4), resolution, {10: by_note},
                                                      tempos, meters, [], last, findings)
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return ParseResult(score, findings, tempo_map=tempo_map,
                       performed_s=performed if tempo_map else None)


class ChartParser:
    name = "chart"
    description = "Clone Hero .chart drum charts (4-lane, pro and 5-lane; their own timing)"
    Options = ChartOptions
    suffixes = (".chart",)

    def parse(self, text: str, *, path="<chart>", options=None, hints=None) -> ParseResult:
        return read_chart(text, path, options or ChartOptions())


@hookimpl
def register_tab_parsers(register):
    register(ChartParser())


@hookimpl
def choose_tab_parser(path, text):
    return "chart" if str(path).lower().endswith(".chart") else None
