"""Features and frame targets: shapes, the seed's setting, agreement with librosa/madmom."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import ROOT
from drumtabber.alignment import load_song
from drumtabber.audio.features import (FeatureConfig, compute_features, n_frames_for,
                                       onsets_to_targets)
from drumtabber.errors import ConfigError
from drumtabber.plugin_manager import PluginManager


@pytest.fixture(scope="module")
def noise():
    return np.random.default_rng(0).standard_normal(44100 * 3).astype(np.float32) * 0.1


def test_seed_setting_is_expressible_and_is_the_default(noise):
    config = FeatureConfig()
    assert (config.n_mels, config.n_fft, config.hop_length, config.sample_rate) == (250, 2048, 441, 44100)
    assert config.fps == 100
    feats = compute_features(noise, config)
    assert feats.shape == (n_frames_for(len(noise), 441), 250) == (301, 250)
    assert feats.dtype == np.float32 and feats.min() >= 0


def test_mel_matches_librosa(noise):
    import librosa
    config = FeatureConfig(n_mels=80, fmax=16000.0)
    ref = librosa.feature.melspectrogram(y=noise, sr=44100, n_fft=2048, hop_length=441,
                                         n_mels=80, fmin=20.0, fmax=16000.0, power=1.0)
    assert np.allclose(compute_features(noise, config), np.log10(1 + ref.T), atol=1e-5)


def test_log_filtered_twelve_bands_per_octave_and_difference(noise):
    config = FeatureConfig(kind="logfilt", fmin=30.0, fmax=17000.0, diff=True)
    feats = compute_features(noise, config)
    n_bands = feats.shape[1] // 2
    assert feats.shape[0] == 301 and 80 <= n_bands <= 12 * np.log2(17000 / 30)
    assert np.all(feats[:, n_bands:] >= 0)                       # half-wave rectified rise
    assert np.allclose(feats[1:, n_bands:], np.maximum(0, np.diff(feats[:, :n_bands], axis=0)))


def test_features_from_settings(tmp_path):
    from drumtabber.config import Config
    (tmp_path / "drumtabber.toml").write_text('[features]\nkind = "logfilt"\ndiff = true\n'
                                              'hop_length = 220\n')
    config = FeatureConfig.from_settings(Config(cwd=tmp_path, env={}).values, fmin=30.0)
    assert (config.kind, config.diff, config.hop_length, config.fmin) == ("logfilt", True, 220, 30.0)
    assert config.n_mels == 250 and config.bands_per_octave == 12


@pytest.mark.parametrize("kwargs, message", [
    (dict(kind="cqt"), "features.kind"), (dict(hop_length=0), "hop_length"),
    (dict(fmax=30000.0), "Nyquist"), (dict(log_mul=0.0), "log_mul"),
    (dict(log_mul=float("nan")), "log_mul"), (dict(level_db=3.0), "level_db"),
    (dict(level_db=float("nan")), "level_db"), (dict(level_db=False), "level_db"),
])
def test_bad_feature_settings(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        FeatureConfig(**kwargs)


def test_log_mul_makes_the_features_logarithmic():
    """``log_mul`` scales the magnitudes inside the log (madmom's ``mul``).  librosa's mel
    magnitudes of audio in [-1, 1] stay far under 1, so with 1 (the seed's setting, and models
    trained before 2026-12-07) log10(1 + x) is nearly x: a real recording 12 dB softer gives
    features 4 times smaller.  With the models' 1000 the loud bins move down by one constant,
    log10(4), as in a log spectrogram, and a per-band normalisation sees the same shapes.
    Recording: MDB Drums, MusicDelta_Punk_Drum.wav (../shared/data/mdb-dev, CC BY-NC-SA 4.0)."""
    from dataclasses import replace

    from drumtabber.audio.io import load_audio
    samples = load_audio(ROOT.parent / "shared" / "data" / "mdb-dev" / "MusicDelta_Punk_Drum.wav",
                         sample_rate=44100)[0][:5 * 44100]
    base = FeatureConfig(n_mels=84, n_fft=1024, fmin=30.0, fmax=16000.0)
    logged = replace(base, log_mul=1000.0)
    plain, scaled = compute_features(samples, base), compute_features(samples, logged)
    assert plain.max() < 0.5
    assert np.allclose(scaled, np.log10(1 + 1000 * (10.0 ** plain - 1)), atol=1e-3)
    loud = scaled > 2.0                                  # 1000 x magnitude above 100
    assert loud.mean() > 0.01
    softer_plain = compute_features(samples / 4, base)
    softer_scaled = compute_features(samples / 4, logged)
    assert np.median(plain[loud] / softer_plain[loud]) > 3.8
    assert abs(np.median(scaled[loud] - softer_scaled[loud]) - np.log10(4)) < 0.03


def test_level_db_hears_every_recording_at_one_level():
    """``level_db``: a recording is brought to that gated level before its features, so a
    model hears a recording mixed far hotter than its renders (the MDB Zeppelin track, about
    -16 dBFS gated, against the training renders' median -33.7) at its renders' level.  The gate takes the level of
    the playing: seconds of silence added do not move it.  Recording: MDB Drums,
    MusicDelta_Zeppelin_Drum.wav (../shared/data/mdb-dev, CC BY-NC-SA 4.0)."""
    from dataclasses import replace

    from drumtabber.audio.features import gated_level_db
    from drumtabber.audio.io import load_audio
    samples = load_audio(ROOT.parent / "shared" / "data" / "mdb-dev" /
                         "MusicDelta_Zeppelin_Drum.wav", sample_rate=44100)[0][:8 * 44100]
    level = gated_level_db(samples, 44100)
    assert -20 < level < -5
    sine = np.sin(np.arange(44100) * 2 * np.pi * 440 / 44100)
    assert abs(gated_level_db(sine, 44100) + 3.01) < 0.01
    padded = np.concatenate([np.zeros(5 * 44100, np.float32), samples])
    assert abs(gated_level_db(padded, 44100) - level) < 0.1
    assert gated_level_db(np.zeros(44100), 44100) is None
    base = FeatureConfig(n_mels=84, n_fft=1024, fmin=30.0, fmax=16000.0)
    levelled = replace(base, level_db=-30.0)
    assert np.allclose(compute_features(samples, levelled),
                       compute_features(samples * 10 ** ((-30.0 - level) / 20), base), atol=1e-5)
    softer = compute_features(samples * 10 ** (-15 / 20), levelled)
    assert np.allclose(softer, compute_features(samples, levelled), atol=1e-4)
    assert not np.allclose(compute_features(samples * 10 ** (-15 / 20), base),
                           compute_features(samples, base), atol=1e-2)
    assert np.array_equal(compute_features(np.zeros(4096, np.float32), levelled),
                          compute_features(np.zeros(4096, np.float32), base))


def may3beta_onsets():
    song, _ = load_song(ROOT / "alignments" / "may3beta.toml", PluginManager(entry_points=False))
    times = song.onsets["time"].to_numpy()
    classes = np.array([{"kick": 0, "snare": 1}.get(i, 2) for i in song.onsets["instrument"]])
    return times, classes


def test_exact_targets_on_a_real_onset_table():
    times, classes = may3beta_onsets()
    n_frames = int(times.max() * 100) + 10
    targets = onsets_to_targets(times, classes, n_classes=3, n_frames=n_frames, fps=100)
    for c in range(3):
        frames = {int(np.floor(t * 100 + 0.5)) for t in times[classes == c]}
        assert set(np.flatnonzero(targets[:, c])) == frames
    # first kick at 1.770 s -> frame 177
    assert targets[177, 0] == 1


def test_soft_and_window_targets():
    soft = onsets_to_targets([0.10], [0], n_classes=1, n_frames=20, fps=100, widening="soft")
    assert soft[8:13, 0].tolist() == [0, 0.5, 1, 0.5, 0]
    window = onsets_to_targets([0.10], [0], n_classes=1, n_frames=20, fps=100,
                               widening="window", window_before=1.0, window_after=2.0)
    assert np.flatnonzero(window[:, 0]).tolist() == [9, 10, 11, 12]
    same = onsets_to_targets([0.104], [0], n_classes=1, n_frames=20, fps=100, widening="window")
    assert np.flatnonzero(same[:, 0]).tolist() == [10]
    with pytest.raises(ConfigError, match="target widening"):
        onsets_to_targets([0.1], [0], n_classes=1, n_frames=5, fps=100, widening="wide")


def test_onsets_outside_the_frames_are_ignored():
    targets = onsets_to_targets([-1.0, 0.0, 99.0], [0, 0, 0], n_classes=1, n_frames=10, fps=100)
    assert targets[:, 0].tolist() == [1] + [0] * 9


def test_targets_through_a_class_map():
    from drumtabber.audio.features import onsets_to_class_targets
    from drumtabber.classes import map_onset_rows, resolve_class_map
    manager = PluginManager(entry_points=False)
    class_map, options = resolve_class_map(manager, "kd-sd-hh")
    song, _ = load_song(ROOT / "alignments" / "may3beta.toml", manager)
    onsets = map_onset_rows(class_map, song.onsets, options)
    names = class_map.classes(options)
    targets = onsets_to_class_targets(onsets, names, n_frames=25000, fps=100)
    kicks = {int(np.floor(r["time"] * 100 + 0.5)) for r in onsets.to_dict("records")
             if r["class"] == "KD"}
    assert names == ["KD", "SD", "HH"] and set(np.flatnonzero(targets[:, 0])) == kicks
    assert targets[177, 0] == 1 and targets[:, 2].sum() > 0
