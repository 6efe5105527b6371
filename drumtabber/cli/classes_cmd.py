"""``classes``: the class-mapping schemes, what one does to each instrument, and how many
events of a set of tabs land in each class."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from ..outputs import output_files
from . import app, check_output, configured_component, fail, parse_key_values, state

def _load_user_schemes(files: list[Path]) -> list:
    from ..classes import load_scheme_file
    schemes, bad = [], False
    for path in files:
        scheme, findings = load_scheme_file(path)
        for f in findings:
            typer.echo(f.format(), err=True)
        bad = bad or scheme is None
        if scheme is not None:
            schemes.append(scheme)
    if bad:
        raise typer.Exit(1)
    return schemes


def _list_schemes(schemes: dict, default: str, fmt: str) -> None:
    rows = [{"name": name, "classes": len(cm.classes(cm.Options())), "source": source,
             "default": name == default, "description": cm.description}
            for name, (cm, source) in schemes.items()]
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=1))
        return
    width = max(len(r["name"]) for r in rows) + 2
    swidth = max(len(r["source"]) for r in rows)
    typer.echo(f"{'scheme'.ljust(width)}classes  {'source'.ljust(swidth)}  description")
    for r in rows:
        name = r["name"] + (" *" if r["default"] else "")
        typer.echo(f"{name.ljust(width)}{r['classes']:>7}  {r['source'].ljust(swidth)}  "
                   f"{r['description']}")
    typer.echo(f"(* the configured default, classes.scheme = {default})")


@app.command("classes")
def classes_command(
        ctx: typer.Context,
        name: Optional[str] = typer.Argument(
            None, help="Scheme to show (default with --tabs: the classes.scheme setting); "
            "without it, list the schemes."),
        tabs: Optional[Path] = typer.Option(
            None, "--tabs", help="Count the events per class over the tabs in this folder "
            "(or file)."),
        option: List[str] = typer.Option(
            [], "--option", "-o", help="Scheme option KEY=VALUE (repeatable)."),
        scheme_file: List[Path] = typer.Option(
            [], "--scheme-file", help="A user class scheme in TOML (repeatable); see "
            "docs/classes.md."),
        png: Optional[Path] = typer.Option(None, "--png", help="With --tabs: also draw the "
                                           "counts as a bar chart in this PNG file."),
        fmt: str = typer.Option("text", "--format", help="text or json"),
        force: bool = typer.Option(False, "--force", help="Overwrite an existing --png file."),
):
    """List the class schemes, or show one: its classes, what it does to each instrument and,
    with --tabs, how many events fall in each class (warning about empty and tiny classes)."""
    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, not {fmt!r}", 2)
    if png is not None and tabs is None:
        fail("--png needs --tabs", 2)
    check_output(png, suffixes=(".png",), force=force, option="--png")
    from ..classes import (TINY_CLASS_EVENTS, class_maps, class_warnings, mapping_table,
                           options_text, resolve_class_map, unmapped_findings)
    from ..classes.report import chart_lines, count_tab_classes, mapping_lines, write_counts_png
    st = state(ctx)
    user = _load_user_schemes(scheme_file)
    default = st.config["classes.scheme"]
    if name is None and tabs is None:
        if option:
            fail("--option needs a scheme NAME", 2)
        _list_schemes(class_maps(st.manager, user), default, fmt)
        return
    from ..errors import ConfigError
    try:
        values = parse_key_values(option)
        class_map, options = configured_component(
            st, lambda n: resolve_class_map(st.manager, n, values, user_schemes=user,
                                            source="--option"), "classes.scheme", name)
    except ConfigError as exc:              # a bad --option value is wrong usage
        fail(str(exc), 2)
    classes = class_map.classes(options)
    table = mapping_table(class_map, options)
    report = {"scheme": class_map.name, "description": class_map.description,
              "options": options_text(options), "classes": classes, "mapping": table}
    lines = [f"scheme {class_map.name}: {class_map.description}",
             f"options: {options_text(options)}",
             f"classes ({len(classes)}): {', '.join(classes)}", ""] + mapping_lines(table)
    warnings, findings = [], []
    if tabs is not None:
        if not tabs.exists():
            fail(f"no such file or folder: {tabs}", 1)
        counts, errors = count_tab_classes([tabs], st.manager, class_map, options,
                                           settings=st.config.values)
        if errors:
            typer.echo(f"note: {errors} parse error(s) in these tabs; their hits are missing "
                       f"from the counts (`drumtabber-data validate {tabs}` lists them)", err=True)
        only_present = getattr(class_map, "only_present", False)
        shown = [c for c in classes if counts.counts[c] or not only_present]
        findings = unmapped_findings(class_map, counts)
        warnings = class_warnings(counts, skip_empty=only_present)
        report.update({"tabs": str(tabs), "files": counts.files, "events": counts.events,
                       "dropped": counts.dropped,
                       "unmapped": {i.value: len(e) for i, e in counts.unmapped.items()},
                       "counts": {c: counts.counts[c] for c in shown},
                       "tiny_threshold": TINY_CLASS_EVENTS, "warnings": warnings})
        lines += ["", f"events per class over {counts.files} file(s) in {tabs}: "
                  f"{counts.events} events, {counts.dropped} dropped on purpose, "
                  f"{sum(len(e) for e in counts.unmapped.values())} unmapped"]
        lines += chart_lines(shown, counts.counts, TINY_CLASS_EVENTS)
        if png is not None:
            with output_files(png) as (partial,):
                write_counts_png(partial, shown, counts.counts, tiny=TINY_CLASS_EVENTS,
                                 title=f"{class_map.name}: events per class, {counts.files} "
                                 f"file(s)\n{options_text(options)}")
    if fmt == "json":
        typer.echo(json.dumps(report, indent=1))
    else:
        typer.echo("\n".join(lines))
    for f in findings:
        typer.echo(f.format(), err=True)
    for w in warnings:
        typer.echo(f"warning: {w}", err=True)
    if png is not None:
        typer.echo(f"wrote {png}", err=True)
