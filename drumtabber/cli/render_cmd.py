"""``render`` and ``kits``: an alignment file's tab as drum audio with a sampled kit."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from ..findings import Severity
from . import app, check_output, fail, state

# The largest timing jitter (standard deviation) --humanize-ms takes: a tenth of a second is
# already a sloppy drummer; beyond it notes would trade places.
MAX_HUMANIZE_MS = 100.0


@app.command("render")
def render_command(
        ctx: typer.Context,
        alignment_file: Path = typer.Argument(..., help="Alignment file (.toml, or the seed's .json)."),
        kit: str = typer.Option(..., "--kit", help="Kit name (see `drumtabber-data kits`)."),
        out: Path = typer.Option(..., "--out", help="Audio file to write (.wav: 32-bit float)."),
        midi: Optional[Path] = typer.Option(None, "--midi", help="Also write the MIDI file."),
        onsets: Optional[Path] = typer.Option(
            None, "--onsets", help="Also write the onset table (CSV): where each note sounds "
            "in the audio, its MIDI time and its tempo-map time."),
        humanize_ms: float = typer.Option(
            0.0, "--humanize-ms", help="Timing jitter: standard deviation in ms (0: none)."),
        humanize_velocity: float = typer.Option(
            0.0, "--humanize-velocity", help="Velocity jitter: standard deviation (0: none)."),
        chain: Optional[str] = typer.Option(
            None, "--chain", help="Augment the notes before the render and the audio after "
            "it with a chain (`realistic`, `seed` or a .toml file); labels move with it."),
        seed: int = typer.Option(0, "--seed", help="Seed of the humanising and the chain."),
        sample_rate: int = typer.Option(44100, "--sample-rate", help="Hz (8000-96000)."),
        soundfont: Optional[Path] = typer.Option(
            None, "--soundfont", help="Read the kit from this .sf2 file instead of the "
            "installed one (same preset and key layout)."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing outputs."),
):
    """Render an alignment file's tab, with its tempo map, as drum audio (FluidSynth)."""
    from ..audio.render import get_kit
    from ..dataset.augment import Chain, ChainStep, load_chain
    from ..dataset.render import render_alignment
    for path, endings, name in ((out, (".wav",), "--out"), (midi, (".mid", ".midi"), "--midi"),
                                (onsets, (".csv",), "--onsets")):
        check_output(path, suffixes=endings, force=force, option=name)
    st = state(ctx)
    chosen = get_kit(st.manager, kit)                  # an unknown name is wrong usage (2)
    if not (0 <= humanize_ms <= MAX_HUMANIZE_MS and 0 <= humanize_velocity <= 127):
        fail(f"--humanize-ms must be 0-{MAX_HUMANIZE_MS} and --humanize-velocity 0-127, found "
             f"{humanize_ms:g} and {humanize_velocity:g}", 2)
    if seed < 0:
        fail(f"--seed must be 0 or more, not {seed}", 2)
    if not 8000 <= sample_rate <= 96000:
        fail(f"--sample-rate must be 8000-96000, not {sample_rate}", 2)
    if soundfont is not None:
        if not soundfont.is_file():
            fail(f"soundfont not found: {soundfont}", 1)
        if not hasattr(chosen, "with_soundfont"):
            fail(f"kit {chosen.name!r} is not a soundfont kit: --soundfont does not apply", 2)
        chosen = chosen.with_soundfont(soundfont)
    steps = load_chain(chain, st.manager) if chain else Chain("humanize", "")
    if humanize_ms or humanize_velocity:      # the humanize augmenter, first
        human = st.manager.get("augmenter", "humanize")
        steps.steps.insert(0, ChainStep(human, 1.0, human.Options(humanize_ms,
                                                                  humanize_velocity), 0))
    result = render_alignment(alignment_file, st.manager, kit=chosen, out_wav=out,
                              midi_out=midi, onsets_out=onsets, chain=steps, seed=seed,
                              sample_rate=sample_rate, force=force, settings=st.config.values)
    for f in result.findings:
        if f.severity == Severity.WARNING:
            typer.echo(f.format(), err=True)
    for path in (result.wav, result.midi, result.onsets_file):
        if path is not None:
            typer.echo(str(path))
    typer.echo(f"{len(result.onsets)} notes rendered with {chosen.name}", err=True)


@app.command("kits")
def kits_command(ctx: typer.Context,
                 fmt: str = typer.Option("text", "--format", help="text or json")):
    """List the drum kits `render` can use and whether each is installed."""
    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, not {fmt!r}", 2)
    rows = []
    for kit in state(ctx).manager.registry("kit"):
        path = kit.soundfont_path() if hasattr(kit, "soundfont_path") else None
        rows.append({"name": kit.name, "installed": kit.installed,
                     "soundfont": str(path) if path else getattr(kit, "soundfont", ""),
                     "package": getattr(kit, "package", ""), "install": kit.install_hint(),
                     "channel": kit.channel + 1,
                     "bank": kit.bank, "program": kit.program,
                     "description": kit.description,
                     "shared_keys": getattr(kit, "shared_keys_note", "")})
    if fmt == "json":
        typer.echo(json.dumps(rows, indent=1))
        return
    width = max([18] + [len(r["name"]) for r in rows])
    for r in rows:
        status = "installed" if r["installed"] else f"missing ({r['install']})"
        typer.echo(f"{r['name']:<{width}} {status:<10} {r['soundfont']}")
        typer.echo(f"{'':<{width}} {r['description']}; MIDI channel {r['channel']}, "
                   f"bank {r['bank']} program {r['program']}")
    from ..audio.mixed_kit import FAMILIES
    typer.echo(f"Kits mix wherever a kit is named: mix:BASE,FAMILY=KIT,... plays each family "
               f"({', '.join(FAMILIES)}) named with its kit, the rest with BASE; FAMILY=KIT:DB "
               "also turns it up or down.", err=True)
