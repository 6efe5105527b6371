"""The audio stage: loading recordings, onset detection and envelopes, features and frame
targets, rendering drum MIDI with kits, click tracks and plots.  Signal-level tools: this
stage knows no alignment file."""
from .io import AUDIO_SUFFIXES, AudioError, load_audio

__all__ = ["AUDIO_SUFFIXES", "AudioError", "load_audio"]
