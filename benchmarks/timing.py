"""What the speed benchmarks share: the best of a few runs."""
from __future__ import annotations

import time


def best_of(fn, runs: int = 3) -> float:
    """The shortest wall time (s) of ``runs`` calls of ``fn``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
