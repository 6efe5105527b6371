"""Rendering an aligned song with a sampled kit: audio whose labels are known to the sample."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..alignment import load_song
from ..audio.render import (SAMPLE_RATE, get_kit, labelled_onsets, rendered_onsets,
                            score_onsets, score_to_midi)
from ..errors import AlignmentError, DrumtabberError
from ..findings import errors_of
from ..onset_table import RENDER_COLUMNS, write_table
from ..outputs import output_files


@dataclass
class RenderResult:
    wav: Path
    midi: Path | None
    onsets_file: Path | None
    onsets: object                   # the onset table of the render (where each note sounds)
    findings: list


def render_score(score, tempo_map, kit, out_wav, *, chain=None, seed: int = 0,
                 sample_rate: int = SAMPLE_RATE, gain: float | None = None):
    """Render a score with its tempo map: ``(midi, onset table)``; the WAV goes to
    ``out_wav``.  The onset table gives where each labelled note sounds in the WAV.  A
    ``chain`` (:mod:`.augment`) changes the notes before the render and the audio after it,
    moving the labels with them (``seed``: its random choices)."""
    from .augment import apply_chain, chain_stages
    stages = chain_stages(chain)
    played = None
    if "score" in stages:
        played = apply_chain(chain, None, None, score_onsets(score, tempo_map), seed=seed,
                             stage="score")[1]
    midi, onsets = score_to_midi(score, tempo_map, kit=kit, played=played)
    kit.render(midi, sample_rate=sample_rate, out_path=out_wav,
               **({} if gain is None else {"gain": gain}))
    onsets = labelled_onsets(rendered_onsets(midi, onsets, sample_rate, kit))
    if "audio" in stages:
        import soundfile

        from ..audio.io import load_audio
        samples, _ = load_audio(out_wav, sample_rate=sample_rate)
        samples, onsets, _ = apply_chain(chain, samples, sample_rate, onsets, seed=seed)
        soundfile.write(str(out_wav), samples, sample_rate, subtype="FLOAT")
    return midi, onsets


def render_alignment(alignment_path, manager, *, kit, out_wav, midi_out=None, onsets_out=None,
                     chain=None, seed: int = 0, sample_rate: int = SAMPLE_RATE,
                     gain: float | None = None, force: bool = False,
                     settings=None) -> RenderResult:
    """Render the tab of an alignment file with its tempo map: WAV, optional MIDI file and
    onset CSV, all written or none.  Existing outputs are kept unless ``force``; an alignment
    with errors raises AlignmentError with its findings."""
    kit = get_kit(manager, kit, installed=True)
    outputs = [Path(p) for p in (out_wav, midi_out, onsets_out) if p is not None]
    if len({p.resolve() for p in outputs}) != len(outputs):
        raise DrumtabberError("the WAV, MIDI and onset outputs must be different files")
    if not force:
        for p in outputs:
            if p.exists():
                raise DrumtabberError(f"{p} exists (use --force to overwrite)")
    song, findings = load_song(alignment_path, manager, settings=settings)
    if song is None:
        errors = errors_of(findings)
        raise AlignmentError("cannot render: " + "; ".join(f.format() for f in errors or findings))
    with output_files(out_wav, midi_out, onsets_out) as (wav_part, midi_part, onsets_part):
        midi, onsets = render_score(song.score, song.tempo_map, kit, wav_part,
                                    chain=chain, seed=seed, sample_rate=sample_rate,
                                    gain=gain)
        if midi_part is not None:
            midi.save(str(midi_part))
        if onsets_part is not None:
            write_table(onsets, onsets_part, RENDER_COLUMNS, float_format="%.6f")
    return RenderResult(Path(out_wav), Path(midi_out) if midi_out else None,
                        Path(onsets_out) if onsets_out else None, onsets, findings)
