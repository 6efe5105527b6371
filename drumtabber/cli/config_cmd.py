"""``drumtabber-data config``: each effective setting and where it came from."""
from __future__ import annotations

import json

import typer

from . import app, state


@app.command("config")
def config_command(ctx: typer.Context,
                   fmt: str = typer.Option("text", "--format", help="text or json")):
    """Show each effective setting, its value and its source."""
    cfg = state(ctx).config
    rows = [(k, str(v), s) for k, v, s in cfg.rows()]
    if fmt == "json":
        typer.echo(json.dumps([{"key": k, "value": v, "source": s} for k, v, s in rows], indent=2))
        return
    if fmt != "text":
        raise typer.BadParameter("expected text or json", param_hint="--format")
    width = max(len(k) for k, _, _ in rows)
    vwidth = max(len(v) for _, v, _ in rows)
    typer.echo(f"# config file: {cfg.file or '(none found)'}")
    for key, value, source in rows:
        typer.echo(f"{key.ljust(width)}  {value.ljust(vwidth)}  ({source})")
