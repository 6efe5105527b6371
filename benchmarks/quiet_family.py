"""How a transcriber's recall of one class holds up as its drum family is mixed lower: Groove
validation performances rendered with the two held-out kits, the family turned down by each
gain (a mixed kit ``mix:KIT,FAMILY=KIT:DB``), the class's activation at each of its strokes
(the highest within 2 frames) and the share at or above the model's threshold for it.

    python benchmarks/quiet_family.py MODEL [--family hihat] [--class hihat]
           [--gains 0,-6,-12,-18] [--files 16] [--threshold T]

A recording mixed with its hi-hat far from the microphones (MDB Drums' Zeppelin track) is
the case; the renders are made anew each run (one kit per file, alternating).
"""
from __future__ import annotations

import argparse

import numpy as np

from held_out_kits import GROOVE, HELD_OUT_KITS  # benchmarks/held_out_kits.py

WINDOW_FRAMES = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--family", default="hihat")
    parser.add_argument("--class", dest="cls", default="hihat")
    parser.add_argument("--gains", default="0,-6,-12,-18")
    parser.add_argument("--files", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=20.0)
    parser.add_argument("--threshold", type=float, default=None,
                        help="default: the model's tuned threshold for the class, else 0.35")
    args = parser.parse_args()
    from drumtabber.dataset.examples import list_performances, render_example
    from drumtabber.models import load_onset_model
    from drumtabber.plugin_manager import PluginManager
    manager = PluginManager(entry_points=False)
    model = load_onset_model(args.model, manager)
    column = model.classes.index(args.cls)
    threshold = (args.threshold if args.threshold is not None
                 else model.info.get("thresholds", {}).get(args.cls, 0.35))
    rows = list_performances(GROOVE, manager, split="validation", n=args.files)
    for db in (float(g) for g in args.gains.split(",")):
        peaks = []
        for n, row in enumerate(rows):
            kit = HELD_OUT_KITS[n % len(HELD_OUT_KITS)]
            name = kit if db == 0 else f"mix:{kit},{args.family}={kit}:{db:g}"
            ex = render_example(row["midi_path"], name, model.class_map, None, model.features,
                                manager=manager, max_seconds=args.max_seconds, seed=n)
            act = model.predict(ex.features)[:, column]
            times = ex.onsets.loc[ex.onsets["class"] == args.cls, "time"].to_numpy()
            frames = np.round(times * model.features.fps).astype(int)
            peaks += [act[max(0, f - WINDOW_FRAMES):f + WINDOW_FRAMES + 1].max()
                      for f in frames if f < len(act)]
        peaks = np.asarray(peaks)
        print(f"{args.family} {db:+5.0f} dB: {len(peaks)} {args.cls} strokes, activation "
              f"median {np.median(peaks):.2f}, recall at {threshold:g} "
              f"{np.mean(peaks >= threshold):.3f}", flush=True)


if __name__ == "__main__":
    main()
