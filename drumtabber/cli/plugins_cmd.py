"""``drumtabber-data plugins``: what is loaded, from where, with which components."""
from __future__ import annotations

import json
from dataclasses import asdict

import typer

from . import app, state


@app.command("plugins")
def plugins_command(ctx: typer.Context,
                    fmt: str = typer.Option("text", "--format", help="text or json")):
    """List every plugin: its source, version, hooks and components."""
    infos = state(ctx).manager.plugin_infos()
    if fmt == "json":
        typer.echo(json.dumps([asdict(i) for i in infos], indent=2))
        return
    if fmt != "text":
        raise typer.BadParameter("expected text or json", param_hint="--format")
    for info in infos:
        typer.echo(f"{info.name} {info.version}  [{info.source}]")
        typer.echo(f"  hooks: {', '.join(info.hooks) or '-'}")
        for kind, names in info.components.items():
            typer.echo(f"  {kind}: {', '.join(names)}")
