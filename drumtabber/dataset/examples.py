"""Training examples for drum onset models: drum MIDI performances rendered with sampled kits.

Each example is a performance (any drum MIDI file a parser plugin reads with its own timing:
the Groove MIDI Dataset's, through the ``midi`` plugin) rendered with a kit, turned into
features (:mod:`drumtabber.audio.features`) and frame targets of a class scheme from the
onset table of what was rendered, so the labels are exact to the sample.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..audio.features import FeatureConfig, compute_features, onsets_to_class_targets
from ..audio.render import get_kit
from ..errors import DrumtabberError
from ..findings import errors_of
from ..score import Event, Score
from ..tabs import load_tab
from .render import render_score

MIDI_SUFFIXES = (".mid", ".midi")


@dataclass
class Example:
    name: str                  # "<midi file> @ <kit>"
    features: np.ndarray       # (frames, bands) float32
    targets: np.ndarray        # (frames, classes) float32
    onsets: object             # the rendered onset table, with ``class``
    samples: np.ndarray | None = None   # the audio (mono, features' rate), when kept


def performed_score(parsed) -> Score:
    """The quantised score of a performance (a :class:`~drumtabber.components.ParseResult`
    with ``tempo_map`` and ``performed_s``) with each hit moved to its performed time, so
    rendering it plays the performance."""
    tm = parsed.tempo_map
    events = []
    for e, t in zip(parsed.score.events, parsed.performed_s):
        bar, beat = tm.seconds_to_beats(Fraction(repr(t)))
        bar = min(bar, len(parsed.score.bars) - 1)
        events.append(Event(bar, beat if beat >= 0 else Fraction(0), e.instrument,
                            e.articulations, e.velocity))
    return Score(bars=list(parsed.score.bars), events=events)


def read_performance(midi_path: Path, manager):
    """A drum MIDI performance read by its parser plugin, refusing a file with errors
    (unreadable, not MIDI, notes it cannot map: a half-read performance is a wrong label)
    and a source without its own timing."""
    parsed = load_tab(Path(midi_path), manager)
    errors = errors_of(parsed.findings)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise DrumtabberError(f"{errors[0].code}: {errors[0].message}{more}", path=midi_path)
    if not parsed.score.events:
        raise DrumtabberError("no drum hits in this file", path=midi_path)
    if parsed.tempo_map is None or parsed.performed_s is None:
        raise DrumtabberError("this file's parser gives no performed timing", path=midi_path)
    return parsed


def render_performance(parsed, kit, wav_path: Path, *, sample_rate: int = 44100,
                       gain: float | None = None, chain=None, seed: int = 0):
    """Render a performance with ``kit`` to ``wav_path`` (through the score and audio steps
    of ``chain``); return its onset table with the time each note sounds."""
    return render_score(performed_score(parsed), parsed.tempo_map, kit, wav_path,
                        sample_rate=sample_rate, gain=gain, chain=chain, seed=seed)[1]


def render_example(midi_path: Path, kit, class_map, options, feature_config: FeatureConfig, *,
                   manager, max_seconds: float | None = None, gain: float | None = None,
                   widening: str = "soft", chain=None, seed: int = 0,
                   keep_samples: bool = False, window_at: float = 0.0) -> Example:
    """One training example: ``midi_path`` rendered with ``kit``, its features and targets
    for ``class_map`` (hits the scheme drops have no target).  A ``chain``
    (:mod:`.augment`) augments the notes, the audio and the features, moving the labels
    with them (``seed``: its random choices).  ``keep_samples`` keeps the audio in the
    example (what a model hears of a recording, before any feature-stage step).
    ``window_at`` places the ``max_seconds`` taken: 0 the start of the performance, 1 its
    end, in between a share of the rest."""
    from .augment import apply_chain
    from ..audio.io import load_audio
    from ..classes import map_onset_rows
    kit = get_kit(manager, kit, installed=True)
    parsed = read_performance(midi_path, manager)
    with tempfile.TemporaryDirectory(prefix="drumtabber-train-") as tmp:
        wav = Path(tmp) / "take.wav"
        onsets = render_performance(parsed, kit, wav, sample_rate=feature_config.sample_rate,
                                    gain=gain, chain=chain, seed=seed)
        samples, _ = load_audio(wav, sample_rate=feature_config.sample_rate)
    if max_seconds is not None:
        rate, length = feature_config.sample_rate, int(max_seconds * feature_config.sample_rate)
        first = int(round(min(max(window_at, 0.0), 1.0) * max(0, len(samples) - length)))
        samples = samples[first:first + length]
        onsets = onsets[(onsets["time"] >= first / rate)
                        & (onsets["time"] < (first + length) / rate)].copy()
        onsets["time"] -= first / rate
    features = compute_features(samples, feature_config)
    if chain is not None:
        features = apply_chain(chain, features, feature_config.fps, onsets, seed=seed,
                               stage="features")[0]
    onsets = map_onset_rows(class_map, onsets, options)
    if not len(onsets):
        raise DrumtabberError("no drum hit of the class scheme in this file", path=midi_path)
    targets = onsets_to_class_targets(onsets, class_map.classes(options),
                                      n_frames=len(features), fps=feature_config.fps,
                                      widening=widening)
    return Example(f"{Path(midi_path).name} @ {kit.name}", features, targets, onsets,
                   samples if keep_samples else None)


def list_performances(folder: Path, manager, *, split: str = "train", n: int | None = None,
                      kind: str | None = None, meter: str | None = None,
                      max_seconds: float | None = None) -> list[dict]:
    """The performances of one split of a collection of drum MIDI files, sorted by id and
    thinned evenly to ``n`` so that every drummer and style stays in.

    A plugin that knows the collection (``list_performances`` hook: the Groove MIDI
    Dataset's ``info.csv``) gives the files, their split and what else it knows; any other
    folder is one training split of every MIDI file under it.  ``kind`` (beat or fill),
    ``meter`` ("4/4") and ``max_seconds`` keep only performances the collection says match.
    """
    folder = Path(folder)
    rows = manager.pm.hook.list_performances(folder=folder)
    if rows is None:
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MIDI_SUFFIXES)
        rows = [{"id": str(p.relative_to(folder)), "midi_path": p, "split": "train"}
                for p in files]
    rows = [r for r in rows if r["split"] == split
            and (kind is None or r.get("kind") == kind)
            and (meter is None or r.get("meter") == meter)
            and (max_seconds is None or r.get("duration_s", 0.0) <= max_seconds)]
    rows.sort(key=lambda r: r["id"])
    if n is not None and n < len(rows):     # every (len/n)-th row, over the whole split
        rows = [rows[i * len(rows) // n] for i in range(n)]
    return rows


def performance_case(midi_path: Path, kit, folder: Path, manager, *, drop_share: float = 0.0,
                     seed: int = 0) -> dict[str, np.ndarray]:
    """A labelling case with a known answer, from a drum MIDI performance: ``folder`` gets
    ``song.wav`` (the performance rendered with ``kit``), ``song.txt`` (its quantised score as
    a tab) and ``song.toml`` (the tab's tempo from the MIDI file, the first note where it
    sounds, as a person would mark it).  With ``drop_share``, that share of the notes (at
    random, ``seed``) is left out of the tab, as real tabs miss notes.

    Returns where each note of the tab sounds: sorted times (s) per instrument value.
    """
    writer = manager.get("tab_writer", "ascii")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result = read_performance(midi_path, manager)
    onsets = render_performance(result, get_kit(manager, kit, installed=True),
                                folder / "song.wav")
    sounding = {name: np.sort(group["time"].to_numpy())
                for name, group in onsets.groupby("instrument")}
    keep = np.random.default_rng(seed).random(len(result.score.events)) >= drop_share
    events = [e for e, k in zip(result.score.events, keep) if k]
    truth: dict[str, list] = {}
    for e, t, k in zip(result.score.events, result.performed_s, keep):
        if k:       # the rendered onset of the note's instrument nearest its MIDI time
            ts = sounding[e.instrument.value]
            truth.setdefault(e.instrument.value, []).append(float(ts[np.argmin(np.abs(ts - t))]))
    (folder / "song.txt").write_text(writer.write(Score(bars=list(result.score.bars),
                                                        events=events), dropped=[]),
                                     encoding="utf-8")
    tm = result.tempo_map
    bpm = 60.0 / float(tm.quarters_to_seconds(1) - tm.quarters_to_seconds(0))
    first = min(min(v) for v in truth.values())
    (folder / "song.toml").write_text(
        f'tab = "song.txt"\n[audio]\nfile = "song.wav"\n[tempo]\nbpm = {bpm:.4f}\n'
        f"first_note_s = {first:.3f}\n", encoding="utf-8")
    return {k: np.sort(v) for k, v in truth.items()}
