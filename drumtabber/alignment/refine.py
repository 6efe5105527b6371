"""Refining labels to the audio.

``refine_labels`` follows ADTOF's correction of crowdsourced charts (Zehren et al., ISMIR 2021):
one time offset per beat, within +/-100 ms, chosen by dynamic programming over an onset
activation so that neighbouring beats move alike, interpolated onto the notes; then each
note moves to a detected onset close by.  A song whose corrections look implausible is
rejected with the reason.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..audio.onsets import (ONSET_FPS, BandEnvelopes, Envelope, activation_peaks,
                            pick_onsets)
from .quality import SHIFT_BETTER, nearest_distances, shift_scan

# ADTOF searches per-beat offsets within +/-100 ms.
MAX_BEAT_OFFSET_S = 0.100
OFFSET_STEP_S = 0.002
# Penalty per second of change between the offsets of neighbouring beats, relative to the
# mean activation of one labelled beat: keeps the correction smooth unless the audio insists.
SMOOTHNESS = 4.0
# After the per-beat correction a note moves to a detected onset at most this far away, and
# then to the steepest rise of the fine onset envelope within this window of it.
SNAP_WINDOW_S = 0.040
FINE_WINDOW_S = 0.012
# A 1024-sample band window sees an attack before it starts: labels placed by their family's
# band look for the attack in the fine envelope from there up to this much later.
BAND_FINE_AFTER_S = 0.014
# An onset is where the attack starts, not where the flux peaks: the label goes back from the
# peak to where the fine envelope first rose past this share of the peak.
ATTACK_START_SHARE = 0.25
# A family band's rise counts as that family's hit when it reaches this share of the band's
# strong rises (99.5th percentile of the band envelope over the song).
BAND_PEAK_SHARE = 0.15
# A label the onset model places needs at least this activation of its class, within this
# distance of where the per-beat correction put it.  The window is wider than the generic
# snap's: the labels of a class keep their order on that class's peaks, so a note the tab
# puts a sixteenth off (a quantised drag, a swung or laid-back stroke) still finds its
# stroke; measured in docs/models.md (label_accuracy.py with 40, 80, 120, 150 and 180 ms
# on both Groove splits whole, and with a fifth of the notes left out of the tab, so that
# labels could run off to unlabelled strokes).  Weak peaks count: a soft ghost note's peak
# is often below 0.05, and the move cost keeps weak far peaks from pulling labels.
MODEL_PEAK_MIN = 0.02
MODEL_WINDOW_S = 0.150
# A label on a model peak counts as on its stroke (for the share of labels matched that
# rejects a wrong alignment) when the peak is at least this high: weak peaks may place a
# label but are no evidence that the tab fits (a tab at twice its tempo finds weak peaks
# between the strokes).
MODEL_STROKE_MIN = 0.05
# A move across the whole window costs this much activation, so a far move needs a strong
# peak (a soft ghost note the model misses does not take a weak stray peak 70 ms away).
MODEL_MOVE_COST = 0.1
# The whole-song shift scan on a model's activations takes each curve's maximum within this
# distance, so labels a little off their strokes still count.
SCAN_WIDEN_S = 0.030
# A moved label must end up this close to an onset the detector found.
VERIFY_S = 0.015
# Rejection: the song is implausible when the median per-beat offset is beyond this ...
MAX_MEDIAN_OFFSET_S = 0.080
# ... or when, after refinement, fewer labels than this share have an onset within 20 ms
# (good alignments of rendered songs: 0.87-1.0; a song labelled at twice its tempo: 0.56).
MIN_SHARE_MATCHED = 0.65
# ... or when more than this share of the labelled beats need the largest correction allowed
# (the tempo drifts away faster than the per-beat offsets may follow).
MAX_SHARE_AT_LIMIT = 0.05


def _interp_activation(activation: np.ndarray, times_s: np.ndarray, fps: float = ONSET_FPS
                       ) -> np.ndarray:
    frames = np.arange(len(activation)) / fps
    return np.interp(times_s, frames, activation, left=0.0, right=0.0)


@dataclass
class ModelActivations:
    """A drum onset model's view of a recording, for placing labels: its activations
    ``(frames, classes)`` at ``fps`` frames per second and the class index of each label
    (-1: the model has no class for it)."""

    activations: np.ndarray
    fps: float
    classes: np.ndarray


def _label_activation(times_s: np.ndarray, activation: np.ndarray,
                      model: ModelActivations | None) -> np.ndarray:
    """Each label's activation at its time: its class's curve of the onset model where it
    has one, else the generic onset activation."""
    out = _interp_activation(activation, times_s)
    if model is not None:
        acts, fps, classes = model.activations, model.fps, np.asarray(model.classes)
        for c in np.unique(classes[classes >= 0]):
            mine = classes == c
            out[mine] = _interp_activation(acts[:, c], times_s[mine], fps)
    return out


@dataclass
class RefineResult:
    times: np.ndarray                  # refined label times (s)
    beat_times: np.ndarray
    beat_offsets: np.ndarray           # chosen offset per beat (s)
    moved: np.ndarray                  # refined - original (s)
    accepted: bool
    reason: str = ""
    stats: dict = field(default_factory=dict)


def beat_grid(tempo_map, end_quarters) -> np.ndarray:
    """Times of every quarter note of the score (the beats the offsets hang on)."""
    n = int(np.ceil(float(end_quarters))) + 1
    return np.array([float(tempo_map.quarters_to_seconds(Fraction(q))) for q in range(n)])


def refine_labels(label_times, tempo_map, activation: np.ndarray, *,
                  onsets: np.ndarray | None = None, fine: Envelope | None = None,
                  families=None, bands: BandEnvelopes | None = None,
                  model: ModelActivations | None = None) -> RefineResult:
    """Move labels onto the audio: per-beat offsets by dynamic programming, then a snap.

    Parameters
    ----------
    label_times : array, shape (k,)
        Label times in seconds from the tempo map.
    tempo_map : TempoMap
    activation : np.ndarray, shape (frames,)
        Onset activation at ``ONSET_FPS`` (see :func:`drumtabber.audio.onsets.onset_activation`).
    onsets : array, optional
        Detected onset times; picked from ``activation`` when not given.
    fine : (envelope, times), optional
        A fine onset envelope (:func:`drumtabber.audio.onsets.fine_onset_envelope`); snapped labels
        move to its maximum within ``FINE_WINDOW_S``.
    families, bands : optional
        Each label's instrument family and :func:`drumtabber.audio.onsets.band_onset_envelopes`:
        a label first looks for the rise of its own family's band (so a quiet pedal hi-hat
        is not pulled onto a loud kick); labels with no clear rise there use the onsets.
    model : ModelActivations, optional
        A drum onset model's activations (frames, classes) at ``fps`` frames per second
        (:meth:`drumtabber.models.onset_model.OnsetModel.placement`) and each label's class index
        (-1: none).  The per-beat offsets are scored on each label's own class, and the
        labels of each class are matched, in order, to that class's activation peaks
        (:func:`place_by_model`); the model is the detector there, so these moves need no
        backing from the generic onsets and keep the model's time.
    """
    labels = np.asarray(label_times, dtype=np.float64)
    if onsets is None:
        onsets = pick_onsets(activation)
    beats = beat_grid(tempo_map, tempo_map.bar_quarters[-1])
    offsets = np.arange(-MAX_BEAT_OFFSET_S, MAX_BEAT_OFFSET_S + 1e-9, OFFSET_STEP_S)
    which = np.clip(np.searchsorted(beats, labels, side="right") - 1, 0, len(beats) - 1)
    score = np.zeros((len(beats), len(offsets)))
    for j, d in enumerate(offsets):
        np.add.at(score[:, j], which, _label_activation(labels + d, activation, model))
    scale = max(1e-6, float(np.mean(score[score.max(axis=1) > 0].max(axis=1)))
                if np.any(score > 0) else 1.0)
    penalty = SMOOTHNESS * scale * np.abs(offsets[:, None] - offsets[None, :])   # (from, to)
    best = score[0].copy()
    back = np.zeros((len(beats), len(offsets)), dtype=np.int64)
    for b in range(1, len(beats)):
        total = best[:, None] - penalty
        back[b] = np.argmax(total, axis=0)
        best = total[back[b], np.arange(len(offsets))] + score[b]
    path = np.zeros(len(beats), dtype=np.int64)
    path[-1] = int(np.argmax(best))
    for b in range(len(beats) - 1, 0, -1):
        path[b - 1] = back[b, path[b]]
    beat_offsets = offsets[path]
    shifted = labels + np.interp(labels, beats, beat_offsets)
    refined = shifted.copy()
    own = np.zeros(len(labels), dtype=bool)
    if bands is not None and families is not None:
        band_times, envelopes = bands.times_s, bands.curves
        level = {f: BAND_PEAK_SHARE * float(np.percentile(env, 99.5)) for f, env in envelopes.items()}
        for k, family in enumerate(families):
            env = envelopes.get(family)
            if env is None:
                continue
            lo, hi = np.searchsorted(band_times, [shifted[k] - SNAP_WINDOW_S,
                                                  shifted[k] + SNAP_WINDOW_S])
            if hi > lo:
                peak = lo + int(np.argmax(env[lo:hi]))
                if env[peak] >= level[family] and env[peak] > 0:     # a rise, not silence
                    refined[k] = attack_start(env, band_times, peak)
                    own[k] = True
    heights = np.zeros(len(labels))
    if model is not None:
        heights = place_by_model(refined, shifted, model)
        own |= heights > 0
    by_model = heights > 0
    if len(onsets):
        onsets = np.sort(onsets)
        i = np.clip(np.searchsorted(onsets, shifted), 1, max(1, len(onsets) - 1))
        left, right = onsets[np.maximum(i - 1, 0)], onsets[np.minimum(i, len(onsets) - 1)]
        nearest = np.where(np.abs(shifted - left) <= np.abs(shifted - right), left, right)
        close = (np.abs(nearest - shifted) <= SNAP_WINDOW_S) & ~own
        refined[close] = nearest[close]
    if fine is not None:
        env, env_times = fine.values, fine.times_s
        for k in np.flatnonzero((refined != shifted) & ~by_model):
            before, after = (0.0, BAND_FINE_AFTER_S) if own[k] else (FINE_WINDOW_S, FINE_WINDOW_S)
            lo, hi = np.searchsorted(env_times, [refined[k] - before, refined[k] + after])
            if hi > lo:
                refined[k] = attack_start(env, env_times, lo + int(np.argmax(env[lo:hi])))
    if len(onsets):          # a move the onset detector does not back up is undone
        unconfirmed = ((refined != shifted) & ~by_model
                       & (nearest_distances(refined, onsets) > VERIFY_S))
        refined[unconfirmed] = shifted[unconfirmed]
    if model is not None:           # the model's own classes tell a shifted tab best
        shift, gain = shift_scan(labels, np.asarray(model.classes), _scan_curves(model),
                                 window_s=MAX_BEAT_OFFSET_S)
    elif families is not None and bands is not None and len(onsets):
        shift, gain = shift_scan(labels, np.asarray(families), bands, window_s=MAX_BEAT_OFFSET_S)
    else:
        shift, gain = 0.0, 1.0
    near = nearest_distances(refined, onsets)
    # a label is on the audio when an onset is close, or when the model found its stroke
    # close to where the per-beat correction put it
    on_stroke = (heights >= MODEL_STROKE_MIN) & (np.abs(refined - shifted) <= 0.020)
    matched = float(np.mean((near <= 0.020) | on_stroke)) if len(labels) else 0.0
    labelled = np.unique(which)
    median_offset = float(np.median(np.abs(beat_offsets[labelled]))) if len(labelled) else 0.0
    at_limit = (float(np.mean(np.abs(beat_offsets[labelled]) >= MAX_BEAT_OFFSET_S - OFFSET_STEP_S))
                if len(labelled) else 0.0)
    stats = {"median_beat_offset_ms": median_offset * 1000,
             "median_move_ms": float(np.median(np.abs(refined - labels)) * 1000) if len(labels) else 0.0,
             "max_move_ms": float(np.max(np.abs(refined - labels)) * 1000) if len(labels) else 0.0,
             "share_matched_20ms": matched,
             "snapped": int(np.sum(refined != shifted)),
             "by_family_band": int((own & ~by_model).sum()), "by_model": int(by_model.sum())}
    reason = ""
    if abs(shift) > MAX_BEAT_OFFSET_S and gain >= SHIFT_BETTER:
        reason = (f"the labels fit {gain - 1:.0%} better moved by {shift * 1000:+.0f} ms, beyond "
                  f"the {MAX_BEAT_OFFSET_S * 1000:.0f} ms a beat may move: fix the alignment first")
    elif at_limit > MAX_SHARE_AT_LIMIT:
        reason = (f"{at_limit:.0%} of the beats need the largest correction allowed "
                  f"({MAX_BEAT_OFFSET_S * 1000:.0f} ms): the tempo is off (drift "
                  f"{slope_ms_per_min(beats[labelled], beat_offsets[labelled]):+.0f} ms/min)")
    elif median_offset > MAX_MEDIAN_OFFSET_S:
        reason = (f"median per-beat correction {median_offset * 1000:.0f} ms exceeds "
                  f"{MAX_MEDIAN_OFFSET_S * 1000:.0f} ms: the alignment itself is off")
    elif matched < MIN_SHARE_MATCHED:
        reason = (f"only {matched:.0%} of labels have an onset within 20 ms after refinement "
                  f"(need {MIN_SHARE_MATCHED:.0%})")
    return RefineResult(refined, beats, beat_offsets, refined - labels, not reason, reason, stats)


def slope_ms_per_min(times, offsets) -> float:
    """Slope of a line fitted to offsets (s) over times (s), in ms per minute."""
    if len(times) < 4:
        return 0.0
    return float(np.polyfit(times, offsets, 1)[0] * 1000 * 60)


def _scan_curves(model: ModelActivations) -> BandEnvelopes:
    """A model's activations as :func:`~drumtabber.alignment.quality.shift_scan` curves keyed by class
    index, each widened to its maximum within ``SCAN_WIDEN_S`` (a played note sits off the
    grid; the scan asks where the strokes are, not how exactly)."""
    from scipy.ndimage import maximum_filter1d
    acts = model.activations
    size = 2 * int(round(SCAN_WIDEN_S * model.fps)) + 1
    return BandEnvelopes(np.arange(len(acts)) / model.fps,
                         {c: maximum_filter1d(acts[:, c], size) for c in range(acts.shape[1])})


def place_by_model(refined: np.ndarray, shifted: np.ndarray,
                   model: ModelActivations) -> np.ndarray:
    """Match the labels of each class, in order, to that class's activation peaks.

    Per class, the labels (by their shifted times) and the peaks of the class's activation
    (at least ``MODEL_PEAK_MIN``) are aligned like two sequences: each label takes at most one
    peak within ``MODEL_WINDOW_S``, each peak at most one label, and the order is kept (so the
    two strokes of a flam or a drag land on two peaks, not both on the louder one).  The
    alignment maximises the summed peak heights, each weighed down by its distance to the
    label (half at the window's edge) less ``MODEL_MOVE_COST`` per window of distance.
    ``refined`` is changed in place; returns the height of each label's peak (0: not
    placed).
    """
    classes, activations, fps = np.asarray(model.classes), model.activations, model.fps
    placed = np.zeros(len(shifted))
    for c in np.unique(classes[classes >= 0]):
        ks = np.flatnonzero(classes == c)
        ks = ks[np.argsort(shifted[ks], kind="stable")]
        times, heights = activation_peaks(activations[:, c], fps, MODEL_PEAK_MIN)
        # labels of one class at one time (two toms, crash and china) are one stroke here
        first = np.r_[True, np.diff(shifted[ks]) > SAME_TIME_S]
        group = np.cumsum(first) - 1
        labels = shifted[ks][first]
        for piece in _pieces(labels):          # a peak between two runs goes to the nearer
            lo = labels[piece.start - 1:piece.start + 1].mean() if piece.start else -np.inf
            hi = labels[piece.stop - 1:piece.stop + 1].mean() if piece.stop < len(labels) else np.inf
            mine = (times > lo) & (times <= hi)
            for g, t, h in _match_in_order(labels[piece], times[mine], heights[mine]):
                members = ks[group == piece.start + g]
                refined[members] = t
                placed[members] = h
    return placed


# Labels matched to peaks in one go at most (memory grows with labels x peaks); longer runs
# are split where their labels lie furthest apart.
MATCH_PIECE = 2000
# Labels of one class closer than this are one stroke (hits written at the same position).
SAME_TIME_S = 0.001


def _pieces(label_times: np.ndarray) -> list[slice]:
    """Split sorted label times into runs that can be matched apart: at every gap wider than
    two windows (no peak can be fought over), and runs longer than ``MATCH_PIECE`` at their
    widest gap."""
    cuts = [0, *(np.flatnonzero(np.diff(label_times) > 2 * MODEL_WINDOW_S) + 1), len(label_times)]
    out, todo = [], [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:])]
    while todo:
        run = todo.pop()
        if run.stop - run.start <= MATCH_PIECE:
            out.append(run)
            continue
        quarter = (run.stop - run.start) // 4
        gaps = np.diff(label_times[run.start + quarter:run.stop - quarter])
        cut = run.start + quarter + int(np.argmax(gaps)) + 1
        todo += [slice(run.start, cut), slice(cut, run.stop)]
    return sorted(out, key=lambda r: r.start)


def _match_in_order(labels: np.ndarray, times: np.ndarray, heights: np.ndarray):
    """The order-keeping matching of :func:`place_by_model` for one run of sorted labels:
    yields (label index, peak time, peak height)."""
    # best[j]: best total with the labels so far and the first j peaks; one row per label of
    # where each cell came from (0 label unmatched, 1 peak unused, 2 matched).
    best = np.zeros(len(times) + 1)
    moves = np.zeros((len(labels), len(times) + 1), dtype=np.int8)
    for row, t in enumerate(labels):
        dist = np.abs(times - t)
        gain = np.where(dist <= MODEL_WINDOW_S, heights * (1 - 0.5 * dist / MODEL_WINDOW_S)
                        - MODEL_MOVE_COST * dist / MODEL_WINDOW_S, -np.inf)
        take = np.concatenate([[-np.inf], best[:-1] + gain])
        new = np.maximum(best, take)
        moves[row] = np.where(take > best, 2, 0)
        run = np.maximum.accumulate(new)            # or leave peaks unused
        moves[row][run > new] = 1
        best = run
    j = len(times)
    for row in range(len(labels) - 1, -1, -1):
        while j > 0 and moves[row, j] == 1:
            j -= 1
        if moves[row, j] == 2:
            yield row, times[j - 1], heights[j - 1]
            j -= 1


def attack_start(env: np.ndarray, times: np.ndarray, peak: int) -> float:
    """Time where ``env`` last rose past ``ATTACK_START_SHARE`` of ``env[peak]`` before the
    peak, interpolated between frames."""
    level = ATTACK_START_SHARE * env[peak]
    k = peak
    while k > 0 and env[k - 1] >= level and env[k - 1] <= env[k]:
        k -= 1
    if k == 0 or env[k - 1] >= level:
        return float(times[k])
    a, b = env[k - 1], env[k]
    frac = (level - a) / (b - a) if b > a else 1.0
    return float(times[k - 1] + frac * (times[k] - times[k - 1]))




def refine_onsets(onsets, tempo_map, samples: np.ndarray, sample_rate: int, *, model=None):
    """Refine an onset table's labels onto a recording (:func:`refine_labels` with the
    generic onsets, the fine envelope, the family bands and, given an onset model, its
    placement): ``(RefineResult, the onset table with the refined times)``."""
    from ..audio.onsets import band_onset_envelopes, fine_onset_envelope, onset_activation
    from ..onset_table import instrument_families, onset_table
    placing = None if model is None else model.placement(samples, sample_rate,
                                                         list(onsets["instrument"]))
    result = refine_labels(onsets["time"].to_numpy(), tempo_map,
                           onset_activation(samples, sample_rate),
                           fine=fine_onset_envelope(samples, sample_rate),
                           families=list(instrument_families(onsets)),
                           bands=band_onset_envelopes(samples, sample_rate), model=placing)
    refined = onsets.copy()
    refined["time"] = result.times
    return result, onset_table(refined)
