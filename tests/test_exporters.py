"""Every registered exporter on two aligned example songs (and a copy of one): what ``read``
gives back is what went in, for the keys its format holds.  Then each format's own
promises: npz shards hold whole songs, CSV and Parquet hold one table, the MDB vocabulary,
valid JAMS, the MIDI tempo map, constant-tempo MIDI without a score, streaming, safe names
and bad options."""
from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from drumtabber.alignment import load_song
from drumtabber.audio.features import onsets_to_class_targets
from drumtabber.classes import map_onset_rows
from drumtabber.components import READ_BACK_KEYS, ExportExample, build_options
from drumtabber.errors import ConfigError, DrumtabberError
from drumtabber.onset_table import onset_table
from drumtabber.plugin_manager import PluginManager

MANAGER = PluginManager(entry_points=False)
CLASS_MAP = MANAGER.get("class_map", "drumtabber")
FPS, N_BANDS = 100.0, 40
# Labels keep microseconds (the labels format writes 6 decimals, TFRecord float32 keeps 1 us
# below 32 s); MIDI ticks quantise: half a tick is 0.33 ms at 96 BPM, 960 ticks a quarter.
TIME_TOLERANCE_S = 1e-6
MIDI_TOLERANCE_S = 1e-3
SONGS = [("alignments/example_shuffle", "train"), ("alignments/example_odd_meter", "test")]
# The keys each built-in format holds.
HOLDS = {"npz": {"features", "targets"}, "tfrecord": {"features", "targets", "times", "labels"},
         **{name: {"times", "labels"} for name in
            ("onsets-csv", "onsets-parquet", "labels", "midi", "jams")}}
NEEDS = {"tfrecord": "tensorflow", "jams": "jams"}


def song_example(song_id: str, split: str, seed: int) -> ExportExample:
    song, findings = load_song(ROOT / f"{song_id}.toml", MANAGER)
    assert song is not None, findings
    onsets = map_onset_rows(CLASS_MAP, song.onsets, CLASS_MAP.Options())
    classes = CLASS_MAP.classes(CLASS_MAP.Options())
    duration = float(song.tempo_map.quarters_to_seconds(song.tempo_map.bar_quarters[-1]))
    n_frames = int(duration * FPS)
    features = np.random.default_rng(seed).random((n_frames, N_BANDS)).astype(np.float32)
    targets = onsets_to_class_targets(onsets, classes, n_frames=n_frames, fps=FPS)
    return ExportExample(song_id, split, song.name, classes, FPS, features, targets, onsets,
                         score=song.score, tempo_map=song.tempo_map, duration_s=duration)


@pytest.fixture(scope="module")
def examples() -> list[ExportExample]:
    out = [song_example(song, split, seed) for seed, (song, split) in enumerate(SONGS)]
    # a copy whose crashes map to two classes (two onset rows, one hit)
    onsets = out[0].onsets
    twice = onsets[onsets["instrument"] == "crash"].assign(**{"class": "tom"})
    copy = dataclasses.replace(out[0], song=out[0].song + "#2",
                               features=out[0].features[::-1].copy(),
                               onsets=onset_table(pd.concat([onsets, twice])))
    return out + [copy]


def stream(examples):
    yield from examples


def export_and_read(exporter, examples, folder: Path, **values):
    if exporter.name in NEEDS:
        pytest.importorskip(NEEDS[exporter.name])
    options = build_options(exporter, values)
    written = exporter.export(stream(examples), folder, options)
    assert written and all(Path(p).is_file() and Path(p).parent == folder for p in written)
    return exporter.read(folder, options)


def by_label(times, labels) -> dict[str, np.ndarray]:
    """Sorted times of each label (simultaneous hits may come back in either order)."""
    labels = np.asarray(labels, dtype=object)
    return {label: np.sort(np.asarray(times)[labels == label]) for label in sorted(set(labels))}


def hits(onsets):
    """One row per hit: rows that differ only by class are one hit."""
    return onsets.drop(columns=["class"]).drop_duplicates(ignore_index=True)


def expected_labels(name: str, example) -> tuple[np.ndarray, list]:
    if name == "midi":                      # one note per hit, named by its instrument
        rows = hits(example.onsets)
        return rows["time"].to_numpy(), list(rows["instrument"])
    return example.onsets["time"].to_numpy(), list(example.onsets["class"])


def assert_same_song(name, got, example):
    assert got["song"] == example.song and got["split"] == example.split
    for key in ("features", "targets"):
        if key in got:
            assert got[key].dtype == np.float32
            np.testing.assert_array_equal(got[key], example.__dict__[key])
    if "times" in got:
        assert len(got["times"]) == len(got["labels"])
        assert np.all(np.diff(got["times"]) >= 0), "times are sorted"
        times, labels = expected_labels(name, example)
        got_labels, want = by_label(got["times"], got["labels"]), by_label(times, labels)
        assert sorted(got_labels) == sorted(want)
        tolerance = MIDI_TOLERANCE_S if name == "midi" else TIME_TOLERANCE_S
        for label in want:
            np.testing.assert_allclose(got_labels[label], want[label], rtol=0, atol=tolerance)


@pytest.mark.parametrize("name", MANAGER.registry("exporter").names())
def test_every_exporter_reads_back_what_it_wrote(name, examples, tmp_path):
    exporter = MANAGER.get("exporter", name)
    back = export_and_read(exporter, examples, tmp_path / name)
    assert [d["song"] for d in back] == sorted(e.song for e in examples)
    for got in back:
        assert set(got) <= set(READ_BACK_KEYS) and {"song", "split"} <= set(got)
        assert set(got) - {"song", "split"} == HOLDS.get(name, set(got) - {"song", "split"})
        assert_same_song(name, got, next(e for e in examples if e.song == got["song"]))


# -- npz --------------------------------------------------------------------------------
@pytest.mark.parametrize("shard_frames, compress, shards", [
    (1, False, {"train-00000.npz": ["alignments/example_shuffle"],
                "train-00001.npz": ["alignments/example_shuffle#2"],
                "test-00000.npz": ["alignments/example_odd_meter"]}),
    (3000, True, {"train-00000.npz": ["alignments/example_shuffle",
                                      "alignments/example_shuffle#2"],
                  "test-00000.npz": ["alignments/example_odd_meter"]}),
])
def test_npz_shards_hold_whole_songs(shard_frames, compress, shards, examples, tmp_path):
    exporter = MANAGER.get("exporter", "npz")
    back = export_and_read(exporter, examples, tmp_path, shard_frames=shard_frames,
                           compress=compress)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(shards)
    frames = {e.song: len(e.features) for e in examples}
    for file, songs in shards.items():
        with np.load(tmp_path / file) as shard:
            assert list(shard["songs"]) == songs
            assert list(shard["classes"]) == examples[0].classes and float(shard["fps"]) == FPS
            counts = np.bincount(shard["song_index"], minlength=len(songs))
            assert [int(c) for c in counts] == [frames[s] for s in songs]
            assert shard["frame_times"].dtype == np.float64
            assert shard["frame_times"][frames[songs[0]] - 1] == (frames[songs[0]] - 1) / FPS
    for got in back:
        assert_same_song("npz", got, next(e for e in examples if e.song == got["song"]))


@pytest.mark.parametrize("name, values", [("npz", {"shard_frames": 1}),
                                          ("tfrecord", {"songs_per_shard": 1})])
def test_a_full_shard_is_written_before_the_next_song_is_read(name, values, examples,
                                                              tmp_path):
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    exporter = MANAGER.get("exporter", name)
    seen = []

    def watched():
        for example in examples:
            seen.append(sorted(p.name for p in tmp_path.glob("*") if p.name[0] != "."))
            yield example
    exporter.export(watched(), tmp_path, build_options(exporter, values))
    suffix = ".npz" if name == "npz" else ".tfrecord"
    assert seen == [[], [f"train-00000{suffix}"], [f"test-00000{suffix}", f"train-00000{suffix}"]]


@pytest.mark.parametrize("name", MANAGER.registry("exporter").names())
def test_export_consumes_the_examples_once(name, examples, tmp_path):
    class OneShot:
        passes = 0

        def __iter__(self):
            self.passes += 1
            assert self.passes == 1, "iterated twice"
            return iter(examples)
    if name in NEEDS:
        pytest.importorskip(NEEDS[name])
    exporter, once = MANAGER.get("exporter", name), OneShot()
    exporter.export(once, tmp_path, exporter.Options())
    assert once.passes == 1
    assert len(exporter.read(tmp_path, exporter.Options())) == len(examples)


# -- tables -----------------------------------------------------------------------------
def test_csv_and_parquet_hold_the_same_table(examples, tmp_path):
    for fmt in ("csv", "parquet"):
        MANAGER.get("exporter", f"onsets-{fmt}").export(stream(examples), tmp_path, None)
    parquet = pd.read_parquet(tmp_path / "onsets.parquet")
    text = {c: str for c in ("song", "split", "instrument", "articulation", "class")}
    csv = pd.read_csv(tmp_path / "onsets.csv", dtype=text, keep_default_na=False)
    assert list(csv.columns) == ["song", "split", "time", "instrument", "gm_note",
                                 "articulation", "velocity", "class"]
    assert len(csv) == sum(len(e.onsets) for e in examples)
    pd.testing.assert_frame_equal(csv, parquet, check_dtype=False)
    import pyarrow.parquet as pq
    assert pq.ParquetFile(tmp_path / "onsets.parquet").num_row_groups == len(examples)


# -- labels -----------------------------------------------------------------------------
MDB_HITS = [("kick", "", ["kick"], "KD"), ("kick_acoustic", "", ["kick"], "KD"),
            ("snare", "", ["snare"], "SD"), ("side_stick", "", ["snare"], "SD"),
            ("snare", "rimshot", ["snare"], "SD"), ("hihat_closed", "", ["hihat"], "HH"),
            ("hihat_open", "", ["hihat"], "HH"), ("hihat_pedal", "", ["hihat"], "HH"),
            ("tom_high", "", ["tom"], "TT"), ("tom_floor_low", "", ["tom"], "TT"),
            ("crash", "", ["cymbal", "crash"], "CY"), ("ride", "", ["cymbal"], "CY"),
            ("china", "", ["cymbal"], "CY"), ("splash", "", ["cymbal"], "CY"),
            ("ride_bell", "", ["cymbal"], "CY"), ("cowbell", "", ["other"], "OT"),
            ("tambourine", "", ["other"], "OT")]


def test_the_mdb_vocabulary_names_each_hit_once_by_its_family(tmp_path):
    from drumtabber.score import Instrument
    rows = [{"time": 0.25 * k, "instrument": i, "gm_note": Instrument(i).gm_note,
             "articulation": a, "velocity": 96, "class": c}
            for k, (i, a, classes, _) in enumerate(MDB_HITS) for c in classes]
    example = ExportExample("hits", "test", "hits", ["kick"], FPS, np.zeros((10, N_BANDS),
                            np.float32), np.zeros((10, 1), np.float32), onset_table(rows))
    exporter = MANAGER.get("exporter", "labels")
    (got,) = export_and_read(exporter, [example], tmp_path, vocabulary="mdb")
    assert got["labels"] == [mdb for *_, mdb in MDB_HITS]          # the crash once, not twice
    np.testing.assert_allclose(got["times"], 0.25 * np.arange(len(MDB_HITS)), atol=1e-9)
    assert (tmp_path / "hits.txt").read_text().splitlines()[1] == "0.250000\tKD"


def test_the_mdb_vocabulary_on_a_song(examples, tmp_path):
    exporter = MANAGER.get("exporter", "labels")
    got = export_and_read(exporter, examples[:1], tmp_path, vocabulary="mdb")[0]
    rows = hits(examples[0].onsets)
    assert len(got["labels"]) == len(rows)
    families = {"kick": "KD", "snare": "SD", "hihat_closed": "HH", "hihat_open": "HH",
                "crash": "CY", "ride": "CY"}
    np.testing.assert_allclose(by_label(got["times"], got["labels"])["KD"],
                               rows["time"][rows["instrument"] == "kick"], atol=1e-6)
    assert sorted(got["labels"]) == sorted(families[i] for i in rows["instrument"])


def test_per_song_files_have_safe_unique_names_and_an_index(examples, tmp_path):
    from drumtabber.plugins.exporters.common import SafeNames
    names = SafeNames()
    assert [names(s) for s in ["a/b c#2", "a_b_c_2", "A_B_C_2", "../x", "ok-1.0"]] == \
        ["a_b_c_2", "a_b_c_2-2", "A_B_C_2-3", "_x", "ok-1.0"]
    exporter = MANAGER.get("exporter", "labels")
    exporter.export(stream(examples), tmp_path, exporter.Options())
    index = pd.read_csv(tmp_path / "index.csv", dtype=str)
    assert list(index.columns) == ["song", "split", "file"]
    assert list(index["song"]) == [e.song for e in examples]
    assert list(index["file"]) == ["alignments_example_shuffle.txt",
                                   "alignments_example_odd_meter.txt",
                                   "alignments_example_shuffle_2.txt"]
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+", p.name) for p in tmp_path.iterdir())


# -- jams -------------------------------------------------------------------------------
def test_jams_files_validate(examples, tmp_path):
    jams = pytest.importorskip("jams")
    MANAGER.get("exporter", "jams").export(stream(examples), tmp_path, None)
    jam = jams.load(str(tmp_path / "alignments_example_shuffle.jams"), validate=True)
    assert jam.file_metadata.title == examples[0].title
    assert jam.file_metadata.duration == pytest.approx(examples[0].duration_s)
    (annotation,) = jam.annotations.search(namespace="tag_open")
    assert "drumtabber" in annotation.annotation_metadata.annotation_tools
    assert sorted(o.confidence for o in annotation.data) == \
        sorted(v / 127 for v in examples[0].onsets["velocity"])
    assert {o.duration for o in annotation.data} == {0.0}


# -- midi -------------------------------------------------------------------------------
def tempo_at(midi, time_s: float) -> int:
    """The set_tempo value (us a quarter) in effect at ``time_s`` of a MIDI file."""
    tempo, now = 500000, 0.0
    for msg in midi:                       # mido gives delta times in seconds
        if now + msg.time > time_s:
            break
        now += msg.time
        if msg.type == "set_tempo":
            tempo = msg.tempo
    return tempo


def test_the_midi_follows_the_tempo_map(examples, tmp_path):
    mido = pytest.importorskip("mido")
    MANAGER.get("exporter", "midi").export(stream(examples[:1]), tmp_path, None)
    midi = mido.MidiFile(tmp_path / "alignments_example_shuffle.mid")
    tempo_map = examples[0].tempo_map
    bar5 = float(tempo_map.beats_to_seconds(4, 0))       # the change to 100 BPM at bar 5
    assert tempo_at(midi, bar5 - 0.1) == 625000          # 96 BPM
    assert tempo_at(midi, bar5 + 0.1) == 600000          # 100 BPM
    assert any(m.type == "time_signature" for m in midi.tracks[0])


@pytest.mark.parametrize("drop", ["score", "positions"])
def test_midi_without_a_score_is_written_at_a_constant_tempo(drop, examples, tmp_path):
    example = examples[1]
    if drop == "score":
        example = dataclasses.replace(example, score=None, tempo_map=None)
    else:
        example = dataclasses.replace(example, onsets=example.onsets.drop(columns=["bar", "beat"]))
    exporter = MANAGER.get("exporter", "midi")
    (got,) = export_and_read(exporter, [example], tmp_path)
    assert_same_song("midi", got, example)


# -- options ----------------------------------------------------------------------------
@pytest.mark.parametrize("name, values, message", [
    ("npz", {"shard_frames": 0}, "npz.shard_frames: expected a whole number >= 1, found 0"),
    ("npz", {"shard_frames": -5}, "npz.shard_frames: expected a whole number >= 1, found -5"),
    ("npz", {"compress": "maybe"}, "npz.compress: expected bool, found 'maybe'"),
    ("npz", {"shards": 3}, "npz: unknown option(s) shards; valid: compress, shard_frames"),
    ("tfrecord", {"songs_per_shard": 0},
     "tfrecord.songs_per_shard: expected a whole number >= 1, found 0"),
    ("labels", {"vocabulary": "enst"},
     "labels.vocabulary: expected one of '', 'mdb', found 'enst'"),
    ("midi", {"tempo": 120}, "midi: unknown option(s) tempo; valid: (none)"),
])
def test_bad_options_are_config_errors(name, values, message):
    with pytest.raises(ConfigError) as exc:
        build_options(MANAGER.get("exporter", name), values)
    assert message in str(exc.value)


@pytest.mark.parametrize("name, module, hint", [
    ("tfrecord", "tensorflow", "pip install 'drumtabber[models]'"),
    ("jams", "jams", "pip install jams"),
])
def test_a_missing_library_says_how_to_install_it(name, module, hint, examples, tmp_path,
                                                  monkeypatch):
    monkeypatch.setitem(sys.modules, module, None)          # import fails
    exporter = MANAGER.get("exporter", name)
    with pytest.raises(DrumtabberError, match=re.escape(hint)):
        exporter.export(stream(examples), tmp_path, exporter.Options())
