"""MusicXML percussion parts (plugins/musicxml.py, music21): instruments from
``<midi-unpitched>`` (1-based) or the staff position, time signatures, tempo as the file's
own timing, ``.mxl`` files, and our own transcription's MusicXML read back."""
from __future__ import annotations

import zipfile

import pytest

from conftest import ROOT
from drumtabber.plugin_manager import PluginManager
from drumtabber.tabs import load_tab

pytest.importorskip("music21")
MANAGER = PluginManager(entry_points=False)
NOTE = ('<note>{chord}<unpitched><display-step>{step}</display-step><display-octave>{octave}'
        '</display-octave></unpitched><duration>{d}</duration>{inst}<voice>1</voice></note>')


def xml(notes: str, tempo: str = '<direction><sound tempo="100"/></direction>') -> str:
    instruments = "".join(
        f'<score-instrument id="I{n}"><instrument-name>{n}</instrument-name></score-instrument>'
        f'<midi-instrument id="I{n}"><midi-channel>10</midi-channel><midi-unpitched>{n}'
        f'</midi-unpitched></midi-instrument>' for n in (37, 39, 43, 50))
    return ('<?xml version="1.0" encoding="UTF-8"?><score-partwise version="4.0"><part-list>'
            f'<score-part id="P1"><part-name>Drums</part-name>{instruments}</score-part>'
            '</part-list><part id="P1"><measure number="1"><attributes><divisions>2</divisions>'
            '<time><beats>4</beats><beat-type>4</beat-type></time></attributes>'
            f'{tempo}{notes}</measure><measure number="2"><attributes><time><beats>3</beats>'
            '<beat-type>4</beat-type></time></attributes>'
            + NOTE.format(chord="", step="E", octave=5, d=6, inst='<instrument id="I50"/>')
            + '</measure></part></score-partwise>')


def note(step, octave, d, inst=None, chord=False):
    return NOTE.format(chord="<chord/>" if chord else "", step=step, octave=octave, d=d,
                       inst=f'<instrument id="I{inst}"/>' if inst else "")


BAR = (note("F", 4, 2, 37) + note("G", 5, 2, 43, chord=True) + note("C", 5, 1, 39)
       + '<note><rest/><duration>1</duration><voice>1</voice></note>' + note("F", 4, 4, 37))


def parse(tmp_path, text, name="drums.musicxml"):
    path = tmp_path / name
    path.write_text(text)
    return load_tab(path, MANAGER)


def test_instruments_positions_meters_and_tempo(tmp_path):
    r = parse(tmp_path, xml(BAR))
    got = [(e.bar, e.beat, e.instrument.value) for e in r.score.events]
    assert got == [(0, 0, "kick"), (0, 0, "hihat_closed"), (0, 1, "snare"), (0, 2, "kick"),
                   (1, 0, "crash")]     # midi-unpitched 50 is GM 49 (1-based), not the E5 tom
    assert [str(b.meter) for b in r.score.bars] == ["4/4", "3/4"]
    assert [round(t, 6) for t in r.performed_s] == [0.0, 0.0, 0.6, 1.2, 2.4]    # 100 BPM


def test_staff_positions_without_instruments_and_mxl(tmp_path):
    plain = BAR.replace('<instrument id="I37"/>', "").replace('<instrument id="I43"/>', "") \
        .replace('<instrument id="I39"/>', "")
    a = parse(tmp_path, xml(plain, tempo=""))
    assert [e.instrument.value for e in a.score.events][:4] == ["kick", "hihat_closed",
                                                                "snare", "kick"]
    assert round(a.performed_s[2], 6) == 0.5                      # no tempo: 120 BPM
    with zipfile.ZipFile(tmp_path / "drums.mxl", "w") as z:
        z.writestr("META-INF/container.xml", "<container/>")
        z.writestr("score.xml", xml(BAR))
    b = load_tab(tmp_path / "drums.mxl", MANAGER)
    assert [e.instrument.value for e in b.score.events][0] == "kick" and len(b.score.events) == 5


def test_our_transcriptions_musicxml_reads_back(tmp_path):
    from drumtabber.transcribe.notation import write_musicxml
    tab = load_tab(ROOT / "tabs" / "example_shuffle.txt", MANAGER)
    write_musicxml(tab.score, tmp_path / "shuffle.musicxml")
    back = load_tab(tmp_path / "shuffle.musicxml", MANAGER)

    def where(score, family):
        return sorted((e.bar, e.beat) for e in score.events if e.instrument.family == family)
    for family in ("kick", "snare"):
        assert where(back.score, family) == sorted(set(where(tab.score, family)))
    assert len(back.score.bars) == len(tab.score.bars)


@pytest.mark.parametrize("text, code", [("not xml at all", "DT001"),
                                        (xml(BAR).replace("unpitched", "pitch"), "DT001")])
def test_bad_files_are_findings(tmp_path, text, code):
    r = parse(tmp_path, text)
    assert any(f.code in (code, "DT002") for f in r.findings) and not r.score.events


# -- convert ------------------------------------------------------------------------------
def test_convert_between_sources_keeps_the_strokes(tmp_path, run_cli):
    """A tab to drum MIDI and back, and a MusicXML file to a tab: the same strokes; a
    written tab is read back by the command itself."""
    from drumtabber.transcribe.convert import hits
    source = ROOT / "tabs" / "example_shuffle.txt"
    original = load_tab(source, MANAGER).score
    for a, b in ((source, tmp_path / "s.mid"), (tmp_path / "s.mid", tmp_path / "s.txt"),
                 (source, tmp_path / "s.musicxml")):
        code, _, err = run_cli("convert", a, b)
        assert code == 0, err
    assert hits(load_tab(tmp_path / "s.txt", MANAGER).score) == hits(original)
    assert hits(load_tab(tmp_path / "s.mid", MANAGER).score) == hits(original)
    (tmp_path / "d.musicxml").write_text(xml(BAR))
    code, _, err = run_cli("convert", tmp_path / "d.musicxml", tmp_path / "d.txt")
    assert code == 0, err
    assert [e.instrument.value for e in load_tab(tmp_path / "d.txt", MANAGER).score
            .sorted_events()][:3] == ["kick", "hihat_closed", "snare"]


def test_convert_refuses_bad_sources_and_outputs(tmp_path, run_cli):
    (tmp_path / "bad.txt").write_text("HH|x-x-|\nSD|-?o-|\n")
    code, _, err = run_cli("convert", tmp_path / "bad.txt", tmp_path / "o.mid")
    assert code == 1 and "nothing converted" in err and not (tmp_path / "o.mid").exists()
    source = ROOT / "tabs" / "example_shuffle.txt"
    code, _, err = run_cli("convert", source, tmp_path / "o.pdf")
    assert code == 2 and "expected a file ending in .txt" in err, err
    (tmp_path / "o.mid").write_bytes(b"keep")
    code, _, err = run_cli("convert", source, tmp_path / "o.mid")
    assert code == 1 and "exists (use --force" in err
    assert (tmp_path / "o.mid").read_bytes() == b"keep"
