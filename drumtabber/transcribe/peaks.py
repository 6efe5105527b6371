"""Onsets from a model's activations: per-class peak picking after madmom (a peak is above its
class's threshold and the maximum within a window; peaks of one class at least a minimum
distance apart), each placed between frames by parabolic interpolation."""
from __future__ import annotations

import numpy as np

from ..onset_table import onset_table
from ..score import VELOCITY_NORMAL, Instrument

DEFAULT_THRESHOLD = 0.5
PEAK_WINDOW_S = 0.03          # a peak is the largest value within this either side
MIN_DISTANCE_S = 0.03         # two onsets of one class are at least this far apart


# The instruments a transcribed class is written as, most usual first (then the rest of the
# vocabulary in GM order).
USUAL = (Instrument.KICK, Instrument.SNARE, Instrument.HIHAT_CLOSED, Instrument.HIHAT_PEDAL,
         Instrument.HIHAT_OPEN, Instrument.TOM_HIGH, Instrument.TOM_LOW,
         Instrument.TOM_FLOOR_HIGH, Instrument.CRASH, Instrument.RIDE, Instrument.RIDE_BELL,
         Instrument.CHINA, Instrument.SPLASH, Instrument.SIDE_STICK)


def class_instruments(class_map, classes: list[str], options=None) -> dict[str, Instrument]:
    """An instrument for each class (the most usual one the class map puts in it): what a
    transcribed onset of the class is written as."""
    out = {}
    for instrument in (*USUAL, *(i for i in Instrument if i not in USUAL)):
        for name in class_map.map_event(instrument, frozenset(), VELOCITY_NORMAL, options):
            out.setdefault(name, instrument)
    missing = [c for c in classes if c not in out]
    if missing:
        from ..errors import DrumtabberError
        raise DrumtabberError(f"no instrument maps to the class(es) {', '.join(missing)}")
    return {c: out[c] for c in classes}


def pick_peaks(activation: np.ndarray, fps: float, threshold: float, *,
               window_s: float = PEAK_WINDOW_S, min_distance_s: float = MIN_DISTANCE_S):
    """Peak times (s) and heights of one class's activation curve."""
    from madmom.features.onsets import peak_picking

    from ..audio.onsets import peak_offset
    curve = np.nan_to_num(np.asarray(activation, dtype=np.float64), nan=0.0)
    w = max(1, int(round(window_s * fps)))
    idx = np.asarray(peak_picking(curve, threshold, pre_max=w, post_max=w), dtype=int)
    kept, last = [], -np.inf
    for i in idx:                       # madmom's "combine": the first of close peaks wins
        if (i - last) / fps >= min_distance_s:
            kept.append(i)
            last = i
    idx = np.asarray(kept, dtype=int)
    padded = np.concatenate([[0.0], curve, [0.0]])
    offset = peak_offset(padded[idx], padded[idx + 1], padded[idx + 2]) if len(idx) else idx
    return (idx + offset) / fps, curve[idx]


def activations_to_onsets(activations: np.ndarray, fps: float, classes: list[str],
                          instruments: dict[str, Instrument], thresholds: dict[str, float]):
    """The onset table of a transcription: ``time``, ``class``, the class's ``instrument``,
    ``velocity`` (1-127 from the peak's height) and ``confidence`` (the height)."""
    rows = []
    for k, name in enumerate(classes):
        times, heights = pick_peaks(activations[:, k], fps,
                                    thresholds.get(name, DEFAULT_THRESHOLD))
        instrument = instruments[name]
        for t, h in zip(times, heights):
            rows.append({"time": max(0.0, float(t)), "instrument": instrument.value,
                         "gm_note": instrument.gm_note, "articulation": "",
                         "velocity": int(np.clip(round(1 + 126 * h), 1, 127)),
                         "class": name, "confidence": float(h)})
    return onset_table(rows)


def map_transcription(class_map, onsets, options=None):
    """A transcription's onsets in the classes of ``class_map``
    (:func:`drumtabber.classes.map_onset_rows`), where classes of the model that one class
    merges (cymbal and ride in CY+RD, hi-hat and pedal in HH) are one stroke when they fire
    together: of onsets of one class closer than ``MIN_DISTANCE_S`` (what peak picking keeps
    apart within a class) the most confident stays."""
    from ..classes import map_onset_rows
    table = map_onset_rows(class_map, onsets, options)
    if table.empty:
        return table
    keep = []
    for _, group in table.groupby("class", sort=False):
        group = group.sort_values("time", kind="stable")
        times, conf = group["time"].to_numpy(), group["confidence"].to_numpy()
        best = 0                      # the stroke of the run so far: its most confident onset
        for k in range(1, len(group) + 1):
            if k == len(group) or times[k] - times[k - 1] >= MIN_DISTANCE_S:
                keep.append(group.index[best])
                best = k
            elif conf[k] > conf[best]:
                best = k
    return onset_table(table.loc[sorted(keep)])
