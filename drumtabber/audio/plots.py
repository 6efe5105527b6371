"""Listening and looking: the song with a click per label, a spectrogram with the labels."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..onset_table import instrument_families

# Click frequencies (Hz) per instrument family for the listening mix.
CLICK_HZ = {"kick": 120.0, "snare": 700.0, "tom": 350.0, "hihat": 5000.0, "cymbal": 3500.0,
            "ride": 2500.0, "percussion": 1500.0}


def click_mix(samples: np.ndarray, sample_rate: int, onsets, *,
              click_gain: float = 0.5) -> np.ndarray:
    """The song with a click per label mixed in, a different pitch per instrument family."""
    import librosa
    mix = samples.astype(np.float32) / max(1e-9, float(np.max(np.abs(samples)))) * 0.6
    by_family: dict[str, list] = {}
    for family, t in zip(instrument_families(onsets), onsets["time"]):
        by_family.setdefault(family, []).append(float(t))
    for family, times in by_family.items():
        times = [t for t in times if 0 <= t < len(mix) / sample_rate]
        clicks = librosa.clicks(times=times, sr=sample_rate, length=len(mix),
                                click_freq=CLICK_HZ[family], click_duration=0.05)
        mix += click_gain * clicks.astype(np.float32) / len(by_family) ** 0.5
    peak = float(np.max(np.abs(mix)))
    return mix / peak * 0.95 if peak > 0.95 else mix


def plot_labels(samples: np.ndarray, sample_rate: int, onsets, out_png: Path, *,
                start_s: float, end_s: float, title: str = "") -> Path:
    """A mel spectrogram of ``start_s``-``end_s`` with each label drawn over it."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .features import FeatureConfig, compute_features
    lo, hi = int(start_s * sample_rate), int(end_s * sample_rate)
    config = FeatureConfig(sample_rate=sample_rate, n_fft=2048, hop_length=sample_rate // 200,
                           n_mels=128, fmax=min(16000.0, sample_rate / 2))
    feats = compute_features(samples[lo:hi], config)
    row_families = instrument_families(onsets)
    times_s = onsets["time"].to_numpy()
    families = sorted(set(row_families))
    fig, ax = plt.subplots(figsize=(max(8, (end_s - start_s) * 2.5), 5))
    ax.imshow(feats.T, origin="lower", aspect="auto", cmap="magma",
              extent=(start_s, end_s, 0, feats.shape[1]))
    colours = plt.get_cmap("tab10")
    for k, family in enumerate(families):
        times = times_s[(row_families == family) & (times_s >= start_s) & (times_s <= end_s)]
        ax.vlines(times, 0, feats.shape[1], colors=[colours(k)], linewidth=1.2, label=family,
                  alpha=0.9)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("mel band")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return Path(out_png)
