"""How fast is ``validate``?  Real tabs copied N times, against merely reading the files.

Target: 1,000 real tabs in under 5 s on one core.  Everything runs in this one process,
single-threaded, so the timings are for one core.

    python benchmarks/validate_speed.py                 # 10 files x 100 copies = 1,000 tabs
    python benchmarks/validate_speed.py --copies 10 --out /tmp/bench
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from drumtabber.alignment.validate import validate_paths
from drumtabber.plugin_manager import PluginManager
from drumtabber.tabs import iter_input_files

# The shared data set sits beside the checkout: <root>/main/benchmarks/ -> <root>/shared/.
DEFAULT_TABS = Path(__file__).resolve().parents[2] / "shared" / "data" / "tabs"
# The target from the project brief: 1,000 real tabs validated in 5 s on one core.
TARGET_TABS = 1000
TARGET_S = 5.0
# Best of this many runs for each measurement (the least disturbed one).
REPEATS = 3


def copy_tabs(tabs_dir: Path, out_dir: Path, copies: int) -> list[Path]:
    """Copy every file of ``tabs_dir`` ``copies`` times into ``out_dir``; the new paths."""
    sources = sorted(p for p in tabs_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    made = []
    for k in range(copies):
        for src in sources:
            dst = out_dir / f"{src.stem}_{k:04d}{src.suffix}"
            shutil.copyfile(src, dst)
            made.append(dst)
    return made


def read_all(files: list[Path]) -> int:
    """The baseline: read and decode every file (what any tool must at least do)."""
    chars = 0
    for path in files:
        chars += len(path.read_bytes().decode("utf-8", errors="replace"))
    return chars


def time_runs(func, repeats: int = REPEATS) -> tuple[list[float], list[float], object]:
    """Wall and CPU time in seconds of each of ``repeats`` calls to ``func``, and the last
    result.  CPU time is this process's alone: on a machine other work shares, the wall
    time also holds the waits for a core."""
    times, cpu, result = [], [], None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = func()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return times, cpu, result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=100,
                    help="copies of each tab file (default 100: 10 files -> 1,000 tabs)")
    ap.add_argument("--tabs", type=Path, default=DEFAULT_TABS,
                    help=f"folder of real tabs (default {DEFAULT_TABS})")
    ap.add_argument("--out", type=Path, default=None,
                    help="folder for the copies (default: a temporary folder, removed after)")
    args = ap.parse_args(argv)
    if not args.tabs.is_dir():
        ap.error(f"tabs folder not found: {args.tabs}")
    if args.copies < 1:
        ap.error("--copies must be at least 1")

    tmp = None
    if args.out is None:
        tmp = tempfile.TemporaryDirectory(prefix="drumtabber-bench-")
        out = Path(tmp.name)
    else:
        out = args.out
        out.mkdir(parents=True, exist_ok=True)
    try:
        copy_tabs(args.tabs, out, args.copies)
        # The same file list validate will walk (folder walk, known endings, sorted).
        files = list(iter_input_files([out]))
        n = len(files)
        manager = PluginManager()
        # One process, no threads or workers: every timing below is on one core.
        read_times, _, _ = time_runs(lambda: read_all(files))
        validate_times, validate_cpu, findings = time_runs(lambda: validate_paths([out], manager))
    finally:
        if tmp is not None:
            tmp.cleanup()

    read_s, validate_s = min(read_times), min(validate_times)
    errors = sum(1 for f in findings if f.severity.value == "error")
    per_1000_s = validate_times[0] * TARGET_TABS / n
    met = per_1000_s < TARGET_S
    print(f"tabs:            {n} ({args.copies} copies of the files in {args.tabs})")
    print(f"read (baseline): {read_s:.4f} s  (best of {REPEATS}; read_bytes + decode)")
    print(f"validate:        {validate_s:.3f} s  (best of {REPEATS}; "
          f"{len(findings)} findings, {errors} errors)")
    # The copies are identical, so runs after the first reuse the parser's lru_caches
    # (count-line grids); the first run is the fairer figure for 1,000 different tabs.
    print(f"validate, 1st:   {validate_times[0]:.3f} s  (cold caches)")
    print(f"validate, CPU:   {min(validate_cpu):.3f} s best, {validate_cpu[0]:.3f} s 1st "
          "(this process's CPU time, without waits for a shared core)")
    print(f"ratio:           validate / read = {validate_s / read_s:.1f}x")
    print(f"throughput:      {n / validate_s:.0f} tabs/s")
    print(f"target:          {TARGET_TABS:,} real tabs in under {TARGET_S:g} s on one core: "
          f"{'MET' if met else 'NOT MET'} ({per_1000_s:.2f} s per {TARGET_TABS:,} tabs, 1st run)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
