"""``drumtabber-data export``: the bundled example songs rendered into recordings, exported,
resumed after an interruption, re-exported from the feature cache, run on a Dask cluster;
splits, the manifest and the dataset card; songs that fail are skipped with their reason."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from drumtabber.dataset.splits import SongKey, assign_splits, parse_shares
from drumtabber.errors import DrumtabberError
from drumtabber.plugin_manager import PluginManager

MANAGER = PluginManager(entry_points=False)
SONGS = ("example_shuffle", "example_odd_meter", "example_pickup")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The bundled alignment files (may3beta's recording is not bundled) with the two
    example songs rendered as their recordings."""
    pytest.importorskip("soundfile")
    if not MANAGER.get("kit", "fluid-gm").installed:
        pytest.skip("fluid-gm soundfont not installed")
    from drumtabber.dataset.render import render_alignment
    from drumtabber.alignment import load_alignment
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "audio").mkdir()
    for name in SONGS:
        alignment, _ = load_alignment(ROOT / "alignments" / f"{name}.toml", MANAGER)
        render_alignment(ROOT / "alignments" / f"{name}.toml", MANAGER, kit="fluid-gm",
                         out_wav=folder / "audio" / alignment.audio_file)
    return folder


def export(run_cli, corpus, out, *args):
    return run_cli("export", ROOT / "alignments", "--audio-dir", corpus / "audio", "--out", out,
                   "--cache-dir", corpus / "cache", *args)


def read_npz(folder: Path) -> dict:
    """song id -> (features, targets) from an npz export folder."""
    out = {}
    for shard in sorted(folder.glob("*.npz")):
        with np.load(shard) as z:
            for i, song in enumerate(z["songs"]):
                rows = z["song_index"] == i
                out[str(song)] = (z["features"][rows], z["targets"][rows])
    return out


def test_export_writes_formats_manifest_and_card(run_cli, corpus, tmp_path):
    out = tmp_path / "ds"
    code, _, err = export(run_cli, corpus, out, "--format", "npz,onsets-csv,labels")
    assert code == 0, err
    assert "3 songs exported" in err and "1 skipped" in err and "may3beta" in err
    manifest = json.loads((out / "manifest.json").read_text())
    assert [s["song"] for s in manifest["songs"]] == sorted(SONGS)
    assert manifest["skipped"][0]["song"] == "may3beta"
    assert "not found" in manifest["skipped"][0]["error"]
    assert manifest["classes"]["scheme"] == "drumtabber" and manifest["classes"]["names"]
    assert all(len(s["audio_sha256"]) == 64 for s in manifest["songs"])
    table = pd.read_csv(out / "onsets-csv" / "onsets.csv")
    from drumtabber.alignment import load_song
    from drumtabber.classes import map_onset_rows
    scheme = MANAGER.get("class_map", "drumtabber")
    for name in SONGS:               # every hit of the tab, once per class it maps to
        song, _ = load_song(ROOT / "alignments" / f"{name}.toml", MANAGER)
        mapped = map_onset_rows(scheme, song.onsets, scheme.Options())
        rows = table[table["song"] == name]
        assert list(rows["class"]) == list(mapped["class"]) and len(rows) > 40
        np.testing.assert_allclose(rows["time"], mapped["time"], atol=1e-6)
    counted = manifest["counts"]
    assert sum(counted[s]["songs"] for s in counted) == 3
    assert sum(sum(counted[s]["events"].values()) for s in counted) == len(table)
    frames = read_npz(out / "npz")
    assert set(frames) == set(SONGS)
    assert sum(counted[s]["frames"] for s in counted) == sum(len(f) for f, _ in frames.values())
    card = (out / "README.md").read_text()
    assert "| split | songs | examples | frames | events |" in card
    assert "## Sources and licences" in card and "## Known limitations" in card
    assert not (out / ".work").exists() and not (out / ".staging").exists()
    code, _, err = export(run_cli, corpus, out, "--format", "npz")
    assert code == 1 and "already holds an export (use --force" in err
    code, _, err = export(run_cli, corpus, out, "--format", "npz", "--force")
    assert code == 0 and not (out / "labels").exists()      # started over


def test_an_interrupted_export_resumes_to_the_same_result(run_cli, corpus, tmp_path,
                                                           monkeypatch):
    whole, broken = tmp_path / "whole", tmp_path / "broken"
    assert export(run_cli, corpus, whole, "--format", "npz,onsets-csv")[0] == 0
    from drumtabber.dataset import export as E
    real = E.song_work
    calls = []

    def dies_on_second(job, item):
        calls.append(item[0]["song"])
        if len(calls) == 2:
            raise KeyboardInterrupt             # Ctrl-C in the middle of the export
        return real(job, item)
    monkeypatch.setattr(E, "song_work", dies_on_second)
    code, _, err = export(run_cli, corpus, broken, "--format", "npz,onsets-csv")
    assert code == 130 and "Traceback" not in err             # 128 + SIGINT, as shells do
    assert len(list((broken / ".work").glob("*.pkl"))) == 1
    assert not (broken / "manifest.json").exists()
    monkeypatch.setattr(E, "song_work", real)
    code, _, err = export(run_cli, corpus, broken, "--format", "npz,onsets-csv")
    assert code == 0 and "(1 already done by an earlier run)" in err, err
    assert (whole / "onsets-csv" / "onsets.csv").read_bytes() == \
        (broken / "onsets-csv" / "onsets.csv").read_bytes()
    a, b = read_npz(whole / "npz"), read_npz(broken / "npz")
    for song in a:
        np.testing.assert_array_equal(a[song][0], b[song][0])
        np.testing.assert_array_equal(a[song][1], b[song][1])


def test_a_re_export_with_another_class_map_reads_features_from_the_cache(run_cli, corpus,
                                                                          tmp_path):
    cache = corpus / "cache" / "features"
    assert export(run_cli, corpus, tmp_path / "a", "--format", "npz")[0] == 0
    entries = sorted(cache.rglob("*.pkl"))
    stamps = [p.stat().st_mtime_ns for p in entries]
    code, _, err = export(run_cli, corpus, tmp_path / "b", "--format", "npz", "--classes",
                          "kd-sd-hh")
    assert code == 0, err
    assert sorted(cache.rglob("*.pkl")) == entries               # nothing recomputed
    assert [p.stat().st_mtime_ns for p in entries] == stamps
    a, b = read_npz(tmp_path / "a" / "npz"), read_npz(tmp_path / "b" / "npz")
    for song in a:
        np.testing.assert_array_equal(a[song][0], b[song][0])       # same features
        assert b[song][1].shape[1] == 3 != a[song][1].shape[1]      # other targets


def test_augmented_copies_stay_in_their_song_split(run_cli, corpus, tmp_path):
    out = tmp_path / "aug"
    code, _, err = export(run_cli, corpus, out, "--format", "onsets-csv", "--augment", "seed",
                          "--copies", "2", "--seed", "3")
    assert code == 0, err
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["augmentation"]["chain"] == "seed" and manifest["augmentation"]["copies"] == 2
    table = pd.read_csv(out / "onsets-csv" / "onsets.csv")
    assert set(table["song"]) == {*SONGS, *(f"{s}#2" for s in SONGS)}
    for name in SONGS:
        assert table[table["song"] == name]["split"].nunique() == 1
        assert set(table[table["song"] == f"{name}#2"]["split"]) == \
            set(table[table["song"] == name]["split"])


def test_the_export_on_a_dask_cluster_equals_the_local_one(run_cli, corpus, tmp_path):
    distributed = pytest.importorskip("distributed")
    assert export(run_cli, corpus, tmp_path / "local", "--format", "onsets-csv,npz")[0] == 0
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        code, _, err = export(run_cli, corpus, tmp_path / "dask", "--format", "onsets-csv,npz",
                              "--scheduler", cluster.scheduler_address, "--cache-dir",
                              tmp_path / "cache2")
    assert code == 0, err
    assert (tmp_path / "local" / "onsets-csv" / "onsets.csv").read_bytes() == \
        (tmp_path / "dask" / "onsets-csv" / "onsets.csv").read_bytes()
    a, b = read_npz(tmp_path / "local" / "npz"), read_npz(tmp_path / "dask" / "npz")
    assert a.keys() == b.keys()
    for song in a:       # Dask workers run BLAS on one thread: float32 rounding may differ
        np.testing.assert_allclose(a[song][0], b[song][0], rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(a[song][1], b[song][1])


def test_jobs_give_the_same_export(run_cli, corpus, tmp_path):
    assert export(run_cli, corpus, tmp_path / "one", "--format", "onsets-csv")[0] == 0
    assert export(run_cli, corpus, tmp_path / "two", "--format", "onsets-csv", "--jobs", 2,
                  "--cache-dir", tmp_path / "c")[0] == 0
    assert (tmp_path / "one" / "onsets-csv" / "onsets.csv").read_bytes() == \
        (tmp_path / "two" / "onsets-csv" / "onsets.csv").read_bytes()


def test_broken_songs_are_skipped_with_their_reason(run_cli, corpus, tmp_path):
    folder = tmp_path / "in"
    shutil.copytree(ROOT / "alignments", folder)
    for name in SONGS:                           # the tab paths are relative to the file
        text = (folder / f"{name}.toml").read_text().replace('"../tabs/', f'"{ROOT}/tabs/')
        (folder / f"{name}.toml").write_text(text)
    (folder / "broken.toml").write_text('tab = "nope.txt"\n[tempo]\nbpm = "fast"\n')
    audio = tmp_path / "audio"
    shutil.copytree(corpus / "audio", audio)
    (audio / "example_odd_meter.wav").write_bytes(b"RIFF not audio")
    code, _, err = run_cli("export", folder, "--audio-dir", audio, "--out", tmp_path / "o",
                           "--format", "labels", "--cache-dir", tmp_path / "c")
    assert code == 0, err
    assert "2 songs exported, 3 skipped" in err and "Traceback" not in err
    assert "skipped broken:" in err and "skipped example_odd_meter:" in err
    manifest = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert [s["song"] for s in manifest["skipped"]] == ["broken", "example_odd_meter",
                                                        "may3beta"]


@pytest.mark.parametrize("args, code, message", [
    (["--format", "nope"], 2, "unknown format(s) nope"),
    (["--copies", "2"], 2, "--copies needs --augment"),
    (["--split", "train=a"], 2, "--split: train: expected a number"),
    (["--format", "npz", "-O", "npz.shard_frames=x"], 2, "shard_frames"),
    (["--format", "npz", "-O", "tfrecord.x=1"], 2, "expected FORMAT.KEY"),
    (["--augment", "nope"], 2, "unknown chain 'nope'"),
])
def test_bad_options_are_refused_before_any_work(run_cli, tmp_path, args, code, message):
    got, _, err = run_cli("export", ROOT / "alignments", "--out", tmp_path / "o", *args)
    assert got == code and message in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()


def test_an_unrelated_folder_is_never_touched(run_cli, tmp_path):
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "mine.txt").write_text("keep me")
    code, _, err = run_cli("export", ROOT / "alignments", "--out", tmp_path / "o", "--force")
    assert code == 1 and "holds no export" in err
    assert (tmp_path / "o" / "mine.txt").read_text() == "keep me"


# -- splits -------------------------------------------------------------------------------
def test_one_recording_or_one_artist_is_never_in_two_splits():
    songs = [SongKey(f"s{i}", artist=f"a{i % 40}", audio_sha256=f"h{i}") for i in range(400)]
    songs += [SongKey("copy-of-s1", audio_sha256="h1"), SongKey("other-name", artist="zz",
                                                                  audio_sha256="h7")]
    splits = assign_splits(songs)
    for artist in {s.artist for s in songs if s.artist}:
        assert len({splits[s.song] for s in songs if s.artist == artist}) == 1
    assert splits["copy-of-s1"] == splits["s1"] and splits["other-name"] == splits["s7"]
    assert splits["s7"] == splits["s47"]                         # one artist: a7
    again = assign_splits(list(reversed(songs)))
    assert again == splits                                       # order does not matter


def test_hash_splits_follow_the_shares_and_explicit_lists_win(tmp_path):
    songs = [SongKey(f"song-{i}") for i in range(3000)]
    splits = assign_splits(songs, shares=parse_shares("70,20,10"))
    share = pd.Series(splits).value_counts(normalize=True)
    assert abs(share["train"] - 0.7) < 0.03 and abs(share["test"] - 0.1) < 0.02
    more = assign_splits(songs + [SongKey("new")], shares=parse_shares("70,20,10"))
    assert all(more[s.song] == splits[s.song] for s in songs)    # new songs move no old one
    lists = tmp_path / "splits.toml"
    lists.write_text('test = ["song-1", "song-2"]\n')
    from drumtabber.dataset.splits import read_split_file
    fixed = assign_splits(songs, explicit=read_split_file(lists))
    assert fixed["song-1"] == fixed["song-2"] == "test"
    lists.write_text('test = ["song-1"]\ntrain = ["song-1"]\n')
    with pytest.raises(DrumtabberError, match="in both test and train"):
        read_split_file(lists)
    with pytest.raises(DrumtabberError, match="unknown split 'dev'"):
        parse_shares("dev=1")


def test_a_killed_export_leaves_nothing_that_breaks_the_next_run(run_cli, corpus, tmp_path):
    """kill -9 can leave a half-written work file, a partial and a staging folder: the next
    run recomputes that song and gives the same table as a clean run."""
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    assert export(run_cli, corpus, clean, "--format", "onsets-csv")[0] == 0
    (killed / ".work").mkdir(parents=True)
    (killed / ".work" / "example_shuffle.pkl").write_bytes(b"\x80\x05truncated")
    (killed / ".work" / ".example_odd_meter.pkl.partial").write_bytes(b"half")
    (killed / ".staging" / "onsets-csv").mkdir(parents=True)
    (killed / ".staging" / "onsets-csv" / "onsets.csv").write_text("song,time\nx,1\n")
    code, _, err = export(run_cli, corpus, killed, "--format", "onsets-csv")
    assert code == 0 and "already done" not in err, err
    assert (clean / "onsets-csv" / "onsets.csv").read_bytes() == \
        (killed / "onsets-csv" / "onsets.csv").read_bytes()
    assert not (killed / ".staging").exists() and not (killed / ".work").exists()


def test_refined_export_moves_labels_onto_the_recording(run_cli, corpus, tmp_path):
    """--refine with the bundled model, in two worker processes: the labels go through the
    refinement (the manifest says so) and stay on the rendered strokes."""
    out = tmp_path / "refined"
    code, _, err = export(run_cli, corpus, out, "--format", "onsets-csv", "--refine",
                          "--jobs", 2)
    assert code == 0, err
    assert json.loads((out / "manifest.json").read_text())["refine"] == "bundled"
    refined = pd.read_csv(out / "onsets-csv" / "onsets.csv")
    from drumtabber.alignment.quality import check_recording
    from drumtabber.audio.io import load_audio
    for name in SONGS:
        samples, rate = load_audio(next((corpus / "audio").glob(f"{name}.*")))
        rows = refined[refined["song"] == name].drop_duplicates("time")
        assert check_recording(rows, samples, rate)["overall"].within_20 >= 0.95
    code, _, err = export(run_cli, corpus, tmp_path / "x", "--refine", "--model",
                          tmp_path / "no-model")
    assert code == 1 and "no onset model here" in err and not (tmp_path / "x").exists()


def test_the_cards_readers_read_back_what_was_written(run_cli, corpus, tmp_path):
    """The numpy, tf.data and PyTorch-style readers the dataset card shows, run on an export
    of both shard formats, give the features and targets the exporters read back."""
    from drumtabber.dataset.readers import READERS
    out = tmp_path / "ds"
    assert export(run_cli, corpus, out, "--format", "npz,tfrecord", "--split", "1,0,0")[0] == 0
    card = (out / "README.md").read_text()
    code = {}
    for name, (title, text) in READERS.items():
        assert text in card                     # the card shows this very code
        exec(compile(text, f"reader {name}", "exec"), code)
    written = {r["song"]: r for r in MANAGER.get("exporter", "npz").read(
        out / "npz", MANAGER.get("exporter", "npz").Options())}
    got = {song: (f, t) for song, f, t in code["read_npz"](out / "npz")}
    assert got.keys() == written.keys()
    for song, (f, t) in got.items():
        np.testing.assert_array_equal(f, written[song]["features"])
        np.testing.assert_array_equal(t, written[song]["targets"])
    segments = code["FrameSegments"](out / "npz", length=100)
    f, t = segments[0]
    first = written[sorted(written)[0]]
    np.testing.assert_array_equal(f, first["features"][:100])
    assert len(segments) == sum(max(1, (len(r["features"]) - 100) // 100 + 1)
                                for r in written.values())
    pytest.importorskip("tensorflow")
    tf_rows = list(code["tf_dataset"](out / "tfrecord").as_numpy_iterator())
    assert len(tf_rows) == len(written)
    by_len = {len(r["features"]): r for r in written.values()}
    for features, targets in tf_rows:
        np.testing.assert_array_equal(features, by_len[len(features)]["features"])
        np.testing.assert_array_equal(targets, by_len[len(features)]["targets"])
