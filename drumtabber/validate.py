"""Linting tab files: every problem as a coded finding; never an exception."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

import dataclasses

from .components import ParseResult, build_options
from .errors import DrumtabberError
from .findings import Finding, Severity
from .score import Score
from .textio import read_text

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


def parse_file(path: Path, manager, *, options: dict | None = None,
               settings: dict | None = None, parser_name: str | None = None) -> ParseResult:
    """Read one tab file with the parser plugin that claims it.

    ``options`` are the parser's own options; ``settings`` (the effective configuration)
    fill any parser option of the same name that ``options`` does not give.
    A parser with ``binary = True`` (named, or claiming the file's ending by its ``suffixes``)
    is given the file's bytes instead of its text.  Problems, including a missing or binary
    file and a parser bug, come back as findings; the score is empty when the file could not
    be read.
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
                              options=build_options(parser, values, source=str(path)))
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
    except DrumtabberError:           # unknown name, duplicate plugins: reported by parse_file
        return None


def _read_bytes(path: Path) -> tuple[bytes | None, list[Finding]]:
    try:
        return Path(path).read_bytes(), []
    except OSError as exc:
        return None, [Finding(str(path), 1, 1, "DT001", f"cannot read file: {exc.strerror or exc}")]


def validate_alignment(path: Path, manager, *, audio_dir: Path | None = None,
                       settings: dict | None = None) -> list[Finding]:
    """Findings about one alignment file (its own DT2xx checks; lint the tab separately)."""
    from .align import align, load_alignment
    alignment, findings = load_alignment(path)
    if alignment is None or any(f.severity == Severity.ERROR for f in findings):
        return findings
    try:
        result = align(alignment, manager, audio_dir=audio_dir, settings=settings)
    except DrumtabberError as exc:
        return findings + [Finding(str(path), exc.line or 1, 1, "DT201", exc.message)]
    except Exception as exc:  # a bug must not stop a run over many files
        return findings + [Finding(str(path), 1, 1, "DT000", f"{type(exc).__name__}: {exc}")]
    return findings + [f for f in result.findings if f.code.startswith("DT2")]


def validate_paths(paths: Iterable[Path], manager, *, options: dict | None = None,
                   settings: dict | None = None, progress=None,
                   audio_dir: Path | None = None) -> list[Finding]:
    """All findings for the tab and alignment files in ``paths`` (files and folders)."""
    from .align import ALIGNMENT_SUFFIXES
    suffixes = tuple({s for p in manager.registry("tab_parser")
                      for s in getattr(p, "suffixes", ())} | set(TAB_SUFFIXES)
                     | set(ALIGNMENT_SUFFIXES))
    findings = []
    for path in paths:
        if not Path(path).exists():
            findings.append(Finding(str(path), 1, 1, "DT001", "no such file or folder"))
    files = list(iter_input_files([p for p in paths if Path(p).exists()], suffixes))
    for path in (progress(files) if progress else files):
        if path.suffix.lower() in ALIGNMENT_SUFFIXES:
            findings.extend(validate_alignment(path, manager, audio_dir=audio_dir,
                                               settings=settings))
        else:
            findings.extend(parse_file(path, manager, options=options,
                                       settings=settings).findings)
    return findings


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.severity == Severity.ERROR for f in findings)
