"""Score + tempo map -> drum MIDI whose note times are the tempo map's, and the onset table of
what a kit renders from it.

The MIDI file puts every hit where the tempo map says it is (set_tempo events are solved so
that each note's MIDI time is its tempo-map time to within TEMPO_TOLERANCE_S, ramps and
anchors included) and carries the meter as time_signature events.  Humanised hits move by
ticks, not by tempo events.  A kit component (:class:`drumtabber.components.Kit`, registered
by plugins) chooses the channel, preset and keys, renders the file and says where each note
sounds (:func:`rendered_onsets`).
"""
from __future__ import annotations

import bisect
import itertools
import math
from dataclasses import dataclass, replace
from fractions import Fraction

from ..errors import DrumtabberError, UnknownComponentError
from ..onset_table import onset_table
from ..score import Bar, Event, Instrument, Meter, Score
from ..tempo import TempoMap

SAMPLE_RATE = 44100
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
MAX_MIDI_TEMPO = 0xFFFFFF          # microseconds per quarter: a 24-bit field


def get_kit(manager, kit, *, installed: bool = False):
    """A kit component by name (or the kit itself; ``mix:...`` names a
    :class:`~.mixed_kit.MixedKit` of registered kits); an unknown name lists the valid ones
    (UnknownComponentError).  With ``installed``, a kit whose samples are missing raises a
    DrumtabberError that says how to install them."""
    from .mixed_kit import MixedKit, is_mix
    if is_mix(kit):
        try:
            kit = MixedKit.from_name(kit, lambda name: get_kit(manager, name))
        except ValueError as exc:
            raise UnknownComponentError(str(exc)) from None
    elif isinstance(kit, str):
        kit = manager.get("kit", kit)
    if installed and not kit.installed:
        require = getattr(kit, "require_soundfont", None)
        if require is not None:        # a soundfont kit names its missing file and package
            require()
        raise DrumtabberError(f"kit {kit.name!r} is not installed: {kit.install_hint()}")
    return kit


def score_onsets(score: Score, tempo_map: TempoMap):
    """What a render of ``score`` plays, as an onset table: each note at its tempo-map time
    with its velocity; ``event`` is the note's index in ``score.sorted_events()`` (what a
    score augmenter keeps, so :func:`score_to_midi` can play the rows it returns)."""
    rows = []
    for i, e in enumerate(score.sorted_events()):
        t = float(tempo_map.quarters_to_seconds(tempo_map.position_to_quarters(e.bar, e.beat)))
        rows.append({"time": t, "instrument": e.instrument.value, "gm_note": e.gm_note,
                     "articulation": e.articulation_text(), "velocity": e.velocity,
                     "event": i})
    return onset_table(rows)


def _mido():
    try:
        import mido
    except ImportError:
        raise DrumtabberError("rendering needs the Python package mido (pip install mido)") from None
    return mido


def score_to_midi(score: Score, tempo_map: TempoMap, *, kit, played=None):
    """Drum MIDI of a score whose note times are the tempo map's times.

    Parameters
    ----------
    score : Score
    tempo_map : TempoMap
        Gives each hit its time; tick 0 of the MIDI file is 0 s.  When the first bar starts
        after 0 s, a count-in (4/4 bars and a pickup bar of 32nds) comes first, so the
        file's bar lines are the score's in a MIDI editor.
    kit : Kit
        Chooses the channel, bank/program and each instrument's key.
    played : onset table or None
        What to play (:func:`score_onsets`, changed by score augmenters): each row plays its
        ``event`` at its ``time`` and ``velocity`` (and, given an ``instrument`` column, on that
        instrument: an open hi-hat for a closed one); notes without a row are left out.  A note
        moved off its score time goes to the tick nearest that time (within half a tick).  An
        ``unlabelled`` column (bool) is kept in the onset rows: notes played that are no
        label (the foot closing an open hi-hat; :func:`labelled_onsets` drops them).

    Returns
    -------
    midi : mido.MidiFile
        Type 0: tempo, time signature, program and note events on one track.
    onsets : DataFrame, the onset table of the notes (``onset_table.RENDER_COLUMNS``)
        ``midi_time``: the note's exact time in the MIDI file (seconds); ``score_time``: its
        tempo-map time before a score augmenter moved it; ``time``: where it sounds (here the MIDI time;
        :func:`rendered_onsets` gives the time in a kit's render);
        ``key``: the kit's key; ``tick``: its MIDI tick.
    """
    mido = _mido()
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

    # The notes: score time and tick, played time and velocity.
    events = score.sorted_events()
    if played is None:
        played = score_onsets(score, tempo_map)
    notes = []
    sounds = (played["instrument"] if "instrument" in played.columns
              else [None] * len(played))
    unlabelled = (played["unlabelled"].to_numpy(dtype=bool) if "unlabelled" in played.columns
                  else None)
    for row, (i, t, velocity, sound) in enumerate(zip(played["event"], played["time"],
                                                      played["velocity"], sounds)):
        e = events[int(i)]
        if sound is not None and sound != e.instrument.value:    # a score augmenter's swap
            e = replace(e, instrument=Instrument(sound))
        q = tempo_map.position_to_quarters(e.bar, e.beat)
        t_score = float(tempo_map.quarters_to_seconds(q))
        if t_score < 0:
            raise DrumtabberError(f"a {e.instrument.value} hit in bar {e.bar + 1} falls at "
                                  f"{t_score:.3f} s, before the start: check first_note_s, "
                                  "anchors and offset_s")
        notes.append({"score_tick": max(0, tick_of(q)), "target": max(0.0, float(t)),
                      "event": e, "score_time": t_score,
                      "velocity": min(127, max(1, int(velocity))),
                      "key": kit.key_for(e.instrument),
                      "unlabelled": None if unlabelled is None else bool(unlabelled[row])})
    notes.sort(key=lambda n: (n["score_tick"], n["target"]))

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
                     "bar": e.bar + 1, "beat": str(e.beat), "tick": tick,
                     **({} if n["unlabelled"] is None else {"unlabelled": n["unlabelled"]})})
    return midi, onset_table(rows)


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


def midi_messages(midi):
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
    for tick, msg in midi_messages(midi):
        now += Fraction(tempo * (tick - last_tick), midi.ticks_per_beat * 10**6)
        last_tick = tick
        if msg.type == "set_tempo":
            tempo = msg.tempo
        elif msg.type == "note_on" and msg.velocity > 0:
            out.append((tick, msg.note, float(now)))
    return out


def rendered_onsets(midi, onsets, sample_rate: int, kit):
    """The onset table of :func:`score_to_midi` with ``time`` set to where each note sounds
    in ``kit``'s render at ``sample_rate`` (the kit's ``note_samples``)."""
    samples = kit.note_samples(midi, sample_rate)
    sample_of = {(tick, key): sample for tick, key, sample in samples}
    if (sorted(zip(onsets["tick"], onsets["key"])) != sorted((k, n) for k, n, _ in samples)):
        raise DrumtabberError("the onset rows do not belong to this MIDI file")
    out = onsets.copy()
    out["time"] = [sample_of[(tick, key)] / sample_rate
                   for tick, key in zip(onsets["tick"], onsets["key"])]
    return onset_table(out)


def labelled_onsets(onsets):
    """An onset table without the rows played but marked ``unlabelled`` (and that column)."""
    if "unlabelled" not in onsets.columns:
        return onsets
    keep = ~onsets["unlabelled"].to_numpy(dtype=bool)
    return onset_table(onsets.loc[keep].drop(columns="unlabelled"))


# The tempo of a file without a tempo map (the MIDI default: 500000 us a quarter).
FALLBACK_QPM = 120


@dataclass(frozen=True)
class GeneralMidiKit:
    """What :func:`score_to_midi` needs of a kit: General MIDI drums on channel 10
    (index 9), bank 128, program 0, each instrument on its GM note."""

    name: str = "general-midi"
    channel: int = 9
    bank: int = 128
    program: int = 0

    def key_for(self, instrument: Instrument) -> int:
        return instrument.gm_note


GM_KIT = GeneralMidiKit()


def played_rows(rows, event_index):
    import pandas as pd
    return pd.DataFrame({"event": event_index, "time": rows["time"].to_numpy(),
                         "velocity": rows["velocity"].to_numpy()})


def score_played(score: Score, rows):
    """What :func:`score_to_midi` plays for these hits: each row's event is its
    instrument's last event in its bar at or before its beat (the event at its position,
    or the double whose second stroke it is); None when a row has no such event."""
    if not {"bar", "beat"} <= set(rows.columns):
        return None
    events: dict[tuple, tuple[list, list]] = {}
    for i, e in enumerate(score.sorted_events()):     # sorted by bar, then beat
        beats, index = events.setdefault((e.bar, e.instrument.value), ([], []))
        beats.append(e.beat)
        index.append(i)
    chosen = []
    for bar, beat, instrument in zip(rows["bar"], rows["beat"], rows["instrument"]):
        beats, index = events.get((int(bar) - 1, instrument), ([], []))
        k = bisect.bisect_right(beats, Fraction(beat)) - 1
        if k < 0:
            return None
        chosen.append(index[k])
    return played_rows(rows, chosen)


def constant_tempo_score(rows):
    """A 4/4 score at ``FALLBACK_QPM`` with one event per hit on the tick nearest its time,
    its tempo map and what to play (each hit at its own time)."""
    qpm, tpq = FALLBACK_QPM, TICKS_PER_QUARTER
    quarters = [Fraction(max(0, round(t * qpm / 60 * tpq)), tpq) for t in rows["time"]]
    bars = [Bar(i, Meter(4, 4), i + 1) for i in range(int(max(quarters, default=0) // 4) + 1)]
    events = [Event(int(q // 4), q % 4, Instrument(i), velocity=int(v))
              for q, i, v in zip(quarters, rows["instrument"], rows["velocity"])]
    order = sorted(range(len(events)),
                   key=lambda k: (events[k].bar, events[k].beat, events[k].gm_note))
    score = Score(bars=bars, events=[events[k] for k in order])
    return score, TempoMap(bars, qpm=qpm), played_rows(rows.iloc[order], range(len(order)))


def labels_to_midi(rows, score: Score | None = None, tempo_map: TempoMap | None = None):
    """General MIDI drums (``GM_KIT``) of an onset table, one row per hit: each hit sounds at
    its ``time``; with the song's score and tempo map the file carries its tempi and meters
    (each row plays its score event, found by ``bar``, ``beat`` and ``instrument``), else it
    is written at ``FALLBACK_QPM``.  Returns the ``mido.MidiFile``."""
    played = None
    if score is not None and tempo_map is not None:
        played = score_played(score, rows)
    if played is None:
        score, tempo_map, played = constant_tempo_score(rows)
    midi, _ = score_to_midi(score, tempo_map, kit=GM_KIT, played=played)
    return midi
