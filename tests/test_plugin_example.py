"""The example plugin in docs/examples (BeatBoard tabs) works as docs/plugins.md says."""
from __future__ import annotations

import csv
import io
import subprocess
import sys
from dataclasses import dataclass
from fractions import Fraction as F
from pathlib import Path

import pytest

from drumtabber.alignment.validate import validate_paths
from drumtabber.components import ParseHints
from drumtabber.errors import PluginError
from drumtabber.findings import Severity
from drumtabber.hookspecs import hookimpl
from drumtabber.plugin_manager import PluginManager
from drumtabber.score import Articulation, Instrument, Meter
from drumtabber.tabs import EVENT_COLUMNS, load_tab
from drumtabber.textio import read_text

ROOT = Path(__file__).parents[1]
EXAMPLES = ROOT / "docs" / "examples"
SAMPLE = EXAMPLES / "groove.bbt"
SHARED_TABS = Path(__file__).parents[2] / "shared" / "data" / "tabs"
ASCII_TAB = SHARED_TABS / "tabtomidi_simple_4_4_beat.txt"

I = Instrument
ACCENT = frozenset({Articulation.ACCENT})
GHOST = frozenset({Articulation.GHOST})
PLAIN = frozenset()

# Every hit written in docs/examples/groove.bbt: (bar index, beat, instrument, articulations).
GROOVE_HITS = sorted([
    # bar 1 (grid=8, eighth notes)
    (0, F(0), I.CRASH, PLAIN), (0, F(0), I.KICK, PLAIN),
    (0, F(1), I.HIHAT_CLOSED, PLAIN), (0, F(1), I.SNARE, PLAIN),
    (0, F(2), I.HIHAT_CLOSED, PLAIN), (0, F(2), I.KICK, PLAIN),
    (0, F(3), I.HIHAT_CLOSED, PLAIN), (0, F(3), I.SNARE, PLAIN),
    # bar 2: ghost snare on the "and" of 3, accented hat on the "and" of 4
    (1, F(0), I.HIHAT_CLOSED, PLAIN), (1, F(0), I.KICK, PLAIN),
    (1, F(1), I.HIHAT_CLOSED, PLAIN), (1, F(1), I.SNARE, PLAIN),
    (1, F(3, 2), I.KICK, PLAIN),
    (1, F(2), I.HIHAT_CLOSED, PLAIN),
    (1, F(5, 2), I.KICK, PLAIN), (1, F(5, 2), I.SNARE, GHOST),
    (1, F(3), I.HIHAT_CLOSED, PLAIN), (1, F(3), I.SNARE, PLAIN),
    (1, F(7, 2), I.HIHAT_CLOSED, ACCENT),
    # bar 3 (grid=16, sixteenths): tom fill into snare eighths
    (2, F(0), I.KICK, PLAIN), (2, F(0), I.TOM_HIGH, PLAIN), (2, F(1, 4), I.TOM_HIGH, PLAIN),
    (2, F(1, 2), I.TOM_LOW_MID, PLAIN), (2, F(3, 4), I.TOM_LOW_MID, PLAIN),
    (2, F(1), I.TOM_FLOOR_HIGH, PLAIN), (2, F(5, 4), I.TOM_FLOOR_HIGH, PLAIN),
    (2, F(3, 2), I.TOM_FLOOR_HIGH, PLAIN), (2, F(7, 4), I.TOM_FLOOR_HIGH, PLAIN),
    (2, F(2), I.SNARE, PLAIN), (2, F(5, 2), I.SNARE, PLAIN),
    (2, F(3), I.SNARE, PLAIN), (2, F(7, 2), I.SNARE, PLAIN),
], key=lambda k: (k[0], k[1], k[2].gm_note))


def _key(event):
    return (event.bar, event.beat, event.instrument, event.articulations)


@pytest.fixture(scope="module")
def manager():
    return PluginManager(plugins_dirs=[EXAMPLES], entry_points=False)


@pytest.fixture()
def parser(manager):
    return manager.get("tab_parser", "beatboard")


# --------------------------------------------------------------------------------------
# (a) loading and choosing
# --------------------------------------------------------------------------------------
def test_example_is_loaded_with_its_source_and_version(manager):
    info = next(i for i in manager.plugin_infos() if i.name == "beatboard")
    assert Path(info.source) == EXAMPLES / "beatboard.py"
    assert info.version == "1.0.0"
    assert info.components == {"tab_parser": ["beatboard"]}
    assert info.hooks == ["choose_tab_parser", "register_tab_parsers"]


def test_parser_keeps_the_component_promises(parser):
    assert parser.name == "beatboard"
    assert parser.description and "\n" not in parser.description
    assert parser.Options().default_grid == 16
    assert parser.suffixes == (".bbt",)


def test_choose_picks_beatboard_for_the_sample(manager):
    text, findings = read_text(SAMPLE)
    assert findings == []
    assert manager.choose_tab_parser(SAMPLE, text).name == "beatboard"


def test_choose_picks_ascii_for_a_normal_tab(manager):
    text, findings = read_text(ASCII_TAB)
    assert findings == []
    assert manager.choose_tab_parser(ASCII_TAB, text).name == "ascii"


@pytest.mark.parametrize("name, text, expected", [
    ("song.txt", "\n\n  #beatboard  \nkik: x...\n", "beatboard"),      # first non-blank line
    ("song.txt", "#BeatBoard\nkik: x...\n", "beatboard"),              # any case
    ("song.bbt", "kik: x...\n", "beatboard"),                          # suffix alone
    ("SONG.BBT", "kik: x...\n", "beatboard"),
    ("song.txt", "title\n#beatboard\n", "ascii"),                      # not the first line
    ("song.txt", "HH|x-x-x-x-|\n", "ascii"),
    ("song.txt", "", "ascii"),
])
def test_choose_by_first_line_or_suffix(manager, name, text, expected):
    assert manager.choose_tab_parser(Path(name), text).name == expected


def test_without_the_plugin_the_sample_goes_to_ascii():
    bare = PluginManager(entry_points=False)
    assert "beatboard" not in bare.registry("tab_parser").names()
    assert bare.choose_tab_parser(SAMPLE, SAMPLE.read_text()).name == "ascii"


def test_folders_are_scanned_for_bbt_files(manager):
    findings = validate_paths([EXAMPLES], manager)
    assert {f.path for f in findings} == {str(SAMPLE)}       # the tempo/meter info findings
    assert all(f.severity == Severity.INFO for f in findings)


# --------------------------------------------------------------------------------------
# (b) the sample parses to exactly the hits written in it
# --------------------------------------------------------------------------------------
def test_sample_hits(manager):
    result = load_tab(SAMPLE, manager)
    assert [_key(e) for e in result.score.sorted_events()] == GROOVE_HITS
    assert [f.code for f in result.findings] == ["DT111", "DT111"]


def test_sample_bars_headers_and_positions(manager):
    score = load_tab(SAMPLE, manager).score
    assert [(b.index, b.written_bar, b.meter, b.line, b.column) for b in score.bars] == [
        (0, 1, Meter(4, 4), 8, 6), (1, 2, Meter(4, 4), 8, 15), (2, 3, Meter(4, 4), 15, 6)]
    assert score.title == "Groove (BeatBoard example)"
    assert score.tempo_hint_bpm == 96 and score.tempo_hints == [(1, 96.0)]
    assert score.meter_hint == Meter(4, 4)
    assert score.source == str(SAMPLE)
    by_key = {(_key(e), e.label): e for e in score.events}
    accent = by_key[((1, F(7, 2), I.HIHAT_CLOSED, ACCENT), "hat")]
    assert (accent.line, accent.column, accent.velocity, accent.written_bar) == (9, 22, 120, 2)
    ghost = by_key[((1, F(5, 2), I.SNARE, GHOST), "snr")]
    assert (ghost.line, ghost.column, ghost.velocity) == (10, 20, 40)
    fill = by_key[((2, F(7, 4), I.TOM_FLOOR_HIGH, PLAIN), "flr")]
    assert (fill.line, fill.column, fill.velocity, fill.source) == (17, 13, 96, str(SAMPLE))


def test_meter_and_grid_set_the_beat_of_each_cell(parser):
    text = "#beatboard\nmeter=6/8\ngrid=6\nkik: x..x..|x....x\n"
    score = parser.parse(text, path=Path("six.bbt")).score
    assert [b.meter for b in score.bars] == [Meter(6, 8)] * 2
    assert [(e.bar, e.beat) for e in score.sorted_events()] == [
        (0, F(0)), (0, F(3)), (1, F(0)), (1, F(5))]


def test_parse_takes_the_alignment_files_hints_and_ignores_them(parser):
    """The parser protocol passes ``hints=`` (an alignment file's labels and meters); a
    BeatBoard file states its own labels and meters, so the example reads the same with them."""
    text = SAMPLE.read_text(encoding="utf-8")
    plain = parser.parse(text, path=SAMPLE)
    for hints in (None, ParseHints(), ParseHints(legend={"bd": "kick"}, meters={2: Meter(3, 4)})):
        result = parser.parse(text, path=SAMPLE, hints=hints)
        assert [_key(e) for e in result.score.sorted_events()] == GROOVE_HITS
        assert result.score.bars == plain.score.bars and result.findings == plain.findings


def test_an_alignment_file_aligns_a_beatboard_tab(manager, tmp_path):
    """The song loader hands the parser its hints; the BeatBoard sample aligns like any tab."""
    from drumtabber.alignment import load_song
    (tmp_path / "groove.bbt").write_bytes(SAMPLE.read_bytes())
    (tmp_path / "groove.toml").write_text('tab = "groove.bbt"\n[tempo]\nbpm = 120\n'
                                          'first_note_s = 1\n[labels]\nbd = "kick"\n')
    song, findings = load_song(tmp_path / "groove.toml", manager)
    assert song is not None, [f.format() for f in findings]
    assert len(song.onsets) == len(GROOVE_HITS)
    # 4/4 at 120: half a second a beat; the last hit is bar 3 beat 7/2
    assert song.onsets["time"].iloc[0] == 1.0
    assert song.onsets["time_exact"].iloc[-1] == 1 + (8 + F(7, 2)) * F(1, 2)


def test_options_give_meter_and_grid_when_the_file_does_not(parser):
    options = parser.Options(default_meter="3/4", default_grid=3)
    score = parser.parse("#beatboard\nsnr: .x.\n", path=Path("x.bbt"), options=options).score
    assert score.bars[0].meter == Meter(3, 4)
    assert [_key(e) for e in score.events] == [(0, F(1), I.SNARE, PLAIN)]


# --------------------------------------------------------------------------------------
# (c) bad input: findings with line and column, never an exception
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("#beatboard\ngrid=4\nbass: x...\n",
     [("DT101", 3, 1, "unknown instrument label 'bass'")]),
    ("#beatboard\ngrid=4\n  Kik: x...\n  bass: x...\n",
     [("DT101", 4, 3, "unknown instrument label 'bass'")]),
    ("#beatboard\ngrid=4\nkik: x.-.|xq..\n",
     [("DT103", 3, 8, "unknown hit symbol '-' on 'kik'"),
      ("DT103", 3, 12, "unknown hit symbol 'q' on 'kik'")]),
    ("#beatboard\ngrid=4\nsnr: x... | ..o.\n",
     [("DT103", 3, 15, "unknown hit symbol 'o'")]),
    ("#beatboard\ngrid=4\nkik: x...|x..\n",
     [("DT104", 3, 11, "bar 2 of 'kik' has 3 cell(s) but grid=4; its 1 hit(s) are skipped")]),
    ("#beatboard\ngrid=4\nkik: x...|x...\nsnr: ..x.\n",
     [("DT104", 4, 1, "'snr' has 1 bar(s) where 'kik' on line 3 has 2")]),
    ("#beatboard\ngrid=4\nkik: x...\nKIK: ..x.\n",
     [("DT109", 4, 1, "label 'KIK' used twice in one system (first on line 3)")]),
    ("#beatboard\ntempo=fast\nkik: x...............\n",
     [("DT110", 2, 7, "tempo='fast' is not a tempo in BPM")]),
    ("#beatboard\nmeter=4/5\nkik: x...............\n",
     [("DT110", 2, 7, "meter='4/5' is not a meter")]),
    ("#beatboard\ngrid=0\nkik: x...............\n",
     [("DT110", 2, 6, "grid='0' is not a number of cells")]),
    ("#beatboard\n swing=yes\nkik: x...............\n",
     [("DT110", 2, 2, "unknown header 'swing'")]),
    ("#beatboard\nplay it loud\nkik: x...............\n",
     [("DT110", 2, 1, "line not understood: 'play it loud'")]),
    ("#beatboard\n# only a comment\n", [("DT002", 1, 1, "no BeatBoard instrument line")]),
])
def test_bad_input_gives_findings(parser, text, expected):
    result = parser.parse(text, path=Path("bad.bbt"))
    found = [(f.code, f.line, f.column, f.message) for f in result.findings
             if f.severity != Severity.INFO]
    assert [(c, l, col) for c, l, col, _ in found] == [(c, l, col) for c, l, col, _ in expected]
    for (_, _, _, message), (_, _, _, wanted) in zip(found, expected):
        assert wanted in message
    assert all(f.path == "bad.bbt" for f in result.findings)


def test_unknown_label_line_is_skipped_but_the_rest_is_read(parser):
    text = "#beatboard\ngrid=4\nbass: x...\nkik: ..x.\n"
    result = parser.parse(text, path=Path("bad.bbt"))
    assert [_key(e) for e in result.score.events] == [(0, F(2), I.KICK, PLAIN)]
    assert "known: kik, snr" in result.findings[0].message


def test_unknown_symbol_is_dropped_and_its_neighbours_kept(parser):
    result = parser.parse("#beatboard\ngrid=4\nkik: xq.x\n", path=Path("bad.bbt"))
    assert [e.beat for e in result.score.sorted_events()] == [F(0), F(3)]


def test_bad_file_through_load_tab_is_findings_not_an_exception(manager, tmp_path):
    path = tmp_path / "broken.bbt"
    path.write_text("#beatboard\ngrid=4\nkik: x.?.\nbongo: x...\n", encoding="utf-8")
    result = load_tab(path, manager)
    assert [(f.code, f.line, f.column) for f in result.findings] == [
        ("DT103", 3, 8), ("DT101", 4, 1)]
    assert all(f.path == str(path) for f in result.findings)


# --------------------------------------------------------------------------------------
# (d) the command line
# --------------------------------------------------------------------------------------
# ``run_cli`` (tests/conftest.py) runs ``drumtabber-data ARGS`` in-process.
def test_cli_show_prints_the_hits_as_csv(run_cli):
    code, out, err = run_cli("--plugins-dir", EXAMPLES, "show", SAMPLE, "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(GROOVE_HITS)
    assert [(r["bar"], r["beat"], r["instrument"], r["articulation"]) for r in rows] == [
        (str(bar + 1), str(beat), inst.value, "+".join(sorted(a.value for a in arts)))
        for bar, beat, inst, arts in GROOVE_HITS]
    ghost = next(r for r in rows if r["articulation"] == "ghost")
    assert ghost == {"bar": "2", "beat": "5/2", "instrument": "snare", "gm_note": "38",
                     "articulation": "ghost", "velocity": "40", "line": "10", "column": "20",
                     "written_bar": "2", "repeat_pass": "1", "label": "snr"}


def test_cli_plugins_lists_beatboard_with_source_and_version(run_cli):
    code, out, err = run_cli("--plugins-dir", EXAMPLES, "plugins")
    assert code == 0, err
    assert f"beatboard 1.0.0  [{EXAMPLES / 'beatboard.py'}]" in out.splitlines()
    assert "  tab_parser: beatboard" in out.splitlines()


def test_documented_command_line_works_from_the_repo_root():
    """The command docs/plugins.md shows, run as a separate process with a relative folder."""
    argv = ["--plugins-dir", "docs/examples", "show", "docs/examples/groove.bbt",
            "--format", "csv"]
    done = subprocess.run([sys.executable, "-c", "from drumtabber.cli import main; main()",
                           *argv], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == ",".join(EVENT_COLUMNS)
    assert lines[1] == "1,0,kick,36,,96,11,6,1,1,kik"
    assert len(lines) == 1 + len(GROOVE_HITS)


def test_cli_validate_reports_findings_and_exits_1(run_cli, tmp_path):
    path = tmp_path / "bad.bbt"
    path.write_text("#beatboard\ngrid=4\nkik: x.?.\n", encoding="utf-8")
    code, out, err = run_cli("--plugins-dir", EXAMPLES, "validate", path)
    assert code == 1
    assert f"{path}:3:8: DT103 error: unknown hit symbol '?' on 'kik'" in out


# --------------------------------------------------------------------------------------
# (e) a second parser named beatboard is an error naming both plugins
# --------------------------------------------------------------------------------------
class _Impostor:
    name = "beatboard"
    description = "a second parser that claims the name beatboard"

    @dataclass
    class Options:
        pass

    def parse(self, text, *, path, options=None, hints=None):
        raise AssertionError("never called")


class _ImpostorPlugin:
    @hookimpl
    def register_tab_parsers(self, register):
        register(_Impostor())


@pytest.fixture()
def impostor_manager():
    manager = PluginManager(plugins_dirs=[EXAMPLES], entry_points=False)
    manager.register(_ImpostorPlugin(), "impostor")
    yield manager
    manager.unregister("impostor")


def test_duplicate_parser_name_is_an_error_naming_both_plugins(impostor_manager):
    with pytest.raises(PluginError) as error:
        impostor_manager.registry("tab_parser")
    message = str(error.value)
    assert "tab_parser 'beatboard' is registered twice" in message
    assert "'beatboard'" in message and "'impostor'" in message


def test_unregistering_the_impostor_restores_the_registry(impostor_manager):
    impostor_manager.unregister("impostor")
    builtin = PluginManager(entry_points=False).registry("tab_parser").names()
    assert impostor_manager.registry("tab_parser").names() == sorted([*builtin, "beatboard"])
    impostor_manager.register(_ImpostorPlugin(), "impostor")    # for the fixture's teardown
