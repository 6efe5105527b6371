"""``check``: how well an alignment's labels match its recording."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Optional

import typer

from . import app, check_output, fail, state


def load_aligned_audio(ctx, alignment_file: Path, audio_dir: Optional[Path], *,
                       placeholder_tempo: bool = False):
    """(alignment, align result, samples, sample rate, audio path) or exit 1 with the reason.

    ``placeholder_tempo`` fills a missing tempo (120 BPM, first note at 0 s) so that a file
    written for ``align --auto`` can be read before its tempo is known."""
    from ..align import align, find_audio, load_alignment
    from ..audio import load_audio
    from ..findings import Finding, Severity
    st = state(ctx)
    audio_dir = Path(audio_dir or st.config["audio_dir"])
    alignment, findings = load_alignment(alignment_file)
    if alignment is None or any(f.severity == Severity.ERROR for f in findings):
        for f in findings:
            typer.echo(f.format(), err=True)
        raise typer.Exit(1)
    if placeholder_tempo and alignment.bpm is None and len(alignment.anchors) < 2:
        from fractions import Fraction
        alignment.bpm = Fraction(120)
        if alignment.first_note_s is None and alignment.anchor is None:
            alignment.first_note_s = Fraction(0)
    # with a placeholder tempo the onsets may run past the recording: check only the file
    result = align(alignment, st.manager, audio_dir=None if placeholder_tempo else audio_dir,
                   settings=st.config.values)
    errors = [f for f in result.findings if f.severity == Severity.ERROR]
    path = find_audio(alignment, audio_dir)
    if path is None and not errors:
        errors.append(Finding(str(alignment_file), 1, 1, "DT208",
                              f"recording {alignment.audio_file!r} not found under {audio_dir}"))
    for f in errors:
        typer.echo(f.format(), err=True)
    if errors:
        raise typer.Exit(1)
    samples, rate = load_audio(path, sample_rate=44100)
    return alignment, result, samples, rate, path


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
    try:
        first_bar, last_bar = (int(x) for x in bars.split("-"))
        assert 1 <= first_bar <= last_bar
    except (ValueError, AssertionError):
        fail(f"--bars: expected a range such as 9-12, found {bars!r}", 2)
    check_output(clicks, suffixes=(".wav", ".flac"), force=force, option="--clicks")
    check_output(png, suffixes=(".png",), force=force, option="--png")
    from ..check import (SHIFT_BETTER, band_onset_envelopes, check_labels, click_mix,
                         detect_onsets, plot_labels)
    alignment, result, samples, rate, path = load_aligned_audio(ctx, alignment_file, audio_dir)
    onsets = detect_onsets(samples, rate)
    bands = band_onset_envelopes(samples, rate)
    report = check_labels(result.rows, onsets, bands)
    if clicks is not None:
        import soundfile
        soundfile.write(str(clicks), click_mix(samples, rate, result.rows), rate)
    if png is not None:
        n = len(result.score.bars)
        if first_bar > n:
            fail(f"--bars {bars}: the tab has {n} bars")
        tm = result.tempo_map
        start = float(tm.beats_to_seconds(first_bar - 1, 0))
        end = float(tm.quarters_to_seconds(tm.bar_quarters[min(last_bar, n)]))
        plot_labels(samples, rate, result.rows, png, start_s=max(0.0, start),
                    end_s=min(end, len(samples) / rate),
                    title=f"{alignment.song or alignment_file.stem}: bars {bars}")
    if fmt == "json":
        typer.echo(json.dumps({**report, "families": [asdict(f) for f in report["families"]],
                               "overall": asdict(report["overall"])}, indent=1))
    else:
        typer.echo(f"{path.name}: {report['labels']} labels, {report['detected_onsets']} "
                   f"detected onsets")
        typer.echo(f"{'family':<12}{'labels':>7}{'median ms':>11}{'p90 ms':>9}"
                   f"{'<=20ms':>8}{'<=50ms':>8}")
        for s in report["families"] + [report["overall"]]:
            typer.echo(f"{s.family:<12}{s.count:>7}{s.median_ms:>11.1f}{s.p90_ms:>9.1f}"
                       f"{s.within_20:>8.0%}{s.within_50:>8.0%}")
        if report["best_shift_gain"] and report["best_shift_gain"] >= SHIFT_BETTER:
            typer.echo(f"the labels fit {report['best_shift_gain'] - 1:.0%} better moved by "
                       f"{report['best_shift_ms']:+.0f} ms: check first_note_s / anchors")
        typer.echo(f"verdict: {report['verdict']}")
    raise typer.Exit(0 if report["verdict"] == "good" else 1)
