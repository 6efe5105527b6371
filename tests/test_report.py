"""``drumtabber-data run``: the main job on the bundled examples, its second run from the
cache, broken songs reported while the rest finish, and the HTML report in a real headless
browser (Debian's chromium through Playwright)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from drumtabber.plugin_manager import PluginManager

MANAGER = PluginManager(entry_points=False)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if not MANAGER.get("kit", "fluid-gm").installed:
        pytest.skip("no soundfont kit installed")
    from drumtabber.cli import main
    out = tmp_path_factory.mktemp("run")
    with pytest.raises(SystemExit) as exc:
        main(["run", "--out", str(out)])
    assert exc.value.code in (0, None)
    return out


def test_the_main_job_writes_every_part_of_the_report(report):
    result = json.loads((report / "report.json").read_text())
    names = {s["song"] for s in result["songs"]}
    assert names == {p.stem for p in (ROOT / "alignments").glob("*.toml")}
    for s in result["songs"]:
        assert not s["error"], s
        for key in ("audio", "clicks", "png"):
            assert (report / s[key]).is_file() and (report / s[key]).stat().st_size > 1000
        assert s["check"]["verdict"] == "good"
        # the render is humanised: refinement moves the tab's labels onto the strokes
        assert s["refine"]["f10_after"] >= s["check"]["f10_before"] - 0.02
        assert s["refine"]["f10_after"] >= 0.9
        assert s["scores"]["sum"] > 0.7 and set(s["classes"])
        assert "|" in s["transcribed_tab"] and s["tab_text"]
    assert max(s["refine"]["f10_after"] - s["check"]["f10_before"]
               for s in result["songs"]) > 0.2
    assert result["dataset"]["songs"] == len(names)
    assert (report / "dataset" / "manifest.json").is_file()
    page = (report / "index.html").read_text()
    assert page.count("<audio") == 2 * len(names) and page.count("<img") == len(names)
    assert "http://" not in page and "https://" not in page and "<script" not in page


def test_a_second_run_reuses_the_work(report, run_cli):
    code, _, err = run_cli("run", "--out", report)
    assert code == 0, err
    result = json.loads((report / "report.json").read_text())
    assert result["reused"] == 3 * len(result["songs"])    # render, check, transcription


def test_broken_songs_are_reported_and_the_rest_finish(tmp_path, run_cli):
    if not MANAGER.get("kit", "fluid-gm").installed:
        pytest.skip("no soundfont kit installed")
    tabs, alignments = tmp_path / "tabs", tmp_path / "alignments"
    tabs.mkdir()
    alignments.mkdir()
    shutil.copy(ROOT / "tabs" / "example_shuffle.txt", tabs)
    text = (ROOT / "alignments" / "example_shuffle.toml").read_text()
    (alignments / "good.toml").write_text(text)
    (alignments / "bad_tempo.toml").write_text(text.replace("bpm = 96", 'bpm = "fast"'))
    (tabs / "broken.txt").write_bytes(b"\x00\x01\x02 not a tab \xff" * 50)
    (alignments / "broken.toml").write_text(text.replace("example_shuffle.txt", "broken.txt"))
    code, out, err = run_cli("run", "--out", tmp_path / "out", "--alignments", alignments,
                             "--tabs", tabs)
    assert code == 1 and "2 of 3 songs failed" in err and "Traceback" not in err, err
    assert "bad_tempo: FAILED" in err and "broken: FAILED" in err and "good: good" in err
    result = json.loads((tmp_path / "out" / "report.json").read_text())
    done = [s for s in result["songs"] if not s["error"]]
    assert [s["song"] for s in done] == ["good"] and result["dataset"]["songs"] == 1
    page = (tmp_path / "out" / "index.html").read_text()
    assert "not processed" in page and "bad_tempo" in page


@pytest.mark.skipif(not CHROMIUM, reason="Debian's chromium is not installed")
def test_the_report_in_a_headless_browser(report, tmp_path):
    """Every image decodes, every audio element can play, no request fails and the console
    shows no error; a screenshot is saved."""
    playwright = pytest.importorskip("playwright.sync_api")
    failed, errors = [], []
    with playwright.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=BROWSER_ARGS,
            headless=True, viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((report / "index.html").as_uri(), wait_until="load")
        page.wait_for_function("[...document.images].every(i => i.complete)", timeout=20000)
        widths = page.evaluate("[...document.images].map(i => i.naturalWidth)")
        page.wait_for_function("[...document.querySelectorAll('audio')].every("
                               "a => a.readyState >= 2)", timeout=30000)
        states = page.evaluate("[...document.querySelectorAll('audio')].map(a => a.readyState)")
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=False)
        context.close()
    assert widths and all(w > 0 for w in widths)
    assert states and all(s >= 2 for s in states)
    assert failed == [] and errors == []
    assert shot.stat().st_size > 10000
