"""Reading user text files: encodings, line ends, binary files."""
from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import DrumtabberError
from .findings import Finding

# Bytes sniffed for NUL characters to call a file binary (git uses the first 8000 bytes).
BINARY_SNIFF_BYTES = 8000
# The largest input file read whole (a tab, alignment file, class scheme, config file, model
# description, MIDI file): a tab site's page is ~15 kB and the Groove MIDI Dataset's longest
# file ~100 kB, so this is far above any real one, and bounds the memory a wrong file takes.
MAX_INPUT_BYTES = 16 * 2**20


def input_file_problem(path, *, limit: int = MAX_INPUT_BYTES) -> str | None:
    """Why ``path`` cannot be read as an input file ("is a folder, not a file", "is not a
    regular file ...", "is larger than ..."), or None when it can."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be read: {exc.strerror or exc}"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a device, FIFO or socket)"
    if info.st_size > limit:
        return (f"is larger than {limit // 2**20} MB ({info.st_size:,} bytes): not an input "
                "file of this kind")
    return None


def read_input_bytes(path, *, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    A folder, a device (``/dev/zero``), a FIFO or a socket is never opened (reading one
    could block or never end), and a larger file is refused: both raise
    :class:`DrumtabberError` naming the file and what it is (:func:`input_file_problem`).
    """
    path = Path(path)
    problem = input_file_problem(path, limit=limit)
    if problem:
        raise DrumtabberError(problem, path=path)
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise DrumtabberError(str(exc.strerror or exc), path=path) from None
    if len(data) > limit:                                  # it grew while we read it
        raise DrumtabberError(f"is larger than {limit // 2**20} MB", path=path)
    return data


def read_input_file(path, *, what: str) -> tuple[str | None, list[Finding]]:
    """A UTF-8 input file's text, or None and a DT001 finding saying why ``what`` ("alignment
    file", "class scheme") cannot be read."""
    try:
        return read_input_text(path), []
    except DrumtabberError as exc:
        return None, [Finding(str(path), exc.line or 1, 1, "DT001",
                              f"cannot read {what}: {exc.message}")]


def read_input_text(path, *, limit: int = MAX_INPUT_BYTES) -> str:
    """A regular UTF-8 text file (a leading byte-order mark dropped); see
    :func:`read_input_bytes`.  Undecodable text raises :class:`DrumtabberError`."""
    data = read_input_bytes(path, limit=limit)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DrumtabberError("not UTF-8 text (first bad byte here)", path=path,
                              line=line) from None


def decode_bytes(data: bytes, *, path: str = "<text>") -> tuple[str | None, list[Finding]]:
    """Decode a text file: UTF-8 (with or without BOM), else cp1252, else latin-1.

    Returns ``(text, findings)``; ``text`` is None for a binary file (DT001).  Line ends
    are normalised to ``\\n``.
    """
    if b"\x00" in data[:BINARY_SNIFF_BYTES]:
        return None, [Finding(path, 1, 1, "DT001", "binary file (NUL bytes): not a text tab")]
    findings = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        try:
            text, codec = data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            text, codec = data.decode("latin-1"), "latin-1"
        findings.append(Finding(path, line, 1, "DT003",
                                f"not valid UTF-8 (first bad byte on this line); read as {codec}"))
    return text.replace("\r\n", "\n").replace("\r", "\n"), findings


def read_text(path: Path) -> tuple[str | None, list[Finding]]:
    """Read and decode a text file; a missing, unreadable or irregular file gives a DT001
    finding (see :func:`read_input_bytes`)."""
    try:
        data = read_input_bytes(path)
    except DrumtabberError as exc:
        return None, [Finding(str(path), exc.line or 1, 1, "DT001",
                              f"cannot read file: {exc.message}")]
    return decode_bytes(data, path=str(path))


def key_line(lines: list[str], key: str, *, table: str | None = None, index: int = 0,
             start: int = 1) -> int | None:
    """The 1-based line where ``key`` is set (``key = ...`` in TOML, ``"key": ...`` in JSON,
    or the header ``[table.key]``), searched from the ``index``-th ``[table]`` /
    ``[[table]]`` header when ``table`` is given, else from line ``start``; None when absent.
    Only the last part of a dotted key is looked for."""
    import re
    if table:
        headers = [i + 1 for i, text in enumerate(lines)
                   if re.match(rf"\s*\[+\s*{re.escape(table)}\s*\]+", text)]
        if index < len(headers):
            start = headers[index]
    leaf = key.rsplit(".", 1)[-1]
    setting = re.compile(rf"""^\s*(["']?){re.escape(leaf)}\1\s*[=:]""")
    header = (re.compile(rf"^\s*\[\s*{re.escape(table)}\.\s*(['\"]?){re.escape(leaf)}\1\s*\]")
              if table else None)
    for no in range(max(start, 1), len(lines) + 1):
        if setting.match(lines[no - 1]) or (header and header.match(lines[no - 1])):
            return no
    return None


def _toml_position(message: str) -> tuple[int, int, str]:
    import re
    m = re.search(r"\(at line (\d+), column (\d+)\)", message)
    if not m:
        m = re.search(r"line (\d+), column (\d+)", message)
    where = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
    return (*where, re.sub(r"\s*\(at line \d+, column \d+\)", "", message).strip())


# Parts of one dotted TOML key at most (``a.b.c`` has 3): Python's TOML parser takes time
# quadratic in them (a 50,000-part key: 50 s), and no settings file needs more than a few.
MAX_KEY_PARTS = 64


def parse_toml(text: str, *, path) -> dict:
    """TOML text as a dict; bad TOML (with its line and column), nesting too deep for the
    parser and keys of more than ``MAX_KEY_PARTS`` dotted parts raise
    :class:`DrumtabberError`."""
    import tomllib
    for no, line in enumerate(text.splitlines(), 1):
        key = line.split("=", 1)[0] if not line.lstrip().startswith("#") else ""
        if key.count(".") >= MAX_KEY_PARTS:
            raise DrumtabberError(f"not valid TOML here: a key of more than {MAX_KEY_PARTS} "
                                  "dotted parts", path=path, line=no)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, column, message = _toml_position(str(exc))
        raise DrumtabberError(f"not valid TOML: {message}", path=path, line=line,
                              column=column) from None
    except RecursionError:
        raise DrumtabberError("not valid TOML: tables or arrays nested too deeply",
                              path=path) from None
    except ValueError as exc:                  # an integer of more than 4,300 digits
        raise DrumtabberError(f"not valid TOML: {exc}", path=path) from None


def parse_json(text: str, *, path):
    """JSON text as Python values; bad JSON (with its line and column) and nesting too deep
    raise :class:`DrumtabberError`."""
    import json
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DrumtabberError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno,
                              column=exc.colno) from None
    except (RecursionError, ValueError) as exc:      # deep nesting; a 5,000-digit number
        reason = ("objects or arrays nested too deeply" if isinstance(exc, RecursionError)
                  else str(exc))
        raise DrumtabberError(f"not valid JSON: {reason}", path=path) from None
