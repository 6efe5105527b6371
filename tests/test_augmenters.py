"""Every registered augmenter on a known pattern: the labels follow the audio (exactly for a
shift, within the stretch's resolution for a stretch, unchanged for level and timbre), stay
inside it, and one seed gives one output."""
from __future__ import annotations

import numpy as np
import pytest

from drumtabber.onset_table import check_onset_table, onset_table
from drumtabber.plugin_manager import PluginManager

MANAGER = PluginManager(entry_points=False)
RATE = 22050
# Clicks every 0.37 s (not a divisor of the length, so a wrap is visible)
CLICK_TIMES = np.arange(0.2, 3.8, 0.37)
# librosa's phase vocoder works on 2048-sample windows with a 512-sample hop and moves each
# click with its frame: a stretched click is found within half a window of its label.
STRETCH_TOLERANCE_S = 1024 / RATE
TIME_AFFECTING = {"shift", "trim", "time-stretch"}


def pattern():
    # a little noise under the clicks, as a recording has (clipping at a percentile of
    # silence would clip everything)
    samples = (np.random.default_rng(0).standard_normal(int(4.0 * RATE)) * 0.002
               ).astype(np.float32)
    for t in CLICK_TIMES:
        i = int(round(t * RATE))
        samples[i:i + 64] = np.hanning(64) * 0.8
    onsets = onset_table([{"time": float(int(round(t * RATE)) / RATE), "instrument": "kick",
                           "gm_note": 36, "articulation": "", "velocity": 96}
                          for t in CLICK_TIMES])
    return samples, onsets


def click_peaks(samples) -> np.ndarray:
    """Sample index of each click's peak (the pattern's clicks are far apart; a click's
    peak is 32 samples after its start)."""
    loud = np.flatnonzero(np.abs(samples) > 0.1 * np.abs(samples).max())
    groups = np.split(loud, np.flatnonzero(np.diff(loud) > 1000) + 1)
    return np.array([g[np.argmax(np.abs(samples[g]))] for g in groups if len(g)])


AUGMENTERS = [pytest.param(a, id=a.name) for a in MANAGER.registry("augmenter")]


@pytest.mark.parametrize("augmenter", AUGMENTERS)
def test_labels_follow_the_audio(augmenter):
    samples, onsets = pattern()
    new, moved = augmenter.apply(samples, RATE, onsets, np.random.default_rng(3),
                                 augmenter.Options())
    check_onset_table(moved)
    assert new.dtype == np.float32 and new.ndim == 1 and np.all(np.isfinite(new))
    assert len(moved) and moved["time"].min() >= 0 and moved["time"].max() < len(new) / RATE
    if augmenter.name in ("shift", "trim"):  # each label where its click went, to the sample
        peaks = click_peaks(new) - 32
        labels = np.sort(np.round(moved["time"].to_numpy() * RATE)).astype(int)
        assert max(np.min(np.abs(peaks - s)) for s in labels) <= 1
        whole = [p for p in peaks if 0 <= p and p + 64 <= len(new)]   # clicks not cut in two
        assert len(moved) >= len(whole) and (augmenter.name == "trim" or
                                              len(moved) == len(onsets))
    elif augmenter.name == "time-stretch":
        peaks = click_peaks(new) / RATE
        labels = np.sort(moved["time"].to_numpy())
        assert max(np.min(np.abs(peaks - t)) for t in labels) <= STRETCH_TOLERANCE_S
    else:
        assert list(moved["time"]) == list(onsets["time"])
        assert len(new) == len(samples)


@pytest.mark.parametrize("augmenter", AUGMENTERS)
def test_one_seed_gives_one_output(augmenter):
    samples, onsets = pattern()
    runs = [augmenter.apply(samples.copy(), RATE, onsets, np.random.default_rng(11),
                            augmenter.Options()) for _ in range(2)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert list(runs[0][1]["time"]) == list(runs[1][1]["time"])
    other = augmenter.apply(samples.copy(), RATE, onsets, np.random.default_rng(12),
                            augmenter.Options())
    if augmenter.name not in ("polarity", "normalize"):   # these have nothing to draw
        assert not np.array_equal(other[0], runs[0][0])


def test_the_time_affecting_augmenters_are_built_in():
    names = set(MANAGER.registry("augmenter").names())
    assert TIME_AFFECTING <= names and {"gain", "gaussian-snr", "pitch-shift"} <= names
