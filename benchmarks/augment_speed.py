"""Augmentation speed: the ``seed`` and ``realistic`` chains (audio and feature steps) and
each augmenter, as multiples of real time on one core, beside loading the same audio (the
baseline, measured in the same run).  Feature steps run on the audio's features (default
settings); the chains' figures are the mean over seeds 0-9.

    python benchmarks/augment_speed.py [--seconds 60]

The audio is a rendered drum pattern (FluidR3 GM kit) looped to ``--seconds``; each figure
is the best of three runs.
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")          # one core
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from timing import best_of  # noqa: E402  (benchmarks/timing.py)

ROOT = Path(__file__).resolve().parents[1]




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    import soundfile

    from drumtabber.alignment import load_song
    from drumtabber.audio import load_audio
    from drumtabber.dataset.augment import apply_chain, load_chain
    from drumtabber.dataset.render import render_alignment
    from drumtabber.onset_table import onset_table
    from drumtabber.plugin_manager import PluginManager
    manager = PluginManager(entry_points=False)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        rendered = render_alignment(ROOT / "alignments" / "example_shuffle.toml", manager,
                                    kit="fluid-gm", out_wav=tmp / "one.wav")
        one, rate = load_audio(rendered.wav, sample_rate=44100)
        copies = int(np.ceil(args.seconds * rate / len(one)))
        samples = np.tile(one, copies)[:int(args.seconds * rate)]
        soundfile.write(tmp / "long.wav", samples, rate, subtype="FLOAT")
        song, _ = load_song(ROOT / "alignments" / "example_shuffle.toml", manager)
        times = np.concatenate([song.onsets["time"].to_numpy() + k * len(one) / rate
                                for k in range(copies)])
        onsets = onset_table([{"time": float(t), "instrument": "kick", "gm_note": 36,
                               "articulation": "", "velocity": 96}
                              for t in times[times < args.seconds]])
        baseline = best_of(lambda: load_audio(tmp / "long.wav", sample_rate=44100))
    print(f"{args.seconds:.0f} s of audio at {rate} Hz, one core, best of 3")
    print(f"{'run':<28}{'time':>9}{'real time':>12}{'vs loading':>12}")
    print(f"{'loading (baseline)':<28}{baseline:>8.3f}s{args.seconds / baseline:>11.0f}x"
          f"{1.0:>12.2f}")
    from drumtabber.audio.features import FeatureConfig, compute_features
    from drumtabber.components import augment_stage
    config = FeatureConfig()
    features = compute_features(samples, config)
    data = {"audio": (samples, rate), "features": (features, config.fps)}

    def row(label, took):
        print(f"{label:<28}{took:>8.3f}s{args.seconds / took:>11.0f}x{took / baseline:>12.2f}")

    def whole(chain, seed):
        for stage, (x, r) in data.items():
            apply_chain(chain, x, r, onsets, seed=seed, stage=stage)
    for name in ("seed", "realistic"):
        chain = load_chain(name, manager)
        # the mean over seeds: each seed applies a different share of the steps
        row(f"chain {name} (seeds 0-9)",
            best_of(lambda: [whole(chain, k) for k in range(10)]) / 10)
    names = sorted({s.augmenter.name for c in ("seed", "realistic")
                    for s in load_chain(c, manager).steps} | {"time-stretch", "room"})
    for name in names:                           # each one always applied
        augmenter = manager.get("augmenter", name)
        if augment_stage(augmenter) == "score":
            continue
        x, r = data[augment_stage(augmenter)]
        rng = np.random.default_rng(0)
        row(f"  {name}", best_of(lambda: augmenter.apply(x, r, onsets, rng,
                                                          augmenter.Options())))


if __name__ == "__main__":
    main()
