"""The alignment stage: alignment files, the pure alignment of a tab, the song loader, the
recording checks, the quality check, estimation and refinement from the audio."""
from .align import AlignResult, align, onset_rows
from .files import Alignment, alignment_suffixes, alignment_to_toml, load_alignment
from .song import Song, load_song

__all__ = ["AlignResult", "Alignment", "Song", "align", "alignment_suffixes",
           "alignment_to_toml", "load_alignment", "load_song", "onset_rows"]
