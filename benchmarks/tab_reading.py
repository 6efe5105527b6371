"""How many written cells of real tabs are read as the right drum family?

Every file of ../shared/data/tabs and ../shared/data/site-tabs is read through the plugin
manager (the parser that claims it, as ``validate`` does) and compared, cell by cell, with a
hand count stored beside this script in ``tab_counts/<file stem>.json``: the written cells
(line, column) of each drum line and the family each belongs to, repeats not expanded (how
each file was counted is written in its JSON).  A hand cell is read right when an event of
the score sits on that line and column with that family (``Instrument.family``); each written
cell counts once however often a repeat plays it.

    python benchmarks/tab_reading.py              # per file and family, then overall
    python benchmarks/tab_reading.py --wrong      # also list the cells read wrong or missed
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

from drumtabber.plugin_manager import PluginManager
from drumtabber.tabs import load_tab

HERE = Path(__file__).resolve().parent
# The shared data set sits beside the checkout: <root>/main/benchmarks/ -> <root>/shared/.
SHARED = HERE.parents[1] / "shared" / "data"
FOLDERS = ("tabs", "site-tabs")
COUNTS = HERE / "tab_counts"
# The threshold: a family more than 5% off its written cells is a failure.
OFF_SHARE = 0.05
FAMILIES = ("kick", "snare", "tom", "hihat", "cymbal", "ride", "percussion")


def hand_cells(doc: dict) -> dict[tuple[int, int], str]:
    """(line, column) -> family of every written cell of a hand count."""
    cells = {}
    for line, _label, family, cols in doc["cells"]:
        for col in cols:
            cells[(line, col)] = family
    return cells


def read_cells(path: Path, manager) -> tuple[dict, list]:
    """(line, column) -> set of families read there, and the findings."""
    result = load_tab(path, manager)
    cells = defaultdict(set)
    for event in result.score.events:
        cells[(event.line, event.column)].add(event.instrument.family)
    return cells, result.findings


def compare(hand: dict, read: dict) -> dict[str, Counter]:
    """Per family: hand cells, cells read with that family, hand cells read right, and
    cells read with a family the hand count does not give them (wrong or extra)."""
    out = {k: Counter() for k in ("hand", "read", "right", "wrong")}
    for cell, family in hand.items():
        out["hand"][family] += 1
        if family in read.get(cell, ()):
            out["right"][family] += 1
    for cell, families in read.items():
        for family in families:
            out["read"][family] += 1
            if hand.get(cell) != family:
                out["wrong"][family] += 1
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wrong", action="store_true", help="list the cells read wrong or missed")
    args = ap.parse_args(argv)
    start = time.perf_counter()
    manager = PluginManager()
    total = {k: Counter() for k in ("hand", "read", "right", "wrong")}
    failing = []
    print(f"{'file':34s} {'family':10s} {'hand':>5s} {'read':>5s} {'right':>5s} "
          f"{'share':>6s} {'extra':>5s}")
    for folder in FOLDERS:
        for path in sorted((SHARED / folder).iterdir()):
            count_file = COUNTS / f"{path.stem}.json"
            if not count_file.exists():
                print(f"{path.name}: no hand count ({count_file.name}); skipped")
                continue
            hand = hand_cells(json.loads(count_file.read_text(encoding="utf-8")))
            read, findings = read_cells(path, manager)
            got = compare(hand, read)
            for key in total:
                total[key].update(got[key])
            off = []
            for family in FAMILIES:
                n = got["hand"][family]
                if not n and not got["read"][family]:
                    continue
                share = got["right"][family] / n if n else 0.0
                if n and 1 - share > OFF_SHARE or got["wrong"][family] > OFF_SHARE * max(n, 1):
                    off.append(family)
                print(f"{path.name[:34]:34s} {family:10s} {n:5d} {got['read'][family]:5d} "
                      f"{got['right'][family]:5d} {share:6.1%} {got['wrong'][family]:5d}")
            if off:
                failing.append((path.name, off))
            if args.wrong:
                for cell, family in sorted(hand.items()):
                    if family not in read.get(cell, ()):
                        print(f"    {path.name}:{cell[0]}:{cell[1]}: {family} read as "
                              f"{sorted(read.get(cell, ())) or 'nothing'}")
                for cell, families in sorted(read.items()):
                    if cell not in hand:
                        print(f"    {path.name}:{cell[0]}:{cell[1]}: read {sorted(families)}, "
                              "no written cell there")
    hand_n, right_n = sum(total["hand"].values()), sum(total["right"].values())
    print()
    for family in FAMILIES:
        n = total["hand"][family]
        if n:
            print(f"{'all files':34s} {family:10s} {n:5d} {total['read'][family]:5d} "
                  f"{total['right'][family]:5d} {total['right'][family] / n:6.1%} "
                  f"{total['wrong'][family]:5d}")
    print(f"overall: {right_n} of {hand_n} written cells read as the right family "
          f"({right_n / hand_n:.1%}); {sum(total['wrong'].values())} read cells wrong or extra")
    print(f"files with a family more than {OFF_SHARE:.0%} off: {len(failing)}"
          + "".join(f"\n  {name}: {', '.join(fams)}" for name, fams in failing))
    print(f"time: {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
