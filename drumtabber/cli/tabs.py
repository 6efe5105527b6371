"""``validate`` and ``show``: lint tab files, print the parsed events."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from ..findings import Severity, has_errors
from . import app, fail, state

_FORMATS = ("text", "json")


def _progress(items):
    """A progress bar on a terminal for long runs; silent when piped."""
    if not sys.stderr.isatty() or len(items) < 50:
        return items
    from rich.progress import track
    return track(items, description="validating", transient=True,
                 console=__import__("rich.console").console.Console(stderr=True))


@app.command("validate")
def validate_command(
        ctx: typer.Context,
        paths: Optional[List[Path]] = typer.Argument(
            None, help="Tab files and folders (default: the configured tabs_dir)."),
        fmt: str = typer.Option("text", "--format", help="text or json"),
        show_info: bool = typer.Option(False, "--show-info", help="Also list info findings."),
        audio_dir: Optional[Path] = typer.Option(
            None, "--audio-dir", help="Also check alignment files against their recordings."),
):
    """Lint tab files like a linter: file:line:column: CODE severity: message.

    Exit 0 when there are no errors (warnings allowed), 1 when there are errors.
    """
    if fmt not in _FORMATS:
        fail(f"--format must be one of {', '.join(_FORMATS)}, not {fmt!r}", 2)
    from ..alignment.validate import validate_paths
    st = state(ctx)
    targets = list(paths or [p for p in (st.config["tabs_dir"], st.config["alignments_dir"])
                             if Path(p).exists()] or [st.config["tabs_dir"]])
    findings = validate_paths(targets, st.manager, settings=st.config.values,
                              progress=_progress, audio_dir=audio_dir)
    shown = [f for f in findings if show_info or f.severity != Severity.INFO]
    if fmt == "json":
        typer.echo(json.dumps([f.to_dict() for f in shown], indent=1))
    else:
        for f in shown:
            typer.echo(f.format())
        counts = {s: sum(1 for f in findings if f.severity == s) for s in Severity}
        typer.echo(f"{counts[Severity.ERROR]} error(s), {counts[Severity.WARNING]} warning(s)",
                   err=True)
    raise typer.Exit(1 if has_errors(findings) else 0)


@app.command("show")
def show_command(
        ctx: typer.Context,
        tab: Path = typer.Argument(..., help="A tab file."),
        fmt: str = typer.Option("csv", "--format", help="csv, json or tab"),
        parser: Optional[str] = typer.Option(None, "--parser",
                                             help="Parser name (default: chosen per file)."),
        writer: str = typer.Option("ascii", "--writer",
                                   help="Tab writer for --format tab (see `drumtabber-data plugins`)."),
):
    """Print the parsed hits: one row per hit (csv/json) or the tab rewritten cleanly."""
    if fmt not in ("csv", "json", "tab"):
        fail(f"--format must be csv, json or tab, not {fmt!r}", 2)
    from ..onset_table import format_table
    from ..tabs import EVENT_COLUMNS, events_table, load_tab
    st = state(ctx)
    manager = st.manager
    if parser is not None:
        manager.get("tab_parser", parser)        # unknown name -> error listing valid ones
    tab_writer = manager.get("tab_writer", writer) if fmt == "tab" else None
    result = load_tab(tab, manager, settings=st.config.values, parser_name=parser)
    for f in result.findings:
        if f.severity != Severity.INFO:
            typer.echo(f.format(), err=True)
    if tab_writer is not None:
        dropped: list = []
        typer.echo(tab_writer.write(result.score, dropped=dropped))
        for message in dropped:
            typer.echo(f"{tab}: warning: {message}", err=True)
    else:
        typer.echo(format_table(events_table(result.score), EVENT_COLUMNS, fmt).rstrip("\n"))
    raise typer.Exit(1 if has_errors(result.findings) else 0)
