"""``run``: the main job on the bundled examples (or any folder of alignment files), with
its HTML report."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from . import app, progress_bar, state


@app.command("run")
def run_command(
        ctx: typer.Context,
        out: Path = typer.Option(Path("out"), "--out", help="Output folder (reused: a second "
                                 "run redoes only what changed)."),
        alignments: Optional[Path] = typer.Option(None, "--alignments", help="Folder of "
                                                  "alignment files (default: the "
                                                  "alignments_dir setting)."),
        tabs: Optional[Path] = typer.Option(None, "--tabs", help="Folder of tabs to validate "
                                            "(default: the tabs_dir setting)."),
):
    """Validate, align, render, check and refine, count classes, export a dataset,
    transcribe and evaluate every song, and write the report (OUT/index.html)."""
    from ..report import run_job, write_report
    st = state(ctx)
    alignments = Path(alignments or st.config["alignments_dir"])
    tabs = Path(tabs or st.config["tabs_dir"])
    with progress_bar() as progress:
        result = run_job(alignments, tabs, out, st.manager, settings=dict(st.config.values),
                         progress=progress)
    page = write_report(out, result)
    failed = [s for s in result["songs"] if s["error"]]
    for s in result["songs"]:
        if s["error"]:
            typer.echo(f"{s['song']}: FAILED: {s['error']}", err=True)
        else:
            typer.echo(f"{s['song']}: {s['check']['verdict']}, labels F10 "
                       f"{s['check']['f10_before']} -> {s['refine']['f10_after']} refined, "
                       f"transcription F {s['scores']['sum']}", err=True)
    d = result["dataset"]
    typer.echo(f"dataset: {d.get('songs', 0)} songs in {out / 'dataset'}; "
               f"{result['reused']} steps reused from an earlier run", err=True)
    typer.echo(f"report: {page}")
    if failed:
        typer.echo(f"{len(failed)} of {len(result['songs'])} songs failed", err=True)
        raise typer.Exit(1)
