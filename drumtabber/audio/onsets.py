"""Onsets in audio: madmom's onset and beat activations, peak picking, fine and per-family
band envelopes.  The signal-level tools the alignment checks and refinement use."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .io import resample

# Onset detection runs at 100 frames per second (madmom's CNN onset model, Schlüter & Böck,
# ICASSP 2014); its peak picking threshold and smoothing are madmom's defaults for that model.
ONSET_FPS = 100
MADMOM_SAMPLE_RATE = 44100       # the rate madmom's onset and beat models were trained at
ONSET_THRESHOLD = 0.2


@dataclass
class Envelope:
    """An onset envelope and the time (s) of each of its frames."""

    values: np.ndarray          # (frames,)
    times_s: np.ndarray         # (frames,)


@dataclass
class BandEnvelopes:
    """Onset envelopes on one time axis, keyed by instrument family (or class index)."""

    times_s: np.ndarray                         # (frames,)
    curves: dict                                # key -> (frames,)


def peak_offset(a, b, c):
    """Where the parabola through three neighbouring values ``a, b, c`` (b the middle frame)
    peaks, in frames from b (between -0.5 and 0.5; 0 where it has no maximum).  Arrays work
    element by element."""
    a, b, c = (np.asarray(x, dtype=np.float64) for x in (a, b, c))
    denom = a - 2 * b + c
    return np.where(denom < 0, 0.5 * (a - c) / np.where(denom < 0, denom, -1.0), 0.0)


def activation_peaks(curve: np.ndarray, fps: float, minimum: float) -> tuple[np.ndarray, np.ndarray]:
    """Local maxima of an activation curve at least ``minimum``: times (s, parabolic
    interpolation between frames) and heights."""
    curve = np.concatenate([[0.0], np.nan_to_num(curve, nan=0.0, posinf=1.0), [0.0]])
    mid = curve[1:-1]          # padded, so a peak on the first or last frame counts too
    idx = np.flatnonzero((mid >= curve[:-2]) & (mid > curve[2:]) & (mid >= minimum)) + 1
    frac = peak_offset(curve[idx - 1], curve[idx], curve[idx + 1])
    return (idx - 1 + frac) / fps, curve[idx]


# Frames computed in one piece at most: 2**15 frames (328 s at 100 frames/s, 47 s at a
# 64-sample hop) keep the spectrograms of one block well under 200 MB.
BLOCK_FRAMES = 2**15
# madmom's processors hold several spectrograms of a block at once (three resolutions, up to
# 4096-sample windows): 2**13 frames (82 s) keep them near 400 MB.
MADMOM_BLOCK_FRAMES = 2**13
# Samples of context either side of a block for madmom's networks (their widest window is
# 4096 samples, the onset CNN's context 7 frames of 441): two seconds is far beyond both.
MADMOM_MARGIN = 2 * MADMOM_SAMPLE_RATE


def frames_in_blocks(frames_of, samples: np.ndarray, *, hop: int, margin: int,
                     n_frames: int | None = None, block_frames: int | None = None):
    """``frames_of(samples)`` (an array of frames, frame ``j`` centred on sample ``j * hop``)
    computed on overlapping blocks of the signal and joined: the same result as on the whole
    signal while each block sees ``margin`` samples of context either side (wider than the
    function's window), with memory bounded by the block size.

    Returns an array of ``n_frames`` frames (default ``1 + len(samples) // hop``; missing
    frames at the end are zeros).
    """
    total = 1 + len(samples) // hop if n_frames is None else n_frames
    block_frames = block_frames or BLOCK_FRAMES
    context = -(-margin // hop)                # frames of context either side
    pieces = []
    for f0 in range(0, total, block_frames):
        f1 = min(total, f0 + block_frames)
        a = max(0, f0 - context) * hop
        b = min(len(samples), (f1 + context) * hop)
        found = np.asarray(frames_of(samples[a:b]))
        pieces.append(found[f0 - a // hop:f0 - a // hop + (f1 - f0)])
    out = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
    if len(out) < total:                        # a function that gives a frame fewer: zeros
        out = np.concatenate([out, np.zeros((total - len(out), *out.shape[1:]), out.dtype)])
    return out


def madmom_activation(processor, samples: np.ndarray, sample_rate: int, *,
                      long_context: bool = False) -> np.ndarray:
    """A madmom network's activation of a recording at ``ONSET_FPS``, computed in blocks of
    the resampled signal with context either side (memory stays bounded on long
    recordings): the CNNs see 15 frames of spectrograms up to 4096 samples wide; recurrent
    networks (``long_context``) look far back and ahead, so their blocks are 328 s with 20 s
    either side."""
    from madmom.audio.signal import Signal
    hop = MADMOM_SAMPLE_RATE // ONSET_FPS
    signal = resample(samples, sample_rate, MADMOM_SAMPLE_RATE)

    def activation(block):
        return np.asarray(processor(Signal(block, sample_rate=MADMOM_SAMPLE_RATE,
                                           num_channels=1)), dtype=np.float32)
    scale = 10 if long_context else 1
    return frames_in_blocks(activation, signal, hop=hop, margin=scale * MADMOM_MARGIN,
                            n_frames=-(-len(signal) // hop),      # ceil(samples / hop)
                            block_frames=(4 if long_context else 1) * MADMOM_BLOCK_FRAMES)


def onset_activation(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """madmom's CNN onset activation, shape (frames,), at ``ONSET_FPS``."""
    from madmom.features.onsets import CNNOnsetProcessor
    return madmom_activation(CNNOnsetProcessor(), samples, sample_rate)


def pick_onsets(activation: np.ndarray, *, threshold: float = ONSET_THRESHOLD) -> np.ndarray:
    """Onset times (s) from an activation, with parabolic interpolation between frames."""
    from madmom.features.onsets import OnsetPeakPickingProcessor
    frames = OnsetPeakPickingProcessor(fps=ONSET_FPS, threshold=threshold, smooth=0.05,
                                       pre_max=0.01, post_max=0.01, combine=0.01)(activation)
    idx = np.rint(np.asarray(frames) * ONSET_FPS).astype(int)
    inner = (idx > 0) & (idx < len(activation) - 1)
    frac = np.zeros(len(idx))
    k = idx[inner]
    frac[inner] = peak_offset(activation[k - 1], activation[k], activation[k + 1])
    return (idx + frac) / ONSET_FPS


# Fine onset envelope for placing labels to the millisecond: spectral flux (librosa) over a
# 512-sample window with a 64-sample hop (1.45 ms at 44.1 kHz).
FINE_N_FFT, FINE_HOP = 512, 64


def fine_onset_envelope(samples: np.ndarray, sample_rate: int) -> Envelope:
    """Spectral-flux envelope at a 64-sample hop (librosa's onset strength over 40 mel
    bands; the mel spectrogram is computed in blocks, so memory stays bounded)."""
    import librosa

    def mel(block):
        return librosa.feature.melspectrogram(y=block, sr=sample_rate, n_fft=FINE_N_FFT,
                                              hop_length=FINE_HOP, n_mels=40, center=True).T
    spectrum = frames_in_blocks(mel, samples, hop=FINE_HOP, margin=FINE_N_FFT).T
    env = librosa.onset.onset_strength(S=librosa.power_to_db(spectrum), sr=sample_rate,
                                       hop_length=FINE_HOP, n_fft=FINE_N_FFT, center=True)
    return Envelope(env, librosa.frames_to_time(np.arange(len(env)), sr=sample_rate,
                                                hop_length=FINE_HOP))


# Frequency bands (Hz) where each instrument family's attack stands out, for per-family onset
# envelopes: kick fundamentals; snare body and wires; tom bodies; cymbal and hi-hat noise.
FAMILY_BANDS_HZ = {"kick": (30.0, 150.0), "snare": (150.0, 4000.0), "tom": (60.0, 500.0),
                   "hihat": (6000.0, 16000.0), "cymbal": (3000.0, 16000.0),
                   "ride": (3000.0, 12000.0), "percussion": (500.0, 10000.0)}
BAND_N_FFT = 1024


def band_onset_envelopes(samples: np.ndarray, sample_rate: int) -> BandEnvelopes:
    """Half-wave rectified log-energy rise per family band at a 64-sample hop (the STFT is
    computed in blocks, so memory stays bounded)."""
    import librosa
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=BAND_N_FFT)
    masks = [(freqs >= lo) & (freqs < min(hi, sample_rate / 2))
             for lo, hi in FAMILY_BANDS_HZ.values()]

    def band_energies(block):
        spec = np.abs(librosa.stft(block, n_fft=BAND_N_FFT, hop_length=FINE_HOP, center=True))
        return np.stack([np.log1p(100.0 * spec[m].sum(axis=0)) for m in masks], axis=1)
    bands = frames_in_blocks(band_energies, samples, hop=FINE_HOP, margin=BAND_N_FFT)
    times = librosa.frames_to_time(np.arange(len(bands)), sr=sample_rate, hop_length=FINE_HOP)
    out = {family: np.maximum(0.0, np.diff(bands[:, k], prepend=bands[:1, k]))
           for k, family in enumerate(FAMILY_BANDS_HZ)}
    return BandEnvelopes(times, out)


def detect_onsets(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Onset times in seconds of mono audio."""
    return pick_onsets(onset_activation(samples, sample_rate))



def track_beats(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Beat times (s) by madmom's RNN beat activation and DBN tracker (Böck et al. 2014/2016)."""
    from madmom.features.beats import DBNBeatTrackingProcessor, RNNBeatProcessor
    act = madmom_activation(RNNBeatProcessor(), samples, sample_rate, long_context=True)
    return np.asarray(DBNBeatTrackingProcessor(fps=100)(act))