"""Every registered augmenter on a known pattern: the labels follow the audio (exactly for a
shift, within the stretch's resolution for a stretch, unchanged for level and timbre, where
each click still starts within a few ms of its label), stay inside it, and one seed gives
one output.  Feature augmenters are run on the pattern's features, score augmenters on the
notes a render plays."""
from __future__ import annotations

import numpy as np
import pytest

from drumtabber.components import augment_stage
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


def click_peak(samples, label_s: float) -> float:
    """Where the click nearest a label peaks (s): the loudest sample within 30 ms."""
    i, w = int(round(label_s * RATE)), int(0.03 * RATE)
    return (max(0, i - w) + int(np.argmax(np.abs(samples[max(0, i - w):i + w])))) / RATE


def by_stage(stage):
    return [pytest.param(a, id=a.name) for a in MANAGER.registry("augmenter")
            if augment_stage(a) == stage]


AUGMENTERS = by_stage("audio")
# Clipping at a percentile flattens a click and the noise round it to one level, so where
# it peaks cannot be measured; filters delay a click by their phase (under 3 ms here).
UNMEASURABLE = {"clipping"}
SOUND_TOLERANCE_S = 0.003


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
        if augmenter.name not in UNMEASURABLE:   # each click still sounds at its label
            late = [click_peak(new, t) - click_peak(samples, t) for t in moved["time"]]
            assert max(np.abs(late)) <= SOUND_TOLERANCE_S, late


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


@pytest.mark.parametrize("augmenter", by_stage("features"))
def test_feature_augmenters_keep_shape_and_labels(augmenter):
    from drumtabber.audio.features import FeatureConfig, compute_features
    samples, onsets = pattern()
    features = compute_features(samples, FeatureConfig(sample_rate=RATE, n_mels=40, fmax=10000.0))
    runs = [augmenter.apply(features, 50.0, onsets, np.random.default_rng(seed),
                            augmenter.Options()) for seed in (5, 5, 6)]
    new, moved = runs[0]
    assert new.shape == features.shape and new.dtype == np.float32
    assert moved.equals(onsets) and not np.array_equal(new, features)
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert not np.array_equal(runs[0][0], runs[2][0])
    changed = new != features
    if augmenter.name == "frequency-mask":       # a band of neighbouring bins, all frames
        bands = np.flatnonzero(changed.any(axis=0))
        assert np.all(new[:, bands] == 0) and np.all(np.diff(bands) == 1)
    elif augmenter.name == "bin-dropout":        # 5 % of the bins
        assert abs(changed.mean() - 0.05) < 0.01 and np.all(new[changed] == 0)
    else:                                        # factors from 0.95 to 1.05
        ratio = new[features > 0] / features[features > 0]
        assert 0.95 - 1e-6 <= ratio.min() and ratio.max() <= 1.05 + 1e-6


def test_humanize_moves_the_played_notes_within_three_deviations():
    from drumtabber.audio.render import score_onsets
    from drumtabber.tabs import load_tab
    human = MANAGER.get("augmenter", "humanize")
    assert augment_stage(human) == "score"
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as tmp:
        tab = Path(tmp) / "t.txt"
        tab.write_text("HH|x-x-x-x-x-x-x-x-|\nSD|----o-------o---|\nBD|o-------o-------|\n" * 8)
        score = load_tab(tab, MANAGER).score
    from fractions import Fraction
    from drumtabber.tempo import TempoMap
    plain = score_onsets(score, TempoMap(score.bars, qpm=Fraction(120)))
    options = human.Options(timing_ms=8.0, velocity=10.0)
    _, a = human.apply(None, None, plain, np.random.default_rng(1), options)
    _, b = human.apply(None, None, plain, np.random.default_rng(1), options)
    assert a.equals(b) and sorted(a["event"]) == sorted(plain["event"])
    moved = a.set_index("event").loc[plain["event"]]
    shift = moved["time"].to_numpy() - plain["time"].to_numpy()
    assert 0.005 < shift.std() < 0.011 and np.abs(shift).max() <= 0.024 + 1e-9
    assert moved["velocity"].between(1, 127).all() and moved["velocity"].nunique() > 5
    from drumtabber.errors import ConfigError
    with pytest.raises(ConfigError):
        human.Options(timing_ms=float("nan"))
