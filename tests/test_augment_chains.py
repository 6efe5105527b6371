"""Augmentation chains (drumtabber.dataset.augment) and the ``augment`` command."""
from __future__ import annotations

import csv
import io
import shutil

import numpy as np
import pytest
import soundfile

from drumtabber.alignment import load_song
from drumtabber.dataset.augment import apply_chain, load_chain, parse_chain
from drumtabber.errors import DrumtabberError, UnknownComponentError
from drumtabber.plugin_manager import PluginManager
from drumtabber.score import Instrument

from conftest import ROOT

GROOVE = ROOT.parent / "shared" / "data" / "groove-midi"
MANAGER = PluginManager(entry_points=False)
TAB = ("HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-x-x-x-|\n"
       "SD|----o-------o---|----o-------o---|\n"
       "BD|o-------o-------|o-------o-o-----|\n")


@pytest.mark.parametrize("text, line, message", [
    ('[[step]]\naugmenter = "nope"\n', 2, "unknown augmenter 'nope'"),
    ('[[step]]\naugmenter = "gain"\np = 1.5\n', 3, "p: expected a probability"),
    ('[[step]]\naugmenter = "gain"\n[step.options]\nmin_gain = 3\n', 3, "unknown option"),
    ('[[step]]\naugmenter = "gain"\n[step.options]\nmin_gain_db = "loud"\n', 3,
     "expected float"),
    ('colour = 1\n', 1, "unknown key 'colour'"),
    ('[[step]\n', 1, "not valid TOML"),
])
def test_bad_chains_name_the_file_and_line(tmp_path, text, line, message):
    path = tmp_path / "chain.toml"
    path.write_text(text)
    chain, findings = parse_chain(text, MANAGER, path=path)
    assert chain is None and findings[0].code == "DT401"
    assert findings[0].line == line and message in findings[0].message, findings
    with pytest.raises(DrumtabberError, match=message):
        load_chain(path, MANAGER)


def test_the_seed_preset_and_a_chain_file(tmp_path):
    seed = load_chain("seed", MANAGER)
    assert [s.augmenter.name for s in seed.steps][:2] == ["shift", "polarity"]
    assert [s.probability for s in seed.steps][:3] == [0.5, 0.5, 0.25]
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[[step]]\naugmenter = "gain"\np = 1\n'
                    '[step.options]\nmin_gain_db = -3.0\nmax_gain_db = -1.0\n')
    mine = load_chain(path, MANAGER)
    assert mine.name == "mine" and mine.steps[0].options.min_gain_db == -3.0
    with pytest.raises(UnknownComponentError, match="seed"):
        load_chain("no-such-chain", MANAGER)


def test_a_chain_extends_another(tmp_path):
    realistic = [s.augmenter.name for s in load_chain("realistic", MANAGER).steps]
    training = load_chain("training", MANAGER)
    assert [s.augmenter.name for s in training.steps] == [*realistic, "balance", "open-hihat"]
    assert training.steps[-1].options.share == 0.4
    foot = load_chain("training-foot", MANAGER).steps
    assert [s.augmenter.name for s in foot] == [*realistic, "balance", "open-hihat", "foot-close"]
    assert foot[-1].probability == 0.3 and foot[-1].options.velocity == 1.0
    accent = load_chain("training-accent", MANAGER).steps
    assert [s.augmenter.name for s in accent] == [*realistic, "balance", "open-hihat", "accent"]
    assert accent[-1].probability == 0.5 and accent[-1].options.rate == 0.5
    (tmp_path / "base.toml").write_text('[[step]]\naugmenter = "gain"\n')
    (tmp_path / "top.toml").write_text('extends = "base.toml"\n[[step]]\naugmenter = "polarity"\n')
    assert [s.augmenter.name for s in load_chain(tmp_path / "top.toml", MANAGER).steps] == [
        "gain", "polarity"]
    (tmp_path / "loop.toml").write_text('\nextends = "loop.toml"\n')
    with pytest.raises(DrumtabberError, match=r"loop.toml:2:1: DT401 error: extends: .*extends itself"):
        load_chain(tmp_path / "loop.toml", MANAGER)
    text = 'name = "x"\nextends = "nope"\n'
    chain, findings = parse_chain(text, MANAGER, path=tmp_path / "x.toml")
    assert chain is None and findings[0].line == 2 and "unknown chain 'nope'" in findings[0].message


def test_one_seed_gives_one_output():
    chain = load_chain("seed", MANAGER)
    rng = np.random.default_rng(0)
    samples = (rng.standard_normal(22050 * 3) * 0.1).astype(np.float32)
    from drumtabber.onset_table import onset_table
    onsets = onset_table([{"time": t, "instrument": "kick", "gm_note": 36, "articulation": "",
                           "velocity": 96} for t in (0.5, 1.0, 2.0)])
    runs = [apply_chain(chain, samples.copy(), 22050, onsets, seed=5) for _ in range(2)]
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    assert runs[0][2] == runs[1][2] and list(runs[0][1]["time"]) == list(runs[1][1]["time"])
    other = [apply_chain(chain, samples.copy(), 22050, onsets, seed=s)[2] for s in range(8)]
    assert len({tuple(o) for o in other}) > 1             # the probabilities do choose


@pytest.fixture
def song(tmp_path):
    (tmp_path / "song.txt").write_text(TAB)
    path = tmp_path / "song.toml"
    path.write_text('tab = "song.txt"\n[audio]\nfile = "song.wav"\n[tempo]\nbpm = 100\n'
                    "first_note_s = 0.5\n")
    loaded, _ = load_song(path, MANAGER)
    rate = 44100
    samples = np.zeros(int(6 * rate), np.float32)
    burst = np.random.default_rng(1).standard_normal(2000).astype(np.float32) * \
        np.exp(-np.arange(2000) / 300).astype(np.float32)
    for t in loaded.onsets["time"]:
        i = int(t * rate)
        samples[i:i + 2000] += 0.3 * burst
    (tmp_path / "audio").mkdir()
    soundfile.write(tmp_path / "audio" / "song.wav", samples, rate)
    return path, tmp_path


def test_augment_writes_audio_labels_and_clicks(song, run_cli):
    path, folder = song
    chain = folder / "shift.toml"
    chain.write_text('[[step]]\naugmenter = "shift"\np = 1\n')
    out = folder / "out" / "aug.wav"
    code, text, err = run_cli("augment", path, "--chain", chain, "--audio-dir",
                              folder / "audio", "--out", out, "--clicks", folder / "c.wav",
                              "--seed", 2)
    assert code == 0, err
    assert "shift" in text and "before:" in text and "after:" in text
    after = next(line for line in text.splitlines() if line.startswith("after:"))
    assert "100% within 20 ms" in after                # the labels moved with the audio
    rows = list(csv.DictReader(io.StringIO((folder / "out" / "aug.csv").read_text())))
    augmented, rate = soundfile.read(out, dtype="float32")
    original, _ = soundfile.read(folder / "audio" / "song.wav", dtype="float32")
    labels, _ = load_song(path, MANAGER)
    assert len(rows) == len(labels.onsets) == 25 and len(augmented) == len(original)
    assert not np.array_equal(augmented, original) and (folder / "c.wav").is_file()
    code, _, err = run_cli("augment", path, "--chain", chain, "--audio-dir", folder / "audio",
                           "--out", out)
    assert code == 1 and "exists (use --force" in err


def test_augment_with_a_broken_chain_writes_nothing(song, run_cli):
    path, folder = song
    chain = folder / "bad.toml"
    chain.write_text('[[step]]\naugmenter = "nope"\n')
    code, _, err = run_cli("augment", path, "--chain", chain, "--audio-dir", folder / "audio",
                           "--out", folder / "aug.wav")
    assert code == 1 and "DT401" in err and "nope" in err
    assert not (folder / "aug.wav").exists()


def test_the_seed_chain_runs_every_stage_on_a_recording(song, run_cli):
    """The seed chain on a recording: its audio steps are applied and the labels still sit
    on the strokes; its feature steps are named as not applied to audio."""
    path, folder = song
    code, text, err = run_cli("augment", path, "--chain", "seed", "--audio-dir",
                              folder / "audio", "--out", folder / "aug.wav", "--seed", 4)
    assert code == 0, err
    assert "not applied to a recording: frequency-mask (features)" in text
    after = next(line for line in text.splitlines() if line.startswith("after:"))
    assert "100% within 20 ms" in after


@pytest.mark.skipif(not shutil.which("fluidsynth"), reason="fluidsynth not installed")
@pytest.mark.parametrize("chain", ["realistic", "seed"])
def test_render_through_a_chain_keeps_the_labels_on_the_strokes(tmp_path, run_cli, chain):
    """`render --chain`: the notes are humanised and the audio augmented; the written onset
    table still gives where each stroke sounds (checked against the audio), and the same seed
    renders the same file."""
    from drumtabber.alignment.quality import check_recording
    from drumtabber.onset_table import read_table
    alignment = ROOT / "alignments" / "example_shuffle.toml"
    outs = []
    for name, seed in (("a", 3), ("b", 3), ("c", 4)):
        wav, table = tmp_path / f"{name}.wav", tmp_path / f"{name}.csv"
        code, _, err = run_cli("render", alignment, "--kit", "fluid-gm", "--out", wav,
                               "--onsets", table, "--chain", chain, "--seed", seed)
        assert code == 0, err
        outs.append((soundfile.read(wav, dtype="float32")[0], read_table(table)))
    plain_wav, plain_table = tmp_path / "p.wav", tmp_path / "p.csv"
    assert run_cli("render", alignment, "--kit", "fluid-gm", "--out", plain_wav, "--onsets",
                   plain_table)[0] == 0
    plain = read_table(plain_table)
    (audio, onsets), (again, _), (other, _) = outs
    np.testing.assert_array_equal(audio, again)
    assert not np.array_equal(audio, other[:len(audio)])
    mono = audio if audio.ndim == 1 else audio.mean(axis=1)
    summary = check_recording(onsets, mono, 44100)["overall"]
    assert summary.count == len(plain) and summary.within_20 >= 0.95, summary
    if chain == "realistic":                            # humanised: off the grid, by ms
        moved = np.abs(onsets["score_time"].to_numpy() - plain["score_time"].to_numpy())
        assert moved.max() == 0 and not onsets["time"].equals(plain["time"])


def test_render_example_augments_notes_audio_and_features(tmp_path):
    """A training example through a chain with one step per stage: each stage is applied
    (the features differ, the notes moved) and the same seed gives the same example."""
    pytest.importorskip("librosa")
    from drumtabber.audio.features import FeatureConfig
    from drumtabber.dataset.examples import render_example
    if not MANAGER.get("kit", "fluid-gm").installed:
        pytest.skip("fluid-gm not installed")
    chain_file = tmp_path / "all.toml"
    chain_file.write_text('[[step]]\naugmenter = "humanize"\n[[step]]\naugmenter = "gain"\n'
                          '[[step]]\naugmenter = "bin-dropout"\n')
    chain = load_chain(chain_file, MANAGER)
    midi = sorted((GROOVE / "drummer1").rglob("*.mid"))[0]
    class_map = MANAGER.get("class_map", "onsets")
    config = FeatureConfig(sample_rate=22050, n_mels=40, fmax=10000.0)

    def example(**kw):
        return render_example(midi, "fluid-gm", class_map, class_map.Options(), config,
                              manager=MANAGER, max_seconds=6, **kw)
    plain, a, b = example(), example(chain=chain, seed=1), example(chain=chain, seed=1)
    np.testing.assert_array_equal(a.features, b.features)
    assert a.features.shape == plain.features.shape
    assert 0.04 < np.mean((a.features == 0) & (plain.features != 0)) < 0.07   # 5 % dropped
    assert not np.allclose(a.onsets["time"].to_numpy(), plain.onsets["time"].to_numpy())


def test_render_example_takes_its_seconds_where_the_window_says(tmp_path):
    """``window_at`` takes the seconds of an example from the start (0), the end (1) or in
    between of a real Groove performance: the audio is that stretch of the whole render and
    the labels are the strokes in it, timed from its start."""
    from drumtabber.audio.features import FeatureConfig
    from drumtabber.dataset.examples import render_example
    midi = sorted((GROOVE / "drummer1").rglob("*.mid"))[0]
    class_map = MANAGER.get("class_map", "onsets")
    config = FeatureConfig(sample_rate=22050, n_mels=40, fmax=10000.0)

    def example(**kw):
        return render_example(midi, "h2-black-pearl", class_map, class_map.Options(), config,
                              manager=MANAGER, keep_samples=True, **kw)
    if not MANAGER.get("kit", "h2-black-pearl").installed:
        pytest.skip("h2-black-pearl (hydrogen-drumkits) not installed")
    whole = example()
    rate, length = config.sample_rate, 6 * config.sample_rate
    assert len(whole.samples) > 3 * length
    for at in (0.0, 0.5, 1.0):
        part = example(max_seconds=6, window_at=at)
        first = int(round(at * (len(whole.samples) - length)))
        np.testing.assert_array_equal(part.samples, whole.samples[first:first + length])
        times = whole.onsets["time"].to_numpy() - first / rate
        expected = np.sort(times[(times >= 0) & (times < 6)])
        assert len(expected) > 10
        np.testing.assert_allclose(np.sort(part.onsets["time"].to_numpy()), expected)
        assert part.features.shape[0] == 1 + length // config.hop_length


def _closed_hihat_groove():
    """The first Groove performance of drummer1 with at least 40 closed hi-hat strokes."""
    from drumtabber.dataset.examples import read_performance
    for midi in sorted((GROOVE / "drummer1").rglob("*.mid")):
        parsed = read_performance(midi, MANAGER)
        if sum(e.instrument.value == "hihat_closed" for e in parsed.score.events) >= 40:
            return parsed
    pytest.fail("no Groove performance of drummer1 with 40 closed hi-hat strokes")


def _render_with_steps(parsed, steps: str, tmp_path, name: str, seed: int = 0):
    from drumtabber.dataset.examples import render_performance
    kit = MANAGER.get("kit", "h2-black-pearl")
    if not kit.installed:
        pytest.skip("h2-black-pearl (hydrogen-drumkits) not installed")
    chain_file = tmp_path / f"{name}.toml"
    chain_file.write_text(steps)
    wav = tmp_path / f"{name}.wav"
    onsets = render_performance(parsed, kit, wav, chain=load_chain(chain_file, MANAGER),
                                seed=seed)
    return soundfile.read(wav, dtype="float32")[0], onsets


def test_open_hihat_plays_closed_strokes_open_in_stretches(tmp_path):
    """`open-hihat` on a real Groove performance rendered with a sampled kit: closed strokes
    in the opened stretches sound as the kit's open hi-hat (more ring above 5 kHz), every
    other note stays as it was, in time, and the opened strokes come in few runs."""
    parsed = _closed_hihat_groove()
    gain = '[[step]]\naugmenter = "gain"\np = 0.0\n'    # an audio step that does nothing
    plain, plain_onsets = _render_with_steps(parsed, gain, tmp_path, "plain")
    all_open, opened = _render_with_steps(
        parsed, gain + '[[step]]\naugmenter = "open-hihat"\n[step.options]\nshare = 1.0\n',
        tmp_path, "open")
    before, after = plain_onsets["instrument"].to_numpy(), opened["instrument"].to_numpy()
    closed = before == "hihat_closed"
    assert closed.sum() >= 40 and (after[closed] == "hihat_open").all()
    assert (after[~closed] == before[~closed]).all()
    assert (opened.loc[closed, "gm_note"] == 46).all()
    np.testing.assert_allclose(opened["time"], plain_onsets["time"], atol=1e-6)

    def ring(audio):     # energy above 5 kHz, 30-120 ms after each closed stroke
        import scipy.signal
        mono = audio.mean(axis=1) if audio.ndim > 1 else audio
        high = scipy.signal.sosfilt(scipy.signal.butter(4, 5000, "hp", fs=44100, output="sos"),
                                    mono)
        spans = [high[int((t + 0.03) * 44100):int((t + 0.12) * 44100)]
                 for t in plain_onsets["time"][closed]]
        return float(np.mean([np.mean(s ** 2) for s in spans]))
    assert ring(all_open) > 1.5 * ring(plain)

    _, some = _render_with_steps(
        parsed, gain + '[[step]]\naugmenter = "open-hihat"\n[step.options]\nshare = 0.5\n'
        'min_s = 2.0\nmax_s = 4.0\n', tmp_path, "some", seed=3)
    swapped = (some["instrument"].to_numpy() == "hihat_open") & closed
    runs = int(np.sum(np.diff(swapped[closed].astype(int)) != 0)) + 1
    assert 0 < swapped.sum() < closed.sum() and runs <= 2 * len(plain) / 44100 / 2.0 + 1
    with pytest.raises(DrumtabberError, match="share"):
        load_chain_text('[[step]]\naugmenter = "open-hihat"\n[step.options]\nshare = 1.5\n',
                        tmp_path)


def test_balance_scales_each_family_as_a_whole(tmp_path):
    """`balance`: within a family every velocity moves by one factor (up to rounding and the
    1-127 range), the factors lie in the options' range and differ between families."""
    parsed = _closed_hihat_groove()
    gain = '[[step]]\naugmenter = "gain"\np = 0.0\n'
    _, plain = _render_with_steps(parsed, gain, tmp_path, "plain")
    _, mixed = _render_with_steps(
        parsed, gain + '[[step]]\naugmenter = "balance"\n[step.options]\nmin_factor = 0.4\n'
        'max_factor = 1.0\n', tmp_path, "mixed", seed=5)
    family = np.array([Instrument(v).family for v in plain["instrument"]])
    ratio = mixed["velocity"].to_numpy() / plain["velocity"].to_numpy()
    factors = {}
    for f in set(family):
        inside = (family == f) & (plain["velocity"].to_numpy() >= 20)
        if inside.sum() >= 5:
            factors[f] = np.median(ratio[inside])
            assert np.abs(ratio[inside] - factors[f]).max() < 0.05, f
    assert len(factors) >= 3 and len({round(v, 2) for v in factors.values()}) == len(factors)
    assert all(0.38 <= v <= 1.02 for v in factors.values()), factors
    with pytest.raises(DrumtabberError, match="min_factor"):
        load_chain_text('[[step]]\naugmenter = "balance"\n[step.options]\nmin_factor = 2\n'
                        'max_factor = 1\n', tmp_path)


def load_chain_text(text: str, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    return load_chain(path, MANAGER)


def test_mute_leaves_one_family_out_of_whole_stretches(tmp_path):
    """`mute`: with every 2-s stretch chosen and only the hi-hat allowed, the render has no
    hi-hat left and every other note where it was; with half the stretches chosen, what is
    gone from a stretch is the whole of one family there."""
    parsed = _closed_hihat_groove()
    gain = '[[step]]\naugmenter = "gain"\np = 0.0\n'
    _, plain = _render_with_steps(parsed, gain, tmp_path, "plain")
    family = np.array([Instrument(v).family for v in plain["instrument"]])
    _, no_hat = _render_with_steps(
        parsed, gain + '[[step]]\naugmenter = "mute"\n[step.options]\nshare = 1.0\n'
        'families = "hihat"\n', tmp_path, "nohat")
    assert (family == "hihat").sum() >= 40 and "hihat" not in {
        Instrument(v).family for v in no_hat["instrument"]}
    np.testing.assert_allclose(no_hat["time"], plain["time"][family != "hihat"], atol=1e-6)

    _, some = _render_with_steps(
        parsed, gain + '[[step]]\naugmenter = "mute"\n[step.options]\nshare = 0.5\n'
        'min_s = 2.0\nmax_s = 2.0\nfamilies = "hihat, kick,snare"\n', tmp_path, "some", seed=2)
    def notes(table):
        return [f"{t:.5f} {i}" for t, i in zip(table["time"], table["instrument"])]
    kept = np.isin(notes(plain), notes(some))
    stretch = (plain["score_time"].to_numpy() // 2.0).astype(int)
    emptied = set()
    for k in set(stretch[~kept]):
        gone = set(family[(stretch == k) & ~kept])
        assert len(gone) == 1 and not (kept & (stretch == k) & (family == next(iter(gone)))).any()
        emptied |= gone
    assert 0 < (~kept).sum() < len(plain) and len(emptied) >= 2
    with pytest.raises(DrumtabberError, match="families: expected some of"):
        load_chain_text('[[step]]\naugmenter = "mute"\n[step.options]\nfamilies = "bell"\n',
                        tmp_path)


def test_thin_plays_every_other_stroke_of_one_family_in_stretches(tmp_path):
    """`thin` on a real Groove performance: with every stretch chosen and the hi-hat the
    only family, every other hi-hat stroke is gone, in time order, and every other note is
    where it was; the kicks that had a hi-hat beside them now partly stand alone."""
    parsed = _closed_hihat_groove()
    gain = '[[step]]\naugmenter = "gain"\np = 0.0\n'
    _, plain = _render_with_steps(parsed, gain, tmp_path, "plain")
    thin = gain + ('[[step]]\naugmenter = "thin"\n[step.options]\nshare = 1.0\n'
                   'min_s = 600.0\nmax_s = 600.0\nfamilies = "hihat"\n')
    _, thinned = _render_with_steps(parsed, thin, tmp_path, "thin", seed=3)
    family = np.array([Instrument(v).family for v in plain["instrument"]])
    hats = plain["time"].to_numpy()[family == "hihat"]
    after = np.array([Instrument(v).family for v in thinned["instrument"]])
    kept = thinned["time"].to_numpy()[after == "hihat"]
    assert len(hats) >= 40
    assert any(np.allclose(kept, hats[phase::2], atol=1e-6) for phase in (0, 1))
    np.testing.assert_allclose(np.sort(thinned["time"].to_numpy()[after != "hihat"]),
                               np.sort(plain["time"].to_numpy()[family != "hihat"]), atol=1e-6)

    def lone_kicks(times, hat_times):
        return sum(np.min(np.abs(hat_times - t)) > 0.03 for t in times)
    kicks = plain["time"].to_numpy()[family == "kick"]
    assert lone_kicks(kicks, kept) > lone_kicks(kicks, hats)
    with pytest.raises(DrumtabberError, match="families: expected some of"):
        load_chain_text('[[step]]\naugmenter = "thin"\n[step.options]\nfamilies = "x"\n',
                        tmp_path)


def test_foot_close_opens_every_other_stroke_and_closes_it_without_a_label(tmp_path):
    """`foot-close` on a real Groove performance rendered with a sampled kit: every other
    hi-hat stroke is played open and labelled, the stroke after it becomes a pedal note in
    the MIDI (velocity 1: the cut alone) with no label, every other note keeps its label, and in
    the audio the open ring stops at the foot's closing without a new attack."""
    import scipy.signal
    from drumtabber.dataset.examples import performed_score
    from drumtabber.dataset.render import render_score
    parsed = _closed_hihat_groove()
    kit = MANAGER.get("kit", "h2-black-pearl")
    if not kit.installed:
        pytest.skip("h2-black-pearl (hydrogen-drumkits) not installed")
    chain_file = tmp_path / "foot.toml"
    chain_file.write_text('[[step]]\naugmenter = "foot-close"\n[step.options]\nshare = 1.0\n'
                          'min_s = 600.0\nmax_s = 600.0\n')
    _, plain = _render_with_steps(parsed, '[[step]]\naugmenter = "gain"\np = 0.0\n', tmp_path,
                                  "plain")
    wav = tmp_path / "foot.wav"
    midi, onsets = render_score(performed_score(parsed), parsed.tempo_map, kit, wav,
                                chain=load_chain(chain_file, MANAGER), seed=4)
    assert "unlabelled" not in onsets.columns
    family = np.array([Instrument(v).family for v in plain["instrument"]])
    hats = plain["time"].to_numpy()[family == "hihat"]
    opened = onsets["time"].to_numpy()[onsets["instrument"].to_numpy() == "hihat_open"]
    assert len(hats) >= 40 and set(onsets["instrument"]) & {"hihat_closed", "hihat_pedal"} == set()
    assert any(np.allclose(opened, hats[phase::2], atol=1e-6) for phase in (0, 1))
    np.testing.assert_allclose(np.sort(onsets["time"].to_numpy()[
        onsets["instrument"].to_numpy() != "hihat_open"]),
        np.sort(plain["time"].to_numpy()[family != "hihat"]), atol=1e-6)
    pedal = kit.key_for(Instrument.HIHAT_PEDAL)
    chicks = [m.velocity for m in midi.tracks[0] if m.type == "note_on" and m.note == pedal
              and m.velocity > 0]
    assert len(chicks) == len(hats) - len(opened) and set(chicks) == {1}

    audio = soundfile.read(wav, dtype="float32")[0]
    mono = audio.mean(axis=1) if audio.ndim > 1 else audio
    high = scipy.signal.sosfilt(scipy.signal.butter(4, 5000, "hp", fs=44100, output="sos"), mono)

    def level(t0, t1):                  # dB of the energy above 5 kHz from t0 to t1 (s)
        return 10 * np.log10(np.mean(high[int(t0 * 44100):int(t1 * 44100)] ** 2) + 1e-12)
    closes = [t for t in hats if np.min(np.abs(opened - t)) > 0.01]
    before = np.array([level(t - 0.04, t - 0.005) for t in closes])
    assert np.median([level(t + 0.02, t + 0.06) for t in closes] - before) < -6
    assert np.median([level(t, t + 0.02) for t in closes] - before) < 3
    assert np.median([level(t, t + 0.02) - level(t - 0.04, t - 0.005) for t in opened]) > 20
    with pytest.raises(DrumtabberError, match="velocity"):
        load_chain_text('[[step]]\naugmenter = "foot-close"\n[step.options]\nvelocity = 0\n',
                        tmp_path)


def test_accent_strikes_kick_snare_and_crash_together(tmp_path):
    """`accent` on a real Groove performance rendered with a sampled kit: with every stretch
    chosen and every stroke an accent, each kick and snare of the plain render comes with a
    kick, a snare and a crash within a few ms, labelled, loud, and the added crash is heard
    (energy above 5 kHz up by 10 dB or more where a kick stood alone); the hi-hat is silent,
    every other plain note still played where it was."""
    import scipy.signal
    parsed = _closed_hihat_groove()
    gain = '[[step]]\naugmenter = "gain"\np = 0.0\n'
    _, plain = _render_with_steps(parsed, gain, tmp_path, "plain")
    audio, accented = _render_with_steps(
        parsed, gain + '[[step]]\naugmenter = "accent"\n[step.options]\nshare = 1.0\n'
        'rate = 1.0\n', tmp_path, "accent")
    plain_audio, _ = _render_with_steps(parsed, gain, tmp_path, "plain2")
    family = np.array([Instrument(v).family for v in plain["instrument"]])
    got = np.array([Instrument(v).family for v in accented["instrument"]])
    times = accented["time"].to_numpy()
    bases = plain["time"].to_numpy()[np.isin(family, ["kick", "snare"])]
    assert len(bases) >= 20
    for t in bases:
        near = set(got[np.abs(times - t) < 0.045])
        assert {"kick", "snare", "cymbal"} <= near, (t, near)
    assert "hihat" in family and "hihat" not in got
    for t, f in zip(plain["time"], family):      # nothing else of the plain render is lost
        assert f == "hihat" or np.any((np.abs(times - t) < 1e-6) & (got == f))
    added = len(accented) - (family != "hihat").sum()
    assert added >= len(bases) and accented["velocity"].to_numpy()[
        ~np.isin(np.round(times, 6), np.round(plain["time"].to_numpy(), 6))].min() >= 80

    def high(x):
        mono = x.mean(axis=1) if x.ndim > 1 else x
        return scipy.signal.sosfilt(scipy.signal.butter(4, 5000, "hp", fs=44100,
                                                        output="sos"), mono)
    hp, ha = high(plain_audio), high(audio)
    alone = [t for t in plain["time"].to_numpy()[family == "kick"]
             if not np.any((np.abs(plain["time"].to_numpy() - t) < 0.05) & (family != "kick"))]

    def level(x, t):
        return 10 * np.log10(np.mean(x[int(t * 44100):int((t + 0.05) * 44100)] ** 2) + 1e-12)
    assert len(alone) >= 3
    assert np.median([level(ha, t) - level(hp, t) for t in alone]) > 10
    with pytest.raises(DrumtabberError, match="rate"):
        load_chain_text('[[step]]\naugmenter = "accent"\n[step.options]\nrate = 2\n', tmp_path)
