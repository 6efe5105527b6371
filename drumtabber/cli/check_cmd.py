"""``check``: how well an alignment's labels match its recording."""
from __future__ import annotations

import json
import math
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from ..outputs import output_files
from . import app, check_output, fail, load_recorded_song, state


def _finite(value):
    """JSON has no infinity: a distance or gain that is infinite (nothing detected) is null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@app.command("check")
def check_command(
        ctx: typer.Context,
        alignment_file: Path = typer.Argument(..., help="Alignment file."),
        audio_dir: Optional[Path] = typer.Option(None, "--audio-dir",
                                                 help="Folder holding the recording."),
        clicks: Optional[Path] = typer.Option(None, "--clicks",
                                              help="Write the song with a click per label."),
        png: Optional[Path] = typer.Option(None, "--png",
                                           help="Write a spectrogram with the labels drawn."),
        bars: str = typer.Option("1-4", "--bars", help="Bar range for --png, e.g. 9-12."),
        fmt: str = typer.Option("text", "--format", help="text or json"),
        force: bool = typer.Option(False, "--force", help="Overwrite --clicks/--png files."),
):
    """Measure label-to-onset distances per instrument family and give a verdict.

    Exit 0 for good, 1 for suspect or misaligned (or bad input).
    """
    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, not {fmt!r}", 2)
    first, sep, last = bars.partition("-")
    if not (sep and first.strip().isdigit() and last.strip().isdigit()
            and 1 <= int(first) <= int(last)):
        fail(f"--bars: expected a range such as 9-12, found {bars!r}", 2)
    first_bar, last_bar = int(first), int(last)
    check_output(clicks, suffixes=(".wav", ".flac"), force=force, option="--clicks")
    check_output(png, suffixes=(".png",), force=force, option="--png")
    from ..alignment.quality import SHIFT_BETTER, check_recording
    from ..audio.plots import click_mix, plot_labels
    st = state(ctx)
    song, samples, rate = load_recorded_song(st, alignment_file, audio_dir)
    path = song.recording
    report = check_recording(song.onsets, samples, rate)
    if png is not None and first_bar > len(song.score.bars):
        fail(f"--bars {bars}: the tab has {len(song.score.bars)} bars")
    with output_files(clicks, png) as (clicks_part, png_part):
        if clicks_part is not None:
            import soundfile
            soundfile.write(str(clicks_part), click_mix(samples, rate, song.onsets), rate)
        if png_part is not None:
            tm, n = song.tempo_map, len(song.score.bars)
            start = float(tm.beats_to_seconds(first_bar - 1, 0))
            end = float(tm.quarters_to_seconds(tm.bar_quarters[min(last_bar, n)]))
            plot_labels(samples, rate, song.onsets, png_part, start_s=max(0.0, start),
                        end_s=min(end, len(samples) / rate), title=f"{song.name}: bars {bars}")
    if fmt == "json":
        typer.echo(json.dumps(_finite({**report, "families": [asdict(f) for f in
                                                               report["families"]],
                                       "overall": asdict(report["overall"])}), indent=1))
    elif not report["detected_onsets"]:
        typer.echo(f"{path.name}: {report['labels']} labels, no onsets detected: the recording "
                   "is silent or holds no attacks")
        typer.echo(f"verdict: {report['verdict']}")
    else:
        typer.echo(f"{path.name}: {report['labels']} labels, {report['detected_onsets']} "
                   f"detected onsets")
        typer.echo(f"{'family':<12}{'labels':>7}{'median ms':>11}{'p90 ms':>9}"
                   f"{'<=20ms':>8}{'<=50ms':>8}")
        for s in report["families"] + [report["overall"]]:
            typer.echo(f"{s.family:<12}{s.count:>7}{s.median_ms:>11.1f}{s.p90_ms:>9.1f}"
                       f"{s.within_20:>8.0%}{s.within_50:>8.0%}")
        gain = report["best_shift_gain"]
        if gain and SHIFT_BETTER <= gain < float("inf"):
            typer.echo(f"the labels fit {report['best_shift_gain'] - 1:.0%} better moved by "
                       f"{report['best_shift_ms']:+.0f} ms: check first_note_s / anchors")
        typer.echo(f"verdict: {report['verdict']}")
    raise typer.Exit(0 if report["verdict"] == "good" else 1)
