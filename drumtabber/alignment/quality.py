"""How well do labels match the audio?  Distances per instrument family, the whole-song shift
scan and the verdict."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..onset_table import instrument_families

# Tolerances for "within" shares: 20 ms is ADTOF's and the MIREX drum-transcription tolerance
# of recent work; 50 ms is the classic MIREX onset tolerance.
TOLERANCES_S = (0.020, 0.050)
# Verdicts.  A song is "good" when the median label-to-onset distance is at most 15 ms and 80 %
# of labels lie within 50 ms; "suspect" up to a 35 ms median and 50 % within 50 ms; else
# "misaligned".  Chosen from renders with known offsets: an exact alignment gives a median of
# 2-6 ms, a 30 ms shift a median near 30 ms, a wrong tempo a median above 60 ms.
GOOD_MEDIAN_S, GOOD_WITHIN_50 = 0.015, 0.80
SUSPECT_MEDIAN_S, SUSPECT_WITHIN_50 = 0.035, 0.75
# Shift scan: the labels, moved as a whole by up to SHIFT_SCAN_S either way in SHIFT_STEP_S
# steps, are scored by how much their own family's band rises under them.  A correct
# alignment scores best at no shift; a tab off by a beat or an eighth scores 30-50 % better
# elsewhere (renders of a 16-bar groove); SHIFT_BETTER flags 20 %.
SHIFT_SCAN_S, SHIFT_STEP_S, SHIFT_BETTER = 2.0, 0.005, 1.2
SHIFT_SAME_S = 0.030

def nearest_distances(label_times, onset_times) -> np.ndarray:
    """|label - nearest detected onset| for each label (inf when nothing was detected)."""
    labels = np.asarray(label_times, dtype=np.float64)
    onsets = np.sort(np.asarray(onset_times, dtype=np.float64))
    if len(onsets) == 0:
        return np.full(len(labels), np.inf)
    i = np.clip(np.searchsorted(onsets, labels), 1, len(onsets) - 1)
    return np.minimum(np.abs(labels - onsets[i - 1]), np.abs(labels - onsets[i]))


@dataclass
class FamilyStats:
    family: str
    count: int
    median_ms: float
    p90_ms: float
    within_20: float
    within_50: float


def _stats(name: str, distances: np.ndarray) -> FamilyStats:
    d = distances[np.isfinite(distances)]
    if len(d) == 0:
        return FamilyStats(name, len(distances), float("inf"), float("inf"), 0.0, 0.0)
    return FamilyStats(name, len(distances), float(np.median(d) * 1000),
                       float(np.percentile(d, 90) * 1000),
                       float(np.mean(distances <= TOLERANCES_S[0])),
                       float(np.mean(distances <= TOLERANCES_S[1])))


def shift_scan(label_times, families, bands, *, window_s: float = SHIFT_SAME_S
               ) -> tuple[float, float]:
    """How much better the labels fit the audio moved as a whole: ``(best shift in s,
    score at that shift / best score within window_s of no shift)``.  ``bands`` is a
    :class:`~drumtabber.audio.onsets.BandEnvelopes` keyed like ``families``."""
    band_times, envelopes = bands.times_s, bands.curves
    times = np.asarray(label_times, dtype=np.float64)
    families = np.asarray(families)
    shifts = np.arange(-SHIFT_SCAN_S, SHIFT_SCAN_S + 1e-9, SHIFT_STEP_S)
    score = np.zeros(len(shifts))
    for family in set(families):
        env = envelopes.get(family)
        if env is None:
            continue
        norm = max(1e-9, float(np.percentile(env, 99.5)))
        at = times[families == family][None, :] + shifts[:, None]
        score += np.interp(at, band_times, env, left=0.0, right=0.0).sum(axis=1) / norm
    near = np.abs(shifts) <= window_s
    best = int(np.argmax(score))
    here = float(score[near].max())
    return float(shifts[best]), (float(score[best]) / here if here > 0 else float("inf"))


def verdict(overall: FamilyStats, scan: tuple | None = None) -> str:
    if scan is not None and abs(scan[0]) > SHIFT_SAME_S and scan[1] >= SHIFT_BETTER:
        return "misaligned"
    if overall.median_ms <= GOOD_MEDIAN_S * 1000 and overall.within_50 >= GOOD_WITHIN_50:
        return "good"
    if overall.median_ms <= SUSPECT_MEDIAN_S * 1000 and overall.within_50 >= SUSPECT_WITHIN_50:
        return "suspect"
    return "misaligned"


def check_labels(onsets, onset_times, bands=None) -> dict:
    """Per-family and overall distance statistics of an onset table's labels to detected
    onsets, the shift scan (with ``bands``, see
    :func:`drumtabber.audio.onsets.band_onset_envelopes`) and the verdict."""
    families = instrument_families(onsets)
    times = onsets["time"].to_numpy()
    distances = nearest_distances(times, onset_times)
    scan = shift_scan(times, families, bands) if bands is not None else None
    per_family = [_stats(f, distances[families == f]) for f in sorted(set(families))]
    overall = _stats("all", distances)
    return {"families": per_family, "overall": overall, "verdict": verdict(overall, scan),
            "detected_onsets": int(len(onset_times)), "labels": len(onsets),
            "best_shift_ms": None if scan is None else scan[0] * 1000,
            "best_shift_gain": None if scan is None else scan[1]}


def check_recording(onsets, samples: np.ndarray, sample_rate: int) -> dict:
    """:func:`check_labels` of an onset table against a recording: its onsets detected by
    madmom's CNN and its family band envelopes."""
    from ..audio.onsets import band_onset_envelopes, detect_onsets
    return check_labels(onsets, detect_onsets(samples, sample_rate),
                        band_onset_envelopes(samples, sample_rate))
