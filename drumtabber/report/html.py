"""The main job's report: one static ``index.html`` beside its images and audio, readable
from disk with no server and no network (no scripts, no remote assets)."""
from __future__ import annotations

import html
from pathlib import Path

STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1, h2, h3 { font-weight: 600; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.song { border-top: 2px solid #888; margin-top: 2em; padding-top: 0.5em; }
.tabs { display: flex; gap: 1em; flex-wrap: wrap; }
.tabs pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; max-height: 28em;
            font-size: 12px; flex: 1 1 45%; }
.error { color: #a00; }
img { max-width: 100%; }
"""


def _e(x) -> str:
    return html.escape(str(x))


def _table(header: list, rows: list) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _song(s: dict) -> str:
    parts = [f'<div class="song" id="{_e(s["song"])}"><h2>{_e(s["song"])}</h2>',
             f"<p>alignment file <code>{_e(s['alignment'])}</code>"
             + (f", tab <code>{_e(s['tab'])}</code>" if s["tab"] else "") + "</p>"]
    if s["findings"]:
        parts.append("<p>validate:</p><pre>" + _e("\n".join(s["findings"])) + "</pre>")
    if s["error"]:
        parts.append(f'<p class="error">not processed: {_e(s["error"])}</p></div>')
        return "".join(parts)
    c, r = s["check"], s["refine"]
    parts.append(_table(
        ["alignment", "verdict", "labels", "median to an onset (ms)", "within 20 ms",
         "within 50 ms", "F10 vs truth"],
        [["as written", c["verdict"], c["labels"], c["median_ms"], f"{c['within_20']:.0%}",
          f"{c['within_50']:.0%}", c["f10_before"]],
         ["refined" + ("" if r["accepted"] else f" (rejected: {r['reason']})"), "", "",
          f"moved {r['median_move_ms']} (median)", "", "", r["f10_after"]]]))
    parts.append(f'<p><img src="{_e(s["png"])}" alt="spectrogram of {_e(s["song"])} with '
                 f'its labels"></p>')
    parts.append(f'<p>recording with a click per label: <audio controls preload="auto" '
                 f'src="{_e(s["clicks"])}"></audio> &nbsp; recording: <audio controls '
                 f'preload="auto" src="{_e(s["audio"])}"></audio></p>')
    parts.append("<h3>Classes</h3>" + _table(["class", "labels"], sorted(s["classes"].items())))
    scores = s["scores"]
    parts.append("<h3>Transcription (F at 50 ms against the render's truth)</h3>" + _table(
        ["sum", "mean", *[k for k in scores if k not in ("sum", "mean")]],
        [[scores["sum"], scores["mean"], *[v for k, v in scores.items()
                                           if k not in ("sum", "mean")]]]))
    parts.append('<div class="tabs"><pre>' + _e("original tab\n\n" + s["tab_text"])
                 + "</pre><pre>" + _e("transcribed tab\n\n" + s["transcribed_tab"])
                 + "</pre></div></div>")
    return "".join(parts)


def write_report(out: Path, result: dict) -> Path:
    """``out/index.html`` from the main job's result."""
    from ..outputs import output_files
    songs = result["songs"]
    done = [s for s in songs if not s["error"]]
    d = result["dataset"]
    counts = d.get("counts", {})
    classes = d.get("classes", [])
    summary = _table(["song", "verdict", "F10 as written", "F10 refined", "transcription F"],
                     [[s["song"], s["check"].get("verdict", "-") if not s["error"] else
                       "failed", s["check"].get("f10_before", "-"),
                       s["refine"].get("f10_after", "-"), s["scores"].get("sum", "-")]
                      for s in songs])
    split_rows = [[k, v["songs"], v["examples"], v["frames"], sum(v["events"].values())]
                  for k, v in counts.items()]
    class_rows = [[c, *[counts[k]["events"].get(c, 0) for k in counts]] for c in classes]
    skipped = [[s["song"], s["error"]] for s in songs if s["error"]] + \
        [[s["song"], s["error"]] for s in d.get("skipped", [])]
    v = result["validate"]
    body = [f"<h1>drumtabber: the main job</h1><p>{len(done)} of {len(songs)} songs done; "
            f"rendered with the {_e(result['kit'])} kit through the "
            f"<code>{_e(result['chain'])}</code> chain (human timing, room, mix); validate: "
            f"{v['errors']} errors, {v['warnings']} warnings in {v['files']} files.</p>",
            "<h2>Songs</h2>", summary,
            "<h2>Dataset</h2><p>exported to <code>dataset/</code> (npz, onsets-csv, "
            "<code>manifest.json</code>, dataset card <code>README.md</code>)</p>",
            _table(["split", "songs", "examples", "frames", "events"], split_rows),
            _table(["class", *counts], class_rows),
            "<h3>Skipped</h3>" + (_table(["song", "why"], skipped) if skipped else
                                 "<p>nothing</p>")]
    body += [_song(s) for s in songs]
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>"
            f"drumtabber report</title><style>{STYLE}</style></head><body>"
            + "\n".join(body) + "</body></html>\n")
    with output_files(out / "index.html") as (part,):
        part.write_text(page, encoding="utf-8")
    return out / "index.html"
