"""Loading audio: wav, flac, ogg and mp3 as float32 at a chosen rate; writing a render."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DrumtabberError
from ..textio import input_file_problem

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")
# The largest recording read: 4 GB holds over 3 hours of 44.1 kHz stereo float32, far longer
# than any song, and keeps a device or a runaway file from being hashed or decoded for ever.
MAX_RECORDING_BYTES = 4 * 2**30


class AudioError(DrumtabberError):
    """An audio file is missing, corrupt or in a format we cannot read."""


def load_audio(path, *, sample_rate: int | None = None, mono: bool = True
               ) -> tuple[np.ndarray, int]:
    """Read an audio file as float32.

    Parameters
    ----------
    path : str or Path
        A .wav, .flac, .ogg or .mp3 file.
    sample_rate : int or None
        Resample to this rate (soxr, via librosa); None keeps the file's rate.
    mono : bool
        Average the channels.

    Returns
    -------
    samples : np.ndarray, shape (n,) if mono else (channels, n)
    sample_rate : int
    """
    import soundfile

    path = Path(path)
    if not path.exists():
        raise AudioError("audio file not found", path=path)
    problem = input_file_problem(path, limit=MAX_RECORDING_BYTES)
    if problem:
        raise AudioError(f"the audio file {problem}", path=path)
    if path.suffix.lower() not in AUDIO_SUFFIXES:
        raise AudioError(f"unsupported audio format {path.suffix!r}; expected one of "
                         f"{', '.join(AUDIO_SUFFIXES)}", path=path)
    try:
        samples, rate = _read_samples(soundfile, path, mono=mono)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        reason = str(exc)
        if "not a regular file" in reason or "does not exist" in reason:
            reason = "libsndfile does not recognise the data"   # its message for bad data
        raise AudioError(f"cannot decode audio (corrupt or not {path.suffix[1:]}): {reason}",
                         path=path) from None
    if samples.size == 0:
        raise AudioError("audio file holds no samples", path=path)
    if not np.all(np.isfinite(samples)):
        raise AudioError("audio holds samples that are not finite numbers (NaN or infinity)",
                         path=path)
    if sample_rate is not None and sample_rate != rate:
        samples = resample(samples, rate, sample_rate)
        rate = sample_rate
    return np.ascontiguousarray(samples, dtype=np.float32), int(rate)


# Frames decoded at a time when mixing down to mono: the whole file is never held twice.
READ_BLOCK_FRAMES = 2**20


def _read_samples(soundfile, path: Path, *, mono: bool):
    """``(samples, rate)``: mono float32 mixed block by block (one array of the file's
    length), or all channels ``(channels, n)``."""
    with soundfile.SoundFile(str(path)) as fh:
        rate = fh.samplerate
        if not mono:
            return fh.read(dtype="float32", always_2d=True).T, rate
        out = np.empty(max(fh.frames, 0), dtype=np.float32)
        at = 0
        for block in fh.blocks(blocksize=READ_BLOCK_FRAMES, dtype="float32", always_2d=True):
            if at + len(block) > len(out):       # a length the header got wrong (mp3)
                out = np.concatenate([out, np.empty(at + len(block) - len(out), np.float32)])
            out[at:at + len(block)] = block.mean(axis=1)
            at += len(block)
        return out[:at], rate


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """``samples`` (shape (..., n)) at ``to_rate`` (soxr, via librosa), float32; the same
    array when the rates agree."""
    if from_rate == to_rate:
        return samples
    import librosa
    return librosa.resample(np.asarray(samples, dtype=np.float32), orig_sr=from_rate,
                            target_sr=to_rate, res_type="soxr_hq").astype(np.float32)


def audio_duration(path) -> float:
    """Length of an audio file in seconds, from its header; AudioError when unreadable."""
    import soundfile
    try:
        return float(soundfile.info(str(path)).duration)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise AudioError(f"cannot read the audio file: {exc}", path=path) from None


def write_render(out_path, samples: np.ndarray, sample_rate: int) -> Path:
    """A kit's render written as 32-bit float audio of the type ``out_path`` names (WAV
    without a suffix), complete or not at all (:func:`drumtabber.outputs.output_files`)."""
    import soundfile
    from ..outputs import output_files
    out_path = Path(out_path)
    with output_files(out_path) as (partial,):
        try:
            soundfile.write(str(partial), samples, sample_rate, subtype="FLOAT",
                            format=out_path.suffix.lstrip(".").upper() or "WAV")
        except (OSError, RuntimeError, ValueError) as exc:
            raise DrumtabberError(f"cannot write the render: {exc}", path=out_path) from None
    return out_path
