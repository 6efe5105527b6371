"""A kit made of other kits: each drum family (kick, snare, toms, hi-hat, cymbals, ride,
percussion) played by the kit chosen for it, the renders summed.

Named ``mix:BASE,FAMILY=KIT,...`` wherever a kit name goes (``mix:fluid-gm,hihat=h2-audiophob,
cymbal=avl-black-pearl``): the families not named are BASE's.  Each part sounds as loud as
its kit makes it; with ``levels=base`` at the end, each part is scaled to the level BASE
gives those notes (the timbre of one kit, the balance of another).  A recorded kit is seldom one
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


def mix_name(base: str, parts: dict[str, str], levels: str = "own") -> str:
    """The name of ``base`` with ``parts`` (family -> kit name) in place of its families."""
    named = [f"{f}={parts[f]}" for f in FAMILIES if parts.get(f, base) != base]
    return PREFIX + ",".join([base, *named, *(["levels=base"] if levels == "base" else [])])


def parse_mix(name: str) -> tuple[str, dict[str, str], str]:
    """``(base kit name, {family: kit name}, levels)`` of a ``mix:`` name; a ValueError
    says what is wrong with it."""
    base, *rest = [p.strip() for p in name[len(PREFIX):].split(",")]
    if not base or "=" in base:
        raise ValueError(f"kit {name!r}: expected mix:BASE,FAMILY=KIT,... with the base "
                         "kit first")
    parts: dict[str, str] = {}
    levels = "own"
    if rest and rest[-1].replace(" ", "").startswith("levels="):
        levels = rest.pop().partition("=")[2].strip()
        if levels not in LEVELS:
            raise ValueError(f"kit {name!r}: levels is {' or '.join(LEVELS)}, not {levels!r}")
    for item in rest:
        family, _, kit = (s.strip() for s in item.partition("="))
        if family not in FAMILIES or not kit:
            raise ValueError(f"kit {name!r}: expected FAMILY=KIT after the base kit, FAMILY "
                             f"one of {', '.join(FAMILIES)}; found {item!r}")
        if family in parts:
            raise ValueError(f"kit {name!r}: family {family} is named twice")
        parts[family] = kit
    return base, parts, levels


@dataclass(frozen=True)
class MixedKit:
    """A kit component (:class:`drumtabber.components.Kit`) of other kits, one per family."""

    name: str
    kits: dict = field(hash=False)   # family -> kit component
    base: object = None              # the kit whose levels the parts take (levels=base)
    channel: int = 9
    bank: int = 128
    program: int = 0

    @classmethod
    def from_name(cls, name: str, get) -> "MixedKit":
        """The kit a ``mix:`` name describes; ``get(kit name)`` gives each part."""
        base, parts, levels = parse_mix(name)
        kits = {f: get(parts.get(f, base)) for f in FAMILIES}
        return cls(name, kits, get(base) if levels == "base" else None)

    @property
    def installed(self) -> bool:
        return all(k.installed for k in self.kits.values())

    def install_hint(self) -> str:
        return "; ".join(f"{k.name}: {k.install_hint()}"
                         for k in self._parts() if not k.installed)

    def key_for(self, instrument: Instrument) -> int:
        return INSTRUMENTS.index(instrument)

    def _parts(self) -> list:
        return list({id(k): k for k in self.kits.values()}.values())

    def _part_midi(self, midi, kit, player=None):
        """``midi`` with only the notes ``kit`` plays here, on the channel, preset and keys
        of ``player`` (default ``kit``); and ``{(tick, its key): [our keys]}`` of those notes
        (a key of that kit may play several of our instruments: a closed and a pedal hi-hat
        on one sample)."""
        import mido
        kit, selected = player or kit, kit
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
                if self.kits[instrument.family] is not selected:
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
        for kit in self._parts():
            part, keys = self._part_midi(midi, kit)
            out += [(tick, keys[(tick, key)].pop(0), sample)
                    for tick, key, sample in kit.note_samples(part, sample_rate)]
        return sorted(out)

    def render(self, midi, *, sample_rate: int, out_path, gain: float = 0.5) -> Path:
        import numpy as np
        from .io import load_audio, write_render
        renders = []
        with tempfile.TemporaryDirectory(prefix="drumtabber-mix-") as tmp:
            def played(kit, player=None):
                part, keys = self._part_midi(midi, kit, player)
                if not keys:
                    return None
                wav = (player or kit).render(part, sample_rate=sample_rate, gain=gain,
                                             out_path=Path(tmp) / "part.wav")
                return load_audio(wav, sample_rate=sample_rate)[0]
            for kit in self._parts():
                audio = played(kit)
                if audio is None:
                    continue
                if self.base is not None and kit is not self.base:   # at the base's level
                    own = float(np.sqrt(np.mean(audio ** 2)))
                    wanted = float(np.sqrt(np.mean(played(kit, self.base) ** 2)))
                    audio = audio * np.float32(wanted / own) if own > 0 else audio
                renders.append(audio)
        mix = np.zeros(max((len(r) for r in renders), default=sample_rate), np.float32)
        for r in renders:
            mix[:len(r)] += r
        return write_render(out_path, mix, sample_rate)
