"""How well do labels match the audio?  Onset detection, distances, verdicts, clicks, plots."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .score import Instrument

# Onset detection runs at 100 frames per second (madmom's CNN onset model, Schlüter & Böck,
# ICASSP 2014); its peak picking threshold and smoothing are madmom's defaults for that model.
ONSET_FPS = 100
MADMOM_SAMPLE_RATE = 44100       # the rate madmom's onset and beat models were trained at
ONSET_THRESHOLD = 0.2
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
# Click frequencies (Hz) per instrument family for the listening mix.
CLICK_HZ = {"kick": 120.0, "snare": 700.0, "tom": 350.0, "hihat": 5000.0, "cymbal": 3500.0,
            "ride": 2500.0, "percussion": 1500.0}


def onset_activation(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """madmom's CNN onset activation, shape (frames,), at ``ONSET_FPS``."""
    if sample_rate != MADMOM_SAMPLE_RATE:        # madmom would call ffmpeg to resample
        import librosa
        samples = librosa.resample(samples, orig_sr=sample_rate, target_sr=MADMOM_SAMPLE_RATE)
        sample_rate = MADMOM_SAMPLE_RATE
    from madmom.audio.signal import Signal
    from madmom.features.onsets import CNNOnsetProcessor
    return np.asarray(CNNOnsetProcessor()(Signal(samples, sample_rate=sample_rate,
                                                 num_channels=1)), dtype=np.float32)


def pick_onsets(activation: np.ndarray, *, threshold: float = ONSET_THRESHOLD) -> np.ndarray:
    """Onset times (s) from an activation, with parabolic interpolation between frames."""
    from madmom.features.onsets import OnsetPeakPickingProcessor
    frames = OnsetPeakPickingProcessor(fps=ONSET_FPS, threshold=threshold, smooth=0.05,
                                       pre_max=0.01, post_max=0.01, combine=0.01)(activation)
    idx = np.rint(np.asarray(frames) * ONSET_FPS).astype(int)
    out = []
    for i in idx:
        if 0 < i < len(activation) - 1:
            a, b, c = activation[i - 1:i + 2]
            denom = a - 2 * b + c
            out.append((i + (0.5 * (a - c) / denom if denom < 0 else 0.0)) / ONSET_FPS)
        else:
            out.append(i / ONSET_FPS)
    return np.asarray(out)


# Fine onset envelope for placing labels to the millisecond: spectral flux (librosa) over a
# 512-sample window with a 64-sample hop (1.45 ms at 44.1 kHz).
FINE_N_FFT, FINE_HOP = 512, 64


def fine_onset_envelope(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """Spectral-flux envelope at a 64-sample hop: ``(envelope, frame times in s)``."""
    import librosa
    env = librosa.onset.onset_strength(y=samples, sr=sample_rate, hop_length=FINE_HOP,
                                       n_fft=FINE_N_FFT, n_mels=40, center=True)
    return env, librosa.frames_to_time(np.arange(len(env)), sr=sample_rate, hop_length=FINE_HOP)


# Frequency bands (Hz) where each instrument family's attack stands out, for per-family onset
# envelopes: kick fundamentals; snare body and wires; tom bodies; cymbal and hi-hat noise.
FAMILY_BANDS_HZ = {"kick": (30.0, 150.0), "snare": (150.0, 4000.0), "tom": (60.0, 500.0),
                   "hihat": (6000.0, 16000.0), "cymbal": (3000.0, 16000.0),
                   "ride": (3000.0, 12000.0), "percussion": (500.0, 10000.0)}
BAND_N_FFT = 1024


def band_onset_envelopes(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, dict]:
    """Half-wave rectified log-energy rise per family band at a 64-sample hop:
    ``(frame times in s, {family: envelope})``."""
    import librosa
    spec = np.abs(librosa.stft(samples, n_fft=BAND_N_FFT, hop_length=FINE_HOP, center=True))
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=BAND_N_FFT)
    times = librosa.frames_to_time(np.arange(spec.shape[1]), sr=sample_rate, hop_length=FINE_HOP)
    out = {}
    for family, (lo, hi) in FAMILY_BANDS_HZ.items():
        band = np.log1p(100.0 * spec[(freqs >= lo) & (freqs < min(hi, sample_rate / 2))].sum(axis=0))
        out[family] = np.maximum(0.0, np.diff(band, prepend=band[:1]))
    return times, out


def detect_onsets(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Onset times in seconds of mono audio."""
    return pick_onsets(onset_activation(samples, sample_rate))


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


def shift_scan(label_times, families, bands: tuple, *, window_s: float = SHIFT_SAME_S
               ) -> tuple[float, float]:
    """How much better the labels fit the audio moved as a whole: ``(best shift in s,
    score at that shift / best score within window_s of no shift)``."""
    band_times, envelopes = bands
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


def check_labels(rows: list[dict], onset_times, bands: tuple | None = None) -> dict:
    """Per-family and overall distance statistics, the shift scan (with ``bands``, see
    :func:`band_onset_envelopes`) and the verdict."""
    families = np.array([Instrument(r["instrument"]).family for r in rows])
    distances = nearest_distances([r["time"] for r in rows], onset_times)
    scan = (shift_scan([r["time"] for r in rows], families, bands) if bands is not None
            else None)
    per_family = [_stats(f, distances[families == f]) for f in sorted(set(families))]
    overall = _stats("all", distances)
    return {"families": per_family, "overall": overall, "verdict": verdict(overall, scan),
            "detected_onsets": int(len(onset_times)), "labels": len(rows),
            "best_shift_ms": None if scan is None else scan[0] * 1000,
            "best_shift_gain": None if scan is None else scan[1]}


def click_mix(samples: np.ndarray, sample_rate: int, rows: list[dict], *,
              click_gain: float = 0.5) -> np.ndarray:
    """The song with a click per label mixed in, a different pitch per instrument family."""
    import librosa
    mix = samples.astype(np.float32) / max(1e-9, float(np.max(np.abs(samples)))) * 0.6
    by_family: dict[str, list] = {}
    for r in rows:
        by_family.setdefault(Instrument(r["instrument"]).family, []).append(r["time"])
    for family, times in by_family.items():
        times = [t for t in times if 0 <= t < len(mix) / sample_rate]
        clicks = librosa.clicks(times=times, sr=sample_rate, length=len(mix),
                                click_freq=CLICK_HZ[family], click_duration=0.05)
        mix += click_gain * clicks.astype(np.float32) / len(by_family) ** 0.5
    peak = float(np.max(np.abs(mix)))
    return mix / peak * 0.95 if peak > 0.95 else mix


def plot_labels(samples: np.ndarray, sample_rate: int, rows: list[dict], out_png: Path, *,
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
    families = sorted({Instrument(r["instrument"]).family for r in rows})
    fig, ax = plt.subplots(figsize=(max(8, (end_s - start_s) * 2.5), 5))
    ax.imshow(feats.T, origin="lower", aspect="auto", cmap="magma",
              extent=(start_s, end_s, 0, feats.shape[1]))
    colours = plt.get_cmap("tab10")
    for k, family in enumerate(families):
        times = [r["time"] for r in rows if Instrument(r["instrument"]).family == family
                 and start_s <= r["time"] <= end_s]
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
