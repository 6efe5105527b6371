"""Shared fixtures: paths to the read-only shared data and an in-process CLI runner."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_TABS = ROOT.parent / "shared" / "data" / "tabs"


@pytest.fixture
def run_cli(capsys):
    """Run ``drumtabber-data ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from drumtabber.cli import main

    def run(*args):
        with pytest.raises(SystemExit) as exc:
            main([str(a) for a in args])
        out = capsys.readouterr()
        return exc.value.code or 0, out.out, out.err
    return run
