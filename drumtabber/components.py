"""What each kind of plugin component promises (structural protocols)."""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Collection, Protocol, runtime_checkable

from .errors import ConfigError
from .findings import Finding
from .score import Instrument, Meter, Score
from .tempo import TempoMap

# The component kinds, in the order ``drumtabber-data plugins`` lists them, with the hook
# that registers each and the protocol each component follows (below).
KINDS = {
    "tab_parser": "register_tab_parsers",
    "tab_writer": "register_tab_writers",
    "alignment_reader": "register_alignment_readers",
    "class_map": "register_class_maps",
    "kit": "register_kits",
    "augmenter": "register_augmenters",
    "chain": "register_chains",
    "exporter": "register_exporters",
    "model_backend": "register_model_backends",
    "model": "register_models",
}


@dataclass
class ParseHints:
    """What an alignment file tells a tab's parser: extra labels and meter changes.

    ``legend`` maps a tab label to instrument words (``{"G": "china"}``), read after the
    file's own legend; ``meters`` maps a 1-based bar in playing order (repeats expanded, as
    alignment files count bars) to the meter that starts there.  A parser uses what applies
    to its format and ignores the rest.
    """

    legend: dict[str, str] = field(default_factory=dict)
    meters: dict[int, Meter] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.legend or self.meters)


@dataclass
class ParseResult:
    """What a tab parser returns: the score and every finding about the file.

    Sources with their own timing (MIDI now, rhythm-game charts later) also give the tempo
    map of the score and ``performed_s``, the performed onset time in seconds of each of
    ``score.events`` (same order).
    """

    score: Score
    findings: list[Finding] = field(default_factory=list)
    tempo_map: TempoMap | None = None
    performed_s: list[float] | None = None


@runtime_checkable
class Component(Protocol):
    name: str
    description: str
    Options: type


@runtime_checkable
class TabParser(Component, Protocol):
    """``parse`` gets the decoded text, or the file's bytes when the parser sets
    ``binary = True``, and the alignment file's :class:`ParseHints` (possibly empty);
    optional ``suffixes``: file endings scanned in folders."""

    def parse(self, text: str | bytes, *, path: Path, options: Any = None,
              hints: ParseHints | None = None) -> ParseResult: ...


@runtime_checkable
class TabWriter(Component, Protocol):
    """Writes a score as tab text that the parser of the same name reads back.  Hits it
    cannot write are described, one line each, in ``dropped`` (a list given by the caller)."""

    def write(self, score: Score, *, dropped: list | None = None) -> str: ...


@runtime_checkable
class AlignmentReader(Component, Protocol):
    """Reads another project's alignment or song files (``suffixes``, e.g. ``.json``) into an
    :class:`~drumtabber.alignment.files.Alignment`; problems go to ``reader.findings``
    (a :class:`~drumtabber.alignment.files.TableReader` over the file's text)."""

    suffixes: tuple

    def read(self, text: str, *, path: Path, reader) -> Any: ...


@runtime_checkable
class ClassMap(Component, Protocol):
    """A class-mapping scheme (see :mod:`drumtabber.classes`)."""

    def classes(self, options) -> list[str]: ...

    def map_event(self, instrument: Instrument, articulations: frozenset, velocity: int,
                  options) -> tuple[str, ...]: ...

    def drops(self, options) -> Collection: ...


@runtime_checkable
class Kit(Component, Protocol):
    """A sampled drum kit that renders drum MIDI to audio.

    ``channel``, ``bank`` and ``program`` select it in a MIDI file; ``key_for`` gives the key
    that plays an instrument; ``installed`` says whether its samples are on this machine and
    ``install_hint`` how to get them; ``render`` writes the audio of a ``mido.MidiFile``
    (under a temporary name, renamed when complete) and ``note_samples`` says at which sample
    of that render each note-on starts to sound: ``[(tick, key, sample), ...]``.
    """

    channel: int
    bank: int
    program: int

    @property
    def installed(self) -> bool: ...

    def install_hint(self) -> str: ...

    def key_for(self, instrument: Instrument) -> int: ...

    def render(self, midi, *, sample_rate: int, out_path: Path, gain: float) -> Path: ...

    def note_samples(self, midi, sample_rate: int) -> list[tuple[int, int, int]]: ...


# Where in the flow an augmenter works (its ``stage``; "audio" when it has none):
# "score": ``data`` and ``rate`` are None, ``onsets`` is what a render will play (one row
#   per note, its ``event`` column the note's index in ``Score.sorted_events()``);
# "audio": ``data`` is mono float32 samples, ``rate`` their sample rate;
# "features": ``data`` is the feature matrix (frames, bands), ``rate`` its frames a second.
AUGMENT_STAGES = ("score", "audio", "features")


def augment_stage(augmenter) -> str:
    return getattr(augmenter, "stage", "audio")


@runtime_checkable
class Augmenter(Component, Protocol):
    """Changes data and its onset table together, so the labels stay right: returns the new
    data and onset table (:mod:`drumtabber.onset_table`); ``rng`` is a numpy Generator, the
    only source of randomness.  What ``data`` is depends on the augmenter's ``stage``
    (``AUGMENT_STAGES``)."""

    def apply(self, data, rate, onsets, rng, options) -> tuple: ...


@runtime_checkable
class ChainPreset(Component, Protocol):
    """A named augmentation chain a plugin ships: ``text`` is the chain file's TOML
    (:mod:`drumtabber.dataset.augment`)."""

    text: str


@dataclass
class ExportExample:
    """One exported song (or one augmented copy of it), as exporters receive it.

    ``features`` (frames, bands) and ``targets`` (frames, classes) are float32 at ``fps``
    frames a second, frame ``i`` at ``i / fps`` s; ``onsets`` is the onset table with its
    ``class`` column (one row per class a hit maps to); ``score`` and ``tempo_map`` are the
    tab's (for formats that keep bars and tempo)."""

    song: str                        # unique id: the alignment file's path, "#2" for a copy
    split: str                       # train, validation or test
    title: str
    classes: list[str]
    fps: float
    features: Any
    targets: Any
    onsets: Any
    score: Score | None = None
    tempo_map: TempoMap | None = None
    duration_s: float = 0.0


# What an exporter's ``read`` gives back per song (a subset, as its format holds):
# "song", "split", "features", "targets", "times" (onset seconds), "labels" (their classes).
READ_BACK_KEYS = ("song", "split", "features", "targets", "times", "labels")


@runtime_checkable
class Exporter(Component, Protocol):
    """Writes exported songs in one file format under ``out_dir`` (its own folder):
    ``export`` takes an iterable of :class:`ExportExample` (streamed: one song at a time,
    each seen once, in a stable order) and returns the files it wrote; ``read`` reads them
    back as dicts with ``READ_BACK_KEYS`` (those the format holds), so a contract test can
    compare what was written with what comes back."""

    def export(self, examples, out_dir: Path, options) -> list[Path]: ...

    def read(self, out_dir: Path, options) -> list[dict]: ...


@runtime_checkable
class ModelBackend(Component, Protocol):
    """Builds, trains, runs and stores one kind of network (``suffix``: its weights file's
    ending); the core never sees the network itself."""

    suffix: str

    def build(self, n_bands: int, n_classes: int, options) -> Any: ...

    def train(self, network, examples, options, log=print) -> dict: ...

    def predict(self, network, features) -> Any: ...

    def save(self, network, path: Path) -> None: ...

    def load(self, path: Path) -> Any: ...


@runtime_checkable
class ModelFolder(Component, Protocol):
    """A named, trained model folder that ships with a plugin (``--model NAME``)."""

    path: Path


# The protocol of each kind, for contract tests and ``plugins``.
PROTOCOLS = {"tab_parser": TabParser, "tab_writer": TabWriter,
             "alignment_reader": AlignmentReader, "class_map": ClassMap, "kit": Kit,
             "augmenter": Augmenter, "chain": ChainPreset, "exporter": Exporter,
             "model_backend": ModelBackend, "model": ModelFolder}


@dataclass
class NoOptions:
    """Options of a component that has none."""


def build_options(component, values: dict | None = None, *, source: str = "options"):
    """Validate ``values`` against the component's ``Options`` dataclass and return an instance.

    Unknown keys and values of the wrong type raise :class:`ConfigError` naming the component,
    the key and what was expected.
    """
    values = dict(values or {})
    fields = {f.name: f for f in dataclasses.fields(component.Options)}
    hints = typing.get_type_hints(component.Options)
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(
            f"{component.name}: unknown option(s) {', '.join(unknown)}; "
            f"valid: {', '.join(sorted(fields)) or '(none)'}", path=source)
    for key, value in values.items():
        values[key] = coerce_value(value, hints.get(key, str), what=f"{component.name}.{key}",
                                   source=source)
    return component.Options(**values)


_TYPES = {"int": int, "float": float, "str": str, "bool": bool, "Path": Path}


def coerce_value(value, type_, *, what: str, source: str = "options"):
    """Turn a config/CLI value into ``type_`` (int, float, str, bool, Path, their names, or an
    optional one of them: ``int | None``)."""
    target = _TYPES.get(type_, type_) if isinstance(type_, str) else type_
    args = [a for a in typing.get_args(type_) if a is not type(None)]
    if args:                                               # Optional[int], int | None
        if value is None:
            return None
        target = args[0]
    try:
        if target is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if target is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if target in (int, float) and isinstance(value, bool):
            raise ValueError
        return target(value)
    except (TypeError, ValueError):
        name = getattr(target, "__name__", str(target))
        raise ConfigError(f"{what}: expected {name}, found {value!r}", path=source) from None
