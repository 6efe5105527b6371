"""The record of an export: ``manifest.json`` (everything needed to know what was built and
to build it again) and the dataset card ``README.md`` (what a person reads first: what the
dataset holds, where it comes from, how it was made, its class and split tables and its
known limitations)."""
from __future__ import annotations

import json
from collections import Counter

from .. import __version__
from ..outputs import output_files
from .export import CARD, MANIFEST, chain_facts
from .readers import reader_text
from .splits import SPLITS


def counts(outcomes: list[dict]) -> dict:
    """Songs, examples, frames and events per class, per split."""
    table = {s: {"songs": 0, "examples": 0, "frames": 0, "events": Counter()} for s in SPLITS}
    for o in outcomes:
        row = table[o["split"]]
        row["songs"] += 1
        for e in o["examples"]:
            row["examples"] += 1
            row["frames"] += e["frames"]
            row["events"].update(e["events"])
    return {s: {**r, "events": dict(sorted(r["events"].items()))} for s, r in table.items()}


def build_manifest(job, result, *, class_map, classes, chain, formats, split_spec) -> dict:
    songs = [{"song": o["song"], "split": o["split"], "title": o["facts"]["title"],
              "artist": o["facts"]["artist"], "source": o["facts"]["source"],
              "license": o["facts"]["license"], "alignment": o["facts"]["alignment"],
              "alignment_sha256": o["facts"]["alignment_sha256"],
              "tab": o["facts"]["tab"], "tab_sha256": o["facts"]["tab_sha256"],
              "audio": o["facts"]["audio"], "audio_sha256": o["facts"]["audio_sha256"],
              "examples": o["examples"]} for o in result.outcomes]
    return {
        "tool": "drumtabber", "version": __version__,
        "classes": {"scheme": job.scheme, "options": job.scheme_values, "names": classes,
                    "toml": getattr(class_map, "text", "")},
        "features": {**job.features, "fps": job.features["sample_rate"]
                     / job.features["hop_length"]},
        "augmentation": None if chain is None else {
            "chain": job.chain, "steps": chain_facts(chain), "copies": job.copies,
            "seed": job.seed},
        "refine": job.refine or None,
        "split": split_spec,
        "formats": {name: files for name, files in result.files.items()},
        "exporters": formats,
        "songs": songs,
        "skipped": result.skipped,
        "counts": counts(result.outcomes),
    }


def _table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def dataset_card(manifest: dict) -> str:
    """The export's README.md."""
    c, m = manifest["counts"], manifest
    classes = m["classes"]["names"]
    split_rows = [[s, c[s]["songs"], c[s]["examples"], c[s]["frames"],
                   sum(c[s]["events"].values())] for s in SPLITS]
    class_rows = [[name] + [c[s]["events"].get(name, 0) for s in SPLITS] for name in classes]
    sources = sorted({(x["source"] or "(not stated)", x["license"] or "(not stated)")
                      for x in m["songs"]})
    aug = m["augmentation"]
    fmt_lines = "\n".join(f"- `{name}/`: {len(files)} files" for name, files in
                          m["formats"].items())
    f = m["features"]
    return f"""# Drum transcription dataset (drumtabber export)

Onset labels of drum hits aligned to recordings, made with drumtabber {m['version']} from
drum tabs and alignment files (tempo, first note, tempo changes), with features and frame
targets for training drum transcription models.

## What it holds
{len(m['songs'])} songs in {len(classes)} classes ({', '.join(classes)}; class scheme
`{m['classes']['scheme']}`, its TOML in `manifest.json`).

{_table(['split', 'songs', 'examples', 'frames', 'events'], split_rows)}

Events per class and split:

{_table(['class', *SPLITS], class_rows)}

Formats:
{fmt_lines}

## Reading it
{reader_text(m['formats']) or 'See the formats above (docs/export.md of drumtabber).'}
## Sources and licences
As the alignment files state them (the recordings are not part of the tabs' licences; check
each recording's own terms before sharing audio or features):

{_table(['source', 'licence'], [list(s) for s in sources])}

## How it was made
- Labels: each tab's hits placed by its tempo map{' and refined onto the audio (' + str(m['refine']) + ')' if m['refine'] else ''};
  class map `{m['classes']['scheme']}`.
- Features: {f['kind']} spectrogram, {f['sample_rate']} Hz, window {f['n_fft']}, hop
  {f['hop_length']} ({f['fps']:g} frames a second), {f['n_mels']} bands from {f['fmin']:g} Hz
  to {f['fmax']:g} Hz.
- Augmentation: {'none' if aug is None else f"chain `{aug['chain']}`, {aug['copies']} copies per song, seed {aug['seed']}"}.
- Splits: by song, one artist and one recording (same checksum) in one split only
  ({m['split']}).
- Skipped songs: {len(m['skipped'])} (reasons in `manifest.json`).

## Known limitations
- Labels come from tabs: strokes a tab does not write (ghost notes, flams, fills written
  loosely) are missing, and a tab's errors are the labels' errors.
- Times are as good as the alignment file's tempo facts and the refinement; rejected
  refinements skip the song.
- Class balance follows the songs: rare classes have few events (see the table above).
"""


def write_description(out, job, result, *, class_map, classes, chain, formats,
                      split_spec) -> dict:
    manifest = build_manifest(job, result, class_map=class_map, classes=classes, chain=chain,
                              formats=formats, split_spec=split_spec)
    with output_files(out / MANIFEST, out / CARD) as (manifest_part, card_part):
        manifest_part.write_text(json.dumps(manifest, indent=2, default=str) + "\n",
                                 encoding="utf-8")
        card_part.write_text(dataset_card(manifest), encoding="utf-8")
    return manifest
