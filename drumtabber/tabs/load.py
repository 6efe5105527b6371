"""Reading a tab file through the parser plugin that claims it; every problem a finding."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import dataclasses

from ..components import ParseHints, ParseResult, build_options
from ..errors import DrumtabberError
from ..findings import Finding
from ..score import Score
from ..textio import read_input_bytes, read_text

# File name endings read when a folder is given (a parser may add its own via ``suffixes``).
TAB_SUFFIXES = (".txt", ".tab")
# Not data: skipped when a folder is scanned (files named directly are always read).
SKIP_DIRS = {"build", "dist", "__pycache__", "node_modules", "venv", "site-packages"}
SKIP_FILES = {"pyproject.toml", "drumtabber.toml", "requirements.txt", "LICENSE.txt"}


def iter_input_files(paths: Iterable[Path], suffixes=TAB_SUFFIXES) -> Iterator[Path]:
    """Files named directly, plus files with a known ending under each folder (sorted)."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            found = []
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS
                                 and not d.endswith(".egg-info"))
                found.extend(Path(root) / f for f in files
                             if f.lower().endswith(suffixes) and not f.startswith(".")
                             and f not in SKIP_FILES)
            yield from sorted(found)
        else:
            yield path


def load_tab(path: Path, manager, *, options: dict | None = None,
             settings: dict | None = None, parser_name: str | None = None,
             hints: ParseHints | None = None) -> ParseResult:
    """Read one tab file with the parser plugin that claims it.

    ``options`` are the parser's own options; ``settings`` (the effective configuration)
    fill any parser option of the same name that ``options`` does not give.
    A parser with ``binary = True`` (named, or claiming the file's ending by its ``suffixes``)
    is given the file's bytes instead of its text.  Problems, including a missing or binary
    file and a parser bug, come back as findings; the score is empty when the file could not
    be read.  ``hints`` (from an alignment file) go to the parser as they are.
    """
    binary = _binary_parser(path, manager, parser_name)
    text, findings = _read_bytes(path) if binary else read_text(path)
    if text is None:
        return ParseResult(Score(source=str(path)), findings)
    try:
        parser = binary or (manager.get("tab_parser", parser_name) if parser_name
                            else manager.choose_tab_parser(path, text))
        names = {f.name for f in dataclasses.fields(parser.Options)}
        values = {k: v for k, v in (settings or {}).items() if k in names}
        values.update(options or {})
        result = parser.parse(text, path=path,
                              options=build_options(parser, values, source=str(path)),
                              hints=hints or ParseHints())
    except DrumtabberError as exc:
        findings.append(Finding(str(path), exc.line or 1, exc.column or 1, "DT001", exc.message))
        return ParseResult(Score(source=str(path)), findings)
    except Exception as exc:  # a parser bug must not stop a run over 10,000 files
        findings.append(Finding(str(path), 1, 1, "DT000", f"{type(exc).__name__}: {exc}"))
        return ParseResult(Score(source=str(path)), findings)
    result.findings[:0] = findings
    return result


def _binary_parser(path: Path, manager, parser_name: str | None):
    """The parser that reads ``path`` as bytes (``binary = True``), or None: the named parser,
    else the first binary parser whose ``suffixes`` end the file name."""
    try:
        if parser_name:
            parser = manager.get("tab_parser", parser_name)
            return parser if getattr(parser, "binary", False) else None
        name = Path(path).name.lower()
        return next((p for p in manager.registry("tab_parser") if getattr(p, "binary", False)
                     and name.endswith(tuple(s.lower() for s in getattr(p, "suffixes", ())))),
                    None)
    except DrumtabberError:           # unknown name, duplicate plugins: reported by load_tab
        return None


def _read_bytes(path: Path) -> tuple[bytes | None, list[Finding]]:
    try:
        return read_input_bytes(path), []
    except DrumtabberError as exc:
        return None, [Finding(str(path), 1, 1, "DT001", f"cannot read file: {exc.message}")]




def tab_suffixes(manager) -> tuple[str, ...]:
    """File endings of tabs: ``TAB_SUFFIXES`` and every parser's own ``suffixes``."""
    return tuple(sorted({s for p in manager.registry("tab_parser")
                         for s in getattr(p, "suffixes", ())} | set(TAB_SUFFIXES)))


# Columns of the event table that ``show`` prints: bar is the 1-based bar in playing order
# (repeats expanded), beat the exact offset in beats from the start of that bar.
EVENT_COLUMNS = ["bar", "beat", "instrument", "gm_note", "articulation", "velocity", "line",
                 "column", "written_bar", "repeat_pass", "label"]


def events_table(score: Score):
    """The score's hits as a DataFrame (``EVENT_COLUMNS``), in playing order."""
    import pandas as pd
    rows = [{"bar": e.bar + 1, "beat": str(e.beat), "instrument": e.instrument.value,
             "gm_note": e.gm_note, "articulation": e.articulation_text(),
             "velocity": e.velocity, "line": e.line, "column": e.column,
             "written_bar": e.written_bar, "repeat_pass": e.repeat_pass, "label": e.label}
            for e in score.sorted_events()]
    return pd.DataFrame(rows, columns=EVENT_COLUMNS)
