"""``align`` and ``import-seed``: onset tables from alignment files; the seed's JSON in."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..findings import Severity
from . import app, fail, state


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
    if auto or refine:
        from .audio_align import auto_or_refine
        auto_or_refine(ctx, alignment_file, audio_dir, auto=auto, refine=refine, write=write,
                       fmt=fmt, model=model or "bundled")
        return
    from ..align import ONSET_COLUMNS, align, load_alignment
    from ..tables import format_rows
    st = state(ctx)
    alignment, findings = load_alignment(alignment_file)
    if alignment is not None and not any(f.severity == Severity.ERROR for f in findings):
        result = align(alignment, st.manager, audio_dir=audio_dir, settings=st.config.values)
        findings += result.findings
        rows = result.rows
    else:
        rows = []
    for f in findings:
        if f.severity != Severity.INFO:
            typer.echo(f.format(), err=True)
    if any(f.severity == Severity.ERROR for f in findings):
        raise typer.Exit(1)
    typer.echo(format_rows(rows, ONSET_COLUMNS, fmt).rstrip("\n"))


@app.command("import-seed")
def import_seed_command(
        ctx: typer.Context,
        folder: Path = typer.Argument(..., help="Folder of the seed project's song .json files."),
        out: Optional[Path] = typer.Option(None, "--out",
                                           help="Where to write .toml files (default: "
                                           "the configured alignments_dir)."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
):
    """Convert the seed project's song JSON files into alignment files."""
    from ..align import alignment_to_toml, load_alignment
    st = state(ctx)
    out = Path(out or st.config["alignments_dir"])
    if not folder.is_dir():
        fail(f"not a folder: {folder}", 1)
    sources = sorted(folder.glob("*.json"))
    if not sources:
        fail(f"no .json files in {folder}", 1)
    converted, failed = [], False
    for src in sources:
        alignment, findings = load_alignment(src)
        errors = [f for f in findings if f.severity == Severity.ERROR]
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
    out.mkdir(parents=True, exist_ok=True)
    for target, text in converted:
        target.write_text(text, encoding="utf-8")
        typer.echo(str(target))
    raise typer.Exit(1 if failed else 0)
