"""The dataset stage: training examples rendered from drum MIDI, rendering aligned songs."""
