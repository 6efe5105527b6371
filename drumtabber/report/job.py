"""The main job: the whole toolkit on a folder of alignment files (by default the bundled
examples), into one output folder.

Per song: validate the tab and alignment file, align, render the recording from the tab with
human timing and an augmentation chain (so the labels of the tab are a little off the audio,
as with a real recording, while the render's own onset table is the truth), check and refine
the alignment, count the classes, transcribe the recording with the shipped model and score
the transcription against the truth.  Then the songs are exported as a dataset.  A song that
fails is reported with its problem; the rest go on.  Renders and transcriptions are kept with
the hash of what made them (``state.json``), features in the export's cache: a second run
redoes only what changed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


from ..alignment.recording import file_sha256
from ..dataset.cache import content_key
from ..errors import DrumtabberError

RENDER_CHAIN = "realistic"      # the render's notes humanised and its sound made recorded
HUMAN_TIMING_MS = 12.0          # ... with a sloppier drummer than the chain's, so that the
SEED = 0                        # tab's labels are off the strokes and refinement has work
LABEL_WINDOW_S = 0.01           # labels against the truth: F-measure within 10 ms
KITS = ("avl-black-pearl", "avl-red-zeppelin", "fluid-gm", "timgm6mb")
STATE = "state.json"


@dataclass
class SongReport:
    song: str
    alignment: str
    tab: str = ""
    error: str = ""
    findings: list = field(default_factory=list)       # validate's lines for its files
    audio: str = ""                                    # paths relative to the output folder
    clicks: str = ""
    png: str = ""
    check: dict = field(default_factory=dict)
    refine: dict = field(default_factory=dict)
    classes: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)         # transcription F per class
    tab_text: str = ""
    transcribed_tab: str = ""


def _kit(manager):
    for name in KITS:
        kit = manager.get("kit", name)
        if kit.installed:
            return kit
    raise DrumtabberError("no drum kit is installed: run `make setup` (FluidSynth and the "
                          "soundfonts)")


def _labels_f(reference, estimate, window: float = LABEL_WINDOW_S) -> float:
    """F-measure of label times against the truth, per instrument, pooled."""
    from ..transcribe.evaluate import Counts, match_pairs
    total = Counts()
    for name in set(reference["instrument"]) | set(estimate["instrument"]):
        ref = reference["time"][reference["instrument"] == name].to_numpy()
        est = estimate["time"][estimate["instrument"] == name].to_numpy()
        total.add(Counts(len(match_pairs(ref, est, window)), len(ref), len(est)))
    return total.scores()["f"]


class Job:
    def __init__(self, out: Path, manager, *, settings: dict, progress=None):
        self.out, self.manager, self.settings = Path(out), manager, settings
        self.progress = progress
        self.state_path = self.out / STATE
        try:
            self.state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.state = {}
        self.kit = _kit(manager)
        from ..dataset.augment import load_chain
        from ..models import load_onset_model
        self.chain = load_chain(RENDER_CHAIN, manager)
        for step in self.chain.steps:
            if step.augmenter.name == "humanize":
                step.options = step.augmenter.Options(HUMAN_TIMING_MS, step.options.velocity)
        self.model = load_onset_model("bundled", manager)              # places the labels
        self.transcriber = load_onset_model("transcriber", manager)    # transcribes
        self.reused = 0

    def save_state(self) -> None:
        from ..outputs import output_files
        with output_files(self.state_path) as (part,):
            part.write_text(json.dumps(self.state, indent=1) + "\n", encoding="utf-8")

    def cached(self, key: str, digest: str, paths: list[Path]) -> bool:
        hit = self.state.get(key) == digest and all(p.is_file() for p in paths)
        self.reused += hit
        return hit

    def song(self, path: Path, findings: list) -> SongReport:
        from ..alignment import load_song, load_alignment
        from ..findings import errors_of
        alignment, _ = load_alignment(path, self.manager)
        files = {str(path), str(getattr(alignment, "tab", "") or "")}
        report = SongReport(path.stem, str(path),
                            findings=[f.format() for f in findings if f.path in files])
        song, found = load_song(path, self.manager, settings=self.settings)
        if song is None:
            report.error = (errors_of(found) or found)[0].format()
            return report
        report.tab = str(song.alignment.tab)
        report.tab_text = Path(song.alignment.tab).read_text(encoding="utf-8", errors="replace")
        audio_name = song.alignment.audio_file or f"{path.stem}.wav"
        audio = self.out / "audio" / audio_name
        truth_path = self.out / "audio" / f"{Path(audio_name).stem}.truth.csv"
        from ..dataset.export import chain_facts
        digest = content_key(file_sha256(path), file_sha256(song.alignment.tab),
                             self.kit.name, chain_facts(self.chain), SEED)
        if not self.cached(f"render:{path.stem}", digest, [audio, truth_path]):
            self.render(path, audio, truth_path)
            self.state[f"render:{path.stem}"] = digest
        from ..onset_table import read_table
        truth = read_table(truth_path)
        report.audio = str(audio.relative_to(self.out))
        stem = self.out / "audio" / audio.stem
        made = [Path(f"{stem}_clicks.wav"), Path(f"{stem}.png")]
        digest = content_key(digest, str(self.model.path), self.settings.get("classes.scheme"))
        facts = self.state.setdefault("facts", {})
        if self.cached(f"check:{path.stem}", digest, made) and path.stem in facts:
            for key, value in facts[path.stem].items():
                setattr(report, key, value)
        else:
            self.check(song, audio, truth, report)
            facts[path.stem] = {k: getattr(report, k) for k in ("check", "refine", "classes",
                                                                "clicks", "png")}
            self.state[f"check:{path.stem}"] = digest
        self.transcribe(path.stem, audio, truth, report)
        return report

    def render(self, path: Path, audio: Path, truth_path: Path) -> None:
        """The recording, from the tab: humanised and through the chain; its onset table
        (where each note sounds) is the truth the rest is measured against."""
        import tempfile

        import soundfile

        from ..audio.io import load_audio
        from ..dataset.render import render_alignment
        from ..outputs import output_files
        with tempfile.TemporaryDirectory(prefix="drumtabber-run-") as tmp:
            wav = Path(tmp) / "take.wav"
            render_alignment(path, self.manager, kit=self.kit, out_wav=wav,
                             onsets_out=Path(tmp) / "truth.csv", chain=self.chain,
                             seed=SEED, force=True, settings=self.settings)
            samples, rate = load_audio(wav)
            with output_files(audio, truth_path) as (audio_part, truth_part):
                # in the format the alignment file names (a .mp3 for may3beta)
                soundfile.write(str(audio_part), samples, rate)
                Path(truth_part).write_bytes((Path(tmp) / "truth.csv").read_bytes())

    def check(self, song, audio: Path, truth, report: SongReport) -> None:
        """The alignment's labels against the recording, refined, and both against the
        truth; the click mix and the spectrogram with the labels."""
        import soundfile

        from ..alignment.quality import check_recording
        from ..alignment.refine import refine_onsets
        from ..audio.io import load_audio
        from ..audio.plots import click_mix, plot_labels
        samples, rate = load_audio(audio, sample_rate=44100)
        summary = check_recording(song.onsets, samples, rate)
        s = summary["overall"]
        report.check = {"verdict": summary.get("verdict", ""), "labels": s.count,
                        "median_ms": round(s.median_ms, 1), "within_20": round(s.within_20, 3),
                        "within_50": round(s.within_50, 3),
                        "f10_before": round(_labels_f(truth, song.onsets), 3)}
        result, refined = refine_onsets(song.onsets, song.tempo_map, samples, rate,
                                        model=self.model)
        report.refine = {"accepted": bool(result.accepted), "reason": result.reason,
                         "median_move_ms": round(result.stats.get("median_move_ms", 0.0), 1),
                         "f10_after": round(_labels_f(truth, refined), 3)}
        labels = refined if result.accepted else song.onsets
        stem = self.out / "audio" / audio.stem
        soundfile.write(str(stem) + "_clicks.wav", click_mix(samples, rate, labels), rate)
        end = min(len(samples) / rate, float(labels["time"].min()) + 8.0)
        plot_labels(samples, rate, labels, Path(str(stem) + ".png"),
                    start_s=max(0.0, end - 8.0), end_s=end, title=report.song)
        report.clicks = f"audio/{audio.stem}_clicks.wav"
        report.png = f"audio/{audio.stem}.png"
        from ..classes import map_onset_rows
        scheme = self.manager.get("class_map", self.settings.get("classes.scheme",
                                                                 "drumtabber"))
        mapped = map_onset_rows(scheme, labels, scheme.Options())
        report.classes = {k: int(v) for k, v in mapped["class"].value_counts().items()}

    def transcribe(self, name: str, audio: Path, truth, report: SongReport) -> None:
        """The recording transcribed with the shipped model, scored against the truth in
        the 5 classes of ADTOF/MDB."""
        from ..classes import map_onset_rows
        from ..onset_table import read_table
        from ..transcribe import transcribe_recording
        from ..transcribe.evaluate import Evaluation
        from ..transcribe.peaks import map_transcription
        folder = self.out / "transcriptions"
        paths = [folder / f"{audio.stem}.{x}" for x in ("csv", "txt", "toml")]
        digest = content_key(file_sha256(audio), str(self.transcriber.path),
                             self.transcriber.info.get("thresholds", {}))
        if not self.cached(f"transcribe:{name}", digest, paths):
            transcribe_recording(audio, self.transcriber, self.manager, out_dir=folder,
                                 formats=("csv", "tab", "midi"), force=True)
            self.state[f"transcribe:{name}"] = digest
        found = read_table(paths[0])
        instruments = _instruments_of(self.transcriber)
        found["instrument"] = [instruments[c] for c in found["class"]]
        found["gm_note"] = 0
        found["articulation"] = ""
        scheme = self.manager.get("class_map", "adtof")
        e = Evaluation(scheme.classes(), (0.05,))
        e.add_track(name, map_onset_rows(scheme, truth, None),
                    map_transcription(scheme, found, None))
        s = e.summary()["50ms"]
        report.scores = {"sum": round(s["sum"]["f"], 3), "mean": round(s["mean"]["f"], 3),
                         **{c: round(v["f"], 3) for c, v in s["classes"].items()}}
        report.transcribed_tab = paths[1].read_text(encoding="utf-8")


def _instruments_of(model) -> dict[str, str]:
    from ..transcribe.peaks import class_instruments
    return {c: i.value for c, i in class_instruments(model.class_map, model.classes).items()}


def run_job(alignments: Path, tabs: Path, out: Path, manager, *, settings: dict,
            progress=None) -> dict:
    """The main job (see the module text): a dict for the report, also written to
    ``out/report.json``."""
    from ..alignment.validate import validate_paths
    from ..dataset.export import alignment_paths
    out.mkdir(parents=True, exist_ok=True)
    job = Job(out, manager, settings=settings, progress=progress)
    findings = validate_paths([tabs, alignments], manager, settings=settings)
    paths = alignment_paths([alignments], manager)
    songs = []
    for k, path in enumerate(paths, 1):
        try:
            songs.append(job.song(path, findings))
        except (DrumtabberError, OSError, ValueError) as exc:
            songs.append(SongReport(path.stem, str(path),
                                    error=getattr(exc, "message", None) or str(exc)))
        if progress:
            progress("songs", k, len(paths))
        job.save_state()
    dataset = export_songs(job, [Path(s.alignment) for s in songs if not s.error])
    result = {"songs": [vars(s) for s in songs], "dataset": dataset,
              "validate": {"errors": sum(f.severity.value == "error" for f in findings),
                           "warnings": sum(f.severity.value == "warning" for f in findings),
                           "files": len({f.path for f in findings})},
              "kit": job.kit.name, "chain": RENDER_CHAIN, "reused": job.reused}
    (out / "report.json").write_text(json.dumps(result, indent=1, default=str) + "\n",
                                     encoding="utf-8")
    return result


def export_songs(job: Job, paths: list[Path]) -> dict:
    """The songs exported (npz, onset table) into ``out/dataset``: the manifest's facts."""
    from dataclasses import asdict

    from ..audio.features import FeatureConfig
    from ..dataset.export import ExportJob, export_dataset
    from ..dataset.manifest import write_description
    from ..dataset.splits import SongKey, assign_splits
    if not paths:
        return {}
    manager, out = job.manager, job.out / "dataset"
    scheme = job.settings.get("classes.scheme", "drumtabber")
    class_map = manager.get("class_map", scheme)
    export = ExportJob(out=str(out), audio_dir=str(job.out / "audio"),
                       cache_dir=str(job.out / "cache"), scheme=scheme, scheme_values={},
                       features=asdict(FeatureConfig.from_settings(job.settings)),
                       settings=dict(job.settings))
    formats = [(manager.get("exporter", n), manager.get("exporter", n).Options())
               for n in ("npz", "onsets-csv")]

    def describe(folder, export_job, result):
        write_description(folder, export_job, result, class_map=class_map,
                          classes=class_map.classes(), chain=None,
                          formats={e.name: vars(o) for e, o in formats},
                          split_spec="train 80%, validation 10%, test 10%")
    result = export_dataset(
        paths, export, manager, formats=formats, force=True, describe=describe,
        split_of=lambda facts: assign_splits([SongKey(f["song"], f["artist"],
                                                      f["audio_sha256"]) for f in facts]))
    manifest = out / "manifest.json"
    facts = json.loads(manifest.read_text()) if manifest.is_file() else {}
    return {"counts": facts.get("counts", {}), "skipped": result.skipped,
            "classes": facts.get("classes", {}).get("names", []),
            "seconds": round(result.seconds, 1), "songs": len(result.outcomes)}


__all__ = ["Job", "SongReport", "run_job"]
