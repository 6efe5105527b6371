"""Property tests over the families of bad input: generated alignment files, seed song JSON,
tabs and audio buffers never crash the loaders, and the commands answer 0, 1 or 2 with no
traceback and leave nothing at an output path when they fail."""
from __future__ import annotations

import json
import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drumtabber.alignment import load_alignment, load_song
from drumtabber.findings import Finding
from drumtabber.plugin_manager import PluginManager

MANAGER = PluginManager(entry_points=False)
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

# Values as people (and broken tools) write them: numbers of every size, strings that look
# like numbers, NaN and infinities, wrong types.
NUMBER_TEXT = st.sampled_from(["1e99999999", "-1e999999999", "1e-999999999", "7/3", "1/0",
                               "nan", "inf", "0x10", "", " 12 ", "9" * 5000, "1e30", "120"])
SCALARS = st.one_of(st.integers(-10**30, 10**30), st.floats(allow_nan=True, allow_infinity=True),
                    NUMBER_TEXT, st.booleans(), st.text(max_size=20))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.sampled_from(
                                                           ["bar", "beat", "bpm", "time_s"]),
                                                           inner, max_size=4)), max_leaves=8)


def toml_value(value) -> str:
    """A Python value as TOML text (what a person might have typed)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"


KEYS = st.sampled_from(["bpm", "beat_unit", "first_note_s", "offset_s", "anchor"])
TABLES = st.sampled_from(["tempo.change", "tempo.ramp", "anchor", "meter"])
TABLE_KEYS = st.sampled_from(["bar", "beat", "bpm", "from_bar", "to_bar", "from_bpm", "to_bpm",
                              "time_s", "meter", "beat_unit"])


@st.composite
def alignment_texts(draw):
    lines = ['tab = "song.txt"', "[tempo]"]
    for key, value in draw(st.lists(st.tuples(KEYS, VALUES), max_size=4, unique_by=lambda t: t[0])):
        lines.append(f"{key} = {toml_value(value)}")
    for table, entries in draw(st.lists(st.tuples(TABLES, st.lists(
            st.tuples(TABLE_KEYS, VALUES), max_size=4, unique_by=lambda t: t[0])), max_size=3)):
        lines.append(f"[[{table}]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in entries]
    seed = draw(st.one_of(st.none(), st.lists(st.lists(SCALARS, max_size=3), max_size=3)))
    if seed is not None:
        lines += ["[seed]", f"tempo_sections = {toml_value(seed)}"]
    return "\n".join(lines) + "\n"


TAB = ("HH|x-x-x-x-|x-x-x-x-|x-x-x-x-|x-x-x-x-|\n"
       "BD|o---o---|o---o---|o---o---|o---o---|\n")


def assert_findings(findings):
    assert all(isinstance(f, Finding) for f in findings)
    assert not [f for f in findings if f.code == "DT000"], findings


@SETTINGS
@given(text=alignment_texts())
def test_generated_alignment_files_never_crash(tmp_path, text):
    (tmp_path / "song.txt").write_text(TAB)
    path = tmp_path / "song.toml"
    path.write_text(text)
    song, findings = load_song(path, MANAGER)
    assert_findings(findings)
    if song is not None:                         # whatever loads has finite, sorted times
        times = song.onsets["time"].to_numpy()
        assert np.all(np.isfinite(times)) and np.all(np.diff(times) >= 0)


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30),
              st.floats(allow_nan=True, allow_infinity=True), NUMBER_TEXT),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=10)


@SETTINGS
@given(info=st.dictionaries(st.sampled_from(["BPM", "first drum note onset", "triplets",
                                             "tempo change", "tempo sections"]), JSON_VALUES),
       extra=st.dictionaries(st.sampled_from(["song", "tab_char_labels", "audio_file"]),
                             JSON_VALUES))
def test_generated_seed_json_never_crashes(tmp_path, info, extra):
    (tmp_path / "tab.txt").write_text(TAB)
    path = tmp_path / "song.json"
    path.write_text(json.dumps({"tab_file": "tab.txt", "alignment_info": info, **extra}))
    alignment, findings = load_alignment(path, MANAGER)
    assert_findings(findings)
    song, findings = load_song(path, MANAGER)
    assert_findings(findings)


TAB_TEXT = st.lists(st.sampled_from(list("|-xXoOgfdr#@123456789e+&a tq\n:HBSDCR") +
                                    ["HH", "SD", "BD", "x2", "repeat", "Time: 3/4", "\nHH|",
                                     "\nBD|", "x3", "(repeat 4 times)", "x999999999",
                                     "(repeat 1000000 times)", "|----x5000----|"]),
                    max_size=200).map("".join)


@SETTINGS
@given(tab=TAB_TEXT)
def test_generated_tabs_with_an_alignment_never_crash(tmp_path, tab):
    (tmp_path / "song.txt").write_text(tab)
    path = tmp_path / "song.toml"
    path.write_text('tab = "song.txt"\n[tempo]\nbpm = 120\nfirst_note_s = 0\n[[meter]]\nbar = 2\n'
                    'meter = "7/8"\n')
    song, findings = load_song(path, MANAGER)
    assert_findings(findings)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=alignment_texts())
def test_commands_answer_0_1_or_2_and_leave_no_partial_output(tmp_path, run_cli, text):
    (tmp_path / "song.txt").write_text(TAB)
    path = tmp_path / "song.toml"
    path.write_text(text)
    for args in (["validate", path], ["align", path, "--format", "json"],
                 ["render", path, "--kit", "timgm6mb", "--out", tmp_path / "out" / "x.wav",
                  "--onsets", tmp_path / "out" / "x.csv", "--force"]):
        code, out, err = run_cli(*args)
        assert code in (0, 1, 2) and "Traceback" not in err, (args, err)
        if args[0] == "render" and code != 0:
            assert not (tmp_path / "out" / "x.wav").exists()
            assert not (tmp_path / "out" / "x.csv").exists()
    leftovers = [p for p in tmp_path.rglob("*") if ".partial" in p.name]
    assert not leftovers


@settings(max_examples=30, deadline=None)
@given(samples=st.lists(st.floats(-2, 2, width=32), min_size=0, max_size=4000),
       rate=st.sampled_from([8000, 22050, 44100, 48000]))
def test_check_answers_for_any_audio_buffer(samples, rate):
    from drumtabber.alignment.quality import check_recording
    from drumtabber.onset_table import onset_table
    buffer = np.asarray(samples, np.float32)
    if len(buffer) < 2048:
        buffer = np.pad(buffer, (0, 2048 - len(buffer)))
    onsets = onset_table([{"time": t, "instrument": "kick", "gm_note": 36, "articulation": "",
                           "velocity": 96} for t in (0.01, 0.02)])
    report = check_recording(onsets, buffer, rate)
    assert report["verdict"] in ("good", "suspect", "misaligned")
    assert report["detected_onsets"] >= 0


# The address space the generated command runs may take: a command whose memory grows with
# a repeat count or a number's size would hit it (and fail) instead of filling the machine.
MEMORY_LIMIT_BYTES = 4 * 2**30


def test_the_generated_commands_run_under_a_memory_limit(tmp_path):
    """The command property test again, in a process limited to ``MEMORY_LIMIT_BYTES`` of
    address space (a MemoryError there fails it)."""
    import subprocess
    import sys
    from pathlib import Path
    here = Path(__file__)
    code = ("import resource, sys\n"
            f"resource.setrlimit(resource.RLIMIT_AS, ({MEMORY_LIMIT_BYTES}, "
            f"{MEMORY_LIMIT_BYTES}))\n"
            "import pytest\n"
            f"sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', '-x', '{here}::"
            "test_commands_answer_0_1_or_2_and_leave_no_partial_output', "
            f"'{here}::test_generated_tabs_with_an_alignment_never_crash', "
            f"'--rootdir', '{here.parent.parent}', '--basetemp', '{tmp_path / 'base'}']))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=here.parent, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
