"""The one song loader: an alignment file (+ an audio folder) -> a :class:`Song`.

Every command that works on an aligned song (``align``, ``check``, ``render``, ``validate``,
refinement, the benchmarks) reads it through :func:`load_song`: the alignment file, its tab
through the parser plugins (with the file's labels and meters as typed hints), the tempo
map, the onset table and the recording's path, with every finding on the way.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from ..components import ParseHints
from ..findings import Finding, has_errors
from ..score import Score
from ..tabs import load_tab
from ..tempo import TempoMap
from ..textio import input_file_problem
from .align import align, tab_key_line
from .files import Alignment, load_alignment
from .recording import check_audio, find_audio

# ``align --auto`` reads a file before its tempo is known: this tempo and a first note at 0 s
# stand in (the estimate replaces them).
PLACEHOLDER_BPM = Fraction(120)


@dataclass
class Song:
    """An aligned song: its alignment file, the tab's score, the tempo map, the onset table
    (:mod:`drumtabber.onset_table`) and the recording when one was looked for and found."""

    alignment: Alignment
    score: Score
    tempo_map: TempoMap
    onsets: object                   # pandas DataFrame
    recording: Path | None = None

    @property
    def name(self) -> str:
        return self.alignment.song or self.alignment.path.stem

    def load_audio(self, sample_rate: int = 44100):
        """The recording as mono float32 at ``sample_rate``: ``(samples, sample_rate)``."""
        from ..audio.io import AudioError, load_audio
        if self.recording is None:
            raise AudioError("no recording was found for this song", path=self.alignment.path)
        return load_audio(self.recording, sample_rate=sample_rate)


def parse_hints(a: Alignment) -> ParseHints:
    """What the alignment file tells the tab's parser."""
    return ParseHints(legend=dict(a.labels), meters={m.at.bar: m.meter for m in a.meters})


def load_song(path, manager, *, audio_dir: Path | None = None, settings: dict | None = None,
              placeholder_tempo: bool = False, need_recording: bool = False
              ) -> tuple[Song | None, list[Finding]]:
    """Read and align one song.

    Parameters
    ----------
    path : path-like
        The alignment file (TOML, or a format an alignment-reader plugin reads).
    manager : PluginManager
    audio_dir : Path, optional
        Look for the recording here and check it against the labels (DT207-DT210).
    settings : dict, optional
        The effective configuration (parser options of the same name).
    placeholder_tempo : bool
        Fill a missing tempo (``PLACEHOLDER_BPM``, first note at 0 s) so that a file written
        for ``align --auto`` can be read; the recording is then found but not checked.
    need_recording : bool
        A recording that is not found under ``audio_dir`` is an error (DT208).

    Returns
    -------
    song : Song or None
        None when any finding is an error.
    findings : list of Finding
        The alignment file's, the tab's and the recording's, in that order.
    """
    alignment, findings = load_alignment(Path(path), manager)
    if alignment is None or has_errors(findings):
        return None, findings
    a = alignment
    if placeholder_tempo and a.bpm is None and len(a.anchors) < 2:
        a.bpm = PLACEHOLDER_BPM
        if a.first_note_s is None and a.anchor is None:
            a.first_note_s = Fraction(0)
    where = str(a.path)
    if a.tab is None or not a.tab.exists():
        return None, findings + [Finding(where, tab_key_line(a), 1, "DT202",
                                         f"tab file not found: {a.tab}")]
    problem = input_file_problem(a.tab)
    if problem:
        return None, findings + [Finding(where, tab_key_line(a), 1, "DT202",
                                         f"the tab {a.tab} {problem}")]
    parsers = manager.registry("tab_parser").names()
    if a.parser is not None and a.parser not in parsers:
        return None, findings + [Finding(where, 1, 1, "DT201", f"unknown parser {a.parser!r}; "
                                         f"valid names: {', '.join(parsers)}")]
    parsed = load_tab(a.tab, manager, settings=settings, parser_name=a.parser,
                      hints=parse_hints(a))
    findings += parsed.findings
    result = align(a, parsed.score, parsed.tempo_map)
    findings += result.findings
    recording = None
    if audio_dir is not None:
        audio_dir = Path(audio_dir)
        recording = find_audio(a, audio_dir)
        if not placeholder_tempo and result.tempo_map is not None:
            findings += check_audio(a, result.onsets, audio_dir)
        if need_recording and recording is None and not has_errors(findings):
            findings.append(Finding(where, 1, 1, "DT208", f"recording {a.audio_file!r} not "
                                    f"found under {audio_dir}"))
    if has_errors(findings) or result.tempo_map is None:
        return None, findings
    return Song(a, parsed.score, result.tempo_map, result.onsets, recording), findings
