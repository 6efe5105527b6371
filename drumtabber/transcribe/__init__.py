"""The transcription stage: a recording in, drum onsets, MIDI, notation and a tab out
(:func:`transcribe_recording`), and the field's evaluation of a transcriber
(:mod:`.evaluate`)."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DrumtabberError

FORMATS = ("csv", "midi", "musicxml", "tab")
CSV_COLUMNS = ["time", "class", "velocity", "confidence"]


@dataclass
class Transcription:
    audio: Path
    onsets: object                   # onset table in the model's classes
    score: object = None             # the quantised score (tab, MIDI and MusicXML)
    files: list = field(default_factory=list)


def model_thresholds(model) -> dict[str, float]:
    """The per-class peak-picking thresholds stored with a model (0.5 where none)."""
    from .peaks import DEFAULT_THRESHOLD
    stored = model.info.get("thresholds", {}) if isinstance(model.info, dict) else {}
    return {c: float(stored.get(c, DEFAULT_THRESHOLD)) for c in model.classes}


def transcribe_samples(samples, sample_rate: int, model, *, thresholds=None):
    """The onset table of a recording (mono samples) in the model's classes."""
    from .peaks import activations_to_onsets, class_instruments
    activations = model.activations(samples, sample_rate)
    return activations_to_onsets(activations, model.features.fps, model.classes,
                                 class_instruments(model.class_map, model.classes),
                                 thresholds or model_thresholds(model))


def transcribe_recording(audio: Path, model, manager, *, out_dir: Path, formats=FORMATS,
                         scheme=None, thresholds=None, force: bool = False) -> Transcription:
    """Transcribe one recording into ``out_dir``: ``<stem>.csv`` (onsets: time, class,
    velocity, confidence; classes of ``scheme`` (a class map) when given, else the model's),
    ``<stem>.mid``, ``<stem>.musicxml``, and ``<stem>.txt`` with its alignment file
    ``<stem>.toml``, all written or none."""
    from ..audio.io import load_audio
    from ..onset_table import write_table
    from ..outputs import output_files
    audio = Path(audio)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise DrumtabberError(f"unknown format(s) {', '.join(unknown)}; valid: "
                              f"{', '.join(FORMATS)}")
    samples, rate = load_audio(audio, sample_rate=model.features.sample_rate)
    onsets = transcribe_samples(samples, rate, model, thresholds=thresholds)
    stem = Path(out_dir) / audio.stem
    targets = {"csv": stem.with_suffix(".csv"), "midi": stem.with_suffix(".mid"),
               "musicxml": stem.with_suffix(".musicxml"), "tab": stem.with_suffix(".txt")}
    paths = [targets[f] for f in formats] + ([stem.with_suffix(".toml")] if "tab" in formats
                                             else [])
    for p in paths:
        if p.exists() and not force:
            raise DrumtabberError(f"{p} exists (use --force to overwrite)")
    result = Transcription(audio, onsets)
    table = onsets
    if scheme is not None:
        from .peaks import map_transcription
        table = map_transcription(scheme, onsets, scheme.Options())
    written = {}
    notation = {"midi", "musicxml", "tab"} & set(formats)
    if notation:
        result.score, written = _notation(onsets, samples, rate, manager, audio)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    with output_files(*paths) as parts:
        part_of = dict(zip(paths, parts))
        if "csv" in formats:
            write_table(table, part_of[targets["csv"]], CSV_COLUMNS, float_format="%.4f")
        if "midi" in formats:
            written["midi"].save(str(part_of[targets["midi"]]))
        if "musicxml" in formats:
            from .notation import write_musicxml
            write_musicxml(result.score, part_of[targets["musicxml"]], title=audio.stem)
        if "tab" in formats:
            part_of[targets["tab"]].write_text(written["tab"], encoding="utf-8")
            part_of[stem.with_suffix(".toml")].write_text(
                written["alignment"].replace(f'"{written["tab_name"]}"',
                                             f'"{targets["tab"].name}"'), encoding="utf-8")
    result.files = paths
    return result


def _notation(onsets, samples, rate, manager, audio: Path):
    """The quantised score, the tab and its alignment file, and the MIDI file of a
    transcription; the tab goes through our own parser and aligner before it counts."""
    from ..alignment import load_song
    from ..audio.render import labels_to_midi
    from ..findings import errors_of
    from .grid import alignment_text, quantise, track_downbeats
    quantised = quantise(onsets, track_downbeats(samples, rate))
    writer = manager.get("tab_writer", "ascii")
    tab = writer.write(quantised.score, dropped=[])
    tab_name = f"{audio.stem}.txt"
    alignment = alignment_text(quantised, tab_name=tab_name, audio_name=audio.name,
                               song=audio.stem)
    with tempfile.TemporaryDirectory(prefix="drumtabber-transcribe-") as tmp:
        (Path(tmp) / tab_name).write_text(tab, encoding="utf-8")
        (Path(tmp) / "song.toml").write_text(alignment, encoding="utf-8")
        song, findings = load_song(Path(tmp) / "song.toml", manager)
    if song is None:
        raise DrumtabberError("the transcribed tab does not read back: "
                              + "; ".join(f.message for f in errors_of(findings)[:3]))
    events = quantised.score.events
    kept = [i for i, e in enumerate(quantised.events_of_rows) if e >= 0]
    rows = onsets.iloc[kept].copy()
    rows["bar"] = [events[quantised.events_of_rows[i]].bar + 1 for i in kept]
    rows["beat"] = [str(events[quantised.events_of_rows[i]].beat) for i in kept]
    midi = labels_to_midi(rows, song.score, song.tempo_map)
    return quantised.score, {"tab": tab, "alignment": alignment, "tab_name": tab_name,
                             "midi": midi}
