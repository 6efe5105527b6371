"""Loads plugins (built-ins, entry points, plugin folders) and owns the component registries."""
from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pluggy

from . import __version__, hookspecs
from .components import KINDS
from .errors import PluginError, UnknownComponentError

ENTRY_POINT_GROUP = "drumtabber"


class Registry:
    """Components of one kind by name; remembers which plugin registered each."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, object] = {}
        self._owners: dict[str, str] = {}

    def add(self, component, plugin: str) -> None:
        for attr in ("name", "description", "Options"):
            if not hasattr(component, attr):
                raise PluginError(f"plugin {plugin!r} registered a {self.kind} without "
                                  f"a {attr!r} attribute: {component!r}")
        name = component.name
        if name in self._items:
            raise PluginError(f"{self.kind} {name!r} is registered twice: by plugin "
                              f"{self._owners[name]!r} and by plugin {plugin!r}")
        self._items[name] = component
        self._owners[name] = plugin

    def get(self, name: str):
        try:
            return self._items[name]
        except KeyError:
            valid = ", ".join(sorted(self._items)) or "(none registered)"
            raise UnknownComponentError(
                f"unknown {self.kind.replace('_', ' ')} {name!r}; valid names: {valid}") from None

    def owner(self, name: str) -> str:
        return self._owners[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __iter__(self):
        return iter(self._items[n] for n in self.names())

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class PluginInfo:
    name: str
    source: str            # "builtin", "entry point <dist>", or the plugin file's path
    version: str
    hooks: list[str] = field(default_factory=list)
    components: dict[str, list[str]] = field(default_factory=dict)


class PluginManager:
    """The drumtabber plugin manager: a pluggy manager plus one registry per component kind."""

    def __init__(self, plugins_dirs=(), *, entry_points: bool = True):
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self._sources: dict[str, tuple[str, str]] = {}
        self._registries: dict[str, Registry] | None = None
        self._load_builtins()
        if entry_points:
            self._load_entry_points()
        for folder in plugins_dirs:
            self.load_plugins_dir(Path(folder))

    # -- loading -------------------------------------------------------------------------
    def _load_builtins(self) -> None:
        package = importlib.import_module("drumtabber.plugins")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"drumtabber.plugins.{info.name}")
            self.register(module, info.name, source="builtin", version=__version__)

    def _load_entry_points(self) -> None:
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                module = ep.load()
            except (Exception, SystemExit) as exc:  # a broken plugin must not kill the CLI
                raise PluginError(f"cannot load plugin {ep.name!r} (entry point {ep.value}): "
                                  f"{type(exc).__name__}: {exc}") from exc
            if self.pm.get_plugin(ep.name) is module:     # the same package seen twice on the path
                continue
            dist = getattr(ep, "dist", None)
            version = dist.version if dist is not None else "unknown"
            where = f"entry point ({dist.name if dist is not None else ep.value})"
            self.register(module, ep.name, source=where, version=version)

    def load_plugins_dir(self, folder: Path) -> None:
        """Import every ``*.py`` file in ``folder`` as a plugin named after the file."""
        if not folder.is_dir():
            raise PluginError(f"plugins folder not found: {folder}")
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue
            module_name = f"drumtabber_local_plugins.{path.stem}"
            spec = importlib.util.spec_from_file_location(module_name, path)
            module = importlib.util.module_from_spec(spec)
            try:
                sys.modules[module_name] = module
                spec.loader.exec_module(module)
            except (Exception, SystemExit) as exc:        # sys.exit() at import included
                sys.modules.pop(module_name, None)
                raise PluginError(f"cannot load plugin file: {type(exc).__name__}: {exc}",
                                  path=path) from exc
            self.register(module, path.stem, source=str(path),
                          version=str(getattr(module, "__version__", "-")))

    def register(self, plugin, name: str, *, source: str = "test", version: str = "-") -> None:
        """Register a plugin object (module or instance) under ``name``."""
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:    # a hook misnamed or with a wrong argument
            raise PluginError(f"plugin {name!r} (from {source}) does not fit drumtabber's "
                              f"hooks: {exc}") from None
        except ValueError as exc:
            previous = self._sources.get(name, ("?", "?"))[0]
            raise PluginError(f"two plugins are named {name!r}: one from {previous}, "
                              f"one from {source}") from exc
        self._sources[name] = (source, version)
        self._registries = None

    def unregister(self, name: str) -> None:
        self.pm.unregister(name=name)
        self._sources.pop(name, None)
        self._registries = None

    # -- registries ----------------------------------------------------------------------
    @property
    def registries(self) -> dict[str, Registry]:
        if self._registries is None:
            registries = {}
            for kind, hook_name in KINDS.items():
                registry = Registry(kind)
                for impl in getattr(self.pm.hook, hook_name).get_hookimpls():
                    try:
                        impl.function(register=lambda c, _p=impl.plugin_name, _r=registry:
                                      _r.add(c, _p))
                    except PluginError:
                        raise
                    except (Exception, SystemExit) as exc:
                        source = self._sources.get(impl.plugin_name, ("?", "?"))[0]
                        raise PluginError(f"plugin {impl.plugin_name!r} (from {source}) failed "
                                          f"in {hook_name}: {type(exc).__name__}: {exc}") from None
                registries[kind] = registry
            self._registries = registries
        return self._registries

    def registry(self, kind: str) -> Registry:
        return self.registries[kind]

    def get(self, kind: str, name: str):
        return self.registry(kind).get(name)

    def choose_tab_parser(self, path: Path, text: str):
        """The parser component that should read ``path`` (first-result hook)."""
        name = self.pm.hook.choose_tab_parser(path=path, text=text)
        if name is None:
            raise UnknownComponentError("no parser plugin accepts this file", path=path)
        return self.get("tab_parser", name)

    def add_commands(self, app) -> None:
        """Let each plugin add its commands; a plugin command named like an existing one is
        an error naming the plugin (it would silently replace the other)."""
        for impl in self.pm.hook.register_commands.get_hookimpls():
            before = {self._command_name(c) for c in app.registered_commands}
            count = len(app.registered_commands)
            try:
                impl.function(app=app)
            except (Exception, SystemExit) as exc:
                source = self._sources.get(impl.plugin_name, ("?", "?"))[0]
                raise PluginError(f"plugin {impl.plugin_name!r} (from {source}) failed in "
                                  f"register_commands: {type(exc).__name__}: {exc}") from None
            added = [self._command_name(c) for c in app.registered_commands[count:]]
            clash = sorted(set(a for a in added if a in before) |
                           {a for a in added if added.count(a) > 1})
            if clash:
                source = self._sources.get(impl.plugin_name, ("?", "?"))[0]
                del app.registered_commands[count:]
                raise PluginError(f"plugin {impl.plugin_name!r} (from {source}) adds the command "
                                  f"{', '.join(clash)}, which already exists")

    @staticmethod
    def _command_name(command) -> str:
        return command.name or command.callback.__name__.replace("_", "-")

    def plugin_infos(self) -> list[PluginInfo]:
        regs = self.registries
        infos = []
        for name, plugin in sorted(self.pm.list_name_plugin()):
            source, version = self._sources.get(name, ("?", "-"))
            hooks = sorted(h.name for h in self.pm.get_hookcallers(plugin) or [])
            comps = {kind: [n for n in reg.names() if reg.owner(n) == name]
                     for kind, reg in regs.items()}
            infos.append(PluginInfo(name, source, version, hooks,
                                    {k: v for k, v in comps.items() if v}))
        return infos


_MANAGERS: dict[tuple, PluginManager] = {}


def get_plugin_manager(plugins_dirs=()) -> PluginManager:
    """A shared manager for these plugin folders (built once per process)."""
    key = tuple(str(Path(d).resolve()) for d in plugins_dirs)
    if key not in _MANAGERS:
        _MANAGERS[key] = PluginManager(plugins_dirs)
    return _MANAGERS[key]
