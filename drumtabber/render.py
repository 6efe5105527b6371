"""Rendering: score + tempo map -> drum MIDI -> audio with FluidSynth and a sampled kit.

The MIDI file puts every hit where the tempo map says it is (set_tempo events are solved so
that each note's MIDI time is its tempo-map time to within TEMPO_TOLERANCE_S, ramps and
anchors included) and carries the meter as time_signature events.  Humanised hits move by
ticks, not by tempo events.  FluidSynth then renders it with one of the :data:`KITS`.

FluidSynth does not start a note at its MIDI time: its file player is polled once per
64-sample synthesis block with the time in whole milliseconds, and a note sent during a block
sounds from the start of the next block.  Measured against the MIDI times (5,000 notes, and
the bundled songs): 1.1-3.6 ms later at 44.1 kHz (mean 2.4, sd 0.5), 1.1-3.1 ms at 48 kHz,
2.6-6.5 ms at 22.05 kHz, 3.7-7.7 ms at 16 kHz -- 64 samples plus up to 1 ms + one block, so
a constant correction would leave +/-1.2 ms at 44.1 kHz (+/-2 ms at 16 kHz).  Instead
:func:`fluidsynth_note_samples` replays the player's arithmetic (FluidSynth 2.2-2.3,
``fluid_midi.c``), and the onset table of a render (:func:`rendered_onsets`) gives the sample
where each voice starts: on every kit, at 8-48 kHz, through ramps and humanising, the first
non-zero sample of a voice is that sample + 1 (the volume envelope starts at 0).

Kits
----
``fluid-gm`` and ``timgm6mb`` are General MIDI kits: drums on MIDI channel 10 (index 9),
bank 128 program 0, every GM percussion note 35-81 sampled, so the key is the GM note.
The AVL kits (``avl-black-pearl``, ``avl-red-zeppelin``, from avldrums.lv2) are one preset,
bank 0 program 0, on a melodic channel (channel 1 here), with keys 36-61 only (read from the
soundfonts' preset zones and the plug-in's midnam file, and checked by rendering every key
0-127); see :data:`AVL_KEYS` for which of our instruments share a key.
"""
from __future__ import annotations

import bisect
import csv
import itertools
import math
import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import DrumtabberError, UnknownComponentError
from .score import Instrument, Score
from .tempo import TempoMap

FLUIDSYNTH = "fluidsynth"
FLUIDSYNTH_PACKAGE = "fluidsynth"
# Where Debian, Fedora and Arch put .sf2 files; a kit's file is looked up in each in turn.
SOUNDFONT_DIRS = (Path("/usr/share/sounds/sf2"), Path("/usr/share/soundfonts"),
                  Path("/usr/local/share/sounds/sf2"))

SAMPLE_RATE = 44100
# fluidsynth -g: its default 0.2 is quiet; at 0.5 one hit peaks at 0.1-0.4 full scale on
# these kits.  Output is 32-bit float WAV by default, so dense accented passages never clip.
DEFAULT_GAIN = 0.5
# 960 ticks a quarter (a common DAW resolution): 16ths, 32nds, triplets and quintuplets of
# any note down to a 64th are whole ticks; set_tempo events absorb the rest.
TICKS_PER_QUARTER = 960
# Keep the current MIDI tempo while it puts the next tempo-map point within this of its time
# (1/20 of the 1 ms the MIDI must meet): FluidSynth re-bases its clock on whole ticks at each
# tempo event, up to half a tick of drift apiece, so fewer events keep the audio closer.
TEMPO_TOLERANCE_S = 50e-6
# A note-off this long after each hit (or just before the next hit on the same key): GM
# percussion ignores note-offs on some synths, and FluidSynth's drum releases are long.
NOTE_LENGTH_S = 1.0
# Humanising draws from a normal distribution clipped at this many standard deviations.
HUMANIZE_CLIP_SD = 3.0
MAX_MIDI_TEMPO = 0xFFFFFF          # microseconds per quarter: a 24-bit field

# FluidSynth's timing (fluid_synth.c, fluid_midi.c; measured on 2.3.1 against every kit):
FLUIDSYNTH_BLOCK = 64              # samples per synthesis block (FLUID_BUFSIZE)
FLUIDSYNTH_VOICE_DELAY_BLOCKS = 1  # a note sent while block n is prepared sounds from block n+1

# Columns of the rendered onset table, sorted by time.
RENDER_COLUMNS = ["time", "midi_time", "score_time", "instrument", "gm_note", "key", "velocity",
                  "articulation", "bar", "beat", "tick"]


@dataclass(frozen=True)
class Kit:
    """A sampled drum kit: a soundfont, how its preset is selected, and our note map."""

    name: str
    description: str
    soundfont: str                  # file name, looked up in SOUNDFONT_DIRS, or a full path
    package: str                    # Debian package that installs the soundfont
    channel: int                    # 0-based MIDI channel the notes go on
    bank: int
    program: int
    keys: Mapping[Instrument, int] = field(repr=False)
    shared_keys_note: str = ""      # which of our instruments share a key, in words

    def soundfont_path(self) -> Path | None:
        """The installed soundfont, or None."""
        path = Path(self.soundfont)
        if path.is_absolute():
            return path if path.is_file() else None
        for folder in SOUNDFONT_DIRS:
            if (folder / path).is_file():
                return folder / path
        return None

    @property
    def installed(self) -> bool:
        return self.soundfont_path() is not None

    def require_soundfont(self) -> Path:
        """The soundfont's path; a DrumtabberError naming the file and its package if absent."""
        path = self.soundfont_path()
        if path is None:
            where = (self.soundfont if Path(self.soundfont).is_absolute() else
                     " or ".join(str(d / self.soundfont) for d in SOUNDFONT_DIRS))
            raise DrumtabberError(f"kit {self.name!r} needs the soundfont {where}, which is not "
                                  f"installed: install the Debian package {self.package} "
                                  f"(apt-get install {self.package})")
        return path

    def key_for(self, instrument: Instrument) -> int:
        return self.keys[instrument]

    def with_soundfont(self, path) -> Kit:
        """The same kit read from another .sf2 file."""
        from dataclasses import replace
        return replace(self, soundfont=str(Path(path).resolve()))


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

KITS: dict[str, Kit] = {k.name: k for k in [
    Kit("fluid-gm", "FluidR3 GM standard kit (General MIDI)", "FluidR3_GM.sf2",
        "fluid-soundfont-gm", 9, 128, 0, GM_KEYS),
    Kit("timgm6mb", "TimGM6mb standard kit (General MIDI, small)", "TimGM6mb.sf2",
        "timgm6mb-soundfont", 9, 128, 0, GM_KEYS),
    Kit("avl-black-pearl", "AVL Black Pearl 4-piece acoustic kit", "Black_Pearl_4_LV2.sf2",
        "avldrums.lv2-soundfont", 0, 0, 0, AVL_KEYS, _AVL_NOTE),
    Kit("avl-red-zeppelin", "AVL Red Zeppelin 4-piece acoustic kit", "Red_Zeppelin_4_LV2.sf2",
        "avldrums.lv2-soundfont", 0, 0, 0, AVL_KEYS, _AVL_NOTE),
]}


def get_kit(kit) -> Kit:
    """A kit by name (or the Kit itself); an unknown name lists the valid ones."""
    if isinstance(kit, Kit):
        return kit
    try:
        return KITS[kit]
    except KeyError:
        raise UnknownComponentError(f"unknown kit {kit!r}; valid names: "
                                    f"{', '.join(KITS)}") from None


@dataclass(frozen=True)
class Humanize:
    """Random deviations from the score: timing in ms and velocity, each a normal
    distribution's standard deviation (clipped at ``HUMANIZE_CLIP_SD``)."""

    timing_ms: float = 0.0
    velocity: float = 0.0

    def __post_init__(self):
        if self.timing_ms < 0 or self.velocity < 0:
            raise DrumtabberError("humanize: timing_ms and velocity must be 0 or more, found "
                                  f"{self.timing_ms:g} and {self.velocity:g}")


def _humanize(humanize) -> Humanize | None:
    if humanize is None or isinstance(humanize, Humanize):
        return humanize
    return Humanize(timing_ms=float(humanize))


def _mido():
    try:
        import mido
    except ImportError:
        raise DrumtabberError("rendering needs the Python package mido (pip install mido)") from None
    return mido


# -- score -> MIDI -------------------------------------------------------------------------
def score_to_midi(score: Score, tempo_map: TempoMap, *, kit, humanize=None, seed: int = 0):
    """Drum MIDI of a score whose note times are the tempo map's times.

    Parameters
    ----------
    score : Score
    tempo_map : TempoMap
        Gives each hit its time; tick 0 of the MIDI file is 0 s.  When the first bar starts
        after 0 s, a count-in (4/4 bars and a pickup bar of 32nds) comes first, so the
        file's bar lines are the score's in a MIDI editor.
    kit : str or Kit
        Chooses the channel, bank/program and each instrument's key.
    humanize : Humanize, float (timing standard deviation in ms) or None
        A humanised hit goes to the tick nearest its jittered time (within half a tick).
    seed : int
        Seed of the humanising random numbers: the same seed gives the same file.

    Returns
    -------
    midi : mido.MidiFile
        Type 0: tempo, time signature, program and note events on one track.
    rows : list of dict, one per note, sorted by time (``RENDER_COLUMNS``)
        ``midi_time``: the note's exact time in the MIDI file (seconds); ``score_time``: its
        tempo-map time before humanising; ``time``: where it sounds (here the MIDI time;
        :func:`render_audio` callers use :func:`rendered_onsets` for the rendered time);
        ``key``: the kit's key; ``tick``: its MIDI tick.
    """
    import numpy as np
    mido = _mido()
    kit = get_kit(kit)
    humanize = _humanize(humanize)
    rng = np.random.default_rng(seed)
    tpq = TICKS_PER_QUARTER
    bars = score.bars
    if not bars:
        raise DrumtabberError("the score has no bars: nothing to render")

    # Where tick 0 sits on the quarter axis.  A first bar that starts after 0 s gets a
    # count-in no faster than the opening tempo (FluidSynth applies a tempo change at a block
    # boundary, so a jump from a fast count-in would shift everything after it): 4/4 bars and
    # a pickup bar of 32nds, so the MIDI file's bar lines stay the score's.  When the first
    # bar starts before 0 s, tick 0 is the quarter at 0 s.
    t_start = float(tempo_map.quarters_to_seconds(Fraction(0)))
    q_origin, lead_ticks, lead_meters = Fraction(0), 0, []
    if t_start > 0:
        quarter_s = float(tempo_map.quarters_to_seconds(Fraction(1))) - t_start
        lead_q = t_start / quarter_s
        whole, thirty_seconds = int(lead_q // 4), int((lead_q % 4) * 8)
        if whole:
            lead_meters.append((0, 4, 4))
        if thirty_seconds:
            lead_meters.append((whole * 4 * tpq, thirty_seconds, 32))
        lead_ticks = whole * 4 * tpq + thirty_seconds * tpq // 8
        if not lead_ticks:                   # shorter than a 32nd note: no pickup bar
            lead_ticks = max(1, round(lead_q * tpq))
    elif t_start < 0:
        q_origin = tempo_map.seconds_to_quarters(0.0)

    def tick_of(q) -> int:
        return lead_ticks + round((q - q_origin) * tpq)

    # The notes: score time and tick, humanised time.
    notes = []
    for e in score.sorted_events():
        q = tempo_map.position_to_quarters(e.bar, e.beat)
        t_score = float(tempo_map.quarters_to_seconds(q))
        if t_score < 0:
            raise DrumtabberError(f"a {e.instrument.value} hit in bar {e.bar + 1} falls at "
                                  f"{t_score:.3f} s, before the start: check first_note_s, "
                                  "anchors and offset_s")
        t, velocity = t_score, e.velocity
        if humanize and humanize.timing_ms:
            jitter = float(np.clip(rng.standard_normal(), -HUMANIZE_CLIP_SD, HUMANIZE_CLIP_SD))
            t = max(0.0, t_score + jitter * humanize.timing_ms / 1000)
        if humanize and humanize.velocity:
            jitter = float(np.clip(rng.standard_normal(), -HUMANIZE_CLIP_SD, HUMANIZE_CLIP_SD))
            velocity = round(velocity + jitter * humanize.velocity)
        notes.append({"score_tick": max(0, tick_of(q)), "target": t, "event": e,
                      "score_time": t_score, "velocity": min(127, max(1, velocity)),
                      "key": kit.key_for(e.instrument)})

    # Tempo-map points the MIDI tempo must pass through: tick 0 = 0 s, every beat and bar
    # line, every tempo piece and anchor, and every hit's score position.
    points: dict[int, float] = {0: 0.0}
    grid = set()
    for i, bar in enumerate(bars):
        step = Fraction(4, bar.meter.denominator)
        for b in range(bar.meter.numerator):
            grid.add(tempo_map.bar_quarters[i] + b * step)
    grid.add(tempo_map.bar_quarters[-1])
    for piece in tempo_map.pieces:
        if piece.q0 != -math.inf:
            grid.add(piece.q0)
    grid.update(a[0] for a in getattr(tempo_map, "anchors", ()))
    for q in grid:
        k = tick_of(q)
        if k > 0:
            points[k] = float(tempo_map.quarters_to_seconds(q))
    for n in reversed(notes):
        if n["score_tick"] > 0:
            points[n["score_tick"]] = n["score_time"]
    tempo_events = _solve_tempi(sorted(points.items()))
    # A humanised hit goes to the tick nearest its time under those tempi (within half a
    # tick): moving hits with tempo events instead would make FluidSynth, which applies each
    # tempo change at a block boundary, drift by milliseconds.
    for n in notes:
        n["tick"] = (n["score_tick"] if n["target"] == n["score_time"] else
                     _seconds_to_tick(tempo_events, n["target"]))
    notes.sort(key=lambda n: (n["tick"], n["target"], n["event"].instrument.gm_note))

    # Messages at absolute ticks; order within a tick: tempo, meter, program, off, on.
    messages = [(0, 0, mido.MetaMessage("track_name", name=f"drumtabber {kit.name}"))]
    if kit.bank < 128:           # GM percussion (bank 128) is what channel 10 plays anyway
        messages.append((0, 2, mido.Message("control_change", channel=kit.channel,
                                            control=0, value=kit.bank)))
    messages.append((0, 2, mido.Message("program_change", channel=kit.channel,
                                        program=kit.program)))
    messages += [(k, 0, mido.MetaMessage("set_tempo", tempo=us)) for k, us in tempo_events]
    meters, previous = list(lead_meters), None
    for i, bar in enumerate(bars):
        if bar.meter != previous:
            meters.append((max(0, tick_of(tempo_map.bar_quarters[i])), bar.meter.numerator,
                           bar.meter.denominator))
            previous = bar.meter
    for k, numerator, denominator in meters:
        messages.append((k, 1, mido.MetaMessage(
            "time_signature", numerator=numerator, denominator=denominator,
            clocks_per_click=24, notated_32nd_notes_per_beat=8)))
    ons: dict[int, list] = {}
    for n in notes:
        ons.setdefault(n["key"], []).append(n["tick"])     # sorted: notes are
    for n in notes:
        ticks = ons[n["key"]]
        later = bisect.bisect_right(ticks, n["tick"])
        off_q = tempo_map.seconds_to_quarters(n["target"] + NOTE_LENGTH_S)
        off = max(n["tick"] + 1, tick_of(off_q))
        if later < len(ticks):               # the next hit on this key: off just before it
            off = min(off, ticks[later])
        messages.append((off, 3, mido.Message("note_off", channel=kit.channel, note=n["key"],
                                               velocity=0)))
        messages.append((n["tick"], 4, mido.Message("note_on", channel=kit.channel,
                                                    note=n["key"], velocity=n["velocity"])))
    messages.sort(key=lambda m: (m[0], m[1]))     # stable: notes keep the order of `notes`
    midi = mido.MidiFile(type=0, ticks_per_beat=tpq)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    now = 0
    for k, _, msg in messages:
        track.append(msg.copy(time=k - now))
        now = k
    track.append(mido.MetaMessage("end_of_track", time=tpq))

    times = midi_note_times(midi)
    rows = []
    for n, (tick, note, t) in zip(notes, times):
        assert (tick, note) == (n["tick"], n["key"])
        e = n["event"]
        rows.append({"time": t, "midi_time": t, "score_time": n["score_time"],
                     "instrument": e.instrument.value, "gm_note": e.gm_note, "key": n["key"],
                     "velocity": n["velocity"], "articulation": e.articulation_text(),
                     "bar": e.bar + 1, "beat": str(e.beat), "tick": tick})
    rows.sort(key=lambda r: (r["time"], r["gm_note"]))
    return midi, rows


def _solve_tempi(points: list[tuple[int, float]]) -> list[tuple[int, int]]:
    """set_tempo events (tick, microseconds a quarter) whose MIDI time passes through every
    (tick, seconds) point to within TEMPO_TOLERANCE_S (or the 1 us rounding of a tempo)."""
    tpq = TICKS_PER_QUARTER
    events, current = [], None
    midi_s = Fraction(0)                      # exact MIDI time at the current point
    for (k0, t0), (k1, t1) in itertools.pairwise(points):
        quarters = Fraction(k1 - k0, tpq)
        # Keep the current tempo, else take the tempo map's own over this stretch, else the
        # one that lands exactly on the next point (taking up the drift so far).
        ideal = (t1 - float(midi_s)) / float(quarters) * 1e6
        natural = round((t1 - t0) / float(quarters) * 1e6)
        tempo = next((c for c in (current, natural) if c is not None and 1 <= c
                      and abs(float(midi_s + c * quarters / 10**6) - t1) <= TEMPO_TOLERANCE_S),
                     max(1, round(ideal)))      # < 1: two points microseconds apart
        if tempo > MAX_MIDI_TEMPO:
            raise DrumtabberError(
                f"the tempo between MIDI ticks {k0} and {k1} ({ideal / 1e6:.3g} s a quarter)"
                f" does not fit a MIDI set_tempo event (1 us to {MAX_MIDI_TEMPO / 1e6:.1f} s)")
        if tempo != current:
            events.append((k0, tempo))
            current = tempo
        midi_s += current * quarters / 10**6
    if not events:
        events.append((0, 500000))
    return events


def _seconds_to_tick(tempo_events: list[tuple[int, int]], time_s: float) -> int:
    """The tick nearest ``time_s`` under ``tempo_events`` (tick, microseconds a quarter)."""
    tick, now, tempo = 0, 0.0, 500000
    for k, us in tempo_events:
        at = now + (k - tick) * tempo / 1e6 / TICKS_PER_QUARTER
        if at > time_s:
            break
        tick, now, tempo = k, at, us
    return max(0, tick + round((time_s - now) * 1e6 / tempo * TICKS_PER_QUARTER))


def _absolute(midi):
    """(absolute tick, message) of every track, merged in time order (track order within a
    tick), as a MIDI player sees them."""
    merged = []
    for index, track in enumerate(midi.tracks):
        tick = 0
        for order, msg in enumerate(track):
            tick += msg.time
            merged.append((tick, index, order, msg))
    merged.sort(key=lambda m: m[:3])
    return [(tick, msg) for tick, _, _, msg in merged]


def midi_note_times(midi) -> list[tuple[int, int, float]]:
    """(tick, key, seconds) of every note-on of a MIDI file, in playing order; seconds from
    the set_tempo events, exactly (Fractions), as the MIDI file defines them."""
    tempo, last_tick, now = 500000, 0, Fraction(0)
    out = []
    for tick, msg in _absolute(midi):
        now += Fraction(tempo * (tick - last_tick), midi.ticks_per_beat * 10**6)
        last_tick = tick
        if msg.type == "set_tempo":
            tempo = msg.tempo
        elif msg.type == "note_on" and msg.velocity > 0:
            out.append((tick, msg.note, float(now)))
    return out


# -- FluidSynth ------------------------------------------------------------------------------
def fluidsynth_note_samples(midi, sample_rate: int) -> list[tuple[int, int, int]]:
    """(tick, key, sample) of every note-on: the sample where FluidSynth's render of ``midi``
    starts the note's voice.

    Replays FluidSynth's file player (2.2-2.3, player.timing-source=sample): before each
    64-sample block it takes the time in whole milliseconds, turns it into ticks with the
    current tempo (a float, ms per tick) counted from the last tempo change *as it was
    applied* (at a block boundary, not at its own tick), and sends every event up to that
    tick; the voice sounds from the next block.
    """
    import numpy as np
    f32 = np.float32
    division = midi.ticks_per_beat

    def tick_ms(tempo):
        return float(f32(tempo) / f32(division) / f32(1000.0))

    def msec(block):
        return int(1000.0 * (block * FLUIDSYNTH_BLOCK) / sample_rate)

    state = {"dt": tick_ms(500000), "start_ms": 0, "start_ticks": 0}

    def ticks_at(block):
        return state["start_ticks"] + int((msec(block) - state["start_ms"]) / state["dt"] + 0.5)

    block, current = 0, ticks_at(0)
    out = []
    for tick, msg in _absolute(midi):
        if tick > current:
            guess = int((state["start_ms"] + (tick - state["start_ticks"]) * state["dt"])
                        / 1000.0 * sample_rate / FLUIDSYNTH_BLOCK)
            m = max(block + 1, guess - 2)
            while ticks_at(m) < tick:
                m += 1
            while m - 1 > block and ticks_at(m - 1) >= tick:
                m -= 1
            block, current = m, ticks_at(m)
        if msg.type == "set_tempo":
            state.update(dt=tick_ms(msg.tempo), start_ms=msec(block), start_ticks=current)
        elif msg.type == "note_on" and msg.velocity > 0:
            out.append((tick, msg.note,
                        (block + FLUIDSYNTH_VOICE_DELAY_BLOCKS) * FLUIDSYNTH_BLOCK))
    return out


def rendered_onsets(midi, rows: list[dict], sample_rate: int) -> list[dict]:
    """The rows of :func:`score_to_midi` with ``time`` set to where each note sounds in
    FluidSynth's render at ``sample_rate`` (see :func:`fluidsynth_note_samples`)."""
    samples = fluidsynth_note_samples(midi, sample_rate)
    sample_of = {tick: sample for tick, _, sample in samples}   # one block per tick
    if sorted((r["tick"], r["key"]) for r in rows) != sorted((k, n) for k, n, _ in samples):
        raise DrumtabberError("the onset rows do not belong to this MIDI file")
    out = [{**row, "time": sample_of[row["tick"]] / sample_rate} for row in rows]
    out.sort(key=lambda r: (r["time"], r["gm_note"]))
    return out


def render_audio(midi, kit, *, sample_rate: int = SAMPLE_RATE, out_path,
                 gain: float = DEFAULT_GAIN, reverb: bool = False, chorus: bool = False,
                 sample_format: str | None = None) -> Path:
    """Render a MIDI file (a mido.MidiFile or a path) with FluidSynth and a kit.

    The file is written under a temporary name and renamed when complete.  Reverb and
    chorus are off by default (dry kit, onsets not smeared).  ``sample_format`` is FluidSynth's
    ``-O`` (default: ``float`` for .wav, ``s24`` for other types).  Returns ``out_path``.
    """
    kit = get_kit(kit)
    soundfont = kit.require_soundfont()
    exe = shutil.which(FLUIDSYNTH)
    if exe is None:
        raise DrumtabberError(f"rendering needs the fluidsynth program: install the Debian "
                              f"package {FLUIDSYNTH_PACKAGE} (apt-get install {FLUIDSYNTH_PACKAGE})")
    if not 8000 <= sample_rate <= 96000:
        raise DrumtabberError(f"sample rate must be 8000-96000 Hz for FluidSynth, "
                              f"found {sample_rate}")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fmt = sample_format or ("float" if out_path.suffix.lower() == ".wav" else "s24")
    partial = out_path.with_name(f".{out_path.stem}.{os.getpid()}.partial{out_path.suffix}")
    with tempfile.TemporaryDirectory(prefix="drumtabber-render-") as tmp:
        if isinstance(midi, (str, Path)):
            midi_path = Path(midi)
        else:
            midi_path = Path(tmp) / "score.mid"
            midi.save(str(midi_path))
        cmd = [exe, "-n", "-i", "-q", "-R", "1" if reverb else "0", "-C", "1" if chorus else "0",
               "-g", str(gain), "-r", str(sample_rate), "-O", fmt, "-T", "auto",
               "-o", "player.timing-source=sample", "-o", "synth.lock-memory=0",
               "-F", str(partial), str(soundfont), str(midi_path)]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise DrumtabberError(f"cannot run {exe}: {exc}") from None
    # FluidSynth exits 0 after some failures (a corrupt soundfont renders silence), so its
    # error lines count too; warnings (no preset on the unused channel 10) do not.
    problems = [ln for ln in (proc.stderr + proc.stdout).splitlines()
                if "error" in ln.lower() or "not a soundfont" in ln.lower()]
    if (proc.returncode != 0 or problems or not partial.is_file()
            or partial.stat().st_size <= 44):
        partial.unlink(missing_ok=True)
        detail = "; ".join(problems) or (proc.stderr or proc.stdout).strip() or "no output"
        raise DrumtabberError(f"fluidsynth failed (exit {proc.returncode}) rendering "
                              f"{midi_path.name} with {soundfont}: {detail}", path=out_path)
    os.replace(partial, out_path)
    return out_path


# -- alignment file -> audio ---------------------------------------------------------------
@dataclass
class RenderResult:
    wav: Path
    midi: Path | None
    onsets: Path | None
    rows: list
    findings: list


def write_onsets(rows: list[dict], path: Path) -> Path:
    """The onset table as CSV (``RENDER_COLUMNS``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=RENDER_COLUMNS, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, **{c: f"{row[c]:.6f}" for c in
                                       ("time", "midi_time", "score_time")}})
    return path


def render_alignment(alignment_path, *, kit, out_wav, midi_out=None, onsets_out=None,
                     humanize=None, seed: int = 0, sample_rate: int = SAMPLE_RATE,
                     gain: float = DEFAULT_GAIN, force: bool = False, manager=None,
                     settings=None) -> RenderResult:
    """Render the tab of an alignment file with its tempo map: WAV, optional MIDI file and
    onset CSV.  Existing outputs are kept unless ``force``; an alignment with errors raises
    AlignmentError with its findings.  The returned rows give where each note sounds in the
    WAV (:func:`rendered_onsets`)."""
    from .align import align, load_alignment
    from .errors import AlignmentError
    from .findings import Severity

    kit = get_kit(kit)
    outputs = [Path(p) for p in (out_wav, midi_out, onsets_out) if p is not None]
    if len({p.resolve() for p in outputs}) != len(outputs):
        raise DrumtabberError("the WAV, MIDI and onset outputs must be different files")
    if not force:
        for p in outputs:
            if p.exists():
                raise DrumtabberError(f"{p} exists (use --force to overwrite)")
    kit.require_soundfont()
    if manager is None:
        from .plugin_manager import get_plugin_manager
        manager = get_plugin_manager()
    alignment, findings = load_alignment(Path(alignment_path))
    result = None
    if alignment is not None and not any(f.severity == Severity.ERROR for f in findings):
        result = align(alignment, manager, settings=settings)
        findings = findings + result.findings
    errors = [f for f in findings if f.severity == Severity.ERROR]
    if result is None or errors or result.tempo_map is None:
        raise AlignmentError("cannot render: "
                             + "; ".join(f.format() for f in errors or findings))
    midi, rows = score_to_midi(result.score, result.tempo_map, kit=kit, humanize=humanize,
                               seed=seed)
    wav = render_audio(midi, kit, sample_rate=sample_rate, out_path=out_wav, gain=gain)
    rows = rendered_onsets(midi, rows, sample_rate)
    if midi_out is not None:
        Path(midi_out).parent.mkdir(parents=True, exist_ok=True)
        midi.save(str(midi_out))
    if onsets_out is not None:
        write_onsets(rows, Path(onsets_out))
    return RenderResult(Path(wav), Path(midi_out) if midi_out else None,
                        Path(onsets_out) if onsets_out else None, rows, findings)
