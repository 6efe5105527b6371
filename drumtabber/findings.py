"""Linter findings: one problem found in an input file, with a stable code."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# Every finding code, its default severity and a one-line meaning.  Codes never change
# meaning once released; new checks get new numbers.
CODES: dict[str, tuple[Severity, str]] = {
    "DT000": (Severity.ERROR, "internal error while reading the file (please report it)"),
    "DT001": (Severity.ERROR, "file cannot be read (missing, unreadable or binary)"),
    "DT002": (Severity.WARNING, "no drum tab found in the file"),
    "DT003": (Severity.INFO, "file is not UTF-8; decoded with a legacy code page"),
    "DT101": (Severity.ERROR, "unknown instrument label"),
    "DT102": (Severity.WARNING, "ambiguous instrument label resolved by a guess"),
    "DT103": (Severity.ERROR, "unknown hit symbol"),
    "DT104": (Severity.ERROR, "lines of one system disagree in bar layout or width"),
    "DT105": (Severity.ERROR, "count line disagrees with its bar"),
    "DT106": (Severity.WARNING, "two different symbols for one instrument in one cell"),
    "DT107": (Severity.ERROR, "repeat mark without an end, or that covers no bar"),
    "DT108": (Severity.WARNING, "bar grid or meter guessed from the bar width"),
    "DT109": (Severity.WARNING, "label used twice in one system"),
    "DT110": (Severity.WARNING, "legend entry not understood"),
    "DT111": (Severity.INFO, "header hint read (tempo, meter)"),
    "DT112": (Severity.INFO, "guitar or bass tab skipped"),
    "DT113": (Severity.WARNING, "a line that looks like a drum staff could not be read"),
    "DT114": (Severity.ERROR, "repeat count too large, or repeats past the longest song read"),
    "DT201": (Severity.ERROR, "alignment file malformed: bad syntax, unknown key or wrong value"),
    "DT202": (Severity.ERROR, "alignment file's tab is missing or has no bars"),
    "DT203": (Severity.ERROR, "tempo change, ramp, anchor or meter past the end of the tab"),
    "DT204": (Severity.ERROR, "anchors do not increase in position and time"),
    "DT205": (Severity.ERROR, "tempo reaches 0 BPM or below"),
    "DT206": (Severity.ERROR, "meter does not fit the bar's columns"),
    "DT207": (Severity.ERROR, "onsets fall outside the recording"),
    "DT208": (Severity.ERROR, "recording not found or unreadable"),
    "DT209": (Severity.ERROR, "recording's checksum differs from the alignment file's"),
    "DT210": (Severity.ERROR, "recording's duration differs from the alignment file's"),
    "DT212": (Severity.WARNING, "seed flag disagrees with the tab (triplets)"),
    "DT213": (Severity.WARNING, "the seed's tempo sections are counted from the first drum note's cell"),
    "DT301": (Severity.ERROR, "class scheme file malformed: bad TOML, unknown key or wrong value"),
    "DT302": (Severity.ERROR, "class scheme names an unknown instrument, family or articulation"),
    "DT303": (Severity.WARNING, "instrument in the data neither mapped to a class nor dropped"),
    "DT304": (Severity.ERROR, "class scheme both maps and drops the same instrument"),
    "DT401": (Severity.ERROR, "augmentation chain malformed: bad TOML, unknown augmenter, "
                              "bad probability or option"),
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one file: where it is, its stable code, severity and message."""

    path: str
    line: int
    column: int
    code: str
    message: str
    severity: Severity = None  # type: ignore[assignment]

    def __post_init__(self):
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        if self.severity is None:
            object.__setattr__(self, "severity", CODES[self.code][0])

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        return d

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.code} {self.severity.value}: {self.message}"


def errors_of(findings) -> list[Finding]:
    """The findings that are errors."""
    return [f for f in findings if f.severity == Severity.ERROR]


def has_errors(findings) -> bool:
    """Whether any finding is an error."""
    return bool(errors_of(findings))
