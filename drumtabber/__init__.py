"""drumtabber: drum tabs + alignment facts -> onset labels, datasets and drum transcription models."""
__version__ = "0.1.0"
