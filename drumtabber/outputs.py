"""Writing output files: all of a command's outputs appear together, complete, or none does.

Every writer writes to a hidden partial file beside its target (same folder, so the final
rename is atomic; same ending, so format-by-suffix writers still work) and the partials are
renamed only when every output of the command is complete.  A failure removes them; a run
killed outright leaves its partials, and the next run into the same folder removes those of
processes that are gone.  Errors name the file.
"""
from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

from .errors import DrumtabberError

def partial_path(target: Path) -> Path:
    """The hidden partial file of ``target`` for this process."""
    target = Path(target)
    return target.with_name(f".{target.stem}.{os.getpid()}.partial{target.suffix}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:              # another user's process
        return True
    return True


def remove_stale_partials(target: Path) -> None:
    """Remove partial files of ``target`` (any ending, nested ones too: a render's MIDI beside
    its WAV, FluidSynth's partial of a partial) left by processes that no longer run."""
    target = Path(target)
    prefix = re.compile(rf"^\.+{re.escape(target.stem)}\.\d+\.partial")
    try:
        entries = list(target.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        if not prefix.match(entry.name):
            continue
        pids = [int(p) for p in re.findall(r"\.(\d+)\.partial", entry.name)]
        if pids and not any(pid == os.getpid() or _alive(pid) for pid in pids):
            try:
                entry.unlink()
            except OSError:
                pass


def _oserror(exc: OSError, path: Path) -> DrumtabberError:
    return DrumtabberError(f"cannot write: {exc.strerror or exc}", path=path)


@contextmanager
def output_files(*targets):
    """Write several outputs as one: yields the partial path of each target (None stays
    None); on success every partial is renamed onto its target, on any error all are
    removed.  Folders are created; an OSError becomes a DrumtabberError naming the file."""
    targets = [Path(t) if t is not None else None for t in targets]
    partials = [partial_path(t) if t is not None else None for t in targets]
    try:
        for target in targets:
            if target is not None:
                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                except FileExistsError:
                    blocker = next(p for p in target.parents if p.exists())
                    raise DrumtabberError(f"cannot write: {blocker} is a file, not a folder",
                                          path=target) from None
                except OSError as exc:
                    raise _oserror(exc, target) from None
                remove_stale_partials(target)
        yield partials
        for target, partial in zip(targets, partials):
            if target is not None and not partial.is_file():
                raise DrumtabberError("the output was not written", path=target)
        for target, partial in zip(targets, partials):
            if target is not None:
                try:
                    os.replace(partial, target)
                except OSError as exc:
                    raise _oserror(exc, target) from None
    except OSError as exc:
        where = next((t for t, p in zip(targets, partials)
                      if p is not None and exc.filename and str(p) == str(exc.filename)),
                     next((t for t in targets if t is not None), None))
        raise _oserror(exc, where) from None
    finally:
        for partial in partials:
            if partial is not None:
                try:
                    partial.unlink(missing_ok=True)
                except OSError:             # its folder is gone or is a file
                    pass


def write_text_file(target, text: str) -> Path:
    """Write a text file (UTF-8) as one complete output."""
    with output_files(target) as (partial,):
        partial.write_text(text, encoding="utf-8")
    return Path(target)
