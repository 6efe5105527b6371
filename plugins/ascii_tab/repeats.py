"""Repeats of ASCII drum tabs: repeat brackets (``|----x2----|``), repeat signs with first
and second endings (``|: ... :|``), prose repeat notes ("(repeat 3 times)", "Chorus x2"),
named section replays ("Repeat chorus") and their expansion into bars in playing order."""
from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter

from drumtabber.score import Bar, Event, Score, velocity_for

from .lines import _VOLTA, System, is_volta

# Lines between a prose repeat note and the system it belongs to.
REPEAT_NOTE_REACH = 2
# The most plays one repeat mark is read as: every count of up to three digits, as the repeat
# brackets and tokens of real tabs are written (the shared tabs' largest is 16: "16x"); a
# count of four or more digits ("x999999999") is a slip or a joke, read as one play.
MAX_REPEAT_TIMES = 999
# The most the repeats and section replays add to the bars as written (each always read
# once, however many: a 10 MB file of real tabs writes 94,000): 10,000 bars is over 5 hours
# of 4/4 at 120 BPM, the MIDI plugin's MAX_BARS (plugins/gm_midi); 1,000,000 hits is 100 a
# bar over those bars (a real song has a few thousand).  The repeat that would go past
# either bound is cut there, with a finding.
MAX_PLAYED_BARS = 10_000
MAX_PLAYED_HITS = 1_000_000
# Repeats nested around one bar (a bracket inside |: :| inside a section repeat is three):
# more is no tab anyone plays from, and each level is one more call deep when expanded.
MAX_NESTED_REPEATS = 8
# Digits of a count read as a number: more is not a count (and Python's int() refuses
# strings of over 4,300 digits).
_MAX_COUNT_DIGITS = 12


def read_count(digits: str) -> int:
    """A repeat count's digits as a number; over _MAX_COUNT_DIGITS digits, 10**12."""
    return int(digits) if len(digits) <= _MAX_COUNT_DIGITS else 10 ** _MAX_COUNT_DIGITS

_REPEAT_TOKEN = re.compile(r"(?i)(?<![a-z0-9])(?:x\s?(\d+)|(\d+)\s?x)(?![a-z0-9])")
_REPEAT_NOTE = re.compile(
    r"(?i)\b(?:repeat(?:ed)?|play(?:ed)?)\s*(?:x\s*(\d+)|(\d+)\s*(?:x|times)\b)"
    r"|^\W*(?:x\s?(\d+)|(\d+)\s?x)\W*$"
    r"|^[^|]{0,40}?(?:^|[\s(\[-])(?:x\s?(\d+)|(\d+)\s?x|(\d+)\s*times)\b[^|]{0,20}$"
    r"|^[^|]{0,40}?\b(twice|thrice)\b[^|]{0,20}$")   # "Intro x2", "Verse (4x)", "play twice"
_WORD_TIMES = {"twice": 2, "thrice": 3}
# The count inside a repeat bracket: "x3", "3x", "REPEAT-7X", "repeat 3 times".
_BRACKET_COUNT = re.compile(r"(?i)(?<![a-z0-9])(?:x\s?(\d+)|(\d+)\s?(?:x|\s*times\b))"
                            r"(?![a-z0-9])")
_REPEAT_WORD = re.compile(r"(?i)\b(?:repeat|rpt)")
# A bracket drawn without end bars ("   ______x9______") needs this many '_' or '-' on each
# side of its count to be read as a bracket (site-tabs/nirvana_lithium.txt draws 15).
MIN_OPEN_BRACKET_RULE = 4
# A note on what "repeat x3" means: "play the measure 3 times, not play it once and then
# repeat it 3 more times" (site-tabs/ratm_take_the_power_back.txt), "repeat x3 = play it 4
# times", "x3 means 3 more times".  Its two numbers say it, else its words.
_CONVENTION_NUMBERS = re.compile(r"(?i)\brepeat\W{0,3}\s*(?:x\s*(\d+)|(\d+)\s*x)\b.{0,80}?"
                                 r"\b(\d+)\s+(?:more\s+)?times")
# A note says it within a sentence or two: at most 300 characters from "repeat" to its words
# (site-tabs/ratm_take_the_power_back.txt: 105), which keeps a long paragraph linear.
_CONVENTION = re.compile(r"(?i)\brepeat\b.{0,300}?\b(?:more\s+times|in\s+total|altogether|"
                         r"additional|"
                         r"including\s+the\s+first)")
_MORE_TIMES = re.compile(r"(?i)\bmore\s+times|\badditional\b")
_NOT_MORE = re.compile(r"(?i)\bnot\b[^.;]{0,300}?\bmore\s+times|\bin\s+total|\baltogether|"
                       r"\bincluding\s+the\s+first")
_SECTION_WORD = (r"(intro|verse|pre-?chorus|chorus|bridge|outro|solo|breakdown|interlude|"
                 r"groove|riff|ending|coda|refrain)")
_HEADER = re.compile(rf"(?i)^\W*{_SECTION_WORD}\b[^|=]{{0,30}}$")
_REFERENCE = re.compile(
    rf"(?i)^\W*(?:repeat|play|back\s+to|same\s+as|go\s+to)\s+(?:the\s+)?(?:first\s+)?{_SECTION_WORD}\b"
    rf"|^\W*{_SECTION_WORD}\b[^|]{{0,20}}?\b(?:again|as\s+before|same\s+as\s+before)\b")


class _Repeats:
    """The repeat handling of :class:`~.parse._Parse` (a mixin: it uses the parse's
    ``lines``, ``path`` and ``find``)."""

    def repeat_section(self, no, i, times, systems, starts, ends, col=0) -> None:
        """A note above system ``i``: "Chorus x2" repeats the whole section (the systems up
        to the next header line); a bare "x2" or "(repeat twice)" the one system."""
        words = re.sub(r"(?i)\b(repeat(ed)?|play(ed)?|times?|twice|thrice)\b|[x\u00d7]\s?\d+|\d+\s?x",
                       "", self.lines[no])
        j = i
        if re.search(r"[A-Za-z]{2}", words):
            while j + 1 < len(systems) and all(not self.lines[k].strip()
                                               for k in range(ends[j] + 1, starts[j + 1])):
                j += 1
        if j == i:
            systems[i].repeat_times, systems[i].repeat_at = times, (no, col)
        else:
            systems[i].section_repeat = (j, times, no, col)

    def attach_repeat_note(self, no, times, systems, starts, ends, col=0):
        blank = lambda a, b: any(not self.lines[k].strip() for k in range(a, b))  # noqa: E731
        # right under a system it repeats that system; right over one, the one below; then
        # the nearest within reach, below first
        for i in [i for i, end in enumerate(ends) if no - end == 1]:
            systems[i].repeat_times, systems[i].repeat_at = times, (no, col)
            return
        for i, start in enumerate(starts):
            if 0 < start - no <= REPEAT_NOTE_REACH and not blank(no + 1, start):
                self.repeat_section(no, i, times, systems, starts, ends, col)
                return
        for i, end in enumerate(ends):
            if 0 < no - end <= REPEAT_NOTE_REACH and not blank(end + 1, no):
                systems[i].repeat_times, systems[i].repeat_at = times, (no, col)
                return
        self.find(no, 0, "DT107", f"repeat note ({times} times) is not next to a system; "
                  "put it directly above or below the lines it repeats")

    # -- repeats -----------------------------------------------------------------------
    def find_repeat_convention(self, prose: list) -> None:
        """Read a note that says whether "repeat x3" is three plays or four (the first one
        found wins); without one, "repeat xN" is N plays in total, the most common reading."""
        self.repeat_more, self.repeat_note, self._reading_said = False, None, False
        self.convention_lines: set = set()
        paragraphs, current = [], []
        for no in prose:
            if self.lines[no].strip() and (not current or current[-1] == no - 1):
                current.append(no)
                continue
            paragraphs.append(current)
            current = [no] if self.lines[no].strip() else []
        paragraphs.append(current)
        for para in filter(None, paragraphs):
            text = " ".join(self.lines[no].strip() for no in para)
            numbers = _CONVENTION_NUMBERS.search(text)
            if numbers and not _MORE_TIMES.search(numbers.group()):
                said, plays = int(numbers.group(1) or numbers.group(2)), int(numbers.group(3))
                if plays not in (said, said + 1):
                    continue
                self.repeat_more = plays == said + 1
            elif _CONVENTION.search(text):
                self.repeat_more = bool(_MORE_TIMES.search(text)) and not _NOT_MORE.search(text)
            else:
                continue
            self.repeat_note = next(no for no in para if _REPEAT_WORD.search(self.lines[no]))
            self.convention_lines = set(para)
            return

    def capped(self, times: int, no: int, col: int, mark: str) -> int:
        """A repeat count over MAX_REPEAT_TIMES is read as one play, with a finding at the
        mark's line and column; other counts as they are."""
        if times <= MAX_REPEAT_TIMES:
            return times
        said = (f"{times:,}" if times < 10 ** _MAX_COUNT_DIGITS
                else f"over {10 ** _MAX_COUNT_DIGITS - 1:,}")
        self.find(no, col, "DT114", f"repeat mark {mark.strip()[:40]!r} asks for {said} plays, "
                  f"more than the {MAX_REPEAT_TIMES} read (no real song repeats so often): its "
                  "bars are read as played once")
        return 1

    def plays(self, times: int, no: int, col: int, mark: str) -> int:
        """How many times a repeat mark ``mark`` with the count ``times`` plays its bars.
        A mark worded "repeat" follows the tab's own note on what it means, if any; the
        first such mark gets a finding that states the reading."""
        if not _REPEAT_WORD.search(mark):
            return times
        total = times + 1 if self.repeat_more else times
        if not self._reading_said:
            self._reading_said = True
            where = (f"as the tab's note at line {self.source.position(self.repeat_note, 0)[0]} "
                     "says" if self.repeat_note is not None else "the most common reading; a "
                     "note such as 'repeat x3 means 4 times' changes it")
            self.find(no, col, "DT111", f"repeat mark {mark.strip()!r} read as {total} plays in "
                      f"total ({where})")
        return total

    def _span(self, first: int, last: int, times: int, no: int, col: int) -> tuple:
        """A repeat of written bars ``first`` to ``last``, marked at line ``no``, ``col``."""
        self._spans += 1
        self._span_at[self._spans] = (no, col)
        return (first, last, times, self._spans)

    def _add_span(self, bar: dict, span: tuple) -> None:
        """Add a repeat to a bar; a bar's repeats are kept outermost first.  One past
        MAX_NESTED_REPEATS is not added (with a finding at its mark, once)."""
        spans = bar.setdefault("repeats", [])
        if len(spans) >= MAX_NESTED_REPEATS:
            if span[3] not in self._cut:
                self._cut.add(span[3])
                self.find(*self._span_at[span[3]], "DT114", f"repeat x{span[2]} would nest "
                          f"more than {MAX_NESTED_REPEATS} repeats around bar {bar['written']}; "
                          "it is not expanded")
            return
        spans.append(span)
        spans.sort(key=lambda sp: (sp[0] - sp[1], sp[3]))

    def find_repeats(self, system: System, bars: list) -> None:
        ref = system.staffs[0]
        ends = [e for _, e in ref.bars]
        for no, text in system.brackets:
            for m in _VOLTA.finditer(text) if is_volta(text) else ():
                # the ending's number marks the bar it stands over and the bars its line covers
                ending = int(m.group(1))
                k = bisect_right(ends, m.start())      # the one bar with s - 1 <= start < e
                covered = [k] if k < len(ends) and ref.bars[k][0] - 1 <= m.start() else []
                for k in range(covered[0] if covered else len(bars), len(bars)):
                    if k > covered[0] and (_VOLTA.search(text[ref.bars[k][0] - 1:ref.bars[k][1]])
                                           or not text[ref.bars[k][0]:ref.bars[k][1]].strip()):
                        break
                    bars[k]["ending"] = ending
                if not covered:
                    self.find(no, m.start(), "DT107", f"ending {ending}. stands over no bar")
            for m in _BRACKET_COUNT.finditer(text if not is_volta(text) else ""):
                self._read_bracket(no, text, m, ref, bars)
        open_at = None
        for k, (opens, closes) in enumerate(ref.signs):
            if opens:
                open_at = k
            if closes:
                first = 0 if open_at is None else open_at
                close = ref.bars[k][1]
                m = _REPEAT_TOKEN.search(ref.text, close, close + 8)     # ":|x3", ":| 3x"
                if m:                       # the whole count, when it runs past those columns
                    m = _REPEAT_TOKEN.match(ref.text, m.start()) or m
                    col = m.start()
                elif k == len(ref.bars) - 1:
                    m = _REPEAT_TOKEN.search(ref.post)
                    col = len(ref.text) - len(ref.post) + m.start() if m else 0
                times = self.capped(read_count(m.group(1) or m.group(2)), ref.no, col,
                                    m.group()) if m else 2
                span = self._span(bars[first]["written"], bars[k]["written"], times, ref.no,
                                  close)
                for j in range(first, k + 1):
                    self._add_span(bars[j], span)
                open_at = None
        if open_at is not None:
            self.find(ref.no, ref.bars[open_at][0] - 1, "DT107", "repeat sign '|:' is never "
                      "closed by ':|' in this system")
        trailing = [(st, m) for st in system.staffs for m in [_REPEAT_TOKEN.search(st.post)] if m]
        if trailing and system.repeat_times == 1 and not any(ref.signs[-1]):
            st, m = trailing[0]
            # a note split over two lines beside the system: "| repeat" over "|   3x"
            mark = " ".join(s.post.strip() for s in system.staffs if s.post.strip())
            col = len(st.text) - len(st.post) + m.start()
            times = self.capped(read_count(m.group(1) or m.group(2)), st.no, col, m.group())
            system.repeat_times = self.plays(times, st.no, col, mark)
            system.repeat_at = (st.no, col)
        if system.repeat_times > 1:
            span = self._span(bars[0]["written"], bars[-1]["written"], system.repeat_times,
                              *(system.repeat_at or (ref.no, 0)))
            for bar in bars:
                self._add_span(bar, span)

    def _read_bracket(self, no: int, text: str, m, ref, bars: list) -> None:
        """One repeat bracket over the staff: ``|---x2---|``, ``|----repeat-3x----|``,
        ``|____x7____|`` or a rule without end bars, ``   ______x9______``."""
        times = read_count(m.group(1) or m.group(2))
        left, right = text.rfind("|", 0, m.start()), text.find("|", m.end())
        if left < 0 and right < 0:                   # a rule with no end bars: its two ends
            before, after = text[:m.start()], text[m.end():]
            rule = "_-="
            if (len(before) - len(before.rstrip(rule + " ")) < MIN_OPEN_BRACKET_RULE
                    or len(after) - len(after.lstrip(rule + " ")) < MIN_OPEN_BRACKET_RULE):
                self.find(no, m.start(), "DT107", f"repeat bracket x{times} is not closed "
                          "by '|' at both ends")
                return
            left = len(before) - len(before.lstrip()) - 1
            right = len(text.rstrip())
        elif left < 0 or right < 0:
            self.find(no, m.start(), "DT107", f"repeat bracket x{times} is not closed "
                      "by '|' at both ends")
            return
        covered = [k for k, (s, e) in enumerate(ref.bars)
                   if min(e, right) - max(s, left) > (e - s) / 2]
        if not covered:
            self.find(no, m.start(), "DT107", f"repeat bracket x{times} covers no bar")
            return
        times = self.capped(times, no, m.start(), m.group())
        times = self.plays(times, no, m.start(), text[left + 1:right])
        if times > 1:
            span = self._span(bars[covered[0]]["written"], bars[covered[-1]]["written"], times,
                              no, m.start())
            for k in covered:
                self._add_span(bars[k], span)

    def insert_section_replays(self, prose, systems, written, first_bar_of_system) -> list:
        """"Repeat chorus", "Verse again": the bars of the first section of that name are
        played again at that point (sections are named by header lines such as "[Chorus]")."""
        def key(name):
            return re.sub(r"[\s-]", "", name.lower())
        headers = {no: key(m.group(1)) for no in prose for m in [_HEADER.match(self.lines[no])] if m}
        section_of, current = [], None
        for i, system in enumerate(systems):
            before = systems[i - 1].last_no if i else -1
            named = [no for no in headers if before < no < system.first_no]
            if named:
                current = headers[max(named)]
            section_of.append(current)
        starts = [s.first_no for s in systems]
        insertions = []
        # what the replays and repeats may still add: bars, hits (MAX_PLAYED_BARS/_HITS)
        self._room = room = [MAX_PLAYED_BARS, MAX_PLAYED_HITS]
        for no in prose:
            m = _REFERENCE.match(self.lines[no])
            if not m:
                continue
            nxt = next((i for i, start in enumerate(starts) if start > no), len(systems))
            if nxt < len(systems) and all(not self.lines[k].strip()
                                          for k in range(no + 1, starts[nxt])):
                continue                     # "Chorus again" written out below: a header
            name = key(m.group(1) or m.group(2))
            first = next((i for i in range(nxt) if section_of[i] == name), None)
            if first is None:
                self.find(no, 0, "DT107", f"{self.lines[no].strip()!r}: no section {name!r} "
                          "before this line to repeat; write it out")
                continue
            last = first
            while last + 1 < nxt and section_of[last + 1] == name:
                last += 1
            bars = written[first_bar_of_system[first] - 1:first_bar_of_system[last + 1] - 1]
            hits = sum(len(wb["hits"]) for wb in bars)
            if len(bars) > room[0] or hits > room[1]:
                self.find(no, 0, "DT114", f"section {name!r} ({len(bars)} bars) is not played "
                          f"again here: the repeats would add over {MAX_PLAYED_BARS:,} bars or "
                          f"{MAX_PLAYED_HITS:,} hits to the tab")
                continue
            room[0], room[1] = room[0] - len(bars), room[1] - hits
            insertions.append((first_bar_of_system[nxt] - 1, bars))
            self.find(no, 0, "DT111", f"section {name!r} played again here ({len(bars)} bars)")
        pieces, end = [], len(written)
        for n, (position, bars) in enumerate(sorted(insertions, key=lambda x: -x[0]), 1):
            copies = [wb | {"replay": n} for wb in bars]   # its own repeats are played too
            pieces += [written[position:end], copies]
            end = position
        return written[:end] + [wb for piece in reversed(pieces) for wb in piece]

    def expand_repeats(self, systems, written: list, score: Score) -> None:
        passes: Counter = Counter()              # times each written bar has been played
        self._played: set = set()                # id() of the bars played once
        for wb in self._play(written, frozenset()):
            passes[wb["written"]] += 1
            n = passes[wb["written"]]
            index = len(score.bars)
            score.bars.append(Bar(index, wb["meter"], wb["written"], n,
                                  wb["line"], wb["column"], wb["cells"]))
            for beat, instrument, arts, line, col, label in wb["hits"]:
                score.events.append(Event(index, beat, instrument, arts, velocity_for(arts),
                                          wb["written"], n, line, col, self.path, label))

    def _play(self, seq: list, done: frozenset) -> list:
        """The bars of ``seq`` in playing order: each repeat not in ``done`` played its
        number of times, outermost first; an ending plays on its pass of the innermost
        repeat around it."""
        out: list = []
        i = 0
        while i < len(seq):
            wb = seq[i]
            spans = [sp for sp in wb.get("repeats", ()) if sp not in done]
            if not spans:
                out.append(wb)
                self._played.add(id(wb))
                i += 1
                continue
            span = spans[0]
            j = i
            while (j < len(seq) and span in seq[j].get("repeats", ())
                   and seq[j].get("replay") == wb.get("replay")):
                j += 1
            inner = done | {span}
            for rep in range(1, span[2] + 1):
                kept = [b for b in seq[i:j] if b.get("ending", rep) == rep
                        or any(sp not in inner for sp in b.get("repeats", ()))]
                if rep > 1 and not self._afford(kept, span, rep):
                    break
                out.extend(self._play(kept, inner))
            i = j
        return out

    def _afford(self, kept: list, span: tuple, rep: int) -> bool:
        """Whether pass ``rep`` of a repeat fits in what the song may still grow by (its
        bars played before count; the bars of a first play are counted as written); if not,
        a finding at the repeat's mark, once."""
        again = [b for b in kept if id(b) in self._played]
        hits = sum(len(b["hits"]) for b in again)
        if len(again) <= self._room[0] and hits <= self._room[1]:
            self._room[0] -= len(again)
            self._room[1] -= hits
            return True
        if span[3] not in self._cut:
            self._cut.add(span[3])
            self.find(*self._span_at[span[3]], "DT114", f"repeat x{span[2]} is cut short "
                      f"({rep - 1} of its {span[2]} plays where it first ran out of room): "
                      f"the repeats would add over {MAX_PLAYED_BARS:,} bars or "
                      f"{MAX_PLAYED_HITS:,} hits to the tab")
        return False
