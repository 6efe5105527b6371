"""What each kind of plugin component promises (structural protocols)."""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .errors import ConfigError
from .findings import Finding
from .score import Score

# The component kinds, in the order ``drumtabber-data plugins`` lists them, with the hook
# that registers each.
KINDS = {
    "tab_parser": "register_tab_parsers",
    "class_map": "register_class_maps",
    "augmenter": "register_augmenters",
    "exporter": "register_exporters",
    "model_backend": "register_model_backends",
}


@dataclass
class ParseResult:
    """What a tab parser returns: the score and every finding about the file."""

    score: Score
    findings: list[Finding] = field(default_factory=list)


@runtime_checkable
class Component(Protocol):
    name: str
    description: str
    Options: type


@runtime_checkable
class TabParser(Component, Protocol):
    """``parse`` gets the decoded text, or the file's bytes when the parser sets
    ``binary = True``; optional ``suffixes`` (file endings scanned in folders) and
    ``write(score, dropped=None) -> str``."""

    def parse(self, text: str | bytes, *, path: Path, options: Any = None) -> ParseResult: ...


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
