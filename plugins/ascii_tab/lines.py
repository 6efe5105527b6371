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

_STAFF_CHARS = set(V.REST_CHARS) | set("xXoOgGfFdDrRbB#@sScwW+*0")
_COUNT_CHARS = set("0123456789e+&atqs .-|()[]iplndu")
# Count notation ("BD  11nn----33nn", site-tabs/ratm_wake_up.txt): digits name the beat
# they are played in, 'n' and '-' fill the other cells.
_COUNT_NOTATION = re.compile(r"[-n0-9 |:]*[1-9][-n0-9 |:]*")
_BAR_DELIMS = "|()[]"
_LABEL_RE = re.compile(r"^[A-Za-z0-9#&](?:[A-Za-z0-9#&.()'/+-]| (?! )){0,%d}$" % (MAX_LABEL_LEN - 1))
_BRACKET_WORDS = r"(?:repeat|rpt|play|times|time)"
_BRACKET_BODY = re.compile(
    rf"^[|\-=_ ]*(?:(?:{_BRACKET_WORDS}[\s-]*)*(?:x\s?\d+|\d+\s?x|\d+\s*times)"
    rf"(?:[\s-]*{_BRACKET_WORDS})*[|\-=_ ]*)+$", re.I)
# A run of letters inside a bar that holds letters no line reads as hit symbols: a word
# ("S ------repeat-----|", "CC  1nnn roll roll", "---Fill for 6 Mesures---").
_WORD = re.compile(r"[A-Za-z]{2,}")
_WORD_GAP = re.compile(r" (?:[A-Za-z\d]+ )*")      # between the words of one phrase
_SYMBOL_LETTERS = set("xXoOgGfFdDrRbBsScwWn")
# A letter that no line reads as a hit symbol: where a word inside a bar may be.
NOT_SYMBOL_LETTER = re.compile("[%s]" % "".join(
    ch for ch in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" if ch not in _SYMBOL_LETTERS))
# A gap of three or more spaces parts two bars of a line written without bar lines
# (site-tabs/ratm_wake_up.txt parts them by four); one space parts two beats, and two stand
# inside a bar there (its part 11).
_BARE_GAP = re.compile(r" {3,}")
# A line without any bar line needs this many cells that are rests or hits (not words).
MIN_BARE_CELLS = 4


@dataclass
class StaffLine:
    no: int                 # 0-based line index
    label: str
    text: str
    bars: list              # [(start, end)] column spans of bar contents
    post: str               # text after the last bar line
    signs: list = field(default_factory=list)   # per bar: (opens a repeat "|:", closes ":|")
    open_last: bool = False                     # the last bar has no closing bar line
    bare: bool = False                          # written without any bar line
    counted: bool = False                       # count notation: digits are the hits


_OPENER = re.compile(r"^(\s*[A-Za-z][\w.()'/+-]{0,7})(?:\s+|\s*:)(?=[-xXoO][-xXoOgfdr]{3})")
# A short label glued to its first bar without a bar line: "Hf-----------x---|"
# (site-tabs/ratm_killing_in_the_name.txt).
_GLUED = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]{0,3})(?=-[-xXoO][-xXoOgfdr]{2})")
_GLUED_LABELS = frozenset(V.LABELS) | {k.upper() for k in V.LABELS} | {k.lower() for k in V.LABELS}
_COUNT_LABEL = re.compile(r"\d(?:\s*[+&ea.]\s*|\s+\d)+[\s+&ea.]*")
# Arrows after an unclosed last bar say the music goes on ("X-->", site-tabs/nirvana_lithium).
_ARROWS = "<>"


_NOT_STAFF = str.maketrans("", "", "".join(_STAFF_CHARS) + "|")


def _staff_share(inner: str) -> float:
    """Share of characters that are rests, bar lines or hit symbols."""
    return 1 - len(inner.translate(_NOT_STAFF)) / len(inner)


def is_word(run: str, symbols=()) -> bool:
    """Whether a run of letters inside a bar is a word rather than hit symbols (those of
    every line, and ``symbols``: the line's own, from its legend)."""
    return sum(ch.isalpha() and ch not in _SYMBOL_LETTERS and ch not in symbols
               for ch in run) >= 2


def words_in(text: str, symbols=()) -> list:
    """The words (and phrases of words) inside a bar's text: [(start, end)]."""
    out: list = []
    for m in _WORD.finditer(text):
        if not is_word(m.group(), symbols):
            continue
        if out and _WORD_GAP.fullmatch(text[out[-1][1]:m.start()]):
            out[-1] = (out[-1][0], m.end())
        else:
            out.append(m.span())
    return out


def match_staff(text: str) -> StaffLine | None:
    first = text.find("|")
    if first < 0:
        return None
    label_end = first
    m = _OPENER.match(text) if first > 0 else None
    if m and first > m.end():        # "HH x-x-x-x-|..." / "HH:x-x-x-x-|...": no opening bar
        text = text[:m.end() - 1] + "|" + text[m.end():] if text[m.end() - 1] in " :" else text
        first = label_end = m.end() - 1
    elif first > 0:
        g = _GLUED.match(text)
        if g and first > g.end() and g.group(1) in _GLUED_LABELS:  # "Hf---x---|": no bar line
            first, label_end = g.end() - 1, g.end()
    last = text.rfind("|")
    label = text[:label_end].strip().rstrip(":").strip()
    if not label and last > first:   # "|x-x-x-x-| HH": the label on the right
        label = text[last + 1:].strip()
        text = text[:last + 1]
    if not label or not _LABEL_RE.match(label) or _COUNT_LABEL.fullmatch(label):
        return None
    inner = text[first + 1:last] if last > first else text[first + 1:].rstrip()
    if not inner:
        return None
    counted = "n" in inner and bool(_COUNT_NOTATION.fullmatch(inner))
    if not counted and _staff_share(inner) < STAFF_SYMBOL_SHARE:
        return None
    spans, signs = _bar_spans(text, first, last)
    post = text[last + 1:]
    tail = post.rstrip()
    core = tail.rstrip(_ARROWS)
    if (len(core) >= 2 or core != tail and core) and all(
            ch in _STAFF_CHARS and ch != " " for ch in core):
        spans.append((last + 1, last + 1 + len(core)))      # a last bar left open: "|x-x-"
        signs.append((core.startswith(":"), False))
        post = post[len(tail):]
    if not spans:
        return None
    return StaffLine(-1, label, text, spans, post, signs, open_last=post != text[last + 1:],
                     counted=counted)


_BARE = re.compile(r"^(\s*)([A-Za-z][A-Za-z0-9]{0,5})(\s*:\s*|\s+)(?=\S)")


def match_bare_staff(text: str, labels) -> StaffLine | None:
    """A line without bar lines: a known label, then cells ("SD  -----2nnn------4nnn",
    "BD  ---Fill for 6 Mesures---"); ``labels`` tells the labels known before the legend."""
    m = _BARE.match(text)
    if not m or m.group(2) not in labels:
        return None
    body = text[m.end():].rstrip()
    cells = body
    for a, b in reversed(words_in(body)):
        cells = cells[:a] + " " * (b - a) + cells[b:]
    solid = cells.replace(" ", "")
    if len(solid) < MIN_BARE_CELLS or not ("-" in solid or "n" in solid):
        return None
    counted = bool(_COUNT_NOTATION.fullmatch(cells)) and "n" in cells
    if not counted and any(ch not in _STAFF_CHARS for ch in solid):
        return None
    start, spans = m.end(), []
    for part in _BARE_GAP.split(body):
        if part.strip():
            a = body.index(part, spans[-1][1] - start if spans else 0)
            spans.append((start + a, start + a + len(part)))
    return StaffLine(-1, m.group(2), text, spans, "", [(False, False)] * len(spans),
                     bare=True, counted=counted)


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
    if not stripped or not _ANY_DIGIT.search(stripped):   # every bracket holds a number
        return False
    if is_volta(text):
        return True
    bar = stripped.find("|")
    body = stripped[bar:] if bar >= 0 else stripped
    if not body.startswith(("|", "-", "=", "_")) or not _BRACKET_BODY.match(body):
        return False
    return not _CELLS.search(stripped[:max(bar, 0)])   # cells before: a staff with "| 2x"


_CELLS = re.compile(r"-{4}|-[xXoO]|[xXoO]-")
_ANY_DIGIT = re.compile(r"\d")


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
    repeat_at: tuple | None = None    # (line index, column) of that note or mark
    section_repeat: tuple | None = None   # (last system index, times, note line): "Chorus x2"
    meter: Meter | None = None
    bar_meters: dict = field(default_factory=dict)  # bar index -> meter written over or beside it

    @property
    def counted(self) -> bool:
        """Written in count notation: digits are the hits."""
        return any(st.counted for st in self.staffs)

    @property
    def first_no(self) -> int:
        return (self.brackets[0][0] if self.brackets else self.staffs[0].no)

    @property
    def last_no(self) -> int:
        return self.count_no if self.count_no is not None else self.staffs[-1].no
