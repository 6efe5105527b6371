"""Optional parts of drumtabber and the Python packages each needs.

``pip install drumtabber`` reads tabs and alignment files (``validate``, ``show``, ``align``,
``classes``); audio work needs the ``audio`` extra, models the ``models`` extra.  A command
that reaches a missing package stops with exit status 2 and names the extra to install.
"""
from __future__ import annotations

from .errors import DrumtabberError

# Top-level module name -> the extra that installs it (pyproject.toml [project.optional-dependencies]).
EXTRA_OF_MODULE = {
    "librosa": "audio", "madmom": "audio", "soundfile": "audio", "scipy": "audio",
    "matplotlib": "audio", "soxr": "audio", "mir_eval": "audio", "pyarrow": "audio",
    "audiomentations": "audio",
    "keras": "models", "tensorflow": "models", "music21": "notation",
    "jams": "export", "distributed": "export", "dask": "export",
}


class MissingExtraError(DrumtabberError):
    """A package of an optional extra is not installed (wrong set-up: exit status 2)."""


def missing_extra(module_name: str | None) -> MissingExtraError | None:
    """The error to show for an ImportError of ``module_name``, or None when that module
    belongs to no extra (a real bug, not a set-up problem)."""
    top = (module_name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    return MissingExtraError(f"this needs the Python package {top!r}, part of drumtabber's "
                             f"[{extra}] extra: pip install 'drumtabber[{extra}]'")
