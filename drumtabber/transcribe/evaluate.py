"""The field's evaluation of drum transcription: onsets matched per class within a window
(mir_eval's bipartite matching, each reference onset to at most one estimate), precision,
recall and F-measure per class, summed over tracks and classes ("sum", micro) and averaged
over classes ("mean"), at 50 and 30 ms.  One implementation for ``evaluate``, the benchmarks
and the label-accuracy benchmark.

Reference onsets come from ``time<TAB>label`` annotation files (MDB Drums, ENST-Drums,
ADTOF's MIDI numbers), their labels read through a vocabulary, or from alignment files."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import DrumtabberError
from ..score import Instrument as I

WINDOWS_S = (0.05, 0.03)
# Label vocabularies of annotation files: label -> instrument (None: not a drum, dropped).
VOCABULARIES = {
    "mdb": {"KD": I.KICK, "SD": I.SNARE, "HH": I.HIHAT_CLOSED, "TT": I.TOM_LOW,
            "CY": I.CRASH, "OT": None},
    "enst": {"bd": I.KICK, "sd": I.SNARE, "sd-": I.SNARE, "rs": I.SIDE_STICK,
             "cs": I.SIDE_STICK, "chh": I.HIHAT_CLOSED, "ohh": I.HIHAT_OPEN,
             "lt": I.TOM_LOW, "lmt": I.TOM_LOW_MID, "mt": I.TOM_HIGH_MID, "mtr": I.TOM_HIGH_MID,
             "ht": I.TOM_HIGH, "lft": I.TOM_FLOOR_LOW, "c": I.CRASH, "c1": I.CRASH,
             "c4": I.CRASH, "cr": I.CRASH, "cr1": I.CRASH, "cr2": I.CRASH2, "cr5": I.CRASH,
             "ch": I.CHINA, "ch1": I.CHINA, "ch5": I.CHINA, "spl": I.SPLASH,
             "spl2": I.SPLASH, "rc": I.RIDE, "rc1": I.RIDE, "rc2": I.RIDE, "rc3": I.RIDE2,
             "rc4": I.RIDE2, "cb": I.COWBELL, "sticks": None},
}
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".aif", ".aiff")
# Parts of file names that tie an annotation to its audio in the usual layouts
# (MDB: X_Drum.wav / X_class.txt; ENST: audio/wet_mix/X.wav / annotation/X.txt).
NAME_NOISE = re.compile(r"(_(drum|drums|mix|class|subclass|mixture|audio))+$", re.I)


def read_annotation(path: Path) -> tuple[np.ndarray, list[str]]:
    """``time label`` lines (tab or spaces); blank lines and ``#`` comments skipped; a
    malformed line is an error naming the file and line."""
    from ..textio import read_input_file
    text, findings = read_input_file(Path(path), what="annotation file")
    if text is None:
        raise DrumtabberError("; ".join(f.format() for f in findings))
    times, labels = [], []
    for no, line in enumerate(text.splitlines(), 1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        try:
            t = float(parts[0])
            if not np.isfinite(t) or t < 0 or len(parts) < 2:
                raise ValueError
        except ValueError:
            raise DrumtabberError(f"expected 'time<TAB>label' with a time of 0 or more, "
                                  f"found {line.strip()[:60]!r}", path=path, line=no) from None
        times.append(t)
        labels.append(parts[1])
    return np.asarray(times), labels


def vocabulary_for(labels: list[str], name: str = "auto") -> dict:
    """The vocabulary ``name``, or (``auto``) the first that knows most of the labels;
    all-number labels are General MIDI notes."""
    if name == "gm" or (name == "auto" and labels and all(x.isdigit() for x in labels)):
        return {x: _gm(x) for x in set(labels)}
    if name != "auto":
        if name not in VOCABULARIES:
            raise DrumtabberError(f"unknown vocabulary {name!r}; valid: auto, gm, "
                                  f"{', '.join(VOCABULARIES)}")
        return VOCABULARIES[name]
    known = {k: sum(x in v for x in labels) for k, v in VOCABULARIES.items()}
    return VOCABULARIES[max(known, key=known.get)]


def _gm(label: str):
    try:
        return I.from_gm_note(int(label))
    except (ValueError, KeyError):
        return None


def annotation_onsets(path: Path, vocabulary: str = "auto"):
    """An annotation file as an onset table, and the labels its vocabulary does not know."""
    from ..onset_table import onset_table
    from ..score import VELOCITY_NORMAL
    times, labels = read_annotation(path)
    vocab = vocabulary_for(labels, vocabulary)
    rows, unknown = [], {}
    for t, label in zip(times, labels):
        if label not in vocab:
            unknown[label] = unknown.get(label, 0) + 1
        elif vocab[label] is not None:
            i = vocab[label]
            rows.append({"time": float(t), "instrument": i.value, "gm_note": i.gm_note,
                         "articulation": "", "velocity": VELOCITY_NORMAL})
    return onset_table(rows), unknown


def _key(path: Path) -> str:
    return NAME_NOISE.sub("", path.stem).lower()


def find_tracks(folder: Path, manager) -> list[tuple[Path, Path]]:
    """Pairs (audio, reference) under ``folder``: annotation files (``.txt``) matched to the
    audio file of the same name (less the usual suffixes such as ``_Drum`` and
    ``_class``), and alignment files with the recording they name."""
    from ..alignment import load_alignment
    from ..alignment.recording import find_audio
    folder = Path(folder)
    audio = {}
    for p in sorted(folder.rglob("*")):
        if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file():
            audio.setdefault(_key(p), p)
    pairs = []
    for p in sorted(folder.rglob("*.txt")):
        if "subclass" in p.stem.lower():          # MDB's playing techniques: not classes
            continue
        if _key(p) in audio:
            pairs.append((audio[_key(p)], p))
    for p in sorted(folder.rglob("*.toml")):
        alignment, _ = load_alignment(p, manager)
        found = find_audio(alignment, folder) if alignment is not None else None
        if found is not None:
            pairs.append((found, p))
    return pairs


@dataclass
class Counts:
    tp: int = 0
    n_ref: int = 0
    n_est: int = 0

    def add(self, other: "Counts") -> None:
        self.tp += other.tp
        self.n_ref += other.n_ref
        self.n_est += other.n_est

    def scores(self) -> dict:
        p = self.tp / self.n_est if self.n_est else 0.0
        r = self.tp / self.n_ref if self.n_ref else 0.0
        f = 2 * self.tp / (self.n_ref + self.n_est) if self.n_ref + self.n_est else 0.0
        return {"precision": p, "recall": r, "f": f, "tp": self.tp, "n_ref": self.n_ref,
                "n_est": self.n_est}


def match_pairs(reference, estimate, window: float) -> list[tuple[int, int]]:
    """Index pairs of reference and estimated onsets (s) matched within ``window``
    (mir_eval.util.match_events: a maximum matching, each onset used once)."""
    import mir_eval
    reference, estimate = np.sort(np.asarray(reference, float)), np.sort(np.asarray(estimate,
                                                                                     float))
    if not len(reference) or not len(estimate):
        return []
    return mir_eval.util.match_events(reference, estimate, window)


def class_counts(reference, estimate, classes: list[str], window: float) -> dict[str, Counts]:
    """Per class: matches, reference and estimated onsets of two onset tables with a
    ``class`` column."""
    out = {}
    for name in classes:
        ref = reference["time"][reference["class"] == name].to_numpy()
        est = estimate["time"][estimate["class"] == name].to_numpy()
        out[name] = Counts(len(match_pairs(ref, est, window)), len(ref), len(est))
    return out


@dataclass
class Evaluation:
    classes: list[str]
    windows: tuple
    tracks: dict = field(default_factory=dict)      # name -> window -> class -> Counts
    unknown_labels: dict = field(default_factory=dict)

    def add_track(self, name: str, reference, estimate) -> None:
        self.tracks[name] = {w: class_counts(reference, estimate, self.classes, w)
                             for w in self.windows}

    def summary(self) -> dict:
        """Per window: per class (summed over tracks), ``sum`` (micro over classes and
        tracks), ``mean`` (of the class F-measures) and per track."""
        out = {}
        for w in self.windows:
            per_class = {c: Counts() for c in self.classes}
            for counts in self.tracks.values():
                for c in self.classes:
                    per_class[c].add(counts[w][c])
            total = Counts()
            for c in per_class.values():
                total.add(c)
            per_track = {}
            for name, counts in self.tracks.items():
                t = Counts()
                for c in counts[w].values():
                    t.add(c)
                per_track[name] = t.scores()
            out[f"{int(round(w * 1000))}ms"] = {
                "classes": {c: v.scores() for c, v in per_class.items()},
                "sum": total.scores(),
                "mean": {"f": float(np.mean([v.scores()["f"] for v in per_class.values()]))},
                "tracks": per_track}
        return out
