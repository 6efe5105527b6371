"""The layout keeps the data flow: imports run one way, nothing imports in a cycle, the CLI
stays thin, the core never imports a built-in plugin, and no module grows past about 500
lines.  Every import statement counts, those inside functions too."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

PACKAGE = ROOT / "drumtabber"
PLUGINS = ROOT / "plugins"
# The shared vocabulary, flat at the top of the package; the stages in the order the data
# flows through them as far as imports go (docs/architecture.md): audio is signal tools that
# the alignment stage uses, so it comes before it.
VOCABULARY = {"score", "tempo", "errors", "findings", "config", "textio", "hookspecs",
              "plugin_manager", "components", "onset_table", "extras", "outputs", ""}
STAGES = ["tabs", "audio", "alignment", "classes", "dataset", "models", "transcribe", "report",
          "cli"]
# "about 500 lines".
MAX_LINES = 520


def _module_name(path: Path, root: Path, package: str) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join([package, *parts])


def _imports(path: Path, module: str) -> set[str]:
    """Every module ``path`` imports, absolute names (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            for alias in node.names:                       # from . import x (a module)
                found.add(f"{target}.{alias.name}")
    return found


def _graph(root: Path, package: str) -> dict[str, set[str]]:
    modules = {_module_name(p, root, package): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in modules.items():
        graph[name] = {m for m in _imports(path, name) if m in modules and m != name}
    return graph


GRAPH = _graph(PACKAGE, "drumtabber")


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_graph_sees_the_package():
    assert "drumtabber.alignment.song" in GRAPH
    assert "drumtabber.tabs" in GRAPH["drumtabber.alignment.song"]
    assert "drumtabber.audio.io" in GRAPH["drumtabber.alignment.recording"]   # a relative import


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_in_the_package():
    # a package imports its own modules (its __init__ re-exports them): not a cycle of ideas
    graph = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in GRAPH.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_cli_module_imports_another():
    for module, deps in GRAPH.items():
        if module.startswith("drumtabber.cli."):
            others = {d for d in deps if d.startswith("drumtabber.cli.")}
            assert not others, f"{module} imports {sorted(others)}"


def test_imports_run_down_the_flow():
    for module, deps in GRAPH.items():
        stage = _stage(module)
        for dep in deps:
            target = _stage(dep)
            if target in VOCABULARY or target == stage:
                continue
            assert stage not in VOCABULARY, f"the vocabulary module {module} imports {dep}"
            assert STAGES.index(target) < STAGES.index(stage), \
                f"{module} ({stage}) imports the later stage {dep}"


def test_the_core_never_imports_a_builtin_plugin():
    for path in PACKAGE.rglob("*.py"):
        name = _module_name(path, PACKAGE, "drumtabber")
        plugins = {m for m in _imports(path, name) if m.startswith("drumtabber.plugins")}
        assert not plugins, f"{name} imports {sorted(plugins)}"


def test_builtin_plugins_use_only_the_core_and_themselves():
    for path in PLUGINS.rglob("*.py"):
        name = _module_name(path, PLUGINS, "drumtabber.plugins")
        for dep in _imports(path, name):
            if dep.startswith("drumtabber.") and not dep.startswith("drumtabber.plugins"):
                assert not dep.startswith("drumtabber.cli"), f"{name} imports {dep}"
            if dep.startswith("drumtabber.plugins."):
                own = name.split(".")[2]
                assert dep.split(".")[2] in (own, "_outside_labels"), f"{name} imports {dep}"


@pytest.mark.parametrize("path", sorted([*PACKAGE.rglob("*.py"), *PLUGINS.rglob("*.py")]),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_about_500_lines(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


def test_cli_modules_stay_thin():
    """A command module parses options, calls the library and prints: no module of the CLI
    holds the work of a stage (measured as its share of the package's lines)."""
    cli = sum(len(p.read_text().splitlines()) for p in (PACKAGE / "cli").glob("*.py"))
    total = sum(len(p.read_text().splitlines()) for p in PACKAGE.rglob("*.py"))
    assert cli < 0.25 * total


def test_every_package_is_installed():
    """pyproject.toml lists every package (a wheel leaves out what it does not list)."""
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {_module_name(p, PACKAGE, "drumtabber") for p in PACKAGE.rglob("__init__.py")}
    found |= {_module_name(p, PLUGINS, "drumtabber.plugins") for p in PLUGINS.rglob("__init__.py")}
    assert found == listed
