"""The soundfont drum kits: FluidR3 GM, TimGM6mb, MuseScore General Lite and the two AVL Drumkits

``fluid-gm``, ``timgm6mb`` and ``musescore-lite`` (MuseScore General Lite, an .sf3 file) are
General MIDI kits: drums on MIDI channel 10 (index 9),
bank 128 program 0, every GM percussion note 35-81 sampled, so the key is the GM note.
The AVL kits (``avl-black-pearl``, ``avl-red-zeppelin``, from avldrums.lv2) are one preset,
bank 0 program 0, on a melodic channel (channel 1 here), with keys 36-61 only (read from the
soundfonts' preset zones and the plug-in's midnam file, and checked by rendering every key
0-127); see :data:`AVL_KEYS` for which of our instruments share a key.
"""
from __future__ import annotations

from drumtabber.audio.fluidsynth import SoundfontKit
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Instrument

__version__ = "0.1.0"

I = Instrument
GM_KEYS = {i: i.gm_note for i in Instrument}

# The AVL Drumkits' keys (both kits share the layout; names from avldrums.lv2 src/midnam.h,
# key ranges from the .sf2 preset zones): 36 kick, 37 side stick, 38 snare, 39 hand clap,
# 40 snare edge, 41 floor tom, 42 closed hat, 43 floor tom edge/alt, 44 pedal hat,
# 45 rack tom, 46 semi-open hat, 47 rack tom edge/alt, 48 hat swish, 49 crash 1,
# 50 crash 1 choke, 51 ride tip, 52 ride choke, 53 ride bell, 54 tambourine, 55 splash,
# 56 cowbell, 57 crash 2, 58 crash 2 choke, 59 ride shank, 60 crash 3 (Paiste 2002 22"),
# 61 maracas.  Every other key, 22 and 26 included, is silent.
AVL_KEYS = {
    I.KICK_ACOUSTIC: 36, I.KICK: 36,                        # one kick
    I.SIDE_STICK: 37, I.SNARE: 38, I.HAND_CLAP: 39,
    I.SNARE_ELECTRIC: 40,                                   # the snare, edge hit
    I.TOM_FLOOR_LOW: 41, I.TOM_FLOOR_HIGH: 41,              # one floor tom (centre hit)
    I.TOM_LOW: 45, I.TOM_LOW_MID: 45, I.TOM_HIGH_MID: 45, I.TOM_HIGH: 45,   # one rack tom
    I.HIHAT_CLOSED: 42, I.HIHAT_PEDAL: 44,
    I.HIHAT_OPEN: 46,                                       # the most open hat is semi-open
    I.CRASH: 49, I.CRASH2: 57, I.CHINA: 60,                 # no china: the trashy 22" crash 3
    I.RIDE: 51, I.RIDE2: 59, I.RIDE_BELL: 53,               # ride 2: the ride's shank
    I.SPLASH: 55, I.TAMBOURINE: 54, I.COWBELL: 56, I.MARACAS: 61,
    # Latin percussion the kits lack: stand-ins of the same kind of sound.
    I.VIBRASLAP: 54,                                        # a rattle -> tambourine
    I.BONGO_HIGH: 45, I.BONGO_LOW: 45, I.CONGA_MUTE_HIGH: 45, I.CONGA_OPEN_HIGH: 45,
    I.TIMBALE_HIGH: 45, I.CUICA_MUTE: 45, I.CUICA_OPEN: 45,               # hand drums -> rack tom
    I.CONGA_LOW: 41, I.TIMBALE_LOW: 41,                     # low hand drums -> floor tom
    I.AGOGO_HIGH: 56, I.AGOGO_LOW: 56, I.WHISTLE_SHORT: 56, I.WHISTLE_LONG: 56,  # -> cowbell
    I.CABASA: 61, I.GUIRO_SHORT: 61, I.GUIRO_LONG: 61,      # shakers and scrapers -> maracas
    I.CLAVES: 37, I.WOODBLOCK_HIGH: 37, I.WOODBLOCK_LOW: 37,  # wood clicks -> side stick
    I.TRIANGLE_MUTE: 53, I.TRIANGLE_OPEN: 53,               # a bright ring -> ride bell
}
del I
_AVL_NOTE = ("one kick (35, 36 -> 36), one floor tom (41, 43 -> 41), one rack tom (45, 47, 48, "
             "50 -> 45); electric snare -> snare edge 40, open hi-hat -> semi-open 46, china -> "
             "crash 3 60, ride 2 -> ride shank 59; Latin percussion -> the nearest sound "
             "(hand drums -> toms, bells and whistles -> cowbell, shakers and guiros -> maracas, "
             "claves and woodblocks -> side stick, vibraslap -> tambourine, triangle -> ride bell)")

KITS = [
    SoundfontKit("fluid-gm", "FluidR3 GM standard kit (General MIDI)", "FluidR3_GM.sf2",
        "fluid-soundfont-gm", 9, 128, 0, GM_KEYS),
    SoundfontKit("timgm6mb", "TimGM6mb standard kit (General MIDI, small)", "TimGM6mb.sf2",
        "timgm6mb-soundfont", 9, 128, 0, GM_KEYS),
    SoundfontKit("musescore-lite", "MuseScore General Lite standard kit (General MIDI)",
        "MuseScore_General_Lite.sf3", "musescore-general-soundfont-small", 9, 128, 0, GM_KEYS),
    SoundfontKit("avl-black-pearl", "AVL Black Pearl 4-piece acoustic kit", "Black_Pearl_4_LV2.sf2",
        "avldrums.lv2-soundfont", 0, 0, 0, AVL_KEYS, _AVL_NOTE),
    SoundfontKit("avl-red-zeppelin", "AVL Red Zeppelin 4-piece acoustic kit", "Red_Zeppelin_4_LV2.sf2",
        "avldrums.lv2-soundfont", 0, 0, 0, AVL_KEYS, _AVL_NOTE),
]


@hookimpl
def register_kits(register):
    for kit in KITS:
        register(kit)
