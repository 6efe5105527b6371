"""Built-in class-mapping schemes: what drum classes a dataset or model uses.

* ``drumtabber``: the seed project's options as one scheme (the default ``classes.scheme``);
* ``gm``: one class per General MIDI note; ``full``: one class per canonical instrument;
* the vocabularies of the drum-transcription literature: ``kd-sd-hh`` (3 classes),
  ``adtof`` (5), ``vogl8`` (8) and ``vogl18`` (18), each with its source in its docstring.

The shared machinery (applying a map, counting, user schemes in TOML) is in
:mod:`drumtabber.classes`; outside datasets' labels map into instruments with
:func:`map_outside_label` (tables in ``_outside_labels.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

from drumtabber.errors import ConfigError
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Articulation, Instrument

from ._outside_labels import VOCABULARIES, map_outside_label, outside_labels  # noqa: F401

@dataclass
class NoOptions:
    """This scheme has no options."""


# --------------------------------------------------------------------------------------
# The seed project's scheme
# --------------------------------------------------------------------------------------
@dataclass
class DrumtabberOptions:
    keep_dynamics: bool = False      # accents and ghost notes as classes of their own
    keep_bells: bool = False         # bell hits as class 'bell' (otherwise dropped)
    keep_toms_separate: bool = False  # one class per tom instead of 'tom'
    hihat_classes: int = 1           # 1 closed (open, washy -> cymbal); 2 + open; 3 + washy
    cymbal_classes: int = 1          # 1: all cymbals with ride; 2: crashes apart from ride
    simple_class_only: bool = False  # keep only kick, snare and the cymbal classes

    def __post_init__(self):
        if self.hihat_classes not in (1, 2, 3):
            raise ConfigError(f"drumtabber.hihat_classes: expected 1, 2 or 3, found "
                              f"{self.hihat_classes!r}")
        if self.cymbal_classes not in (1, 2):
            raise ConfigError(f"drumtabber.cymbal_classes: expected 1 or 2, found "
                              f"{self.cymbal_classes!r}")


_TOMS = [i for i in Instrument if i.family == "tom"]
_TOMS.sort(key=lambda i: -i.gm_note)                 # high to low: 50 48 47 45 43 41


class DrumtabberClassMap:
    """The seed project's class options (mayhemsloth/Drum-Tabber, ``src/configs.py`` and
    ``collapse_class`` in ``src/utils.py``), as options of one scheme.

    Classes (seed names in brackets): ``kick`` [BD], ``snare`` [SD] (side stick and electric
    snare too), ``tom`` [at] or, with ``keep_toms_separate``, one class per tom (``tom_high``
    ... ``tom_floor_low``), the hi-hat classes, the cymbal classes and ``bell`` [be].

    * ``hihat_classes``: 1 keeps ``hihat`` for closed hits and moves open and washy hits
      (``hihat_open``, or any hi-hat hit with the ``half_open`` articulation) to the cymbal
      class (``crash`` with two cymbal classes), as the seed moved them to its crash column;
      2 has ``hihat`` and ``hihat_open`` (open and washy together); 3 has ``hihat``,
      ``hihat_washy`` and ``hihat_open``.  Pedal hits count as closed hi-hat.
    * ``cymbal_classes``: 1 puts every cymbal with the ride in ``cymbal`` [ac]; 2 has
      ``crash`` [mc] (crashes, china, splash) and ``ride``.
    * ``keep_bells``: bell hits (the ride bell, ``bell`` on any cymbal or hi-hat) go to
      ``bell``; without it they are dropped, as the seed dropped them.
    * ``keep_dynamics``: accented and ghost hits get classes of their own
      (``snare_accent``, ``snare_ghost``, ... after each class); without it they count as
      plain hits (the seed's documented "collapse"; its code also deleted ghost notes).
    * ``simple_class_only``: only ``kick``, ``snare`` and the cymbal classes are kept.

    Other articulations (flam, drag, double, choke, rimshot) do not change the class.  No
    percussion (cowbell, tambourine, clap, ...) was in the seed's tabs: it is dropped.
    """

    name = "drumtabber"
    description = ("the seed project's classes: dynamics, bells, toms, 1-3 hi-hat, 1-2 cymbal "
                   "classes")
    Options = DrumtabberOptions

    @staticmethod
    def _cymbal_classes(o) -> list[str]:
        return ["cymbal"] if o.cymbal_classes == 1 else ["crash", "ride"]

    def _base_classes(self, o) -> list[str]:
        out = ["kick", "snare"]
        if not o.simple_class_only:
            out += [t.value for t in _TOMS] if o.keep_toms_separate else ["tom"]
            out += {1: ["hihat"], 2: ["hihat", "hihat_open"],
                    3: ["hihat", "hihat_washy", "hihat_open"]}[o.hihat_classes]
        out += self._cymbal_classes(o)
        if o.keep_bells and not o.simple_class_only:
            out.append("bell")
        return out

    def classes(self, options=None) -> list[str]:
        o = options or DrumtabberOptions()
        base = self._base_classes(o)
        if not o.keep_dynamics:
            return base
        return [f"{c}{s}" for c in base for s in ("", "_accent", "_ghost")]

    def _base(self, instrument: Instrument, arts: frozenset, o) -> str | None:
        family = instrument.family
        if instrument == Instrument.RIDE_BELL or (Articulation.BELL in arts
                                         and family in ("cymbal", "ride", "hihat")):
            return "bell" if o.keep_bells else None
        if family in ("kick", "snare"):
            return family
        if family == "tom":
            return instrument.value if o.keep_toms_separate else "tom"
        if family == "hihat":
            washy = Articulation.HALF_OPEN in arts
            opened = instrument == Instrument.HIHAT_OPEN or washy
            if not opened:
                return "hihat"
            if o.hihat_classes == 1:
                return self._cymbal_classes(o)[0]
            if o.hihat_classes == 2:
                return "hihat_open"
            return "hihat_washy" if washy else "hihat_open"
        if family in ("cymbal", "ride"):
            return "cymbal" if o.cymbal_classes == 1 else ("ride" if family == "ride" else "crash")
        return None                                    # percussion

    def map_event(self, instrument, articulations, velocity, options=None) -> tuple[str, ...]:
        o = options or DrumtabberOptions()
        base = self._base(instrument, frozenset(articulations), o)
        if base is None or base not in self._base_classes(o):
            return ()
        if o.keep_dynamics:
            if Articulation.ACCENT in articulations:
                return (f"{base}_accent",)
            if Articulation.GHOST in articulations:
                return (f"{base}_ghost",)
        return (base,)

    def drops(self, options=None) -> list:
        o = options or DrumtabberOptions()
        out = [i for i in Instrument if i.family == "percussion"]
        if not o.keep_bells or o.simple_class_only:
            out += [Instrument.RIDE_BELL, Articulation.BELL]
        if o.simple_class_only:
            out += _TOMS + [Instrument.HIHAT_CLOSED, Instrument.HIHAT_PEDAL]
            if o.hihat_classes != 1:
                out += [Instrument.HIHAT_OPEN, Articulation.HALF_OPEN]
        return out


# --------------------------------------------------------------------------------------
# One class per GM note, one per instrument
# --------------------------------------------------------------------------------------
@dataclass
class GmOptions:
    notes: str = ""                  # GM notes kept as classes ("35,36,38"); empty: 35-81

    def __post_init__(self):
        try:
            wanted = [int(n) for n in self.notes.replace(" ", "").split(",") if n]
            for note in wanted:
                Instrument.from_gm_note(note)
        except ValueError:
            raise ConfigError(f"gm.notes: expected GM notes 35-81 separated by commas, found "
                              f"{self.notes!r}") from None
        self.note_list = sorted(set(wanted)) or [i.gm_note for i in Instrument]


class GmClassMap:
    """One class per General MIDI percussion note (GM 1 Sound Set, notes 35-81), named by
    the note (``"36"``); articulations do not matter.  Only the notes present in the data
    are shown and counted (``only_present``); ``notes`` keeps a fixed set."""

    name = "gm"
    description = "one class per General MIDI note present (named '36', '38', ...)"
    Options = GmOptions
    only_present = True

    def classes(self, options=None) -> list[str]:
        return [str(n) for n in (options or GmOptions()).note_list]

    def map_event(self, instrument, articulations, velocity, options=None) -> tuple[str, ...]:
        note = instrument.gm_note
        return (str(note),) if note in (options or GmOptions()).note_list else ()

    def drops(self, options=None) -> list:
        keep = (options or GmOptions()).note_list
        return [i for i in Instrument if i.gm_note not in keep]


class FullClassMap:
    """Every canonical instrument (:class:`drumtabber.score.Instrument`, rooted in GM notes
    35-81) is a class of its own, named by its value (``kick``, ``hihat_open``)."""

    name = "full"
    description = "every canonical instrument is a class (47 classes)"
    Options = NoOptions

    def classes(self, options=None) -> list[str]:
        return [i.value for i in Instrument]

    def map_event(self, instrument, articulations, velocity, options=None) -> tuple[str, ...]:
        return (instrument.value,)

    def drops(self, options=None) -> list:
        return []


# --------------------------------------------------------------------------------------
# Vocabularies of the literature: each class is a set of GM notes
# --------------------------------------------------------------------------------------
class NoteTableClassMap:
    """A vocabulary from the literature: each class takes a set of GM notes, articulations do
    not matter, and every instrument outside the table is dropped on purpose."""

    Options = NoOptions
    TABLE: dict[str, tuple[int, ...]] = {}

    def __init__(self):
        self._by_note = {n: c for c, notes in self.TABLE.items() for n in notes}

    def classes(self, options=None) -> list[str]:
        return list(self.TABLE)

    def map_event(self, instrument, articulations, velocity, options=None) -> tuple[str, ...]:
        found = self._by_note.get(instrument.gm_note)
        return (found,) if found else ()

    def drops(self, options=None) -> list:
        return [i for i in Instrument if i.gm_note not in self._by_note]


class KdSdHhClassMap(NoteTableClassMap):
    """The three classes of most drum transcription work (MIREX 2005, 2017-2019): kick,
    snare and hi-hat.  The GM notes are those of R. Vogl, G. Widmer, P. Knees, "Towards
    multi-instrument drum transcription", DAFx 2018 (3-class column, mapping published with
    the paper at ifs.tuwien.ac.at/~vogl/dafx2018), which ADTOF also uses (``MIDI_REDUCED_3``
    in MZehren/ADTOF ``adtof/ressources/instrumentsMapping.py``): KD 35 36; SD 37 38 39 40
    (side stick and hand clap with the snare); HH 42 44 46.  Class names as in MDB Drums."""

    name = "kd-sd-hh"
    description = "3 classes KD SD HH (Vogl et al. 2018; ADTOF MIDI_REDUCED_3)"
    TABLE = {"KD": (35, 36), "SD": (37, 38, 39, 40), "HH": (42, 44, 46)}


class AdtofClassMap(NoteTableClassMap):
    """The 5 classes of M. Zehren, M. Alunno, P. Bientinesi, "ADTOF: A large dataset of
    non-synthetic music for automatic drum transcription", ISMIR 2021, in the model's output
    order ``LABELS_5 = [35, 38, 47, 42, 49]``: BD 35 36; SD 37 38 39 40; TT 41 43 45 47 48 50;
    HH 42 44 46; CY+RD 49 51 52 53 55 57 59 (``MIDI_REDUCED_5`` in MZehren/ADTOF
    ``adtof/ressources/instrumentsMapping.py``).  Earlier versions of ADTOF's
    ``adtof/config.py`` left side stick (37) and hand clap (39) out of SD; we follow the
    published mapping file."""

    name = "adtof"
    description = "5 classes BD SD TT HH CY+RD (Zehren et al., ADTOF, ISMIR 2021)"
    TABLE = {"BD": (35, 36), "SD": (37, 38, 39, 40), "TT": (41, 43, 45, 47, 48, 50),
             "HH": (42, 44, 46), "CY+RD": (49, 51, 52, 53, 55, 57, 59)}


class Vogl18ClassMap(NoteTableClassMap):
    """The 18 classes of R. Vogl, G. Widmer, P. Knees, "Towards multi-instrument drum
    transcription", DAFx 2018 (the RBMA13 "drums_l" vocabulary), in the order of Vogl's
    ``mappings.py`` (copied as ``RBMA_MIDI_18`` in ADTOF's ``instrumentsMapping.py``) with the
    GM notes of the paper's mapping: BD 35 36, SD 38 40, SS 37 (side stick), CLP 39 (hand
    clap), LT 41 43, MT 45 47, HT 48 50, CHH 42, PHH 44, OHH 46, TB 54 (tambourine), RD 51 59,
    RB 53 (ride bell), CRC 49 57, SPC 55, CHC 52 (china), CB 56 (cowbell), CL 75 (clave,
    sticks)."""

    name = "vogl18"
    description = "18 classes of Vogl et al., DAFx 2018 (RBMA13 drums_l)"
    TABLE = {"BD": (35, 36), "SD": (38, 40), "SS": (37,), "CLP": (39,), "LT": (41, 43),
             "MT": (45, 47), "HT": (48, 50), "CHH": (42,), "PHH": (44,), "OHH": (46,),
             "TB": (54,), "RD": (51, 59), "RB": (53,), "CRC": (49, 57), "SPC": (55,),
             "CHC": (52,), "CB": (56,), "CL": (75,)}


class Vogl8ClassMap(NoteTableClassMap):
    """The 8 classes of R. Vogl, G. Widmer, P. Knees, "Towards multi-instrument drum
    transcription", DAFx 2018 (RBMA13 "drums_m"; order of ``RBMA_MIDI_8`` in Vogl's
    ``mappings.py``): BD; SD (with side stick and clap, as in the 3-class set); TT (all toms);
    HH (closed, pedal, open); CY (crash, splash, china); RD (ride); BE (ride bell and
    cowbell, "ride bell / bells"); CL (clave, sticks).  The tambourine (TB of the 18 classes)
    has no 8-class counterpart in the mapping we could check: it is dropped."""

    name = "vogl8"
    description = "8 classes BD SD TT HH CY RD BE CL (Vogl et al., DAFx 2018)"
    TABLE = {"BD": (35, 36), "SD": (37, 38, 39, 40), "TT": (41, 43, 45, 47, 48, 50),
             "HH": (42, 44, 46), "CY": (49, 52, 55, 57), "RD": (51, 59), "BE": (53, 56),
             "CL": (75,)}


SCHEMES = [DrumtabberClassMap(), GmClassMap(), FullClassMap(), KdSdHhClassMap(),
           AdtofClassMap(), Vogl8ClassMap(), Vogl18ClassMap()]


@hookimpl
def register_class_maps(register):
    for scheme in SCHEMES:
        register(scheme)
