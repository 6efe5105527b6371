"""Feature extraction speed as a multiple of real time on one core.

Baseline, measured in the same run on the same audio: librosa.feature.melspectrogram with the
same window, hop and bands.  Prints seconds of audio processed per second of CPU for each
feature kind and the ratio to the baseline.

    python benchmarks/feature_speed.py [--seconds 120] [--audio FILE]
"""
from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(var, "1")          # one core

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from timing import best_of  # noqa: E402  (benchmarks/timing.py)




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--audio", help="an audio file (default: pink-ish noise)")
    args = parser.parse_args()
    import librosa

    from drumtabber.audio import load_audio
    from drumtabber.audio.features import FeatureConfig, compute_features
    if args.audio:
        samples, sr = load_audio(args.audio, sample_rate=44100)
    else:
        sr = 44100
        rng = np.random.default_rng(0)
        samples = np.cumsum(rng.standard_normal(int(args.seconds * sr))).astype(np.float32)
        samples = (samples - np.convolve(samples, np.ones(64) / 64, mode="same")) * 0.05
    duration = len(samples) / sr
    config = FeatureConfig()
    compute_features(samples[:sr], config)                      # warm-up (imports, caches)
    compute_features(samples[:sr], FeatureConfig(kind="logfilt"))
    base = best_of(lambda: librosa.feature.melspectrogram(
        y=samples, sr=sr, n_fft=config.n_fft, hop_length=config.hop_length,
        n_mels=config.n_mels, fmin=config.fmin, fmax=config.fmax, power=1.0))
    print(f"audio: {duration:.1f} s at {sr} Hz; one core; best of 3")
    print(f"{'baseline librosa melspectrogram':<40}{base:8.3f} s {duration / base:8.1f}x real time")
    for name, cfg in [("mel (seed: 250 bands, 2048/441)", config),
                      ("mel + diff", FeatureConfig(diff=True)),
                      ("logfilt (madmom, 12 bands/octave)", FeatureConfig(kind="logfilt")),
                      ("logfilt + diff", FeatureConfig(kind="logfilt", diff=True))]:
        t = best_of(lambda: compute_features(samples, cfg))
        print(f"{name:<40}{t:8.3f} s {duration / t:8.1f}x real time   "
              f"({t / base:.2f}x the baseline's time)")


if __name__ == "__main__":
    main()
