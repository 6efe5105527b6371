"""Every hook a drumtabber plugin can implement.

Registration hooks receive a ``register`` callback: the core owns the registries, so a
duplicate component name is an error naming both plugins.  A component is any object with a
``name`` (str), a one-line ``description`` (str) and an ``Options`` dataclass type (may have
no fields); :mod:`drumtabber.components` holds the protocol of each kind.
"""
from __future__ import annotations

import pluggy

PROJECT = "drumtabber"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_tab_parsers(register):
    """Call ``register(parser)`` for each tab-format parser this plugin provides.

    A parser has ``name``, ``description``, ``Options``, and
    ``parse(text, *, path, options, hints) -> ParseResult`` (``bytes`` instead of text for a
    parser with ``binary = True``); see :class:`drumtabber.components.TabParser`.
    """


@hookspec(firstresult=True)
def choose_tab_parser(path, text):
    """Return the name of the parser that should read this file, or None to pass.

    ``path`` is a :class:`pathlib.Path`, ``text`` the decoded file content.  The first
    non-None answer wins; site-specific parsers answer before the generic ASCII parser,
    which is marked ``trylast``.
    """


@hookspec
def register_tab_writers(register):
    """Call ``register(writer)`` for each tab format this plugin can write
    (:class:`drumtabber.components.TabWriter`)."""


@hookspec
def register_alignment_readers(register):
    """Call ``register(reader)`` for each foreign alignment-file format this plugin reads
    (:class:`drumtabber.components.AlignmentReader`; the core reads TOML itself)."""


@hookspec
def register_class_maps(register):
    """Call ``register(class_map)`` for each class-mapping scheme this plugin provides."""


@hookspec
def register_kits(register):
    """Call ``register(kit)`` for each drum kit this plugin can render with
    (:class:`drumtabber.components.Kit`)."""


@hookspec
def register_augmenters(register):
    """Call ``register(augmenter)`` for each audio augmenter this plugin provides."""


@hookspec
def register_chains(register):
    """Call ``register(chain)`` for each named augmentation chain this plugin ships
    (:class:`drumtabber.components.ChainPreset`: ``name``, ``description``, ``Options``,
    ``text``, the chain's TOML)."""


@hookspec
def register_exporters(register):
    """Call ``register(exporter)`` for each dataset exporter this plugin provides."""


@hookspec
def register_model_backends(register):
    """Call ``register(backend)`` for each model backend this plugin provides."""


@hookspec
def register_models(register):
    """Call ``register(model)`` for each trained model folder this plugin ships
    (:class:`drumtabber.components.ModelFolder`: ``name``, ``description``, ``Options``,
    ``path``)."""


@hookspec(firstresult=True)
def list_performances(folder):
    """Return the performances of a collection of drum MIDI files in ``folder`` (a
    :class:`pathlib.Path`), or None when this plugin does not know the collection.

    A list of dicts, one per file, sorted by ``id``: ``id``, ``midi_path`` (a Path),
    ``split`` (``train``, ``validation`` or ``test``) and whatever else the collection says
    (``kind``: beat or fill, ``meter``, ``duration_s``, ``bpm``, ``drummer``, ``style``;
    ``index``: the collection's index file, for messages).
    """


@hookspec
def register_commands(app):
    """Add commands to the ``drumtabber-data`` typer app: ``@app.command()`` on functions."""
