"""Where a transcriber's errors are on recordings with MDB Drums-style annotations: per track
and class (ADTOF's five), the false onsets (50 ms, mir_eval's matching) with the
instrument of the annotated stroke nearest each (``*_subclass.txt``: OHH, CHH, CRC, KD, ...;
"none" when no stroke lies within 50 ms), and the missed strokes by their instrument; and
the median of the model's hi-hat activation (its peak within 3 frames) at the annotated
hi-hats and at the kicks with no hi-hat annotated within 50 ms.

    python benchmarks/transcription_errors.py [--model transcriber] [--folder DIR]
"""
from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

import numpy as np

from drumtabber.audio.io import load_audio
from drumtabber.classes import map_onset_rows
from drumtabber.models import load_onset_model
from drumtabber.plugin_manager import get_plugin_manager
from drumtabber.transcribe import transcribe_samples
from drumtabber.transcribe.evaluate import annotation_onsets, find_tracks, match_pairs
from drumtabber.transcribe.peaks import map_transcription

WINDOW_S = 0.05


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transcriber")
    parser.add_argument("--folder", type=Path,
                        default=Path(__file__).resolve().parents[2] / "shared/data/mdb-dev")
    args = parser.parse_args()
    manager = get_plugin_manager(())
    model = load_onset_model(args.model, manager)
    scheme = manager.get("class_map", "adtof")
    options = scheme.Options()
    for audio, reference in find_tracks(args.folder, manager):
        sub = reference.with_name(reference.name.replace("_class", "_subclass"))
        strokes = ([line.split()[:2] for line in sub.read_text().splitlines() if line.strip()]
                   if sub.is_file() else [])
        times = np.array([float(t) for t, _ in strokes])

        def nearest(t: float) -> str:
            if not len(times):
                return "?"
            k = int(np.argmin(np.abs(times - t)))
            return strokes[k][1] if abs(times[k] - t) < WINDOW_S else "none"
        ref = map_onset_rows(scheme, annotation_onsets(reference, "auto")[0], options)
        samples, rate = load_audio(audio, sample_rate=model.features.sample_rate)
        est = map_transcription(scheme, transcribe_samples(samples, rate, model), options)
        print(audio.stem)
        hats = times[[s in ("CHH", "OHH", "PHH") for _, s in strokes]] if len(times) else times
        kicks = [t for t, (_, s) in zip(times, strokes)
                 if s == "KD" and not (len(hats) and np.min(np.abs(hats - t)) < WINDOW_S)]
        if "hihat" in model.classes and len(hats):
            act = model.activations(samples, rate)[:, model.classes.index("hihat")]

            def peak(t: float) -> float:
                f = int(round(t * model.features.fps))
                return float(act[max(0, f - 3):f + 4].max())
            lone = f"{np.median([peak(t) for t in kicks]):.2f}" if kicks else "-"
            print(f"  hi-hat activation: median {np.median([peak(t) for t in hats]):.2f} at "
                  f"{len(hats)} hi-hats, {lone} at {len(kicks)} kicks without one")
        for c in sorted(set(ref["class"]) | set(est["class"])):
            r = np.sort(ref.loc[ref["class"] == c, "time"].to_numpy())
            e = np.sort(est.loc[est["class"] == c, "time"].to_numpy())
            pairs = match_pairs(r, e, WINDOW_S)
            hit_r, hit_e = {i for i, _ in pairs}, {j for _, j in pairs}
            false = Counter(nearest(t) for j, t in enumerate(e) if j not in hit_e)
            missed = Counter(nearest(t) for i, t in enumerate(r) if i not in hit_r)
            print(f"  {c:6s} false {sum(false.values()):3d} near {dict(false.most_common())}"
                  f"   missed {sum(missed.values()):3d} {dict(missed.most_common())}")


if __name__ == "__main__":
    main()
