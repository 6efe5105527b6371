"""The linter: every tab and alignment file under some paths, every problem a coded finding;
never an exception."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

from ..errors import DrumtabberError
from ..findings import Finding
from ..tabs import iter_input_files, load_tab, tab_suffixes
from .files import alignment_suffixes
from .song import load_song


def validate_alignment(path: Path, manager, *, audio_dir: Path | None = None,
                       settings: dict | None = None) -> list[Finding]:
    """Findings about one alignment file (its own DT2xx checks; lint the tab separately)."""
    try:
        _, findings = load_song(path, manager, audio_dir=audio_dir, settings=settings)
    except DrumtabberError as exc:
        return [Finding(str(path), exc.line or 1, 1, exc.code or "DT201", exc.message)]
    except Exception as exc:  # a bug must not stop a run over many files
        return [Finding(str(path), 1, 1, "DT000", f"{type(exc).__name__}: {exc}")]
    # the tab's own findings come from linting the tab
    return [f for f in findings if f.code.startswith("DT2") or f.path == str(path)]


def validate_paths(paths: Iterable[Path], manager, *, options: dict | None = None,
                   settings: dict | None = None, progress=None,
                   audio_dir: Path | None = None) -> list[Finding]:
    """All findings for the tab and alignment files in ``paths`` (files and folders)."""
    paths = [Path(p) for p in paths]
    aligned = alignment_suffixes(manager)
    findings = [Finding(str(p), 1, 1, "DT001", "no such file or folder")
                for p in paths if not p.exists()]
    files = list(iter_input_files([p for p in paths if p.exists()],
                                  tuple(sorted(set(tab_suffixes(manager)) | set(aligned)))))
    for path in (progress(files) if progress else files):
        if path.suffix.lower() in aligned:
            findings.extend(validate_alignment(path, manager, audio_dir=audio_dir,
                                               settings=settings))
        else:
            findings.extend(load_tab(path, manager, options=options,
                                     settings=settings).findings)
    return findings
