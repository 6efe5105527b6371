"""Converting any readable source (a tab, drum MIDI, a chart, MusicXML) into an ASCII tab, drum
MIDI or MusicXML.  A written tab is read back with our own parser and must give the same
hits, or the conversion fails naming the first difference."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from ..errors import DrumtabberError

OUT_FORMATS = {".txt": "tab", ".mid": "midi", ".midi": "midi", ".musicxml": "musicxml",
               ".xml": "musicxml"}
DEFAULT_QPM = 120


def hits(score) -> list[tuple]:
    """(bar, beat, instrument) of every stroke, sorted: what a conversion must keep (two
    hits of one drum at one position are one stroke in every format)."""
    return sorted({(e.bar, Fraction(e.beat), e.instrument.value) for e in score.events})


def convert(parsed, out: Path, manager) -> list[str]:
    """Write ``parsed`` (a ParseResult) to ``out`` in the format its ending names; returns
    the hits the format could not hold (the tab writer's ``dropped``)."""
    from ..audio.render import GM_KIT, score_to_midi
    from ..outputs import output_files
    from ..tempo import TempoMap
    kind = OUT_FORMATS.get(Path(out).suffix.lower())
    if kind is None:
        raise DrumtabberError(f"cannot tell the format from {Path(out).suffix or 'no ending'}; "
                              f"use one of {', '.join(OUT_FORMATS)}")
    score, dropped = parsed.score, []
    if not score.bars:
        raise DrumtabberError("the source has no bars: nothing to convert")
    with output_files(out) as (part,):
        if kind == "tab":
            text = manager.get("tab_writer", "ascii").write(score, dropped=dropped)
            part.write_text(text, encoding="utf-8")
        elif kind == "midi":
            qpm = Fraction(score.tempo_hint_bpm or DEFAULT_QPM).limit_denominator(1000)
            tempo_map = parsed.tempo_map or TempoMap(score.bars, qpm=qpm)
            score_to_midi(score, tempo_map, kit=GM_KIT)[0].save(str(part))
        else:
            from .notation import write_musicxml
            write_musicxml(score, part)
    return dropped


def check_read_back(source_score, out: Path, manager) -> None:
    """A written file must read back to the same hits (tabs: exactly; MIDI and MusicXML:
    the same positions of the same instruments)."""
    from ..tabs import load_tab
    back = load_tab(Path(out), manager).score
    want, got = hits(source_score), hits(back)
    if want != got:
        first = next((w for w, g in zip(want, got) if w != g), None) or \
            (want[len(got)] if len(want) > len(got) else got[len(want)])
        raise DrumtabberError(f"{out} does not read back to the source's hits: first "
                              f"difference at bar {first[0] + 1} beat {first[1]} "
                              f"({first[2]}); {len(want)} strokes written, {len(got)} read")
