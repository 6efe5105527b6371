"""A band under the drums, rendered for the song: a bass note on every kick label and held
chords, in a random key, so that a model hears pitched sound that starts with the drums (the
hard case in real mixes: a bass note on the kick) and not only noise."""
from __future__ import annotations

import numpy as np

# scale degrees (semitones above the key) of the chords a progression draws from
CHORD_ROOTS = (0, 5, 7, 9, 3, 10)
BASS_DECAY_S = 0.35
CHORD_HARMONICS = 4


TABLE_SIZE = 4096


def _tone(freq: float, t: np.ndarray, harmonics: int) -> np.ndarray:
    """A sawtooth-like tone (harmonic k at 1/k) of ``harmonics`` partials, read from one
    period's table."""
    phase = np.arange(TABLE_SIZE) / TABLE_SIZE
    table = sum(np.sin(2 * np.pi * k * phase) / k for k in range(1, harmonics + 1))
    index = (t * (freq * TABLE_SIZE)).astype(np.int64) % TABLE_SIZE
    return table.astype(np.float32)[index]


def render_band(n: int, rate: int, onsets, rng) -> np.ndarray:
    """``n`` samples of bass and chords: a new chord every 1.5-3 s, the bass playing the
    chord's root on each kick label (on each chord change when the song has no kick)."""
    key = 40 + int(rng.integers(0, 12))                     # MIDI note of the key's root
    out = np.zeros(n, np.float32)
    starts, at = [], 0
    while at < n:
        starts.append(at)
        at += int(rng.uniform(1.5, 3.0) * rate)
    roots = [key + int(rng.choice(CHORD_ROOTS)) for _ in starts]
    fade = int(0.05 * rate)
    for (s, root), e in zip(zip(starts, roots), starts[1:] + [n]):
        t = np.arange(e - s, dtype=np.float64) / rate
        chord = sum(_tone(440 * 2 ** ((root + 12 + iv - 69) / 12), t, CHORD_HARMONICS)
                    for iv in (0, 4 if rng.random() < 0.5 else 3, 7))
        envelope = np.minimum(1, np.minimum(np.arange(e - s), np.arange(e - s)[::-1]) / fade)
        out[s:e] += 0.3 * chord * envelope
    times = onsets["time"].to_numpy()
    kicks = times[(onsets["instrument"] == "kick").to_numpy()] if len(onsets) else times
    bass_at = (np.round(kicks * rate).astype(int) if len(kicks)
               else np.asarray(starts))
    length = int(BASS_DECAY_S * 4 * rate)
    t = np.arange(length) / rate
    decay = np.exp(-t / BASS_DECAY_S)
    chord_of = np.searchsorted(starts, bass_at, side="right") - 1
    for at, c in zip(bass_at, chord_of):
        if 0 <= at < n:
            freq = 440 * 2 ** ((roots[max(0, c)] - 12 - 69) / 12)
            piece = (_tone(freq, t, 3) * decay)[:n - at]
            out[at:at + len(piece)] += piece
    return out.astype(np.float32)


def band_under(samples: np.ndarray, rate: int, onsets, rng, snr_db: float) -> np.ndarray:
    """``samples`` with a rendered band mixed under at ``snr_db`` (RMS against RMS)."""
    band = render_band(len(samples), rate, onsets, rng)
    signal_rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    band_rms = float(np.sqrt(np.mean(np.square(band, dtype=np.float64))))
    if signal_rms == 0 or band_rms == 0:
        return samples
    scale = signal_rms / band_rms / 10 ** (snr_db / 20)
    return (samples + band * scale).astype(np.float32)
