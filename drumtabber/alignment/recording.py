"""The recording of an alignment file: finding it and checking it against the labels."""
from __future__ import annotations

import hashlib
from pathlib import Path

from ..audio.io import MAX_RECORDING_BYTES, audio_duration
from ..errors import DrumtabberError
from ..findings import Finding
from ..textio import input_file_problem
from .files import Alignment

# A recording whose length differs from the alignment file's duration_s by more than this is
# reported (container padding and decoder delay stay well under it).
DURATION_TOLERANCE_S = 0.5


def file_sha256(path, *, chunk: int = 2**20) -> str:
    """The SHA-256 of a file, read in ``chunk``-byte pieces (memory stays bounded)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def find_audio(a: Alignment, audio_dir: Path) -> Path | None:
    """The recording: under ``audio_dir`` (searched recursively by file name), else beside the
    alignment file (the seed project keeps a song's recording in the song's folder)."""
    if not a.audio_file:
        return None
    direct = audio_dir / a.audio_file
    if direct.is_file():
        return direct
    matches = sorted(audio_dir.rglob(Path(a.audio_file).name)) if audio_dir.is_dir() else []
    if matches:
        return matches[0]
    beside = a.path.parent / a.audio_file
    return beside if beside.is_file() else None


def check_audio(a: Alignment, onsets, audio_dir: Path) -> list[Finding]:
    """Checks against the recording: it exists, its checksum and duration match, and the
    last onset falls before its end."""
    line = 1
    findings = []
    if not a.audio_file:
        return [Finding(str(a.path), 1, 1, "DT208", "no [audio] file named: nothing to check")]
    path = find_audio(a, audio_dir)
    if path is None:
        return [Finding(str(a.path), line, 1, "DT208",
                        f"recording {a.audio_file!r} not found under {audio_dir}")]
    problem = input_file_problem(path, limit=MAX_RECORDING_BYTES)
    if problem:
        return [Finding(str(a.path), line, 1, "DT208", f"the recording {path} {problem}")]
    if a.sha256:
        digest = file_sha256(path)
        if digest.lower() != a.sha256.lower():
            findings.append(Finding(str(a.path), line, 1, "DT209",
                                    f"{path.name}: sha256 is {digest}, the alignment file says "
                                    f"{a.sha256}: a different recording or encoding"))
    try:
        duration = audio_duration(path)
    except DrumtabberError as exc:
        findings.append(Finding(str(a.path), line, 1, "DT208",
                                f"{path.name}: cannot read the recording: {exc.message}"))
        return findings
    if a.duration_s is not None and abs(duration - a.duration_s) > DURATION_TOLERANCE_S:
        findings.append(Finding(str(a.path), line, 1, "DT210",
                                f"{path.name} lasts {duration:.2f} s, the alignment file says "
                                f"{a.duration_s:.2f} s"))
    if len(onsets) and onsets["time"].iloc[-1] > duration:
        findings.append(Finding(str(a.path), line, 1, "DT207",
                                f"last onset at {onsets['time'].iloc[-1]:.3f} s is after the end of "
                                f"{path.name} ({duration:.3f} s)"))
    return findings
