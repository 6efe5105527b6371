"""Line classification: staff lines and their bars, repeat brackets and endings, count
lines, guitar tabs pasted in between, and the systems they make up."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from drumtabber.score import Meter

from . import vocab as V

# Share of a staff line's bar characters that must be rests or known hit symbols for the
# line to count as a staff (prose with '|' in it falls far below this).
STAFF_SYMBOL_SHARE = 0.6
# Longest label accepted in front of a staff line ("Snare", "China").
MAX_LABEL_LEN = 20

_STAFF_CHARS = set(V.REST_CHARS) | set("xXoOgGfFdDrRbB#@sScwW+*")
_COUNT_CHARS = set("0123456789e+&atqs .-|()[]iplndu")
_BAR_DELIMS = "|()[]"
_LABEL_RE = re.compile(r"^[A-Za-z0-9#&](?:[A-Za-z0-9#&.()'/+-]| (?! )){0,%d}$" % (MAX_LABEL_LEN - 1))
_BRACKET_BODY = re.compile(r"^[|\-=_ ]*(?:(?:x\s?\d{1,3}|\d{1,3}\s?x)[|\-=_ ]*)+$", re.I)


@dataclass
class StaffLine:
    no: int                 # 0-based line index
    label: str
    text: str
    bars: list              # [(start, end)] column spans of bar contents
    post: str               # text after the last bar line
    signs: list = field(default_factory=list)   # per bar: (opens a repeat "|:", closes ":|")
    open_last: bool = False                     # the last bar has no closing bar line


_OPENER = re.compile(r"^(\s*[A-Za-z][\w.()'/+-]{0,7})(?:\s+|\s*:)(?=[-xXoO][-xXoOgfdr]{3})")
_COUNT_LABEL = re.compile(r"\d(?:\s*[+&ea.]\s*|\s+\d)+[\s+&ea.]*")


_NOT_STAFF = str.maketrans("", "", "".join(_STAFF_CHARS) + "|")


def _staff_share(inner: str) -> float:
    """Share of characters that are rests, bar lines or hit symbols."""
    return 1 - len(inner.translate(_NOT_STAFF)) / len(inner)


def match_staff(text: str) -> StaffLine | None:
    first = text.find("|")
    m = _OPENER.match(text) if first > 0 else None
    if m and first > m.end():        # "HH x-x-x-x-|..." / "HH:x-x-x-x-|...": no opening bar
        text = text[:m.end() - 1] + "|" + text[m.end():] if text[m.end() - 1] in " :" else text
        first = m.end() - 1
    last = text.rfind("|")
    if first < 0:
        return None
    label = text[:first].strip().rstrip(":").strip()
    if not label and last > first:   # "|x-x-x-x-| HH": the label on the right
        label = text[last + 1:].strip()
        text = text[:last + 1]
    if not label or not _LABEL_RE.match(label) or _COUNT_LABEL.fullmatch(label):
        return None
    inner = text[first + 1:last] if last > first else text[first + 1:].rstrip()
    if not inner:
        return None
    if _staff_share(inner) < STAFF_SYMBOL_SHARE:
        return None
    spans, signs = _bar_spans(text, first, last)
    post = text[last + 1:]
    tail = post.rstrip()
    if len(tail) >= 2 and all(ch in _STAFF_CHARS and ch != " " for ch in tail):
        spans.append((last + 1, last + 1 + len(tail)))      # a last bar left open: "|x-x-"
        signs.append((tail.startswith(":"), False))
        post = post[len(tail):]
    if not spans:
        return None
    return StaffLine(-1, label, text, spans, post, signs, open_last=post != text[last + 1:])


def _bar_spans(text: str, first: int, last: int) -> tuple[list, list]:
    """Column spans of the bars between ``|`` lines; repeat signs ``|:`` and ``:|`` are not
    columns, they are returned per bar as (opens, closes)."""
    spans, signs = [], []
    start = first + 1
    for i in range(first + 1, last + 1):
        if text[i] == "|":
            a, b = start, i
            opens = a < b and text[a] == ":"
            closes = b - 1 > a and text[b - 1] == ":"
            a, b = a + opens, b - closes
            if b > a:
                spans.append((a, b))
                signs.append((opens, closes))
            start = i + 1
    return spans, signs


_VOLTA = re.compile(r"(?<![\w.])([1-9])(?:\.|st|nd|rd|th)(?![\w])")


def is_volta(text: str) -> bool:
    """A line of first/second endings over the bars: "   |1.-------|2.------|"."""
    if not _VOLTA.search(text):
        return False
    rest = _VOLTA.sub("", text)
    return all(ch in " |-_[]=." for ch in rest) and len(text.strip()) >= 2


def is_bracket(text: str) -> bool:
    stripped = text.strip()
    if not stripped:
        return False
    if is_volta(text):
        return True
    body = stripped[stripped.find("|"):] if "|" in stripped else stripped
    if not body.startswith(("|", "-", "=", "_")):
        return False
    return bool(_BRACKET_BODY.match(body))


def is_count_line(text: str, ref: StaffLine) -> bool:
    lo, hi = ref.bars[0][0] - 1, ref.bars[-1][1] + 1
    if text[:max(lo, 0)].strip().lower() not in ("", "count", "c"):
        return False
    part = text[max(lo, 0):hi]
    # a line of bar numbers ("1       2       3") has one number a bar, a count line more
    numbers = len(re.findall(r"\d+", part))
    return (numbers >= 1.5 * len(ref.bars) or (numbers >= len(ref.bars) and re.search(
                r"[e+&a]|t[qes]", part) is not None)) and all(ch in _COUNT_CHARS for ch in part)


_STRING_LABELS = set("eBGDAEbgda")


def is_string_tab(system) -> bool:
    """A guitar or bass tab (lines e B G D A E with fret numbers) pasted among drum lines."""
    labels = [st.label for st in system.staffs]
    return (len(labels) >= 4 and all(lab in _STRING_LABELS for lab in labels)
            and any(ch.isdigit() for st in system.staffs for s, e in st.bars
                    for ch in st.text[s:e]))


@dataclass
class System:
    staffs: list
    count: str | None = None          # the count line text
    count_no: int | None = None
    brackets: list = field(default_factory=list)   # [(line index, text)]
    repeat_times: int = 1             # from a prose note such as "(repeat 3 times)"
    section_repeat: tuple | None = None   # (last system index, times, note line): "Chorus x2"
    meter: Meter | None = None

    @property
    def first_no(self) -> int:
        return (self.brackets[0][0] if self.brackets else self.staffs[0].no)

    @property
    def last_no(self) -> int:
        return self.count_no if self.count_no is not None else self.staffs[-1].no
