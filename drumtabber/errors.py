"""The one exception hierarchy of drumtabber.

A user-facing error names the file, line and column where it can, what was expected and
what was found; the CLI prints it without a traceback and exits with status 1.
"""
from __future__ import annotations


class DrumtabberError(Exception):
    """Base class of every error drumtabber raises on bad input or a failed job."""

    def __init__(self, message: str, *, path=None, line: int | None = None,
                 column: int | None = None, code: str | None = None):
        self.message = message
        self.code = code              # the finding code this error becomes, when it has one
        self.path = path
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return where + self.message


class AlignmentError(DrumtabberError):
    """An alignment file is missing, malformed or inconsistent with its tab or audio."""


class ConfigError(DrumtabberError):
    """A configuration file, environment variable or option has a bad value."""


class PluginError(DrumtabberError):
    """A plugin failed to load, or two plugins claim the same component name."""


class UnknownComponentError(DrumtabberError):
    """A component name (parser, class map, exporter, ...) that no plugin registered."""
