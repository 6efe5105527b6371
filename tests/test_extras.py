"""Install in layers: the base install reads tabs and alignment files; audio and models are
extras, and a command that needs a missing one exits 2 naming the extra."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import ROOT
from drumtabber.extras import EXTRA_OF_MODULE, MissingExtraError, missing_extra

# What the audio and models extras bring; blocked below to stand for a base install.
EXTRA_MODULES = sorted(EXTRA_OF_MODULE)


def run_without_extras(*args, cwd=ROOT, blocked=EXTRA_MODULES):
    """``drumtabber-data ARGS`` in a fresh interpreter where the extras' packages cannot be
    imported (None in sys.modules makes ``import`` fail as for a missing package)."""
    code = ("import sys\n"
            f"for name in {list(blocked)!r}: sys.modules[name] = None\n"
            "from drumtabber.cli import main\n"
            f"main({[str(a) for a in args]!r})\n")
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, timeout=300)


def test_missing_extra_names_the_extra():
    error = missing_extra("madmom.features.onsets")
    assert isinstance(error, MissingExtraError)
    assert "[audio]" in str(error) and "pip install 'drumtabber[audio]'" in str(error)
    assert "[models]" in str(missing_extra("keras"))
    assert missing_extra("no_such_module") is None          # a real bug, not a set-up one


def test_tab_work_needs_no_extra():
    for args in (["validate", "tabs", "alignments"], ["show", "tabs/example_shuffle.txt"],
                 ["align", "alignments/may3beta.toml"], ["classes", "drumtabber", "--tabs",
                                                         "tabs"], ["plugins"], ["kits"]):
        done = run_without_extras(*args)
        assert done.returncode == 0, (args, done.stderr[-2000:])
    assert "kick" in run_without_extras("align", "alignments/may3beta.toml").stdout


@pytest.mark.parametrize("args, extra", [
    (["check", "alignments/example_shuffle.toml", "--audio-dir", "tests"], "audio"),
    (["align", "alignments/example_shuffle.toml", "--refine", "--model", "none", "--audio-dir",
      "tests"], "audio"),
    (["align", "alignments/example_shuffle.toml", "--refine", "--audio-dir", "tests"], "models"),
])
def test_audio_commands_without_the_extra_exit_2_naming_it(args, extra, tmp_path):
    # a recording must be found before the audio packages are needed
    (tmp_path / "example_shuffle.wav").write_bytes(b"RIFF")
    args = [a if a != "tests" else tmp_path for a in args]
    done = run_without_extras(*args)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"[{extra}] extra" in done.stderr and "Traceback" not in done.stderr


def test_model_commands_without_the_models_extra_exit_2(tmp_path):
    done = run_without_extras("align", "alignments/example_shuffle.toml", "--refine",
                              "--audio-dir", tmp_path, blocked=["keras", "tensorflow"])
    assert done.returncode == 2, done.stderr[-2000:]
    assert "[models] extra" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_fresh_install_without_extras_validates_the_tabs(tmp_path):
    """pip install of the project alone (no extras) into a new virtual environment: the tab
    contributor's set-up.  Needs the package index; a few minutes."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(ROOT)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]
    site = subprocess.run([str(python), "-c", "import drumtabber.plugins, importlib.util as u;"
                           "print(u.find_spec('librosa') is None, u.find_spec('plugins') is None)"],
                          capture_output=True, text=True, cwd=tmp_path)
    assert site.stdout.split() == ["True", "True"]      # no extras; no bare `plugins` package
    exe = env_dir / "bin" / "drumtabber-data"
    env = {**os.environ, "PATH": f"{env_dir / 'bin'}:{os.environ['PATH']}"}
    done = subprocess.run([str(exe), "validate", str(ROOT / "tabs"), str(ROOT / "alignments")],
                          capture_output=True, text=True, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    check = subprocess.run([str(exe), "check", str(ROOT / "alignments" / "may3beta.toml"),
                            "--audio-dir", str(tmp_path)], capture_output=True, text=True,
                           cwd=tmp_path, env=env)
    assert check.returncode in (1, 2) and "Traceback" not in check.stderr
    assert Path(exe).is_file()
