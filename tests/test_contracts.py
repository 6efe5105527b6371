"""Contract tests: every registered component of every kind keeps the promises of its
protocol (drumtabber.components).  Each kind's check loops over the registry, so a new
built-in or third-party component is tested the moment it is registered; a throwaway plugin
shows that third-party augmenters and exporters are checked the same way, and each check is
shown to catch a component that breaks its contract."""
from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SHARED_TABS
from drumtabber.components import KINDS, PROTOCOLS, NoOptions, ParseHints, ParseResult
from drumtabber.findings import Finding
from drumtabber.hookspecs import hookimpl
from drumtabber.plugin_manager import PluginManager
from drumtabber.score import Instrument, Meter, Score

MANAGER = PluginManager(entry_points=False)
# The seed project's own sample tab (mayhemsloth/Drum-Tabber, sample_dataset/may3beta_tab.txt).
REAL_TAB = SHARED_TABS / "may3beta_tab.txt"


def _components(kind):
    return [pytest.param(c, id=c.name) for c in MANAGER.registry(kind)]


def check_common(kind: str, component) -> list[str]:
    """What every component promises: a name, a one-line description, default options."""
    problems = []
    if not isinstance(component.name, str) or not component.name.strip():
        problems.append("name must be a non-empty string")
    if (not isinstance(component.description, str) or not component.description.strip()
            or "\n" in component.description):
        problems.append("description must be one non-empty line")
    if not dataclasses.is_dataclass(component.Options):
        problems.append("Options must be a dataclass")
    else:
        component.Options()                     # every option has a default
    if not isinstance(component, PROTOCOLS[kind]):
        problems.append(f"does not follow the {PROTOCOLS[kind].__name__} protocol")
    return problems


def test_every_kind_has_a_protocol_and_a_check():
    assert set(PROTOCOLS) == set(KINDS)
    assert set(CHECKS) == set(KINDS)


# -- tab parsers and writers ------------------------------------------------------------
def check_tab_parser(parser) -> list[str]:
    problems = []
    garbage = b"\x00\x01 not a tab \xff" if getattr(parser, "binary", False) else "not a tab\n--"
    result = parser.parse(garbage, path=Path("garbage"), options=parser.Options(),
                          hints=ParseHints())
    if not isinstance(result, ParseResult) or not isinstance(result.score, Score):
        return ["parse must return a ParseResult with a Score"]
    if not all(isinstance(f, Finding) for f in result.findings):
        problems.append("findings must be Finding objects")
    if result.performed_s is not None and len(result.performed_s) != len(result.score.events):
        problems.append("performed_s must give one time per event")
    for suffix in getattr(parser, "suffixes", ()):
        if not suffix.startswith("."):
            problems.append(f"suffix {suffix!r} must start with a dot")
    return problems


def check_tab_writer(writer) -> list[str]:
    """The writer's text parses back, with the parser of the same name, to the same hits
    (a hit written twice in one place, on two lines of one instrument, counts once)."""
    parser = MANAGER.get("tab_parser", writer.name)
    text = REAL_TAB.read_text(encoding="utf-8", errors="replace")
    score = parser.parse(text, path=REAL_TAB, options=parser.Options()).score
    dropped: list = []
    written = writer.write(score, dropped=dropped)
    if not isinstance(written, str):
        return ["write must return text"]
    again = parser.parse(written, path=Path("written"), options=parser.Options()).score
    key = lambda s: {(e.bar, e.beat, e.instrument) for e in s.events}  # noqa: E731
    return [] if key(again) == key(score) or dropped else ["written tab reads back differently"]


# -- alignment readers --------------------------------------------------------------------
def check_alignment_reader(reader) -> list[str]:
    from drumtabber.alignment.files import Alignment, TableReader
    problems = []
    if not reader.suffixes or not all(s.startswith(".") for s in reader.suffixes):
        problems.append("suffixes must be file endings such as '.json'")
    for text in ("", "{", "[1, 2]", "\x00garbage"):
        table = TableReader(Path("x"), text)
        found = reader.read(text, path=Path("x" + reader.suffixes[0]), reader=table)
        if found is not None and not isinstance(found, Alignment):
            problems.append("read must return an Alignment or None")
        if found is None and not table.findings:
            problems.append(f"reading {text!r} gave nothing and no finding")
    return problems


# -- class maps -----------------------------------------------------------------------------
def check_class_map(class_map) -> list[str]:
    from drumtabber.classes import check_class_map as contract
    return contract(class_map, class_map.Options())


# -- kits -------------------------------------------------------------------------------------
def check_kit(kit) -> list[str]:
    """MIDI set-up in range, a key for every instrument; installed kits render each note
    where ``note_samples`` says it sounds."""
    problems = []
    if not (0 <= kit.channel <= 15 and 0 <= kit.bank <= 128 and 0 <= kit.program <= 127):
        problems.append("channel, bank and program must be MIDI values")
    bad = [i.value for i in Instrument if not 0 <= kit.key_for(i) <= 127]
    if bad:
        problems.append(f"no MIDI key for {bad}")
    if not isinstance(kit.installed, bool) or not kit.install_hint():
        problems.append("installed must be a bool and install_hint must say how to install")
    if problems or not kit.installed:
        return problems
    import tempfile

    from drumtabber.audio import load_audio
    from drumtabber.audio.render import score_to_midi
    from drumtabber.score import Bar, Event
    from drumtabber.tempo import TempoMap
    bars = [Bar(0, Meter(4, 4), 1)]
    events = [Event(0, Fraction(b), inst) for b, inst in
              ((0, Instrument.KICK), (1, Instrument.SNARE), (2, Instrument.CRASH))]
    score = Score(bars=bars, events=events)
    midi, onsets = score_to_midi(score, TempoMap(bars, qpm=Fraction(120)), kit=kit)
    with tempfile.TemporaryDirectory() as tmp:
        wav = kit.render(midi, sample_rate=22050, out_path=Path(tmp) / "k.wav", gain=0.5)
        samples, rate = load_audio(wav)
    starts = [s for _, _, s in kit.note_samples(midi, 22050)]
    if len(starts) != len(onsets):
        return problems + ["note_samples must give one start per note"]
    for start in starts:
        before = np.abs(samples[max(0, start - 200):start]).max(initial=0.0)
        after = np.abs(samples[start:start + 2000]).max(initial=0.0)
        if not after > 4 * before + 1e-4:
            problems.append(f"no stroke where note_samples says one starts (sample {start})")
    return problems


# -- augmenters, chains and exporters ------------------------------------------
def check_augmenter(augmenter) -> list[str]:
    """The augmenter names a known stage; its data keeps its kind (mono audio, a feature
    matrix of the same shape, the notes a render plays with their ``event``); every label
    stays inside the new audio (and after 0 s)."""
    from drumtabber.components import AUGMENT_STAGES, augment_stage
    from drumtabber.onset_table import check_onset_table, onset_table
    stage = augment_stage(augmenter)
    if stage not in AUGMENT_STAGES:
        return [f"stage {stage!r} is not one of {AUGMENT_STAGES}"]
    rate = 8000
    onsets = onset_table([{"time": t, "instrument": "kick", "gm_note": 36, "articulation": "",
                           "velocity": 96, "event": i} for i, t in enumerate((0.1, 0.9, 1.7))])
    data = {"audio": np.zeros(rate * 2, np.float32), "features": np.zeros((201, 40), np.float32),
            "score": None}[stage]
    new, table = augmenter.apply(data, None if stage == "score" else rate, onsets,
                                 np.random.default_rng(0), augmenter.Options())
    check_onset_table(table)
    problems = []
    if stage == "audio":
        if new.ndim != 1:
            problems.append("audio must stay mono")
        elif len(table) and not table["time"].max() < len(new) / rate:
            problems.append("labels must stay inside the audio")
    elif stage == "features" and np.shape(new) != data.shape:
        problems.append("features must keep their shape")
    elif stage == "score" and "event" not in table:
        problems.append("the played notes must keep their event column")
    if len(table) and table["time"].min() < 0:
        problems.append("labels must stay inside the audio")
    return problems


def check_chain(preset) -> list[str]:
    """A shipped chain loads: its steps name registered augmenters with valid options."""
    from drumtabber.dataset.augment import parse_chain
    chain, findings = parse_chain(preset.text, MANAGER, path=f"chain {preset.name}")
    return [f.message for f in findings] or ([] if chain.steps else ["the chain has no steps"])


def example_songs() -> list:
    """ExportExamples of the bundled example songs (their tabs aligned; features made up,
    targets from their labels), one per split kind, and a copy of one."""
    from drumtabber.alignment import load_song
    from drumtabber.audio.features import onsets_to_class_targets
    from drumtabber.classes import map_onset_rows
    from drumtabber.components import ExportExample
    class_map = MANAGER.get("class_map", "drumtabber")
    classes = class_map.classes(class_map.Options())
    out = []
    for k, (name, split) in enumerate([("example_shuffle", "train"),
                                       ("example_odd_meter", "test"),
                                       ("example_shuffle", "train")]):
        song, _ = load_song(ROOT / "alignments" / f"{name}.toml", MANAGER)
        onsets = map_onset_rows(class_map, song.onsets, class_map.Options())
        frames = int(onsets["time"].max() * 100) + 50
        features = np.random.default_rng(k).random((frames, 16), dtype=np.float32)
        targets = onsets_to_class_targets(onsets, classes, n_frames=frames, fps=100.0)
        out.append(ExportExample(name + ("#2" if k == 2 else ""), split, song.name, classes,
                                 100.0, features, targets, onsets, song.score, song.tempo_map,
                                 frames / 100))
    return out


def check_exporter(exporter, folder: Path) -> list[str]:
    """Export the example songs from a generator and read them back: the same songs and
    splits, and the features, targets and onset times the format holds."""
    examples = example_songs()
    written = exporter.export((e for e in examples), folder, exporter.Options())
    missing = [p for p in written if not Path(p).is_file()]
    if missing or not written:
        return [f"export lists files it did not write: {missing}"]
    back = {r["song"]: r for r in exporter.read(folder, exporter.Options())}
    problems = [] if sorted(back) == sorted(e.song for e in examples) else [
        f"read back songs {sorted(back)}"]
    for e in examples:
        r = back.get(e.song, {})
        if "split" in r and r["split"] != e.split:
            problems.append(f"{e.song}: split {r['split']!r}, not {e.split!r}")
        for key in ("features", "targets"):
            if key in r and not np.array_equal(r[key], getattr(e, key)):
                problems.append(f"{e.song}: {key} read back differ")
        if "times" in r:          # one hit may be one row per class, or one note
            want = np.unique(np.round(e.onsets["time"].to_numpy(), 3))
            have = np.unique(np.round(np.asarray(r["times"], float), 3))
            if len(want) != len(have) or np.abs(want - have).max() > 0.0015:
                problems.append(f"{e.song}: onset times read back differ")
            if "labels" in r and len(r["labels"]) != len(r["times"]):
                problems.append(f"{e.song}: labels and times of different lengths")
    return problems


# -- model backends and shipped models -----------------------------------------------------
def check_model_backend(backend, folder: Path) -> list[str]:
    problems = [] if backend.suffix.startswith(".") else ["suffix must start with a dot"]
    network = backend.build(84, 3, backend.Options())
    features = np.random.default_rng(0).random((40, 84)).astype(np.float32)
    out = np.asarray(backend.predict(network, features))
    if out.shape != (40, 3) or not np.all((out >= 0) & (out <= 1)):
        problems.append(f"predict must give (frames, classes) in [0, 1], gave {out.shape}")
    path = folder / f"weights{backend.suffix}"
    backend.save(network, path)
    again = np.asarray(backend.predict(backend.load(path), features))
    if not np.allclose(again, out, atol=1e-5):
        problems.append("a saved and loaded network predicts differently")
    return problems


def check_model(model) -> list[str]:
    from drumtabber.models import load_onset_model
    if not (Path(model.path) / "model.json").is_file():
        return [f"{model.path} holds no model.json"]
    loaded = load_onset_model(model.name, MANAGER)
    return [] if loaded.classes else ["the model has no classes"]


CHECKS = {"tab_parser": check_tab_parser, "tab_writer": check_tab_writer,
          "alignment_reader": check_alignment_reader, "class_map": check_class_map,
          "kit": check_kit, "augmenter": check_augmenter, "chain": check_chain,
          "exporter": check_exporter,
          "model_backend": check_model_backend, "model": check_model}
NEEDS_FOLDER = {"exporter", "model_backend"}


def _check(kind, component, tmp_path):
    problems = check_common(kind, component)
    if kind in NEEDS_FOLDER:
        return problems + CHECKS[kind](component, tmp_path)
    return problems + CHECKS[kind](component)


@pytest.mark.parametrize("kind", ["tab_parser", "tab_writer", "alignment_reader", "class_map",
                                  "kit", "augmenter", "chain", "model_backend", "model"])
def test_every_builtin_kind_has_components(kind):
    assert len(MANAGER.registry(kind)) > 0


@pytest.mark.parametrize("kind, component", [
    pytest.param(kind, c, id=f"{kind}:{c.name}") for kind in KINDS
    for c in MANAGER.registry(kind)])
def test_every_registered_component_keeps_its_contract(kind, component, tmp_path):
    assert _check(kind, component, tmp_path) == []


# -- a throwaway plugin with an augmenter and an exporter --------------------------------
@dataclasses.dataclass
class ShiftOptions:
    shift_s: float = 0.25


class WrapShift:
    """Starts the song later and wraps the end round; labels wrap too (the seed's shift)."""

    name = "test-wrap-shift"
    description = "shift with wrap-around (test)"
    Options = ShiftOptions

    def __init__(self, keep_labels_inside: bool = True):
        self.inside = keep_labels_inside

    def apply(self, samples, sample_rate, onsets, rng, options):
        n = int(options.shift_s * sample_rate)
        moved = onsets.copy()
        length = len(samples) / sample_rate
        times = moved["time"] + options.shift_s
        moved["time"] = times % length if self.inside else times + length
        from drumtabber.onset_table import onset_table
        return np.roll(samples, n), onset_table(moved)


class NpzExporter:
    name = "test-npz"
    description = "features and targets as .npz (test)"
    Options = NoOptions

    def __init__(self, writes: bool = True, drops_frames: bool = False):
        self.writes, self.drops_frames = writes, drops_frames

    def export(self, examples, out_dir, options):
        paths = []
        for k, ex in enumerate(examples):
            path = Path(out_dir) / f"{k}.npz"
            if self.writes:
                np.savez(path, features=ex.features[1:] if self.drops_frames else ex.features,
                         targets=ex.targets, song=ex.song, split=ex.split)
            paths.append(path)
        return paths

    def read(self, out_dir, options):
        out = []
        for path in sorted(Path(out_dir).glob("*.npz")):
            with np.load(path) as z:
                out.append({"song": str(z["song"]), "split": str(z["split"]),
                            "features": z["features"], "targets": z["targets"]})
        return out


class ThrowawayPlugin:
    @hookimpl
    def register_augmenters(self, register):
        register(WrapShift())

    @hookimpl
    def register_exporters(self, register):
        register(NpzExporter())


@pytest.fixture
def with_throwaway_plugin():
    manager = PluginManager(entry_points=False)
    manager.register(ThrowawayPlugin(), "throwaway")
    yield manager
    manager.unregister("throwaway")


@pytest.mark.parametrize("kind", ["augmenter", "exporter"])
def test_augmenter_and_exporter_contracts_on_a_registered_plugin(kind, with_throwaway_plugin,
                                                                 tmp_path):
    registry = with_throwaway_plugin.registry(kind)
    name = "test-wrap-shift" if kind == "augmenter" else "test-npz"
    assert registry.owner(name) == "throwaway"
    for component in [registry.get(name)]:
        assert _check(kind, component, tmp_path) == []


@pytest.mark.parametrize("kind, broken, expected", [
    ("augmenter", WrapShift(keep_labels_inside=False), "labels must stay inside the audio"),
    ("exporter", NpzExporter(writes=False), "export lists files it did not write"),
    ("exporter", NpzExporter(drops_frames=True), "features read back differ"),
])
def test_the_contract_checks_catch_a_broken_component(kind, broken, expected, tmp_path):
    assert any(expected in p for p in _check(kind, broken, tmp_path))


def test_the_kit_check_catches_a_kit_without_keys():
    kit = MANAGER.get("kit", "fluid-gm")
    broken = dataclasses.replace(kit, keys={**kit.keys, Instrument.KICK: 200})
    assert any("no MIDI key" in p for p in check_kit(broken))


def test_the_writer_check_catches_a_writer_that_loses_hits():
    class Lossy:
        name, description, Options = "ascii", "drops every other bar", NoOptions

        def write(self, score, *, dropped=None):
            real = MANAGER.get("tab_writer", "ascii")
            keep = [e for e in score.events if e.bar % 2 == 0]
            return real.write(Score(bars=score.bars, events=keep))

    assert check_tab_writer(Lossy()) == ["written tab reads back differently"]
