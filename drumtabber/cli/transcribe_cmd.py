"""``transcribe`` (recordings into onsets, MIDI, MusicXML and a tab) and ``evaluate`` (a model
against annotated recordings, as the field scores transcription)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from . import app, fail, parse_key_values, progress_bar, state


def _thresholds(model, pairs: list[str]) -> dict:
    from ..transcribe import model_thresholds
    chosen = model_thresholds(model)
    for name, value in parse_key_values(pairs, "--threshold").items():
        if name not in chosen:
            fail(f"--threshold {name}: the model's classes are {', '.join(model.classes)}", 2)
        try:
            chosen[name] = float(value)
        except ValueError:
            chosen[name] = -1.0
        if not 0 < chosen[name] < 1:
            fail(f"--threshold {name}: expected a number between 0 and 1, found {value!r}", 2)
    return chosen


def _transcribe_one(job):
    """One recording in a worker process: ``(audio, files or None, error or None)``."""
    from ..errors import DrumtabberError
    from ..models import load_onset_model
    from ..plugin_manager import get_plugin_manager
    from ..transcribe import transcribe_recording
    audio, model_name, out, formats, scheme, thresholds, force, dirs = job
    manager = get_plugin_manager(dirs)
    try:
        model = load_onset_model(model_name, manager)
        result = transcribe_recording(Path(audio), model, manager, out_dir=Path(out),
                                      formats=formats, force=force, thresholds=thresholds,
                                      scheme=manager.get("class_map", scheme) if scheme else None)
    except (DrumtabberError, OSError, MemoryError) as exc:
        return audio, None, getattr(exc, "message", None) or str(exc), 0
    return audio, [str(p) for p in result.files], None, len(result.onsets)


@app.command("transcribe")
def transcribe_command(
        ctx: typer.Context,
        audio: List[Path] = typer.Argument(..., help="Recordings (wav, flac, mp3, ...)."),
        model: str = typer.Option("transcriber", "--model", help="Onset model: a model "
                                  "folder or a shipped one (`transcriber`, `bundled`)."),
        out: Path = typer.Option(Path("."), "--out", help="Folder for the outputs."),
        formats: str = typer.Option("csv,midi,musicxml,tab", "--format",
                                    help="csv, midi, musicxml, tab (tab: with its alignment "
                                    "file), comma-separated."),
        classes: Optional[str] = typer.Option(None, "--classes", help="Write the CSV in this "
                                              "class scheme (e.g. adtof) instead of the "
                                              "model's classes."),
        threshold: List[str] = typer.Option([], "--threshold", help="Peak-picking threshold "
                                            "CLASS=VALUE (repeatable; default: the model's)."),
        jobs: int = typer.Option(1, "--jobs", help="Recordings in parallel (processes)."),
        force: bool = typer.Option(False, "--force", help="Overwrite existing outputs."),
):
    """Transcribe drum recordings: onsets (CSV: time, class, velocity, confidence), General
    MIDI drums with the tracked tempo, MusicXML percussion, and an ASCII tab quantised to
    the beat grid with the alignment file that ties it to the recording."""
    from ..models import load_onset_model
    from ..transcribe import FORMATS
    st = state(ctx)
    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    if not chosen or any(f not in FORMATS for f in chosen):
        fail(f"--format: expected some of {', '.join(FORMATS)}, found {formats!r}", 2)
    if jobs < 1:
        fail("--jobs must be 1 or more", 2)
    if classes:
        st.manager.get("class_map", classes)               # an unknown scheme: usage error
    loaded = load_onset_model(model, st.manager)            # a broken model: named once
    thresholds = _thresholds(loaded, threshold)
    names = [p.name for p in audio]
    if len(set(names)) != len(names):
        fail("two recordings have the same file name: their outputs would collide", 2)
    work = [(str(a), model, str(out), chosen, classes, thresholds, force,
             tuple(str(d) for d in st.plugins_dirs)) for a in audio]
    from ..dataset.export import run_all
    failed = 0
    with progress_bar() as progress:
        for k, (path, files, error, n) in enumerate(run_all(_transcribe_one, work,
                                                            jobs=jobs), 1):
            if error:
                failed += 1
                typer.echo(f"error: {path}: {error}", err=True)
            else:
                typer.echo(f"{path}: {n} onsets -> {', '.join(files)}", err=True)
            if progress:
                progress("transcribing", k, len(work))
    if failed:
        raise typer.Exit(1)


@app.command("evaluate")
def evaluate_command(
        ctx: typer.Context,
        folder: Path = typer.Argument(..., help="Recordings with `time<TAB>label` annotation "
                                      "files (MDB Drums, ENST layouts) or alignment files."),
        model: str = typer.Option("transcriber", "--model", help="Onset model to evaluate "
                                  "(a folder, `transcriber` or `bundled`)."),
        classes: str = typer.Option("adtof", "--classes", help="Class scheme both sides are "
                                    "mapped to (default: adtof, the 5 classes BD SD TT HH "
                                    "CY+RD)."),
        vocabulary: str = typer.Option("auto", "--vocabulary", help="Labels of the "
                                       "annotation files: auto, mdb, enst, gm."),
        threshold: List[str] = typer.Option([], "--threshold", help="Peak-picking threshold "
                                            "CLASS=VALUE (repeatable)."),
        fmt: str = typer.Option("text", "--format", help="text or json"),
):
    """Precision, recall and F-measure per class at 50 and 30 ms (mir_eval), summed over
    tracks and classes and averaged over classes, and per track."""
    from ..alignment import load_song
    from ..audio.io import load_audio
    from ..classes import map_onset_rows
    from ..findings import errors_of
    from ..models import load_onset_model
    from ..transcribe import transcribe_samples
    from ..transcribe.evaluate import WINDOWS_S, Evaluation, annotation_onsets, find_tracks
    from ..transcribe.peaks import map_transcription
    if fmt not in ("text", "json"):
        fail(f"--format must be text or json, not {fmt!r}", 2)
    st = state(ctx)
    scheme = st.manager.get("class_map", classes)
    loaded = load_onset_model(model, st.manager)
    thresholds = _thresholds(loaded, threshold)
    if not folder.is_dir():
        fail(f"not a folder: {folder}")
    tracks = find_tracks(folder, st.manager)
    if not tracks:
        fail(f"no recordings with annotation or alignment files in {folder}")
    result = Evaluation(scheme.classes(scheme.Options()), WINDOWS_S)
    with progress_bar() as progress:
        for k, (audio, reference) in enumerate(tracks, 1):
            if reference.suffix == ".toml":
                song, findings = load_song(reference, st.manager)
                if song is None:
                    typer.echo(f"skipped {reference}: {errors_of(findings)[0].format()}",
                               err=True)
                    continue
                ref = song.onsets
            else:
                ref, unknown = annotation_onsets(reference, vocabulary)
                for label, n in unknown.items():
                    result.unknown_labels[label] = result.unknown_labels.get(label, 0) + n
            samples, rate = load_audio(audio, sample_rate=loaded.features.sample_rate)
            est = transcribe_samples(samples, rate, loaded, thresholds=thresholds)
            options = scheme.Options()
            result.add_track(audio.stem, map_onset_rows(scheme, ref, options),
                             map_transcription(scheme, est, options))
            if progress:
                progress("evaluating", k, len(tracks))
    summary = result.summary()
    if fmt == "json":
        typer.echo(json.dumps({"model": str(model), "classes": classes,
                               "unknown_labels": result.unknown_labels, **summary}, indent=2))
        return
    for window, s in summary.items():
        typer.echo(f"{window}: sum F {s['sum']['f']:.3f} (P {s['sum']['precision']:.3f}, "
                   f"R {s['sum']['recall']:.3f}), mean F {s['mean']['f']:.3f}")
        for name, c in s["classes"].items():
            typer.echo(f"  {name:8s} F {c['f']:.3f}  P {c['precision']:.3f}  "
                       f"R {c['recall']:.3f}  ({c['n_ref']} reference, {c['n_est']} found)")
        for name, c in s["tracks"].items():
            typer.echo(f"  track {name}: F {c['f']:.3f}")
    if result.unknown_labels:
        typer.echo("unknown labels (not scored): " + ", ".join(
            f"{k} x{v}" for k, v in sorted(result.unknown_labels.items())), err=True)


@app.command("convert")
def convert_command(
        ctx: typer.Context,
        source: Path = typer.Argument(..., help="A tab, drum MIDI, .chart or MusicXML file."),
        out: Path = typer.Argument(..., help="The file to write: .txt (ASCII tab), .mid "
                                   "(General MIDI drums) or .musicxml."),
        force: bool = typer.Option(False, "--force", help="Overwrite OUT."),
):
    """Convert between any readable source and an ASCII tab, drum MIDI or MusicXML; a tab is
    read back and must give the same hits."""
    from ..findings import errors_of
    from ..tabs import load_tab
    from ..transcribe.convert import check_read_back, convert
    from . import check_output
    check_output(out, suffixes=(".txt", ".mid", ".midi", ".musicxml", ".xml"), force=force,
                 option="OUT")
    st = state(ctx)
    parsed = load_tab(source, st.manager, settings=dict(st.config.values))
    errors = errors_of(parsed.findings)
    for f in errors:
        typer.echo(f.format(), err=True)
    if errors or not parsed.score.events:
        fail(f"{source}: nothing converted ({len(errors)} errors, "
             f"{len(parsed.score.events)} hits)")
    dropped = convert(parsed, out, st.manager)
    for line in dropped:
        typer.echo(f"warning: not written: {line}", err=True)
    if out.suffix.lower() == ".txt" and not dropped:
        check_read_back(parsed.score, out, st.manager)
    typer.echo(f"{out}: {len(parsed.score.events)} hits from {source}", err=True)
