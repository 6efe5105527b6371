"""Exporting a dataset: every aligned song with its recording, through refinement, the class
map, augmentation, features and frame targets, handed to exporter plugins.

The work runs in three passes, each over songs one at a time per worker:

1. facts: each alignment file read, its recording found and hashed (splits need the audio
   checksums, so that one recording under two names lands in one split);
2. songs: each song loaded, refined, augmented (``copies``), turned into features (cached by
   the content hash of the audio and the settings) and targets; the result goes to a work
   file ``OUT/.work/<song>.pkl`` and only counts come back, so memory stays one song per
   worker.  A song that fails is skipped with its reason;
3. formats: each exporter streams the work files in a stable order (split, song) into its
   own folder, written under ``OUT/.staging`` and renamed when complete; then
   ``manifest.json`` and the dataset card ``README.md``.

An interrupted export keeps its work files: the next run with the same settings skips the
songs already done and gives the same files as an uninterrupted run.  Work runs in this
process, a process pool (``jobs``) or on a Dask cluster (``scheduler``).
"""
from __future__ import annotations

import dataclasses
import pickle
import re
import shutil
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from ..components import ExportExample
from ..errors import DrumtabberError
from .cache import Cache, content_key

WORK, STAGING = ".work", ".staging"
MANIFEST, CARD = "manifest.json", "README.md"
REFINE_RATE = 44100


@dataclass(frozen=True)
class ExportJob:
    """Everything a worker needs for one song (picklable; no plugin objects)."""

    out: str
    audio_dir: str
    cache_dir: str
    scheme: str
    scheme_values: dict
    features: dict                   # FeatureConfig fields
    chain: str = ""                  # a chain name or file, "" for none
    copies: int = 1
    seed: int = 0
    refine: str = ""                 # "" (no), "none" (generic onsets) or a model
    settings: dict = field(default_factory=dict)
    plugins_dirs: tuple = ()
    # loads the refine model: ``model_loader(refine, manager)`` (picklable: a module-level
    # function, such as drumtabber.models.load_onset_model, given by the caller)
    model_loader: object = None

    def fingerprint(self) -> str:
        fixed = {k: v for k, v in dataclasses.asdict(self).items()
                 if k not in ("out", "cache_dir", "plugins_dirs", "model_loader")}
        return content_key("job", fixed)


def alignment_paths(inputs, manager) -> list[Path]:
    """Alignment files: those given, and every file of an alignment format under the
    folders given; sorted, each once."""
    from ..alignment import alignment_suffixes
    suffixes = set(alignment_suffixes(manager))
    found = set()
    for p in map(Path, inputs):
        if p.is_dir():
            found.update(x for x in p.rglob("*") if x.suffix.lower() in suffixes and x.is_file())
        else:
            found.add(p)
    return sorted(found)


def safe_name(song: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", song)


def song_ids(paths: list[Path]) -> list[str]:
    """Ids of alignment files: their paths below the folder they share, without suffix."""
    paths = [Path(p).resolve() for p in paths]
    if not paths:
        return []
    root = Path(*_common_parts([p.parent.parts for p in paths]))
    return [p.relative_to(root).with_suffix("").as_posix() for p in paths]


def _common_parts(parts_list):
    first = parts_list[0]
    n = min(len(p) for p in parts_list)
    k = next((i for i in range(n) if any(p[i] != first[i] for p in parts_list)), n)
    return first[:k] or ("/",)


# -- pass 1: facts ------------------------------------------------------------------------
def song_facts(job: ExportJob, item: tuple[str, str]) -> dict:
    """What a split needs to know of one song, or its error."""
    from ..alignment import load_alignment
    from ..alignment.recording import file_sha256, find_audio
    from ..findings import errors_of
    from ..plugin_manager import get_plugin_manager
    path, song = item
    facts = {"song": song, "alignment": path, "error": None}
    try:
        alignment, findings = load_alignment(Path(path), get_plugin_manager(job.plugins_dirs))
        errors = errors_of(findings)
        if alignment is None or errors:
            facts["error"] = (errors or findings)[0].format()
            return facts
        recording = find_audio(alignment, Path(job.audio_dir))
        facts.update(title=alignment.song or Path(path).stem, artist=alignment.artist,
                     source=alignment.source, license=alignment.license,
                     alignment_sha256=file_sha256(path),
                     tab=str(alignment.tab or ""),
                     tab_sha256=file_sha256(alignment.tab) if alignment.tab and
                     Path(alignment.tab).is_file() else "",
                     audio=str(recording or ""),
                     audio_sha256=file_sha256(recording) if recording else "")
        if recording is None:
            facts["error"] = (f"{path}: recording {alignment.audio_file!r} not found under "
                              f"{job.audio_dir}" if alignment.audio_file else
                              f"{path}: no [audio] file named")
    except (DrumtabberError, OSError) as exc:
        facts["error"] = f"{path}: {getattr(exc, 'message', None) or exc}"
    return facts


# -- pass 2: songs ------------------------------------------------------------------------
def song_work(job: ExportJob, item: tuple[dict, str]) -> dict:
    """Export one song into its work file; returns its outcome (counts or the error)."""
    facts, split = item
    work = Path(job.out) / WORK / f"{safe_name(facts['song'])}.pkl"
    fingerprint = content_key(job.fingerprint(), facts["alignment_sha256"],
                              facts["tab_sha256"], facts["audio_sha256"], split)
    done = _read_work(work)
    if done is not None and done["fingerprint"] == fingerprint:
        return {**done["outcome"], "resumed": True}
    outcome = {"song": facts["song"], "split": split, "error": None, "examples": [],
               "resumed": False}
    try:
        examples = list(_song_examples(job, facts, split))
    except (DrumtabberError, OSError, ValueError, MemoryError) as exc:
        outcome["error"] = f"{facts['alignment']}: {getattr(exc, 'message', None) or exc}"
        return outcome
    outcome["examples"] = [{"song": e.song, "frames": len(e.features),
                            "events": e.onsets["class"].value_counts().to_dict()}
                           for e in examples]
    work.parent.mkdir(parents=True, exist_ok=True)
    partial_file = work.with_name(f".{work.name}.partial")
    with open(partial_file, "wb") as f:
        pickle.dump({"fingerprint": fingerprint, "outcome": outcome, "examples": examples}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)
    partial_file.replace(work)
    return outcome


def _read_work(path: Path):
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except Exception:                  # missing, truncated by a kill, or foreign
        return None


def _song_examples(job: ExportJob, facts: dict, split: str):
    from ..alignment import load_song
    from ..audio.features import FeatureConfig, compute_features, onsets_to_class_targets
    from ..classes import map_onset_rows
    from ..components import build_options
    from ..findings import errors_of
    from ..plugin_manager import get_plugin_manager
    from .augment import apply_chain, load_chain
    manager = get_plugin_manager(job.plugins_dirs)
    song, findings = load_song(facts["alignment"], manager, audio_dir=Path(job.audio_dir),
                               settings=job.settings, need_recording=True)
    if song is None:
        raise DrumtabberError((errors_of(findings) or findings)[0].format())
    cache = Cache(Path(job.cache_dir))
    config = FeatureConfig(**job.features)
    class_map = manager.get("class_map", job.scheme)
    options = build_options(class_map, job.scheme_values, source="--option")
    classes = class_map.classes(options)
    loaded = []                          # the recording, read only when a cache misses

    def audio():
        if not loaded:
            loaded.append(song.load_audio(config.sample_rate))
        return loaded[0]
    onsets = song.onsets
    if job.refine:
        onsets = cache.get_or_compute("refined", content_key(
            "refine", facts["audio_sha256"], facts["alignment_sha256"], facts["tab_sha256"],
            job.refine, job.settings), lambda: _refined(job, song, manager))
    chain = load_chain(job.chain, manager) if job.chain else None
    for copy in range(job.copies):
        seed = int(content_key(job.seed, facts["song"], copy)[:8], 16)
        key = content_key("features", facts["audio_sha256"], job.features,
                          chain_facts(chain), seed if chain else None,
                          onsets[["time", "instrument", "gm_note"]].to_numpy().tolist())

        def compute():
            samples, rate = audio()
            moved = onsets
            if chain is not None:
                samples, moved = apply_chain(chain, samples, rate, onsets, seed=seed)[:2]
            return compute_features(samples, config), moved, len(samples) / rate
        features, moved, duration = cache.get_or_compute("features", key, compute)
        if chain is not None:
            features = apply_chain(chain, features, config.fps, moved, seed=seed,
                                   stage="features")[0]
        mapped = map_onset_rows(class_map, moved, options)
        targets = onsets_to_class_targets(mapped, classes, n_frames=len(features),
                                          fps=config.fps)
        yield ExportExample(facts["song"] + (f"#{copy + 1}" if copy else ""), split,
                            facts["title"], classes, config.fps, features, targets, mapped,
                            song.score, song.tempo_map, duration)


def chain_facts(chain) -> list | None:
    """A chain's steps as plain data (for cache keys and the manifest)."""
    if chain is None:
        return None
    return [{"augmenter": s.augmenter.name, "p": s.probability,
             "options": dataclasses.asdict(s.options)} for s in chain.steps]


def _refined(job: ExportJob, song, manager):
    from ..alignment.refine import refine_onsets
    model = None if job.refine == "none" else job.model_loader(job.refine, manager)
    samples, rate = song.load_audio(REFINE_RATE)
    result, refined = refine_onsets(song.onsets, song.tempo_map, samples, rate, model=model)
    if not result.accepted:
        raise DrumtabberError(f"refinement rejected: {result.reason}")
    return refined


# -- running the passes -------------------------------------------------------------------
def run_all(fn, items: list, *, jobs: int = 1, scheduler=None):
    """``fn(item)`` for every item, yielded as each finishes: in this process, a process
    pool of ``jobs``, or on the Dask cluster at ``scheduler`` (an address)."""
    if scheduler:
        from distributed import Client
        from distributed import as_completed as dask_completed
        with Client(scheduler) as client:
            for future in dask_completed(client.map(fn, items, pure=False)):
                yield future.result()
    elif jobs > 1 and len(items) > 1:
        import multiprocessing
        # spawned, not forked: a forked TensorFlow (the refine model) deadlocks
        with ProcessPoolExecutor(min(jobs, len(items)),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            for future in as_completed([pool.submit(fn, x) for x in items]):
                yield future.result()
    else:
        for x in items:
            yield fn(x)


def iter_examples(out: Path, outcomes: list[dict]):
    """The exported examples from the work files, by split then song."""
    from .splits import SPLITS
    order = sorted((o for o in outcomes if not o["error"]),
                   key=lambda o: (SPLITS.index(o["split"]), o["song"]))
    for o in order:
        done = _read_work(out / WORK / f"{safe_name(o['song'])}.pkl")
        if done is None:
            raise DrumtabberError(f"the work file of {o['song']} is gone or unreadable: run "
                                  "the export again", path=out / WORK)
        yield from done["examples"]


def write_formats(out: Path, exporters: list, outcomes: list[dict]) -> dict[str, list[str]]:
    """Each exporter into ``OUT/.staging/<name>``, then renamed to ``OUT/<name>``."""
    written = {}
    for exporter, options in exporters:
        staging = out / STAGING / exporter.name
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        files = exporter.export(iter_examples(out, outcomes), staging, options)
        target = out / exporter.name
        if target.exists():
            shutil.rmtree(target)
        staging.replace(target)
        written[exporter.name] = sorted(
            str((target / Path(f).relative_to(staging)).relative_to(out)) for f in files)
    shutil.rmtree(out / STAGING, ignore_errors=True)
    return written


def prepare_out(out: Path, *, force: bool) -> None:
    """Refuse to touch a folder that is not an export; ``force`` starts a finished or
    interrupted export over."""
    if out.exists() and not out.is_dir():
        raise DrumtabberError("is a file, not a folder", path=out)
    if not out.exists():
        out.mkdir(parents=True)
        return
    ours = (out / MANIFEST).is_file() or (out / WORK).is_dir()
    if any(out.iterdir()) and not ours:
        raise DrumtabberError("is not empty and holds no export: choose another --out", path=out)
    if (out / MANIFEST).is_file() and not force:
        raise DrumtabberError("already holds an export (use --force to start over)", path=out)
    if force:
        for child in out.iterdir():
            if child.is_dir():
                shutil.rmtree(child)
            else:
                child.unlink()


@dataclass
class ExportResult:
    out: Path
    outcomes: list[dict]
    skipped: list[dict]
    files: dict
    seconds: float
    cache: Path


def export_dataset(paths: list[Path], job: ExportJob, manager, *, formats: list, split_of,
                   jobs: int = 1, scheduler=None, force: bool = False, progress=None,
                   describe=None) -> ExportResult:
    """Export the songs of ``paths`` (alignment files) with ``formats`` (pairs of exporter
    and options).  ``split_of(facts) -> {song: split}`` assigns the splits; ``progress(pass,
    done, total)`` is called as songs finish; ``describe(out, job, result)`` writes the
    manifest and card (:mod:`.manifest`)."""
    start = time.perf_counter()
    out = Path(job.out)
    prepare_out(out, force=force)
    ids = song_ids(paths)
    items = list(zip([str(p) for p in paths], ids))
    facts, skipped = [], []
    for k, f in enumerate(run_all(partial(song_facts, job), items, jobs=jobs,
                                  scheduler=scheduler), 1):
        (skipped if f["error"] else facts).append(f)
        if progress:
            progress("reading", k, len(items))
    splits = split_of(facts)
    by_song = {f["song"]: f for f in facts}
    outcomes = []
    work = [(by_song[s], splits[s]) for s in sorted(by_song)]
    for k, o in enumerate(run_all(partial(song_work, job), work, jobs=jobs,
                                  scheduler=scheduler), 1):
        if o["error"]:
            skipped.append({"song": o["song"], "alignment": by_song[o["song"]]["alignment"],
                            "error": o["error"]})
        else:
            outcomes.append({**o, "facts": by_song[o["song"]]})
        if progress:
            progress("exporting", k, len(work))
    outcomes.sort(key=lambda o: o["song"])
    skipped.sort(key=lambda s: s["song"])
    files = write_formats(out, formats, outcomes) if outcomes else {}
    result = ExportResult(out, outcomes, skipped, files, time.perf_counter() - start,
                          Path(job.cache_dir))
    if describe is not None and outcomes:
        describe(out, job, result)
        shutil.rmtree(out / WORK, ignore_errors=True)
    return result
