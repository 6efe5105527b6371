"""``align`` and ``import-seed``: onset tables from alignment files; the seed's JSON in."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..alignment import alignment_to_toml, load_alignment, load_song
from ..alignment.files import write_alignment
from ..findings import Severity, errors_of
from ..onset_table import ONSET_COLUMNS, format_table
from ..textio import read_input_text
from . import app, check_output, fail, load_recorded_song, state

# The columns ``align`` prints, in this order.
ONSET_OUTPUT = list(ONSET_COLUMNS)


@app.command("align")
def align_command(
        ctx: typer.Context,
        alignment_file: Path = typer.Argument(..., help="Alignment file (.toml, or the seed's .json)."),
        fmt: str = typer.Option("csv", "--format", help="csv or json"),
        audio_dir: Optional[Path] = typer.Option(
            None, "--audio-dir", help="Check against the recording found in this folder."),
        auto: bool = typer.Option(False, "--auto", help="Estimate tempo and first-note time "
                                  "from the recording and report them with a confidence."),
        write: Optional[Path] = typer.Option(None, "--write", help="With --auto: write the "
                                             "estimate into this new alignment file."),
        refine: bool = typer.Option(False, "--refine", help="Move each label onto the audio "
                                    "(per-beat offsets within 100 ms, then a snap)."),
        model: Optional[str] = typer.Option(
            None, "--model", help="With --refine: the drum onset model that places each label "
            "(a model folder; 'bundled', the default, for the one drumtabber ships; 'none' for "
            "generic onsets only)."),
):
    """Print the onset table (seconds, sorted by time) of an alignment file's tab."""
    if fmt not in ("csv", "json"):
        fail(f"--format must be csv or json, not {fmt!r}", 2)
    if write is not None and not auto:
        fail("--write needs --auto", 2)
    if model is not None and not refine:
        fail("--model needs --refine", 2)
    st = state(ctx)
    if auto or refine:
        _auto_or_refine(st, alignment_file, audio_dir, auto=auto, refine=refine, write=write,
                        fmt=fmt, model=model or "bundled")
        return
    song, findings = load_song(alignment_file, st.manager, audio_dir=audio_dir,
                               settings=st.config.values)
    for f in findings:
        if f.severity != Severity.INFO:
            typer.echo(f.format(), err=True)
    if song is None:
        raise typer.Exit(1)
    typer.echo(format_table(song.onsets, ONSET_OUTPUT, fmt).rstrip("\n"))


def _auto_or_refine(st, alignment_file: Path, audio_dir, *, auto: bool, refine: bool,
                    write: Path | None, fmt: str, model: str) -> None:
    """``align --auto`` (estimate tempo and first note, optionally write a new file) and
    ``align --refine`` (move each label onto the audio; exit 1 when rejected)."""
    if write is not None and write.exists():
        fail(f"{write} exists: --write never overwrites; choose a new file name")
    check_output(write, suffixes=(".toml",), force=False, option="--write")
    onset_model = None
    if refine and model != "none":
        from ..models import load_onset_model
        onset_model = load_onset_model(model, st.manager)
    song, samples, rate = load_recorded_song(st, alignment_file, audio_dir,
                                             placeholder_tempo=auto)
    onsets, tempo_map = song.onsets, song.tempo_map
    if auto:
        from ..alignment.estimate import estimate_song, with_estimate
        est, tempo_map, onsets = estimate_song(song, samples, rate)
        typer.echo(f"estimate for {song.recording.name}: bpm = {est.bpm:.2f} (beat tracker: "
                   f"{est.beats_bpm:.2f}), first_note_s = {est.first_note_s:.3f}, "
                   f"confidence = {est.confidence:.2f} (best / runner-up correlation), "
                   f"drift = {est.drift_ms_per_min:+.1f} ms/min", err=True)
        if write is not None:
            text = read_input_text(alignment_file) if alignment_file.suffix == ".toml" else ""
            write_alignment(write, with_estimate(text, song.alignment, est, write), st.manager)
            typer.echo(f"wrote {write}", err=True)
    if refine:
        from ..alignment.refine import refine_onsets
        ref, onsets = refine_onsets(onsets, tempo_map, samples, rate, model=onset_model)
        s = ref.stats
        typer.echo(f"refine {song.recording.name}: {len(onsets)} labels, median move "
                   f"{s['median_move_ms']:.1f} ms, largest {s['max_move_ms']:.1f} ms, median "
                   f"per-beat correction {s['median_beat_offset_ms']:.1f} ms, {s['snapped']} "
                   f"moved onto the audio ({s['by_model']} by the onset model, "
                   f"{s['by_family_band']} by their instrument's band), "
                   f"{s['share_matched_20ms']:.0%} within 20 ms of an onset", err=True)
        if not ref.accepted:
            typer.echo(f"error: refinement rejected: {ref.reason}", err=True)
            raise typer.Exit(1)
    typer.echo(format_table(onsets, ONSET_OUTPUT, fmt).rstrip("\n"))
    sys.stdout.flush()


@app.command("import-seed")
def import_seed_command(
        ctx: typer.Context,
        folder: Path = typer.Argument(..., help="Folder of the seed project's song .json files."),
        out: Optional[Path] = typer.Option(None, "--out",
                                           help="Where to write .toml files (default: "
                                           "the configured alignments_dir)."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
):
    """Convert the seed project's song JSON files (or any format an alignment-reader plugin
    reads) into alignment files."""
    from ..alignment import alignment_suffixes
    st = state(ctx)
    out = Path(out or st.config["alignments_dir"])
    if not folder.is_dir():
        fail(f"not a folder: {folder}", 1)
    foreign = [x for x in alignment_suffixes(st.manager) if x != ".toml"]
    sources = sorted(p for p in folder.iterdir() if p.suffix.lower() in foreign)
    if not sources:
        fail(f"no {' or '.join(foreign) or 'foreign alignment'} files in {folder}", 1)
    converted, failed = [], False
    for src in sources:
        alignment, findings = load_alignment(src, st.manager)
        errors = errors_of(findings)
        for f in errors:
            typer.echo(f.format(), err=True)
        if alignment is None or errors:
            failed = True
            continue
        target = out / (src.stem + ".toml")
        if target.exists() and not force:
            typer.echo(f"error: {target} exists (use --force to overwrite)", err=True)
            failed = True
            continue
        converted.append((target, alignment_to_toml(alignment, tab_relative_to=out)))
    for target, text in converted:
        write_alignment(target, text, st.manager)
        typer.echo(str(target))
    raise typer.Exit(1 if failed else 0)
