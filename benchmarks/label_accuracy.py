"""Label accuracy on Groove MIDI performances, before and after ``--refine``.

For each performance of the Groove MIDI Dataset's test split (CC BY 4.0, Gillick et al.,
ICML 2019; ../shared/data/groove-midi): render the performed MIDI with a sampled kit (the
truth: where each note sounds), write the quantised tab and its tempo as a tab + alignment
file (BPM from the MIDI, first note at the first audible hit, as a person would mark it),
align, and compare the labels with the truth per instrument: median |error| of matched labels
and F-measure at 20 ms and 50 ms (mir_eval.util.match_events).  Then refine the labels on the
audio and compare again.  Baseline in the same run: the labels before refinement.

Target after refinement: median |error| <= 5 ms and F(20 ms) >= 0.95.

    python benchmarks/label_accuracy.py [--files 10] [--kit avl-black-pearl] [--split test]
"""
from __future__ import annotations

import argparse
import csv
import tempfile
from fractions import Fraction
from pathlib import Path

import numpy as np

GROOVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove-midi"
WINDOWS_S = (0.020, 0.050)


def pick_files(root: Path, split: str, n: int, max_seconds: float) -> list[dict]:
    with open(root / "info.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["split"] == split
                and r["beat_type"] == "beat" and r["time_signature"] == "4-4"
                and float(r["duration"]) <= max_seconds]
    rows.sort(key=lambda r: r["id"])
    step = max(1, len(rows) // n)               # spread over drummers and styles
    return rows[::step][:n]


def performed_score(result):
    """The quantised score's bars with each hit moved to its performed time."""
    from drumtabber.score import Event, Score
    tm = result.tempo_map
    events = []
    for e, t in zip(result.score.events, result.performed_s):
        bar, beat = tm.seconds_to_beats(Fraction(repr(t)))
        bar = min(bar, len(result.score.bars) - 1)
        events.append(Event(bar, beat if beat >= 0 else Fraction(0), e.instrument,
                            e.articulations, e.velocity))
    return Score(bars=list(result.score.bars), events=events)


def evaluate(truth: dict, labels: dict) -> dict:
    """Micro-averaged F at each window and median |error| of the 50 ms matches."""
    import mir_eval
    out, errors = {}, []
    n_ref = sum(len(v) for v in truth.values())
    n_est = sum(len(v) for v in labels.values())
    for window in WINDOWS_S:
        hits = 0
        for inst, ref in truth.items():
            est = labels.get(inst, np.zeros(0))
            pairs = mir_eval.util.match_events(np.asarray(ref), np.asarray(est), window)
            hits += len(pairs)
            if window == WINDOWS_S[-1]:
                errors += [abs(ref[i] - est[j]) for i, j in pairs]
        out[f"F{int(window * 1000)}"] = 2 * hits / (n_ref + n_est) if n_ref + n_est else 0.0
    out["median_ms"] = float(np.median(errors) * 1000) if errors else float("inf")
    return out


def by_instrument(times, instruments) -> dict:
    out: dict[str, list] = {}
    for t, inst in zip(times, instruments):
        out.setdefault(inst, []).append(float(t))
    return {k: np.sort(v) for k, v in out.items()}


def run_one(info: dict, kit: str, tmp: Path, manager) -> tuple[dict, dict, dict]:
    from drumtabber.align import align, load_alignment
    from drumtabber.audio import load_audio
    from drumtabber.autoalign import refine_labels
    from drumtabber.check import band_onset_envelopes, fine_onset_envelope, onset_activation
    from drumtabber.score import Instrument
    from drumtabber.plugins.ascii_tab import write_tab
    from drumtabber.plugins.gm_midi import read_midi
    from drumtabber.render import render_audio, rendered_onsets, score_to_midi

    result = read_midi(GROOVE / info["midi_filename"])
    midi, rows = score_to_midi(performed_score(result), result.tempo_map, kit=kit)
    wav = render_audio(midi, kit, sample_rate=44100, out_path=tmp / "song.wav")
    truth_rows = rendered_onsets(midi, rows, 44100)
    truth = by_instrument([r["time"] for r in truth_rows], [r["instrument"] for r in truth_rows])
    (tmp / "song.txt").write_text(write_tab(result.score, dropped=[]))
    first = min(r["time"] for r in truth_rows)
    bpm = 60.0 / (float(result.tempo_map.quarters_to_seconds(1))
                  - float(result.tempo_map.quarters_to_seconds(0)))
    (tmp / "song.toml").write_text(
        f'tab = "song.txt"\n[audio]\nfile = "song.wav"\n[tempo]\nbpm = {bpm:.4f}\n'
        f"first_note_s = {first:.3f}\n")
    alignment, _ = load_alignment(tmp / "song.toml")
    aligned = align(alignment, manager)
    label_times = np.array([r["time"] for r in aligned.rows])
    instruments = [r["instrument"] for r in aligned.rows]
    before = evaluate(truth, by_instrument(label_times, instruments))
    samples, rate = load_audio(wav, sample_rate=44100)
    refined = refine_labels(label_times, aligned.tempo_map, onset_activation(samples, rate),
                            fine=fine_onset_envelope(samples, rate),
                            families=[Instrument(i).family for i in instruments],
                            bands=band_onset_envelopes(samples, rate))
    after = evaluate(truth, by_instrument(refined.times, instruments))
    after["accepted"] = refined.accepted
    return before, after, {"labels": len(label_times), "truth": len(truth_rows)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--kit", default="avl-black-pearl")
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    args = parser.parse_args()
    from drumtabber.plugin_manager import PluginManager
    manager = PluginManager(entry_points=False)
    files = pick_files(GROOVE, args.split, args.files, args.max_seconds)
    print(f"{len(files)} {args.split}-split beats, kit {args.kit}")
    print(f"{'file':<44}{'labels':>7} | {'before: med ms':>14}{'F20':>6}{'F50':>6} | "
          f"{'after: med ms':>13}{'F20':>6}{'F50':>6}")
    totals = {"before": [], "after": []}
    for info in files:
        with tempfile.TemporaryDirectory() as tmp:
            before, after, n = run_one(info, args.kit, Path(tmp), manager)
        totals["before"].append(before)
        totals["after"].append(after)
        print(f"{info['id']:<44}{n['labels']:>7} | {before['median_ms']:>14.1f}"
              f"{before['F20']:>6.2f}{before['F50']:>6.2f} | {after['median_ms']:>13.1f}"
              f"{after['F20']:>6.2f}{after['F50']:>6.2f}"
              + ("" if after["accepted"] else "  (refinement rejected)"))
    for name in ("before", "after"):
        rows = totals[name]
        print(f"{name:>6}: median |error| {np.median([r['median_ms'] for r in rows]):.1f} ms, "
              f"mean F20 {np.mean([r['F20'] for r in rows]):.3f}, "
              f"mean F50 {np.mean([r['F50'] for r in rows]):.3f}")
    after = totals["after"]
    met = (np.median([r["median_ms"] for r in after]) <= 5.0
           and np.mean([r["F20"] for r in after]) >= 0.95)
    print(f"target after refinement (median <= 5 ms, F20 >= 0.95): {'MET' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
