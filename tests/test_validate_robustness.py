"""Validation never crashes, whatever the input: empty, binary, missing, huge, many, garbage.

Every bad input must come back as coded findings (and the right exit code), never as an
exception or a DT000 "internal error" finding.
"""
from __future__ import annotations

import json
import random
import re
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SHARED_TABS
from drumtabber.alignment.validate import validate_paths
from drumtabber.findings import CODES, Finding, Severity
from drumtabber.plugin_manager import PluginManager
from drumtabber.plugins.ascii_tab import vocab as V
from drumtabber.plugins.ascii_tab import AsciiTabOptions, parse_tab
from drumtabber.tabs import load_tab

# Size of the "huge file" inputs: a tab site page is ~15 kB, so 10 MB is ~700 pages in one.
HUGE_BYTES = 10_000_000
# Files in the "big folder" input (a whole crawled tab collection).
MANY_TABS = 10_000


@pytest.fixture(scope="module")
def manager():
    return PluginManager()


def codes(findings) -> list[str]:
    return [f.code for f in findings]


def assert_no_crash(findings, *, text: str | None = None) -> None:
    """Findings are well formed; none is an internal error (DT000 = a parser exception)."""
    assert isinstance(findings, list)
    assert all(isinstance(f, Finding) and f.code in CODES for f in findings)
    assert "DT000" not in codes(findings), [f.format() for f in findings if f.code == "DT000"]
    if text is not None:
        last = len(text.splitlines()) + 1
        assert all(1 <= f.line <= last and f.column >= 1 for f in findings), \
            [f.format() for f in findings if not 1 <= f.line <= last or f.column < 1]


# --------------------------------------------------------------------------------------
# Empty, binary and missing inputs
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [b"", b"\n\n\n", b"   \n\t\n", b"\xef\xbb\xbf", b"\r\n\r\n"],
                         ids=["empty", "newlines", "whitespace", "bom-only", "crlf-only"])
def test_empty_file_is_a_dt002_warning_and_exit_zero(tmp_path, manager, run_cli, data):
    path = tmp_path / "empty.txt"
    path.write_bytes(data)
    findings = validate_paths([path], manager)
    assert [(f.path, f.line, f.code, f.severity) for f in findings] == [
        (str(path), 1, "DT002", Severity.WARNING)]
    assert "no drum tab found" in findings[0].message
    code, out, err = run_cli("validate", path)
    assert code == 0
    assert f"{path}:1:1: DT002 warning: no drum tab found" in out
    assert "0 error(s), 1 warning(s)" in err


@pytest.mark.parametrize("data", [
    b"\x00",
    b"HH|x-x-x-x-|\nSD|----o---|\n\x00\x01\x02\x03",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4,
    bytes(random.Random(1).randrange(256) for _ in range(4096)) + b"\x00",
], ids=["nul", "tab-then-nul", "png", "random-bytes"])
def test_binary_file_is_a_dt001_error_with_its_path(tmp_path, manager, run_cli, data):
    path = tmp_path / "picture.txt"
    path.write_bytes(data)
    findings = validate_paths([path], manager)
    assert [(f.path, f.line, f.column, f.code, f.severity) for f in findings] == [
        (str(path), 1, 1, "DT001", Severity.ERROR)]
    assert "binary file (NUL bytes)" in findings[0].message
    code, out, err = run_cli("validate", path)
    assert code == 1
    assert f"{path}:1:1: DT001 error: binary file (NUL bytes)" in out
    assert "1 error(s), 0 warning(s)" in err


@pytest.mark.parametrize("name", ["no_such_tab.txt", "no_such_folder", "a/b/c.tab"])
def test_missing_path_is_a_dt001_error(tmp_path, manager, run_cli, name):
    path = tmp_path / name
    findings = validate_paths([path], manager)
    assert [(f.path, f.line, f.column, f.code, f.message) for f in findings] == [
        (str(path), 1, 1, "DT001", "no such file or folder")]
    code, out, _ = run_cli("validate", "--format", "json", path)
    assert code == 1
    assert [(f["path"], f["code"], f["severity"]) for f in json.loads(out)] == [
        (str(path), "DT001", "error")]


def test_missing_path_beside_good_ones_still_validates_the_rest(tmp_path, manager):
    good = tmp_path / "good.txt"
    good.write_text("HH|x-x-|\nBD|o-k-|\n")
    findings = validate_paths([tmp_path / "gone.txt", good], manager)
    assert [(f.path, f.code) for f in findings] == [
        (str(tmp_path / "gone.txt"), "DT001"), (str(good), "DT103")]


def test_load_tab_on_missing_file_or_folder_is_dt001(tmp_path, manager):
    result = load_tab(tmp_path / "gone.txt", manager)
    assert codes(result.findings) == ["DT001"]
    assert result.findings[0].message.startswith("cannot read file:")
    assert result.score.events == []
    result = load_tab(tmp_path, manager)            # a folder where a file is expected
    assert codes(result.findings) == ["DT001"]


# --------------------------------------------------------------------------------------
# Huge files (about 11 s for the real text, 2 s for the garbage, on one core)
# --------------------------------------------------------------------------------------
def _real_tab_text() -> str:
    if not SHARED_TABS.is_dir():
        pytest.skip(f"shared tabs not found: {SHARED_TABS}")
    return "\n".join(p.read_bytes().decode("cp1252") for p in sorted(SHARED_TABS.iterdir()))


def test_10mb_of_real_tab_text_is_read(tmp_path, manager):
    text = _real_tab_text()
    one_pass = parse_tab(text)
    copies = HUGE_BYTES // len(text) + 1
    path = tmp_path / "huge.txt"
    path.write_text(((text + "\n") * copies)[:HUGE_BYTES], encoding="utf-8")
    assert path.stat().st_size >= HUGE_BYTES
    result = load_tab(path, manager)
    assert_no_crash(result.findings)
    # Errors are allowed: one file's legend now applies to all the others.  Every copy is
    # read: at least (copies - 1) times the hits of one pass (the last copy is cut short).
    assert len(result.score.events) >= (copies - 1) * len(one_pass.score.events)


def test_10mb_of_printable_garbage_is_read(tmp_path, manager):
    rng = random.Random(0)
    path = tmp_path / "garbage.txt"
    path.write_text("".join(rng.choices(string.printable, k=HUGE_BYTES)), encoding="ascii")
    findings = validate_paths([path], manager)
    assert_no_crash(findings)


# One bar as wide as the file: about 4 s per MB (a Fraction per column), so the 10 MB case
# (about 45 s) runs only with -m slow.
@pytest.mark.parametrize("size", [500_000, pytest.param(HUGE_BYTES, marks=pytest.mark.slow)],
                         ids=["500kB", "10MB"])
def test_one_huge_line_is_read(tmp_path, manager, size):
    path = tmp_path / "one_line.txt"
    path.write_text("HH|" + "x-" * (size // 2) + "|\n")
    findings = validate_paths([path], manager)
    assert_no_crash(findings)
    assert not any(f.severity == Severity.ERROR for f in findings)


# --------------------------------------------------------------------------------------
# A folder of 10,000 tabs (about 2 s)
# --------------------------------------------------------------------------------------
GOOD_TAB = "HH|x-x-|\nSD|--o-|\nBD|o---|\n"
UNKNOWN_LABEL_TAB = "HH|x-x-|\nSD|--o-|\nZZ|x---|\n"     # DT101 at line 3, column 1
UNKNOWN_SYMBOL_TAB = "HH|x-x-|\nSD|--o-|\nBD|o-b-|\n"    # DT103 at line 3, column 6 ('b')


def test_folder_of_10000_tabs_lists_exactly_the_broken_ones(tmp_path, run_cli):
    folder = tmp_path / "tabs"
    sub = folder / "more"
    sub.mkdir(parents=True)
    expected = set()
    for i in range(MANY_TABS):
        path = (sub if i % 2 else folder) / f"tab{i:05d}.txt"
        if i % 97 == 0:
            path.write_text(UNKNOWN_LABEL_TAB)
            expected.add((str(path), 3, 1, "DT101"))
        elif i % 89 == 0:
            path.write_text(UNKNOWN_SYMBOL_TAB)
            expected.add((str(path), 3, 6, "DT103"))
        else:
            path.write_text(GOOD_TAB)
    assert len(expected) == 104 + 111
    code, out, err = run_cli("validate", "--format", "json", folder)
    assert code == 1
    found = json.loads(out)
    assert len(found) == len(expected)
    assert {(f["path"], f["line"], f["column"], f["code"]) for f in found} == expected
    assert all(f["severity"] == "error" for f in found)


# --------------------------------------------------------------------------------------
# Property tests: the parser never raises, and findings point inside the text
# --------------------------------------------------------------------------------------
TAB_PIECES = (sorted(V.LABELS)[::3] + ["ZZ", "GM42", "N81", "Snare:", "x", "X"]
              + ["|"] * 6 + ["-"] * 6 + ["--", "----", "="]
              + list("xXoOgGfFdDrRbB#@sScwW+*?k")
              + list("123456789") + ["e", "+", "&", "a", "te", "tq", "ts", "1e+a", "1 e & a"]
              + [" ", "  ", "\t", "\r", "\r\n"] + ["\n"] * 8
              + ["x2", "x3", "4x", " x12 ", "repeat 3 times", "(repeat 2x)", "Time: 3/4",
                 "Time: 0/4", "7/0", "6/8", "BPM: 120", "tempo 90", "=", ":", ",",
                 "x = hi-hat", "o = open hi-hat", "|-g-| = ghost note", "HH = ride",
                 "b = bell; hi-hat: s = foot", "Cymbals:", "Drums", "(", ")", "[", "]",
                 "\u2014", "\u2013", ".", "~", "count", "\u00b7", "\u2019"])

tab_like_text = st.lists(st.sampled_from(TAB_PIECES), max_size=120).map("".join)

_bar = st.text(alphabet="-xXoOgfdr#@bcsw+*?=.~ ", max_size=12)
_staff_line = st.builds(
    lambda label, sep, bars, post: label + sep + "|" + "|".join(bars) + "|" + post,
    st.sampled_from(sorted(V.LABELS) + ["ZZ", "GM42", "99", "x", "Snare:"]),
    st.sampled_from(["", " ", ":", "\t", "  "]), st.lists(_bar, min_size=1, max_size=4),
    st.sampled_from(["", " x2", "x3", " 2x", "  repeat 4 times", "|", "   "]))
_count_line = st.text(alphabet="0123456789e+&atqs .-|()[]", max_size=30).map(lambda s: "  " + s)
_bracket_line = st.text(alphabet="|-=_ x23", max_size=30)
tab_like_document = st.lists(
    st.one_of(_staff_line, _staff_line, _staff_line, _count_line, _bracket_line,
              st.sampled_from(TAB_PIECES), st.just("")),
    max_size=25).map("\n".join)

_PROPERTY_SETTINGS = settings(max_examples=300, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])


def check_parse(text: str, options: AsciiTabOptions | None = None) -> None:
    result = parse_tab(text, options=options)
    assert_no_crash(result.findings, text=text)
    assert all(1 <= e.line <= len(text.splitlines()) for e in result.score.events)


@_PROPERTY_SETTINGS
@given(st.text())
def test_parse_tab_never_raises_on_any_text(text):
    check_parse(text)


@_PROPERTY_SETTINGS
@given(tab_like_text)
def test_parse_tab_never_raises_on_tab_like_pieces(text):
    check_parse(text)


@_PROPERTY_SETTINGS
@given(tab_like_document, st.sampled_from(["4/4", "3/4", "6/8", "7/8", "5/4"]), st.booleans())
def test_parse_tab_never_raises_on_tab_like_documents(text, meter, read_legend):
    check_parse(text, AsciiTabOptions(default_meter=meter, read_legend=read_legend))


@pytest.mark.parametrize("text", ["HH|||", "HH||||\n", "SD:|||\nBD|o---|", "HH|||\n  1+2+"])
def test_staff_line_of_only_bar_lines_does_not_crash(text):
    result = parse_tab(text)
    assert_no_crash(result.findings, text=text)


def test_two_legend_entries_on_one_line_keep_their_meanings():
    result = parse_tab("HH|x-x-o-x-|\n\nx = closed hi-hat, o = open hi-hat\n")
    assert [e.instrument.value for e in result.score.events] == [
        "hihat_closed", "hihat_closed", "hihat_open", "hihat_closed"]


# --------------------------------------------------------------------------------------
# Encodings, line ends and tab characters
# --------------------------------------------------------------------------------------
ENCODING_TAB = """\
Drummer\u2019s groove \u2013 verse
Time: 4/4
BPM: 96

HH|x-x-x-x-x-x-x-x-|x-x-x-x-x-o-x-x-|
SD|----o-------o---|----o-------o-g-|
BD|o-------o-o-----|o-------o-o---o-|
  |1e+a2e+a3e+a4e+a|1e+a2e+a3e+a4e+a|

x = closed hi-hat
o = open hi-hat
"""

VARIANTS = {
    "utf8-lf": lambda t: t.encode("utf-8"),
    "utf8-bom": lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"),
    "cp1252": lambda t: t.encode("cp1252"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
    "cr": lambda t: t.replace("\n", "\r").encode("utf-8"),
    "tab-indent": lambda t: "\n".join("\t" + line for line in t.split("\n")).encode("utf-8"),
    "tab-after-label": lambda t: re.sub(r"(?m)^(HH|SD|BD|  )\|", "\\1\t|", t).encode("utf-8"),
    "cp1252-crlf-tabs": lambda t: "\r\n".join("\t" + line for line in t.split("\n"))
                                  .encode("cp1252"),
}


def hits(result) -> list[tuple]:
    """What was read, without columns (tab characters move them): bar, hit, line, label."""
    return [(e.bar, e.key(), e.line, e.label) for e in result.score.events]


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_encodings_line_ends_and_tabs_give_the_same_hits(tmp_path, manager, variant):
    base_path = tmp_path / "base.txt"
    base_path.write_bytes(VARIANTS["utf8-lf"](ENCODING_TAB))
    base = load_tab(base_path, manager)
    path = tmp_path / f"{variant}.txt"
    path.write_bytes(VARIANTS[variant](ENCODING_TAB))
    result = load_tab(path, manager)
    assert hits(result) == hits(base)
    assert result.score.meter_hint == base.score.meter_hint
    assert result.score.tempo_hint_bpm == base.score.tempo_hint_bpm == 96
    legacy = [f for f in result.findings if f.code == "DT003"]
    if variant.startswith("cp1252"):
        # 0x92 (the apostrophe) on line 1 is not UTF-8: one info finding, on that line.
        assert [(f.line, f.severity) for f in legacy] == [(1, Severity.INFO)]
        assert "read as cp1252" in legacy[0].message
    else:
        assert legacy == []
    others = [(f.line, f.code) for f in result.findings if f.code != "DT003"]
    assert others == [(f.line, f.code) for f in base.findings]


def test_encoding_tab_reads_as_written(tmp_path, manager):
    path = tmp_path / "tab.txt"
    path.write_bytes(ENCODING_TAB.encode("utf-8"))
    result = load_tab(path, manager)
    assert not any(f.severity == Severity.ERROR for f in result.findings)
    assert len(result.score.bars) == 2
    by_label = {lab: [e for e in result.score.events if e.label == lab]
                for lab in ("HH", "SD", "BD")}
    assert [len(by_label[lab]) for lab in ("HH", "SD", "BD")] == [16, 5, 7]
    assert [e.instrument.value for e in by_label["HH"]].count("hihat_open") == 1
    assert codes(result.findings) == ["DT111", "DT111"]     # meter and tempo hints


@pytest.mark.parametrize("name", sorted(p.name for p in SHARED_TABS.glob("*.txt")))
def test_real_tabs_read_the_same_with_crlf_and_as_utf8(tmp_path, manager, name):
    raw = (SHARED_TABS / name).read_bytes()
    base = load_tab(SHARED_TABS / name, manager)
    text = raw.decode("utf-8", errors="strict") if "DT003" not in codes(base.findings) \
        else raw.decode("cp1252")
    for data in (text.replace("\n", "\r\n").encode("utf-8"),
                 text.replace("\n", "\r\n").encode("cp1252")):
        path = tmp_path / name
        path.write_bytes(data)
        result = load_tab(path, manager)
        assert hits(result) == hits(base)
        assert ([(f.line, f.code) for f in result.findings if f.code != "DT003"]
                == [(f.line, f.code) for f in base.findings if f.code != "DT003"])
