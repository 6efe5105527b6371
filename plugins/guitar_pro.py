"""Guitar Pro 3-5 drum tracks (``.gp3``, ``.gp4``, ``.gp5``, ``.gtp``): the built-in
``guitarpro`` parser plugin, on pyguitarpro, through the core's tick pipeline
(:mod:`drumtabber.tabs.ticks`): a Guitar Pro file carries its own timing.

The percussion track is read (the first, or option ``track`` by name); a drum note's fret
value is its General MIDI key.  Measures are unrolled through their repeats (a repeat
closed with ``n`` plays its section ``n`` times, twice when the file says less; alternate
endings play on the passes they name); each measure's time signature is its meter; the
song's tempo and the tempo changes of mix tables give the tempo map.  Ghost notes get
velocity 40, accented ones 127; a tied note is no new stroke.  The direction signs (Da Capo,
Da Segno, al Coda / al Fine, To Coda, Fine) are followed as Guitar Pro plays them.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

from drumtabber.components import ParseResult
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Meter, Score
from drumtabber.tabs.ticks import GM_NOTES, TickNote, TickOptions, score_from_ticks

__version__ = "0.1.0"

SUFFIXES = (".gp3", ".gp4", ".gp5", ".gtp")
QUARTER = 960                       # Guitar Pro's ticks per quarter note
GHOST_VELOCITY, ACCENT_VELOCITY = 40, 127
MAX_PLAYED_MEASURES = 10_000


@dataclass
class GuitarProOptions:
    track: str = ""                 # the drum track's name ("": the first percussion track)


# Where each jump sign sends the player: Da Capo to the first measure, Da Segno (Segno)
# to the measure marked so; "al Coda" / "al Double Coda" / "al Fine" say what the player
# obeys after the jump: the To Coda sign ("Da Coda", "Da Double Coda") or Fine.
JUMP_TARGETS = {"Da Capo": None, "Da Segno": "Segno", "Da Segno Segno": "Segno Segno"}
TO_CODA = {"Da Coda": "Coda", "Da Double Coda": "Double Coda"}


def _ending_group_last(headers, i: int) -> int:
    """The last pass any alternate ending next to measure ``i`` (its run of endings) names:
    after a jump only that ending is played."""
    lo = hi = i
    while lo > 0 and headers[lo - 1].repeatAlternative:
        lo -= 1
    while hi + 1 < len(headers) and headers[hi + 1].repeatAlternative:
        hi += 1
    return max(h.repeatAlternative.bit_length() for h in headers[lo:hi + 1])


def playing_order(headers, findings: list | None = None,
                  src: str = "<guitarpro>") -> list[tuple[int, int]]:
    """(measure index, pass) in playing order: repeats unrolled, alternate endings on the
    passes they name (a skipped ending's repeat sign is not obeyed), and the jumps of
    Guitar Pro's direction signs followed the way Guitar Pro plays them: Da Capo / Da
    Segno (/ Segno) at the end of their measure, once, then repeats are played once,
    with their last ending, up to Fine or a To Coda sign, as the jump says.  A jump to a
    sign the song lacks is reported (DT107) and not taken; each jump taken is reported
    (DT111)."""
    findings = findings if findings is not None else []
    signs = {h.direction.name: k for k, h in enumerate(headers) if h.direction is not None}
    order, i, start, pass_no = [], 0, 0, 1
    after = None                    # the jump taken: its "al ..." part ("" for none)
    taken: set = set()
    while i < len(headers) and len(order) < MAX_PLAYED_MEASURES:
        h = headers[i]
        if h.isRepeatOpen and i != start:        # a new section starts here
            start, pass_no = i, 1
        ending = h.repeatAlternative or 0
        if ending and after is not None:
            played = ending.bit_length() == _ending_group_last(headers, i)
        else:
            played = not ending or bool(ending & (1 << (pass_no - 1)))
        if not played:
            i += 1
            continue
        order.append((i, pass_no))
        if after is None and h.repeatClose is not None and h.repeatClose >= 0:
            if pass_no < max(2, h.repeatClose):
                pass_no += 1
                i = start
                continue
        if (h.repeatClose is not None and h.repeatClose >= 0) or (
                ending and i + 1 < len(headers) and not headers[i + 1].repeatAlternative):
            start, pass_no = i + 1, 1            # a later close repeats from here
        here = h.direction.name if h.direction is not None else ""
        jump = h.fromDirection.name if h.fromDirection is not None else ""
        if after is not None and here == "Fine" and after in ("", "Fine"):
            break
        if after in TO_CODA.values() and TO_CODA.get(jump) == after and jump not in taken:
            taken.add(jump)
            if after not in signs:
                findings.append(Finding(src, 1, 1, "DT107", f"measure {i + 1}: {jump!r} "
                                        f"but the song has no {after!r} sign; played on"))
            else:
                i = start = signs[after]
                continue
        base, _, al = jump.partition(" al ")
        if base in JUMP_TARGETS and jump not in taken:
            taken.add(jump)
            sign = JUMP_TARGETS[base]
            if sign is not None and sign not in signs:
                findings.append(Finding(src, 1, 1, "DT107", f"measure {i + 1}: {jump!r} "
                                        f"but the song has no {sign!r} sign; played on"))
            else:
                target = 0 if sign is None else signs[sign]
                findings.append(Finding(src, 1, 1, "DT111", f"measure {i + 1}: {jump!r}, "
                                        f"played on from measure {target + 1}"))
                after, i, start, pass_no = al, target, target, 1
                continue
        i += 1
    return order


def read_guitar_pro(data: bytes, path, options: GuitarProOptions) -> ParseResult:
    import guitarpro
    src = str(path)
    try:
        song = guitarpro.parse(io.BytesIO(data))
    except Exception as exc:                 # pyguitarpro raises anything on a broken file
        return ParseResult(Score(source=src), [Finding(
            src, 1, 1, "DT001", f"not a readable Guitar Pro file: {type(exc).__name__}: "
            f"{exc}"[:300])])
    tracks = [t for t in song.tracks if (t.name.strip() == options.track if options.track
                                         else t.isPercussionTrack)]
    if not tracks:
        names = ", ".join(repr(t.name) for t in song.tracks)
        wanted = f"track named {options.track!r}" if options.track else "percussion track"
        return ParseResult(Score(source=src), [Finding(
            src, 1, 1, "DT002", f"no {wanted} found; tracks: {names}")])
    track = tracks[0]
    headers = [m.header for m in track.measures]
    notes, tempos, meters, findings = [], [(0, round(60_000_000 / song.tempo), 1, 1)], [], []
    tick = 0
    for k, (i, _) in enumerate(playing_order(headers, findings, src)):
        measure, header = track.measures[i], headers[i]
        meter = Meter(header.timeSignature.numerator, header.timeSignature.denominator.value)
        meters.append((tick, meter, i + 1, 1))
        for voice in measure.voices:
            for beat in voice.beats:
                at = tick + beat.start - header.start
                change = getattr(beat.effect, "mixTableChange", None)
                if change is not None and change.tempo is not None and change.tempo.value > 0:
                    tempos.append((at, round(60_000_000 / change.tempo.value), i + 1, 1))
                for note in beat.notes:
                    if note.type in (guitarpro.NoteType.tie, guitarpro.NoteType.rest):
                        continue              # a tied note is no new stroke
                    velocity = (GHOST_VELOCITY if note.effect.ghostNote else
                                ACCENT_VELOCITY if note.effect.accentuatedNote else
                                note.velocity)
                    notes.append(TickNote(at, note.value, velocity, i + 1, 1))
        tick += QUARTER * 4 * meter.numerator // meter.denominator
    score, tempo_map, performed, _ = score_from_ticks(
        src, TickOptions(), GM_NOTES, meters[0][1] if meters else Meter(4, 4), QUARTER,
        {10: notes}, tempos, meters, [], tick, findings)
    findings.sort(key=lambda f: (f.line, f.column, f.code))
    return ParseResult(score, findings, tempo_map=tempo_map,
                       performed_s=performed if tempo_map else None)


class GuitarProParser:
    name = "guitarpro"
    description = "Guitar Pro 3-5 drum tracks (.gp3, .gp4, .gp5, .gtp; pyguitarpro)"
    Options = GuitarProOptions
    suffixes = SUFFIXES
    binary = True

    def parse(self, data, *, path="<guitarpro>", options=None, hints=None) -> ParseResult:
        return read_guitar_pro(data, path, options or GuitarProOptions())


@hookimpl
def register_tab_parsers(register):
    register(GuitarProParser())


@hookimpl
def choose_tab_parser(path, text):
    return "guitarpro" if str(path).lower().endswith(SUFFIXES) else None
