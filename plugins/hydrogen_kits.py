"""Acoustic drum kits recorded as one-shot samples: Hydrogen's drum kits, mixed in numpy.

Debian's ``hydrogen-drumkits`` and ``hydrogen-data`` install Hydrogen drum kits under
``/usr/share/hydrogen/data/drumkits``: a folder per kit with its samples (WAV or FLAC) and a
``drumkit.xml`` that lists the kit's instruments, each with its velocity layers (a sample per
velocity range, 0-1) and gains.  Every kit there with a kick, snare, closed hi-hat, tom,
crash and ride is registered as ``h2-<name>`` (``h2-gmrockkit``, ``h2-black-pearl``, ...);
electronic and hand-percussion kits lack those and are left out.

A kit instrument is told by its name (the kits' ``midiOutNote`` is 60 on every instrument of
many kits): ``Kick``, ``BassDrum``, ``Hi Hat Closed``, ``Tom Low``, ``Floor Tom``, ``Ride Bell``,
``Crash/Ride`` ...; toms are ordered floor, low, mid, high (``Tom 1`` above ``Tom 2``) and
spread over the six GM toms.  Our instruments a kit has no sample for take the nearest sound
of the same family (pedal and open hi-hat -> closed, china and splash -> crash, ride bell ->
ride), percussion the kit lacks the side stick (:data:`FALLBACKS`).

Rendering (:meth:`SampleKit.render`): each note-on starts its layer's sample at the note's
exact MIDI time (so the onset labels are exact to the sample: the samples' leading silence
is trimmed when they are read); the layer is the one whose range holds velocity / 127,
taking turns among layers of the same range (round robin); the sample is scaled by the
velocity and the layer's, instrument's and kit's gains (as Hydrogen does).  A hi-hat stroke
cuts the ringing open hi-hat (a 5 ms fade), as the closing hat does; cymbals ring out.
"""
from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from drumtabber.components import NoOptions
from drumtabber.errors import DrumtabberError
from drumtabber.hookspecs import hookimpl
from drumtabber.score import Instrument

__version__ = "0.1.0"

I = Instrument
PACKAGES = "hydrogen-drumkits hydrogen-data"
DRUMKIT_DIRS = (Path("/usr/share/hydrogen/data/drumkits"),
                Path("/usr/local/share/hydrogen/data/drumkits"),
                Path.home() / ".hydrogen" / "data" / "drumkits")
REQUIRED = (I.KICK, I.SNARE, I.HIHAT_CLOSED, I.TOM_LOW, I.CRASH, I.RIDE)
HIHATS = (I.HIHAT_CLOSED, I.HIHAT_PEDAL, I.HIHAT_OPEN)
TOMS = (I.TOM_FLOOR_LOW, I.TOM_FLOOR_HIGH, I.TOM_LOW, I.TOM_LOW_MID, I.TOM_HIGH_MID, I.TOM_HIGH)
# Nearest sound, tried in order, for an instrument the kit has no sample of.
FALLBACKS = {
    I.KICK_ACOUSTIC: (I.KICK,), I.SNARE_ELECTRIC: (I.SNARE,), I.SIDE_STICK: (I.SNARE,),
    I.HIHAT_PEDAL: (I.HIHAT_CLOSED,), I.HIHAT_OPEN: (I.HIHAT_CLOSED,),
    I.CRASH2: (I.CRASH,), I.CHINA: (I.CRASH2, I.CRASH), I.SPLASH: (I.CRASH,),
    I.RIDE2: (I.RIDE,), I.RIDE_BELL: (I.RIDE,), I.HAND_CLAP: (I.SIDE_STICK, I.SNARE),
}
CHOKE_FADE_S = 0.005
# A sample starts where it first reaches this share of its peak (-40 dB).
ONSET_SHARE = 0.01
# Articulations we do not model (a choked cymbal, a roll, a loose hat): never chosen.
SKIP = re.compile(r"choke|swish|flink|roll|free|\bfx\b|zap|mute|sample:")
# (pattern on the lower-case name without its brackets, instrument); first match wins.
RULES = [
    (r"cowbell", I.COWBELL), (r"tambourine", I.TAMBOURINE), (r"clap", I.HAND_CLAP),
    (r"maraca|shaker", I.MARACAS), (r"clave", I.CLAVES), (r"wood ?block", I.WOODBLOCK_HIGH),
    (r"agogo", I.AGOGO_HIGH), (r"kick|bass ?drum", I.KICK),
    (r"side ?stick|rim ?click|\bstick\b", I.SIDE_STICK), (r"snare.*rim ?shot", I.SNARE_ELECTRIC),
    (r"snare", I.SNARE), (r"(hi[- ]?hat|\bhh\b|\bhat\b).*pedal|pedal.*(hat|hh)", I.HIHAT_PEDAL),
    (r"(hi[- ]?hat|\bhh\b|\bhat\b).*\bop|\bop.*(hat|hh)|semi", I.HIHAT_OPEN),
    (r"hi[- ]?hat|\bhh\b|\bhat\b", I.HIHAT_CLOSED), (r"tom", I.TOM_LOW), (r"china", I.CHINA),
    (r"splash", I.SPLASH), (r"\bbell\b|\bcup\b", I.RIDE_BELL),
    (r"ride", I.RIDE), (r"crash|cymbal", I.CRASH),
]
SECOND = {I.CRASH: I.CRASH2, I.RIDE: I.RIDE2}


@dataclass(frozen=True)
class Layer:
    path: Path
    low: float
    high: float
    gain: float


@dataclass(frozen=True)
class KitPiece:
    """One instrument of a Hydrogen kit: its name, gain and velocity layers."""
    name: str
    gain: float
    layers: tuple[Layer, ...]


def _text(node, tag, ns, default=None):
    found = node.find(ns + tag)
    return found.text if found is not None and found.text is not None else default


def read_drumkit(xml_path: Path) -> tuple[str, str, list[KitPiece]]:
    """(name, info line, instruments) of a Hydrogen ``drumkit.xml``; a DrumtabberError naming
    the file when it cannot be read."""
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError) as exc:
        raise DrumtabberError(f"cannot read this Hydrogen drum kit: {exc}", path=xml_path) from None
    ns = re.match(r"\{.*\}", root.tag)
    ns = ns.group(0) if ns else ""
    pieces = []
    try:
        for node in root.iter(ns + "instrument"):
            layers = [Layer(xml_path.parent / _text(la, "filename", ns, ""),
                            float(_text(la, "min", ns, 0)), float(_text(la, "max", ns, 1)),
                            float(_text(la, "gain", ns, 1))) for la in node.iter(ns + "layer")]
            if not layers and _text(node, "filename", ns):          # the oldest format
                layers.append(Layer(xml_path.parent / _text(node, "filename", ns), 0, 1, 1))
            layers = [la for la in layers if la.path.is_file()]
            if layers:
                gain = float(_text(node, "gain", ns, 1)) * float(_text(node, "volume", ns, 1))
                pieces.append(KitPiece(_text(node, "name", ns, "") or "", gain, tuple(layers)))
    except ValueError as exc:                # a gain or velocity range that is not a number
        raise DrumtabberError(f"cannot read this Hydrogen drum kit: {exc}", path=xml_path) from None
    info = " / ".join(x for x in (_text(root, "author", ns), _text(root, "license", ns)) if x)
    return _text(root, "name", ns, xml_path.parent.name), info, pieces


def _tom_rank(name: str) -> tuple:
    """Low to high: floor, low, mid, high; 'Tom 1' is above 'Tom 2'."""
    kind = (0 if "floor" in name else 1 if re.search(r"\blo(w)?\b", name) else
            3 if re.search(r"hi(gh)?", name) else 2)
    number = re.search(r"(\d+)", name)
    return kind, -int(number.group(1)) if number else 0


def assign_pieces(pieces: list[KitPiece]) -> dict[Instrument, int]:
    """Which kit piece (its index) plays each of our instruments the kit has a sample of."""
    found: dict[Instrument, int] = {}
    toms = []
    names = [re.sub(r"\(.*?\)", "", piece.name.lower()).strip() for piece in pieces]
    # a semi-open hi-hat stands for the open one only where the kit has no open hi-hat
    for index in sorted(range(len(pieces)), key=lambda i: "semi" in names[i]):
        name = names[index]
        if not name or SKIP.search(name):
            continue
        inst = next((i for pattern, i in RULES if re.search(pattern, name)), None)
        if inst is I.TOM_LOW:
            toms.append((_tom_rank(name), index))
        elif inst is not None:
            if inst in found and inst in SECOND:
                inst = SECOND[inst]
            found.setdefault(inst, index)
    toms = [index for _, index in sorted(toms)]
    for n, inst in enumerate(TOMS):
        if toms:
            found[inst] = toms[round(n * (len(toms) - 1) / (len(TOMS) - 1))]
    return found


def complete_keys(found: dict[Instrument, int]) -> dict[Instrument, int]:
    """Every instrument's piece: its own, else the nearest of :data:`FALLBACKS`, else (for
    percussion) the side stick."""
    keys = dict(found)
    for _ in range(2):                       # fallbacks of fallbacks (china -> crash2 -> crash)
        for inst, options in FALLBACKS.items():
            choice = next((o for o in options if o in keys), None)
            if inst not in keys and choice is not None:
                keys[inst] = keys[choice]
    for inst in Instrument:
        keys.setdefault(inst, keys[I.SIDE_STICK])
    return keys


@functools.lru_cache(maxsize=512)
def _sample(path: Path, sample_rate: int):
    """A layer's sample as mono float32 at ``sample_rate``, its leading silence trimmed."""
    import numpy as np
    import soundfile
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as exc:
        raise DrumtabberError(f"cannot read this kit sample: {exc}", path=path) from None
    data = data.mean(axis=1)
    if rate != sample_rate:
        import librosa
        data = librosa.resample(data, orig_sr=rate, target_sr=sample_rate).astype(np.float32)
    peak = float(np.abs(data).max()) if data.size else 0.0
    if peak == 0.0:
        return np.zeros(0, np.float32)
    start = int(np.argmax(np.abs(data) >= ONSET_SHARE * peak))
    return np.ascontiguousarray(data[start:])


@dataclass(frozen=True)
class SampleKit:
    """A kit component (:class:`drumtabber.components.Kit`) of one-shot samples.  Its keys
    are the indices of its pieces (below 128), on MIDI channel 1 (index 0)."""

    name: str
    description: str
    folder: Path
    pieces: tuple[KitPiece, ...] = field(repr=False)
    keys: dict = field(repr=False, hash=False, compare=False)
    channel: int = 0
    bank: int = 0
    program: int = 0
    package: str = PACKAGES
    Options = NoOptions

    @property
    def installed(self) -> bool:
        return all(la.path.is_file() for p in self.pieces for la in p.layers)

    def install_hint(self) -> str:
        return f"apt-get install {self.package}"

    def soundfont_path(self) -> Path | None:
        """Where the kit is described (``drumkit.xml``), as ``kits`` lists it."""
        return self.folder / "drumkit.xml" if self.installed else None

    def key_for(self, instrument: Instrument) -> int:
        return self.keys[instrument]

    def note_samples(self, midi, sample_rate: int) -> list[tuple[int, int, int]]:
        """Each note sounds from its exact MIDI time (the samples start at their attack)."""
        from drumtabber.audio.render import midi_note_times
        return [(tick, key, int(round(t * sample_rate)))
                for tick, key, t in midi_note_times(midi)]

    def render(self, midi, *, sample_rate: int, out_path, gain: float = 0.5) -> Path:
        import numpy as np
        from drumtabber.audio.io import write_render
        from drumtabber.audio.render import midi_messages
        velocity = {}
        for tick, msg in midi_messages(midi):
            if msg.type == "note_on" and msg.velocity > 0:
                velocity.setdefault((tick, msg.note), []).append(msg.velocity)
        notes = []
        for tick, key, start in self.note_samples(midi, sample_rate):
            notes.append((start, key, velocity[(tick, key)].pop(0)))
        hat_keys = {self.keys[i] for i in HIHATS}
        hat_starts = np.array(sorted(s for s, k, _ in notes if k in hat_keys), dtype=np.int64)
        turns: dict[tuple, int] = {}
        voices = []
        for start, key, vel in notes:
            piece = self.pieces[key]
            v = vel / 127.0
            layers = [la for la in piece.layers if la.low <= v <= la.high] or \
                [min(piece.layers, key=lambda la: min(abs(v - la.low), abs(v - la.high)))]
            ranges = sorted({(la.low, la.high) for la in layers})
            same = [la for la in layers if (la.low, la.high) == ranges[-1]]
            turn = turns.get((key, ranges[-1]), 0)
            turns[(key, ranges[-1])] = turn + 1
            layer = same[turn % len(same)]
            sound = _sample(layer.path, sample_rate) * (gain * v * layer.gain * piece.gain)
            if key in hat_keys:                 # the next hi-hat stroke cuts this one
                later = hat_starts[np.searchsorted(hat_starts, start, side="right"):]
                if later.size and later[0] - start < sound.size:
                    fade = int(CHOKE_FADE_S * sample_rate)
                    cut = int(later[0] - start)
                    sound = sound[:cut + fade].copy()
                    sound[cut:] *= np.linspace(1.0, 0.0, sound.size - cut, dtype=np.float32)
            voices.append((start, sound))
        length = max([s + len(x) for s, x in voices], default=0) + sample_rate // 2
        mix = np.zeros(length, np.float32)
        for start, sound in voices:
            mix[start:start + sound.size] += sound
        return write_render(out_path, mix, sample_rate)


def kit_name(name: str) -> str:
    """``h2-`` and the kit's name as a slug, without a leading 'The' or a version."""
    name = re.sub(r"^the\s+", "", name.strip(), flags=re.I)
    name = re.sub(r"[\s_-]+v?\.?\d+\.\d+$|[\s_-]+v\.?\d+$", "", name)
    return "h2-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def find_kits(folders=DRUMKIT_DIRS) -> list[SampleKit]:
    """The acoustic drum kits (see the module's docstring) installed in ``folders``."""
    kits: dict[str, SampleKit] = {}
    for folder in folders:
        for xml_path in sorted(Path(folder).glob("*/drumkit.xml")) if Path(folder).is_dir() else ():
            try:
                name, info, pieces = read_drumkit(xml_path)
            except DrumtabberError:
                continue
            pieces = pieces[:128]               # a piece's index is its MIDI key
            found = assign_pieces(pieces)
            if not all(i in found for i in REQUIRED) or kit_name(name) in kits:
                continue
            layered = max(len(p.layers) for p in pieces)
            kits[kit_name(name)] = SampleKit(
                kit_name(name), f"Hydrogen kit {name} ({info}; {len(found)} sounds, up to "
                f"{layered} velocity layers)", xml_path.parent, tuple(pieces),
                complete_keys(found))
    return list(kits.values())


@hookimpl
def register_kits(register):
    for kit in find_kits():
        register(kit)
