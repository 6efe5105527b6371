"""How long do the huge bad inputs take to read, against real tabs of the same size?

The inputs are those of tests/test_ascii_bad_input.py (a million columns, 10,000 labels, a
1.4 MB prose line, ...), whose unbounded reading once took minutes or ran out of memory.  The
baseline is the real tabs of ../shared/data/tabs, read in the same process: seconds per
character written and per bar played (repeats expanded).  Each huge input is printed as its
time against what the larger of the two predicts for it: a ratio near 1 is reading linear in
the input or the played score; a quadratic step shows as a ratio in the hundreds.

    python benchmarks/huge_tabs.py
"""
from __future__ import annotations

import sys
from pathlib import Path

from timing import best_of  # benchmarks/timing.py

from drumtabber.plugins.ascii_tab import parse_tab

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))
from test_ascii_bad_input import HUGE_INPUTS  # noqa: E402

TABS = HERE.parents[1] / "shared" / "data" / "tabs"
# A ratio above this is reported as a failure: far from linear in the input's length.
MAX_RATIO = 20.0


def main() -> int:
    real = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(TABS.glob("*.txt"))]
    chars = sum(map(len, real))
    bars = sum(len(parse_tab(t, path="t.txt").score.bars) for t in real)
    seconds = best_of(lambda: [parse_tab(t, path="t.txt") for t in real])
    per_char, per_bar = seconds / chars, seconds / bars
    print(f"baseline: {len(real)} real tabs, {chars:,} characters, {bars:,} bars played, "
          f"{seconds:.3f} s")
    worst = 0.0
    for name, text in HUGE_INPUTS.items():
        played = []
        seconds = best_of(lambda: played.append(parse_tab(text, path="t.txt")), runs=1)
        n_bars = len(played[0].score.bars)
        ratio = seconds / max(per_char * len(text), per_bar * n_bars)
        worst = max(worst, ratio)
        print(f"{name:>14}: {len(text):>9,} characters {n_bars:>6,} bars {seconds:7.3f} s  "
              f"{ratio:6.2f}x the real tabs' rate")
    print(f"worst {worst:.2f}x (limit {MAX_RATIO:.0f}x): {'met' if worst <= MAX_RATIO else 'NOT met'}")
    return 0 if worst <= MAX_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
