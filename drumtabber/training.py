"""Training examples for drum onset models: drum MIDI performances rendered with sampled kits.

Each example is a performance (the Groove MIDI Dataset's, or any drum MIDI file the ``midi``
parser reads) rendered by FluidSynth with a kit, turned into features (:mod:`drumtabber.features`)
and frame targets of a class scheme from the onset table of what was rendered, so the labels
are exact to the sample.
"""
from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from .errors import DrumtabberError
from .features import FeatureConfig, compute_features, rows_to_targets
from .score import Event, Score


@dataclass
class Example:
    name: str                  # "<midi file> @ <kit>"
    features: np.ndarray       # (frames, bands) float32
    targets: np.ndarray        # (frames, classes) float32
    onsets: list[dict]         # the rendered onset rows (``time``, ``instrument``, ``class``)


def performed_score(result) -> Score:
    """The quantised score of a :class:`~drumtabber.plugins.gm_midi.MidiResult` with each hit
    moved to its performed time (so rendering it plays the performance)."""
    tm = result.tempo_map
    events = []
    for e, t in zip(result.score.events, result.performed_s):
        bar, beat = tm.seconds_to_beats(Fraction(repr(t)))
        bar = min(bar, len(result.score.bars) - 1)
        events.append(Event(bar, beat if beat >= 0 else Fraction(0), e.instrument,
                            e.articulations, e.velocity))
    return Score(bars=list(result.score.bars), events=events)


def render_performance(result, kit, wav_path: Path, *, sample_rate: int = 44100,
                       gain: float | None = None) -> list[dict]:
    """Render a MIDI performance with ``kit`` to ``wav_path``; return its onset rows with the
    time each note sounds."""
    from .render import DEFAULT_GAIN, render_audio, rendered_onsets, score_to_midi
    midi, rows = score_to_midi(performed_score(result), result.tempo_map, kit=kit)
    render_audio(midi, kit, sample_rate=sample_rate, out_path=wav_path,
                 gain=DEFAULT_GAIN if gain is None else gain)
    return rendered_onsets(midi, rows, sample_rate)


def read_performance(midi_path: Path):
    """:func:`~drumtabber.plugins.gm_midi.read_midi`, refusing a file it reports errors in
    (unreadable, not MIDI, notes it cannot map): a half-read performance is a wrong label."""
    from .findings import Severity
    from .plugins.gm_midi import read_midi
    result = read_midi(midi_path)
    errors = [f for f in result.findings if f.severity == Severity.ERROR]
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DrumtabberError(f"{errors[0].code}: {errors[0].message}{more}", path=midi_path)
    if not result.score.events:
        raise DrumtabberError("no drum hits in this file", path=midi_path)
    return result


def render_example(midi_path: Path, kit, class_map, options, feature_config: FeatureConfig, *,
                   max_seconds: float | None = None, gain: float | None = None,
                   widening: str = "soft") -> Example:
    """One training example: ``midi_path`` rendered with ``kit``, its features and targets
    for ``class_map`` (hits the scheme drops have no target)."""
    from .audio import load_audio
    from .classes import map_onset_rows
    result = read_performance(midi_path)
    with tempfile.TemporaryDirectory(prefix="drumtabber-train-") as tmp:
        wav = Path(tmp) / "take.wav"
        rows = render_performance(result, kit, wav, sample_rate=feature_config.sample_rate,
                                  gain=gain)
        samples, _ = load_audio(wav, sample_rate=feature_config.sample_rate)
    if max_seconds is not None:
        samples = samples[:int(max_seconds * feature_config.sample_rate)]
        rows = [r for r in rows if r["time"] < max_seconds]
    features = compute_features(samples, feature_config)
    rows = map_onset_rows(class_map, rows, options)
    if not rows:
        raise DrumtabberError("no drum hit of the class scheme in this file", path=midi_path)
    targets = rows_to_targets(rows, class_map.classes(options), n_frames=len(features),
                              fps=feature_config.fps, widening=widening)
    kit_name = kit if isinstance(kit, str) else kit.name
    return Example(f"{Path(midi_path).name} @ {kit_name}", features, targets, rows)


GROOVE_COLUMNS = {"id", "split", "beat_type", "time_signature", "duration", "midi_filename"}


def groove_files(root: Path, split: str, *, n: int | None = None, beat_type: str | None = "beat",
                 meter: str | None = None, max_seconds: float | None = None) -> list[dict]:
    """Rows of the Groove MIDI Dataset's ``info.csv`` for one split (``train``, ``validation``,
    ``test``), sorted by id, thinned evenly to ``n`` files so every drummer and style
    stays in; ``midi_path`` is added to each row."""
    root = Path(root)
    with open(root / "info.csv", newline="", encoding="utf-8", errors="replace") as fh:
        reader = csv.DictReader(fh)
        missing = GROOVE_COLUMNS - set(reader.fieldnames or ())
        if missing:
            raise DrumtabberError(f"not a Groove MIDI Dataset index: no column "
                                  f"{', '.join(sorted(missing))} (expected "
                                  f"{', '.join(sorted(GROOVE_COLUMNS))})", path=root / "info.csv")
        rows = [r for r in reader if r["split"] == split
                and (beat_type is None or r["beat_type"] == beat_type)
                and (meter is None or r["time_signature"] == meter)
                and (max_seconds is None or float(r["duration"]) <= max_seconds)]
    rows.sort(key=lambda r: r["id"])
    if n is not None:
        rows = rows[::max(1, len(rows) // n)][:n]
    return [{**r, "midi_path": root / r["midi_filename"]} for r in rows]


def performance_case(midi_path: Path, kit, folder: Path, *, drop_share: float = 0.0,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """A labelling case with a known answer, from a drum MIDI performance: ``folder`` gets
    ``song.wav`` (the performance rendered with ``kit``), ``song.txt`` (its quantised score as
    a tab) and ``song.toml`` (the tab's tempo from the MIDI file, the first note where it
    sounds, as a person would mark it).  With ``drop_share``, that share of the notes (at
    random, ``seed``) is left out of the tab, as real tabs miss notes.

    Returns where each note of the tab sounds: sorted times (s) per instrument value.
    """
    from .plugins.ascii_tab import write_tab
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result = read_performance(midi_path)
    rows = render_performance(result, kit, folder / "song.wav")
    sounding: dict[str, np.ndarray] = {}
    for row in rows:
        sounding.setdefault(row["instrument"], []).append(row["time"])
    sounding = {k: np.sort(v) for k, v in sounding.items()}
    keep = np.random.default_rng(seed).random(len(result.score.events)) >= drop_share
    events = [e for e, k in zip(result.score.events, keep) if k]
    truth: dict[str, list] = {}
    for e, t, k in zip(result.score.events, result.performed_s, keep):
        if k:       # the rendered onset of the note's instrument nearest its MIDI time
            ts = sounding[e.instrument.value]
            truth.setdefault(e.instrument.value, []).append(float(ts[np.argmin(np.abs(ts - t))]))
    (folder / "song.txt").write_text(write_tab(Score(bars=list(result.score.bars), events=events),
                                               dropped=[]), encoding="utf-8")
    tm = result.tempo_map
    bpm = 60.0 / float(tm.quarters_to_seconds(1) - tm.quarters_to_seconds(0))
    first = min(min(v) for v in truth.values())
    (folder / "song.toml").write_text(
        f'tab = "song.txt"\n[audio]\nfile = "song.wav"\n[tempo]\nbpm = {bpm:.4f}\n'
        f"first_note_s = {first:.3f}\n", encoding="utf-8")
    return {k: np.sort(v) for k, v in truth.items()}
