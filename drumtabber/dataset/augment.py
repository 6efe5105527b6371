"""Augmentation chains: augmenters applied in turn, each with its probability, reproducible
from a seed, on the audio and its onset table together (so the labels stay right).

A chain is TOML::

    name = "mine"
    description = "what it is for"
    [[step]]
    augmenter = "shift"        # a registered augmenter (`drumtabber-data plugins`)
    p = 0.5                    # how often it is applied (0-1)
    [step.options]             # the augmenter's options (optional)
    max_fraction = 1.0

``extends = "realistic"`` (a chain name or file) puts that chain's steps before the file's own.

Plugins ship named chains (``register_chains``; the built-in ``seed`` is the seed project's
table, ``realistic`` makes rendered kits sound recorded); any other chain is a file.  Each
augmenter works at one stage of the flow (``components.AUGMENT_STAGES``): the notes before
a render, the audio, or the features; :func:`apply_chain` runs one stage's steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..components import AUGMENT_STAGES, augment_stage, build_options
from ..errors import ConfigError, DrumtabberError, UnknownComponentError
from ..findings import Finding, has_errors
from ..textio import key_line, parse_toml, read_input_file

_TOP_KEYS = {"name", "description", "extends", "step"}
_STEP_KEYS = {"augmenter", "p", "options"}


@dataclass
class ChainStep:
    augmenter: object
    probability: float
    options: object
    line: int


@dataclass
class Chain:
    name: str
    description: str
    steps: list[ChainStep] = field(default_factory=list)
    source: str = ""


def parse_chain(text: str, manager, *, path, within=()) -> tuple[Chain | None, list[Finding]]:
    """A chain from TOML text, and DT401 findings (file and line) about it; ``within`` are
    the chains that extend this one (a cycle is an error)."""
    where = str(path)
    lines = text.splitlines()
    findings: list[Finding] = []

    def add(line, message):
        findings.append(Finding(where, line or 1, 1, "DT401", message))
    try:
        data = parse_toml(text, path=path)
    except DrumtabberError as exc:
        return None, [Finding(where, exc.line or 1, exc.column or 1, "DT401", exc.message)]
    for key in sorted(set(data) - _TOP_KEYS):
        add(key_line(lines, key), f"unknown key {key!r}; valid keys: {', '.join(sorted(_TOP_KEYS))}")
    steps = data.get("step", [])
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        add(key_line(lines, "step"), "step: expected [[step]] tables")
        steps = []
    headers = [no for no, t in enumerate(lines, 1) if t.strip().startswith("[[step]]")]
    chain = Chain(str(data.get("name", Path(where).stem)), str(data.get("description", "")),
                  source=where)
    if "extends" in data:
        base = str(data["extends"])
        if base.lower().endswith(".toml") and isinstance(path, Path):
            base = str(path.parent / base)          # a file beside this one
        try:
            chain.steps.extend(load_chain(base, manager, within=within).steps)
        except DrumtabberError as exc:
            add(key_line(lines, "extends"), f"extends: {exc.message}")
    for k, step in enumerate(steps):
        line = headers[k] if k < len(headers) else 1
        for key in sorted(set(step) - _STEP_KEYS):
            add(key_line(lines, key, start=line), f"step {k + 1}: unknown key {key!r}; valid "
                f"keys: {', '.join(sorted(_STEP_KEYS))}")
        try:
            augmenter = manager.get("augmenter", str(step.get("augmenter")))
        except UnknownComponentError as exc:
            add(key_line(lines, "augmenter", start=line) or line, f"step {k + 1}: {exc.message}")
            continue
        p = step.get("p", 1.0)
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            add(key_line(lines, "p", start=line) or line, f"step {k + 1}: p: expected a "
                f"probability from 0 to 1, found {p!r}")
            continue
        values = step.get("options", {})
        try:
            if not isinstance(values, dict):
                raise ConfigError("options: expected a table [step.options]")
            options = build_options(augmenter, values, source=where)
        except ConfigError as exc:
            table = next((no for no in range(line, len(lines) + 1)
                          if lines[no - 1].strip().startswith("[step.options]")), line)
            add(table, f"step {k + 1}: {exc.message}")
            continue
        chain.steps.append(ChainStep(augmenter, float(p), options, line))
    return (None if has_errors(findings) else chain), findings


def load_chain(name, manager, *, within=()) -> Chain:
    """A chain by the name of a chain a plugin ships, or from a TOML file; a broken chain
    raises DrumtabberError with its findings.  ``within``: the chains extending this one."""
    named = str(name) in manager.registry("chain").names()
    key = str(name) if named else str(Path(name).resolve())
    if key in within:
        raise ConfigError(f"chain {str(name)!r} extends itself")
    within = (*within, key)
    if named:
        preset = manager.get("chain", str(name))
        text, findings, where = preset.text, [], f"chain {preset.name!r}"
    else:
        path = Path(name)
        if path.suffix.lower() != ".toml":
            valid = ", ".join(manager.registry("chain").names()) or "(none)"
            raise UnknownComponentError(f"unknown chain {name!r}: name a chain file (.toml) "
                                        f"or one of: {valid}")
        text, findings = read_input_file(path, what="chain file")
        where = path
    chain, more = (parse_chain(text, manager, path=where, within=within) if text is not None
                   else (None, []))
    if chain is None:
        raise DrumtabberError("; ".join(f.format() for f in findings + more))
    return chain


def apply_chain(chain: Chain, data, rate, onsets, *, seed: int = 0, stage: str = "audio"):
    """Apply the chain's steps of one ``stage`` (``components.AUGMENT_STAGES``: the notes
    before rendering, the audio, or the features), each with its probability:
    ``(data, onset table, names applied)``.  The same seed gives the same output; each
    stage draws from its own stream, so a chain's audio is the same whether or not its
    features are augmented too."""
    rng = np.random.default_rng([seed, AUGMENT_STAGES.index(stage)])
    applied = []
    for step in chain.steps:
        if augment_stage(step.augmenter) != stage:
            continue
        if rng.random() < step.probability:
            data, onsets = step.augmenter.apply(data, rate, onsets, rng, step.options)
            applied.append(step.augmenter.name)
    return data, onsets, applied


def chain_stages(chain: Chain | None) -> set[str]:
    """The stages the chain has steps for."""
    return {augment_stage(s.augmenter) for s in chain.steps} if chain else set()
