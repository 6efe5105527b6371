"""Clone Hero ``.chart`` drum charts (plugins/gm_midi/chart.py): lanes, pro-drums cymbal
markers, 5-lane charts, accents and ghosts, the chart's own tempo map and meters, and
findings with line numbers; charts the tests write themselves."""
from __future__ import annotations

import pytest

from drumtabber.plugin_manager import PluginManager
from drumtabber.tabs import load_tab

MANAGER = PluginManager(entry_points=False)
CHART = """[Song]
{
  Name = "Test"
  Offset = 0.25
  Resolution = 192
}
[SyncTrack]
{
  0 = TS 4
  0 = B 120000
  768 = B 150000
  1536 = TS 7 3
}
[ExpertDrums]
{
  0 = N 0 0
  0 = N 4 0
  0 = N 68 0
  192 = N 1 0
  192 = N 35 0
  288 = N 1 0
  288 = N 41 0
  384 = N 2 0
  384 = N 66 0
  480 = N 3 0
  576 = N 32 0
  768 = N 4 0
  1536 = N 0 0
}
"""


def write(tmp_path, text=CHART, ini=None):
    (tmp_path / "notes.chart").write_text(text)
    if ini is not None:
        (tmp_path / "song.ini").write_text(ini)
    return load_tab(tmp_path / "notes.chart", MANAGER)


def hits(result):
    return [(e.instrument.value, e.velocity) for e in result.score.sorted_events()]


def test_a_pro_chart_with_markers_accents_ghosts_tempo_and_meter(tmp_path):
    r = write(tmp_path, ini="[song]\npro_drums = True\n")
    assert hits(r) == [("kick", 96), ("crash", 96), ("snare", 127), ("snare", 40),
                       ("hihat_closed", 96), ("tom_high_mid", 96), ("kick", 96),
                       ("tom_floor_high", 96), ("kick", 96)]
    # 120 BPM for 4 quarters, then 150 BPM: tick 768 at 2.0 s, tick 1536 at 3.6 s
    times = dict(zip([(e.bar, e.beat) for e in r.score.events], r.performed_s))
    assert r.performed_s[0] == 0.0 and round(max(r.performed_s), 6) == 3.6
    assert [str(b.meter) for b in r.score.bars][:3] == ["4/4", "4/4", "7/8"]
    assert any("Offset 0.25 s" in f.message for f in r.findings) and times
    assert not [f for f in r.findings if f.severity.value == "error"]


def test_without_pro_drums_the_pads_are_hi_hat_tom_and_crash(tmp_path):
    text = CHART.replace("  0 = N 68 0\n", "").replace("  384 = N 66 0\n", "")
    assert [i for i, _ in hits(write(tmp_path, text))][:6] == [
        "kick", "crash", "snare", "snare", "hihat_closed", "tom_high_mid"]


def test_a_five_lane_chart(tmp_path):
    text = CHART.replace("  1536 = N 0 0\n", "  1536 = N 5 0\n")
    r = write(tmp_path, text, ini="[song]\nfive_lane_drums = True\n")
    assert hits(r)[-1] == ("tom_floor_high", 96) and hits(r)[1] == ("crash", 96)


@pytest.mark.parametrize("text, code, line, message", [
    (CHART.replace("  1536 = N 0 0\n", "  1536 = Q 0 0\n"), "DT103", 28, "cannot read"),
    (CHART.replace("  1536 = N 0 0\n", "  1536 = N 9 0\n"), "DT101", 28, "unknown drum lane 9"),
    (CHART.replace("768 = B 150000", "768 = B fast"), "DT110", 11, "[SyncTrack]"),
    (CHART.replace("[ExpertDrums]", "[ExpertSingle]"), "DT002", 1, "no drum track"),
    ("just text\n", "DT001", 1, "not a .chart file"),
])
def test_bad_lines_are_findings_with_their_line(tmp_path, text, code, line, message):
    r = write(tmp_path, text)
    found = [f for f in r.findings if f.code == code]
    assert found and found[0].line == line and message in found[0].message, r.findings


def test_validate_and_show_read_charts(tmp_path, run_cli):
    write(tmp_path)
    code, out, err = run_cli("show", tmp_path / "notes.chart", "--format", "csv")
    assert code == 0 and out.count("\n") == 10, err
    code, out, _ = run_cli("validate", tmp_path)
    assert code == 0


def test_a_charts_own_tempo_is_its_alignment(tmp_path):
    """An alignment file for a chart only adds the recording and its offset."""
    from drumtabber.alignment import load_song
    write(tmp_path, ini="[song]\npro_drums = True\n")
    (tmp_path / "song.toml").write_text('tab = "notes.chart"\n[audio]\nfile = "song.ogg"\n'
                                        "[tempo]\noffset_s = 0.25\n")
    song, findings = load_song(tmp_path / "song.toml", MANAGER)
    assert song is not None, findings
    times = sorted(set(round(t, 6) for t in song.onsets["time"]))
    assert times == [0.25, 0.75, 1.0, 1.25, 1.5, 1.75, 2.25, 3.85]
