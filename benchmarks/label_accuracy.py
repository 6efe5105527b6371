"""Label accuracy on Groove MIDI performances, before and after ``--refine``.

For each performance of the Groove MIDI Dataset's test split (CC BY 4.0, Gillick et al.,
ICML 2019; ../shared/data/groove-midi): render the performed MIDI with a sampled kit (the
truth: where each note sounds), write the quantised tab and its tempo as a tab + alignment
file (BPM from the MIDI, first note at the first audible hit, as a person would mark it),
align, and compare the labels with the truth per instrument: median |error| of matched labels
and F-measure at 20 ms and 50 ms (drumtabber.transcribe.evaluate, as `evaluate` scores).  Then refine the labels on the
audio and compare again.  Baseline in the same run: the labels before refinement.

Target after refinement: median |error| <= 5 ms and F(20 ms) >= 0.95.

    python benchmarks/label_accuracy.py [--files 10] [--kit avl-black-pearl] [--split test]
    python benchmarks/label_accuracy.py --whole [--split validation]   # every file of a split

``--whole`` takes every performance of the split: beats and fills, full length, every tempo
and meter it holds.  Besides the mean over files, the F-measures pooled over every onset of
the run are printed.
"""
from __future__ import annotations

import argparse
import tempfile
import zlib
from pathlib import Path

import numpy as np

GROOVE = Path(__file__).resolve().parents[2] / "shared" / "data" / "groove-midi"
WINDOWS_S = (0.020, 0.050)


def evaluate(truth: dict, labels: dict) -> dict:
    """Micro-averaged F at each window, median |error| of the 50 ms matches, and per
    instrument the 20 ms hits and the numbers of true and estimated onsets."""
    from drumtabber.transcribe.evaluate import match_pairs
    out, errors = {"by_instrument": {}}, []
    n_ref = sum(len(v) for v in truth.values())
    n_est = sum(len(v) for v in labels.values())
    for window in WINDOWS_S:
        hits = 0
        for inst, ref in truth.items():
            ref, est = np.sort(ref), np.sort(labels.get(inst, np.zeros(0)))
            pairs = match_pairs(ref, est, window)       # the field's scoring (evaluate)
            hits += len(pairs)
            if window == WINDOWS_S[0]:
                out["by_instrument"][inst] = (len(pairs), len(ref), len(est))
            if window == WINDOWS_S[-1]:
                errors += [abs(ref[i] - est[j]) for i, j in pairs]
        out[f"F{int(window * 1000)}"] = 2 * hits / (n_ref + n_est) if n_ref + n_est else 0.0
        out[f"pooled_F{int(window * 1000)}"] = [(hits, n_ref, n_est)]
    out["median_ms"] = float(np.median(errors) * 1000) if errors else float("inf")
    return out


def by_instrument(times, instruments) -> dict:
    out: dict[str, list] = {}
    for t, inst in zip(times, instruments):
        out.setdefault(inst, []).append(float(t))
    return {k: np.sort(v) for k, v in out.items()}


def backing_midi(seconds: float, bpm: float, seed: int):
    """A band without drums, as General MIDI: a chord per bar on piano (program 0) and strings
    (48), the root and fifth on distorted guitar (30) every beat, eighth notes on bass (33),
    with a little human timing."""
    import mido
    rng = np.random.default_rng(seed)
    tpq = 480
    events = []

    def note(t, channel, key, length, velocity):
        events.append((max(0, t), "note_on", channel, key, velocity))
        events.append((max(0, t) + length - 10, "note_off", channel, key, 0))

    for bar in range(int(seconds * bpm / 60 / 4) + 1):
        root = 40 + int(rng.integers(0, 12))
        for beat in range(4):
            t = (bar * 4 + beat) * tpq
            for key in (root + 12, root + 19):
                note(t + int(rng.normal(0, 15)), 2, key, tpq, int(rng.integers(70, 100)))
            for half in (0, 1):
                note(t + half * tpq // 2, 1, root + (7 if beat == 3 and half else 0), tpq // 2, 90)
            if beat % 2 == 0:
                for key in (root + 12, root + 16, root + 19):
                    note(t + int(rng.normal(0, 15)), 0, key, 2 * tpq, int(rng.integers(60, 90)))
        for key in (root + 24, root + 28, root + 31):
            note(bar * 4 * tpq, 3, key, 4 * tpq, 60)
    mid = mido.MidiFile(ticks_per_beat=tpq)
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=int(round(60e6 / bpm))))
    for channel, program in ((0, 0), (1, 33), (2, 30), (3, 48)):
        track.append(mido.Message("program_change", channel=channel, program=program))
    now = 0
    for t, kind, channel, key, velocity in sorted(events):
        track.append(mido.Message(kind, channel=channel, note=key, velocity=velocity,
                                  time=t - now))
        now = t
    return mid


def mix_backing(wav: Path, bpm: float, level: float, seed: int, manager) -> None:
    """Mix a band (:func:`backing_midi`, FluidR3 GM) under the drums of ``wav`` at ``level``
    times the drums' RMS."""
    import soundfile
    from drumtabber.audio import load_audio
    from drumtabber.audio.render import get_kit
    drums, rate = load_audio(wav)
    band_wav = get_kit(manager, "fluid-gm", installed=True).render(
        backing_midi(len(drums) / rate + 1, bpm, seed), sample_rate=rate,
        out_path=wav.with_name("band.wav"))
    band, _ = load_audio(band_wav, sample_rate=rate)
    band = np.pad(band, (0, max(0, len(drums) - len(band))))[:len(drums)]
    band *= level * np.sqrt(np.mean(drums ** 2)) / max(1e-9, float(np.sqrt(np.mean(band ** 2))))
    mix = drums + band
    soundfile.write(wav, mix / max(1.0, float(np.abs(mix).max())), rate, subtype="FLOAT")


def run_one(info: dict, kit: str, tmp: Path, manager, onset_model=None, drop_share: float = 0.0,
            backing: float = 0.0) -> tuple[dict, dict, dict]:
    from drumtabber.alignment import load_song
    from drumtabber.alignment.refine import refine_onsets
    from drumtabber.audio import load_audio
    from drumtabber.dataset.examples import performance_case

    truth = performance_case(info["midi_path"], kit, tmp, manager, drop_share=drop_share,
                             seed=zlib.crc32(info["id"].encode()))
    wav = tmp / "song.wav"
    if backing:
        mix_backing(wav, float(info["bpm"]), backing, seed=zlib.crc32(info["id"].encode()),
                    manager=manager)
    song, findings = load_song(tmp / "song.toml", manager)
    if song is None:
        raise SystemExit(f"{info['id']}: " + "; ".join(f.format() for f in findings))
    label_times = song.onsets["time"].to_numpy()
    instruments = list(song.onsets["instrument"])
    before = evaluate(truth, by_instrument(label_times, instruments))
    samples, rate = load_audio(wav, sample_rate=44100)
    # the generic onsets, the fine envelope, the family bands and the model's placement
    refined, _ = refine_onsets(song.onsets, song.tempo_map, samples, rate, model=onset_model)
    after = evaluate(truth, by_instrument(refined.times, instruments))
    after["accepted"] = refined.accepted
    return before, after, {"labels": len(label_times)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=10)
    parser.add_argument("--whole", action="store_true",
                        help="every performance of the split: beats and fills, any length, "
                        "tempo and meter")
    parser.add_argument("--kit", default="avl-black-pearl")
    parser.add_argument("--split", default="test")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--drop-share", type=float, default=0.0,
                        help="leave this share of the notes (at random) out of the tab; the "
                        "labels of the rest are compared with their performed times")
    parser.add_argument("--backing", type=float, default=0.0,
                        help="mix a band without drums (piano, bass, guitar, strings) under the "
                        "drums at this many times their RMS level (0: drums alone)")
    parser.add_argument("--model", default="bundled",
                        help="onset model folder for the refinement, 'bundled' or 'none'")
    args = parser.parse_args()
    from drumtabber.dataset.examples import list_performances
    from drumtabber.models.onset_model import load_onset_model
    from drumtabber.plugin_manager import PluginManager
    manager = PluginManager(entry_points=False)
    onset_model = None
    if args.model != "none":
        onset_model = load_onset_model(args.model, manager)
    if args.whole:
        files = list_performances(GROOVE, manager, split=args.split)
    else:
        files = list_performances(GROOVE, manager, split=args.split, n=args.files, kind="beat",
                                  meter="4/4", max_seconds=args.max_seconds)
    print(f"{len(files)} {args.split}-split {'performances' if args.whole else 'beats'}, "
          f"kit {args.kit}, onset model: "
          f"{onset_model.path if onset_model else 'none'}")
    print(f"{'file':<44}{'labels':>7} | {'before: med ms':>14}{'F20':>6}{'F50':>6} | "
          f"{'after: med ms':>13}{'F20':>6}{'F50':>6}")
    totals = {"before": [], "after": []}
    failed = []
    for info in files:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                before, after, n = run_one(info, args.kit, Path(tmp), manager, onset_model,
                                           args.drop_share, args.backing)
            except SystemExit as exc:          # a performance the toolkit cannot label
                failed.append(f"{info['id']}: {exc}")
                print(f"{info['id']:<44} FAILED: {exc}")
                continue
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
    for name in ("before", "after"):
        pooled = {}
        for window in ("F20", "F50"):
            hits = refs = ests = 0
            for r in totals[name]:
                for h, nr, ne in r[f"pooled_{window}"]:
                    hits, refs, ests = hits + h, refs + nr, ests + ne
            pooled[window] = 2 * hits / (refs + ests) if refs + ests else 0.0
        print(f"{name:>6}, pooled over every onset: F20 {pooled['F20']:.3f}, "
              f"F50 {pooled['F50']:.3f}")
    if failed:
        print(f"{len(failed)} performance(s) could not be labelled: " + "; ".join(failed))
    counts: dict[str, np.ndarray] = {}
    for r in totals["after"]:
        for inst, c in r["by_instrument"].items():
            counts[inst] = counts.get(inst, np.zeros(3)) + c
    print("after, per instrument: F20 (true onsets): " + ", ".join(
        f"{inst} {2 * h / (n + e):.2f} ({int(n)})" for inst, (h, n, e) in
        sorted(counts.items(), key=lambda kv: -kv[1][1])))
    after = totals["after"]
    met = (np.median([r["median_ms"] for r in after]) <= 5.0
           and np.mean([r["F20"] for r in after]) >= 0.95)
    print(f"target after refinement (median <= 5 ms, F20 >= 0.95): {'MET' if met else 'NOT MET'}")


if __name__ == "__main__":
    main()
