"""Per-class peak-picking thresholds tuned on rendered validation performances (never on the
recordings a model is measured on): for each class the threshold with the best F-measure at
50 ms, summed over the performances, stored in the model folder."""
from __future__ import annotations

import json

import numpy as np

from .evaluate import Counts, match_pairs
from .peaks import pick_peaks

CANDIDATES = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2))
WINDOW_S = 0.05


def tune_thresholds(model, examples) -> dict[str, dict]:
    """``examples``: training examples, read once (features with the model's settings,
    onsets with a ``class``; the audio, where kept, is heard as a recording is: every view
    of the model).  Per class: the chosen threshold and its F-measure, and the F at 0.5."""
    fps = model.features.fps
    counts = {c: {t: Counts() for t in CANDIDATES} for c in model.classes}
    for ex in examples:
        activations = (model.feature_activations(ex.features) if ex.samples is None else
                       model.activations(ex.samples, model.features.sample_rate))
        for k, name in enumerate(model.classes):
            ref = ex.onsets["time"][ex.onsets["class"] == name].to_numpy()
            for t in CANDIDATES:
                est = pick_peaks(activations[:, k], fps, t)[0]
                counts[name][t].add(Counts(len(match_pairs(ref, est, WINDOW_S)), len(ref),
                                           len(est)))
    out = {}
    for name, by_threshold in counts.items():
        scores = {t: c.scores()["f"] for t, c in by_threshold.items()}
        best = max(scores, key=lambda t: (round(scores[t], 4), -abs(t - 0.5)))
        out[name] = {"threshold": float(best), "f": scores[best], "f_at_0.5": scores[0.5],
                     "reference_onsets": by_threshold[best].n_ref}
    return out


def store_thresholds(model_dir, tuned: dict[str, dict], facts: dict, views: int = 1) -> None:
    """Write the thresholds (and how they were tuned, and the model's ``views`` they were
    tuned with) into the model's ``model.json``."""
    from ..models import META
    from ..outputs import output_files
    path = model_dir / META
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.setdefault("info", {})["thresholds"] = {c: v["threshold"] for c, v in tuned.items()}
    meta["info"]["threshold_tuning"] = {**facts, "classes": tuned}
    meta["views"] = views
    with output_files(path) as (part,):
        part.write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
