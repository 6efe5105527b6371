"""Estimating an alignment from the recording: tempo, first-note time, drift."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..audio.onsets import ONSET_FPS, peak_offset
from ..errors import AlignmentError
from ..tempo import TempoMap

# A confidence (best correlation / runner-up) is reported as at most this: beyond it the
# estimate has no rival worth the name, and "inf" tells a person nothing.
MAX_CONFIDENCE = 100.0
# The recording must hold at least this much audio, and onsets, to estimate a tempo from.
MIN_ESTIMATE_SECONDS = 2.0
# An onset activation whose strongest frame is below this is silence (madmom's CNN gives
# 0.9 or more on a drum stroke, and its peak picking threshold is 0.2).
SILENT_ACTIVATION = 0.05
from .refine import RefineResult, slope_ms_per_min


@dataclass
class TempoEstimate:
    bpm: float                 # quarter notes per minute
    first_note_s: float
    confidence: float          # best correlation / runner-up at another offset (1 = no better)
    beats_bpm: float           # tempo of the beat tracker
    drift_ms_per_min: float = 0.0  # see estimate_drift


def estimate_drift(refined: RefineResult) -> float:
    """Tempo drift left after alignment: the slope (ms per minute) of a line fitted to the
    per-beat corrections of the beats that hold labels.  A steady slope means the recording
    runs faster or slower than the BPM says; change the BPM by -slope/60000 of itself."""
    labelled = np.unique(np.clip(np.searchsorted(refined.beat_times, refined.times - refined.moved,
                                                 side="right") - 1, 0, len(refined.beat_times) - 1))
    return slope_ms_per_min(refined.beat_times[labelled], refined.beat_offsets[labelled])


def estimate_alignment(score, activation: np.ndarray, beat_times: np.ndarray | None = None,
                       *, bpm_hint: float | None = None, duration_s: float | None = None
                       ) -> TempoEstimate:
    """Estimate tempo and first-note time of a constant-tempo score from the audio.

    The beat tracker (madmom's RNN + DBN, Böck et al. 2014/2016) proposes a tempo; the tab's
    onset pattern, laid out at each candidate tempo (the beat tracker's at 1/2, 2/3, 1, 3/2, 2
    times, and the tab's BPM hint, each refined by +/-3 %), is cross-correlated with the onset
    activation; the best tempo and lag win.
    """
    base = TempoMap(score.bars, qpm=Fraction(60))            # 1 quarter = 1 s
    quarters = np.array(sorted(float(base.position_to_quarters(e.bar, e.beat))
                               for e in score.events))
    if len(quarters) == 0:
        raise AlignmentError("the tab has no hits to align")
    quarters -= quarters[0]
    beats_bpm = 0.0
    if beat_times is not None and len(beat_times) > 2:
        beats_bpm = 60.0 / float(np.median(np.diff(beat_times)))
    seeds = [beats_bpm * f for f in (0.5, 2 / 3, 1.0, 1.5, 2.0) if beats_bpm] + (
        [bpm_hint] if bpm_hint else [])
    seeds = [s for s in seeds if 30 <= s <= 300] or [120.0]
    act = activation.astype(np.float64)
    act = act - act.mean()
    results = []
    for seed in seeds:
        for bpm in seed * np.linspace(0.97, 1.03, 61):
            frames = np.rint(quarters * 60.0 / bpm * ONSET_FPS).astype(int)
            if frames[-1] >= len(act):
                continue
            pattern = np.zeros(frames[-1] + 1)
            np.add.at(pattern, frames, 1.0)
            corr = np.correlate(act, pattern, mode="valid")
            lag = int(np.argmax(corr))
            results.append((float(corr[lag]) / len(frames), bpm, lag, corr))
    if not results:
        raise AlignmentError("the recording is shorter than the tab at every tempo tried "
                             f"({', '.join(f'{x:.0f}' for x in seeds)} BPM +/-3 %): is it the "
                             "right recording?")
    results.sort(key=lambda r: -r[0])
    value, bpm, lag, corr = results[0]
    beat_frames = int(60.0 / bpm * ONSET_FPS)
    mask = np.ones(len(corr), dtype=bool)
    mask[max(0, lag - beat_frames // 2):lag + beat_frames // 2 + 1] = False
    runner = float(corr[mask].max()) / len(quarters) if mask.any() else 0.0
    confidence = min(MAX_CONFIDENCE, value / runner) if runner > 0 else MAX_CONFIDENCE
    if 0 < lag < len(corr) - 1:          # sub-frame lag by a parabola through the peak
        lag = lag + float(peak_offset(*corr[lag - 1:lag + 2]))
    return TempoEstimate(float(bpm), float(lag) / ONSET_FPS, float(confidence), beats_bpm)


def estimate_song(song, samples: np.ndarray, sample_rate: int):
    """Estimate tempo and first-note time of a song's tab from its recording (a song read
    with a placeholder tempo): ``(estimate, tempo map, onset table)`` under the estimate,
    with the drift left after a refinement on the generic onsets."""
    from ..audio.onsets import onset_activation, track_beats
    from .align import onset_rows
    from .refine import refine_labels
    from .song import PLACEHOLDER_BPM
    a, score = song.alignment, song.score
    seconds = len(samples) / sample_rate
    if seconds < MIN_ESTIMATE_SECONDS:
        raise AlignmentError(f"the recording lasts {seconds:.2f} s: too short to estimate a "
                             f"tempo (at least {MIN_ESTIMATE_SECONDS:g} s)", path=song.recording)
    activation = onset_activation(samples, sample_rate)
    if float(np.max(activation, initial=0.0)) < SILENT_ACTIVATION:
        raise AlignmentError("no onsets in the recording (silent, or no attacks): nothing to "
                             "estimate a tempo from", path=song.recording)
    hint = float(a.bpm) if a.bpm and a.bpm != PLACEHOLDER_BPM else None
    est = estimate_alignment(score, activation, track_beats(samples, sample_rate),
                             bpm_hint=hint)
    first = min(score.events, key=lambda e: (e.bar, e.beat))
    start = TempoMap(score.bars, qpm=Fraction(60)).position_to_quarters(first.bar, first.beat)
    tempo_map = TempoMap(score.bars, qpm=Fraction(repr(est.bpm)),
                         reference=(start, Fraction(repr(est.first_note_s))))
    onsets = onset_rows(score, tempo_map)
    est.drift_ms_per_min = estimate_drift(refine_labels(onsets["time"].to_numpy(), tempo_map,
                                                        activation))
    return est, tempo_map, onsets


def with_estimate(text: str, alignment, est: TempoEstimate, target) -> str:
    """An alignment file's TOML text (empty: a new file) with the estimated tempo: [tempo]
    ``bpm`` (quarter notes per minute, so its ``beat_unit`` goes) and ``first_note_s`` (an
    anchor it replaces goes), the tab's path made relative to ``target``'s folder.  The
    file's structure, comments and other tables (tempo changes, meters) are kept."""
    import os

    import tomlkit
    doc = tomlkit.parse(text) if text.strip() else tomlkit.document()
    doc["tab"] = os.path.relpath(alignment.tab, os.path.dirname(os.path.abspath(target)))
    if not text.strip() and alignment.audio_file:
        doc["audio"] = {"file": alignment.audio_file}
    tempo = doc.get("tempo")
    if tempo is None:
        tempo = tomlkit.table()
        doc["tempo"] = tempo
    for key in ("beat_unit", "anchor"):
        if key in tempo:
            del tempo[key]
    tempo["bpm"] = round(est.bpm, 3)
    tempo["first_note_s"] = round(est.first_note_s, 4)
    note = f"estimated by `drumtabber-data align --auto` (confidence {est.confidence:.2f})"
    if isinstance(tempo, tomlkit.items.InlineTable):     # no comments inside { ... }
        doc.add(tomlkit.comment(f"tempo {note}"))
    else:
        tempo["bpm"].comment(note)
    return tomlkit.dumps(doc)
