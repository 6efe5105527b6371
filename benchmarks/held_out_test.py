"""Transcription models scored as `evaluate` scores recordings, on renders no network or
threshold has seen: performances of Groove's **test** split (never trained or tuned on)
played by the two held-out acoustic kits through the `realistic` chain, with each model's own
stored thresholds -- per class, summed and mean F at 50 and 30 ms in ADTOF's five classes,
the figures `drumtabber-data evaluate ../shared/data/mdb-dev` gives on real drums.

    python benchmarks/held_out_test.py MODEL... [--files 40] [--max-seconds 30] [--draw 1]

`--draw 2` (3, ...) takes another set of as many performances, none of them in draw 1 (the
performance after each of draw 1's in the split's order), rendered with other seeds: a second
test set for a choice made on the first.

The renders are written once to build/held-out-test/ as recordings with `time<TAB>GM note`
annotation files (the first run renders them, minutes), then each model is scored there by
`drumtabber-data evaluate` (remove the folder after a change to the renderer, the kits or the
chain).  The figure `benchmarks/held_out_kits.py` prints differs: it tunes each model's
thresholds on validation renders and scores on those same renders (the figure a model is
chosen by); this one measures a model as it ships.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from held_out_kits import CHAIN, GROOVE, HELD_OUT_KITS, ROOT  # benchmarks/held_out_kits.py

SEED_BASE = 5000          # the chain's seeds, apart from those of the validation renders


def render_test_set(folder: Path, files: int, max_seconds: float, draw: int = 1) -> int:
    """Write the renders and their annotations into ``folder`` (once); the number of
    recordings."""
    done = folder / "done.json"
    if done.is_file():
        return json.loads(done.read_text(encoding="utf-8"))["recordings"]
    from drumtabber.audio.io import write_render
    from drumtabber.dataset.augment import load_chain
    from drumtabber.dataset.examples import list_performances, render_example
    from drumtabber.audio.features import FeatureConfig
    from drumtabber.plugin_manager import PluginManager
    manager = PluginManager(entry_points=False)
    chain = load_chain(CHAIN, manager)
    scheme = manager.get("class_map", "onsets")
    config = FeatureConfig()
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    rows = list_performances(GROOVE, manager, split="test")
    if (draw - 1) * files + files > len(rows):
        raise SystemExit(f"the test split has {len(rows)} performances: no draw {draw} of "
                         f"{files}")
    for k in range(files):
        row = rows[k * len(rows) // files + draw - 1]
        for kit in HELD_OUT_KITS:
            ex = render_example(row["midi_path"], kit, scheme, None, config, manager=manager,
                                max_seconds=max_seconds, chain=chain,
                                seed=SEED_BASE + 1000 * (draw - 1) + k,
                                keep_samples=True)
            name = f"{row['id'].replace('/', '_')}_{kit}"
            write_render(folder / f"{name}.wav", ex.samples, config.sample_rate)
            lines = [f"{t:.6f}\t{g}" for t, g in zip(ex.onsets["time"], ex.onsets["gm_note"])]
            (folder / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
            n += 1
    done.write_text(json.dumps({"recordings": n, "files": files, "max_seconds": max_seconds,
                                "kits": HELD_OUT_KITS, "chain": CHAIN}), encoding="utf-8")
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    parser.add_argument("--draw", type=int, default=1)
    args = parser.parse_args()
    folder = (ROOT / "build" / "held-out-test" / f"{args.files}-files-{args.max_seconds:g}s"
              f"{'' if args.draw == 1 else f'-draw{args.draw}'}")
    n = render_test_set(folder, args.files, args.max_seconds, args.draw)
    print(f"{n} renders: {args.files} test-split files (draw {args.draw}) x {len(HELD_OUT_KITS)} held-out kits, "
          f"first {args.max_seconds:g} s, chain {CHAIN}")
    cli = Path(sys.executable).with_name("drumtabber-data")
    for model in args.models:
        out = subprocess.run([str(cli), "evaluate", str(folder), "--model", model,
                              "--vocabulary", "gm", "--format", "json"],
                             capture_output=True, text=True, check=True)
        result = json.loads(out.stdout)
        for window in ("50ms", "30ms"):
            s = result[window]
            per_class = " ".join(f"{c} {v['f']:.3f}" for c, v in s["classes"].items())
            print(f"{model} {window}: sum F {s['sum']['f']:.3f} mean F {s['mean']['f']:.3f} "
                  f"({per_class})")


if __name__ == "__main__":
    main()
