"""``augment``: an aligned song's recording through an augmentation chain, to listen to."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app, check_output, fail, load_recorded_song, state


@app.command("augment")
def augment_command(
        ctx: typer.Context,
        alignment_file: Path = typer.Argument(..., help="Alignment file."),
        chain: str = typer.Option(..., "--chain", help="A chain a plugin ships (`seed`) or a "
                                  "chain file (.toml)."),
        out: Path = typer.Option(..., "--out", help="The augmented audio (.wav); the moved "
                                 "onset table goes beside it (.csv)."),
        audio_dir: Optional[Path] = typer.Option(None, "--audio-dir",
                                                 help="Folder holding the recording."),
        clicks: Optional[Path] = typer.Option(None, "--clicks", help="Also write the "
                                              "augmented audio with a click per moved label."),
        seed: int = typer.Option(0, "--seed", help="Seed of the chain's random choices."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing outputs."),
):
    """Augment a song's recording with a chain, move its labels with it, and compare the
    label-to-onset distances before and after."""
    from ..alignment.quality import check_recording
    from ..components import augment_stage
    from ..audio.plots import click_mix
    from ..dataset.augment import apply_chain, load_chain
    from ..onset_table import RENDER_COLUMNS, ONSET_COLUMNS, write_table
    from ..outputs import output_files
    if seed < 0:
        fail(f"--seed must be 0 or more, not {seed}", 2)
    table = out.with_suffix(".csv")
    for path, endings, name in ((out, (".wav",), "--out"), (table, (".csv",), "--out (.csv)"),
                                (clicks, (".wav",), "--clicks")):
        check_output(path, suffixes=endings, force=force, option=name)
    st = state(ctx)
    steps = load_chain(chain, st.manager)
    song, samples, rate = load_recorded_song(st, alignment_file, audio_dir)
    before = check_recording(song.onsets, samples, rate)["overall"]
    new, onsets, applied = apply_chain(steps, samples, rate, song.onsets, seed=seed)
    after = check_recording(onsets, new, rate)["overall"]
    import soundfile
    with output_files(out, table, clicks) as (wav_part, table_part, clicks_part):
        soundfile.write(str(wav_part), new, rate, subtype="FLOAT")
        write_table(onsets, table_part, [c for c in ONSET_COLUMNS
                                         if c in onsets.columns or c in RENDER_COLUMNS])
        if clicks_part is not None:
            soundfile.write(str(clicks_part), click_mix(new, rate, onsets), rate)
    typer.echo(f"chain {steps.name} (seed {seed}): {', '.join(applied) or 'nothing applied'}")
    other = [f"{s.augmenter.name} ({augment_stage(s.augmenter)})" for s in steps.steps
             if augment_stage(s.augmenter) != "audio"]
    if other:
        typer.echo(f"not applied to a recording: {', '.join(other)} (score steps change a "
                   "render's notes; feature steps run in training and export)")
    for name, s in (("before", before), ("after", after)):
        typer.echo(f"{name}: {s.count} labels, median {s.median_ms:.1f} ms to an onset, "
                   f"{s.within_20:.0%} within 20 ms, {s.within_50:.0%} within 50 ms")
    for path in (out, table, clicks):
        if path is not None:
            typer.echo(f"wrote {path}", err=True)
