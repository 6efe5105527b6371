"""``train-onsets``: train a drum onset model on drum MIDI rendered with sampled kits."""
from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import List, Optional

import typer

from . import app, configured_component, fail, parse_key_values, state

DEFAULT_KITS = "fluid-gm,timgm6mb,avl-black-pearl,avl-red-zeppelin"
# train's options that say how to render (they cannot apply to an examples file)
RENDER_OPTIONS = ("kits", "kits_per_file", "files", "max_seconds", "window", "mix_kits",
                  "mix_levels", "mix_gains", "jobs", "chain", "copies", "save_examples")


def _command_line() -> str:
    """The command as typed (what the model folder records of how it was made)."""
    import shlex
    import sys
    return "drumtabber-data " + " ".join(shlex.quote(a) for a in sys.argv[1:])


@app.command("train-onsets")
def train_onsets_command(
        ctx: typer.Context,
        midi_dir: Path = typer.Argument(..., help="Drum MIDI files: a Groove MIDI Dataset "
                                        "folder (its train split is used) or any folder of .mid "
                                        "files; or an examples file (.npz) that "
                                        "--save-examples wrote."),
        out: Optional[Path] = typer.Option(None, "--out", help="Model folder to write."),
        save_examples: Optional[Path] = typer.Option(
            None, "--save-examples", help="Also write the rendered examples to this file "
            "(.npz, 8-bit; train on it later, elsewhere: `train FILE`); without --out, "
            "render only."),
        kits: str = typer.Option(DEFAULT_KITS, "--kits", help="Kits to render with, "
                                 "comma-separated (see `drumtabber-data kits`)."),
        kits_per_file: int = typer.Option(0, "--kits-per-file", help="Render each file "
                                          "with this many of the kits, drawn at random (0: "
                                          "all)."),
        files: Optional[int] = typer.Option(240, "--files", help="Use this many MIDI files, "
                                            "spread evenly (0: all)."),
        max_seconds: float = typer.Option(40.0, "--max-seconds", help="Use at most this "
                                          "much of each performance."),
        window: str = typer.Option("start", "--window", help="Where those seconds are taken: "
                                   "`start` (from the start of each performance) or `random` "
                                   "(a place drawn for each render)."),
        mix_kits: float = typer.Option(0.0, "--mix-kits", help="Share (0-1) of renders "
                                       "with a mixed kit: each drum family played by one of "
                                       "--kits drawn for it."),
        mix_levels: str = typer.Option("own", "--mix-levels", help="A mixed kit's families "
                                       "as loud as their own kits make them (`own`) or as "
                                       "the render's kit would (`base`)."),
        mix_gains: float = typer.Option(0.0, "--mix-gains", help="Each family of a mixed kit "
                                        "0 to this many dB quieter, drawn for it (a mix's "
                                        "balance: a distant hi-hat)."),
        backend_name: Optional[str] = typer.Option(
            None, "--backend", help="Model backend (default: the training.backend setting, "
            "keras-cnn)."),
        option: List[str] = typer.Option([], "--option", "-o", help="Backend option "
                                         "KEY=VALUE (repeatable), e.g. -o epochs=12."),
        jobs: int = typer.Option(1, "--jobs", help="Render in this many processes."),
        chain: Optional[str] = typer.Option(
            None, "--chain", help="Augment each render with this chain (`seed`, `realistic` "
            "or a .toml file; default: the training.chain setting)."),
        copies: Optional[int] = typer.Option(
            None, "--copies", help="Renders of each file and kit, each augmented anew "
            "(default: the training.copies setting, 1)."),
        seed: int = typer.Option(0, "--seed", help="Seed of the render gains, the chain and "
                                 "the training."),
        force: bool = typer.Option(False, "--force", help="Replace a model already in --out."),
        resume: bool = typer.Option(False, "--resume", help="Go on from the checkpoint an "
                                    "interrupted run left in --out (same command otherwise)."),
        init: Optional[Path] = typer.Option(
            None, "--init", help="Fine-tune: start from this trained model's network (one "
            "network of --backend, same classes; its architecture replaces -o's)."),
):
    """Train a drum onset model (used by `align --refine --model` and `transcribe`) on MIDI
    performances rendered with sampled kits: exact labels, several kits, random levels.  A
    checkpoint is kept after every epoch; the loss curve goes to history.png."""
    from ..components import build_options
    from ..dataset.examples import list_performances
    from ..errors import ConfigError
    from ..models.train import (META, MODEL_FEATURES, check_init, examples_from_file,
                                new_model_folder, render_examples, train_onset_model)
    st = state(ctx)
    if out is None and save_examples is None:
        fail("give --out (a model folder to write), --save-examples FILE, or both", 2)
    if out is not None and (out / META).exists() and not force:
        fail(f"{out} already holds a model (use --force to replace it)")
    if out is not None and out.exists() and not out.is_dir():
        fail(f"--out {out} is a file, not a folder")
    if midi_dir.is_file():                    # an examples file: nothing to render
        given = [f"--{n.replace('_', '-')}" for n in RENDER_OPTIONS
                 if ctx.get_parameter_source(n).name not in ("DEFAULT", "DEFAULT_MAP")]
        if given:
            fail(f"{midi_dir} holds rendered examples: {', '.join(given)} cannot apply to "
                 "them (they say how to render)", 2)
    chosen = [k.strip() for k in kits.split(",") if k.strip()]
    known = st.manager.registry("kit").names()
    unknown = [k for k in chosen if k not in known]
    if unknown or not chosen:                      # an unknown name is wrong usage (2)
        fail(f"unknown kit(s) {', '.join(unknown) or '(none given)'}; valid names: "
             f"{', '.join(known)}", 2)
    if (not (0 < max_seconds <= 3600) or jobs < 1 or (files is not None and files < 0)
            or kits_per_file < 0):
        fail("--max-seconds must be above 0 and at most 3600, --jobs above 0, --files and "
             "--kits-per-file 0 or more", 2)
    if window not in ("start", "random"):
        fail(f"--window must be start or random, not {window!r}", 2)
    if not 0.0 <= mix_kits <= 1.0:
        fail(f"--mix-kits must be a share from 0 to 1, not {mix_kits:g}", 2)
    from ..audio.mixed_kit import LEVELS
    if mix_levels not in LEVELS:
        fail(f"--mix-levels must be {' or '.join(LEVELS)}, not {mix_levels!r}", 2)
    if not 0.0 <= mix_gains <= 40.0:
        fail(f"--mix-gains must be decibels from 0 to 40, not {mix_gains:g}", 2)
    if mix_gains and not mix_kits:
        fail("--mix-gains turns the families of mixed kits: give --mix-kits SHARE too", 2)
    backend = configured_component(st, lambda n: st.manager.get("model_backend", n),
                                   "training.backend", backend_name)
    try:
        seeded = {"seed": seed} if "seed" in backend.Options.__dataclass_fields__ else {}
        options = build_options(backend, {**seeded, **parse_key_values(option)},
                                source="--option")
    except ConfigError as exc:
        fail(str(exc), 2)
    from ..dataset.augment import load_chain
    chain = st.config["training.chain"] if chain is None else chain
    copies = st.config["training.copies"] if copies is None else copies
    if not 1 <= copies <= 100:
        fail(f"--copies must be 1-100, not {copies}", 2)
    if chain:
        load_chain(chain, st.manager)        # a broken chain is named before any render
    from ..audio.features import FeatureConfig
    from ..dataset.example_files import write_examples
    from ..models import load_onset_model
    start = None if init is None else load_onset_model(init, st.manager)
    log = lambda m: typer.echo(m, err=True)      # noqa: E731
    with new_model_folder(out) if out is not None else nullcontext():
        if midi_dir.is_file():
            examples, features, scheme, info = examples_from_file(midi_dir, st.manager)
            info["command"] = _command_line()
            log(f"{len(examples)} examples ({info['frames']:,} frames) from {midi_dir}")
        else:
            if not midi_dir.is_dir():
                fail(f"not a folder: {midi_dir}")
            paths = [r["midi_path"] for r in list_performances(
                midi_dir, st.manager, split="train", n=files or None)]
            if not paths:
                listed = st.manager.pm.hook.list_performances(folder=midi_dir)  # known?
                if listed is None:
                    fail(f"no MIDI files (.mid, .midi) in {midi_dir}")
                index = next((r["index"] for r in listed if r.get("index")), midi_dir)
                fail(f"{index} lists no train-split files")
            # a fine-tune hears what its network heard: the features it was trained on
            features = start.features if start is not None else FeatureConfig(**MODEL_FEATURES)
            scheme = st.config["training.classes"]
            classes = st.manager.get("class_map", scheme).classes()
            if start is not None:               # before the renders, not after
                check_init(start, backend, classes, features)
            examples, facts = render_examples(
                paths, st.manager, kits=chosen, features=features, scheme=scheme,
                max_seconds=max_seconds, jobs=jobs, seed=seed, plugins_dirs=st.plugins_dirs,
                chain=chain, copies=copies, kits_per_file=kits_per_file, window=window,
                mix_share=mix_kits, mix_levels=mix_levels, mix_gains=mix_gains, log=log)
            info = {"midi": str(midi_dir), "command": _command_line(), **facts}
            if save_examples is not None:
                write_examples(save_examples, examples, features=asdict(features),
                               scheme=scheme, classes=classes, facts=info)
                log(f"wrote {save_examples} ({len(examples)} examples, "
                    f"{facts['frames']:,} frames)")
        if out is not None:
            train_onset_model(examples, out, st.manager, backend=backend, options=options,
                              features=features, scheme=scheme, info=info, resume=resume,
                              init=start, log=log)
            log(f"wrote {out}")


app.command("train", help="The same as train-onsets.")(train_onsets_command)


@app.command("ensemble")
def ensemble_command(
        ctx: typer.Context,
        models: List[str] = typer.Argument(..., help="Model folders (or shipped model names) "
                                           "of one backend, feature settings and class "
                                           "scheme."),
        out: Path = typer.Option(..., "--out", help="Model folder to write."),
        force: bool = typer.Option(False, "--force", help="Replace a model already in --out."),
):
    """Join onset models into one whose activations are the mean of theirs (an ensemble:
    steadier than any one network).  Tune its thresholds next (`tune-thresholds`)."""
    from ..models import META, ensemble, load_onset_model
    st = state(ctx)
    if len(models) < 2:
        fail("an ensemble needs two models or more", 2)
    if (out / META).exists() and not force:
        fail(f"{out} already holds a model (use --force to replace it)")
    loaded = [load_onset_model(m, st.manager) for m in models]   # errors name the file
    ensemble(loaded, out, {"command": _command_line()})
    typer.echo(f"wrote {out} (an ensemble of {len(loaded)}; tune its thresholds next)", err=True)


@app.command("tune-thresholds")
def tune_thresholds_command(
        ctx: typer.Context,
        midi_dir: Path = typer.Argument(..., help="Drum MIDI files: a Groove MIDI Dataset "
                                        "folder (its validation split is used) or any folder."),
        model: Path = typer.Option(..., "--model", help="Model folder to tune (its model.json "
                                   "gets the thresholds)."),
        kits: str = typer.Option(DEFAULT_KITS, "--kits", help="Kits to render with."),
        files: int = typer.Option(40, "--files", help="Performances, spread evenly."),
        max_seconds: float = typer.Option(30.0, "--max-seconds", help="Of each performance."),
        split: str = typer.Option("validation", "--split", help="Split of the collection."),
        chain: Optional[str] = typer.Option(None, "--chain", help="Render through this "
                                            "augmentation chain (as the model was trained)."),
        views: Optional[int] = typer.Option(
            None, "--views", help="Hear each recording this many times, framed a fraction of "
            "a hop later each time, and average (test-time augmentation; stored with the "
            "thresholds; default: the model's, 1 unless set)."),
):
    """Tune the per-class peak-picking thresholds `transcribe` uses on rendered validation
    performances (best F at 50 ms per class) and store them with the model."""
    from ..dataset.examples import list_performances, render_example
    from ..errors import DrumtabberError
    from ..models import load_onset_model
    from ..models.onset_model import MAX_VIEWS
    from ..transcribe.tune import store_thresholds, tune_thresholds
    st = state(ctx)
    if views is not None and not 1 <= views <= MAX_VIEWS:
        fail(f"--views must be 1-{MAX_VIEWS}, not {views}", 2)
    loaded = load_onset_model(model, st.manager)
    loaded.views = views or loaded.views
    chosen = [k.strip() for k in kits.split(",") if k.strip()]
    for k in chosen:
        st.manager.get("kit", k)
    if files < 1 or not 0 < max_seconds <= 3600:
        fail("--files must be 1 or more and --max-seconds above 0 (at most 3600)", 2)
    from ..dataset.augment import load_chain
    augment = load_chain(chain, st.manager) if chain else None
    rows = list_performances(midi_dir, st.manager, split=split, n=files)
    if not rows:
        fail(f"no {split}-split MIDI files in {midi_dir}")
    def examples():                  # one at a time: each keeps its audio
        for n, r in enumerate(rows):
            for kit in chosen:
                try:
                    yield render_example(r["midi_path"], kit, loaded.class_map, None,
                                         loaded.features, manager=st.manager,
                                         max_seconds=max_seconds, chain=augment, seed=n,
                                         keep_samples=True)
                except DrumtabberError as exc:
                    typer.echo(f"warning: {r['midi_path']}: skipped: {exc.message}", err=True)
    tuned = tune_thresholds(loaded, examples())
    store_thresholds(loaded.path, tuned, {"midi": str(midi_dir), "split": split,
                                          "files": len(rows), "kits": chosen,
                                          "max_seconds": max_seconds, "chain": chain or ""},
                     loaded.views)
    for name, t in tuned.items():
        typer.echo(f"{name:12s} threshold {t['threshold']:.2f}  F50 {t['f']:.3f} "
                   f"(at 0.5: {t['f_at_0.5']:.3f}, {t['reference_onsets']} onsets)")
    typer.echo(f"wrote the thresholds into {loaded.path / 'model.json'}", err=True)
