"""``drumtabber-data plugins``: what is loaded, from where, with which components."""
from __future__ import annotations

import json
from dataclasses import asdict

import typer

from . import app, state


def component_rows(manager, kind: str) -> list[dict]:
    """Each component of ``kind``: name, description, stage (augmenters) and options with
    their types and defaults."""
    from dataclasses import MISSING, fields
    rows = []
    for component in manager.registry(kind):
        options = [{"name": f.name, "type": getattr(f.type, "__name__", str(f.type)),
                    "default": None if f.default is MISSING else f.default}
                   for f in fields(component.Options)]
        row = {"name": component.name, "description": getattr(component, "description", ""),
               "options": options}
        if kind == "augmenter":
            from ..components import augment_stage
            row["stage"] = augment_stage(component)
        rows.append(row)
    return rows


@app.command("plugins")
def plugins_command(ctx: typer.Context,
                    fmt: str = typer.Option("text", "--format", help="text or json"),
                    kind: str = typer.Option(None, "--kind", help="List the components of "
                                             "one kind (augmenter, kit, ...) with their "
                                             "descriptions and options.")):
    """List every plugin: its source, version, hooks and components."""
    from ..components import KINDS
    manager = state(ctx).manager
    if fmt not in ("text", "json"):
        raise typer.BadParameter("expected text or json", param_hint="--format")
    if kind is not None:
        if kind not in KINDS:
            raise typer.BadParameter(f"expected one of {', '.join(KINDS)}", param_hint="--kind")
        rows = component_rows(manager, kind)
        if fmt == "json":
            typer.echo(json.dumps(rows, indent=2, default=str))
        for row in rows if fmt == "text" else ():
            stage = f" [{row['stage']}]" if "stage" in row else ""
            typer.echo(f"{row['name']}{stage}: {row['description']}")
            for o in row["options"]:
                typer.echo(f"    {o['name']}: {o['type']} = {o['default']!r}")
        return
    infos = manager.plugin_infos()
    if fmt == "json":
        typer.echo(json.dumps([asdict(i) for i in infos], indent=2))
        return
    for info in infos:
        typer.echo(f"{info.name} {info.version}  [{info.source}]")
        typer.echo(f"  hooks: {', '.join(info.hooks) or '-'}")
        for kind, names in info.components.items():
            typer.echo(f"  {kind}: {', '.join(names)}")
