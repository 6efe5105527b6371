"""``align --auto`` and ``align --refine``: alignment from the audio."""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from . import check_output, fail, state


def auto_or_refine(ctx, alignment_file: Path, audio_dir, *, auto: bool, refine: bool,
                   write: Path | None, fmt: str, model: str = "none") -> None:
    from ..align import ONSET_COLUMNS, onset_rows
    from ..autoalign import estimate_alignment, refine_labels, track_beats
    from ..check import onset_activation
    from ..tables import format_rows
    from .check_cmd import load_aligned_audio
    if write is not None and write.exists():
        fail(f"{write} exists: --write never overwrites; choose a new file name")
    check_output(write, suffixes=(".toml",), force=False, option="--write")
    onset_model = None
    if refine and model != "none":
        from ..onsetmodel import load_onset_model
        onset_model = load_onset_model(model, state(ctx).manager)
    alignment, result, samples, rate, path = load_aligned_audio(
        ctx, alignment_file, audio_dir, placeholder_tempo=auto)
    activation = onset_activation(samples, rate)
    rows = result.rows
    if auto:
        hint = float(alignment.bpm) if alignment.bpm and alignment.bpm != 120 else None
        est = estimate_alignment(result.score, activation, track_beats(samples, rate),
                                 bpm_hint=hint)
        from ..autoalign import estimate_drift
        from ..tempo import TempoMap
        from fractions import Fraction
        first = min(result.score.events, key=lambda e: (e.bar, e.beat))
        tm = TempoMap(result.score.bars, qpm=Fraction(repr(est.bpm)),
                      reference=(TempoMap(result.score.bars, qpm=Fraction(60))
                                 .position_to_quarters(first.bar, first.beat),
                                 Fraction(repr(est.first_note_s))))
        rows = onset_rows(result.score, tm)
        result.tempo_map = tm
        import numpy as np
        est.drift_ms_per_min = estimate_drift(refine_labels(
            np.array([r["time"] for r in rows]), tm, activation))
        typer.echo(f"estimate for {path.name}: bpm = {est.bpm:.2f} (beat tracker: "
                   f"{est.beats_bpm:.2f}), first_note_s = {est.first_note_s:.3f}, "
                   f"confidence = {est.confidence:.2f} (best / runner-up correlation), "
                   f"drift = {est.drift_ms_per_min:+.1f} ms/min", err=True)
        if write is not None:
            text = alignment_file.read_text(encoding="utf-8") if alignment_file.suffix == ".toml" else ""
            write.parent.mkdir(parents=True, exist_ok=True)
            write.write_text(_with_estimate(text, alignment, est, write), encoding="utf-8")
            typer.echo(f"wrote {write}", err=True)
    if refine:
        import numpy as np
        from ..check import band_onset_envelopes, fine_onset_envelope
        from ..score import Instrument
        placing = None if onset_model is None else onset_model.placement(
            samples, rate, [r["instrument"] for r in rows])
        ref = refine_labels(np.array([r["time"] for r in rows]), result.tempo_map, activation,
                            fine=fine_onset_envelope(samples, rate),
                            families=[Instrument(r["instrument"]).family for r in rows],
                            bands=band_onset_envelopes(samples, rate), model=placing)
        for row, t in zip(rows, ref.times):
            row["time"] = float(t)
        rows.sort(key=lambda r: (r["time"], r["gm_note"]))
        s = ref.stats
        typer.echo(f"refine {path.name}: {len(rows)} labels, median move {s['median_move_ms']:.1f} "
                   f"ms, largest {s['max_move_ms']:.1f} ms, median per-beat correction "
                   f"{s['median_beat_offset_ms']:.1f} ms, {s['snapped']} moved onto the audio "
                   f"({s['by_model']} by the onset model, {s['by_family_band']} by their "
                   f"instrument's band), "
                   f"{s['share_matched_20ms']:.0%} within 20 ms of an onset", err=True)
        if not ref.accepted:
            typer.echo(f"error: refinement rejected: {ref.reason}", err=True)
            raise typer.Exit(1)
    typer.echo(format_rows(rows, ONSET_COLUMNS, fmt).rstrip("\n"))
    sys.stdout.flush()


def _with_estimate(text: str, alignment, est, target: Path) -> str:
    """The alignment file's text with [tempo] bpm and first_note_s set to the estimate."""
    import os
    import re
    lines = [f"# tempo estimated by `drumtabber-data align --auto` "
             f"(confidence {est.confidence:.2f})"]
    rel = os.path.relpath(alignment.tab, target.parent)
    if not text:
        text = f'tab = "{rel}"\n[audio]\nfile = "{alignment.audio_file}"\n[tempo]\n'
    text = re.sub(r'(?m)^(\s*tab\s*=\s*).*$', lambda m: m.group(1) + f'"{rel}"', text, count=1)
    body = re.sub(r"(?m)^\s*(bpm|first_note_s|beat_unit)\s*=.*\n?", "", text)
    if not re.search(r"(?m)^\[tempo\]", body):
        body += "\n[tempo]\n"
    body = re.sub(r"(?m)^\[tempo\]\s*$",
                  f"[tempo]\nbpm = {est.bpm:.3f}\nfirst_note_s = {est.first_note_s:.4f}", body,
                  count=1)
    return "\n".join(lines) + "\n" + body.rstrip("\n") + "\n"
