"""A kit made of other kits: each drum family (kick, snare, toms, hi-hat, cymbals, ride,
percussion) played by the kit chosen for it, the renders summed.

Named ``mix:BASE,FAMILY=KIT,...`` wherever a kit name goes (``mix:fluid-gm,hihat=h2-audiophob,
cymbal=avl-black-pearl``): the families not named are BASE's.  Each part sounds as loud as
its kit makes it; with ``levels=base`` at the end, each part is scaled to the level BASE
gives those notes (the timbre of one kit, the balance of another).  ``FAMILY=KIT:DB`` also
turns that family up or down by DB decibels (``hihat=fluid-gm:-12``: a hi-hat far from the
microphones, as a mix places it), its kit rendered alone for it.  A recorded kit is seldom one
maker's set of drums, and its families are balanced by the drummer and the mix, so mixing
the families of a dozen kits gives thousands of kits whose pieces and levels vary
independently.  Each part renders only its families' notes (its own channel, preset and
keys), so a part's hi-hat choke and cymbal ring stay its own, and each note's onset is
where its part's render starts it (:meth:`note_samples`).
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..score import Instrument

PREFIX = "mix:"
FAMILIES = ("kick", "snare", "tom", "hihat", "cymbal", "ride", "percussion")
LEVELS = ("own", "base")                 # each part as loud as its kit, or as the base kit
INSTRUMENTS = tuple(Instrument)          # a mixed kit's key is its instrument's index here


def is_mix(name) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


def mix_name(base: str, parts: dict[str, str], levels: str = "own",
             gains: dict[str, float] | None = None) -> str:
    """The name of ``base`` with ``parts`` (family -> kit name) in place of its families,
    ``gains`` (family -> dB) on them."""
    gains = {f: g for f, g in (gains or {}).items() if g}
    named = [f"{f}={parts.get(f, base)}" + (f":{gains[f]:g}" if f in gains else "")
             for f in FAMILIES if parts.get(f, base) != base or f in gains]
    return PREFIX + ",".join([base, *named, *(["levels=base"] if levels == "base" else [])])


def parse_mix(name: str) -> tuple[str, dict[str, str], str, dict[str, float]]:
    """``(base kit name, {family: kit name}, levels, {family: gain in dB})`` of a ``mix:``
    name; a ValueError says what is wrong with it."""
    base, *rest = [p.strip() for p in name[len(PREFIX):].split(",")]
    if not base or "=" in base:
        raise ValueError(f"kit {name!r}: expected mix:BASE,FAMILY=KIT,... with the base "
                         "kit first")
    parts: dict[str, str] = {}
    gains: dict[str, float] = {}
    levels = "own"
    if rest and rest[-1].replace(" ", "").startswith("levels="):
        levels = rest.pop().partition("=")[2].strip()
        if levels not in LEVELS:
            raise ValueError(f"kit {name!r}: levels is {' or '.join(LEVELS)}, not {levels!r}")
    for item in rest:
        family, _, kit = (s.strip() for s in item.partition("="))
        kit, colon, db = (s.strip() for s in kit.partition(":"))
        if family not in FAMILIES or not kit:
            raise ValueError(f"kit {name!r}: expected FAMILY=KIT or FAMILY=KIT:DB after the "
                             f"base kit, FAMILY one of {', '.join(FAMILIES)}; found {item!r}")
        if family in parts:
            raise ValueError(f"kit {name!r}: family {family} is named twice")
        parts[family] = kit
        if colon:
            try:
                gains[family] = float(db)
            except ValueError:
                gains[family] = float("nan")
            if not -60.0 <= gains[family] <= 24.0:
                raise ValueError(f"kit {name!r}: the gain of {family} is decibels from -60 "
                                 f"to 24, not {db!r}")
    return base, parts, levels, gains


@dataclass(frozen=True)
class MixedKit:
    """A kit component (:class:`drumtabber.components.Kit`) of other kits, one per family."""

    name: str
    kits: dict = field(hash=False)   # family -> kit component
    base: object = None              # the kit whose levels the parts take (levels=base)
    gains: dict = field(default_factory=dict, hash=False)     # family -> dB
    channel: int = 9
    bank: int = 128
    program: int = 0

    @classmethod
    def from_name(cls, name: str, get) -> "MixedKit":
        """The kit a ``mix:`` name describes; ``get(kit name)`` gives each part."""
        base, parts, levels, gains = parse_mix(name)
        kits = {f: get(parts.get(f, base)) for f in FAMILIES}
        return cls(name, kits, get(base) if levels == "base" else None, gains)

    @property
    def installed(self) -> bool:
        return all(k.installed for k in self.kits.values())

    def install_hint(self) -> str:
        return "; ".join(f"{k.name}: {k.install_hint()}"
                         for k in {id(k): k for k in self.kits.values()}.values()
                         if not k.installed)

    def key_for(self, instrument: Instrument) -> int:
        return INSTRUMENTS.index(instrument)

    def _parts(self) -> list[tuple[object, float, frozenset]]:
        """``(kit, gain in dB, families)`` of each render: the families of one kit at one
        gain are rendered together."""
        parts: dict = {}
        for f in FAMILIES:
            kit, gain = self.kits[f], float(self.gains.get(f, 0.0))
            parts.setdefault((id(kit), gain), (kit, gain, set()))[2].add(f)
        return [(kit, gain, frozenset(fs)) for kit, gain, fs in parts.values()]

    def _part_midi(self, midi, kit, families, player=None):
        """``midi`` with only the notes of ``families``, on the channel, preset and keys
        of ``player`` (default ``kit``); and ``{(tick, its key): [our keys]}`` of those notes
        (a key of that kit may play several of our instruments: a closed and a pedal hi-hat
        on one sample)."""
        import mido
        kit = player or kit
        messages, keys, sounding = [], {}, {}
        if kit.bank < 128:
            messages.append((0, mido.Message("control_change", channel=kit.channel, control=0,
                                             value=kit.bank)))
        messages.append((0, mido.Message("program_change", channel=kit.channel,
                                         program=kit.program)))
        tick = 0
        for msg in mido.merge_tracks(midi.tracks):
            tick += msg.time
            if msg.is_meta:
                if msg.type != "end_of_track":
                    messages.append((tick, msg))
            elif msg.type in ("note_on", "note_off"):
                instrument = INSTRUMENTS[msg.note]
                if instrument.family not in families:
                    continue
                note = kit.key_for(instrument)
                if msg.type == "note_on" and msg.velocity > 0:
                    keys.setdefault((tick, note), []).append(msg.note)
                    sounding[note] = msg.note
                elif sounding.get(note) != msg.note:    # its key sounds another instrument
                    continue
                messages.append((tick, msg.copy(channel=kit.channel, note=note)))
        part = mido.MidiFile(type=0, ticks_per_beat=midi.ticks_per_beat)
        track = mido.MidiTrack()
        part.tracks.append(track)
        now = 0
        for tick, msg in messages:
            track.append(msg.copy(time=tick - now))
            now = tick
        track.append(mido.MetaMessage("end_of_track", time=midi.ticks_per_beat))
        return part, keys

    def note_samples(self, midi, sample_rate: int) -> list[tuple[int, int, int]]:
        """Each note where its part's render starts it."""
        out = []
        for kit, _, families in self._parts():
            part, keys = self._part_midi(midi, kit, families)
            out += [(tick, keys[(tick, key)].pop(0), sample)
                    for tick, key, sample in kit.note_samples(part, sample_rate)]
        return sorted(out)

    def render(self, midi, *, sample_rate: int, out_path, gain: float = 0.5) -> Path:
        import numpy as np
        from .io import load_audio, write_render
        renders = []
        with tempfile.TemporaryDirectory(prefix="drumtabber-mix-") as tmp:
            def played(kit, families, player=None):
                part, keys = self._part_midi(midi, kit, families, player)
                if not keys:
                    return None
                wav = (player or kit).render(part, sample_rate=sample_rate, gain=gain,
                                             out_path=Path(tmp) / "part.wav")
                return load_audio(wav, sample_rate=sample_rate)[0]
            for kit, db, families in self._parts():
                audio = played(kit, families)
                if audio is None:
                    continue
                scale = 10.0 ** (db / 20.0)
                if self.base is not None and kit is not self.base:   # at the base's level
                    own = float(np.sqrt(np.mean(audio ** 2)))
                    wanted = float(np.sqrt(np.mean(played(kit, families, self.base) ** 2)))
                    scale *= wanted / own if own > 0 else 1.0
                renders.append(audio * np.float32(scale) if scale != 1.0 else audio)
        mix = np.zeros(max((len(r) for r in renders), default=sample_rate), np.float32)
        for r in renders:
            mix[:len(r)] += r
        return write_render(out_path, mix, sample_rate)
