"""Transcription speed on one CPU core: file to onsets, as a multiple of real time, beside
loading the same audio (the baseline, same run), and where the time goes (features,
network, peak picking).

    python benchmarks/transcribe_speed.py [--model transcriber]

The audio: the four MDB Drums recordings of ``../shared/data/mdb-dev`` (real drums); each
figure is the best of three runs over all of them.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
             "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_var, "1")                     # one core

import argparse  # noqa: E402
from pathlib import Path  # noqa: E402

from timing import best_of  # noqa: E402  (benchmarks/timing.py)

MDB = Path(__file__).resolve().parents[2] / "shared" / "data" / "mdb-dev"




def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="transcriber")
    args = parser.parse_args()
    from drumtabber.audio.features import compute_features
    from drumtabber.audio.io import load_audio
    from drumtabber.models import load_onset_model
    from drumtabber.plugin_manager import PluginManager
    from drumtabber.transcribe import model_thresholds, transcribe_samples
    from drumtabber.transcribe.peaks import activations_to_onsets, class_instruments
    manager = PluginManager(entry_points=False)
    model = load_onset_model(args.model, manager)
    rate = model.features.sample_rate
    files = sorted(MDB.glob("*.wav"))
    audio = [load_audio(f, sample_rate=rate)[0] for f in files]
    seconds = sum(len(a) for a in audio) / rate
    model.activations(audio[0][:rate], rate)                  # first-call set-up
    features = [compute_features(a, model.features) for a in audio]
    activations = [model.feature_activations(f) for f in features]
    instruments = class_instruments(model.class_map, model.classes)
    thresholds = model_thresholds(model)
    runs = {
        "loading (baseline)": lambda: [load_audio(f, sample_rate=rate) for f in files],
        "file to onsets": lambda: [transcribe_samples(load_audio(f, sample_rate=rate)[0],
                                                      rate, model) for f in files],
        "  features": lambda: [compute_features(a, model.features) for a in audio],
        "  network": lambda: [model.feature_activations(f) for f in features],
        "  peak picking": lambda: [activations_to_onsets(a, model.features.fps, model.classes,
                                                         instruments, thresholds)
                                   for a in activations],
    }
    print(f"{len(files)} recordings, {seconds:.0f} s, one core, best of 3")
    print(f"{'run':<22}{'time':>9}{'real time':>12}{'vs loading':>12}")
    baseline = None
    for name, fn in runs.items():
        took = best_of(fn)
        baseline = baseline or took
        print(f"{name:<22}{took:>8.3f}s{seconds / took:>11.0f}x{took / baseline:>12.2f}")


if __name__ == "__main__":
    main()
