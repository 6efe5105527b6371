"""``train-onsets``: train a drum onset model on drum MIDI rendered with sampled kits."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from . import app, fail, state

DEFAULT_KITS = "fluid-gm,timgm6mb,avl-black-pearl,avl-red-zeppelin"
# The feature settings of the onset models: 84 mel bands from 30 Hz to 16 kHz over a
# 1024-sample window (23 ms), 100 frames per second.
MODEL_FEATURES = {"kind": "mel", "n_mels": 84, "n_fft": 1024, "hop_length": 441,
                  "fmin": 30.0, "fmax": 16000.0}


def midi_files(folder: Path, limit: int | None) -> list[Path]:
    """The training split of a Groove-style folder (``info.csv``), else every MIDI file."""
    from ..training import groove_files
    if (folder / "info.csv").is_file():
        return [r["midi_path"] for r in groove_files(folder, "train", n=limit, beat_type=None)]
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".mid", ".midi"))
    return files[::max(1, len(files) // limit)][:limit] if limit else files


def _render_job(job):
    from ..classes import parse_scheme
    from ..errors import DrumtabberError
    from ..features import FeatureConfig
    from ..onsetmodel import ONSET_SCHEME
    from ..training import render_example
    path, kit, gain, max_seconds = job
    class_map, _ = parse_scheme(ONSET_SCHEME)
    try:
        ex = render_example(path, kit, class_map, None, FeatureConfig(**MODEL_FEATURES),
                            max_seconds=max_seconds, gain=gain)
    except (DrumtabberError, OSError, ValueError) as exc:
        return str(path), getattr(exc, "message", None) or str(exc)
    return ex.name, (ex.features, ex.targets)


@app.command("train-onsets")
def train_onsets_command(
        ctx: typer.Context,
        midi_dir: Path = typer.Argument(..., help="Drum MIDI files: a Groove MIDI Dataset "
                                        "folder (its train split is used) or any folder of .mid "
                                        "files."),
        out: Path = typer.Option(..., "--out", help="Model folder to write."),
        kits: str = typer.Option(DEFAULT_KITS, "--kits", help="Kits to render with, "
                                 "comma-separated (see `drumtabber-data kits`)."),
        files: Optional[int] = typer.Option(240, "--files", help="Use this many MIDI files, "
                                            "spread evenly (0: all)."),
        max_seconds: float = typer.Option(40.0, "--max-seconds", help="Use at most this "
                                          "much of each performance."),
        backend_name: Optional[str] = typer.Option(
            None, "--backend", help="Model backend (default: the training.backend setting, "
            "keras-cnn)."),
        option: List[str] = typer.Option([], "--option", "-o", help="Backend option "
                                         "KEY=VALUE (repeatable), e.g. -o epochs=12."),
        jobs: int = typer.Option(1, "--jobs", help="Render in this many processes."),
        seed: int = typer.Option(0, "--seed", help="Seed of the render gains and the training."),
        force: bool = typer.Option(False, "--force", help="Replace a model already in --out."),
):
    """Train a drum onset model (used by `align --refine --model`) on MIDI performances
    rendered with sampled kits: exact labels, several kits, random levels."""
    import numpy as np
    from ..components import build_options
    from ..errors import ConfigError
    from ..features import FeatureConfig
    from ..onsetmodel import META, ONSET_SCHEME, OnsetModel
    from ..render import KITS
    from .classes_cmd import _parse_options
    st = state(ctx)
    if (out / META).exists() and not force:
        fail(f"{out} already holds a model (use --force to replace it)")
    if out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder")
    chosen = [k.strip() for k in kits.split(",") if k.strip()]
    unknown = [k for k in chosen if k not in KITS]
    if unknown or not chosen:
        fail(f"unknown kit(s) {', '.join(unknown) or '(none given)'}; valid names: "
             f"{', '.join(KITS)}", 2)
    if max_seconds <= 0 or jobs < 1 or (files is not None and files < 0):
        fail("--max-seconds and --jobs must be above 0, --files 0 or more", 2)
    backend = st.manager.get("model_backend", backend_name or st.config["training.backend"])
    try:
        seeded = {"seed": seed} if "seed" in backend.Options.__dataclass_fields__ else {}
        options = build_options(backend, {**seeded, **_parse_options(option)},
                                source="--option")
    except ConfigError as exc:
        fail(str(exc), 2)
    if not midi_dir.is_dir():
        fail(f"not a folder: {midi_dir}")
    paths = midi_files(midi_dir, files or None)
    if not paths:
        fail(f"{midi_dir / 'info.csv'} lists no train-split files" if
             (midi_dir / "info.csv").is_file() else f"no MIDI files (.mid, .midi) in {midi_dir}")
    created = not out.exists()
    try:                                    # before hours of work, not after
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"--out {out}: cannot create the folder: {exc.strerror}")
    rng = np.random.default_rng(seed)
    work = [(p, kit, float(rng.uniform(0.2, 0.8)), max_seconds) for p in paths for kit in chosen]
    typer.echo(f"rendering {len(paths)} MIDI files with {len(chosen)} kits", err=True)
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_render_job, work, chunksize=4))
    else:
        done = [_render_job(j) for j in work]
    examples = [pair for _, pair in done if not isinstance(pair, str)]
    for name, problem in done:
        if isinstance(problem, str):
            typer.echo(f"warning: {name}: skipped: {problem}", err=True)
    if not examples:
        if created:
            out.rmdir()
        fail("no example could be rendered")
    features = FeatureConfig(**MODEL_FEATURES)
    network = backend.build(examples[0][0].shape[1], examples[0][1].shape[1], options)
    history = backend.train(network, examples, options,
                            log=lambda m: typer.echo(m, err=True))
    info = {"midi": str(midi_dir), "files": len(paths), "kits": chosen,
            "max_seconds": max_seconds, "examples": len(examples),
            "frames": int(sum(len(f) for f, _ in examples)),
            "options": {k: getattr(options, k) for k in vars(options)}, "history": history}
    OnsetModel(backend, network, features, ONSET_SCHEME, info, out).save(out)
    typer.echo(f"wrote {out}", err=True)
