"""The gated levels (dBFS, :func:`drumtabber.audio.features.gated_level_db`) of training
renders: Groove train-split performances rendered as `train` renders them (each with a kit
drawn from the list, at a level drawn from GAIN_RANGE, through the chain), against the
recordings of a folder.  A model's ``features.level_db`` -- the level every recording is
brought to before its features -- is the median of the renders its networks trained on.

    python benchmarks/render_levels.py [--files 40] [--chain training] [--kits K1,K2,...]
        [--recordings ../shared/data/mdb-dev]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from drumtabber.audio.features import FeatureConfig, gated_level_db
from drumtabber.audio.io import load_audio
from drumtabber.dataset.augment import load_chain
from drumtabber.dataset.examples import list_performances, render_example
from drumtabber.models.train import GAIN_RANGE, MODEL_FEATURES
from drumtabber.plugin_manager import get_plugin_manager

ROOT = Path(__file__).resolve().parents[1]
TRAIN_KITS = ("fluid-gm,timgm6mb,musescore-lite,avl-black-pearl,avl-red-zeppelin,h2-audiophob,"
              "h2-bja-pacific,h2-forzee-stereo-drumkit,h2-black-pearl,h2-millo-drums,"
              "h2-millo-multilayered2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=20.0)
    parser.add_argument("--chain", default="training")
    parser.add_argument("--kits", default=TRAIN_KITS)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--groove", type=Path, default=ROOT.parent / "shared/data/groove-midi")
    parser.add_argument("--recordings", type=Path, default=ROOT.parent / "shared/data/mdb-dev")
    args = parser.parse_args()
    manager = get_plugin_manager(())
    scheme = manager.get("class_map", "onsets")
    features = FeatureConfig(**MODEL_FEATURES)
    chain = load_chain(args.chain, manager) if args.chain else None
    kits = args.kits.split(",")
    rng = np.random.default_rng(args.seed)
    levels = []
    for k, row in enumerate(list_performances(args.groove, manager, n=args.files)):
        ex = render_example(row["midi_path"], str(rng.choice(kits)), scheme, scheme.Options(),
                            features, manager=manager, max_seconds=args.max_seconds,
                            gain=float(rng.uniform(*GAIN_RANGE)), chain=chain, seed=k,
                            keep_samples=True)
        levels.append(gated_level_db(ex.samples, features.sample_rate))
    pct = np.percentile(levels, [0, 10, 50, 90, 100])
    print(f"{len(levels)} renders ({args.chain or 'no chain'}): gated level dBFS min "
          f"{pct[0]:.1f}, 10% {pct[1]:.1f}, median {pct[2]:.1f}, 90% {pct[3]:.1f}, "
          f"max {pct[4]:.1f}")
    for wav in sorted(args.recordings.glob("*.wav")):
        samples, rate = load_audio(wav)
        print(f"{wav.name}: {gated_level_db(samples, rate):.1f} dBFS")


if __name__ == "__main__":
    main()
