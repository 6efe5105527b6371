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


# The seed project's feature settings (250 mel bands, 2048-sample window, hop 441 at 44.1 kHz
# = 100 frames/s) are the defaults.
SETTINGS = {s.key: s for s in [
    Setting("tabs_dir", "Path", "tabs", "folder of tab files"),
    Setting("alignments_dir", "Path", "alignments", "folder of alignment files"),
    Setting("audio_dir", "Path", "audio", "folder where recordings are looked up"),
    Setting("plugins_dir", "Path", "", "extra folder of plugin .py files (empty: none)"),
    Setting("default_meter", "str", "4/4", "meter of tab bars when a file names none"),
    Setting("features.kind", "str", "mel", "mel (librosa) or logfilt (madmom, log-spaced bands)"),
    Setting("features.sample_rate", "int", 44100, "audio sample rate in Hz"),
    Setting("features.n_fft", "int", 2048, "STFT window length in samples"),
    Setting("features.hop_length", "int", 441, "hop between frames in samples"),
    Setting("features.n_mels", "int", 250, "mel bands"),
    Setting("features.fmin", "float", 20.0, "lowest frequency in Hz"),
    Setting("features.fmax", "float", 20000.0, "highest frequency in Hz"),
    Setting("features.bands_per_octave", "int", 12, "bands per octave of logfilt features"),
    Setting("features.diff", "bool", False, "append the positive first-order difference"),
    Setting("classes.scheme", "str", "drumtabber", "class-mapping scheme name"),
    Setting("training.backend", "str", "keras-cnn", "model backend name (train-onsets --backend)"),
    Setting("training.classes", "str", "onsets", "class scheme of trained onset models (a TOML scheme)"),
    Setting("training.epochs", "int", 50, "training epochs"),
    Setting("training.batch_size", "int", 32, "training batch size"),
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
            table = _load_toml(pyproject).get("tool", {}).get("drumtabber")
            if table is not None:
                return pyproject, table
    return None


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
                table = table.get("tool", {}).get("drumtabber", {})
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
