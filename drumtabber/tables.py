"""Row output shared by the commands: CSV or JSON, machine-readable."""
from __future__ import annotations

import csv
import io
import json

from .score import Score

# Columns of the event table that ``show`` prints: bar is the 1-based bar in playing order
# (repeats expanded), beat the exact offset in beats from the start of that bar.
EVENT_COLUMNS = ["bar", "beat", "instrument", "gm_note", "articulation", "velocity", "line",
                 "column", "written_bar", "repeat_pass", "label"]


def score_to_rows(score: Score) -> list[dict]:
    return [{"bar": e.bar + 1, "beat": str(e.beat), "instrument": e.instrument.value,
             "gm_note": e.gm_note, "articulation": e.articulation_text(),
             "velocity": e.velocity, "line": e.line, "column": e.column,
             "written_bar": e.written_bar, "repeat_pass": e.repeat_pass, "label": e.label}
            for e in score.sorted_events()]


def format_rows(rows: list[dict], columns: list[str], fmt: str) -> str:
    """Rows as CSV (header + one line each) or a JSON list of objects."""
    if fmt == "json":
        return json.dumps([{c: r[c] for c in columns} for r in rows], indent=1)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
