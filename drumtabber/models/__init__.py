"""The models stage: drum onset models (a model backend's network plus what the core needs
to use it), their training and evaluation."""
from .onset_model import META, OnsetModel, ensemble, load_onset_model

__all__ = ["META", "OnsetModel", "ensemble", "load_onset_model"]
