"""ASCII drum tabs: the generic parser (asked last) and the tab writer.

Reads the tabs people post on the web: systems of labelled lines (``HH|x-x-|``) between prose,
legends, section headers and lyrics; count lines (``1e+a2e+a``, ``1 e & a``) with the seed
project's triplet pairs (``tq`` ``te`` ``ts``); repeat brackets and repeat notes; tempo and
meter headers.  Where the tab is ambiguous the most likely reading is taken and a finding
says so; no hit is dropped without a finding.

The modules, each importing only those above it: :mod:`.vocab` (labels, symbols, legend
words), :mod:`.prepare` (line ends, control bytes, soft-wrapped lines, vertical meters, and
the map back to the file's lines and columns), :mod:`.legend`, :mod:`.grids` (count lines
and bar grids), :mod:`.lines` (line classification and systems), :mod:`.repeats`,
:mod:`.bars` (bar grids, count notation and the hits of each bar), :mod:`.parse` (the
parser) and :mod:`.writer`.
"""
from __future__ import annotations

from pathlib import Path

from drumtabber.components import ParseHints, ParseResult
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Score

from .grids import grid_from_count, grid_from_width
from .parse import AsciiTabOptions, parse_meter_changes, parse_tab
from .writer import AsciiTabWriterOptions, write_tab, writer_line

__all__ = ["NAME", "AsciiTabOptions", "AsciiTabParser", "AsciiTabWriter",
           "AsciiTabWriterOptions", "PARSER", "WRITER", "grid_from_count", "grid_from_width",
           "parse_meter_changes", "parse_tab", "write_tab", "writer_line"]

NAME = "ascii"


# --------------------------------------------------------------------------------------
# Plugin
# --------------------------------------------------------------------------------------
class AsciiTabParser:
    name = NAME
    description = "ASCII drum tabs as posted on tab sites (generic; asked last)"
    Options = AsciiTabOptions

    def parse(self, text: str, *, path: Path | str = "<tab>", options=None,
              hints: ParseHints | None = None) -> ParseResult:
        return parse_tab(text, path=path, options=options, hints=hints)


class AsciiTabWriter:
    name = NAME
    description = "ASCII drum tabs with a count line under each system (read back by 'ascii')"
    Options = AsciiTabWriterOptions

    def write(self, score: Score, *, dropped: list | None = None,
              options: AsciiTabWriterOptions | None = None) -> str:
        options = options or AsciiTabWriterOptions()
        return write_tab(score, bars_per_line=options.bars_per_line, dropped=dropped)


PARSER = AsciiTabParser()
WRITER = AsciiTabWriter()


@hookimpl
def register_tab_parsers(register):
    register(PARSER)


@hookimpl
def register_tab_writers(register):
    register(WRITER)


@hookimpl(trylast=True)
def choose_tab_parser(path, text):
    return NAME
