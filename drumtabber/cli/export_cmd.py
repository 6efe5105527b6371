"""``export``: a dataset of aligned songs for outside training scripts."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

from . import app, fail, parse_key_values, progress_bar, state


@app.command("export")
def export_command(
        ctx: typer.Context,
        inputs: List[Path] = typer.Argument(None, help="Alignment files or folders of them "
                                            "(default: the alignments_dir setting)."),
        out: Path = typer.Option(..., "--out", help="Folder of the dataset."),
        formats: Optional[str] = typer.Option(
            None, "--format", help="Exporters, comma-separated (default: the export.formats "
            "setting; `drumtabber-data plugins --kind exporter` lists them)."),
        format_option: List[str] = typer.Option(
            [], "--format-option", "-O", help="Exporter option FORMAT.KEY=VALUE (repeatable), "
            "e.g. -O npz.shard_frames=50000."),
        audio_dir: Optional[Path] = typer.Option(None, "--audio-dir", help="Folder of the "
                                                 "recordings (default: the audio_dir setting)."),
        classes: Optional[str] = typer.Option(None, "--classes", help="Class scheme (default: "
                                              "the classes.scheme setting)."),
        option: List[str] = typer.Option([], "--option", "-o", help="Class scheme option "
                                         "KEY=VALUE (repeatable)."),
        augment: Optional[str] = typer.Option(None, "--augment", help="Augmentation chain "
                                              "(`seed`, `realistic` or a .toml file)."),
        copies: int = typer.Option(1, "--copies", help="Augmented copies of each song."),
        seed: int = typer.Option(0, "--seed", help="Seed of the augmentation."),
        split: str = typer.Option("train=0.8,validation=0.1,test=0.1", "--split",
                                  help="Split shares (by a stable hash of song or artist)."),
        split_file: Optional[Path] = typer.Option(None, "--split-file", help="Explicit "
                                                  "split lists (TOML/JSON: train = [ids])."),
        refine: bool = typer.Option(False, "--refine", help="Move each label onto the audio "
                                    "first (a song whose refinement is rejected is skipped)."),
        model: str = typer.Option("bundled", "--model", help="With --refine: the onset "
                                  "model (`none`: generic onsets only)."),
        jobs: int = typer.Option(1, "--jobs", help="Songs in parallel (processes)."),
        scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run the songs on "
                                                "a Dask cluster: tcp://HOST:8786."),
        cache_dir: Optional[Path] = typer.Option(None, "--cache-dir", help="Feature cache "
                                                 "(default: the export.cache_dir setting)."),
        force: bool = typer.Option(False, "--force", help="Start over in an export folder."),
):
    """Export aligned songs with their recordings as a dataset: features and frame targets,
    onset tables, label files, MIDI, JAMS (one folder per format), a manifest and a card."""
    from ..audio.features import FeatureConfig
    from ..components import build_options
    from ..dataset.augment import load_chain
    from ..dataset.cache import default_cache_dir
    from ..dataset.export import ExportJob, alignment_paths, export_dataset
    from ..dataset.manifest import write_description
    from ..dataset.splits import SongKey, assign_splits, parse_shares, read_split_file
    from ..errors import ConfigError, DrumtabberError
    st = state(ctx)
    manager = st.manager
    if jobs < 1 or not 1 <= copies <= 100 or seed < 0:
        fail("--jobs must be 1 or more, --copies 1-100, --seed 0 or more", 2)
    if copies > 1 and not augment:
        fail("--copies needs --augment (copies without a chain would be the same)", 2)
    try:
        shares = parse_shares(split)
    except DrumtabberError as exc:
        fail(exc.message, 2)
    explicit = read_split_file(split_file) if split_file else None
    names = [n.strip() for n in (formats or st.config["export.formats"]).split(",") if n.strip()]
    known = manager.registry("exporter").names()
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        fail(f"unknown format(s) {', '.join(unknown) or '(none given)'}; valid: "
             f"{', '.join(known)}", 2)
    values: dict[str, dict] = {n: {} for n in names}
    for key, value in parse_key_values(format_option, "--format-option").items():
        fmt, _, name = key.partition(".")
        if fmt not in values or not name:
            fail(f"--format-option {key}: expected FORMAT.KEY with FORMAT one of "
                 f"{', '.join(names)}", 2)
        values[fmt][name] = value
    scheme = classes or st.config["classes.scheme"]
    class_map = manager.get("class_map", scheme)
    try:
        exporters = [(manager.get("exporter", n), build_options(manager.get("exporter", n),
                      values[n], source="--format-option")) for n in names]
        scheme_values = parse_key_values(option)
        class_options = build_options(class_map, scheme_values, source="--option")
        config = FeatureConfig.from_settings(st.config.values)
    except ConfigError as exc:
        fail(str(exc), 2)
    chain = load_chain(augment, manager) if augment else None
    loader = None
    if refine and model != "none":
        from ..models import load_onset_model as loader
        loader(model, manager)                 # a missing model is named before any work
    paths = alignment_paths(inputs or [Path(st.config["alignments_dir"])], manager)
    if not paths:
        fail(f"no alignment files in {', '.join(str(p) for p in inputs or [])}")
    from dataclasses import asdict
    job = ExportJob(out=str(out), audio_dir=str(audio_dir or st.config["audio_dir"]),
                    cache_dir=str(cache_dir or st.config["export.cache_dir"]
                                  or default_cache_dir()),
                    scheme=scheme, scheme_values=scheme_values, features=asdict(config),
                    chain=str(augment or ""), copies=copies, seed=seed,
                    refine=(model if refine else ""), settings=dict(st.config.values),
                    plugins_dirs=tuple(str(d) for d in st.plugins_dirs),
                    model_loader=loader)

    def split_of(facts):
        return assign_splits([SongKey(f["song"], f["artist"], f["audio_sha256"]) for f in facts],
                             shares=shares, explicit=explicit)
    split_spec = (f"explicit lists from {split_file}, the rest " if split_file else "") + \
        ", ".join(f"{k} {v:.0%}" for k, v in shares.items())

    def describe(out_dir, job_, result):
        write_description(out_dir, job_, result, class_map=class_map,
                          classes=class_map.classes(class_options), chain=chain,
                          formats={e.name: vars(o) for e, o in exporters},
                          split_spec=split_spec)
    with progress_bar() as progress:
        result = export_dataset(paths, job, manager, formats=exporters, split_of=split_of,
                                jobs=jobs, scheduler=scheduler, force=force,
                                progress=progress, describe=describe)
    _summary(result)
    if not result.outcomes:
        fail("no song could be exported", 1)


def _summary(result) -> None:
    from rich.console import Console
    from rich.table import Table

    from ..dataset.manifest import counts
    from ..dataset.splits import SPLITS
    console = Console(stderr=True, width=None if sys.stderr.isatty() else 100)
    c = counts(result.outcomes)
    classes = sorted({k for s in SPLITS for k in c[s]["events"]})
    table = Table(title=f"export to {result.out}")
    for column in ["split", "songs", "examples", "frames", *classes]:
        table.add_column(column, justify="left" if column == "split" else "right")
    for s in SPLITS:
        table.add_row(s, str(c[s]["songs"]), str(c[s]["examples"]), str(c[s]["frames"]),
                      *[str(c[s]["events"].get(k, 0)) for k in classes])
    console.print(table)
    resumed = sum(1 for o in result.outcomes if o.get("resumed"))
    console.print(f"{len(result.outcomes)} songs exported"
                  + (f" ({resumed} already done by an earlier run)" if resumed else "")
                  + f", {len(result.skipped)} skipped, {result.seconds:.1f} s; "
                  f"feature cache: {result.cache}")
    for s in result.skipped:
        console.print(f"skipped {s['song']}: {s['error']}", markup=False, highlight=False)
    for name, files in result.files.items():
        console.print(f"{name}: {len(files)} files in {result.out / name}", markup=False,
                      highlight=False)
