"""Plugin loading (built-ins, entry points, plugin folders) and the component registries."""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import Path

import pytest

from drumtabber import hookspecs
from drumtabber.components import KINDS, build_options
from drumtabber.errors import ConfigError, PluginError, UnknownComponentError
from drumtabber.plugin_manager import PluginManager

TESTS = Path(__file__).resolve().parent


def test_builtin_ascii_parser_is_registered():
    manager = PluginManager(entry_points=False)
    parser = manager.get("tab_parser", "ascii")
    assert parser.description and manager.registry("tab_parser").owner("ascii") == "ascii_tab"
    writer = manager.get("tab_writer", "ascii")       # the ASCII writer: a kind of its own
    assert writer.description and manager.registry("tab_writer").owner("ascii") == "ascii_tab"
    info = next(i for i in manager.plugin_infos() if i.name == "ascii_tab")
    assert info.source == "builtin" and info.components == {"tab_parser": ["ascii"],
                                                            "tab_writer": ["ascii"]}


def test_unknown_component_lists_valid_names():
    with pytest.raises(UnknownComponentError, match="unknown tab parser 'nope'; valid names: ascii"):
        PluginManager(entry_points=False).get("tab_parser", "nope")


@dataclass
class _NoOptions:
    pass


class _Parser:
    description = "test parser"
    Options = _NoOptions

    def __init__(self, name):
        self.name = name


class _ParserPlugin:
    def __init__(self, name):
        self.parser = _Parser(name)

    @hookspecs.hookimpl
    def register_tab_parsers(self, register):
        register(self.parser)


def test_duplicate_component_name_names_both_plugins():
    manager = PluginManager(entry_points=False)
    manager.register(_ParserPlugin("ascii"), "throwaway")
    try:
        with pytest.raises(PluginError, match="'ascii' is registered twice: by plugin "
                                              "'ascii_tab' and by plugin 'throwaway'"):
            manager.registries
    finally:
        manager.unregister("throwaway")
    assert manager.get("tab_parser", "ascii").name == "ascii"


def test_component_without_description_is_rejected():
    class Bad:
        name = "bad"
        Options = _NoOptions

    class Plugin:
        @hookspecs.hookimpl
        def register_class_maps(self, register):
            register(Bad())

    manager = PluginManager(entry_points=False)
    manager.register(Plugin(), "bad_plugin")
    with pytest.raises(PluginError, match="without a 'description'"):
        manager.registries


def _write_dist(root: Path, module_body: str, module: str, version="1.2.3"):
    (root / f"{module}.py").write_text(module_body)
    dist = root / f"fakeplug-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: fakeplug\nVersion: {version}\n")
    (dist / "entry_points.txt").write_text(f"[drumtabber]\nfake = {module}\n")


PLUGIN_MODULE = '''
from dataclasses import dataclass
from drumtabber.hookspecs import hookimpl

@dataclass
class Options:
    strength: float = 1.0

class Gain:
    name = "test-gain"
    description = "scale the audio"
    Options = Options

@hookimpl
def register_augmenters(register):
    register(Gain())
'''


def test_entry_point_plugin_is_loaded_with_its_version(tmp_path, monkeypatch):
    _write_dist(tmp_path, PLUGIN_MODULE, "fakeplug_good")
    monkeypatch.syspath_prepend(str(tmp_path))
    manager = PluginManager()
    info = next(i for i in manager.plugin_infos() if i.name == "fake")
    assert (info.version, info.source) == ("1.2.3", "entry point (fakeplug)")
    assert info.components == {"augmenter": ["test-gain"]}
    gain = manager.get("augmenter", "test-gain")
    assert build_options(gain, {"strength": "0.5"}).strength == 0.5
    with pytest.raises(ConfigError, match="test-gain: unknown option.*valid: strength"):
        build_options(gain, {"strenght": 1})


def test_broken_entry_point_is_a_clear_error(tmp_path, monkeypatch):
    _write_dist(tmp_path, "raise RuntimeError('boom')\n", "fakeplug_broken")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError, match="cannot load plugin 'fake'.*RuntimeError: boom"):
        PluginManager()


def test_plugins_dir_loads_files_and_reports_broken_ones(tmp_path):
    (tmp_path / "gainer.py").write_text(PLUGIN_MODULE + "\n__version__ = '0.9'\n")
    manager = PluginManager([tmp_path], entry_points=False)
    info = next(i for i in manager.plugin_infos() if i.name == "gainer")
    assert info.source == str(tmp_path / "gainer.py") and info.version == "0.9"
    (tmp_path / "zbroken.py").write_text("import no_such_module_here\n")
    with pytest.raises(PluginError, match="zbroken.py: cannot load plugin file"):
        PluginManager([tmp_path], entry_points=False)


@pytest.mark.parametrize("kind, hook", [
    ("tab_parser", "register_tab_parsers"), ("tab_writer", "register_tab_writers"),
    ("alignment_reader", "register_alignment_readers"), ("class_map", "register_class_maps"),
    ("kit", "register_kits"), ("augmenter", "register_augmenters"),
    ("chain", "register_chains"), ("exporter", "register_exporters"),
    ("model_backend", "register_model_backends"),
    ("model", "register_models")])
def test_each_registration_hook_fills_its_registry(kind, hook):
    component = _Parser(f"throwaway_{kind}")
    plugin = type("P", (), {hook: hookspecs.hookimpl(lambda self, register: register(component))})()
    manager = PluginManager(entry_points=False)
    manager.register(plugin, "throwaway")
    assert KINDS[kind] == hook
    assert manager.get(kind, component.name) is component
    info = next(i for i in manager.plugin_infos() if i.name == "throwaway")
    assert info.components == {kind: [component.name]} and info.hooks == [hook]
    manager.unregister("throwaway")
    with pytest.raises(UnknownComponentError):
        manager.get(kind, component.name)


def test_the_registration_hooks_cover_every_component_kind():
    assert list(KINDS) == ["tab_parser", "tab_writer", "alignment_reader", "class_map", "kit",
                           "augmenter", "chain", "exporter", "model_backend", "model"]


def test_list_performances_asks_the_plugin_that_knows_the_collection(tmp_path):
    from drumtabber.dataset.examples import list_performances
    for name in ("a.mid", "b.mid", "sub/c.midi", "notes.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    manager = PluginManager(entry_points=False)
    # a folder no plugin knows: every MIDI file under it, one training split
    assert [(r["id"], r["split"]) for r in list_performances(tmp_path, manager)] == [
        ("a.mid", "train"), ("b.mid", "train"), (str(Path("sub/c.midi")), "train")]

    class Collection:
        @hookspecs.hookimpl
        def list_performances(self, folder):
            if folder != tmp_path:
                return None
            return [{"id": "p2", "midi_path": folder / "b.mid", "split": "test", "kind": "fill"},
                    {"id": "p1", "midi_path": folder / "a.mid", "split": "train",
                     "kind": "beat", "meter": "4/4", "duration_s": 3.0},
                    {"id": "p3", "midi_path": folder / "a.mid", "split": "train",
                     "kind": "beat", "meter": "3/4", "duration_s": 9.0}]

    manager.register(Collection(), "collection")
    try:
        info = next(i for i in manager.plugin_infos() if i.name == "collection")
        assert info.hooks == ["list_performances"] and info.components == {}
        assert [r["id"] for r in list_performances(tmp_path, manager)] == ["p1", "p3"]
        assert [r["id"] for r in list_performances(tmp_path, manager, split="test")] == ["p2"]
        assert [r["id"] for r in list_performances(tmp_path, manager, meter="4/4")] == ["p1"]
        assert [r["id"] for r in list_performances(tmp_path, manager, max_seconds=5)] == ["p1"]
        assert list_performances(tmp_path, manager, kind="fill") == []
    finally:
        manager.unregister("collection")


def test_choose_tab_parser_asks_site_parsers_before_the_generic_one(tmp_path):
    class SitePlugin(_ParserPlugin):
        @hookspecs.hookimpl
        def choose_tab_parser(self, path, text):
            return self.parser.name if text.startswith("#site") else None

    manager = PluginManager(entry_points=False)
    manager.register(SitePlugin("site"), "site_plugin")
    assert manager.choose_tab_parser(tmp_path / "a.txt", "#site\nkick: x...").name == "site"
    assert manager.choose_tab_parser(tmp_path / "b.txt", "HH|x-x-|").name == "ascii"


def test_plugin_adds_a_cli_command(tmp_path, run_cli):
    (tmp_path / "hello.py").write_text(
        "from drumtabber.hookspecs import hookimpl\n"
        "@hookimpl\n"
        "def register_commands(app):\n"
        "    @app.command('hello')\n"
        "    def hello(name: str):\n"
        "        print(f'hello {name}')\n")
    code, out, _ = run_cli("--plugins-dir", tmp_path, "hello", "drummer")
    assert code == 0 and out.strip() == "hello drummer"
    code, out, _ = run_cli("--plugins-dir", tmp_path, "plugins")
    assert "hello -  [" in out and "register_commands" in out


def test_every_hook_is_documented_and_tested():
    specs = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
             if hasattr(fn, "drumtabber_spec")]
    assert set(KINDS.values()) <= set(specs)
    test_text = "".join(p.read_text() for p in TESTS.glob("test_*.py"))
    for name in specs:
        assert inspect.getdoc(getattr(hookspecs, name)), f"{name} has no docstring"
        assert name in test_text, f"no test uses the hook {name}"


def test_a_crashing_parser_becomes_a_dt000_finding(tmp_path):
    from drumtabber.tabs import load_tab

    class Crashing(_ParserPlugin):
        @hookspecs.hookimpl
        def choose_tab_parser(self, path, text):
            return "crashing"

    plugin = Crashing("crashing")
    plugin.parser.parse = lambda text, path, options, hints: 1 / 0
    manager = PluginManager(entry_points=False)
    manager.register(plugin, "crashing_plugin")
    (tmp_path / "a.txt").write_text("HH|x---|\n")
    result = load_tab(tmp_path / "a.txt", manager)
    assert [(f.code, f.message) for f in result.findings] == [
        ("DT000", "ZeroDivisionError: division by zero")]
    assert result.score.events == []


def test_configured_plugins_dir_adds_commands(tmp_path, run_cli, monkeypatch):
    plug = tmp_path / "plug"
    plug.mkdir()
    (plug / "greet.py").write_text(
        "from drumtabber.hookspecs import hookimpl\n"
        "@hookimpl\n"
        "def register_commands(app):\n"
        "    @app.command('greet')\n"
        "    def greet():\n"
        "        print('hi')\n")
    (tmp_path / "drumtabber.toml").write_text('plugins_dir = "plug"\n')
    monkeypatch.chdir(tmp_path)
    assert run_cli("greet")[:2] == (0, "hi\n")
    monkeypatch.chdir(tmp_path.parent)
    assert run_cli("greet")[0] == 2          # not configured here: no such command
