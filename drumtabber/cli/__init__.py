"""The ``drumtabber-data`` command line (typer).  One module per command group.

Exit codes: 0 success, 1 the input is bad or the job failed, 2 wrong usage.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional

import typer

from ..errors import DrumtabberError, UnknownComponentError
from ..extras import MissingExtraError, missing_extra

app = typer.Typer(
    name="drumtabber-data", no_args_is_help=True, add_completion=False,
    pretty_exceptions_enable=False, rich_markup_mode=None,
    help="Drum tabs + alignment facts -> onset labels, datasets and drum transcription models.")


@dataclass
class State:
    config_file: Optional[Path] = None
    plugins_dirs: list = field(default_factory=list)
    _config: object = None

    @property
    def config(self):
        if self._config is None:
            from ..config import Config
            self._config = Config(config_file=self.config_file)
        return self._config

    @property
    def manager(self):
        from ..plugin_manager import get_plugin_manager
        dirs = list(self.plugins_dirs)
        if not dirs and self.config["plugins_dir"]:
            dirs = [self.config["plugins_dir"]]
        return get_plugin_manager(dirs)


@app.callback()
def root(ctx: typer.Context,
         plugins_dir: List[Path] = typer.Option(
             [], "--plugins-dir", help="Load every .py file in this folder as a plugin "
             "(repeatable)."),
         config: Optional[Path] = typer.Option(
             None, "--config", help="Settings file (default: nearest drumtabber.toml or "
             "pyproject.toml [tool.drumtabber]).")):
    """Drum tabs + alignment facts -> onset labels, datasets and models."""
    ctx.obj = State(config_file=config, plugins_dirs=list(plugins_dir))


def state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def fail(message: str, code: int = 1):
    """Print an error to stderr and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def check_output(path: Optional[Path], *, suffixes: tuple, force: bool, option: str) -> None:
    """Refuse an output file with the wrong ending (exit 2), one that is a folder or sits in a
    file, or one that exists without ``--force`` (exit 1): nothing is overwritten by surprise."""
    if path is None:
        return
    if path.suffix.lower() not in suffixes:
        fail(f"{option} {path}: expected a file ending in {' or '.join(suffixes)}", 2)
    if path.is_dir():
        fail(f"{option} {path} is a folder")
    parent = next((p for p in path.parents if p.exists()), None)
    if parent is not None and not parent.is_dir():
        fail(f"{option} {path}: {parent} is a file, not a folder")
    if path.exists() and not force:
        fail(f"{path} exists (use --force to overwrite)")


def configured_component(st: State, getter, key: str, given: str | None):
    """``getter(name)`` for the name given on the command line, else for the setting ``key``;
    an unknown configured name is wrong usage that names the setting and where it is set."""
    name = given if given is not None else st.config[key]
    try:
        return getter(name)
    except UnknownComponentError as exc:
        if given is not None:
            raise
        fail(f"{exc.message} (the {key} setting, from {st.config.sources[key]})", 2)


# The rate recordings are analysed at (madmom's models and the onset model's features).
ANALYSIS_RATE = 44100


def load_recorded_song(st: State, alignment_file: Path, audio_dir, *,
                       placeholder_tempo: bool = False):
    """``(song, samples, sample rate)`` of an alignment file whose recording is found, or
    exit 1 after printing the errors."""
    from ..alignment import load_song
    from ..findings import errors_of
    song, findings = load_song(alignment_file, st.manager, settings=st.config.values,
                               audio_dir=Path(audio_dir or st.config["audio_dir"]),
                               placeholder_tempo=placeholder_tempo, need_recording=True)
    for f in errors_of(findings):
        typer.echo(f.format(), err=True)
    if song is None:
        raise typer.Exit(1)
    return (song, *song.load_audio(ANALYSIS_RATE))


class progress_bar:
    """A rich progress bar with ETA on a terminal (``with progress_bar() as p: p(task,
    done, total)``); None, so nothing is drawn, when stderr is not a terminal."""

    def __enter__(self):
        self.bar = None
        if sys.stderr.isatty():
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                       TimeRemainingColumn)
            from rich.console import Console
            self.bar = Progress(TextColumn("{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.tasks = {}
        return self if self.bar else None

    def __call__(self, what, done, total):
        if what not in self.tasks:
            self.tasks[what] = self.bar.add_task(what, total=total)
        self.bar.update(self.tasks[what], completed=done)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.stop()


def parse_key_values(pairs: list[str], option: str = "--option") -> dict:
    """``KEY=VALUE`` option values as a dict; a malformed one is wrong usage (exit 2)."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"{option} expects KEY=VALUE, found {pair!r}", 2)
        values[key.strip()] = value.strip()
    return values


from . import align_cmd, check_cmd, classes_cmd, config_cmd, plugins_cmd, tabs  # noqa: E402,F401
from . import augment_cmd, export_cmd, model_cmd, render_cmd, run_cmd  # noqa: E402,F401
from . import transcribe_cmd  # noqa: E402,F401

_BUILTIN_COMMANDS = list(app.registered_commands)


def _early_values(argv: list[str], flag: str) -> list[str]:
    """Values of a root option, read before typer parses (plugin commands must exist first)."""
    values = []
    for i, arg in enumerate(argv):
        if arg == flag and i + 1 < len(argv):
            values.append(argv[i + 1])
        elif arg.startswith(flag + "="):
            values.append(arg.split("=", 1)[1])
    return values


def _early_plugin_dirs(argv: list[str]) -> list[str]:
    return _early_values(argv, "--plugins-dir")


def _early_option(argv: list[str], flag: str):
    values = _early_values(argv, flag)
    return values[0] if values else None


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    try:
        from ..plugin_manager import get_plugin_manager
        dirs = _early_plugin_dirs(argv)
        if dirs and not all(Path(d).is_dir() for d in dirs):
            missing = next(d for d in dirs if not Path(d).is_dir())
            fail(f"plugins folder not found: {missing}", 2)
        if not dirs and "--help" not in argv:
            from ..config import Config
            configured = Config(config_file=_early_option(argv, "--config"))["plugins_dir"]
            dirs = [configured] if configured else []
        app.registered_commands[:] = _BUILTIN_COMMANDS     # drop a previous call's plugins
        get_plugin_manager(dirs).add_commands(app)
        app(args=argv, prog_name="drumtabber-data")
    except (UnknownComponentError, MissingExtraError) as exc:   # wrong usage or set-up
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except ModuleNotFoundError as exc:        # an optional extra that is not installed
        problem = missing_extra(exc.name)
        if problem is None:
            raise
        typer.echo(f"error: {problem}", err=True)
        sys.exit(2)
    except DrumtabberError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except MemoryError:
        typer.echo("error: out of memory: the input is larger than this machine can take "
                   "(a recording of many hours?)", err=True)
        sys.exit(1)
    except OSError as exc:                    # an output folder that is a file, a full disk ...
        typer.echo(f"error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
