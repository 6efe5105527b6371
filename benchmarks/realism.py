"""How close rendered drums come to recorded ones, with and without an augmentation chain.

    python benchmarks/realism.py [--files 6] [--seconds 20] [--chains none,realistic,seed]

Groove MIDI test-split performances are rendered with every installed kit (first
``--seconds`` of each), put through each chain (score and audio steps) and compared with
the real drum recordings of ``../shared/data/mdb-dev`` on three descriptors:

- spectrum: the mean absolute difference (dB) of the long-term average spectrum on 40 mel
  bands, each normalised to its own mean level (timbre, EQ);
- tail: the level 100 ms after each stroke against the level at the stroke (dB), median
  over strokes (room, reverb; dry sampled kits decay fast);
- crest: peak over RMS level (dB) of each file (dynamics, compression).

The baseline is the same renders without a chain, in the same run.  Each row also gives
each chain's single steps (probability 1), so the choice of steps can be read off.  The
band of ``background-noise`` is left out of the measurement: the recordings are drums
only, and the band is there for songs.
"""
from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
RATE = 44100
N_MELS = 40
TAIL_S = 0.1


def describe(samples: np.ndarray, onset_times) -> dict:
    import librosa
    mel = librosa.feature.melspectrogram(y=samples, sr=RATE, n_fft=2048, hop_length=441,
                                         n_mels=N_MELS, fmin=30, fmax=16000)
    ltas = 10 * np.log10(mel.mean(axis=1) + 1e-12)
    level = 10 * np.log10(mel.sum(axis=0) + 1e-12)
    frames = np.round(np.asarray(onset_times) * RATE / 441).astype(int)
    later = frames + int(TAIL_S * RATE / 441)
    ok = later < len(level)
    tail = float(np.median(level[later[ok]] - level[frames[ok]])) if ok.any() else np.nan
    rms = np.sqrt(np.mean(samples.astype(np.float64) ** 2))
    crest = float(20 * np.log10(np.abs(samples).max() / max(rms, 1e-12)))
    return {"ltas": ltas - ltas.mean(), "tail": tail, "crest": crest}


def pooled(descriptions: list[dict]) -> dict:
    return {"ltas": np.mean([d["ltas"] for d in descriptions], axis=0),
            "tail": float(np.median([d["tail"] for d in descriptions])),
            "crest": float(np.median([d["crest"] for d in descriptions]))}


def real_recordings() -> dict:
    from drumtabber.audio.io import load_audio
    out = []
    for wav in sorted((SHARED / "mdb-dev").glob("*_Drum.wav")):
        samples, _ = load_audio(wav, sample_rate=RATE)
        labels = wav.with_name(wav.name.replace("_Drum.wav", "_class.txt"))
        times = [float(line.split()[0]) for line in labels.read_text().splitlines()
                 if line.strip()]
        out.append(describe(samples, times))
    return pooled(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--chains", default="none,realistic,seed")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from drumtabber.audio.io import load_audio
    from drumtabber.dataset.augment import Chain, ChainStep, load_chain
    from drumtabber.dataset.examples import list_performances, read_performance, render_performance
    from drumtabber.plugin_manager import PluginManager
    manager = PluginManager(entry_points=False)
    kits = [k for k in manager.registry("kit") if k.installed]
    rows = list_performances(SHARED / "groove-midi", manager, split="test", n=args.files,
                             kind="beat")
    real = real_recordings()

    chains = {}
    for name in args.chains.split(","):
        if name == "none":
            chains["none"] = None
            continue
        chain = load_chain(name, manager)
        steps = [s for s in chain.steps if s.augmenter.name != "background-noise"]
        chains[name] = Chain(name, "", steps)
        for s in steps:
            if s.augmenter.name not in chains:
                chains[s.augmenter.name] = Chain(s.augmenter.name, "",
                                                 [ChainStep(s.augmenter, 1.0, s.options, 0)])
    print(f"{len(rows)} performances x {len(kits)} kits ({', '.join(k.name for k in kits)}),"
          f" first {args.seconds:g} s; real: {len(list((SHARED / 'mdb-dev').glob('*_Drum.wav')))}"
          " MDB Drums recordings")
    print(f"real recordings: tail {real['tail']:+.1f} dB, crest {real['crest']:.1f} dB")
    print(f"{'chain':18s} {'spectrum dB':>11s} {'tail dB':>8s} {'crest dB':>9s}   "
          "(distance to the recordings; tail and crest: value)")
    with tempfile.TemporaryDirectory() as tmp:
        parsed = [read_performance(r["midi_path"], manager) for r in rows]
        for name, chain in chains.items():
            found = []
            for i, p in enumerate(parsed):
                for k, kit in enumerate(kits):
                    wav = Path(tmp) / "take.wav"
                    onsets = render_performance(p, kit, wav, sample_rate=RATE, chain=chain,
                                                seed=args.seed + 100 * i + k)
                    samples, _ = load_audio(wav, sample_rate=RATE)
                    samples = samples[:int(args.seconds * RATE)]
                    times = onsets["time"].to_numpy()
                    found.append(describe(samples, times[times < args.seconds - TAIL_S]))
            d = pooled(found)
            spectrum = float(np.mean(np.abs(d["ltas"] - real["ltas"])))
            print(f"{name:18s} {spectrum:11.2f} {d['tail']:+8.1f} {d['crest']:9.1f}")


if __name__ == "__main__":
    main()
