"""Training a drum onset model on drum MIDI performances rendered with sampled kits."""
from __future__ import annotations

import inspect
import shutil
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from ..errors import DrumtabberError
from .onset_model import META, OnsetModel

# The feature settings of the onset models: 84 mel bands from 30 Hz to 16 kHz over a
# 1024-sample window (23 ms), 100 frames per second.
MODEL_FEATURES = {"kind": "mel", "n_mels": 84, "n_fft": 1024, "hop_length": 441,
                  "fmin": 30.0, "fmax": 16000.0}
# Each take is rendered at a level drawn from this range (FluidSynth gain), so the model
# does not learn one loudness.
GAIN_RANGE = (0.2, 0.8)
WORK_DIR = ".training"            # checkpoints of a run, in the model folder


@dataclass(frozen=True)
class RenderJob:
    midi_path: Path
    kit: str
    gain: float
    max_seconds: float
    scheme: str                   # the class map's name
    plugins_dirs: tuple = ()
    chain: str = ""               # augmentation chain (name or file); "" for none
    seed: int = 0                 # the chain's seed for this render
    window_at: float = 0.0        # where the max_seconds taken start (render_example)
    features: tuple = tuple(MODEL_FEATURES.items())     # FeatureConfig settings, as pairs


def _render_job(job: RenderJob):
    """``(example name, (features, targets))``, or ``(file, why it was skipped)``; runs in a
    worker process, so it finds its own plugin manager."""
    from ..audio.features import FeatureConfig
    from ..dataset.examples import render_example
    from ..plugin_manager import get_plugin_manager
    manager = get_plugin_manager(job.plugins_dirs)
    from ..dataset.augment import load_chain
    class_map = manager.get("class_map", job.scheme)
    try:
        ex = render_example(job.midi_path, job.kit, class_map, class_map.Options(),
                            FeatureConfig(**dict(job.features)), manager=manager,
                            max_seconds=job.max_seconds, gain=job.gain,
                            chain=load_chain(job.chain, manager) if job.chain else None,
                            seed=job.seed, window_at=job.window_at)
    except (DrumtabberError, OSError, ValueError) as exc:
        return str(job.midi_path), getattr(exc, "message", None) or str(exc)
    return ex.name, (ex.features, ex.targets)


def render_examples(midi_paths: list[Path], manager, *, kits: list[str], features,
                    scheme: str = "onsets", max_seconds: float = 40.0, jobs: int = 1,
                    seed: int = 0, plugins_dirs=(), chain: str = "", copies: int = 1,
                    kits_per_file: int = 0, window: str = "start", mix_share: float = 0.0,
                    mix_levels: str = "own", mix_gains: float = 0.0,
                    log=print) -> tuple[list, dict]:
    """Render every file with every kit (or ``kits_per_file`` of them drawn at random for
    each file; ``copies`` times, each through the augmentation ``chain`` with its own seed
    when there is one) into training examples: pairs of ``features`` (a FeatureConfig) and
    frame targets of the class map ``scheme``.  ``window``: the ``max_seconds`` of each
    performance from its ``start``, or from a place drawn at ``random`` for each render (more
    of the performances heard).  ``mix_share``: the share of renders whose kit is a mix
    (:mod:`drumtabber.audio.mixed_kit`), each drum family of the render's kit (percussion
    aside) played by one of ``kits`` drawn for it, as loud as that kit plays it
    (``mix_levels`` "own") or as the render's kit would ("base"), and ``mix_gains`` > 0: each
    of those families 0 to that many dB quieter, drawn for it.  Returns the examples and the
    facts of how they were made (what a model folder records)."""
    if chain:
        from ..dataset.augment import load_chain
        load_chain(chain, manager)          # a broken chain stops here, before the renders
    rng = np.random.default_rng(seed)
    per_file = kits_per_file if 0 < kits_per_file < len(kits) else len(kits)
    settings = tuple(asdict(features).items())
    work = [RenderJob(Path(p), str(kit), float(rng.uniform(*GAIN_RANGE)), max_seconds, scheme,
                      tuple(str(d) for d in plugins_dirs), str(chain or ""),
                      int(rng.integers(2**31)), features=settings)
            for p in midi_paths
            for kit in (kits if per_file == len(kits) else rng.choice(kits, per_file, False))
            for _ in range(copies)]
    if window == "random":                  # its own draws: the renders' stay as they were
        places = np.random.default_rng([seed, 1]).random(len(work))
        work = [replace(j, window_at=float(u)) for j, u in zip(work, places)]
    if mix_share > 0:                       # its own draws too
        from ..audio.mixed_kit import FAMILIES, mix_name
        mixing, turning = np.random.default_rng([seed, 2]), np.random.default_rng([seed, 3])
        work = [replace(j, kit=mix_name(
                    j.kit, {f: str(mixing.choice(kits)) for f in FAMILIES[:-1]}, mix_levels,
                    {f: round(float(turning.uniform(-mix_gains, 0)), 1) for f in FAMILIES[:-1]}
                    if mix_gains > 0 else None))
                if mixing.random() < mix_share else j for j in work]
    log(f"rendering {len(midi_paths)} MIDI files with {len(kits)} kits"
        + (f" ({per_file} at random for each file)" if per_file < len(kits) else "")
        + (f", {copies} copies each" if copies > 1 else "")
        + (f", augmented with chain {chain}" if chain else "")
        + (f", {sum(j.kit.startswith('mix:') for j in work)} renders with mixed kits"
           if mix_share > 0 else ""))
    if jobs > 1:
        from concurrent.futures import ProcessPoolExecutor
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_render_job, work, chunksize=4))
    else:
        done = [_render_job(j) for j in work]
    examples = [pair for _, pair in done if not isinstance(pair, str)]
    for name, problem in done:
        if isinstance(problem, str):
            log(f"warning: {name}: skipped: {problem}")
    if not examples:
        raise DrumtabberError("no example could be rendered")
    facts = {"files": len(midi_paths), "kits": list(kits), "max_seconds": max_seconds,
             "examples": len(examples), "chain": str(chain or ""), "copies": copies,
             "kits_per_file": per_file, "window": window, "mix_share": mix_share,
             **({"mix_levels": mix_levels, "mix_gains": mix_gains} if mix_share > 0 else {}),
             "frames": int(sum(len(f) for f, _ in examples))}
    return examples, facts


def train_onset_model(examples: list, out: Path, manager, *, backend, options, features,
                      scheme: str = "onsets", info=None, resume: bool = False, init=None,
                      log=print) -> Path:
    """Train a network of ``backend`` on ``examples`` (pairs of features computed with
    ``features`` and frame targets of the class map ``scheme``, from
    :func:`render_examples` or an examples file) and write the model folder ``out``.
    ``scheme`` names a class map read from TOML text (its ``text`` goes into the model
    folder).  Training checkpoints go to ``out/.training`` after every epoch (removed once
    the model is written); ``resume`` goes on from the one there.  ``init``, a trained model
    (:class:`OnsetModel` of one network, this backend, scheme and features), is the network
    to go on training (fine-tuning: its architecture, not ``options``').  ``info``: the
    facts the model folder records (how the examples were made, the command)."""
    class_map = manager.get("class_map", scheme)
    if init is not None:
        check_init(init, backend, class_map.classes(), features)
    if not getattr(class_map, "text", ""):
        raise DrumtabberError(f"class map {scheme!r} has no TOML text to store with the model: "
                              "use a scheme from a TOML file")
    out.mkdir(parents=True, exist_ok=True)
    network = (init.network if init is not None else
               backend.build(examples[0][0].shape[1], examples[0][1].shape[1], options))
    work_dir = out / WORK_DIR
    if "work_dir" in inspect.signature(backend.train).parameters:
        history = backend.train(network, examples, options, log=log, work_dir=work_dir,
                                resume=resume)
    else:                                   # a backend without checkpoints
        history = backend.train(network, examples, options, log=log)
    facts = {**(info or {}),
             "options": {k: getattr(options, k) for k in vars(options)}, "history": history,
             **({"init": {"path": str(init.path), **{k: init.info.get(k) for k in
                                                       ("command", "init") if k in init.info}}}
                if init is not None else {})}
    OnsetModel(backend, network, features, class_map.text, facts, out).save(out)
    plot_history(history, out / "history.png", title=f"{backend.name}: {out.name}")
    shutil.rmtree(work_dir, ignore_errors=True)
    return out


def examples_from_file(path: Path, manager) -> tuple[list, object, str, dict]:
    """The examples an examples file holds (:mod:`drumtabber.dataset.example_files`), their
    feature settings (a FeatureConfig), class scheme and the facts of how they were made (the
    command that rendered them as ``render_command``); the scheme must have the same classes
    here."""
    from ..audio.features import FeatureConfig
    from ..dataset.example_files import read_examples
    examples, meta = read_examples(path)
    scheme = meta["scheme"]
    here = manager.get("class_map", scheme).classes()
    if here != meta["classes"]:
        raise DrumtabberError(f"its examples have the classes {', '.join(meta['classes'])}; "
                              f"the class scheme {scheme!r} here has {', '.join(here)}",
                              path=path)
    facts = {k: v for k, v in meta["facts"].items() if k != "command"}
    facts.update(examples_file=str(path), render_command=meta["facts"].get("command"))
    return examples, FeatureConfig(**meta["features"]), scheme, facts


@contextmanager
def new_model_folder(out: Path):
    """Create the model folder ``out`` before any work (a DrumtabberError naming it when that
    fails); when the work fails, a folder created here is removed again if it is still empty
    (an interrupted training's checkpoints stay for ``--resume``)."""
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DrumtabberError(f"cannot create the folder: {exc.strerror}", path=out) from None
    try:
        yield out
    except BaseException:
        if created and not any(out.iterdir()):
            out.rmdir()
        raise


def check_init(init, backend, classes: list[str], features) -> None:
    """A model to fine-tune must be one network of ``backend`` with these classes and
    features (a DrumtabberError naming its folder says what differs)."""
    differs = [f"{what} {a} (this run: {b})" for what, a, b in (
        ("backend", init.backend.name, backend.name), ("classes", init.classes, classes),
        ("features", init.features, features)) if a != b]
    if len(init.networks) != 1:
        differs.append(f"{len(init.networks)} networks (an ensemble: give one member's folder)")
    if differs:
        raise DrumtabberError("cannot go on training this model: it has " + "; ".join(differs),
                              path=init.path)


def plot_history(history: dict, path: Path, *, title: str = "") -> Path | None:
    """A PNG of the loss (and validation loss) per epoch; None without matplotlib."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for key in ("loss", "val_loss"):
        if history.get(key):
            ax.plot(range(1, len(history[key]) + 1), history[key], marker="o", label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("binary cross-entropy")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


__all__ = ["GAIN_RANGE", "META", "MODEL_FEATURES", "RenderJob", "check_init",
           "examples_from_file", "new_model_folder", "plot_history", "render_examples",
           "train_onset_model"]
