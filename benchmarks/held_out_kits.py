"""How transcription models score on the held-out kits, without writing to them: Groove's
validation performances rendered with the two acoustic kits no shipped network trained on,
through the `realistic` chain (as `make transcriber` tunes the thresholds), the best F50
per class over the candidate thresholds and the mean over classes -- the figure the shipped
model is chosen by (docs/models.md).

    python benchmarks/held_out_kits.py MODEL... [--files 30] [--max-seconds 30]

The renders are kept in build/held-out-renders/ (the first run renders them, minutes; each
model after that costs its networks' time alone); remove that folder after a change to the
renderer, the kits or the chain.  Models with more than one view need the audio, so they
are scored by `drumtabber-data tune-thresholds` instead.
"""
from __future__ import annotations

import argparse
import hashlib
import pickle
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROOVE = ROOT.parent / "shared" / "data" / "groove-midi"
HELD_OUT_KITS = ("h2-colomboacousticdrumkit", "h2-millo-multilayered3")
CHAIN = "realistic"


def held_out_examples(model, manager, files: int, max_seconds: float) -> list:
    """The renders (features of the model's settings and the onsets), cached by what they
    depend on."""
    from drumtabber.dataset.augment import load_chain
    from drumtabber.dataset.examples import list_performances, render_example
    settings = hashlib.sha1(repr(model.features).encode()).hexdigest()[:8]
    cache = (ROOT / "build" / "held-out-renders"
             / f"{files}-files-{max_seconds:g}s-{CHAIN}-{settings}.pkl")
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    chain = load_chain(CHAIN, manager)
    examples = []
    for n, row in enumerate(list_performances(GROOVE, manager, split="validation", n=files)):
        for kit in HELD_OUT_KITS:           # as `tune-thresholds` renders them (seed = n)
            ex = render_example(row["midi_path"], kit, model.class_map, None, model.features,
                                manager=manager, max_seconds=max_seconds, chain=chain, seed=n)
            examples.append((ex.features, ex.onsets[["time", "class"]].copy()))
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(examples))
    return examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--max-seconds", type=float, default=30.0)
    args = parser.parse_args()
    from drumtabber.dataset.examples import Example
    from drumtabber.models import load_onset_model
    from drumtabber.plugin_manager import PluginManager
    from drumtabber.transcribe.tune import tune_thresholds
    manager = PluginManager(entry_points=False)
    for name in args.models:
        model = load_onset_model(name, manager)
        if model.views != 1:
            raise SystemExit(f"{name}: {model.views} views; score it with tune-thresholds")
        examples = [Example("", f, None, onsets) for f, onsets in
                    held_out_examples(model, manager, args.files, args.max_seconds)]
        tuned = tune_thresholds(model, examples)
        mean = sum(t["f"] for t in tuned.values()) / len(tuned)
        print(f"{name}: mean F50 {mean:.4f} over {len(tuned)} classes, {len(examples)} renders "
              f"({args.files} files x {len(HELD_OUT_KITS)} held-out kits, {CHAIN})")
        for c, t in tuned.items():
            print(f"  {c:12s} F50 {t['f']:.3f} at {t['threshold']:.2f} "
                  f"({t['reference_onsets']} onsets)")


if __name__ == "__main__":
    main()
