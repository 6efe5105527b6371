"""One place for the project's settings.

Defaults below < ``drumtabber.toml`` or ``[tool.drumtabber]`` in ``pyproject.toml`` (the
nearest one at or above the working folder, or ``--config FILE``) < environment variables
``DRUMTABBER_<KEY>`` (dots become double underscores: ``DRUMTABBER_FEATURES__HOP_LENGTH``)
< command-line flags.  Every value is type-checked; ``drumtabber-data config`` shows each
effective setting and where it came from.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Callable
from pathlib import Path

from .components import coerce_value
from .errors import ConfigError, DrumtabberError
from .textio import key_line, parse_toml, read_input_text

ENV_PREFIX = "DRUMTABBER_"
CONFIG_FILE = "drumtabber.toml"


@dataclass(frozen=True)
class Setting:
    key: str
    type: str            # "str", "int", "float", "bool", "Path"
    default: object
    help: str
    check: Callable | None = None       # a value is accepted when this says True ...
    expected: str = ""                  # ... else the error says what was expected


def _within(low, high):
    """A range check that also refuses NaN (NaN compares false)."""
    return lambda v: low <= v <= high


# Ranges of the numeric settings: wide enough for any real use, narrow enough that a typing
# error (a negative hop, a NaN, a 10^9 Hz rate) is caught where it is written.
_RATE = (_within(1000, 384000), "a sample rate from 1000 to 384000 Hz")
_SAMPLES = (_within(1, 2**20), "a number of samples from 1 to 1048576")
_BANDS = (_within(1, 4096), "a number of bands from 1 to 4096")
_HZ = (_within(0.0, 192000.0), "a frequency from 0 to 192000 Hz")
_COUNT = (_within(1, 10**6), "a number from 1 to 1000000")


# The seed project's feature settings (250 mel bands, 2048-sample window, hop 441 at 44.1 kHz
# = 100 frames/s) are the defaults.
SETTINGS = {s.key: s for s in [
    Setting("tabs_dir", "Path", "tabs", "folder of tab files"),
    Setting("alignments_dir", "Path", "alignments", "folder of alignment files"),
    Setting("audio_dir", "Path", "audio", "folder where recordings are looked up"),
    Setting("plugins_dir", "Path", "", "extra folder of plugin .py files (empty: none)"),
    Setting("default_meter", "str", "4/4", "meter of tab bars when a file names none"),
    Setting("features.kind", "str", "mel", "mel (librosa) or logfilt (madmom, log-spaced bands)"),
    Setting("features.sample_rate", "int", 44100, "audio sample rate in Hz", *_RATE),
    Setting("features.n_fft", "int", 2048, "STFT window length in samples", *_SAMPLES),
    Setting("features.hop_length", "int", 441, "hop between frames in samples", *_SAMPLES),
    Setting("features.n_mels", "int", 250, "mel bands", *_BANDS),
    Setting("features.fmin", "float", 20.0, "lowest frequency in Hz", *_HZ),
    Setting("features.fmax", "float", 20000.0, "highest frequency in Hz", *_HZ),
    Setting("features.bands_per_octave", "int", 12, "bands per octave of logfilt features",
            *_BANDS),
    Setting("features.diff", "bool", False, "append the positive first-order difference"),
    Setting("features.log_mul", "float", 1.0, "features are log10(1 + log_mul * magnitude)",
            _within(1e-9, 1e9), "a factor above 0, at most 1e9"),
    Setting("classes.scheme", "str", "drumtabber", "class-mapping scheme name"),
    Setting("training.backend", "str", "keras-cnn", "model backend name (train-onsets --backend)"),
    Setting("training.classes", "str", "onsets", "class scheme of trained onset models (a TOML scheme)"),
    Setting("training.epochs", "int", 50, "training epochs", *_COUNT),
    Setting("training.batch_size", "int", 32, "training batch size", *_COUNT),
    Setting("export.formats", "str", "npz,onsets-csv", "formats of `export` (exporter names, "
            "comma-separated)"),
    Setting("export.cache_dir", "str", "", "the feature cache of `export` (\"\": "
            "~/.cache/drumtabber)"),
    Setting("training.chain", "str", "", "augmentation chain of the training renders "
            "(a chain name or .toml file; \"\": none)"),
    Setting("training.copies", "int", 1, "renders of each file and kit (each augmented "
            "anew when there is a chain)", *_COUNT),
]}


def _flatten(table: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in table.items():
        if isinstance(value, dict):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def find_config_file(start: Path) -> tuple[Path, dict] | None:
    """The nearest drumtabber.toml, or pyproject.toml with [tool.drumtabber], at or above start."""
    for folder in [start, *start.parents]:
        own = folder / CONFIG_FILE
        if own.is_file():
            return own, _load_toml(own)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            table = _tool_table(pyproject, _load_toml(pyproject))
            if table is not None:
                return pyproject, table
    return None


def _tool_table(path: Path, data: dict) -> dict | None:
    """``[tool.drumtabber]`` of a pyproject.toml (None when absent); a ``tool`` or
    ``tool.drumtabber`` that is not a table is a ConfigError naming the file and line."""
    tool = data.get("tool", {})
    table = tool.get("drumtabber") if isinstance(tool, dict) else None
    if not isinstance(tool, dict) or ("drumtabber" in tool and not isinstance(table, dict)):
        key = "drumtabber" if isinstance(tool, dict) else "tool"
        raise ConfigError(f"{'tool.drumtabber' if key == 'drumtabber' else 'tool'}: expected a "
                          "table", path=path, line=_line_of(path, key))
    return table


def _load_toml(path: Path) -> dict:
    try:
        return parse_toml(read_input_text(path), path=path)
    except DrumtabberError as exc:
        raise ConfigError(exc.message if exc.message.startswith("not valid")
                          else f"cannot read config file: {exc.message}", path=path,
                          line=exc.line, column=exc.column) from None


def _line_of(path: Path, key: str) -> int | None:
    try:
        return key_line(read_input_text(path).splitlines(), key)
    except DrumtabberError:
        return None


class Config:
    """Effective settings with the source of each value."""

    def __init__(self, *, cwd: Path | None = None, config_file: Path | None = None,
                 env: dict | None = None, overrides: dict | None = None):
        cwd = Path(cwd or Path.cwd())
        env = os.environ if env is None else env
        self.values = {k: s.default for k, s in SETTINGS.items()}
        self.sources = {k: "default" for k in SETTINGS}
        self.file = None
        if config_file is not None:
            config_file = Path(config_file)
            if not config_file.is_file():
                raise ConfigError("config file not found", path=config_file)
            table = _load_toml(config_file)
            if config_file.name == "pyproject.toml":
                table = _tool_table(config_file, table) or {}
            found = (config_file, table)
        else:
            found = find_config_file(cwd)
        if found:
            self.file, table = found
            for key, value in _flatten(table).items():
                where = f"{self.file}" + (f" line {_line_of(self.file, key)}"
                                          if _line_of(self.file, key) else "")
                self._set(key, value, where, base=self.file.parent,
                          error_path=self.file, error_line=_line_of(self.file, key))
        for name, value in env.items():
            if name.startswith(ENV_PREFIX):
                key = name[len(ENV_PREFIX):].lower().replace("__", ".")
                self._set(key, value, f"environment {name}", base=cwd, error_path=f"${name}")
        for key, value in (overrides or {}).items():
            if value is not None:
                self._set(key, value, "command line", base=cwd, error_path="command line")

    def _set(self, key, value, source, *, base: Path, error_path, error_line=None):
        setting = SETTINGS.get(key)
        if setting is None:
            raise ConfigError(f"unknown setting {key!r}; valid settings: "
                              f"{', '.join(SETTINGS)}", path=error_path, line=error_line)
        if setting.type == "Path" and value == "":       # an empty path means "none"
            self.values[key], self.sources[key] = "", source
            return
        try:
            value = coerce_value(value, setting.type, what=key)
        except ConfigError as exc:
            raise ConfigError(exc.message, path=error_path, line=error_line) from None
        if setting.type == "Path" and not value.is_absolute():
            value = base / value
        if setting.check is not None and not setting.check(value):
            raise ConfigError(f"{key}: expected {setting.expected}, found {value!r}",
                              path=error_path, line=error_line)
        if key == "default_meter":
            from .score import Meter
            try:
                Meter.parse(value)
            except ValueError:
                raise ConfigError(f"default_meter: expected a meter such as 4/4, found "
                                  f"{value!r}", path=error_path, line=error_line) from None
        self.values[key] = value
        self.sources[key] = source

    def __getitem__(self, key: str):
        return self.values[key]

    def rows(self) -> list[tuple[str, object, str]]:
        return [(k, self.values[k], self.sources[k]) for k in SETTINGS]
