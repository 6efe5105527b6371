"""The dataset stage: collections of drum MIDI performances (the list_performances hook)."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from conftest import ROOT
from drumtabber.dataset.examples import list_performances, read_performance
from drumtabber.errors import DrumtabberError
from drumtabber.hookspecs import hookimpl
from drumtabber.plugin_manager import PluginManager

# The Groove MIDI Dataset v1.0.0 (Magenta, CC BY 4.0; Gillick et al., ICML 2019).
GROOVE = ROOT.parent / "shared" / "data" / "groove-midi"


@pytest.fixture(scope="module")
def manager():
    return PluginManager(entry_points=False)


def test_the_groove_index_gives_its_own_splits(manager):
    rows = {split: list_performances(GROOVE, manager, split=split)
            for split in ("train", "validation", "test")}
    assert sum(len(r) for r in rows.values()) == 1150          # the dataset's 1,150 files
    ids = [set(r["id"] for r in found) for found in rows.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    first = rows["test"][0]
    assert first["midi_path"].is_file() and first["meter"] in {"4/4", "3/4", "6/8", "5/4"}
    assert Counter(r["kind"] for r in rows["train"]).keys() == {"beat", "fill"}


def test_filters_and_even_thinning(manager):
    chosen = list_performances(GROOVE, manager, split="test", n=10, kind="beat", meter="4/4",
                               max_seconds=60)
    assert len(chosen) == 10
    assert all(r["kind"] == "beat" and r["meter"] == "4/4" and r["duration_s"] <= 60
               for r in chosen)
    drummers = {r["drummer"] for r in chosen}
    assert len(drummers) > 1                      # spread over the split, not its first files
    everyone = list_performances(GROOVE, manager, split="train")
    thinned = list_performances(GROOVE, manager, split="train", n=300)
    assert len(thinned) == 300 and thinned[0] == everyone[0]
    assert {r["drummer"] for r in thinned} == {r["drummer"] for r in everyone}
    assert thinned[-1]["id"] >= everyone[-len(everyone) // 300 - 1]["id"]   # reaches the end


def test_any_folder_of_midi_files_is_one_training_split(manager, tmp_path):
    for name in ("b.mid", "sub/a.midi", "notes.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"MThd")
    rows = list_performances(tmp_path, manager, split="train")
    assert [r["id"] for r in rows] == ["b.mid", "sub/a.midi"]
    assert list_performances(tmp_path, manager, split="test") == []


def test_a_plugin_can_describe_its_own_collection(tmp_path):
    class Collection:
        @hookimpl
        def list_performances(self, folder):
            if not (folder / "collection.txt").is_file():
                return None
            return [{"id": f"take{k}", "midi_path": folder / f"take{k}.mid",
                     "split": "test" if k == 3 else "train", "kind": "beat"} for k in range(4)]

    manager = PluginManager(entry_points=False)
    manager.register(Collection(), "collection")
    try:
        (tmp_path / "collection.txt").write_text("mine")
        assert [r["id"] for r in list_performances(tmp_path, manager, split="test")] == ["take3"]
        assert len(list_performances(tmp_path, manager, split="train", kind="beat")) == 3
        other = tmp_path / "other"
        other.mkdir()
        assert list_performances(other, manager) == []          # not its collection
    finally:
        manager.unregister("collection")


def test_a_broken_groove_index_names_the_missing_columns(manager, tmp_path):
    (tmp_path / "info.csv").write_text("id,split\n1,train\n")
    with pytest.raises(DrumtabberError, match="no column .*beat_type"):
        list_performances(tmp_path, manager)


def test_performances_are_read_through_the_parser_plugins(manager, tmp_path):
    info = list_performances(GROOVE, manager, split="test", n=1)[0]
    parsed = read_performance(info["midi_path"], manager)
    assert parsed.tempo_map is not None
    assert len(parsed.performed_s) == len(parsed.score.events) > 0
    bad = tmp_path / "bad.mid"
    bad.write_bytes(b"not midi at all")
    with pytest.raises(DrumtabberError, match="DT001"):
        read_performance(bad, manager)
    tab = tmp_path / "tab.txt"
    tab.write_text("HH|x-x-x-x-|\n")
    with pytest.raises(DrumtabberError, match="no performed timing"):
        read_performance(Path(tab), manager)

