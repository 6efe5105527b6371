"""The seed project's song JSON files (mayhemsloth/Drum-Tabber): an alignment-reader plugin.

A song file names the tab (``tab_file``, beside the JSON), the recording (``song``: the seed
opens ``folder / json["song"]``, so it is the recording's file name in the song's folder;
older files name it ``song_file``, ``audio_file`` or ``mp3_file``), the tab's labels
(``tab_char_labels``: piece name -> tab label) and ``alignment_info``: ``BPM``, ``first drum
note onset`` (seconds), ``triplets`` (whether the tab has any) and ``tempo change`` with
``tempo sections`` (``[[cells, next BPM], ...]``: the seed's own description, "number of
16th-note slices in the previous section, BPM of the new section"; its loop counts the first
section from the cell of the first drum note, and each later count is the length of one
section).  The song's name is the file's (the seed names songs by their folder).
"""
from __future__ import annotations

from pathlib import Path

from drumtabber.alignment.files import Alignment, TableReader, read_tempo_sections
from drumtabber.components import NoOptions
from drumtabber.errors import DrumtabberError
from drumtabber.hookspecs import hookimpl
from drumtabber.textio import parse_json

__version__ = "0.1.0"


def seed_to_alignment(data: dict, path: Path, r: TableReader) -> Alignment:
    """The seed's song JSON: ``song``, ``tab_file``, ``tab_char_labels`` and ``alignment_info``
    (``BPM``, ``first drum note onset``, ``triplets``, ``tempo change``, ``tempo sections``)."""
    a = Alignment(path)
    a.song = path.stem
    tab = r.get(data, "tab_file", "str", required=True)
    a.tab = path.parent / tab if tab else None
    labels = data.get("tab_char_labels", {})
    if not isinstance(labels, dict):
        r.error("DT201", r.line("tab_char_labels"), "tab_char_labels: expected an object of "
                f"piece name -> tab label, found {labels!r}")
        labels = {}
    for piece, label in labels.items():
        if not isinstance(label, str):
            r.error("DT201", r.line(str(piece)), f"tab_char_labels: {piece!r}: expected the "
                    f"tab label (a string), found {label!r}")
    a.labels = {str(v).strip(): str(k) for k, v in labels.items()
                if isinstance(v, str) and v.strip()}
    info = data.get("alignment_info")
    if not isinstance(info, dict):
        r.error("DT201", r.line("alignment_info"), "missing required key alignment_info")
        return a
    a.bpm = r.get(info, "BPM", "bpm", where="alignment_info.", required=True)
    a.first_note_s = r.get(info, "first drum note onset", "fraction", where="alignment_info.",
                           required=True)
    a.triplets = r.get(info, "triplets", "bool", where="alignment_info.")
    if info.get("tempo change"):
        a.tempo_sections = read_tempo_sections(r, info.get("tempo sections", []),
                                               r.line("tempo sections"))
    for key in ("song", "song_file", "audio_file", "mp3_file"):
        if key in data:
            a.audio_file = r.get(data, key, "str")
            break
    return a


class SeedJsonReader:
    name = "seed-json"
    description = "the seed project's (Drum-Tabber) song JSON files"
    Options = NoOptions
    suffixes = (".json",)

    def read(self, text: str, *, path: Path, reader: TableReader) -> Alignment | None:
        try:
            data = parse_json(text, path=path)
        except DrumtabberError as exc:
            reader.findings.append(reader.finding("DT201", exc.line or 1, exc.message,
                                                  column=exc.column or 1))
            return None
        if not isinstance(data, dict):
            reader.error("DT201", 1, "expected a JSON object")
            return None
        return seed_to_alignment(data, Path(path), reader)


@hookimpl
def register_alignment_readers(register):
    register(SeedJsonReader())
