"""Export throughput, memory, cache and Dask scaling on a rendered corpus.

    python benchmarks/export_speed.py [--songs 200] [--formats npz,onsets-csv]

The corpus: Groove MIDI performances (train split, up to 30 s) rendered with the FluidR3 GM
kit, each with its quantised tab and an alignment file (``performance_case``).  Printed:

- throughput of ``export`` (one process) in hours of audio per hour per core, beside the
  baseline of the same run: loading the same recordings and computing their features alone;
- peak memory (max RSS of a fresh process) of exporting all songs against exporting one;
- a re-export with another class map (features from the cache) against the first export;
- the export on a local Dask cluster with 1 and with 2 workers.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GROOVE = ROOT.parent / "shared" / "data" / "groove-midi"


def make_corpus(folder: Path, n: int, manager) -> float:
    """``n`` rendered songs under ``folder/alignments`` and ``folder/audio``; their seconds."""
    from drumtabber.audio.io import audio_duration
    from drumtabber.dataset.examples import list_performances, performance_case
    rows = list_performances(GROOVE, manager, split="train", n=n, max_seconds=30)
    (folder / "alignments").mkdir(parents=True)
    (folder / "audio").mkdir()
    total = 0.0
    for k, row in enumerate(rows):
        case = folder / "cases" / f"s{k:04d}"
        performance_case(row["midi_path"], "fluid-gm", case, manager)
        (case / "song.wav").rename(folder / "audio" / f"s{k:04d}.wav")
        (case / "song.txt").rename(folder / "alignments" / f"s{k:04d}.txt")
        text = (case / "song.toml").read_text().replace('"song.txt"', f'"s{k:04d}.txt"')
        text = text.replace('"song.wav"', f'"s{k:04d}.wav"')
        (folder / "alignments" / f"s{k:04d}.toml").write_text(text)
        total += audio_duration(folder / "audio" / f"s{k:04d}.wav")
    return total


# Runs the CLI in a fresh interpreter and reports that process's own peak memory.
CHILD = """import resource, sys
from drumtabber.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("MAXRSS", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(code or 0)
"""


def timed_export(args: list[str]) -> tuple[float, int]:
    """Seconds and peak RSS (kB) of ``drumtabber-data export ARGS`` in a fresh process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CHILD, "export", *args],
                          capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"export failed: {done.stderr[-2000:]}")
    peak = int(done.stderr.rsplit("MAXRSS", 1)[1].split()[0])
    return took, peak


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=200)
    parser.add_argument("--formats", default="npz,onsets-csv")
    args = parser.parse_args()
    from drumtabber.audio.features import FeatureConfig, compute_features
    from drumtabber.audio.io import load_audio
    from drumtabber.plugin_manager import PluginManager
    manager = PluginManager(entry_points=False)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seconds = make_corpus(tmp, args.songs, manager)
        print(f"{args.songs} songs, {seconds / 3600:.2f} h of audio; formats {args.formats}")
        config = FeatureConfig()
        compute_features(load_audio(next((tmp / "audio").glob("*.wav")),
                                    sample_rate=config.sample_rate)[0][:44100], config)
        start = time.perf_counter()           # after librosa's first-call set-up
        for wav in sorted((tmp / "audio").glob("*.wav")):
            samples, _ = load_audio(wav, sample_rate=config.sample_rate)
            compute_features(samples, config)
        baseline = time.perf_counter() - start

        def export(out, *more, alignments="alignments"):
            return timed_export([str(tmp / alignments), "--audio-dir", str(tmp / "audio"),
                                 "--out", str(tmp / out), "--format", args.formats,
                                 "--cache-dir", str(tmp / f"cache-{out}"), *more])
        (tmp / "one").mkdir()
        for suffix in ("toml", "txt"):
            (tmp / "one" / f"s0000.{suffix}").write_bytes(
                (tmp / "alignments" / f"s0000.{suffix}").read_bytes())
        _, peak_one = export("single", alignments="one")
        cold, peak_all = export("all")
        (tmp / "cache-again").symlink_to(tmp / "cache-all")
        warm, _ = export("again", "--classes", "kd-sd-hh")
        rate = seconds / 3600 / (cold / 3600)
        print(f"{'run':<44}{'time':>9}{'h audio / h / core':>20}{'vs baseline':>13}")
        print(f"{'features alone (baseline)':<44}{baseline:>8.1f}s"
              f"{seconds / baseline:>20.0f}{1.0:>13.2f}")
        print(f"{'export, one process, cold cache':<44}{cold:>8.1f}s{rate:>20.0f}"
              f"{cold / baseline:>13.2f}")
        print(f"{'re-export, another class map (cached)':<44}{warm:>8.1f}s"
              f"{seconds / warm:>20.0f}{warm / baseline:>13.2f}"
              f"   ({cold / warm:.1f}x faster than cold)")
        print(f"peak memory: {args.songs} songs {peak_all / 1024:.0f} MB, one song "
              f"{peak_one / 1024:.0f} MB ({peak_all / peak_one:.2f}x)")
        try:
            from distributed import LocalCluster
        except ImportError:
            print("dask: distributed not installed")
            return
        times = {}
        for workers in (1, 2):
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster:
                times[workers], _ = export(f"dask{workers}", "--scheduler",
                                           cluster.scheduler_address)
        print(f"dask LocalCluster: 1 worker {times[1]:.1f} s, 2 workers {times[2]:.1f} s "
              f"({times[1] / times[2]:.2f}x)")


if __name__ == "__main__":
    main()
