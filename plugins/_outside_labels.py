"""Annotation vocabularies of outside datasets, mapped into drumtabber instruments.

So that evaluation on an outside dataset goes through the same class maps as our own data:
a label becomes an :class:`Instrument` plus articulations, which any scheme then maps.

Sources:

* MDB Drums: C. Southall, C.-W. Wu, A. Lerch, J. Hockman, "MDB Drums - An Annotated Subset of
  MedleyDB for Automatic Drum Transcription", ISMIR 2017 (late-breaking demo); repository
  CarlSouthall/MDBDrums.  6 classes (``annotations/class``) and 21 subclasses
  (``annotations/subclass``); the GM notes of the subclasses as tabulated in ADTOF's
  ``adtof/ressources/instrumentsMapping.py`` (``MDBS_MIDI``).  Which class each subclass
  belongs to was checked against the paired class/subclass files (MusicDelta_LatinJazz,
  MusicDelta_Reggae: SDG, SDNS -> SD; CHH, OHH, PHH -> HH; LFT -> TT; CRC, CHC, RDC -> CY;
  SST -> OT).
* ENST-Drums: O. Gillet, G. Richard, "ENST-Drums: an extensive audio-visual database for drum
  signals processing", ISMIR 2006; label -> GM note as used by R. Vogl (table ``ENST_MIDI`` in
  ADTOF's ``instrumentsMapping.py``, "FROM VOGL").  ``sweep`` (brush sweep), ``mtr`` and
  ``ltr`` are left out there and here.
* ADTOF: M. Zehren, M. Alunno, P. Bientinesi, "ADTOF: A large dataset of non-synthetic music
  for automatic drum transcription", ISMIR 2021.  Its 5 classes are written as the GM notes
  ``LABELS_5 = [35, 38, 47, 42, 49]`` (BD, SD, TT, HH, CY+RD).

Class-level labels (MDB's 6 classes, ADTOF's 5) name a group, not an instrument: they map to a
representative instrument of the group, which is exact only under a scheme that merges that
group (``kd-sd-hh``, ``adtof``).  A generic "kick" or "snare" label maps to our canonical
``kick`` (GM 36) and ``snare`` (GM 38).
"""
from __future__ import annotations

from drumtabber.score import Articulation as A
from drumtabber.score import Instrument as I

_ = frozenset

# MDB Drums subclass -> (MDB class, instrument, articulations)
MDB_SUBCLASSES: dict[str, tuple[str, I, frozenset]] = {
    "KD": ("KD", I.KICK, _()),
    "SD": ("SD", I.SNARE, _()),
    "SDB": ("SD", I.SNARE, _()),              # snare, brush (no brush articulation here)
    "SDD": ("SD", I.SNARE, _({A.DRAG})),
    "SDF": ("SD", I.SNARE, _({A.FLAM})),
    "SDG": ("SD", I.SNARE, _({A.GHOST})),
    "SDNS": ("SD", I.SNARE, _()),             # snare, snares off
    "CHH": ("HH", I.HIHAT_CLOSED, _()),
    "OHH": ("HH", I.HIHAT_OPEN, _()),
    "PHH": ("HH", I.HIHAT_PEDAL, _()),
    "HIT": ("TT", I.TOM_HIGH, _()),
    "MHT": ("TT", I.TOM_HIGH_MID, _()),
    "HFT": ("TT", I.TOM_FLOOR_HIGH, _()),
    "LFT": ("TT", I.TOM_FLOOR_LOW, _()),
    "RDC": ("CY", I.RIDE, _()),
    "RDB": ("CY", I.RIDE_BELL, _({A.BELL})),
    "CRC": ("CY", I.CRASH, _()),
    "CHC": ("CY", I.CHINA, _()),
    "SPC": ("CY", I.SPLASH, _()),
    "SST": ("OT", I.SIDE_STICK, _()),
    "TMB": ("OT", I.TAMBOURINE, _()),
}
# MDB Drums classes -> representative instrument (OT, "other", as side stick like ADTOF's
# early MDBS_MIDI table did: {"KD": 36, "SD": 40, "HH": 46, "TT": 41, "CY": 49, "OT": 37}).
MDB_CLASSES: dict[str, tuple[I, frozenset]] = {
    "KD": (I.KICK, _()), "SD": (I.SNARE, _()), "HH": (I.HIHAT_CLOSED, _()),
    "TT": (I.TOM_LOW_MID, _()), "CY": (I.CRASH, _()), "OT": (I.SIDE_STICK, _()),
}

# ENST-Drums label -> (instrument, articulations); numbered cymbals are different cymbals.
ENST_LABELS: dict[str, tuple[I, frozenset]] = {
    "bd": (I.KICK, _()),
    "cs": (I.SIDE_STICK, _()),                # cross stick
    "rs": (I.SNARE, _({A.RIMSHOT})),          # rim shot
    "sd": (I.SNARE, _()),
    "sd-": (I.SNARE, _()),
    "lft": (I.TOM_FLOOR_LOW, _()),
    "chh": (I.HIHAT_CLOSED, _()),
    "lt": (I.TOM_LOW, _()),
    "ohh": (I.HIHAT_OPEN, _()),
    "lmt": (I.TOM_LOW_MID, _()),
    "mt": (I.TOM_HIGH_MID, _()),
    **{k: (I.CRASH, _()) for k in ("cr", "c1", "cr1", "cr5")},
    **{k: (I.RIDE, _()) for k in ("rc", "rc1", "rc3")},
    **{k: (I.CHINA, _()) for k in ("ch", "ch1", "ch5")},
    **{k: (I.SPLASH, _()) for k in ("spl", "spl2")},
    "cb": (I.COWBELL, _()),
    **{k: (I.CRASH2, _()) for k in ("cr2", "c", "c4")},
    **{k: (I.RIDE2, _()) for k in ("rc2", "rc4")},
    "sticks": (I.CLAVES, _()),                # sticks hit together: GM 75 claves
}
ENST_DROPPED = {"sweep": "brush sweep (no onset)", "mtr": "not mapped by Vogl et al.",
                "ltr": "not mapped by Vogl et al."}

# ADTOF's 5 classes, by GM note and by name -> representative instrument
ADTOF_LABELS: dict[str, tuple[I, frozenset]] = {
    "35": (I.KICK, _()), "38": (I.SNARE, _()), "47": (I.TOM_LOW_MID, _()),
    "42": (I.HIHAT_CLOSED, _()), "49": (I.CRASH, _()),
}
ADTOF_NAMES = {"BD": "35", "SD": "38", "TT": "47", "HH": "42", "CY+RD": "49", "CY": "49"}

VOCABULARIES = {
    "mdb": "MDB Drums subclasses (21)",
    "mdb-class": "MDB Drums classes (6)",
    "enst": "ENST-Drums labels",
    "adtof": "ADTOF's 5 classes (GM notes 35 38 47 42 49 or BD SD TT HH CY+RD)",
}


def outside_labels(vocabulary: str) -> list[str]:
    """Every label of a vocabulary, including the ones left out on purpose."""
    table = {"mdb": MDB_SUBCLASSES, "mdb-class": MDB_CLASSES,
             "enst": {**ENST_LABELS, **ENST_DROPPED}, "adtof": ADTOF_LABELS}.get(vocabulary)
    if table is None:
        raise ValueError(f"unknown vocabulary {vocabulary!r}; known: {', '.join(VOCABULARIES)}")
    return list(table)


def map_outside_label(vocabulary: str, label) -> tuple[I, frozenset] | None:
    """The instrument and articulations of an outside dataset's label.

    ``vocabulary`` is one of :data:`VOCABULARIES`; None means the label is left out on
    purpose (ENST ``sweep``); an unknown vocabulary or label raises ValueError listing the
    known ones.
    """
    text = str(label).strip()
    if vocabulary == "mdb":
        entry = MDB_SUBCLASSES.get(text.upper())
        found = entry[1:] if entry else None
    elif vocabulary == "mdb-class":
        found = MDB_CLASSES.get(text.upper())
    elif vocabulary == "enst":
        if text.lower() in ENST_DROPPED:
            return None
        found = ENST_LABELS.get(text.lower())
    elif vocabulary == "adtof":
        found = ADTOF_LABELS.get(ADTOF_NAMES.get(text.upper(), text))
    else:
        raise ValueError(f"unknown vocabulary {vocabulary!r}; known: {', '.join(VOCABULARIES)}")
    if found is None:
        raise ValueError(f"unknown {vocabulary} label {label!r}; known: "
                         f"{', '.join(outside_labels(vocabulary))}")
    return found
