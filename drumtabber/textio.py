"""Reading user text files: encodings, line ends, binary files."""
from __future__ import annotations

from pathlib import Path

from .findings import Finding

# Bytes sniffed for NUL characters to call a file binary (git uses the first 8000 bytes).
BINARY_SNIFF_BYTES = 8000


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
    """Read and decode a text file; a missing or unreadable file gives a DT001 finding."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        return None, [Finding(str(path), 1, 1, "DT001", f"cannot read file: {exc.strerror or exc}")]
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
