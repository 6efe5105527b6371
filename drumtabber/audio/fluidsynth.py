"""FluidSynth and soundfont kits: rendering drum MIDI with a sampled kit, and where each note
sounds in the render.

FluidSynth does not start a note at its MIDI time: its file player is polled once per
64-sample synthesis block with the time in whole milliseconds, and a note sent during a block
sounds from the start of the next block.  Measured against the MIDI times (5,000 notes, and
the bundled songs): 1.1-3.6 ms later at 44.1 kHz (mean 2.4, sd 0.5), 1.1-3.1 ms at 48 kHz,
2.6-6.5 ms at 22.05 kHz, 3.7-7.7 ms at 16 kHz -- 64 samples plus up to 1 ms + one block, so
a constant correction would leave +/-1.2 ms at 44.1 kHz (+/-2 ms at 16 kHz).  Instead
:func:`fluidsynth_note_samples` replays the player's arithmetic (FluidSynth 2.2-2.3,
``fluid_midi.c``): on every kit, at 8-48 kHz, through ramps and humanising, the first
non-zero sample of a voice is that sample + 1 (the volume envelope starts at 0).

A :class:`SoundfontKit` is a kit component (:class:`drumtabber.components.Kit`) read from an
.sf2 file; the kits themselves are registered by plugins (``register_kits``).
"""
from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..components import NoOptions
from ..errors import DrumtabberError
from ..outputs import output_files, partial_path
from ..score import Instrument
from .render import midi_messages

FLUIDSYNTH = "fluidsynth"
FLUIDSYNTH_PACKAGE = "fluidsynth"
# Where Debian, Fedora and Arch put .sf2 (and .sf3) files; a kit's file is looked up in each in turn.
SOUNDFONT_DIRS = (Path("/usr/share/sounds/sf2"), Path("/usr/share/sounds/sf3"),
                  Path("/usr/share/soundfonts"), Path("/usr/local/share/sounds/sf2"))
# fluidsynth -g: its default 0.2 is quiet; at 0.5 one hit peaks at 0.1-0.4 full scale on
# these kits.  Output is 32-bit float WAV by default, so dense accented passages never clip.
DEFAULT_GAIN = 0.5
# FluidSynth's timing (fluid_synth.c, fluid_midi.c; measured on 2.3.1 against every kit):
FLUIDSYNTH_BLOCK = 64              # samples per synthesis block (FLUID_BUFSIZE)
FLUIDSYNTH_VOICE_DELAY_BLOCKS = 1  # a note sent while block n is prepared sounds from block n+1
# prctl option that sends a signal to a child when its parent dies (linux/prctl.h).
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class SoundfontKit:
    """A sampled drum kit in a soundfont: how its preset is selected, and our note map."""

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

    def with_soundfont(self, path) -> "SoundfontKit":
        """The same kit read from another .sf2 file."""
        return replace(self, soundfont=str(Path(path).resolve()))

    Options = NoOptions

    def install_hint(self) -> str:
        return f"apt-get install {self.package}"

    def render(self, midi, *, sample_rate: int, out_path, gain: float = DEFAULT_GAIN) -> Path:
        return render_audio(midi, self, sample_rate=sample_rate, out_path=out_path, gain=gain)

    def note_samples(self, midi, sample_rate: int) -> list[tuple[int, int, int]]:
        return fluidsynth_note_samples(midi, sample_rate)


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
    for tick, msg in midi_messages(midi):
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


def _die_with_parent() -> None:
    """In the child, before FluidSynth starts: ask Linux to kill it when its parent dies."""
    import ctypes
    import signal
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):           # not Linux: the child may outlive a kill -9
        pass


def render_audio(midi, kit: SoundfontKit, *, sample_rate: int = 44100, out_path,
                 gain: float = DEFAULT_GAIN, reverb: bool = False, chorus: bool = False,
                 sample_format: str | None = None) -> Path:
    """Render a MIDI file (a mido.MidiFile or a path) with FluidSynth and a kit.

    The file appears complete or not at all (:func:`drumtabber.outputs.output_files`), and
    FluidSynth is killed with this process (a parent killed outright leaves no renderer
    running: Linux's parent-death signal).  Reverb and
    chorus are off by default (dry kit, onsets not smeared).  ``sample_format`` is FluidSynth's
    ``-O`` (default: ``float`` for .wav, ``s24`` for other types).  Returns ``out_path``.
    """
    soundfont = kit.require_soundfont()
    exe = shutil.which(FLUIDSYNTH)
    if exe is None:
        raise DrumtabberError(f"rendering needs the fluidsynth program: install the Debian "
                              f"package {FLUIDSYNTH_PACKAGE} (apt-get install {FLUIDSYNTH_PACKAGE})")
    if not 8000 <= sample_rate <= 96000:
        raise DrumtabberError(f"sample rate must be 8000-96000 Hz for FluidSynth, "
                              f"found {sample_rate}")
    out_path = Path(out_path)
    fmt = sample_format or ("float" if out_path.suffix.lower() == ".wav" else "s24")
    with output_files(out_path) as (partial,):
        midi_path = Path(midi) if isinstance(midi, (str, Path)) else \
            partial_path(out_path).with_suffix(".mid")
        try:
            if not isinstance(midi, (str, Path)):
                midi.save(str(midi_path))
            cmd = [exe, "-n", "-i", "-q", "-R", "1" if reverb else "0", "-C",
                   "1" if chorus else "0", "-g", str(gain), "-r", str(sample_rate), "-O", fmt,
                   "-T", "auto", "-o", "player.timing-source=sample", "-o",
                   "synth.lock-memory=0", "-F", str(partial), str(soundfont), str(midi_path)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, check=False,
                                      preexec_fn=_die_with_parent)
            except OSError as exc:
                raise DrumtabberError(f"cannot run {exe}: {exc}") from None
        finally:
            if not isinstance(midi, (str, Path)):
                midi_path.unlink(missing_ok=True)
        # FluidSynth exits 0 after some failures (a corrupt soundfont renders silence), so
        # its error lines count too; warnings (no preset on the unused channel 10) do not.
        problems = [ln for ln in (proc.stderr + proc.stdout).splitlines()
                    if "error" in ln.lower() or "not a soundfont" in ln.lower()]
        if (proc.returncode != 0 or problems or not partial.is_file()
                or partial.stat().st_size <= 44):
            detail = "; ".join(problems) or (proc.stderr or proc.stdout).strip() or "no output"
            raise DrumtabberError(f"fluidsynth failed (exit {proc.returncode}) rendering "
                                  f"{midi_path.name} with {soundfont}: {detail}", path=out_path)

    return out_path
