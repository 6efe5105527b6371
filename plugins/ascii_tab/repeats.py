"""Repeats of ASCII drum tabs: repeat brackets (``|----x2----|``), repeat signs with first
and second endings (``|: ... :|``), prose repeat notes ("(repeat 3 times)", "Chorus x2"),
named section replays ("Repeat chorus") and their expansion into bars in playing order."""
from __future__ import annotations

import re
from collections import Counter

from drumtabber.score import Bar, Event, Score, velocity_for

from .lines import _VOLTA, System, is_volta

# Lines between a prose repeat note and the system it belongs to.
REPEAT_NOTE_REACH = 2

_REPEAT_TOKEN = re.compile(r"(?i)(?<![a-z0-9])(?:x\s?(\d{1,3})|(\d{1,3})\s?x)(?![a-z0-9])")
_REPEAT_NOTE = re.compile(
    r"(?i)\b(?:repeat(?:ed)?|play(?:ed)?)\s*(?:x\s*(\d+)|(\d+)\s*(?:x|times)\b)"
    r"|^\W*(?:x\s?(\d+)|(\d+)\s?x)\W*$"
    r"|^[^|]{0,40}?(?:^|[\s(\[-])(?:x\s?(\d+)|(\d+)\s?x|(\d+)\s*times)\b[^|]{0,20}$"
    r"|^[^|]{0,40}?\b(twice|thrice)\b[^|]{0,20}$")   # "Intro x2", "Verse (4x)", "play twice"
_WORD_TIMES = {"twice": 2, "thrice": 3}
_SECTION_WORD = (r"(intro|verse|pre-?chorus|chorus|bridge|outro|solo|breakdown|interlude|"
                 r"groove|riff|ending|coda|refrain)")
_HEADER = re.compile(rf"(?i)^\W*{_SECTION_WORD}\b[^|=]{{0,30}}$")
_REFERENCE = re.compile(
    rf"(?i)^\W*(?:repeat|play|back\s+to|same\s+as|go\s+to)\s+(?:the\s+)?(?:first\s+)?{_SECTION_WORD}\b"
    rf"|^\W*{_SECTION_WORD}\b[^|]{{0,20}}?\b(?:again|as\s+before|same\s+as\s+before)\b")


class _Repeats:
    """The repeat handling of :class:`~.parse._Parse` (a mixin: it uses the parse's
    ``lines``, ``path`` and ``find``)."""

    def repeat_section(self, no, i, times, systems, starts, ends) -> None:
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
            systems[i].repeat_times = times
        else:
            systems[i].section_repeat = (j, times, no)

    def attach_repeat_note(self, no, times, systems, starts, ends):
        blank = lambda a, b: any(not self.lines[k].strip() for k in range(a, b))  # noqa: E731
        # right under a system it repeats that system; right over one, the one below; then
        # the nearest within reach, below first
        for i in [i for i, end in enumerate(ends) if no - end == 1]:
            systems[i].repeat_times = times
            return
        for i, start in enumerate(starts):
            if 0 < start - no <= REPEAT_NOTE_REACH and not blank(no + 1, start):
                self.repeat_section(no, i, times, systems, starts, ends)
                return
        for i, end in enumerate(ends):
            if 0 < no - end <= REPEAT_NOTE_REACH and not blank(end + 1, no):
                systems[i].repeat_times = times
                return
        self.find(no, 0, "DT107", f"repeat note ({times} times) is not next to a system; "
                  "put it directly above or below the lines it repeats")

    # -- repeats -----------------------------------------------------------------------
    def find_repeats(self, system: System, bars: list) -> None:
        ref = system.staffs[0]
        for no, text in system.brackets:
            for m in _VOLTA.finditer(text) if is_volta(text) else ():
                # the ending's number marks the bar it stands over and the bars its line covers
                ending = int(m.group(1))
                covered = [k for k, (s, e) in enumerate(ref.bars) if s - 1 <= m.start() < e]
                for k in range(covered[0] if covered else len(bars), len(bars)):
                    if k > covered[0] and (_VOLTA.search(text[ref.bars[k][0] - 1:ref.bars[k][1]])
                                           or not text[ref.bars[k][0]:ref.bars[k][1]].strip()):
                        break
                    bars[k]["ending"] = ending
                if not covered:
                    self.find(no, m.start(), "DT107", f"ending {ending}. stands over no bar")
            for m in _REPEAT_TOKEN.finditer(text if not is_volta(text) else ""):
                times = int(m.group(1) or m.group(2))
                left, right = m.start() - 1, m.end()
                while left >= 0 and text[left] in "-=_ ":
                    left -= 1
                while right < len(text) and text[right] in "-=_ ":
                    right += 1
                if left < 0 or text[left] != "|" or right >= len(text) or text[right] != "|":
                    self.find(no, m.start(), "DT107", f"repeat bracket x{times} is not closed "
                              "by '|' at both ends")
                    continue
                covered = [k for k, (s, e) in enumerate(ref.bars)
                           if min(e, right) - max(s, left) > (e - s) / 2]
                if not covered:
                    self.find(no, m.start(), "DT107", f"repeat bracket x{times} covers no bar")
                    continue
                for k in covered:
                    bars[k]["repeat"] = (bars[covered[0]]["written"], bars[covered[-1]]["written"], times)
        open_at = None
        for k, (opens, closes) in enumerate(ref.signs):
            if opens:
                open_at = k
            if closes:
                first = 0 if open_at is None else open_at
                m = _REPEAT_TOKEN.search(ref.text[ref.bars[k][1]:ref.bars[k][1] + 8]) or (
                    _REPEAT_TOKEN.search(ref.post) if k == len(ref.bars) - 1 else None)
                times = int(m.group(1) or m.group(2)) if m else 2
                for j in range(first, k + 1):
                    bars[j]["repeat"] = (bars[first]["written"], bars[k]["written"], times)
                open_at = None
        if open_at is not None:
            self.find(ref.no, ref.bars[open_at][0] - 1, "DT107", "repeat sign '|:' is never "
                      "closed by ':|' in this system")
        trailing = [m for st in system.staffs for m in [_REPEAT_TOKEN.search(st.post)] if m]
        if trailing and system.repeat_times == 1 and not any(ref.signs[-1]):
            system.repeat_times = int(trailing[0].group(1) or trailing[0].group(2))
        if system.repeat_times > 1:
            span = (bars[0]["written"], bars[-1]["written"], system.repeat_times)
            for bar in bars:
                bar.setdefault("repeat", span)

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
            insertions.append((first_bar_of_system[nxt] - 1, bars))
            self.find(no, 0, "DT111", f"section {name!r} played again here ({len(bars)} bars)")
        for n, (position, bars) in enumerate(sorted(insertions, key=lambda x: -x[0]), 1):
            copies = [wb | {"replay": n} for wb in bars]   # its own repeats are played too
            written = written[:position] + copies + written[position:]
        return written

    def expand_repeats(self, systems, written: list, score: Score) -> None:
        passes: Counter = Counter()              # times each written bar has been played
        i = 0
        while i < len(written):
            span = written[i].get("repeat")
            if span is None:
                group, times = [written[i]], 1
            else:
                first, last, times = span
                j = i
                while (j < len(written) and written[j]["written"] <= last
                       and written[j].get("replay") == written[i].get("replay")):
                    j += 1
                group = written[i:max(j, i + 1)]
            for rep in range(1, times + 1):
                for wb in group:
                    if times > 1 and wb.get("ending", rep) != rep:
                        continue                  # a first ending on a later pass, ...
                    passes[wb["written"]] += 1
                    n = passes[wb["written"]]
                    index = len(score.bars)
                    score.bars.append(Bar(index, wb["meter"], wb["written"], n,
                                          wb["line"], wb["column"], wb["cells"]))
                    for beat, instrument, arts, line, col, label in wb["hits"]:
                        score.events.append(Event(index, beat, instrument, arts,
                                                  velocity_for(arts), wb["written"], n,
                                                  line, col, self.path, label))
            i += len(group)
