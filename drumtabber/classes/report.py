"""Class maps and counts for people: the mapping table and per-class counts as text and as a
bar chart, and counting the events of tab files per class."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from ..findings import errors_of
from ..tabs import iter_input_files, load_tab, tab_suffixes
from .maps import count_classes

# Width in characters of the longest bar of the terminal chart.
BAR_WIDTH = 40


def mapping_lines(table: list[dict]) -> list[str]:
    """Instruments that map somewhere (with the articulations that change their classes),
    then the ones dropped on purpose in one wrapped list."""
    shown = [r for r in table if r["classes"] or r["variants"] or not r["dropped"]]
    width = max([len(r["instrument"]) for r in shown] + [len("instrument")])
    lines = [f"{'instrument'.ljust(width)}  GM  classes"]
    for r in shown:
        what = ", ".join(r["classes"]) or ("- (dropped)" if r["dropped"] else
                                           "- (UNMAPPED: neither a class nor dropped)")
        variants = "; ".join(f"+{art}: {', '.join(found) or '-'}"
                             for art, found in r["variants"].items())
        lines.append(f"{r['instrument'].ljust(width)}  {r['gm_note']}  {what}"
                     + (f"   ({variants})" if variants else ""))
    dropped = [r["instrument"] for r in table if r not in shown]
    if dropped:
        lines += textwrap.wrap("dropped on purpose: " + ", ".join(dropped), width=96,
                               subsequent_indent="  ")
    return lines


def bar_char() -> str:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2588".encode(encoding)
        return "\u2588"
    except (UnicodeEncodeError, LookupError):
        return "#"


def chart_lines(names: list[str], counts: dict, tiny: int) -> list[str]:
    if not names:
        return ["(no class has events)"]
    top = max([counts[n] for n in names] + [1])
    width = max(len(n) for n in names)
    nwidth = len(str(top))
    char = bar_char()
    lines = []
    for n in names:
        count = counts[n]
        bar = char * (max(1, round(BAR_WIDTH * count / top)) if count else 0)
        flag = "  (empty)" if count == 0 else ("  (tiny)" if count < tiny else "")
        lines.append(f"{n.ljust(width)}  {str(count).rjust(nwidth)}  {bar}{flag}")
    return lines


def write_counts_png(path: Path, names: list[str], counts: dict, *, title: str, tiny: int) -> None:
    """A horizontal bar chart of events per class (matplotlib, imported here)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = [counts[n] for n in names]
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.32 * max(len(names), 1)))
    colors = ["#c0392b" if v < tiny else "#2c7fb8" for v in values]
    ax.barh(range(len(names)), values, color=colors)
    ax.set_yticks(range(len(names)), labels=names)
    ax.invert_yaxis()
    for i, v in enumerate(values):
        ax.text(v, i, f" {v}", va="center", fontsize=8)
    ax.set_xlim(0, max(values + [1]) * 1.15)
    ax.set_xlabel(f"events (red: under {tiny})")
    ax.set_title("\n".join(textwrap.fill(part, 90) for part in title.split("\n")), fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def count_tab_classes(paths, manager, class_map, options, *, settings=None):
    """Parse every tab under ``paths`` and count its events per class: ``(ClassCounts, the
    number of parse errors)`` (hits of lines with errors are missing from the counts)."""
    files = list(iter_input_files(paths, tab_suffixes(manager)))
    events, errors = [], 0
    for path in files:
        result = load_tab(path, manager, settings=settings)
        events.extend(result.score.events)
        errors += len(errors_of(result.findings))
    counts = count_classes(class_map, events, options)
    counts.files = len(files)
    return counts, errors
