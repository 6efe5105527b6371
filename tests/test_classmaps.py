"""Class-mapping schemes: the contract of every scheme, the seed's options on the seed's own
tabs (counts verified by hand), the literature vocabularies, user schemes in TOML, outside
datasets' labels and the ``classes`` command.

Real tabs from ../shared/data/tabs (see its README.md): ``may3beta_tab.txt`` and
``the_dark_tab.txt`` come from the seed project, mayhemsloth/Drum-Tabber
(``sample_dataset/may3beta_tab.txt`` and ``The Dark (WVNDER) Tab txt.txt``; no licence stated,
the seed project's own samples).
"""
from __future__ import annotations

import itertools
import json
import re
from collections import Counter

import pytest
from conftest import SHARED_TABS

from drumtabber.classes import (SCHEME_CODES, TINY_CLASS_EVENTS, ClassCounts, check_class_map,
                                class_maps, class_warnings, count_classes, is_dropped,
                                load_scheme_file, map_events, map_onset_rows, mapping_table,
                                parse_scheme, resolve_class_map, unmapped_findings)
from drumtabber.components import build_options
from drumtabber.errors import ConfigError, PluginError, UnknownComponentError
from drumtabber.onset_table import onset_table
from drumtabber.plugin_manager import PluginManager
from drumtabber.plugins import classmaps
from drumtabber.plugins.ascii_tab import parse_tab
from drumtabber.score import Articulation as A
from drumtabber.score import Event, Instrument as I
from drumtabber.textio import read_text

MAY3BETA = SHARED_TABS / "may3beta_tab.txt"
THE_DARK = SHARED_TABS / "the_dark_tab.txt"
_MANAGER = PluginManager(entry_points=False)
BUILTIN = ["adtof", "drumtabber", "full", "gm", "kd-sd-hh", "vogl18", "vogl8"]
# The onset models' scheme, registered by the drum_onsets plugin beside the classmaps ones.
ONSETS = "onsets"


@pytest.fixture(scope="module")
def manager():
    return _MANAGER


def events_in(path, first_line, last_line):
    """The hits written on lines first_line..last_line of a real tab."""
    text, _ = read_text(path)
    return [e for e in parse_tab(text, path=path).score.events
            if first_line <= e.line <= last_line]


def scheme(name, **options):
    class_map, opts = resolve_class_map(_MANAGER, name, options)
    return class_map, opts


def counts_of(name, events, **options):
    class_map, opts = scheme(name, **options)
    counts = count_classes(class_map, events, opts)
    return {c: n for c, n in counts.counts.items() if n}, counts


# ---------------------------------------------------------------------------------------
# The contract every registered scheme keeps
# ---------------------------------------------------------------------------------------
def test_the_builtin_schemes_are_registered_by_the_classmaps_plugin(manager):
    registry = manager.registry("class_map")
    assert registry.names() == sorted(BUILTIN + [ONSETS])
    assert {registry.owner(n) for n in BUILTIN} == {"classmaps"}
    assert registry.owner(ONSETS) == "drum_onsets"
    assert manager.get("class_map", "drumtabber").name == "drumtabber"   # config default


@pytest.mark.parametrize("name", _MANAGER.registry("class_map").names())
def test_contract_of_every_registered_scheme(name, manager):
    class_map = manager.get("class_map", name)
    assert class_map.name == name and class_map.description.strip()
    options = build_options(class_map, {})                      # default options validate
    assert check_class_map(class_map, options) == []
    for instrument in I:                                       # every instrument, plainly
        found = class_map.map_event(instrument, frozenset(), 96, options)
        assert set(found) <= set(class_map.classes(options))
        assert found or is_dropped(class_map, instrument, frozenset(), options), instrument
    with pytest.raises(ConfigError, match="unknown option"):
        build_options(class_map, {"no_such_option": 1})


@pytest.mark.parametrize("values", [dict(zip(
    ("keep_dynamics", "keep_bells", "keep_toms_separate", "hihat_classes", "cymbal_classes",
     "simple_class_only"), combo)) for combo in itertools.product(
    (False, True), (False, True), (False, True), (1, 2, 3), (1, 2), (False, True))])
def test_contract_of_the_seed_scheme_under_every_option_combination(values, manager):
    class_map = manager.get("class_map", "drumtabber")
    assert check_class_map(class_map, build_options(class_map, values)) == []


@pytest.mark.parametrize("values, message", [
    ({"hihat_classes": "4"}, "hihat_classes: expected 1, 2 or 3, found 4"),
    ({"cymbal_classes": 3}, "cymbal_classes: expected 1 or 2, found 3"),
    ({"keep_bells": "maybe"}, "drumtabber.keep_bells: expected bool, found 'maybe'"),
    ({"hihat_classes": "two"}, "drumtabber.hihat_classes: expected int, found 'two'"),
    ({"keep_dynamic": True}, "unknown option(s) keep_dynamic; valid: cymbal_classes"),
])
def test_seed_scheme_options_are_validated(values, message, manager):
    with pytest.raises(ConfigError) as exc:
        build_options(manager.get("class_map", "drumtabber"), values)
    assert message in str(exc.value)


def test_check_class_map_reports_a_broken_scheme():
    class Broken:
        name, description, Options = "broken", "maps snare to a class it does not have", \
            classmaps.NoOptions

        def classes(self, options):
            return ["kick", "kick"]

        def map_event(self, instrument, articulations, velocity, options):
            return {I.KICK: ("kick",), I.SNARE: ("snare",)}.get(instrument, ())

        def drops(self, options):
            return [i for i in I if i not in (I.KICK, I.SNARE, I.TOM_LOW)] + ["nonsense"]

    problems = check_class_map(Broken(), None)
    assert "class names repeat: ['kick']" in problems
    assert "snare maps to ['snare'], not among the classes" in problems
    assert "tom_low maps to no class and is not dropped on purpose" in problems
    assert "drops() lists 'nonsense', not an Instrument or Articulation" in problems


# ---------------------------------------------------------------------------------------
# The seed's options on the seed's tabs, counted by hand
# ---------------------------------------------------------------------------------------
# may3beta_tab.txt lines 40-53: two systems of four 16-cell bars.  By eye:
#   C  (40, 49): 1 + 1 crash;  S (42, 51): 4 + 5 snare;  B (46, 52): 6 + 8 kick;
#   sT, mT, FT (43-45): 2 each (tom_high, tom_low_mid, tom_floor_high);
#   HH 41: bars "-xxxxxxx-xo--o-o" "xxxxxxxx--x--x-x" "xxxxxxxx-xo--o-o" "xxxxxxxx-x---x-x"
#          = 8 + 11 + 9 + 11 = 39 x, 6 o;
#   HH 50: bars "-xxxxxxx-xxxxxxx" "X---w---W---O---" "xxxxxxxx-xo--o-o" "w---w---W---O---"
#          = 23 x, 3 o, 2 O (open, accent), 3 w + 1 X (washy: this file's legend says X on the
#          hi-hat is loose/washy), 2 W (washy, accent).
# Hi-hat: 62 closed, 9 open, 2 open accented, 4 washy, 2 washy accented.  110 hits.
MAY3BETA_40_53 = {("kick", ""): 14, ("snare", ""): 9, ("crash", ""): 2, ("tom_high", ""): 2,
                  ("tom_low_mid", ""): 2, ("tom_floor_high", ""): 2, ("hihat_closed", ""): 62,
                  ("hihat_open", ""): 9, ("hihat_open", "accent"): 2,
                  ("hihat_open", "half_open"): 4, ("hihat_open", "accent+half_open"): 2}
# the_dark_tab.txt lines 34-47 ("Full Music Intro" and the next system):
#   mT 35, 43: 2 + 2 (tom_high);  FT 36, 44: "----o---" 1, "o---f---o---" 2 + 1 flam, 2;
#   R 37: "------------b-b-" 2 ride-bell hits;  HH 38: "Xs" twice: 2 washy + 2 pedal stomps;
#   S 39: "f-------o---o---" 1 flam + 2, "--------------o-" 1;  S 45: 3 x 16 g + 8 g = 56
#   ghost notes, then 4 o;  B 40: 2 + 5 + 2;  B 46: 4 + 4 + 4 + 3.  104 hits.
THE_DARK_34_47 = {("kick", ""): 24, ("snare", ""): 7, ("snare", "flam"): 1,
                  ("snare", "ghost"): 56, ("tom_high", ""): 4, ("tom_floor_high", ""): 5,
                  ("tom_floor_high", "flam"): 1, ("hihat_open", "half_open"): 2,
                  ("hihat_pedal", ""): 2, ("ride_bell", "bell"): 2}
# the_dark_tab.txt lines 82-92: C2 82, 88: "X" twice (crash2, accent), "------b-" 1 bell;
#   HH 83, 89: 12 + 10 x, an "X-s-" in each (2 washy, 2 pedal);  S 84, 90: 9 + 6;
#   B 85, 91: 16 + 18.  78 hits.
THE_DARK_82_92 = {("kick", ""): 34, ("snare", ""): 15, ("crash2", "accent"): 2,
                  ("crash2", "bell"): 1, ("hihat_closed", ""): 22,
                  ("hihat_open", "half_open"): 2, ("hihat_pedal", ""): 2}
# the_dark_tab.txt lines 184-189: mT 1; FT 2; R "x---x-x---x-x---" "x-x---x-x-------"
#   "x---x-x---x-x-x-" "b---": 5 + 4 + 6 ride, 1 bell;  S 6 + 8 + 4 + 9 = 27;
#   B 5 + 4 + 6 + 2 = 17.  63 hits.
THE_DARK_184_189 = {("kick", ""): 17, ("snare", ""): 27, ("tom_high", ""): 1,
                    ("tom_floor_high", ""): 2, ("ride", ""): 15, ("ride_bell", "bell"): 1}

BLOCKS = {"may3beta 40-53": (MAY3BETA, 40, 53, MAY3BETA_40_53),
          "the_dark 34-47": (THE_DARK, 34, 47, THE_DARK_34_47),
          "the_dark 82-92": (THE_DARK, 82, 92, THE_DARK_82_92),
          "the_dark 184-189": (THE_DARK, 184, 189, THE_DARK_184_189)}


@pytest.mark.parametrize("block", sorted(BLOCKS))
def test_hand_counted_blocks_parse_as_counted(block):
    path, first, last, expected = BLOCKS[block]
    found = Counter((e.instrument.value, e.articulation_text())
                    for e in events_in(path, first, last))
    assert dict(found) == expected


SEED_OPTION_CASES = [
    # (block, options, expected non-empty classes, dropped on purpose)
    ("may3beta 40-53", {}, {"kick": 14, "snare": 9, "tom": 6, "hihat": 62,
                            "cymbal": 2 + 9 + 2 + 4 + 2}, 0),
    ("may3beta 40-53", {"hihat_classes": 2},
     {"kick": 14, "snare": 9, "tom": 6, "hihat": 62, "hihat_open": 17, "cymbal": 2}, 0),
    ("may3beta 40-53", {"hihat_classes": 3},
     {"kick": 14, "snare": 9, "tom": 6, "hihat": 62, "hihat_washy": 6, "hihat_open": 11,
      "cymbal": 2}, 0),
    ("may3beta 40-53", {"hihat_classes": 3, "keep_dynamics": True},
     {"kick": 14, "snare": 9, "tom": 6, "hihat": 62, "hihat_washy": 4,
      "hihat_washy_accent": 2, "hihat_open": 9, "hihat_open_accent": 2, "cymbal": 2}, 0),
    ("may3beta 40-53", {"keep_toms_separate": True},
     {"kick": 14, "snare": 9, "tom_high": 2, "tom_low_mid": 2, "tom_floor_high": 2,
      "hihat": 62, "cymbal": 19}, 0),
    # two cymbal classes: the open and washy hats go with the crashes, as in the seed
    ("may3beta 40-53", {"cymbal_classes": 2},
     {"kick": 14, "snare": 9, "tom": 6, "hihat": 62, "crash": 19}, 0),
    ("may3beta 40-53", {"simple_class_only": True}, {"kick": 14, "snare": 9, "cymbal": 19},
     62 + 6),
    # pedal stomps count as closed hi-hat; ride bells dropped without keep_bells
    ("the_dark 34-47", {}, {"kick": 24, "snare": 64, "tom": 10, "hihat": 2, "cymbal": 2}, 2),
    ("the_dark 34-47", {"keep_dynamics": True},
     {"kick": 24, "snare": 8, "snare_ghost": 56, "tom": 10, "hihat": 2, "cymbal": 2}, 2),
    ("the_dark 34-47", {"keep_bells": True},
     {"kick": 24, "snare": 64, "tom": 10, "hihat": 2, "cymbal": 2, "bell": 2}, 0),
    ("the_dark 34-47", {"simple_class_only": True, "keep_bells": True},
     {"kick": 24, "snare": 64, "cymbal": 2}, 10 + 2 + 2),
    ("the_dark 34-47", {"simple_class_only": True, "hihat_classes": 2},
     {"kick": 24, "snare": 64}, 10 + 2 + 2 + 2),
    ("the_dark 82-92", {}, {"kick": 34, "snare": 15, "hihat": 24, "cymbal": 4}, 1),
    ("the_dark 82-92", {"keep_dynamics": True, "keep_bells": True},
     {"kick": 34, "snare": 15, "hihat": 24, "cymbal": 2, "cymbal_accent": 2, "bell": 1}, 0),
    ("the_dark 82-92", {"cymbal_classes": 2, "hihat_classes": 2},
     {"kick": 34, "snare": 15, "hihat": 22 + 2, "hihat_open": 2, "crash": 2}, 1),
    ("the_dark 184-189", {"cymbal_classes": 2}, {"kick": 17, "snare": 27, "tom": 3,
                                                 "ride": 15}, 1),
    ("the_dark 184-189", {"cymbal_classes": 2, "keep_bells": True},
     {"kick": 17, "snare": 27, "tom": 3, "ride": 15, "bell": 1}, 0),
    ("the_dark 184-189", {}, {"kick": 17, "snare": 27, "tom": 3, "cymbal": 15}, 1),
]


@pytest.mark.parametrize("block, options, expected, dropped", SEED_OPTION_CASES)
def test_seed_options_on_the_seeds_tabs(block, options, expected, dropped):
    path, first, last, hits = BLOCKS[block]
    found, counts = counts_of("drumtabber", events_in(path, first, last), **options)
    assert found == expected
    assert counts.dropped == dropped and counts.unmapped == {}
    assert counts.events == sum(hits.values()) == sum(found.values()) + dropped


def test_seed_scheme_class_lists():
    assert scheme("drumtabber")[0].classes(scheme("drumtabber")[1]) == [
        "kick", "snare", "tom", "hihat", "cymbal"]
    class_map, o = scheme("drumtabber", hihat_classes=3, cymbal_classes=2, keep_bells=True,
                          keep_toms_separate=True)
    assert class_map.classes(o) == [
        "kick", "snare", "tom_high", "tom_high_mid", "tom_low_mid", "tom_low", "tom_floor_high",
        "tom_floor_low", "hihat", "hihat_washy", "hihat_open", "crash", "ride", "bell"]
    class_map, o = scheme("drumtabber", keep_dynamics=True, simple_class_only=True)
    assert class_map.classes(o) == ["kick", "kick_accent", "kick_ghost", "snare",
                                    "snare_accent", "snare_ghost", "cymbal", "cymbal_accent",
                                    "cymbal_ghost"]


# ---------------------------------------------------------------------------------------
# Literature vocabularies
# ---------------------------------------------------------------------------------------
def notes_by_class(name):
    class_map, options = scheme(name)
    table = {c: [] for c in class_map.classes(options)}
    for instrument in I:
        for c in class_map.map_event(instrument, frozenset(), 96, options):
            table[c].append(instrument.gm_note)
    return table


@pytest.mark.parametrize("name, expected", [
    ("kd-sd-hh", {"KD": [35, 36], "SD": [37, 38, 39, 40], "HH": [42, 44, 46]}),
    ("adtof", {"BD": [35, 36], "SD": [37, 38, 39, 40], "TT": [41, 43, 45, 47, 48, 50],
               "HH": [42, 44, 46], "CY+RD": [49, 51, 52, 53, 55, 57, 59]}),
    ("vogl8", {"BD": [35, 36], "SD": [37, 38, 39, 40], "TT": [41, 43, 45, 47, 48, 50],
               "HH": [42, 44, 46], "CY": [49, 52, 55, 57], "RD": [51, 59], "BE": [53, 56],
               "CL": [75]}),
    ("vogl18", {"BD": [35, 36], "SD": [38, 40], "SS": [37], "CLP": [39], "LT": [41, 43],
                "MT": [45, 47], "HT": [48, 50], "CHH": [42], "PHH": [44], "OHH": [46],
                "TB": [54], "RD": [51, 59], "RB": [53], "CRC": [49, 57], "SPC": [55],
                "CHC": [52], "CB": [56], "CL": [75]}),
])
def test_literature_class_lists_and_their_gm_notes(name, expected):
    table = notes_by_class(name)
    assert list(table) == list(expected)              # the class order of the source
    assert table == expected


def test_literature_schemes_ignore_articulations_and_drop_the_rest():
    class_map, o = scheme("vogl8")
    assert class_map.map_event(I.HIHAT_OPEN, frozenset({A.HALF_OPEN, A.ACCENT}), 120, o) == ("HH",)
    assert class_map.map_event(I.TAMBOURINE, frozenset(), 96, o) == ()
    assert is_dropped(class_map, I.TAMBOURINE, frozenset(), o)
    class_map, o = scheme("kd-sd-hh")
    assert class_map.map_event(I.RIDE, frozenset(), 96, o) == ()
    assert I.RIDE in class_map.drops(o)


def test_adtof_scheme_on_the_seeds_tab():
    found, counts = counts_of("adtof", events_in(MAY3BETA, 40, 53))
    assert found == {"BD": 14, "SD": 9, "TT": 6, "HH": 62 + 17, "CY+RD": 2}
    assert counts.dropped == 0


def test_gm_keeps_the_notes_asked_for_and_full_every_instrument():
    class_map, o = scheme("gm")
    assert class_map.classes(o) == [str(n) for n in range(35, 82)] and class_map.only_present
    assert class_map.map_event(I.HIHAT_PEDAL, frozenset(), 96, o) == ("44",)
    class_map, o = scheme("gm", notes="38, 36")
    assert class_map.classes(o) == ["36", "38"]
    assert class_map.map_event(I.CRASH, frozenset(), 96, o) == () and I.CRASH in class_map.drops(o)
    with pytest.raises(ConfigError, match="gm.notes: expected GM notes 35-81"):
        scheme("gm", notes="36,99")
    class_map, o = scheme("full")
    assert class_map.classes(o) == [i.value for i in I] and class_map.drops(o) == []


# ---------------------------------------------------------------------------------------
# Applying a map, counting, warnings
# ---------------------------------------------------------------------------------------
def test_map_onset_rows_adds_a_class_column_and_leaves_dropped_rows_out():
    rows = onset_table([
        {"time": 0.5, "instrument": "hihat_open", "articulation": "accent+half_open",
         "velocity": 120},
        {"time": 0.5, "instrument": "ride_bell", "articulation": "bell", "velocity": 96},
        {"time": 1.0, "instrument": "kick", "articulation": "", "velocity": 96}])
    class_map, o = scheme("drumtabber", hihat_classes=3, keep_dynamics=True)
    mapped = map_onset_rows(class_map, rows, o)
    assert [(r["time"], r["class"]) for r in mapped.to_dict("records")] == [
        (0.5, "hihat_washy_accent"), (1.0, "kick")]
    multi, _ = parse_scheme('[classes]\nhat = { families = ["hihat"] }\n'
                            'accent = { articulations = ["accent"] }\n')
    assert list(map_onset_rows(multi, rows, None)["class"]) == ["hat", "accent"]


def test_map_onset_rows_on_an_aligned_song(manager):
    from conftest import ROOT

    from drumtabber.alignment import load_song
    song, _ = load_song(ROOT / "alignments" / "may3beta.toml", manager)
    rows = song.onsets.to_dict("records")
    class_map, o = scheme("kd-sd-hh")
    mapped = map_onset_rows(class_map, song.onsets, o).to_dict("records")
    wanted = sum(1 for r in rows if r["gm_note"] in (35, 36, 37, 38, 39, 40, 42, 44, 46))
    assert len(mapped) == wanted and {r["class"] for r in mapped} == {"KD", "SD", "HH"}
    assert [r["time"] for r in mapped] == sorted(r["time"] for r in mapped)


def test_count_classes_and_warnings_for_empty_and_tiny_classes():
    events = [Event(0, 0, I.KICK)] * 60 + [Event(0, 0, I.SNARE)] * 3 + [Event(0, 0, I.COWBELL)]
    class_map, o = scheme("drumtabber")
    counts = count_classes(class_map, events, o)
    assert counts.counts == {"kick": 60, "snare": 3, "tom": 0, "hihat": 0, "cymbal": 0}
    assert (counts.events, counts.dropped, counts.unmapped) == (64, 1, {})
    assert TINY_CLASS_EVENTS == 50
    assert class_warnings(counts) == [
        "class 'tom' has no events", "class 'hihat' has no events",
        "class 'cymbal' has no events", "class 'snare' has only 3 event(s) (under 50)"]
    assert class_warnings(counts, skip_empty=True, threshold=2) == []


def test_a_scheme_bug_is_reported_when_mapping():
    class Bug:
        name, description, Options = "bug", "returns a class it does not list", classmaps.NoOptions

        def classes(self, options):
            return ["a"]

        def map_event(self, instrument, articulations, velocity, options):
            return ("b",)

        def drops(self, options):
            return []

    with pytest.raises(ValueError, match="mapped kick to b, not among its classes"):
        map_events(Bug(), [Event(0, 0, I.KICK)], None)


def test_mapping_table_shows_what_articulations_change(manager):
    class_map, o = scheme("drumtabber", hihat_classes=3)
    rows = {r["instrument"]: r for r in mapping_table(class_map, o)}
    assert rows["hihat_open"]["classes"] == ["hihat_open"]
    assert rows["hihat_open"]["variants"] == {"half_open": ["hihat_washy"], "bell": []}
    assert rows["ride_bell"] == {"instrument": "ride_bell", "gm_note": 53, "classes": [],
                                 "dropped": True, "variants": {}}


# ---------------------------------------------------------------------------------------
# User schemes in TOML
# ---------------------------------------------------------------------------------------
GOOD_SCHEME = """\
name = "kshc"
description = "kick, snare, hi-hat, cymbals; accents as an extra label"

[classes]
kick = ["kick", "KICK_ACOUSTIC"]
snare = { families = ["snare"] }
hihat = { families = ["hihat"], not_articulations = ["half_open"] }
cymbal = { families = ["cymbal", "ride"], instruments = [46] }
accent = { articulations = ["accent"] }

[drop]
families = ["percussion", "tom"]
articulations = ["bell"]
"""


def test_a_user_scheme_maps_like_its_file_says(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(GOOD_SCHEME)
    class_map, findings = load_scheme_file(path)
    assert findings == [] and class_map.name == "kshc" and class_map.path == path
    assert class_map.classes() == ["kick", "snare", "hihat", "cymbal", "accent"]
    assert check_class_map(class_map, None) != []          # fine: unmapped gaps are allowed
    assert class_map.map_event(I.KICK_ACOUSTIC, frozenset(), 96) == ("kick",)
    assert class_map.map_event(I.HIHAT_OPEN, frozenset({A.ACCENT}), 120) == (
        "hihat", "cymbal", "accent")
    assert class_map.map_event(I.HIHAT_OPEN, frozenset({A.HALF_OPEN}), 96) == ("cymbal",)
    assert class_map.map_event(I.CRASH, frozenset({A.BELL}), 96) == ()
    assert class_map.map_event(I.TOM_LOW, frozenset(), 96) == ()
    assert is_dropped(class_map, I.TOM_LOW, frozenset(), None)
    # counted on the seed's tab: the accents add labels, the toms are dropped
    found, counts = counts_of_scheme(class_map, events_in(MAY3BETA, 40, 53))
    assert found == {"kick": 14, "snare": 9, "hihat": 62 + 9 + 2, "cymbal": 2 + 9 + 2 + 4 + 2,
                     "accent": 2 + 2}
    assert counts.dropped == 6 and counts.unmapped == {}


def counts_of_scheme(class_map, events):
    counts = count_classes(class_map, events, None)
    return {c: n for c, n in counts.counts.items() if n}, counts


def test_instruments_neither_mapped_nor_dropped_are_findings_at_their_first_hit(tmp_path):
    path = tmp_path / "notoms.toml"
    path.write_text('[classes]\nkick = ["kick"]\nsnare = ["snare"]\n[drop]\nfamilies = '
                    '["hihat", "cymbal", "ride"]\n')
    class_map, findings = load_scheme_file(path)
    assert findings == [] and class_map.name == "notoms"
    counts = count_classes(class_map, events_in(THE_DARK, 34, 47), None)
    assert {i.value: len(e) for i, e in counts.unmapped.items()} == {
        "tom_high": 4, "tom_floor_high": 6}
    found = {f.message.split(" ")[0]: f for f in unmapped_findings(class_map, counts)}
    # first tom hits: mT line 35 "--o-" column 6; FT line 36 "----o" column 8
    assert (found["tom_high"].path, found["tom_high"].line, found["tom_high"].column) == (
        str(THE_DARK), 35, 6)
    assert (found["tom_floor_high"].line, found["tom_floor_high"].column) == (36, 8)
    assert found["tom_high"].code == "DT303" and found["tom_high"].severity.value == "warning"
    assert "4 hit(s)) is neither mapped to a class nor dropped" in found["tom_high"].message
    assert f"or to [drop] in {path}" in found["tom_high"].message


BAD_SCHEMES = [
    ('name = "x"\n[classes\nkick = 1\n', (2, 9), "DT301", "not valid TOML: Expected ']'"),
    ('colour = "red"\n[classes]\nkick = ["kick"]\n', (1, 1), "DT301", "unknown key 'colour'"),
    ('[drop]\nfamilies = ["tom"]\n', (1, 1), "DT301", "classes: expected a table"),
    ('[classes]\nkick = ["kick", "kik"]\n', (2, 17), "DT302",
     "unknown instrument 'kik' (did you mean 'kick'?)"),
    ('[classes]\nkick = ["kick", 99]\n', (2, 17), "DT302", "unknown instrument 99"),
    ('[classes]\nsnare = { families = ["snares"] }\n', (2, 23), "DT302",
     "unknown family 'snares'; known: kick, snare"),
    ('[classes]\nloud = { articulations = ["accented"] }\n', (2, 27), "DT302",
     "unknown articulation 'accented'"),
    ('[classes]\ntoms = { instrumnets = ["tom_high"] }\n', (2, 1), "DT301",
     "class 'toms': unknown key 'instrumnets'"),
    ('[classes]\nodd = 5\n', (2, 1), "DT301", "class 'odd': expected a list of instruments"),
    ('[classes]\nkick = ["kick"]\n\n[drop]\ninstruments = [36]\n', (2, 1), "DT304",
     "class 'kick' takes kick, which drop.instruments drops"),
    ('[classes]\nkick = ["kick"]\n[drop]\nfamilies = "kick"\nbogus = 1\n', (5, 1), "DT301",
     "drop: unknown key 'bogus'"),
    ('name = 5\n[classes]\nkick = ["kick"]\n', (1, 1), "DT301", "name: expected a non-empty"),
]


def test_every_scheme_finding_code_has_a_test():
    # DT303 is tested in test_instruments_neither_mapped_nor_dropped_are_findings_...
    assert {code for _, _, code, _ in BAD_SCHEMES} | {"DT303"} == set(SCHEME_CODES)


@pytest.mark.parametrize("text, where, code, message", BAD_SCHEMES)
def test_bad_user_schemes_give_findings_with_file_and_line(text, where, code, message, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    class_map, findings = load_scheme_file(path)
    hits = [f for f in findings if f.code == code and message in f.message]
    assert hits, [f.format() for f in findings]
    assert (hits[0].line, hits[0].column) == where and hits[0].path == str(path)
    if hits[0].severity.value == "error":
        assert class_map is None


def test_unreadable_scheme_file_and_duplicate_names(tmp_path, manager):
    class_map, findings = load_scheme_file(tmp_path / "missing.toml")
    assert class_map is None and findings[0].code == "DT001"
    assert "cannot read class scheme" in findings[0].message
    clash, _ = parse_scheme('name = "adtof"\n[classes]\nkick = ["kick"]\n',
                            path=tmp_path / "clash.toml")
    with pytest.raises(PluginError, match="class map 'adtof' is defined twice: by plugin "
                       "classmaps and by .*clash.toml"):
        class_maps(manager, [clash])
    with pytest.raises(UnknownComponentError, match="unknown class map 'nope'; valid names: "
                       "adtof, drumtabber"):
        resolve_class_map(manager, "nope")


# ---------------------------------------------------------------------------------------
# Outside datasets' vocabularies
# ---------------------------------------------------------------------------------------
# MDB Drums subclasses as listed in the dataset (README: 6 classes, 21 subclasses)
MDB_SUBCLASSES = ["KD", "SD", "SDB", "SDD", "SDF", "SDG", "SDNS", "CHH", "OHH", "PHH", "HIT",
                  "MHT", "HFT", "LFT", "RDC", "RDB", "CRC", "CHC", "SPC", "SST", "TMB"]
MDB_TO_ADTOF = {"KD": "BD", "SD": "SD", "HH": "HH", "TT": "TT", "CY": "CY+RD"}


def test_mdb_drums_vocabularies():
    assert classmaps.outside_labels("mdb") == MDB_SUBCLASSES and len(MDB_SUBCLASSES) == 21
    assert classmaps.outside_labels("mdb-class") == ["KD", "SD", "HH", "TT", "CY", "OT"]
    assert classmaps.map_outside_label("mdb", "SDG") == (I.SNARE, frozenset({A.GHOST}))
    assert classmaps.map_outside_label("mdb", " rdb ") == (I.RIDE_BELL, frozenset({A.BELL}))
    assert classmaps.map_outside_label("mdb-class", "TT") == (I.TOM_LOW_MID, frozenset())


@pytest.mark.parametrize("label", MDB_SUBCLASSES)
def test_each_mdb_subclass_lands_in_the_adtof_class_of_its_mdb_class(label):
    from drumtabber.plugins._outside_labels import MDB_SUBCLASSES as TABLE
    mdb_class = TABLE[label][0]
    instrument, arts = classmaps.map_outside_label("mdb", label)
    class_map, o = scheme("adtof")
    found = class_map.map_event(instrument, arts, 96, o)
    if mdb_class == "OT":          # side stick goes with the snare, the tambourine is dropped
        assert found == {"SST": ("SD",), "TMB": ()}[label]
    else:
        assert found == (MDB_TO_ADTOF[mdb_class],)
        # and the class-level label lands in the same class
        assert class_map.map_event(*classmaps.map_outside_label("mdb-class", mdb_class),
                                   96, o) == found


@pytest.mark.parametrize("label, expected", [
    ("bd", "BD"), ("sd", "SD"), ("sd-", "SD"), ("rs", "SD"), ("cs", "SS"), ("chh", "CHH"),
    ("ohh", "OHH"), ("lft", "LT"), ("lt", "MT"), ("lmt", "MT"), ("mt", "HT"), ("cr1", "CRC"),
    ("cr2", "CRC"), ("c4", "CRC"), ("rc3", "RD"), ("rc2", "RD"), ("ch5", "CHC"),
    ("spl2", "SPC"), ("cb", "CB"), ("sticks", "CL")])
def test_enst_labels_through_the_18_classes(label, expected):
    instrument, arts = classmaps.map_outside_label("enst", label)
    class_map, o = scheme("vogl18")
    assert class_map.map_event(instrument, arts, 96, o) == (expected,)


def test_enst_labels_left_out_and_unknown_labels():
    assert [classmaps.map_outside_label("enst", x) for x in ("sweep", "MTR", "ltr")] == [None] * 3
    assert classmaps.map_outside_label("enst", "rs") == (I.SNARE, frozenset({A.RIMSHOT}))
    with pytest.raises(ValueError, match="unknown enst label 'zz'; known: bd, cs"):
        classmaps.map_outside_label("enst", "zz")
    with pytest.raises(ValueError, match="unknown vocabulary 'idmt'; known: mdb, mdb-class"):
        classmaps.map_outside_label("idmt", "KD")


@pytest.mark.parametrize("label, expected", [
    ("35", "BD"), (38, "SD"), ("47", "TT"), ("42", "HH"), ("49", "CY+RD"), ("cy+rd", "CY+RD"),
    ("BD", "BD"), ("TT", "TT")])
def test_adtof_labels_round_trip_through_the_adtof_scheme(label, expected):
    class_map, o = scheme("adtof")
    assert class_map.map_event(*classmaps.map_outside_label("adtof", label), 96, o) == (expected,)


# ---------------------------------------------------------------------------------------
# The classes command
# ---------------------------------------------------------------------------------------
def test_classes_lists_schemes_with_the_default_marked(run_cli, tmp_path):
    code, out, _ = run_cli("classes")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["scheme", "classes", "source", "description"]
    assert any(line.startswith("drumtabber *") and " 5 " in line for line in lines)
    assert any(line.startswith("vogl18 ") and " 18 " in line for line in lines)
    assert any(line.startswith("onsets ") and " 7 " in line and "plugin drum_onsets" in line
               for line in lines)
    (tmp_path / "mine.toml").write_text(GOOD_SCHEME)
    code, out, _ = run_cli("classes", "--format", "json", "--scheme-file", tmp_path / "mine.toml")
    rows = {r["name"]: r for r in json.loads(out)}
    assert code == 0 and set(rows) == set(BUILTIN) | {ONSETS, "kshc"}
    assert rows["kshc"]["source"] == str(tmp_path / "mine.toml") and rows["drumtabber"]["default"]


def test_classes_shows_a_scheme_and_counts_a_folder_of_tabs(run_cli, tmp_path):
    # the may3beta header and legend (lines 1-28), then the hand-counted lines 40-53
    lines = MAY3BETA.read_text(encoding="utf-8").splitlines()
    (tmp_path / "tabs").mkdir()
    (tmp_path / "tabs" / "excerpt.txt").write_text("\n".join(lines[:28] + lines[39:53]) + "\n")
    code, out, err = run_cli("classes", "drumtabber", "--tabs", tmp_path / "tabs",
                             "--option", "hihat_classes=2", "-o", "keep_bells=true")
    assert code == 0
    assert "options: keep_dynamics=false keep_bells=true keep_toms_separate=false " \
           "hihat_classes=2" in out
    assert "classes (7): kick, snare, tom, hihat, hihat_open, cymbal, bell" in out
    assert re.search(r"\nride_bell +53  bell\n", out)
    assert "dropped on purpose: hand_clap, tambourine, cowbell" in out
    assert "1 file(s)" in out and "110 events, 0 dropped on purpose, 0 unmapped" in out
    chart = {line.split()[0]: line.split()[1] for line in out.split("unmapped\n")[1].splitlines()}
    assert chart == {"kick": "14", "snare": "9", "tom": "6", "hihat": "62", "hihat_open": "17",
                     "cymbal": "2", "bell": "0"}
    assert "warning: class 'bell' has no events" in err
    assert "warning: class 'kick' has only 14 event(s) (under 50)" in err


# tabtomidi_simple_4_4_beat.txt (JoshRosen/tabtomidi tests/testdata, BSD-3-Clause), two
# bars counted by eye: HH "o-------o---------------o-------" 3 open hats per bar, S 1 per bar,
# B "o-------o-------o-------o-------" 4 per bar: 6 hihat_open, 2 snare, 8 kick.
def test_classes_json_png_and_unmapped_findings(run_cli, tmp_path):
    scheme_file = tmp_path / "ks.toml"
    scheme_file.write_text('[classes]\nkick = ["kick"]\nsnare = ["snare"]\n')
    png = tmp_path / "counts.png"
    code, out, err = run_cli("classes", "ks", "--scheme-file", scheme_file, "--tabs",
                             SHARED_TABS / "tabtomidi_simple_4_4_beat.txt", "--format", "json",
                             "--png", png)
    assert code == 0
    report = json.loads(out)
    assert report["scheme"] == "ks" and report["classes"] == ["kick", "snare"]
    assert report["files"] == 1 and report["unmapped"] == {"hihat_open": 6}
    assert report["counts"] == {"kick": 8, "snare": 2} and report["events"] == 16
    assert "tabtomidi_simple_4_4_beat.txt:3:5: DT303 warning: hihat_open (GM 46, 6 hit(s))" in err
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_classes_gm_shows_only_the_notes_present(run_cli):
    code, out, err = run_cli("classes", "gm", "--tabs",
                             SHARED_TABS / "tabtomidi_simple_4_4_beat.txt")
    assert code == 0
    chart = out.split("unmapped\n")[1].splitlines()
    assert [line.split()[:2] for line in chart] == [["36", "8"], ["38", "2"], ["46", "6"]]
    assert "has no events" not in err


@pytest.mark.parametrize("args, code, message", [
    (["classes", "drumtabber", "-o", "hihat_classes"], 2, "--option expects KEY=VALUE"),
    (["classes", "-o", "hihat_classes=2"], 2, "--option needs a scheme NAME"),
    (["classes", "drumtabber", "--png", "x.png"], 2, "--png needs --tabs"),
    (["classes", "--format", "xml"], 2, "--format must be text or json"),
    (["classes", "nope"], 2, "unknown class map 'nope'; valid names: adtof"),
    (["classes", "drumtabber", "-o", "hihat_classes=5"], 2, "expected 1, 2 or 3, found 5"),
    (["classes", "adtof", "-o", "x=1"], 2, "--option: adtof: unknown option(s) x"),
    (["classes", "drumtabber", "--tabs", "/no/such/folder"], 1, "no such file or folder"),
])
def test_classes_usage_and_input_errors(args, code, message, run_cli):
    got, _, err = run_cli(*args)
    assert got == code and message in err


def test_classes_rejects_a_bad_scheme_file_with_its_findings(run_cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[classes]\nkick = ["kik"]\n')
    code, out, err = run_cli("classes", "--scheme-file", bad)
    assert code == 1 and out == ""
    assert f"{bad}:2:9: DT302 error: class 'kick': unknown instrument 'kik'" in err


def test_classes_with_tabs_and_no_name_uses_the_configured_scheme(run_cli, tmp_path,
                                                                   monkeypatch):
    (tmp_path / "drumtabber.toml").write_text('[classes]\nscheme = "kd-sd-hh"\n')
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli("classes", "--tabs", SHARED_TABS / "tabtomidi_simple_4_4_beat.txt")
    assert code == 0 and out.startswith("scheme kd-sd-hh:")
    assert [line.split()[:2] for line in out.split("unmapped\n")[1].splitlines()] == [
        ["KD", "8"], ["SD", "2"], ["HH", "6"]]


def test_the_toml_example_in_the_docs_loads():
    from conftest import ROOT
    text = (ROOT / "docs" / "classes.md").read_text(encoding="utf-8")
    example = text.split("```toml\n")[1].split("```")[0]
    class_map, findings = parse_scheme(example, path="docs-example.toml")
    assert findings == [] and class_map.name == "kshc"
    assert class_map.classes() == ["kick", "snare", "hihat", "cymbal", "accent"]
    assert class_map.map_event(I.SNARE, frozenset({A.ACCENT}), 120) == ("snare", "accent")
    assert class_map.map_event(I.TOM_HIGH, frozenset(), 96) == ()


def test_class_counts_dataclass_helpers():
    counts = ClassCounts(["a", "b", "c"], {"a": 0, "b": 3, "c": 80})
    assert counts.empty() == ["a"] and counts.tiny() == ["b"] and counts.tiny(2) == []
